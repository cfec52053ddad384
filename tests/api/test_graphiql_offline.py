"""GraphiQL renders with no internet (issue 18): the page references only this app's own URLs,
and every asset it references is served by the app with the bytes its SRI hash names."""
from __future__ import annotations

import base64
import hashlib
import re

import httpx
from app.services import build_services
from core.settings import Settings

TAG = re.compile(r"<(script|link)\b([^>]*)>", re.S)
ATTR = re.compile(r'(src|href|integrity)="([^"]*)"')


async def _page(client) -> str:
    response = await client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    return response.text


async def test_page_and_every_asset_come_from_the_app(client):
    page = await _page(client)
    assert "unpkg.com" not in page and "cdn" not in page.lower()
    references = []
    for _tag, attrs in TAG.findall(page):
        found = dict(ATTR.findall(attrs))
        url = found.get("src") or found.get("href")
        if url is None or url.startswith("data:"):
            continue
        references.append((url, found.get("integrity")))
    assert len(references) == 7, references  # react, react-dom, js-cookie, graphiql js+css, explorer js+css
    for url, integrity in references:
        assert url.startswith("/graphiql/assets/"), url  # same origin: nothing from the internet
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].startswith(("text/javascript", "text/css")), url
        digest = "sha384-" + base64.b64encode(hashlib.sha384(asset.content).digest()).decode()
        assert digest == integrity, url  # the browser would refuse anything else
    assert (await client.get("/graphiql/assets/../asgi.py")).status_code == 404
    assert (await client.get("/graphiql/assets/VENDORED.md")).status_code == 404


async def test_no_ide_and_no_assets_when_graphiql_is_off():
    from asgi import create_app

    settings = Settings(database_url="sqlite+aiosqlite:///:memory:", graphiql=False, sweeper_interval_s=0)
    services = build_services(settings)
    app = create_app(settings, services)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await client.get("/graphiql/assets/graphiql.min.js")).status_code == 404
        response = await client.get("/graphql", headers={"Accept": "text/html"})
        assert "graphiql" not in response.text.lower()
    await services.database.dispose()

