"""POST /media/upload and GET /media/{key} with local storage: sniffed types, size cap, staff
with catalog permission only, content-addressed keys, no path traversal, immutable caching."""
from __future__ import annotations

import httpx
import pytest

from auth.sms import MemorySmsSender
from core.settings import Settings
from media.sniff import sniff
from tests.media.helpers import add, jpeg, png, webp_lossless

MAX = 64 * 1024


@pytest.fixture
async def media_client(database_url, database, tmp_path):
    from app.services import build_services
    from asgi import create_app

    settings = Settings(database_url=database_url, sweeper_interval_s=0, anonymous_cache_ttl_ms=0, media_dir=str(tmp_path),
                        media_max_upload_bytes=MAX)
    app = create_app(settings, build_services(settings, database=database, sms=MemorySmsSender()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        http.media_dir = tmp_path
        yield http


def _auth(world, staff="hq"):
    return {"Authorization": f"Bearer {world.staff_token(staff)}"}


def test_sniffer_reads_type_and_size_from_the_bytes():
    assert sniff(png(3, 2))[1:] == ("png", 3, 2)
    assert sniff(jpeg(640, 480)) == ("image/jpeg", "jpg", 640, 480)
    assert sniff(webp_lossless(300, 200)) == ("image/webp", "webp", 300, 200)
    for junk in (b"", b"GIF89a....", b"<svg xmlns='http://www.w3.org/2000/svg'/>", png()[:20], b"\xff\xd8\xff\xda\x00\x02"):
        assert sniff(junk) is None


async def test_upload_then_serve_then_use_for_a_product(media_client, world):
    data = png(40, 30)
    response = await media_client.post("/media/upload", content=data, headers={**_auth(world), "Content-Type": "image/png"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["width"], body["height"], body["contentType"]) == (40, 30, "image/png")
    assert body["url"] == f"/media/{body['key']}" and body["key"].startswith(f"{world.tenant_id}/")
    again = await media_client.post("/media/upload", content=data, headers={**_auth(world), "Content-Type": "image/png"})
    assert again.json()["key"] == body["key"]  # content-addressed: a retry is the same object

    served = await media_client.get(body["url"])
    assert served.status_code == 200 and served.content == data
    assert served.headers["content-type"] == "image/png" and "immutable" in served.headers["cache-control"]

    multipart = await media_client.post("/media/upload", files={"file": ("p.jpg", jpeg(8, 9), "image/jpeg")}, headers=_auth(world))
    assert multipart.status_code == 201, multipart.text
    assert (multipart.json()["width"], multipart.json()["height"]) == (8, 9) and multipart.json()["key"].endswith(".jpg")
    # Declared PNG, really a WebP: stored and served as what it is.
    webp = await media_client.post("/media/upload", content=webp_lossless(5, 5), headers={**_auth(world), "Content-Type": "image/png"})
    assert webp.status_code == 201 and webp.json()["contentType"] == "image/webp"


async def test_upload_refusals(media_client, world):
    headers = {**_auth(world), "Content-Type": "image/png"}
    assert (await media_client.post("/media/upload", content=png(), headers={"Content-Type": "image/png"})).status_code == 401
    for staff in ("west", "manager_a"):
        denied = await media_client.post("/media/upload", content=png(), headers={**_auth(world, staff), "Content-Type": "image/png"})
        assert denied.status_code == 403
    wrong_type = await media_client.post("/media/upload", content=b"GIF89a\x01\x00\x01\x00", headers={**_auth(world), "Content-Type": "image/gif"})
    assert wrong_type.status_code == 415
    spoofed = await media_client.post("/media/upload", content=b"<svg onload=alert(1)></svg>", headers=headers)
    assert spoofed.status_code == 415 and spoofed.json()["errors"][0]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    too_big = await media_client.post("/media/upload", content=png() + b"\x00" * (MAX + 20 * 1024), headers=headers)
    assert too_big.status_code == 413
    just_over = await media_client.post("/media/upload", content=png() + b"\x00" * MAX, headers=headers)  # under the envelope allowance
    assert just_over.status_code == 413
    empty = await media_client.post("/media/upload", content=b"", headers=headers)
    assert empty.status_code in (400, 415)
    assert list(media_client.media_dir.rglob("*.*")) == []  # nothing refused was written


@pytest.mark.parametrize("path", [
    "/media/../asgi.py", "/media/..%2F..%2Fasgi.py", "/media/1/..%2F..%2F..%2Fasgi.py", "/media/%2Fetc%2Fpasswd",
    "/media/1/" + "0" * 32 + ".png", "/media/1/" + "0" * 32 + ".gif", "/media/upload",
])
async def test_get_names_only_stored_objects(media_client, world, path):
    (media_client.media_dir / "secret.png").write_bytes(png())
    response = await media_client.get(path)
    assert response.status_code in (404, 405) and response.content[:4] != b"\x89PNG"


async def test_an_uploaded_url_is_accepted_for_a_product_image(media_client, world):
    uploaded = (await media_client.post("/media/upload", content=png(12, 12), headers={**_auth(world), "Content-Type": "image/png"})).json()
    payload = await add(media_client, world, url=uploaded["url"], width=uploaded["width"], height=uploaded["height"])
    assert payload["errors"] == [] and payload["image"]["url"] == uploaded["url"]


async def test_upload_is_off_when_storage_is_not_local(database_url, database, world):
    from app.services import build_services
    from asgi import create_app

    settings = Settings(database_url=database_url, sweeper_interval_s=0, media_storage="s3", s3_endpoint="http://s3.test", s3_bucket="b")
    app = create_app(settings, build_services(settings, database=database, sms=MemorySmsSender()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
        response = await http.post("/media/upload", content=png(), headers={**_auth(world), "Content-Type": "image/png"})
        assert response.status_code == 404
        assert (await http.get("/media/1/" + "0" * 32 + ".png")).status_code == 404
