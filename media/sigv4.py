"""AWS Signature Version 4 for the one request we make: a PUT of an object.

Written here (about sixty lines) rather than pulling in boto3/botocore (tens of megabytes,
synchronous) or aioboto3 for a single signed PUT; httpx sends it. Checked against AWS's
published examples (tests/media/test_sigv4.py).
"""
from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl, quote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret_key}".encode(), date)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    return key


def _uri(path: str) -> str:
    # S3 signs the path as sent, each byte outside the unreserved set percent-encoded once.
    return quote(path or "/", safe="/-_.~")


def _query(query: str) -> str:
    pairs = sorted((quote(k, safe="-_.~"), quote(v, safe="-_.~")) for k, v in parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{k}={v}" for k, v in pairs)


def canonical_request(method: str, url: str, headers: dict[str, str], payload_sha256: str) -> tuple[str, str]:
    """(canonical request, signed header names) for the headers given (host must be among them)."""
    parts = urlsplit(url)
    canonical = {name.lower().strip(): " ".join(str(value).split()) for name, value in headers.items()}
    signed = ";".join(sorted(canonical))
    header_lines = "".join(f"{name}:{canonical[name]}\n" for name in sorted(canonical))
    return "\n".join([method.upper(), _uri(parts.path), _query(parts.query), header_lines, signed, payload_sha256]), signed


def authorization(
    method: str, url: str, headers: dict[str, str], payload_sha256: str, *,
    access_key: str, secret_key: str, region: str, service: str, amz_date: str,
) -> str:
    """The Authorization header value; `amz_date` is the request's x-amz-date (20130524T000000Z)."""
    request, signed = canonical_request(method, url, headers, payload_sha256)
    scope = f"{amz_date[:8]}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join([ALGORITHM, amz_date, scope, hashlib.sha256(request.encode()).hexdigest()])
    signature = hmac.new(signing_key(secret_key, amz_date[:8], region, service), string_to_sign.encode(), hashlib.sha256).hexdigest()
    return f"{ALGORITHM} Credential={access_key}/{scope}, SignedHeaders={signed}, Signature={signature}"
