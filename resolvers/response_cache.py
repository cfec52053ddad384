"""A micro-cache for anonymous storefront reads.

A storefront page is the same for every anonymous visitor of a store, so for a short TTL
(1 s by default) the API answers identical anonymous queries from memory, the way a CDN
micro-caches a Storefront API. Staleness is bounded by the TTL and harmless: prices and
stock are re-checked atomically at checkout. Never cached: anything with credentials,
mutations, error responses.

Expiry never causes a stampede: one request refreshes an expired entry while the others
are answered from the stale copy (at most one TTL older), and on a cold key the others
wait for that one request instead of all executing the same query.
"""
from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections import OrderedDict

_NOT_A_QUERY = re.compile(rb"\b(mutation|subscription)\b")


class AnonymousQueryCache:
    def __init__(self, app, ttl_s: float, max_entries: int = 2048, path: str = "/graphql"):
        self.app = app
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.path = path
        self._entries: OrderedDict[bytes, tuple[float, bytes]] = OrderedDict()
        self._in_flight: dict[bytes, asyncio.Future] = {}

    def _key(self, scope, body: bytes) -> bytes | None:
        headers = dict(scope.get("headers") or [])
        if b"authorization" in headers or b"x-api-key" in headers or _NOT_A_QUERY.search(body):
            return None
        return hashlib.sha256(headers.get(b"x-tenant", b"") + b"\0" + body).digest()

    async def __call__(self, scope, receive, send):
        if self.ttl_s <= 0 or scope["type"] != "http" or scope["method"] != "POST" or scope["path"] != self.path:
            return await self.app(scope, receive, send)
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        key = self._key(scope, body)
        replayed = False

        async def replay():
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        if key is None:
            return await self.app(scope, replay, send)
        entry = self._entries.get(key)
        if entry is not None and entry[0] > time.monotonic():
            self._entries.move_to_end(key)
            return await _send_json(send, entry[1], b"HIT")
        pending = self._in_flight.get(key)
        if pending is not None:
            if entry is not None:
                return await _send_json(send, entry[1], b"STALE")
            payload = await asyncio.shield(pending)
            if payload is not None:
                return await _send_json(send, payload, b"HIT")
            return await self.app(scope, replay, send)
        future = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        status, parts = 200, []

        async def capture(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
            await send(message)

        payload = None
        try:
            await self.app(scope, replay, capture)
            candidate = b"".join(parts)
            if status == 200 and b'"errors"' not in candidate:
                payload = candidate
                self._entries[key] = (time.monotonic() + self.ttl_s, payload)
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        finally:
            del self._in_flight[key]
            future.set_result(payload)


async def _send_json(send, payload: bytes, cache_status: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                (b"x-qiandian-cache", cache_status),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
