"""Keeping report_store_day current: listeners on the order and refund events.

They run inside the transaction that changed the order (events.emit), so the rollup commits or
rolls back with the change. Each fact is first recorded in report_fact (INSERT ... ON CONFLICT
DO NOTHING on its (kind, source row)); only the listener call that inserted it adds to the
counters, so hearing the same fact twice never counts it twice. Counters move by an upsert
whose UPDATE is `x = x + excluded.x`: concurrent orders of one store cannot lose an update.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.models import Order
from core.clock import utc_now
from events import OrderTransitioned, register
from events.types import RefundSucceeded
from payments.models import PaymentRefund
from reports import facts
from reports.models import COUNTERS, ReportFact, ReportStoreDay
from store_network.models import Store


def _insert(session: AsyncSession, table):
    return (postgresql.insert if session.bind.dialect.name == "postgresql" else sqlite.insert)(table)


async def add(session: AsyncSession, tenant_id: int, store_id: int, day: date, counters: dict[str, int]) -> None:
    """Add `counters` to the store's row for `day`, creating the row if it is the day's first fact."""
    values = {name: int(counters.get(name, 0)) for name in COUNTERS}
    statement = _insert(session, ReportStoreDay.__table__).values(tenant_id=tenant_id, store_id=store_id, day=day, **values)
    statement = statement.on_conflict_do_update(
        index_elements=["store_id", "day"],
        set_={name: ReportStoreDay.__table__.c[name] + statement.excluded[name] for name in COUNTERS},
    )
    await session.execute(statement)


async def first_time(session: AsyncSession, tenant_id: int, kind: str, source_id: int) -> bool:
    """Record the fact; False if it was already recorded (a redelivery)."""
    statement = _insert(session, ReportFact.__table__).values(
        tenant_id=tenant_id, kind=kind, source_id=source_id, created_at=utc_now(),
    ).on_conflict_do_nothing(index_elements=["kind", "source_id"])
    result = await session.execute(statement)
    return result.rowcount == 1


async def _count(session: AsyncSession, tenant_id: int, kind: str, source_id: int, store_id: int, at, counters) -> None:
    if not await first_time(session, tenant_id, kind, source_id):
        return
    timezone = await session.scalar(select(Store.timezone).where(Store.id == store_id))
    await add(session, tenant_id, store_id, facts.local_day(at, timezone), counters)


async def on_order_transition(session: AsyncSession, event: OrderTransitioned) -> None:
    if event.to_status not in ("PAID", "CANCELLED", "COMPLETED", "REFUNDED"):
        return
    # Columns read fresh: the identity map's Order may predate this transition.
    row = (await session.execute(
        select(Order.total_fen, Order.promised_by).where(Order.id == event.order_id)
    )).one()
    kind, counters = None, None
    if event.to_status == "PAID":
        kind, counters = "PAID", facts.paid_counters(row.total_fen, event.fulfilment_type)
    elif event.to_status == "CANCELLED":
        kind, counters = "CANCELLED", {"cancelled": 1}
    elif event.to_status == "COMPLETED":
        if event.from_status == "DELIVERING" and event.fulfilment_type == facts.SAME_CITY and row.promised_by is not None:
            kind, counters = "DELIVERED", facts.delivered_counters(event.at, row.promised_by)
    else:  # REFUNDED: all the order's money went back, less what partial refunds already returned
        partials = await session.scalar(
            select(func.coalesce(func.sum(PaymentRefund.amount_fen), 0))
            .where(PaymentRefund.order_id == event.order_id, PaymentRefund.status == "SUCCEEDED",
                   PaymentRefund.updated_at <= event.at))
        kind, counters = "ORDER_REFUND", {"refunds": 1, "refund_fen": row.total_fen - int(partials)}
    if kind is not None:
        await _count(session, event.tenant_id, kind, event.order_id, event.store_id, event.at, counters)


async def on_refund_succeeded(session: AsyncSession, event: RefundSucceeded) -> None:
    row = (await session.execute(select(Order.status, Order.store_id).where(Order.id == event.order_id))).one()
    if row.status == "REFUNDED":
        return  # the whole-order refund already counted everything that was left
    await _count(session, event.tenant_id, "REFUND", event.refund_id, row.store_id, event.at,
                 {"refunds": 1, "refund_fen": event.amount_fen})


def register_listeners() -> None:
    """Idempotent (events.register ignores a repeat)."""
    register(OrderTransitioned, on_order_transition)
    register(RefundSucceeded, on_refund_succeeded)
