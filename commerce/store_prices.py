"""A store's own price for a SKU (storePriceSet), under the network's price control policy.

Lives in commerce, beside the price pipeline that reads these rows (commerce.pricing):
store_network sits below commerce and only answers who may change what.
"""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce.errors import CatalogErrorCode
from commerce.models import Sku, StorePrice
from core.clock import utc_now
from core.errors import DomainError
from core.money import MAX_AMOUNT_FEN
from network_pricing import audit
from network_pricing.bands import require_in_band
from store_network.access import load_store
from store_network.control import ControlledAttribute
from store_network.models import Store
from store_network.policies import require_may_change


async def set_store_price(
    session: AsyncSession,
    principal: Principal,
    store_id: int,
    sku_id: int,
    price_fen: int | None,
    *,
    allow_free: bool = False,
    reason: str = "",
) -> tuple[Store, Sku, StorePrice | None]:
    """Set (or with None, clear) a store's own price for a SKU; returns the store, the SKU and the row.

    Zero ("0", "-0", "0.00" all parse to 0 fen) is refused unless `allow_free` says the giveaway
    is meant: an empty field or a stray minus must not put goods on the shelf for nothing. The
    flag is stored with the price. Negative prices never pass (parse_amount_to_fen refuses them).
    A price outside the band in force at the store (network_pricing.bands) is PRICE_OUT_OF_BAND.
    The change is audited (price_change) and announced (price.changed) in the same transaction.
    """
    store, path = await load_store(session, principal, store_id, CatalogErrorCode, Permission.MANAGE_PRICES)
    sku = await session.scalar(select(Sku).where(Sku.id == sku_id, Sku.tenant_id == store.tenant_id))
    if sku is None:
        raise DomainError(CatalogErrorCode.NOT_FOUND, "SKU not found", "skuId")
    await require_may_change(
        session, principal, store.tenant_id, path, ControlledAttribute.PRICES, Permission.MANAGE_PRICES, "price"
    )
    existing = await session.scalar(select(StorePrice).where(StorePrice.store_id == store.id, StorePrice.sku_id == sku.id))
    old_fen = existing.price_fen if existing is not None else None
    now = utc_now()

    async def audited() -> None:
        if old_fen != price_fen:
            change = audit.Change(node_id=store.node_id, store_id=store.id, sku_id=sku.id, old_fen=old_fen, new_fen=price_fen)
            await audit.record(session, principal, store.tenant_id, [change], source=audit.Source.STORE,
                               channel=audit.Channel.API, reason=reason, at=now)

    if price_fen is None:
        await session.execute(delete(StorePrice).where(StorePrice.store_id == store.id, StorePrice.sku_id == sku.id))
        await audited()
        return store, sku, None
    if price_fen < 0 or price_fen > MAX_AMOUNT_FEN:
        raise DomainError(CatalogErrorCode.AMOUNT_OUT_OF_RANGE, "price is out of range", "price")
    if price_fen == 0 and not allow_free:
        raise DomainError(
            CatalogErrorCode.FREE_PRICE_NOT_ALLOWED, "a price of zero gives the SKU away; send allowFree: true if meant", "price"
        )
    await require_in_band(session, store.tenant_id, path, sku.base_price_fen, price_fen, "price")
    free = price_fen == 0  # recorded only where it matters: a later non-zero price clears it
    if existing is None:
        existing = StorePrice(
            tenant_id=store.tenant_id, store_id=store.id, sku_id=sku.id, price_fen=price_fen, allow_free=free
        )
        session.add(existing)
    else:
        existing.price_fen = price_fen
        existing.allow_free = free
    await session.flush()
    await audited()
    return store, sku, existing
