"""POST /media/upload (staff with catalog permission) and GET /media/{key} (local storage only).

Upload: the raw image as the body with its Content-Type (image/jpeg, image/png, image/webp),
or multipart/form-data with one file part. The bytes are sniffed: the type stored and served
is what the file is, and a file that is not a PNG, JPEG or WebP is refused (415) whatever its
header says. Size is capped (settings.media_max_upload_bytes, 413 above; asgi.BodySizeLimit
refuses before reading). Answers 201 {url, key, width, height, contentType}; the URL can be
given to productImageAdd. The route exists only with local storage unless
QIANDIAN_MEDIA_UPLOAD=1 (then it uploads to the configured bucket).
"""
from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app.context import authenticate
from app.services import Services
from commerce.catalog import require_catalog_admin
from core.errors import DomainError
from media.sniff import CONTENT_TYPES, sniff
from media.storage import MediaStorageError, content_type_of, object_key

ACCEPTED = frozenset(CONTENT_TYPES.values())
CACHE_FOREVER = "public, max-age=31536000, immutable"  # keys are content hashes: a key's bytes never change
# A stored file is a sniffed PNG/JPEG/WebP header, but the bytes after it are the uploader's: a
# PNG-then-HTML polyglot opened as a page must not run. nosniff (front door) keeps the image
# type; this policy also makes the response a sandboxed, script-less, unframeable document.
SERVED_POLICY = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox; frame-ancestors 'none'"
_BOUNDARY = re.compile(r'boundary="?([^";]{1,200})"?')


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"errors": [{"code": code, "message": message}]}, status_code=status)


def _media_type(header: str) -> str:
    return header.split(";", 1)[0].strip().lower()


def _multipart_file(body: bytes, header: str) -> tuple[bytes, str] | None:
    """The first part with a filename (or named "file"): its bytes and declared type."""
    match = _BOUNDARY.search(header)
    if not match:
        return None
    delimiter = b"--" + match.group(1).encode()
    for part in body.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, sep, content = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        head_text = head.decode("latin-1").lower()
        if "filename=" in head_text or 'name="file"' in head_text:
            declared = re.search(r"content-type:\s*([^\r\n]+)", head_text)
            return content.removesuffix(b"\r\n"), _media_type(declared.group(1)) if declared else ""
    return None


async def media_upload(request: Request, services: Services) -> Response:
    settings = services.settings
    if not settings.media_upload_allowed or services.media is None:
        return _error(404, "NOT_FOUND", "uploads are not enabled here")
    principal, auth_error = await authenticate(request, services)
    if auth_error or not principal.is_authenticated:
        return _error(401, "UNAUTHENTICATED", auth_error or "send a staff bearer token")
    try:
        async with services.database.read() as session:
            tenant_id = await require_catalog_admin(session, principal)
    except DomainError as exc:
        return _error(403, exc.code.name, exc.message)
    header = request.headers.get("content-type", "")
    body = await request.body()
    if len(body) > settings.media_max_upload_bytes:
        return _error(413, "TOO_LARGE", f"images are at most {settings.media_max_upload_bytes} bytes")
    declared = _media_type(header)
    if declared == "multipart/form-data":
        found = _multipart_file(body, header)
        if found is None:
            return _error(400, "INVALID", "send one file part")
        body, declared = found
        declared = declared or "application/octet-stream"
    if declared not in ACCEPTED and declared != "application/octet-stream":
        return _error(415, "UNSUPPORTED_MEDIA_TYPE", "send image/jpeg, image/png or image/webp")
    if not body:
        return _error(400, "REQUIRED", "the body is empty")
    image = sniff(body)
    if image is None:  # whatever the header claimed
        return _error(415, "UNSUPPORTED_MEDIA_TYPE", "the file is not a JPEG, PNG or WebP image")
    if image.width > 10_000 or image.height > 10_000:
        return _error(422, "INVALID", "images are at most 10000 pixels a side")
    try:
        stored = await services.media.put(object_key(tenant_id, body, image.extension), body, image.content_type)
    except MediaStorageError as exc:
        return _error(502, "STORAGE_UNAVAILABLE", str(exc))
    return JSONResponse({"url": stored.url, "key": stored.key, "width": image.width, "height": image.height,
                         "contentType": image.content_type}, status_code=201)


async def media_file(request: Request, services: Services) -> Response:
    storage = services.media
    if storage is None or not storage.is_local:
        return _error(404, "NOT_FOUND", "not found")
    key = request.path_params["key"]
    data = await storage.read(key)  # None for a malformed key (no '..', no other directory) or a missing file
    if data is None:
        return _error(404, "NOT_FOUND", "not found")
    return Response(data, media_type=content_type_of(key), headers={
        "Cache-Control": CACHE_FOREVER, "Content-Security-Policy": SERVED_POLICY, "Cross-Origin-Resource-Policy": "cross-origin",
    })
