"""Round three, media upload and serving as an outsider tries them: polyglots, lying headers and
sizes, two files in one form, and paths that try to leave the media directory (sent raw to a
real uvicorn, so no client normalises `..` or `%2e%2e` first)."""
from __future__ import annotations

import asyncio
import os
import socket
import struct
import threading
from dataclasses import replace

import httpx
import pytest
import uvicorn

from tests.media.helpers import png

HTML = b"<html><script>alert(document.domain)</script></html>"


def _auth(world, staff="hq"):
    return {"Authorization": f"Bearer {world.staff_token(staff)}"}


@pytest.fixture(scope="module")
def media_server(test_settings, tmp_path_factory):
    """uvicorn on a loopback port with local media storage in a fresh directory."""
    from asgi import create_app

    root = tmp_path_factory.mktemp("media")
    outside = tmp_path_factory.mktemp("outside")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = replace(test_settings, dispatch_interval_s=0, media_dir=str(root), media_max_upload_bytes=64 * 1024)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            pytest.fail("uvicorn did not start")
        thread.join(0.05)
    yield {"url": f"http://127.0.0.1:{port}", "port": port, "root": root, "outside": outside}
    server.should_exit = True
    thread.join(30)


@pytest.fixture
async def http(media_server):
    async with httpx.AsyncClient(base_url=media_server["url"], timeout=30) as client:
        yield client


async def _raw_get(port: int, target: str) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode("latin-1"))
    await writer.drain()
    data = await reader.read()
    writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


async def test_a_png_html_polyglot_is_served_as_an_inert_image(http, world):
    polyglot = png(4, 4) + HTML
    uploaded = await http.post("/media/upload", content=polyglot, headers={**_auth(world), "Content-Type": "text/html"})
    assert uploaded.status_code == 415  # a declared type other than an image is refused outright
    uploaded = await http.post("/media/upload", content=polyglot, headers={**_auth(world), "Content-Type": "image/png"})
    assert uploaded.status_code == 201, uploaded.text
    served = await http.get(uploaded.json()["url"])
    assert served.status_code == 200 and served.content == polyglot
    assert served.headers["content-type"] == "image/png"
    assert served.headers["x-content-type-options"] == "nosniff"
    policy = served.headers["content-security-policy"]
    assert "sandbox" in policy and "default-src 'none'" in policy and "script-src" not in policy


async def test_size_claims_and_truncated_headers(http, world):
    headers = {**_auth(world), "Content-Type": "image/png"}
    huge = bytearray(png(2, 2))
    huge[16:24] = struct.pack(">II", 100_000, 100_000)  # the IHDR claims 100000 x 100000
    assert (await http.post("/media/upload", content=bytes(huge), headers=headers)).status_code == 422
    zero = bytearray(png(2, 2))
    zero[16:24] = struct.pack(">II", 0, 5)
    assert (await http.post("/media/upload", content=bytes(zero), headers=headers)).status_code == 415
    for cut in (1, 8, 12, 16, 20, 23):
        assert (await http.post("/media/upload", content=png(2, 2)[:cut], headers=headers)).status_code == 415, cut
    jpeg_without_frame = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 5
    assert (await http.post("/media/upload", content=jpeg_without_frame, headers={**_auth(world), "Content-Type": "image/jpeg"})).status_code == 415


async def test_multipart_tricks_store_only_a_sniffed_image_under_a_content_key(http, world, media_server):
    files = [("file", ("../../../../etc/evil.png", png(3, 3), "image/png")),
             ("file", ("x.svg", b"<svg onload=alert(1)/>", "image/svg+xml"))]
    response = await http.post("/media/upload", files=files, headers=_auth(world))
    assert response.status_code == 201, response.text
    key = response.json()["key"]
    assert key.startswith(f"{world.tenant_id}/") and key.endswith(".png") and ".." not in key
    svg_first = await http.post("/media/upload", headers=_auth(world), files=[
        ("file", ("x.png", b"<svg onload=alert(1)/>", "image/png")), ("file", ("y.png", png(3, 3), "image/png"))])
    assert svg_first.status_code == 415  # the first file part is the upload; it is not an image
    stored = [p for p in media_server["root"].rglob("*") if p.is_file()]
    assert all(p.suffix in (".png", ".jpg", ".webp") for p in stored)
    assert not (media_server["root"].parent / "etc").exists()


@pytest.mark.parametrize("target", [
    "/media/../asgi.py", "/media/..%2f..%2fasgi.py", "/media/%2e%2e/%2e%2e/asgi.py", "/media/1/%2e%2e%2f%2e%2e%2fasgi.py",
    "/media/..\\..\\asgi.py", "/media/1%5c..%5c..%5casgi.py", "/media/%252e%252e%252fasgi.py", "/media//etc/passwd",
    "/media/1/" + "a" * 32 + ".png%00.html", "/media/1/" + "a" * 32 + ".PNG", "/media/" + "1/" * 5000 + "x.png",
    "/media/1/" + "a" * 32 + ".png/", "/media/01/" + "a" * 32 + ".png", "/media/1/" + "a" * 32 + ".png?x=/../../asgi.py",
])
async def test_paths_that_leave_the_media_directory_are_404(media_server, target):
    status, body = await _raw_get(media_server["port"], target)
    assert status in (400, 404, 414), (target, status)
    assert b"import" not in body and b"root:" not in body


async def test_a_symlink_inside_the_media_directory_is_not_followed_out(media_server, world):
    secret = media_server["outside"] / "secret.png"
    secret.write_bytes(png(1, 1) + b"SECRET")
    link = media_server["root"] / str(world.tenant_id) / ("b" * 32 + ".png")
    link.parent.mkdir(parents=True, exist_ok=True)
    os.symlink(secret, link)
    status, body = await _raw_get(media_server["port"], f"/media/{world.tenant_id}/{'b' * 32}.png")
    assert status == 404 and b"SECRET" not in body
