"""Store managers add, edit, suspend and reinstate riders; store staff see them; a suspended
rider's rostered hours stop counting as slot capacity."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from sqlalchemy import func, select

from core.clock import utc_now
from delivery.dispatch_models import DeliveryAssignment
from delivery.models import Rider
from delivery.errors import DeliveryErrorCode
from schema.ids import decode
from tests.api.helpers import place_order
from tests.slots.helpers import slots

E = "errors { field code message }"
FIELDS = "id name mobile status homeStoreId capacity vehicle"
CREATE = f"""mutation($s: ID!, $n: String!, $m: String!, $c: Int! = 6, $v: RiderVehicle! = E_BIKE) {{
  riderCreate(input: {{homeStoreId: $s, name: $n, mobile: $m, capacity: $c, vehicle: $v}}) {{ rider {{ {FIELDS} }} {E} }} }}"""
UPDATE = f"""mutation($i: RiderUpdateInput!) {{ riderUpdate(input: $i) {{ rider {{ {FIELDS} }} {E} }} }}"""
RIDERS = """query($s: ID!, $first: Int, $after: String) { riders(storeId: $s, first: $first, after: $after) {
  nodes { id name status } pageInfo { hasNextPage endCursor } } }"""
SHIFT = f"""mutation($r: ID!, $s: ID!, $a: DateTime!, $b: DateTime!) {{
  riderShiftAdd(input: {{riderId: $r, storeId: $s, startsAt: $a, endsAt: $b}}) {{ shift {{ id }} {E} }} }}"""


def codes(payload: dict) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def create(client, world, staff="manager_a", store="a", **variables) -> dict:
    body = await world.gql(client, CREATE, {"s": world.store(store), **variables}, token=world.staff_token(staff) if staff else None)
    return body["data"]["riderCreate"]


async def test_a_manager_adds_a_rider_whom_store_staff_then_see_and_can_roster(client, world):
    made = await create(client, world, n="  Wang Wu ", m="138 0013 8000", c=4, v="MOTORCYCLE")
    assert made["errors"] == []
    rider = made["rider"]
    assert rider["name"] == "Wang Wu" and rider["mobile"] == "+8613800138000"
    assert (rider["status"], rider["capacity"], rider["vehicle"], rider["homeStoreId"]) == ("OFF_SHIFT", 4, "MOTORCYCLE", world.store("a"))
    listed = await world.gql(client, RIDERS, {"s": world.store("a")}, token=world.staff_token("clerk_a"))
    assert rider["id"] in [r["id"] for r in listed["data"]["riders"]["nodes"]]
    # Not visible from another store's staff, another brand, or without a sign-in.
    assert (await world.gql(client, RIDERS, {"s": world.store("b")}, token=world.staff_token("clerk_a")))["data"]["riders"]["nodes"] == []
    assert (await world.gql(client, RIDERS, {"s": world.store("a")}))["data"]["riders"]["nodes"] == []
    start = utc_now() + timedelta(hours=1)
    shift = await world.gql(client, SHIFT, {"r": rider["id"], "s": world.store("a"), "a": start.isoformat(),
                                            "b": (start + timedelta(hours=4)).isoformat()}, token=world.staff_token("manager_a"))
    assert shift["data"]["riderShiftAdd"]["errors"] == []


async def test_bad_rider_input_is_a_typed_error_on_its_field(client, world):
    assert (await create(client, world, n="Li", m="13800138001"))["errors"] == []
    cases = [
        ({"n": "Li Si", "m": "12345"}, [("INVALID", "mobile")]),
        ({"n": "Li Si", "m": "+1 415 555 0100"}, [("INVALID", "mobile")]),
        ({"n": "Li Si", "m": "+86 138-0013-8001"}, [("MOBILE_TAKEN", "mobile")]),  # the same number, written differently
        ({"n": "   ", "m": "13800138002"}, [("INVALID", "name")]),
        ({"n": "x" * 101, "m": "13800138002"}, [("INVALID", "name")]),
        ({"n": "Li Si", "m": "13800138002", "c": 0}, [("INVALID", "capacity")]),
        ({"n": "Li Si", "m": "13800138002", "c": 21}, [("INVALID", "capacity")]),
    ]
    for variables, expected in cases:
        payload = await create(client, world, **variables)
        assert payload["rider"] is None and codes(payload) == expected, (variables, payload)
    unknown_vehicle = await world.gql(client, CREATE, {"s": world.store("a"), "n": "Li", "m": "13800138003", "v": "HORSE"},
                                      token=world.staff_token("manager_a"))
    assert unknown_vehicle["data"] is None and "HORSE" in unknown_vehicle["errors"][0]["message"]
    bad_id = await world.gql(client, UPDATE, {"i": {"id": "not-an-id", "name": "x"}}, token=world.staff_token("manager_a"))
    assert codes(bad_id["data"]["riderUpdate"]) == [("INVALID", "id")]


async def test_only_managers_of_the_home_store_manage_its_riders(client, world):
    assert codes(await create(client, world, staff="clerk_a", n="Li", m="13800138010")) == [("PERMISSION_DENIED", "homeStoreId")]
    assert codes(await create(client, world, staff="manager_a", store="b", n="Li", m="13800138010")) == [("PERMISSION_DENIED", "homeStoreId")]
    assert codes(await create(client, world, staff=None, n="Li", m="13800138010")) == [("UNAUTHENTICATED", None)]
    rider = (await create(client, world, n="Li", m="13800138010"))["rider"]
    moved = await world.gql(client, UPDATE, {"i": {"id": rider["id"], "homeStoreId": world.store("b")}}, token=world.staff_token("manager_a"))
    assert codes(moved["data"]["riderUpdate"]) == [("PERMISSION_DENIED", "homeStoreId")]
    by_hq = await world.gql(client, UPDATE, {"i": {"id": rider["id"], "homeStoreId": world.store("b")}}, token=world.staff_token("hq"))
    assert by_hq["data"]["riderUpdate"]["rider"]["homeStoreId"] == world.store("b")
    # Now a store-b rider: store a's manager no longer manages them.
    lost = await world.gql(client, UPDATE, {"i": {"id": rider["id"], "name": "Li II"}}, token=world.staff_token("manager_a"))
    assert codes(lost["data"]["riderUpdate"]) == [("PERMISSION_DENIED", "id")]


async def test_suspension_waits_for_carried_orders_and_takes_rostered_hours_out_of_capacity(client, world, database):
    rider = (await create(client, world, store="b", staff="hq", n="Zhao", m="13800138020"))["rider"]
    rider_pk = decode(rider["id"], "Rider", DeliveryErrorCode, "rider")
    start = utc_now().replace(minute=0, second=0, microsecond=0) + timedelta(hours=2)
    shift = await world.gql(client, SHIFT, {"r": rider["id"], "s": world.store("b"), "a": start.isoformat(),
                                            "b": (start + timedelta(hours=6)).isoformat()}, token=world.staff_token("hq"))
    assert shift["data"]["riderShiftAdd"]["errors"] == []

    async def capacity_in_shift() -> int:
        listing = await slots(client, world, "b", "alice")
        return sum(s["capacity"] for s in listing["slots"] if s["kind"] == "SLOT_60" and start <= _at(s["startsAt"]) < start + timedelta(hours=6))

    rostered = await capacity_in_shift()
    assert rostered > 0
    # Carrying an order: not suspended, nothing changes.
    order = (await place_order(client, world, {"bread": 1}, store="b"))["order"]["id"]
    async with database.write() as session:
        session.add(DeliveryAssignment(tenant_id=world.tenant_id, order_id=decode(order, "Order", DeliveryErrorCode, "order"), store_id=world.store_ids["b"],
                                       rider_id=rider_pk, state="PICKED_UP", assigned_by="STAFF"))
    refused = await world.gql(client, UPDATE, {"i": {"id": rider["id"], "suspended": True}}, token=world.staff_token("hq"))
    assert codes(refused["data"]["riderUpdate"]) == [("RIDER_HAS_ACTIVE_TASKS", "suspended")]
    async with database.write() as session:
        assignment = await session.scalar(select(DeliveryAssignment).where(DeliveryAssignment.rider_id == rider_pk))
        assignment.state, assignment.ended_at = "DELIVERED", utc_now()
    suspended = await world.gql(client, UPDATE, {"i": {"id": rider["id"], "suspended": True}}, token=world.staff_token("hq"))
    assert suspended["data"]["riderUpdate"]["rider"]["status"] == "SUSPENDED"
    assert await capacity_in_shift() < rostered  # the rider's hours no longer count
    again = await world.gql(client, UPDATE, {"i": {"id": rider["id"], "suspended": True}}, token=world.staff_token("hq"))
    assert again["data"]["riderUpdate"]["rider"]["status"] == "SUSPENDED"  # a retry is a no-op
    back = await world.gql(client, UPDATE, {"i": {"id": rider["id"], "suspended": False}}, token=world.staff_token("hq"))
    assert back["data"]["riderUpdate"]["rider"]["status"] == "OFF_SHIFT"
    assert await capacity_in_shift() == rostered


async def test_pages_of_riders_and_one_number_created_twice_at_once(client, world, database):
    made = await asyncio.gather(*(create(client, world, n=f"Racer {i}", m="13800138030") for i in range(6)))
    assert sorted(len(p["errors"]) for p in made) == [0, 1, 1, 1, 1, 1]
    assert {codes(p)[0] for p in made if p["errors"]} == {("MOBILE_TAKEN", "mobile")}
    for i in range(3):
        assert (await create(client, world, n=f"Rider {i}", m=f"1380013804{i}"))["errors"] == []
    seen, after = [], None
    while True:
        page = (await world.gql(client, RIDERS, {"s": world.store("a"), "first": 2, "after": after},
                                token=world.staff_token("manager_a")))["data"]["riders"]
        seen += [r["id"] for r in page["nodes"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    async with database.read() as session:
        total = await session.scalar(select(func.count(Rider.id)).where(Rider.home_store_id == world.store_ids["a"]))
    assert len(seen) == len(set(seen)) == total >= 4


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)
