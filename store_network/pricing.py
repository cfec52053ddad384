"""Store-level prices under the network's control policy."""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce.errors import CatalogErrorCode
from commerce.models import Sku, StorePrice
from core.clock import utc_now
from core.errors import DomainError
from core.money import MAX_AMOUNT_FEN
from events import PriceChanged, emit
from store_network.access import load_store
from store_network.control import ControlLevel, NodeControl, ancestor_ids, may_change
from store_network.models import NetworkNode


async def control_chain(session: AsyncSession, tenant_id: int, path: str, attribute: str) -> list[NodeControl]:
    ids = ancestor_ids(path)
    rows = (
        await session.execute(
            select(NetworkNode.id, NetworkNode.path, getattr(NetworkNode, attribute)).where(
                NetworkNode.tenant_id == tenant_id, NetworkNode.id.in_(ids)
            )
        )
    ).all()
    by_id = {row[0]: row for row in rows}
    return [
        NodeControl(node_id=i, path=by_id[i][1], level=ControlLevel(by_id[i][2]) if by_id[i][2] else None)
        for i in ids
    ]


async def set_store_price(
    session: AsyncSession, principal: Principal, store_id: int, sku_id: int, price_fen: int | None
) -> StorePrice | None:
    """Set (or with None, clear) a store's own price for a SKU."""
    store, path = await load_store(session, principal, store_id, CatalogErrorCode, Permission.MANAGE_PRICES)
    sku = await session.scalar(select(Sku).where(Sku.id == sku_id, Sku.tenant_id == store.tenant_id))
    if sku is None:
        raise DomainError(CatalogErrorCode.NOT_FOUND, "SKU not found", "skuId")
    chain = await control_chain(session, store.tenant_id, path, "price_control")
    if not may_change(principal, chain, Permission.MANAGE_PRICES):
        raise DomainError(
            CatalogErrorCode.PRICE_LOCKED_BY_HQ, "prices for this store are set centrally (strong control)", "price"
        )
    changed = PriceChanged(
        tenant_id=store.tenant_id, at=utc_now(), store_id=store.id, sku_id=sku.id, price_fen=price_fen,
        actor_id=principal.staff_id or principal.api_key_id,
    )
    if price_fen is None:
        await session.execute(delete(StorePrice).where(StorePrice.store_id == store.id, StorePrice.sku_id == sku.id))
        await emit(session, changed)
        return None
    if price_fen < 0 or price_fen > MAX_AMOUNT_FEN:
        raise DomainError(CatalogErrorCode.AMOUNT_OUT_OF_RANGE, "price is out of range", "price")
    existing = await session.scalar(
        select(StorePrice).where(StorePrice.store_id == store.id, StorePrice.sku_id == sku.id)
    )
    if existing is None:
        existing = StorePrice(tenant_id=store.tenant_id, store_id=store.id, sku_id=sku.id, price_fen=price_fen)
        session.add(existing)
    else:
        existing.price_fen = price_fen
    await session.flush()
    await emit(session, changed)
    return existing
