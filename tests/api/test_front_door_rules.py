"""Front-door rules (issue 18): an unknown brand is told so, the README's limits are the code's,
and a slot-less pickup order at a closed store follows QIANDIAN_PICKUP_WHEN_CLOSED."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import httpx
from sqlalchemy import update

from auth.sms import MemorySmsSender
from store_network.models import Store
from tests.api.helpers import place_order

README = (Path(__file__).resolve().parents[2] / "README.md").read_text()


async def test_unknown_tenant_gets_unknown_tenant_not_send_the_header(client):
    for query in ("{ stores(first: 1) { edges { node { id } } } }", "{ categories { id } }",
                  "{ nearbyStores(location: {longitude: 120.16, latitude: 30.27}) { nodes { distanceMeters } } }"):
        response = await client.post("/graphql", json={"query": query}, headers={"X-Tenant": "no-such-brand"})
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "UNKNOWN_TENANT", error
        assert "no-such-brand" in error["message"] and "send the X-Tenant header" not in error["message"]
    response = await client.post("/graphql", json={"query": "{ stores(first: 1) { edges { node { id } } } }"})
    assert "send the X-Tenant header" in response.json()["errors"][0]["message"]  # none sent: say so
    login = "mutation { requestLoginCode(input: {mobile: \"+8613800000001\"}) { sent errors { code message } } }"
    body = (await client.post("/graphql", json={"query": login}, headers={"X-Tenant": "no-such-brand"})).json()
    assert [e["code"] for e in body["data"]["requestLoginCode"]["errors"]] == ["UNKNOWN_TENANT"]


def test_readme_limits_match_the_code():
    from resolvers.geo_queries import MAX_FIRST
    from resolvers.pagination import MAX_PAGE

    assert re.search(rf"`first` ≤ {MAX_PAGE}\b", README)
    assert re.search(rf"`nearbyStores` and `deliveryOptions` ≤ {MAX_FIRST}\b", README)


async def _close_store(world, key="a"):
    async with world.services.database.write() as session:
        await session.execute(update(Store).where(Store.id == world.store_ids[key]).values(business_hours={}))


async def test_slotless_pickup_at_a_closed_store_is_allowed_by_default(client, world):
    await _close_store(world)
    placed = await place_order(client, world, {"bread": 1}, fulfilment="STORE_PICKUP")
    assert placed["errors"] == [] and placed["order"]["status"] == "UNPAID"


async def test_slotless_pickup_at_a_closed_store_is_refused_when_configured(world, database):
    from app.services import build_services
    from asgi import create_app

    settings = dataclasses.replace(world.services.settings, pickup_when_closed=False)
    strict = create_app(settings, build_services(settings, database=database, sms=MemorySmsSender()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=strict), base_url="http://test") as client:
        placed = await place_order(client, world, {"bread": 1}, fulfilment="STORE_PICKUP")
        assert placed["errors"] == []  # open now: the test world's stores are open 24 h
        await _close_store(world)
        placed = await place_order(client, world, {"bread": 1}, fulfilment="STORE_PICKUP")
        assert placed["order"] is None
        assert [(e["field"], e["code"]) for e in placed["errors"]] == [("slotId", "STORE_UNAVAILABLE")]
        assert "closed" in placed["errors"][0]["message"]
