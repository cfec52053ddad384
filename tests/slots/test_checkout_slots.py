"""Same-city checkout holds a slot atomically with the stock; bad slots change nothing."""
from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from asgi import sweep_once
from commerce.models import Customer, Order, Stock
from core.clock import utc_now
from delivery.errors import SlotKind
from delivery.models import SlotUsage
from delivery.slots.slot_id import decode, encode
from tests.api import gql_documents as docs
from tests.api.helpers import available, pay
from tests.api.test_tenant_isolation import tenant_rows
from tests.slots.helpers import first_slot, roster, slots
from tests.worlds import build_world

SETTINGS_SET = """mutation($id: ID!, $rate: Int, $cutoff: Int) {
  deliverySettingsSet(input: {nodeId: $id, deliveriesPerRiderHour: $rate, cutoffMinutes: $cutoff}) {
    settings { effective { deliveriesPerRiderHour cutoffMinutes } } errors { field code message } } }"""


async def usage(database, world, slot: str) -> int:
    ref = decode(slot)
    async with database.read() as session:
        return await session.scalar(
            select(func.coalesce(func.sum(SlotUsage.used_units), 0)).where(
                SlotUsage.store_id == ref.store_id, SlotUsage.kind == ref.kind.value, SlotUsage.starts_at == ref.key
            )
        )


async def checkout(client, world, slot, *, customer="alice", fulfilment="SAME_CITY_DELIVERY", store="a", lines=None):
    token = world.customer_token(customer)
    for sku, qty in ({"milk": 1} if lines is None else lines).items():
        await world.gql(client, docs.ADD_LINES, {"store": world.store(store), "lines": [{"skuId": world.sku(sku), "quantity": qty}]}, token=token)
    body = await world.gql(client, docs.CHECKOUT, {
        "store": world.store(store), "type": fulfilment, "key": f"k-{uuid.uuid4()}", "slot": slot,
        "address": world.gid("Address", world.address_ids[customer]) if fulfilment != "STORE_PICKUP" else None,
    }, token=token)
    return body["data"]["checkoutComplete"]


async def test_checkout_holds_the_slot_and_stores_the_promise_and_cancel_releases_it(client, world, database):
    await roster(world)
    listing = await slots(client, world)
    assert listing["errors"] == [] and listing["timezone"] == "Asia/Shanghai"
    slot = next(s for s in listing["slots"] if s["kind"] == "SLOT_60" and s["available"])
    assert slot["startsAt"].endswith("+08:00") and slot["fee"] == {"amount": "4.00"}
    placed = await checkout(client, world, slot["id"])
    assert placed["errors"] == []
    order = placed["order"]
    assert order["deliverySlot"] == {"kind": "SLOT_60", "startsAt": _utc(slot["startsAt"]), "endsAt": _utc(slot["endsAt"])}
    assert datetime.fromisoformat(order["promisedBy"]) == datetime.fromisoformat(slot["endsAt"])
    assert await usage(database, world, slot["id"]) == 1
    again = next(s for s in (await slots(client, world))["slots"] if s["id"] == slot["id"])
    assert again["remainingCapacity"] == slot["remainingCapacity"] - 1
    cancelled = await world.gql(client, docs.CANCEL, {"order": order["id"]}, token=world.customer_token())
    assert cancelled["data"]["orderCancel"]["order"]["status"] == "CANCELLED"
    assert await usage(database, world, slot["id"]) == 0
    # A second cancel-like transition cannot release twice (the usage would go negative otherwise).
    assert (await world.gql(client, docs.CANCEL, {"order": order["id"]}, token=world.customer_token()))["data"]["orderCancel"]["errors"]
    assert await usage(database, world, slot["id"]) == 0


def _utc(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(datetime.fromisoformat("2000-01-01T00:00:00+00:00").tzinfo).isoformat()


async def test_expiry_releases_the_hold_and_payment_keeps_it(client, world, database, services):
    await roster(world)
    slot = await first_slot(client, world)
    expiring = (await checkout(client, world, slot))["order"]
    kept = (await checkout(client, world, slot, customer="bob"))["order"]
    await pay(client, world, kept["id"], customer="bob")
    assert await usage(database, world, slot) == 2
    async with database.write() as session:
        await session.execute(update(Order).where(Order.number == expiring["number"]).values(expires_at=utc_now() - timedelta(seconds=1)))
    assert await sweep_once(services) >= 1
    assert await usage(database, world, slot) == 1  # the paid one stays booked
    async with database.read() as session:
        states = dict((await session.execute(select(Order.number, Order.slot_state).where(Order.tenant_id == world.tenant_id))).all())
    assert states == {expiring["number"]: "RELEASED", kept["number"]: "BOOKED"}


async def test_express_checkout_promises_thirty_minutes_from_payment(client, world, database):
    await roster(world)
    express = (await slots(client, world))["slots"][0]
    assert express["kind"] == "EXPRESS_30" and express["available"], express
    order = (await checkout(client, world, express["id"]))["order"]
    before_pay = utc_now()
    await pay(client, world, order["id"])
    async with database.read() as session:
        promised = await session.scalar(select(Order.promised_by).where(Order.number == order["number"]))
    assert before_pay + timedelta(minutes=29) < promised <= utc_now() + timedelta(minutes=30)


async def test_bad_slots_get_typed_errors_and_reserve_nothing(client, database, services):
    world, other = await build_world(database, services), await build_world(database, services)
    await roster(world)
    await roster(world, "b")
    await roster(other)
    good = await first_slot(client, world)
    ref = decode(good)
    pickup = await first_slot(client, world, kind="PICKUP_60")
    cases = {
        None: ("SLOT_REQUIRED", "slotId"),
        "garbage": ("SLOT_INVALID", "slotId"),
        await first_slot(client, world, "b"): ("SLOT_WRONG_STORE", "slotId"),
        await first_slot(client, other): ("SLOT_WRONG_STORE", "slotId"),  # another tenant's: same answer, reveals nothing
        encode(ref.store_id, SlotKind.SLOT_60, ref.key - timedelta(hours=3)): ("SLOT_EXPIRED", "slotId"),  # a past time
        encode(ref.store_id, SlotKind.SLOT_60, ref.key + timedelta(minutes=17)): ("SLOT_INVALID", "slotId"),  # not a real slot
        encode(ref.store_id, SlotKind.SLOT_60, ref.key + timedelta(days=40)): ("SLOT_INVALID", "slotId"),  # beyond the horizon
        encode(ref.store_id, SlotKind.EXPRESS_30, ref.key - timedelta(hours=6)): ("SLOT_EXPIRED", "slotId"),  # a stale express offer
        pickup: ("SLOT_KIND_MISMATCH", "slotId"),
    }
    token = world.customer_token()
    await world.gql(client, docs.ADD_LINES, {"store": world.store("a"), "lines": [{"skuId": world.sku("milk"), "quantity": 2}]}, token=token)
    before = await tenant_rows(database, world.tenant_id)
    for slot, expected in cases.items():
        payload = await checkout(client, world, slot, lines={})
        assert payload["order"] is None and [(e["code"], e["field"]) for e in payload["errors"]] == [expected], (slot, payload)
    mismatched = await checkout(client, world, good, fulfilment="STORE_PICKUP", lines={})
    assert [e["code"] for e in mismatched["errors"]] == ["SLOT_KIND_MISMATCH"]
    assert await tenant_rows(database, world.tenant_id) == before  # no order, no hold, no stock reserved, cart kept
    assert await available(client, world, "milk") == 20 and await usage(database, world, good) == 0
    ok = await checkout(client, world, good, lines={})
    assert ok["errors"] == [] and await usage(database, world, good) == 1 and await available(client, world, "milk") == 18


async def test_a_full_slot_is_refused_at_checkout(client, world, database):
    await roster(world, hours=30)
    hq = world.staff_token("hq")
    body = await world.gql(client, SETTINGS_SET, {"id": world.gid("NetworkNode", world.hq_node_id), "rate": 1, "cutoff": None}, token=hq)
    assert body["data"]["deliverySettingsSet"]["errors"] == []
    slot = await first_slot(client, world)
    assert (await checkout(client, world, slot))["errors"] == []
    full = await checkout(client, world, slot, customer="bob")
    assert [e["code"] for e in full["errors"]] == ["SLOT_FULL"]
    listed = next(s for s in (await slots(client, world, customer="bob"))["slots"] if s["id"] == slot)
    assert (listed["available"], listed["reason"], listed["remainingCapacity"]) == (False, "FULL", 0)


async def test_concurrent_checkouts_never_overbook_a_slot(client, database, services):
    world = await build_world(database, services, stock=100)
    await roster(world)
    body = await world.gql(client, SETTINGS_SET, {"id": world.gid("NetworkNode", world.hq_node_id), "rate": 5, "cutoff": None},
                           token=world.staff_token("hq"))
    assert body["data"]["deliverySettingsSet"]["errors"] == []
    slot = await first_slot(client, world)
    buyers = 30
    async with database.write() as session:
        people = [Customer(tenant_id=world.tenant_id, mobile=f"+86136{i:08d}", name=f"b{i}") for i in range(buyers)]
        session.add_all(people)
        await session.flush()
        from commerce.models import Address

        for p in people:
            session.add(Address(tenant_id=world.tenant_id, customer_id=p.id, recipient="b", mobile=p.mobile, line="x", lon=120.16, lat=30.279))
        await session.flush()
        ids = {p.id: (await session.scalar(select(Address.id).where(Address.customer_id == p.id))) for p in people}
    tokens = {cid: services.signer.issue_pair(f"customer:{cid}", world.tenant_id).access for cid in ids}
    for token in tokens.values():
        await world.gql(client, docs.ADD_LINES, {"store": world.store("a"), "lines": [{"skuId": world.sku("milk"), "quantity": 1}]}, token=token)

    async def buy(cid):
        body = await world.gql(client, docs.CHECKOUT, {"store": world.store("a"), "type": "SAME_CITY_DELIVERY", "slot": slot,
                                                       "address": world.gid("Address", ids[cid]), "key": f"k-{uuid.uuid4()}"}, token=tokens[cid])
        return body["data"]["checkoutComplete"]

    results = await asyncio.gather(*(buy(cid) for cid in ids))
    placed = [r for r in results if r["order"]]
    assert len(placed) == 5  # 1 rider-hour x 5 per rider-hour
    assert {r["errors"][0]["code"] for r in results if not r["order"]} == {"SLOT_FULL"}
    assert await usage(database, world, slot) == 5
    async with database.read() as session:
        reserved = await session.scalar(select(Stock.reserved).where(Stock.store_id == world.store_ids["a"], Stock.sku_id == world.sku_ids["milk"]))
    assert reserved == 5  # refused checkouts left no stock behind either
