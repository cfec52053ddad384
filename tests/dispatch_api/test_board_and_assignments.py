"""Staff side: the board, dispatchNow, manual pins the engine respects, unassign."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.clock import utc_now
from delivery.board.engine import run_partition
from delivery.dispatch_models import DeliveryAssignment, DispatchPlanRecord
from tests.dispatch_api.helpers import (
    ASSIGN, BOARD, DISPATCH_NOW, POSITIONS, UNASSIGN, add_rider, delivery_order, order_row, partition_of, pk, rid, rider_token,
    set_all_riders,
)


def _codes(payload):
    return [e["code"] for e in payload["errors"]]


async def test_board_lists_orders_by_state_with_time_left_on_the_promise(client, world):
    ready = await delivery_order(client, world, status="READY")
    paid = await delivery_order(client, world, status="PAID", customer="bob")
    body = await world.gql(client, BOARD, {"s": world.store("a")}, token=world.staff_token("clerk_a"))
    board = body["data"]["dispatchBoard"]
    assert board["partition"] == await partition_of(world)
    by_id = {o["orderId"]: o for o in board["orders"]}
    assert set(by_id) == {ready, paid}
    assert by_id[ready]["orderStatus"] == "READY" and by_id[paid]["orderStatus"] == "PAID"
    assert {o["dispatchState"] for o in board["orders"]} == {"UNASSIGNED"}
    row = await order_row(world, ready)
    expected = (row.promised_by - utc_now()).total_seconds()
    assert abs(by_id[ready]["secondsLeft"] - expected) <= 5
    lanes = {lane["state"]: [o["orderId"] for o in lane["orders"]] for lane in board["lanes"]}
    assert sorted(lanes["UNASSIGNED"]) == sorted([ready, paid]) and lanes["ASSIGNED"] == []
    assert board["riders"] and all(r["status"] in ("AVAILABLE", "BUSY") for r in board["riders"])
    # A late promise shows as negative time left.
    async with world.services.database.write() as session:
        from commerce.models import Order

        (await session.get(Order, pk(paid))).promised_by = utc_now() - timedelta(minutes=5)
    body = await world.gql(client, BOARD, {"s": world.store("a")}, token=world.staff_token("clerk_a"))
    late = next(o for o in body["data"]["dispatchBoard"]["orders"] if o["orderId"] == paid)
    assert -320 <= late["secondsLeft"] <= -295
    assert body["data"]["dispatchBoard"]["orders"][0]["orderId"] == paid  # most urgent first
    # Customers, and staff of other stores, see no board.
    assert (await world.gql(client, BOARD, {"s": world.store("a")}, token=world.customer_token()))["data"]["dispatchBoard"] is None
    assert (await world.gql(client, BOARD, {"s": world.store("c")}, token=world.staff_token("clerk_a")))["data"]["dispatchBoard"] is None


async def test_dispatch_now_assigns_a_rider_on_shift(client, world):
    order = await delivery_order(client, world)
    await set_all_riders(world, "OFF_SHIFT")
    off = await add_rider(world, status="OFF_SHIFT")
    on = await add_rider(world)
    body = await world.gql(client, DISPATCH_NOW, {"o": order}, token=world.staff_token("clerk_a"))
    payload = body["data"]["dispatchNow"]
    assert payload["errors"] == [], payload
    task = payload["task"]
    assert task["state"] == "ASSIGNED" and task["riderId"] == rid(world, on) and task["assignedBy"] == "ENGINE"
    assert task["pinned"] is False and task["riderId"] != rid(world, off)
    again = (await world.gql(client, DISPATCH_NOW, {"o": order}, token=world.staff_token("clerk_a")))["data"]["dispatchNow"]
    assert again["task"]["id"] == task["id"]  # a retry is a no-op
    board = (await world.gql(client, BOARD, {"s": world.store("a")}, token=world.staff_token("clerk_a")))["data"]["dispatchBoard"]
    entry = next(o for o in board["orders"] if o["orderId"] == order)
    assert entry["dispatchState"] == "ASSIGNED" and entry["task"]["riderId"] == rid(world, on)
    rider = next(r for r in board["riders"] if r["id"] == rid(world, on))
    assert rider["status"] == "BUSY" and [s["orderId"] for s in rider["route"]] == [order]
    assert board["suggestion"]["status"] == "committed" and board["suggestion"]["committed"] >= 1
    # Customers cannot dispatch; nor can a pickup order be dispatched.
    denied = (await world.gql(client, DISPATCH_NOW, {"o": order}, token=world.customer_token()))["data"]["dispatchNow"]
    assert _codes(denied) == ["PERMISSION_DENIED"]


async def test_dispatch_now_without_riders_is_a_clear_outcome(client, world):
    order = await delivery_order(client, world)
    await set_all_riders(world, "OFF_SHIFT")
    payload = (await world.gql(client, DISPATCH_NOW, {"o": order}, token=world.staff_token("clerk_a")))["data"]["dispatchNow"]
    # The engine hands an order nobody can serve to the courier seam (recorded, reason given) or reports no rider.
    assert payload["errors"] and _codes(payload) == ["NO_RIDER_AVAILABLE"] or payload["task"]["state"] == "HANDED_TO_COURIER"


async def test_a_manual_pin_is_respected_by_the_next_engine_run(client, world):
    order = await delivery_order(client, world)
    other = await delivery_order(client, world, customer="bob")
    await set_all_riders(world, "OFF_SHIFT")
    near, far = await add_rider(world), await add_rider(world)
    # The far rider is 8 km away: the engine alone would send the near one.
    for rider, (lon, lat) in ((near, (120.1551, 30.2741)), (far, (120.23, 30.31))):
        sent = await world.gql(client, POSITIONS, {"p": [{"longitude": lon, "latitude": lat, "system": "WGS84"}]}, token=rider_token(world, rider))
        assert sent["data"]["riderPositionReport"]["errors"] == [], sent
    pinned = (await world.gql(client, ASSIGN, {"o": order, "r": rid(world, far)}, token=world.staff_token("clerk_a")))["data"]["dispatchAssign"]
    assert pinned["errors"] == [] and pinned["task"]["pinned"] is True and pinned["task"]["assignedBy"] == "STAFF"
    row = await order_row(world, order)
    outcome = await run_partition(world.services.database, await partition_of(world), utc_now(), trigger="test")
    assert outcome.status == "committed", outcome
    async with world.services.database.read() as session:
        active = (await session.scalars(select(DeliveryAssignment).where(DeliveryAssignment.order_id == row.id))).all()
        plan = await session.get(DispatchPlanRecord, outcome.plan_id)
    assert [(a.rider_id, a.state, a.pinned) for a in active] == [(far, "ASSIGNED", True)]
    assert any(s["order"] == row.id for s in plan.suggestion["routes"][str(far)])  # planned on the pinned rider
    assert outcome.planned[row.id] == far
    assert pk(other) in outcome.planned  # the free order is planned too (bundled or not: the engine's call)
    # Staff's pin survives further runs as well.
    await run_partition(world.services.database, await partition_of(world), utc_now(), trigger="test")
    async with world.services.database.read() as session:
        active = (await session.scalars(select(DeliveryAssignment).where(DeliveryAssignment.order_id == row.id))).all()
    assert [(a.rider_id, a.state, a.pinned) for a in active] == [(far, "ASSIGNED", True)]


async def test_unassign_releases_the_order_and_its_pin(client, world):
    order = await delivery_order(client, world)
    rider = await add_rider(world)
    await world.gql(client, ASSIGN, {"o": order, "r": rid(world, rider)}, token=world.staff_token("clerk_a"))
    released = (await world.gql(client, UNASSIGN, {"o": order}, token=world.staff_token("clerk_a")))["data"]["dispatchUnassign"]
    assert released["errors"] == [] and released["task"]["state"] == "RELEASED"
    again = (await world.gql(client, UNASSIGN, {"o": order}, token=world.staff_token("clerk_a")))["data"]["dispatchUnassign"]
    assert _codes(again) == ["NOT_ASSIGNED"]
    board = (await world.gql(client, BOARD, {"s": world.store("a")}, token=world.staff_token("clerk_a")))["data"]["dispatchBoard"]
    assert next(o for o in board["orders"] if o["orderId"] == order)["dispatchState"] == "UNASSIGNED"
    # Bad input is a typed error, never a 500.
    for variables, code in (({"o": "nope", "r": rid(world, rider)}, "INVALID"), ({"o": order, "r": world.store("a")}, "NOT_FOUND")):
        bad = (await world.gql(client, ASSIGN, variables, token=world.staff_token("clerk_a")))["data"]["dispatchAssign"]
        assert _codes(bad) == [code], bad
    off = await add_rider(world, status="OFF_SHIFT")
    bad = (await world.gql(client, ASSIGN, {"o": order, "r": rid(world, off)}, token=world.staff_token("clerk_a")))["data"]["dispatchAssign"]
    assert _codes(bad) == ["RIDER_NOT_ON_SHIFT"]
