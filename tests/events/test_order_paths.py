"""Every path that changes an order's status leaves one outbox row and one tracking message,
after commit; a rolled-back change leaves neither (issue: domain events, item 1)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from asgi import sweep_once
from commerce.models import Order
from commerce.order_status import ActorType, OrderStatus
from commerce.orders import apply_transition
from core.clock import utc_now
from delivery.board.engine import run_partition
from delivery.dispatch_models import DeliveryAssignment
from delivery.models import Rider
from tests.api import gql_documents as docs
from tests.api.helpers import pay, place_order, send_callback
from tests.dispatch_api.helpers import (
    ACCEPT, ASSIGN, DELIVER, PICK_UP, PROOF, add_rider, delivery_order, partition_of, pk, rid, rider_token,
)
from tests.events.helpers import outbox_rows, watching


def _last(rows, type_):
    matching = [payload for t, payload in rows if t == type_]
    assert matching, rows
    return matching[-1]


async def test_staff_transition_is_published_and_recorded(client, world):
    order = await delivery_order(client, world, status="PAID")
    async with watching(world, order) as watch:
        moved = await world.gql(client, docs.TRANSITION, {"order": order, "status": "PICKING"}, token=world.staff_token("clerk_a"))
        assert moved["data"]["orderTransition"]["errors"] == []
        message = await watch.next_status()
    assert (message["orderStatus"], message["orderId"]) == ("PICKING", pk(order))
    row = _last(await outbox_rows(world, order), "order.status_changed")
    assert (row["from_status"], row["to_status"], row["actor_type"], row["actor_id"]) == (
        "PAID", "PICKING", "STAFF", world.staff_ids["clerk_a"])


async def test_checkout_and_payment_callback(client, world):
    placed = await place_order(client, world, {"bread": 1})
    order = placed["order"]["id"]
    created = _last(await outbox_rows(world, order), "order.created")
    assert created["total_fen"] > 0 and created["fulfilment_type"] == "SAME_CITY_DELIVERY"
    async with watching(world, order) as watch:
        assert (await pay(client, world, order))["outcome"] == "PAID"
        message = await watch.next_status()
    assert message["orderStatus"] == "PAID"
    paid = _last(await outbox_rows(world, order), "order.paid")
    assert (paid["from_status"], paid["actor_type"]) == ("UNPAID", "SYSTEM")


async def test_customer_cancel(client, world):
    order = (await place_order(client, world, {"milk": 1}, fulfilment="STORE_PICKUP"))["order"]["id"]
    async with watching(world, order) as watch:
        body = await world.gql(client, docs.CANCEL, {"order": order}, token=world.customer_token())
        assert body["data"]["orderCancel"]["errors"] == []
        message = await watch.next_status()
    assert message["orderStatus"] == "CANCELLED"
    row = _last(await outbox_rows(world, order), "order.cancelled")
    assert (row["actor_type"], row["reason"]) == ("CUSTOMER", "changed my mind")


async def test_expiry_sweep(client, world, database, services):
    order = (await place_order(client, world, {"milk": 1}, fulfilment="STORE_PICKUP"))["order"]["id"]
    async with database.write() as session:
        await session.execute(update(Order).where(Order.id == pk(order)).values(expires_at=utc_now() - timedelta(seconds=1)))
    async with watching(world, order) as watch:
        assert await sweep_once(services) >= 1
        message = await watch.next_status()
    assert message["orderStatus"] == "CANCELLED"
    row = _last(await outbox_rows(world, order), "order.cancelled")
    assert (row["actor_type"], row["reason"]) == ("SYSTEM", "expired")


async def test_staff_refund_ends_the_riders_task_and_frees_the_rider(client, world, database):
    order = await delivery_order(client, world)
    rider = await add_rider(world)
    assigned = await world.gql(client, ASSIGN, {"o": order, "r": rid(world, rider)}, token=world.staff_token("clerk_a"))
    assert assigned["data"]["dispatchAssign"]["errors"] == []
    async with database.read() as session:
        assert (await session.get(Rider, rider)).status == "BUSY"
    async with watching(world, order) as watch:
        body = await world.gql(client, docs.REFUND, {"order": order}, token=world.staff_token("manager_a"))
        assert body["data"]["orderRefund"]["errors"] == [], body
        message = await watch.next_status()
    assert (message["orderStatus"], message["taskState"]) == ("REFUNDED", "CANCELLED")
    assert _last(await outbox_rows(world, order), "order.refunded")["actor_type"] == "STAFF"
    async with database.read() as session:
        task = await session.scalar(select(DeliveryAssignment).where(DeliveryAssignment.order_id == pk(order)))
        assert (task.state, task.ended_by) == ("CANCELLED", "STAFF")
        assert (await session.get(Rider, rider)).status == "AVAILABLE"


async def test_rider_flow_publishes_each_transition_once(client, world):
    order = await delivery_order(client, world)
    rider = await add_rider(world)
    token = rider_token(world, rider)
    await world.gql(client, ASSIGN, {"o": order, "r": rid(world, rider)}, token=world.staff_token("clerk_a"))
    await world.gql(client, ACCEPT, {"o": order}, token=token)
    async with watching(world, order) as watch:
        assert (await world.gql(client, PICK_UP, {"o": order}, token=token))["data"]["riderPickUp"]["errors"] == []
        picked = await watch.next_status()
        code = (await world.gql(client, PROOF, {"o": order}, token=world.customer_token()))["data"]["node"]["deliveryProof"]["code"]
        assert (await world.gql(client, DELIVER, {"o": order, "c": code}, token=token))["data"]["riderDeliver"]["errors"] == []
        done = await watch.next_status()
    assert (picked["orderStatus"], picked["taskState"], picked["riderId"]) == ("DELIVERING", "PICKED_UP", rider)
    assert (done["orderStatus"], done["taskState"]) == ("COMPLETED", "DELIVERED")
    rows = await outbox_rows(world, order)
    transitions = [(p["to_status"], p["actor_type"]) for t, p in rows if t == "order.status_changed"]
    assert transitions[-2:] == [("DELIVERING", "RIDER"), ("COMPLETED", "RIDER")]


async def test_dispatch_engine_records_and_publishes_its_assignment(client, world, database):
    from events.models import DomainEventRecord

    order = await delivery_order(client, world)  # its checkout rostered a rider on shift
    async with watching(world, order) as watch:
        outcome = await run_partition(database, await partition_of(world), utc_now(), trigger="test", hub=world.services.tracking)
        assert list(outcome.assigned) == [pk(order)], outcome
        rider = outcome.assigned[pk(order)]
        message = await watch.next_status()
    assert (message["taskState"], message["riderId"]) == ("ASSIGNED", rider)
    async with database.read() as session:
        row = await session.scalar(select(DomainEventRecord).where(
            DomainEventRecord.tenant_id == world.tenant_id, DomainEventRecord.type == "delivery_task.changed"))
    assert (row.payload["order_id"], row.payload["state"], row.payload["by"]) == (pk(order), "ASSIGNED", "ENGINE")


async def test_a_rolled_back_change_leaves_no_row_and_no_message(client, world, database):
    order = await delivery_order(client, world, status="PAID")
    before = await outbox_rows(world, order)

    class Abort(Exception):
        pass

    async with watching(world, order) as watch:
        try:
            async with database.write() as session:
                row = await session.get(Order, pk(order))
                await apply_transition(session, row, OrderStatus.REFUNDED, actor=ActorType.SYSTEM, actor_id=None, now=utc_now())
                raise Abort
        except Abort:
            pass
        # A savepoint rolled back inside a committed transaction drops its message too.
        async with database.write() as session:
            try:
                async with session.begin_nested():
                    row = await session.get(Order, pk(order))
                    await apply_transition(session, row, OrderStatus.REFUNDED, actor=ActorType.SYSTEM, actor_id=None, now=utc_now())
                    raise Abort
            except Abort:
                pass
        assert await outbox_rows(world, order) == before
        moved = await world.gql(client, docs.TRANSITION, {"order": order, "status": "PICKING"}, token=world.staff_token("clerk_a"))
        assert moved["data"]["orderTransition"]["errors"] == []
        message = await watch.next_status()
    assert message["orderStatus"] == "PICKING"  # the first message on the channel: nothing leaked before it
    assert [(t, p["to_status"]) for t, p in (await outbox_rows(world, order))[len(before):]] == [("order.status_changed", "PICKING")]


async def test_a_late_payment_is_not_an_order_event(client, world, database):
    """A callback for an expired order changes no order status: no order event, no message."""
    order = (await place_order(client, world, {"milk": 1}, fulfilment="STORE_PICKUP"))["order"]["id"]
    body = await world.gql(client, docs.PAY, {"order": order, "key": "pay-late-0001"}, token=world.customer_token())
    ref = body["data"]["orderPay"]["clientPayload"]
    import json

    ref = json.loads(ref) if isinstance(ref, str) else ref
    body = await world.gql(client, docs.CANCEL, {"order": order}, token=world.customer_token())
    before = await outbox_rows(world, order)
    response = await send_callback(client, world, ref["providerRef"], ref["amount"])
    assert response.json()["outcome"] == "REFUND_REQUIRED"
    assert await outbox_rows(world, order) == before
