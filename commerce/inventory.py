"""Staff stock operations on one store: counts, receipts and write-offs.

Lives in commerce, beside the stock arithmetic it drives (commerce.stock): store_network sits
below commerce and never imports it.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce import stock
from commerce.errors import CatalogErrorCode
from commerce.models import Sku, Stock
from commerce.quantities import MAX_GRAMS_PER_LINE
from core.clock import utc_now
from core.errors import DomainError
from events import StockChanged, emit
from store_network.access import load_store
from store_network.control import ControlledAttribute
from store_network.policies import require_may_change

MAX_STOCK = MAX_GRAMS_PER_LINE * 10_000  # 1,000 t of a weighed good; anything above is a typo


async def set_stock(
    session: AsyncSession, principal: Principal, store_id: int, sku_id: int, *, on_hand: int | None = None, delta: int | None = None
) -> Stock:
    """Either record a count (`on_hand`) or a movement (`delta`), never both."""
    if (on_hand is None) == (delta is None):
        raise DomainError(CatalogErrorCode.INVALID, "give exactly one of onHand or delta", "onHand")
    store, path = await load_store(session, principal, store_id, CatalogErrorCode, Permission.MANAGE_STOCK)
    sku = await session.scalar(select(Sku).where(Sku.id == sku_id, Sku.tenant_id == store.tenant_id))
    if sku is None:
        raise DomainError(CatalogErrorCode.NOT_FOUND, "SKU not found", "skuId")
    await require_may_change(
        session, principal, store.tenant_id, path, ControlledAttribute.STOCK, Permission.MANAGE_STOCK,
        "onHand" if on_hand is not None else "delta",
    )
    value = on_hand if on_hand is not None else delta
    field = "onHand" if on_hand is not None else "delta"
    if abs(value) > MAX_STOCK or (on_hand is not None and on_hand < 0):
        raise DomainError(CatalogErrorCode.AMOUNT_OUT_OF_RANGE, "stock quantity is out of range", field)
    if value % sku.quantity_step:
        raise DomainError(CatalogErrorCode.INVALID, f"stock must be a multiple of {sku.quantity_step}", field)
    row = await session.scalar(select(Stock).where(Stock.store_id == store.id, Stock.sku_id == sku.id))
    if row is None:
        if (on_hand if on_hand is not None else delta) < 0:
            raise DomainError(CatalogErrorCode.INSUFFICIENT_STOCK, "cannot write off stock that is not there", field)
        session.add(Stock(tenant_id=store.tenant_id, store_id=store.id, sku_id=sku.id, on_hand=value, reserved=0))
        await session.flush()
    else:
        ok = await (
            stock.set_on_hand(session, store.id, sku.id, on_hand)
            if on_hand is not None
            else stock.adjust_on_hand(session, store.id, sku.id, delta)
        )
        if not ok:
            raise DomainError(
                CatalogErrorCode.INSUFFICIENT_STOCK, "stock would fall below what open orders hold", field
            )
    row = await session.scalar(
        select(Stock).where(Stock.store_id == store.id, Stock.sku_id == sku.id).execution_options(populate_existing=True)
    )
    await emit(session, StockChanged(
        tenant_id=store.tenant_id, at=utc_now(), store_id=store.id, sku_id=sku.id, on_hand=row.on_hand, reserved=row.reserved,
        actor_id=principal.staff_id or principal.api_key_id,
    ))
    return row
