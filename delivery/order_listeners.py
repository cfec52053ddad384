"""Delivery's reactions to order events, plugged in at start-up (events.wiring).

Commerce emits the events and knows nothing of what follows; all of it runs in the
transaction of the order change:
  * the slot hold is BOOKED on payment (with the pickup code) and RELEASED on cancel/refund;
  * a terminal order (completed, cancelled, refunded) ends its active delivery task and frees the rider;
  * every transition is published to the order's live-tracking channel once it commits, and
    to its store's board channel (delivery.store_feed).
Checkout's slot reservation is a port (commerce.ports), set here too.
"""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from commerce import ports
from commerce.models import Order
from delivery import holds, promise
from delivery.board import assignments
from delivery.board.riders import TRACKED
from delivery.tracking import publish_after_commit
from events import OrderTransitioned, register

TERMINAL = ("COMPLETED", "CANCELLED", "REFUNDED")


async def update_slot_hold(session: AsyncSession, event: OrderTransitioned) -> None:
    # The identity map's row is the one apply_transition planned from: its slot fields are
    # the pre-transition ones, which is what holds.on_order_transition expects.
    order = await session.get(Order, event.order_id)
    await holds.on_order_transition(session, order, event.to_status, event.at)


async def end_delivery_task(session: AsyncSession, event: OrderTransitioned) -> None:
    if event.to_status in TERMINAL:
        await assignments.end_for_terminal_order(
            session, event.order_id, event.to_status, by=event.actor_type, by_id=event.actor_id,
            reason=event.reason or event.to_status.lower(), now=event.at,
        )


async def publish_status(session: AsyncSession, event: OrderTransitioned) -> None:
    """One STATUS message per transition, whatever made it (staff, customer, payment, sweep,
    rider, engine); the orderTracking subscription completes on a terminal status."""
    task = await assignments.latest_assignment(session, event.order_id)
    rider_id = task.rider_id if task is not None and (task.state in TRACKED or task.state == "DELIVERED") else None
    publish_after_commit(session, event.tenant_id, event.order_id, {
        "type": "STATUS", "orderId": event.order_id, "orderStatus": event.to_status,
        "taskState": task.state if task is not None else None, "riderId": rider_id, "at": event.at.isoformat(),
    })


def register_listeners() -> None:
    """Idempotent: registering again changes nothing."""
    ports.set_slot_holder(promise.hold_for_checkout)
    register(OrderTransitioned, update_slot_hold)
    register(OrderTransitioned, end_delivery_task)
    register(OrderTransitioned, publish_status)  # last: it reports the task state the others left
    from delivery import store_feed

    store_feed.register_listeners()  # store-wide board events (storeBoardEvents), after the above
