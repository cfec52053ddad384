"""Distribution's reactions to order events (registered from events.wiring), all in the
transaction of the order change: attribution at checkout, accrual on payment, the settle
date on completion, reversal on refund."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from distribution import attribution, commission
from events import OrderCreated, OrderPaid, OrderRefunded, OrderStatusChanged, register
from events.types import RefundSucceeded


async def on_paid(session: AsyncSession, event: OrderPaid) -> None:
    await commission.accrue_order(session, event.tenant_id, event.order_id, event.at)


async def on_status(session: AsyncSession, event: OrderStatusChanged) -> None:
    if event.to_status == "COMPLETED":  # delivered, or collected at the store
        await commission.schedule_settlement(session, event.tenant_id, event.order_id, event.at)


async def on_refunded(session: AsyncSession, event: OrderRefunded) -> None:
    await commission.reverse_order(session, event.tenant_id, event.order_id, event.at)


async def on_refund_succeeded(session: AsyncSession, event: RefundSucceeded) -> None:
    """A partial refund: commission back pro rata to the money refunded so far over the order's
    total (cumulative; settled commission becomes debt, as on a full refund). A redelivered event
    takes nothing more: each accrual's reversed_fen is compared-and-set to the new target and the
    ledger posting is keyed by it."""
    from commerce.models import Order
    from payments.refunds import refunded_fen_of_order

    order = await session.get(Order, event.order_id)
    refunded = await refunded_fen_of_order(session, event.order_id)
    await commission.reverse_order_share(session, event.tenant_id, event.order_id, refunded, order.total_fen, event.at)


def register_listeners() -> None:
    """Idempotent: registering again changes nothing."""
    register(OrderCreated, attribution.attribute_order)
    register(OrderPaid, on_paid)
    register(OrderStatusChanged, on_status)
    register(OrderRefunded, on_refunded)
    register(RefundSucceeded, on_refund_succeeded)
