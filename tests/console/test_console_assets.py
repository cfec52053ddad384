"""The console's page and files without a browser: strict headers, only listed files, the
vendored libraries exactly as VENDORED.md records them, tiles only by setting, and the demo
traffic generator's guards."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from console.routes import ASSETS, ROOT, console_routes
from demo.traffic import TrafficRefused, check_allowed

VENDORED = ROOT / "vendor" / "VENDORED.md"


def _client() -> httpx.AsyncClient:
    app = Starlette(routes=console_routes())
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://console.test")


async def test_page_has_a_strict_policy_and_no_inline_script(monkeypatch):
    monkeypatch.delenv("QIANDIAN_CONSOLE_TILE_URL", raising=False)
    async with _client() as client:
        response = await client.get("/console")
    assert response.status_code == 200
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "img-src 'self' data:;" in csp  # no tile server unless one is configured
    assert "frame-ancestors 'none'" in csp and response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", response.text, re.S)
    assert scripts and all('src="/console/assets/' in attrs and body.strip() == "" for attrs, body in scripts)
    assert "http://" not in response.text.replace("http://www.w3.org", "") and "https://" not in response.text  # no CDN


async def test_a_tile_url_setting_adds_its_origin_and_nothing_else(monkeypatch):
    monkeypatch.setenv("QIANDIAN_CONSOLE_TILE_URL", "https://{s}.tiles.example.cn/{z}/{x}/{y}.png")
    async with _client() as client:
        response = await client.get("/console")
    assert "img-src 'self' data: https://*.tiles.example.cn;" in response.headers["content-security-policy"]
    assert 'content="https://{s}.tiles.example.cn/{z}/{x}/{y}.png"' in response.text
    monkeypatch.setenv("QIANDIAN_CONSOLE_TILE_URL", 'javascript:alert(1)"><script>')
    async with _client() as client:
        response = await client.get("/console")
    assert '<meta name="qd-tile-url" content="">' in response.text  # not a URL: no tiles, nothing echoed
    monkeypatch.setenv("QIANDIAN_CONSOLE_TILE_URL", 'https://t.example.cn/{z}/{x}/{y}.png"><script>alert(1)</script>')
    async with _client() as client:
        response = await client.get("/console")
    assert "<script>alert" not in response.text and "&lt;script&gt;alert" in response.text  # escaped in the attribute


async def test_only_listed_files_are_served():
    async with _client() as client:
        for name, media_type in ASSETS.items():
            response = await client.get(f"/console/assets/{name}")
            assert response.status_code == 200 and response.headers["content-type"].startswith(media_type), name
        for name in ("index.html", "../routes.py", "vendor/VENDORED.md", "vendor/LICENSE.preact", "%2e%2e/routes.py"):
            assert (await client.get(f"/console/assets/{name}")).status_code == 404, name


def test_vendored_files_are_the_recorded_npm_releases():
    text = VENDORED.read_text()
    recorded = dict(re.findall(r"^\| ([\w.-]+\.(?:js|css)) \| ([0-9a-f]{64}) \|$", text, re.M))
    vendored = {n.split("/", 1)[1] for n in ASSETS if n.startswith("vendor/")}
    assert set(recorded) == vendored
    for name, digest in recorded.items():
        assert hashlib.sha256((ROOT / "vendor" / name).read_bytes()).hexdigest() == digest, name
    for licence in ("LICENSE.preact", "LICENSE.htm", "LICENSE.leaflet"):
        assert (ROOT / "vendor" / licence).stat().st_size > 500


def test_own_scripts_reach_only_the_public_graphql_endpoint():
    own = "".join((ROOT / name).read_text() for name in ASSETS if name.endswith(".js") and not name.startswith("vendor/"))
    assert set(re.findall(r"fetch\(\"([^\"]+)\"", own)) == {"/graphql"}
    assert '"/graphql", "graphql-transport-ws"' in own
    assert "document.cookie" not in own and "localStorage.setItem(\"qd.console.session\"" not in own
    assert "sessionStorage.setItem(KEY" in own  # tokens live in the tab's session storage


@pytest.mark.parametrize("env, refused", [
    ({}, True),  # off by default
    ({"QIANDIAN_DEMO_TRAFFIC": "1"}, False),
    ({"QIANDIAN_DEMO_TRAFFIC": "1", "QIANDIAN_ENV": "production"}, True),
    ({"QIANDIAN_DEMO_TRAFFIC": "1", "QIANDIAN_ENV": "staging"}, True),
])
def test_demo_traffic_is_off_by_default_and_never_in_production(env, refused):
    if refused:
        with pytest.raises(TrafficRefused):
            check_allowed(env)
    else:
        check_allowed(env)
