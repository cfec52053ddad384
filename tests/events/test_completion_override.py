"""Staff cannot complete a code-proven order with orderTransition; the audited override
(orderComplete) ends the rider's task and frees the rider (hardening issue, item 8)."""
from __future__ import annotations

from sqlalchemy import select

from commerce.models import OrderEvent
from delivery.dispatch_models import DeliveryAssignment
from delivery.models import Rider
from tests.api import gql_documents as docs
from tests.api.helpers import pay, place_order
from tests.dispatch_api.helpers import ACCEPT, ASSIGN, PICK_UP, SHIFT_END, add_rider, delivery_order, pk, rid, rider_token


async def _picked_up(client, world) -> tuple[str, int]:
    order = await delivery_order(client, world)
    rider = await add_rider(world)
    token = rider_token(world, rider)
    assert (await world.gql(client, ASSIGN, {"o": order, "r": rid(world, rider)}, token=world.staff_token("clerk_a")))["data"]["dispatchAssign"]["errors"] == []
    await world.gql(client, ACCEPT, {"o": order}, token=token)
    assert (await world.gql(client, PICK_UP, {"o": order}, token=token))["data"]["riderPickUp"]["errors"] == []
    return order, rider


async def test_staff_cannot_complete_a_delivery_without_the_proof_code(client, world, database):
    order, rider = await _picked_up(client, world)
    for staff in ("clerk_a", "manager_a", "hq"):
        body = await world.gql(client, docs.TRANSITION, {"order": order, "status": "COMPLETED"}, token=world.staff_token(staff))
        assert [e["code"] for e in body["data"]["orderTransition"]["errors"]] == ["PROOF_REQUIRED"], body
    async with database.read() as session:
        task = await session.scalar(select(DeliveryAssignment).where(DeliveryAssignment.order_id == pk(order)))
        assert task.state == "PICKED_UP"


async def test_staff_cannot_complete_a_pickup_order_without_the_code(client, world):
    order = (await place_order(client, world, {"bread": 1}, fulfilment="STORE_PICKUP"))["order"]["id"]
    await pay(client, world, order)
    clerk = world.staff_token("clerk_a")
    for status in ("PICKING", "READY", "AWAITING_PICKUP"):
        assert (await world.gql(client, docs.TRANSITION, {"order": order, "status": status}, token=clerk))["data"]["orderTransition"]["errors"] == []
    body = await world.gql(client, docs.TRANSITION, {"order": order, "status": "COMPLETED"}, token=clerk)
    assert [e["code"] for e in body["data"]["orderTransition"]["errors"]] == ["PROOF_REQUIRED"]


async def test_a_managers_override_is_audited_and_frees_the_rider(client, world, database):
    order, rider = await _picked_up(client, world)
    # Store staff lack the permission; a reason is required.
    denied = await world.gql(client, docs.COMPLETE, {"order": order, "reason": "customer says so"}, token=world.staff_token("clerk_a"))
    assert [e["code"] for e in denied["data"]["orderComplete"]["errors"]] == ["PERMISSION_DENIED"]
    blank = await world.gql(client, docs.COMPLETE, {"order": order, "reason": "  "}, token=world.staff_token("manager_a"))
    assert [(e["code"], e["field"]) for e in blank["data"]["orderComplete"]["errors"]] == [("REQUIRED", "reason")]
    customer = await world.gql(client, docs.COMPLETE, {"order": order, "reason": "x"}, token=world.customer_token())
    assert [e["code"] for e in customer["data"]["orderComplete"]["errors"]] == ["PERMISSION_DENIED"]

    done = await world.gql(client, docs.COMPLETE, {"order": order, "reason": "rider's phone died at the door"},
                           token=world.staff_token("manager_a"))
    payload = done["data"]["orderComplete"]
    assert payload["errors"] == [] and payload["order"]["status"] == "COMPLETED", payload
    async with database.read() as session:
        task = await session.scalar(select(DeliveryAssignment).where(DeliveryAssignment.order_id == pk(order)))
        assert (task.state, task.ended_by, task.ended_by_id) == ("DELIVERED", "STAFF", world.staff_ids["manager_a"])
        assert (await session.get(Rider, rider)).status == "AVAILABLE"
        event = (await session.scalars(select(OrderEvent).where(OrderEvent.order_id == pk(order)).order_by(OrderEvent.id))).all()[-1]
    assert (event.to_status, event.actor_type, event.actor_id, event.reason) == (
        "COMPLETED", "STAFF", world.staff_ids["manager_a"], "override: rider's phone died at the door")
    # Before the fix the rider stayed BUSY with a PICKED_UP task and could never go off shift.
    ended = await world.gql(client, SHIFT_END, token=rider_token(world, rider))
    assert ended["data"]["riderShiftEnd"]["errors"] == [] and ended["data"]["riderShiftEnd"]["rider"]["status"] == "OFF_SHIFT"
