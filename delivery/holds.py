"""Slot holds as conditional UPDATEs on slot_usage, like stock (commerce.stock).

reserve: make sure the (store, kind, start) usage row exists (INSERT .. ON CONFLICT DO
NOTHING), then `UPDATE .. SET used_units = used_units + :u WHERE used_units + :u <= :capacity`.
The WHERE clause is the check; on PostgreSQL a waiting UPDATE re-evaluates it on the row's
newest version, so concurrent checkouts cannot overbook; SQLite serialises writers. The
capacity passed in is computed from the roster; the race that matters (many buyers, one
slot) is on the counter, and that is atomic.

Order lifecycle (delivery.order_listeners, on the order-transition event, before the stock effect):
  HELD (unpaid) -> BOOKED on PAID; HELD/BOOKED -> RELEASED on CANCELLED/REFUNDED, giving the
  units back. Each state change is itself a compare-and-set, so a hold is released once.
"""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.models import Order
from delivery.errors import SlotKind
from delivery.models import PickupCode, SlotUsage
from delivery.slots.capacity import EXPRESS_MINUTES

_NO_SYNC = {"synchronize_session": False}


async def reserve(
    session: AsyncSession, tenant_id: int, store_id: int, kind: SlotKind, key: datetime, units: int, capacity: int
) -> bool:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(SlotUsage)
        .values(tenant_id=tenant_id, store_id=store_id, kind=kind.value, starts_at=key, used_units=0)
        .on_conflict_do_nothing(index_elements=["store_id", "kind", "starts_at"])
    )
    result = await session.execute(
        update(SlotUsage)
        .where(
            SlotUsage.store_id == store_id,
            SlotUsage.kind == kind.value,
            SlotUsage.starts_at == key,
            SlotUsage.used_units + units <= capacity,
        )
        .values(used_units=SlotUsage.used_units + units),
        execution_options=_NO_SYNC,
    )
    return result.rowcount == 1


async def release(session: AsyncSession, store_id: int, kind: str, key: datetime, units: int) -> None:
    await session.execute(
        update(SlotUsage)
        .where(
            SlotUsage.store_id == store_id,
            SlotUsage.kind == kind,
            SlotUsage.starts_at == key,
            SlotUsage.used_units >= units,
        )
        .values(used_units=SlotUsage.used_units - units),
        execution_options=_NO_SYNC,
    )


async def on_order_transition(session: AsyncSession, order, target: str, now: datetime) -> None:
    """The slot side of an order transition; `order` is the row as loaded before it."""
    if target == "PAID":
        if order.slot_state == "HELD":
            changes = {"slot_state": "BOOKED"}
            if order.slot_kind == SlotKind.EXPRESS_30.value:
                # The 30 minutes run from payment, not from the moment the cart was submitted.
                changes["promised_by"] = now + timedelta(minutes=EXPRESS_MINUTES)
            await session.execute(
                update(Order).where(Order.id == order.id, Order.slot_state == "HELD").values(**changes),
                execution_options=_NO_SYNC,
            )
        if order.fulfilment_type == "STORE_PICKUP":
            session.add(
                PickupCode(
                    tenant_id=order.tenant_id, order_id=order.id, store_id=order.store_id,
                    nonce=secrets.token_hex(16), attempts=0, issued_at=now,
                )
            )
    elif target in ("CANCELLED", "REFUNDED") and order.slot_state in ("HELD", "BOOKED"):
        result = await session.execute(
            update(Order)
            .where(Order.id == order.id, Order.slot_state.in_(("HELD", "BOOKED")))
            .values(slot_state="RELEASED"),
            execution_options=_NO_SYNC,
        )
        if result.rowcount == 1:
            await release(session, order.store_id, order.slot_kind, order.slot_starts_at, order.slot_units)
