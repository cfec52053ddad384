"""media.sigv4 against AWS's published Signature Version 4 examples, and S3CompatibleStorage's
PUT against a fake S3 endpoint (a small Starlette app that checks the signature itself)."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from core.settings import Settings
from media import sigv4
from media.storage import MediaStorageError, S3CompatibleStorage, object_key
from tests.media.helpers import png

# The example credentials of AWS's documentation ("Signature Calculations for the Authorization
# Header", Amazon S3 API Reference) and of the SigV4 test suite (get-vanilla).
S3_KEY, S3_SECRET = "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_s3_get_object_example():
    headers = {"Host": "examplebucket.s3.amazonaws.com", "Range": "bytes=0-9", "x-amz-content-sha256": sigv4.EMPTY_SHA256,
               "x-amz-date": "20130524T000000Z"}
    value = sigv4.authorization("GET", "https://examplebucket.s3.amazonaws.com/test.txt", headers, sigv4.EMPTY_SHA256,
                                access_key=S3_KEY, secret_key=S3_SECRET, region="us-east-1", service="s3", amz_date="20130524T000000Z")
    assert value == ("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                     "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                     "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")


def test_s3_put_object_example():
    body = b"Welcome to Amazon S3."
    payload = hashlib.sha256(body).hexdigest()
    assert payload == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"
    headers = {"Date": "Fri, 24 May 2013 00:00:00 GMT", "Host": "examplebucket.s3.amazonaws.com", "x-amz-date": "20130524T000000Z",
               "x-amz-storage-class": "REDUCED_REDUNDANCY", "x-amz-content-sha256": payload}
    value = sigv4.authorization("PUT", "https://examplebucket.s3.amazonaws.com/test$file.text", headers, payload,
                                access_key=S3_KEY, secret_key=S3_SECRET, region="us-east-1", service="s3", amz_date="20130524T000000Z")
    assert value.endswith("SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class, "
                          "Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")


def test_sigv4_test_suite_get_vanilla():
    headers = {"Host": "example.amazonaws.com", "X-Amz-Date": "20150830T123600Z"}
    value = sigv4.authorization("GET", "https://example.amazonaws.com/", headers, sigv4.EMPTY_SHA256, access_key="AKIDEXAMPLE",
                                secret_key="wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", region="us-east-1", service="service",
                                amz_date="20150830T123600Z")
    assert value == ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                     "SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")


def _fake_s3(objects: dict, secret: str):
    """Answers a PUT only when its signature, recomputed here from what arrived, matches."""

    async def put(request: Request) -> Response:
        body = await request.body()
        auth = request.headers.get("authorization", "")
        signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";") if "SignedHeaders=" in auth else []
        headers = {name: request.headers[name] for name in signed}
        if request.headers.get("x-amz-content-sha256") != hashlib.sha256(body).hexdigest():
            return Response("bad digest", status_code=400)
        expected = sigv4.authorization("PUT", str(request.url), headers, hashlib.sha256(body).hexdigest(), access_key="AK",
                                       secret_key=secret, region="cn-hangzhou", service="s3", amz_date=request.headers["x-amz-date"])
        if auth != expected or "content-type" not in signed:
            return Response("SignatureDoesNotMatch", status_code=403)
        objects[request.path_params["key"]] = (body, request.headers["content-type"])
        return Response(status_code=200)

    return Starlette(routes=[Route("/media-bucket/{key:path}", put, methods=["PUT"])])


async def test_s3_storage_puts_a_signed_object_the_endpoint_accepts():
    objects: dict = {}
    transport = httpx.ASGITransport(app=_fake_s3(objects, "s3cr3t"))
    storage = S3CompatibleStorage("http://s3.test", "media-bucket", "cn-hangzhou", "AK", "s3cr3t",
                                  public_base_url="https://img.example.com", transport=transport)
    data = png()
    key = object_key(7, data, "png")
    stored = await storage.put(key, data, "image/png")
    assert stored.url == f"https://img.example.com/{key}" and objects[key] == (data, "image/png")
    assert storage.issued(stored.url) and not storage.issued("https://img.example.com/7/../../x.png")
    wrong = S3CompatibleStorage("http://s3.test", "media-bucket", "cn-hangzhou", "AK", "not-the-secret", transport=transport)
    with pytest.raises(MediaStorageError):
        await wrong.put(key, data, "image/png")


def test_signed_put_is_deterministic_for_a_given_time():
    storage = S3CompatibleStorage("https://s3.test", "b", "us-east-1", "AK", "SK")
    at = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
    url, headers = storage.signed_put("1/" + "a" * 32 + ".png", b"x", "image/png", at)
    assert url == "https://s3.test/b/1/" + "a" * 32 + ".png" and headers["x-amz-date"] == "20261206T120000Z"
    assert headers == storage.signed_put("1/" + "a" * 32 + ".png", b"x", "image/png", at)[1]


def test_s3_settings_need_their_secrets_in_production():
    with pytest.raises(RuntimeError, match="S3_ACCESS_KEY"):
        Settings(environment="production", secret_key="p" * 40, payment_callback_secret="q" * 40, media_storage="s3",
                 s3_endpoint="https://s3.test", s3_bucket="b")
    with pytest.raises(RuntimeError, match="S3_ENDPOINT"):
        Settings(media_storage="s3")
    with pytest.raises(RuntimeError, match="MEDIA_STORAGE"):
        Settings(media_storage="ftp")
    assert not Settings(media_storage="s3", s3_endpoint="https://s3.test", s3_bucket="b").media_upload_allowed
