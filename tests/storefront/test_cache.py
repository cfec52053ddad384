"""Anonymous storefront reads go through the micro-cache, and a publish shows at once."""
from __future__ import annotations

import dataclasses

import httpx
import pytest

from asgi import create_app
from tests.storefront.helpers import PAGE, notice, save_and_publish, section


@pytest.fixture
async def cached_client(services):
    settings = dataclasses.replace(services.settings, anonymous_cache_ttl_ms=60_000)  # far longer than the test runs
    app = create_app(settings, dataclasses.replace(services, settings=settings))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        yield client


async def _anonymous(client, world) -> httpx.Response:
    return await client.post("/graphql", json={"query": PAGE, "variables": {"store": world.store("a")}}, headers={"X-Tenant": world.slug})


async def test_a_publish_is_visible_to_the_next_anonymous_read_without_waiting_for_the_ttl(cached_client, world):
    await save_and_publish(cached_client, world, "hq", "hq", {"sections": [notice("notice", "old")]})
    first, second = await _anonymous(cached_client, world), await _anonymous(cached_client, world)
    assert second.headers.get("x-qiandian-cache") == "HIT"  # the page is served from the cache ...
    assert section(second.json()["data"]["storefront"], "notice")["text"] == "old"
    await save_and_publish(cached_client, world, "hq", "hq", {"sections": [notice("notice", "new")]})
    after = await _anonymous(cached_client, world)  # ... yet the publish shows at once, with a 60 s TTL
    assert "x-qiandian-cache" not in after.headers
    assert section(after.json()["data"]["storefront"], "notice")["text"] == "new"
    assert (await _anonymous(cached_client, world)).headers.get("x-qiandian-cache") == "HIT"
