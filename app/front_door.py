"""The one ASGI layer every request passes before routing: ids, headers, size, ambiguity.

It does, in this order, what four separate middlewares used to do:

1. a request id per HTTP request and WebSocket connection (app/request_log.py: kept from a
   well-formed incoming `X-Request-Id`, otherwise fresh), set for logging and echoed as
   `X-Request-Id`;
2. requests naming their brand or identity ambiguously (two `X-Tenant`, `Authorization` and
   `X-Api-Key` together) are refused before anything reads them (app/credential_headers.py);
3. request bodies over the limit for their path are refused with 413 before anything parses
   them: at once when `Content-Length` says so, otherwise as the body streams in;
4. `X-Content-Type-Options: nosniff` on every HTTP response, errors and 413s included.

Why one layer: each ASGI middleware wraps `send` and walks the header list again; four of them
cost a cached storefront hit (no GraphQL, no database) about as much as the cache itself
(bench/hot_paths.py). Here the request headers are read in one pass and the response headers
are rewritten once.
"""
from __future__ import annotations

import json

from app.credential_headers import SELECTING_HEADER_BYTES, scope_ambiguity
from app.request_log import INCOMING_REQUEST_ID, new_request_id, request_id_var

_REPLACED = frozenset((b"x-request-id", b"x-content-type-options"))
_NOSNIFF = (b"x-content-type-options", b"nosniff")


class FrontDoor:
    def __init__(self, app, max_body_bytes: int, per_path_prefix: dict[str, int] | None = None):
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.per_path_prefix = tuple((per_path_prefix or {}).items())

    async def __call__(self, scope, receive, send):
        kind = scope["type"]
        if kind != "http" and kind != "websocket":
            return await self.app(scope, receive, send)
        headers = scope.get("headers") or ()
        incoming = declared = None
        selecting = 0
        for key, value in headers:
            key = key.lower()  # uvicorn sends lower-case names already; other servers may not
            if key == b"x-request-id":
                incoming = value.decode("latin-1")
            elif key == b"content-length":
                declared = value
            elif key in SELECTING_HEADER_BYTES:
                selecting += 1
        request_id = incoming if incoming and INCOMING_REQUEST_ID.match(incoming) else new_request_id()
        # Only a request with two or more tenant/credential headers can be ambiguous.
        problem = scope_ambiguity(headers) if selecting > 1 else None
        token = request_id_var.set(request_id)
        try:
            if kind == "websocket":
                await self._websocket(scope, receive, send, problem, request_id)
            else:
                await self._http(scope, receive, send, problem, request_id, declared)
        finally:
            request_id_var.reset(token)

    # `problem`: why the tenant/credential headers are ambiguous, or None.
    async def _websocket(self, scope, receive, send, problem, request_id):
        if problem is not None:
            # Closing before accept makes the server answer the handshake with 403.
            return await send({"type": "websocket.close", "code": 1008, "reason": problem[:120]})
        id_header = (b"x-request-id", request_id.encode("ascii"))

        async def send_with_id(message):
            if message["type"] == "websocket.accept":
                kept = [(k, v) for k, v in message.get("headers", ()) if k.lower() != b"x-request-id"]
                message = {**message, "headers": [*kept, id_header]}
            await send(message)

        await self.app(scope, receive, send_with_id)

    async def _http(self, scope, receive, send, problem, request_id, declared):
        added = (_NOSNIFF, (b"x-request-id", request_id.encode("ascii")))

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", ()) if k.lower() not in _REPLACED]
                message = {**message, "headers": [*kept, *added]}
            await send(message)

        if problem is not None:
            return await _send_json(send_with_headers, 400, {"errors": [{"message": problem, "extensions": {"code": "AMBIGUOUS_CREDENTIALS"}}]})
        path = scope.get("path", "")
        limit = next((n for prefix, n in self.per_path_prefix if path.startswith(prefix)), self.max_body_bytes)
        if declared is not None and declared.isdigit() and int(declared) > limit:
            return await _too_large(send_with_headers, limit)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLarge:
            await _too_large(send_with_headers, limit)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send, limit: int) -> None:
    await _send_json(send, 413, {"errors": [{"message": f"request body larger than {limit} bytes"}]})


async def _send_json(send, status: int, document: dict) -> None:
    body = json.dumps(document).encode()
    await send({
        "type": "http.response.start",
        "status": status,
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
    })
    await send({"type": "http.response.body", "body": body})
