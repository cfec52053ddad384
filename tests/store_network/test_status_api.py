"""storeStatusSet: the lifecycle through the API, compare-and-set, the event, and that a store
that is not OPEN stops trading at once (nearbyStores, servingStore, slots, checkout)."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from events.models import DomainEventRecord
from tests.api import gql_documents as docs
from tests.geo_api.helpers import NEARBY, wgs
from tests.slots.helpers import first_slot, roster, slots
from tests.store_network.helpers import STATUS_SET, call, codes
from tests.worlds import HANGZHOU
from geo.coordinates import LonLat


async def _set(client, world, to, expected=None, staff="hq", store="a"):
    return await call(client, world, STATUS_SET, {"s": world.store(store), "to": to, "expected": expected}, staff=staff)


async def _events(world) -> list[dict]:
    async with world.services.database.read() as session:
        rows = await session.scalars(
            select(DomainEventRecord.payload).where(DomainEventRecord.tenant_id == world.tenant_id, DomainEventRecord.type == "store.status_changed")
            .order_by(DomainEventRecord.id)
        )
        return list(rows)


async def _nearby_codes(client, world) -> list[str]:
    body = await world.gql(client, NEARBY, {"l": wgs(LonLat(*HANGZHOU)), "first": 10})
    assert "errors" not in body, body
    return [n["store"]["code"] for n in body["data"]["nearbyStores"]["nodes"]]


async def test_transitions_through_the_api(client, world):
    paused = await _set(client, world, "PAUSED")
    assert paused == {"store": {"status": "PAUSED"}, "changed": True, "errors": []}
    again = await _set(client, world, "PAUSED")
    assert again == {"store": {"status": "PAUSED"}, "changed": False, "errors": []}  # retry: no second event
    refused = await _set(client, world, "OPENING_SOON")
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("status", "INVALID_STATUS_TRANSITION")]
    assert (await _set(client, world, "OPEN", expected="PAUSED"))["errors"] == []
    assert (await _set(client, world, "CLOSED"))["errors"] == []
    for target in ("OPEN", "PAUSED", "OPENING_SOON"):
        assert codes(await _set(client, world, target)) == ["INVALID_STATUS_TRANSITION"]  # CLOSED is final
    events = await _events(world)
    assert [(e["from_status"], e["to_status"], e["actor_type"]) for e in events] == [
        ("OPEN", "PAUSED", "STAFF"), ("PAUSED", "OPEN", "STAFF"), ("OPEN", "CLOSED", "STAFF")]
    assert events[0]["store_id"] == world.store_ids["a"] and events[0]["actor_id"] == world.staff_ids["hq"]


async def test_compare_and_set(client, world):
    stale = await _set(client, world, "PAUSED", expected="PAUSED")  # the caller thought it was paused already
    assert stale["store"] is None and [(e["field"], e["code"]) for e in stale["errors"]] == [("expectedStatus", "STATUS_CHANGED")]
    assert (await _set(client, world, "PAUSED", expected="OPEN"))["changed"] is True
    assert codes(await _set(client, world, "CLOSED", expected="OPEN")) == ["STATUS_CHANGED"]  # someone paused it first
    assert (await _set(client, world, "PAUSED", expected="OPEN"))["changed"] is False  # the same request retried
    assert len(await _events(world)) == 1


async def test_who_may(client, world):
    assert codes(await _set(client, world, "PAUSED", staff="manager_a")) == ["PERMISSION_DENIED"]
    assert codes(await _set(client, world, "PAUSED", staff="west", store="c")) == ["PERMISSION_DENIED"]
    assert (await _set(client, world, "PAUSED", staff="west"))["errors"] == []
    anonymous = await world.gql(client, STATUS_SET, {"s": world.store("a"), "to": "OPEN", "expected": None})
    assert [e["code"] for e in anonymous["data"]["storeStatusSet"]["errors"]] == ["UNAUTHENTICATED"]


async def test_a_paused_store_leaves_nearby_stores_at_once(client, world):
    assert "A" in await _nearby_codes(client, world)  # the geo index is built and cached now
    assert (await _set(client, world, "PAUSED"))["errors"] == []
    assert "A" not in await _nearby_codes(client, world)  # no wait: the mutation invalidated this process's index
    assert (await _set(client, world, "OPEN"))["errors"] == []
    assert "A" in await _nearby_codes(client, world)


async def test_not_open_means_no_slots_no_serving_store_no_checkout(client, world):
    await roster(world, "a")
    assert any(s["available"] for s in (await slots(client, world, "a"))["slots"])
    slot = await first_slot(client, world, "a")
    token = world.customer_token()
    added = await world.gql(client, docs.ADD_LINES, {"store": world.store("a"), "lines": [{"skuId": world.sku("milk"), "quantity": 1}]}, token=token)
    assert added["data"]["cartLinesAdd"]["errors"] == []
    serving = """query($l: LocationInput!, $k: ID!) { servingStore(location: $l, lines: [{skuId: $k, quantity: 1}]) { store { code } } }"""
    near_a = wgs(LonLat(HANGZHOU[0] + 0.001, HANGZHOU[1]))
    assert (await world.gql(client, serving, {"l": near_a, "k": world.sku("milk")}))["data"]["servingStore"]["store"]["code"] == "A"
    for status in ("PAUSED",):
        assert (await _set(client, world, status))["errors"] == []
        assert not any(s["available"] for s in (await slots(client, world, "a"))["slots"])
        chosen = (await world.gql(client, serving, {"l": near_a, "k": world.sku("milk")}))["data"]["servingStore"]
        assert chosen is None or chosen["store"]["code"] != "A"
        checkout = await world.gql(client, docs.CHECKOUT, {
            "store": world.store("a"), "type": "SAME_CITY_DELIVERY", "address": world.gid("Address", world.address_ids["alice"]),
            "key": f"k-{uuid.uuid4()}", "slot": slot}, token=token)
        payload = checkout["data"]["checkoutComplete"]
        assert payload["order"] is None and [e["code"] for e in payload["errors"]] == ["STORE_UNAVAILABLE"], payload


async def test_a_new_open_store_is_offered_at_once_and_an_opening_soon_one_is_not(client, world):
    from tests.store_network.helpers import STORE_CREATE, store_input

    assert "NEW-OPEN" not in await _nearby_codes(client, world)  # index cached before the creates
    west = world.gid("NetworkNode", world.partner_ids["west"])
    near = {"longitude": HANGZHOU[0] + 0.003, "latitude": HANGZHOU[1], "system": "WGS84"}
    for code, status in (("NEW-OPEN", "OPEN"), ("NEW-SOON", "OPENING_SOON")):
        made = await call(client, world, STORE_CREATE, {"input": store_input(west, code, status=status, location=near, hours="24h")})
        assert made["errors"] == [], made
    codes_now = await _nearby_codes(client, world)
    assert "NEW-OPEN" in codes_now and "NEW-SOON" not in codes_now


def test_webhooks_may_subscribe_to_store_status_changes():
    from webhooks.endpoints import check_event_types

    assert check_event_types(["store.status_changed"]) == ["store.status_changed"]
