"""A micro-cache for anonymous storefront reads.

A storefront page is the same for every anonymous visitor of a store, so for a short TTL
(1 s by default) the API answers identical anonymous queries from memory, the way a CDN
micro-caches a Storefront API. Staleness is bounded by the TTL and harmless: prices and
stock are re-checked atomically at checkout. Never cached: anything with credentials,
mutations, error responses.

The key is the *resolved* tenant (not the raw X-Tenant bytes) and the body; whether a request
is cacheable is decided from the parsed document, never from the raw body: JSON may spell
`mutation` as `\\u006dutation`, and only a body holding exactly one `query` operation is
cached. Requests with a repeated tenant or credential header never reach here
(app/credential_headers.py); the cache still refuses them itself.

Expiry never causes a stampede: one request refreshes an expired entry while the others
are answered from the stale copy (at most one TTL older), and on a cold key the others
wait for that one request instead of all executing the same query.
"""
from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

TenantResolver = Callable[[str | None], Awaitable[int | None]]

# Per brand, a number in every cache key: forget_tenant moves it on, so this process's cached
# pages of that brand are missed at once (a storefront publish shows on the next request here;
# other processes still answer from their copies for at most the TTL).
_generations: dict[int | None, int] = {}


def forget_tenant(tenant_id: int) -> None:
    _generations[tenant_id] = _generations.get(tenant_id, 0) + 1


async def _no_tenants(_slug: str | None) -> int | None:
    return None


class AnonymousQueryCache:
    def __init__(
        self,
        app,
        ttl_s: float,
        max_entries: int = 2048,
        path: str = "/graphql",
        resolve_tenant: TenantResolver = _no_tenants,
    ):
        self.app = app
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self.path = path
        self.resolve_tenant = resolve_tenant  # X-Tenant value -> tenant id, as app/context.py does it
        self._entries: OrderedDict[tuple, tuple[float, bytes]] = OrderedDict()  # (tenant, generation, body digest) ->
        self._in_flight: dict[tuple, asyncio.Future] = {}
        self._query_only: OrderedDict[bytes, bool] = OrderedDict()  # document digest -> is a single query
        self._bodies: OrderedDict[bytes, bool] = OrderedDict()  # body digest -> is a single query

    async def _key(self, scope, body: bytes) -> tuple[int | None, int, bytes] | None:
        tenant_slugs, anonymous, json_body = [], True, False
        for name, value in scope.get("headers") or []:
            name = name.lower()
            if name == b"x-tenant":
                tenant_slugs.append(value.decode("latin-1"))
            elif name in (b"authorization", b"x-api-key"):
                anonymous = False
            elif name == b"content-type":
                json_body = b"application/json" in value.lower()
        if not anonymous or not json_body or len(tenant_slugs) > 1:
            return None
        body_digest = hashlib.sha256(body).digest()
        # A repeated body (every cache hit) skips the JSON parse: the answer depends on the bytes alone.
        single = self._bodies.get(body_digest)
        if single is None:
            single = self._bodies[body_digest] = self._is_single_query(body)
            while len(self._bodies) > self.max_entries:
                self._bodies.popitem(last=False)
        else:
            self._bodies.move_to_end(body_digest)
        if not single:
            return None
        tenant_id = await self.resolve_tenant(tenant_slugs[0] if tenant_slugs else None)
        # The brand's generation: a storefront publish bumps it (forget_tenant), so no page cached
        # before the publish is served after it.
        return (tenant_id, _generations.get(tenant_id, 0), body_digest)  # hashed once; a tuple needs no second digest

    def _is_single_query(self, body: bytes) -> bool:
        """True iff the body is one JSON object whose `query` is a document with exactly one
        operation, a `query`. Parsed as the GraphQL server parses it, so no spelling of
        `mutation` passes; answers are remembered per document (parsing costs more than a hit)."""
        try:
            request = json.loads(body, object_pairs_hook=_unique_keys)
        except (ValueError, UnicodeDecodeError):
            return False
        document = request.get("query") if isinstance(request, dict) else None
        if not isinstance(document, str):
            return False
        digest = hashlib.sha256(document.encode("utf-8", "surrogatepass")).digest()
        known = self._query_only.get(digest)
        if known is None:
            try:
                operations = [d for d in parse(document, no_location=True).definitions if isinstance(d, OperationDefinitionNode)]
            except GraphQLError:
                operations = []
            known = len(operations) == 1 and operations[0].operation is OperationType.QUERY
            self._query_only[digest] = known
            while len(self._query_only) > self.max_entries:
                self._query_only.popitem(last=False)
        return known

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
        key = await self._key(scope, body)
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


def _unique_keys(pairs):
    # A repeated key ({"query": .., "query": ..}) could be read differently by another parser.
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("repeated key")
    return dict(pairs)


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
