"""Stock movements as single conditional UPDATEs.

No read-then-write anywhere: the WHERE clause is the check, `rowcount` tells whether it
held. On PostgreSQL (READ COMMITTED) a waiting UPDATE re-evaluates the WHERE clause on the
row's newest version, so concurrent checkouts cannot both take the last unit; on SQLite the
write lock serialises them. The table's CHECK constraints are the backstop.
"""
from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.models import Stock
from commerce.order_status import StockEffect

_NO_SYNC = {"synchronize_session": False}


async def reserve(session: AsyncSession, store_id: int, sku_id: int, quantity: int) -> bool:
    result = await session.execute(
        update(Stock)
        .where(
            Stock.store_id == store_id,
            Stock.sku_id == sku_id,
            Stock.on_hand - Stock.reserved >= quantity,
        )
        .values(reserved=Stock.reserved + quantity),
        execution_options=_NO_SYNC,
    )
    return result.rowcount == 1


async def apply_effect(session: AsyncSession, effect: StockEffect, store_id: int, sku_id: int, quantity: int) -> bool:
    """Move reserved/on-hand for one line according to an order transition's stock effect."""
    where = [Stock.store_id == store_id, Stock.sku_id == sku_id]
    if effect is StockEffect.RELEASE:
        stmt = update(Stock).where(*where, Stock.reserved >= quantity).values(reserved=Stock.reserved - quantity)
    elif effect is StockEffect.DEDUCT:
        stmt = (
            update(Stock)
            .where(*where, Stock.reserved >= quantity, Stock.on_hand >= quantity)
            .values(reserved=Stock.reserved - quantity, on_hand=Stock.on_hand - quantity)
        )
    elif effect is StockEffect.RESTOCK:
        stmt = update(Stock).where(*where).values(on_hand=Stock.on_hand + quantity)
    else:
        return True
    result = await session.execute(stmt, execution_options=_NO_SYNC)
    return result.rowcount == 1


async def set_on_hand(session: AsyncSession, store_id: int, sku_id: int, on_hand: int) -> bool:
    """Staff stock count. Refused (False) if it would drop below what open orders already hold."""
    result = await session.execute(
        update(Stock)
        .where(Stock.store_id == store_id, Stock.sku_id == sku_id, Stock.reserved <= on_hand)
        .values(on_hand=on_hand),
        execution_options=_NO_SYNC,
    )
    return result.rowcount == 1


async def adjust_on_hand(session: AsyncSession, store_id: int, sku_id: int, delta: int) -> bool:
    """Receive (+) or write off (-) stock; a write-off may not eat into reserved stock."""
    result = await session.execute(
        update(Stock)
        .where(Stock.store_id == store_id, Stock.sku_id == sku_id, Stock.on_hand + delta >= Stock.reserved)
        .values(on_hand=Stock.on_hand + delta),
        execution_options=_NO_SYNC,
    )
    return result.rowcount == 1
