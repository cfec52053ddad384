"""A document's validation is cached by its text (app/validation.py): no request gets past a
limit because another request with the same text was accepted, and the caches stay bounded."""
from __future__ import annotations

import json

from graphql import parse

from app.limits import DocumentLimits
from app.response_cache import AnonymousQueryCache
from app.validation import DOCUMENT_CHECKS, MAX_CACHED_TEXT, DocumentChecks

SERVING = "query($l: [ServingCartLineInput!]!) { servingStore(lines: $l, location: {longitude: 120.16, latitude: 30.28}) { tier } }"
REMOVE = "mutation($i: CartLinesRemoveInput!) { cartLinesRemove(input: $i) { errors { code } } }"


async def post(client, world, query: str, variables: dict | None = None) -> dict:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers={"X-Tenant": world.slug})
    assert response.status_code == 200, response.text
    return response.json()


def codes(body: dict) -> list[str | None]:
    return [e.get("extensions", {}).get("code") for e in body.get("errors") or []]


def graphql_schema(app):
    endpoint = next(r.endpoint for r in app.routes if getattr(r, "path", None) == "/graphql")
    return endpoint.schema._schema


async def test_same_text_with_longer_list_variables_is_still_refused(client, world):
    short = [{"skuId": world.sku("milk"), "quantity": 1}]
    assert "LIST_TOO_LONG" not in codes(await post(client, world, SERVING, {"l": short}))
    hits = DOCUMENT_CHECKS.hits
    refused = await post(client, world, SERVING, {"l": short * 101})
    assert codes(refused) == ["LIST_TOO_LONG"] and refused.get("data") is None
    assert DOCUMENT_CHECKS.hits == hits + 1  # the text's analysis came from the cache, the list was still counted
    assert "LIST_TOO_LONG" not in codes(await post(client, world, SERVING, {"l": short}))

    # A list inside an input object, the same way.
    small = {"storeId": world.store("a"), "skuIds": [world.sku("milk")]}
    assert "LIST_TOO_LONG" not in codes(await post(client, world, REMOVE, {"i": small}))
    huge = {"storeId": world.store("a"), "skuIds": [world.sku("milk")] * 1001}
    assert codes(await post(client, world, REMOVE, {"i": huge})) == ["LIST_TOO_LONG"]


async def test_a_refused_text_is_refused_every_time(client, world):
    deep = "{ viewer { " + "addresses { " * 40 + "id" + " }" * 40 + " } }"
    first, second = await post(client, world, deep), await post(client, world, deep)
    assert "QUERY_TOO_DEEP" in codes(first) and codes(first) == codes(second)
    assert first.get("data") is None and second.get("data") is None


def test_the_cache_is_bounded_and_keyed_by_limits(app):
    schema = graphql_schema(app)
    checks = DocumentChecks(maxsize=4)
    texts = [f"{{ a{i}: viewer {{ kind }} }}" for i in range(10)]
    for text in texts:
        assert not checks.get(schema, text, parse(text), (), DocumentLimits(), False).errors
    assert len(checks) == 4 and checks.misses == 10
    checks.get(schema, texts[0], parse(texts[0]), (), DocumentLimits(), False)  # evicted: analysed again
    assert checks.misses == 11
    checks.get(schema, texts[-1], parse(texts[-1]), (), DocumentLimits(), False)
    assert checks.hits == 1

    # The same text under stricter limits is a different entry, refused.
    strict = checks.get(schema, texts[-1], parse(texts[-1]), (), DocumentLimits(max_aliases=0), False)
    assert [e.extensions["code"] for e in strict.errors] == ["TOO_MANY_ALIASES"]
    assert not checks.get(schema, texts[-1], parse(texts[-1]), (), DocumentLimits(), False).errors

    # A very long text is analysed every time and never kept.
    padded = "{ viewer { kind } }" + " " * MAX_CACHED_TEXT
    before = len(checks)
    assert not checks.get(schema, padded, parse(padded), (), DocumentLimits(), False).errors
    assert len(checks) == before


async def test_the_servers_document_cache_stays_within_its_bound(client, world, monkeypatch):
    monkeypatch.setattr(DOCUMENT_CHECKS, "maxsize", 5)
    for i in range(12):
        assert (await post(client, world, f"{{ n{i}: viewer {{ kind }} }}"))["data"]["n" + str(i)]["kind"]
    assert len(DOCUMENT_CHECKS) <= 5


async def test_the_response_caches_body_memo_is_bounded_and_never_caches_a_mutation():
    cache = AnonymousQueryCache(app=None, ttl_s=1.0, max_entries=3)
    scope = {"headers": [(b"x-tenant", b"t"), (b"content-type", b"application/json")]}
    mutation = json.dumps({"query": "mutation { logout(input: {}) { errors { code } } }"}).encode()
    assert await cache._key(scope, mutation) is None and await cache._key(scope, mutation) is None
    keys = set()
    for i in range(10):
        body = json.dumps({"query": "{ viewer { kind } }", "variables": {"i": i}}).encode()
        keys.add(await cache._key(scope, body))
    assert None not in keys and len(keys) == 10
    assert len(cache._bodies) <= 3
    escaped = json.dumps({"query": "\\u006dutation { logout(input: {}) { errors { code } } }"}).encode().replace(b"\\\\u006d", b"\\u006d")
    assert await cache._key(scope, escaped) is None and await cache._key(scope, escaped) is None
