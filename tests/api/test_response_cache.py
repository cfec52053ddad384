"""The anonymous micro-cache serves repeated storefront reads and nothing else."""
from __future__ import annotations

import dataclasses

import httpx
import pytest

from asgi import create_app

QUERY = "query($s: ID!) { store(id: $s) { name products(first: 2) { edges { node { skus { stock { quantityAvailable } } } } } } }"


@pytest.fixture
async def cached_client(services):
    settings = dataclasses.replace(services.settings, anonymous_cache_ttl_ms=60_000)
    app = create_app(settings, dataclasses.replace(services, settings=settings))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


async def _post(client, world, query, variables, token=None):
    headers = {"X-Tenant": world.slug}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)


async def test_repeated_anonymous_reads_are_served_from_the_cache(cached_client, world):
    first = await _post(cached_client, world, QUERY, {"s": world.store("a")})
    second = await _post(cached_client, world, QUERY, {"s": world.store("a")})
    assert "x-qiandian-cache" not in first.headers
    assert second.headers["x-qiandian-cache"] == "HIT"
    assert second.json() == first.json()
    other_store = await _post(cached_client, world, QUERY, {"s": world.store("b")})
    assert "x-qiandian-cache" not in other_store.headers


async def test_signed_in_reads_mutations_and_errors_bypass_the_cache(cached_client, world):
    token = world.customer_token()
    for _ in range(2):
        signed_in = await _post(cached_client, world, QUERY, {"s": world.store("a")}, token=token)
        assert "x-qiandian-cache" not in signed_in.headers
    mutation = "mutation { requestLoginCode(input: {mobile: \"123\"}) { errors { code } } }"
    for _ in range(2):
        response = await _post(cached_client, world, mutation, {})
        assert "x-qiandian-cache" not in response.headers
    broken = "{ store(id: \"nope\") { name } }"
    for _ in range(2):
        response = await _post(cached_client, world, broken, {})
        assert "x-qiandian-cache" not in response.headers


async def test_a_cold_key_is_computed_once_for_concurrent_requests_and_refreshed_without_a_stampede():
    import asyncio
    import json

    from app.response_cache import AnonymousQueryCache

    calls = 0

    async def slow_app(scope, receive, send):
        nonlocal calls
        calls += 1
        await receive()
        await asyncio.sleep(0.05)
        payload = json.dumps({"data": {"n": calls}}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": payload})

    cache = AnonymousQueryCache(slow_app, ttl_s=0.2)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=cache), base_url="http://test")
    body = {"query": "{ store { name } }"}
    first = await asyncio.gather(*(client.post("/graphql", json=body) for _ in range(10)))
    assert calls == 1
    assert {r.json()["data"]["n"] for r in first} == {1}
    await asyncio.sleep(0.25)  # expired: one request refreshes, the rest get the stale copy meanwhile
    second = await asyncio.gather(*(client.post("/graphql", json=body) for _ in range(10)))
    assert calls == 2
    assert {r.headers.get("x-qiandian-cache") for r in second} <= {None, "STALE"}
    assert sum(r.headers.get("x-qiandian-cache") == "STALE" for r in second) == 9
    await client.aclose()
