"""Distribution's reactions to order events (registered from events.wiring), all in the
transaction of the order change: attribution at checkout, accrual on payment, the settle
date on completion, reversal on refund."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from distribution import attribution, commission
from events import OrderCreated, OrderPaid, OrderRefunded, OrderStatusChanged, register


async def on_paid(session: AsyncSession, event: OrderPaid) -> None:
    await commission.accrue_order(session, event.tenant_id, event.order_id, event.at)


async def on_status(session: AsyncSession, event: OrderStatusChanged) -> None:
    if event.to_status == "COMPLETED":  # delivered, or collected at the store
        await commission.schedule_settlement(session, event.tenant_id, event.order_id, event.at)


async def on_refunded(session: AsyncSession, event: OrderRefunded) -> None:
    await commission.reverse_order(session, event.tenant_id, event.order_id, event.at)


def register_listeners() -> None:
    """Idempotent: registering again changes nothing."""
    register(OrderCreated, attribution.attribute_order)
    register(OrderPaid, on_paid)
    register(OrderStatusChanged, on_status)
    register(OrderRefunded, on_refunded)
