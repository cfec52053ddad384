"""Where uploaded media live: behind one small interface, chosen by settings.

Keys are content-addressed ("{tenant}/{sha256 prefix}.{ext}"): the same bytes always get the
same key, so an upload retried is the same object, and a URL never changes what it points at,
which is why /media/{key} may be cached for a year ("immutable").
"""
from __future__ import annotations

import asyncio
import hashlib
import os
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import NamedTuple, Protocol

import httpx

from media import sigv4
from media.sniff import CONTENT_TYPES

KEY = re.compile(r"^[1-9][0-9]{0,18}/[0-9a-f]{32}\.(png|jpg|webp)$")


class StoredObject(NamedTuple):
    key: str
    url: str


class MediaStorageError(Exception):
    """The storage backend refused or could not be reached."""


def object_key(tenant_id: int, data: bytes, extension: str) -> str:
    return f"{tenant_id}/{hashlib.sha256(data).hexdigest()[:32]}.{extension}"


def content_type_of(key: str) -> str:
    return CONTENT_TYPES[key.rsplit(".", 1)[-1]]


class MediaStorage(Protocol):
    is_local: bool

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject: ...

    def url_for(self, key: str) -> str: ...

    def issued(self, url: str) -> bool:
        """Is `url` one this storage handed out (so an image may point at it)?"""
        ...


class LocalDiskStorage:
    """Files under one directory, served by this app at /media/{key} (development, one host)."""

    is_local = True

    def __init__(self, root: Path | str, public_base_url: str = ""):
        self.root = Path(root)
        self.prefix = f"{public_base_url.rstrip('/')}/media/"

    def url_for(self, key: str) -> str:
        return self.prefix + key

    def path_of(self, key: str) -> Path | None:
        """The file of a well-formed key, or None: the key pattern admits no '..', no absolute
        path and no separator but the one after the tenant, so nothing outside `root` is named."""
        if not KEY.fullmatch(key):
            return None
        path = (self.root / key).resolve()
        return path if path.is_relative_to(self.root.resolve()) else None

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        path = self.path_of(key)
        if path is None:
            raise MediaStorageError(f"malformed key {key!r}")
        await asyncio.to_thread(_write_atomically, path, data)
        return StoredObject(key, self.url_for(key))

    async def read(self, key: str) -> bytes | None:
        path = self.path_of(key)
        if path is None:
            return None
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def issued(self, url: str) -> bool:
        if not url.startswith(self.prefix):
            return False
        path = self.path_of(url[len(self.prefix):])
        return path is not None and path.is_file()


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():  # content-addressed: the same key is the same bytes
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


class S3CompatibleStorage:
    """Any S3 API (AWS S3, Aliyun OSS in S3 mode, Tencent COS, MinIO): a path-style PUT signed
    with SigV4 (media.sigv4). Objects are read from `public_base_url` (a CDN or the bucket's
    public endpoint), never through this app."""

    is_local = False

    def __init__(self, endpoint: str, bucket: str, region: str, access_key: str, secret_key: str,
                 public_base_url: str = "", transport: httpx.AsyncBaseTransport | None = None, timeout_s: float = 10.0):
        self.endpoint = endpoint.rstrip("/")
        self.bucket = bucket
        self.region = region
        self.access_key = access_key
        self.secret_key = secret_key
        self.public_prefix = f"{(public_base_url or f'{self.endpoint}/{bucket}').rstrip('/')}/"
        self._transport = transport
        self._timeout_s = timeout_s

    def url_for(self, key: str) -> str:
        return self.public_prefix + key

    def issued(self, url: str) -> bool:
        return url.startswith(self.public_prefix) and bool(KEY.fullmatch(url[len(self.public_prefix):]))

    def signed_put(self, key: str, data: bytes, content_type: str, now: datetime | None = None) -> tuple[str, dict[str, str]]:
        """The URL and headers of the PUT (split out so tests can check the signature)."""
        url = f"{self.endpoint}/{self.bucket}/{key}"
        amz_date = (now or datetime.now(timezone.utc)).strftime("%Y%m%dT%H%M%SZ")
        payload = hashlib.sha256(data).hexdigest()
        headers = {
            "host": httpx.URL(url).netloc.decode(),
            "content-type": content_type,
            "x-amz-content-sha256": payload,
            "x-amz-date": amz_date,
        }
        headers["authorization"] = sigv4.authorization(
            "PUT", url, headers, payload, access_key=self.access_key, secret_key=self.secret_key,
            region=self.region, service="s3", amz_date=amz_date,
        )
        return url, headers

    async def put(self, key: str, data: bytes, content_type: str) -> StoredObject:
        if not KEY.fullmatch(key):
            raise MediaStorageError(f"malformed key {key!r}")
        url, headers = self.signed_put(key, data, content_type)
        try:
            async with httpx.AsyncClient(transport=self._transport, timeout=self._timeout_s) as client:
                response = await client.put(url, content=data, headers=headers)
        except httpx.HTTPError as exc:
            raise MediaStorageError(f"object storage unreachable: {type(exc).__name__}") from exc
        if response.status_code // 100 != 2:
            raise MediaStorageError(f"object storage answered {response.status_code}")
        return StoredObject(key, self.url_for(key))


def storage_from_settings(settings) -> MediaStorage:
    if settings.media_storage == "s3":
        return S3CompatibleStorage(settings.s3_endpoint, settings.s3_bucket, settings.s3_region, settings.s3_access_key,
                                   settings.s3_secret_key, public_base_url=settings.media_public_base_url)
    return LocalDiskStorage(settings.media_root, settings.media_public_base_url)
