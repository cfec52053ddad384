"""What a SKU costs and how much of it is available in one store: the storefront's batch read.

One SELECT per store for a whole page or cart (stock joined to the price facts), then the
price pipeline (commerce.pricing) prices the batch.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, select

from commerce import pricing
from commerce.models import Sku, Stock
from store_sync.models import StoreListing


@dataclass(frozen=True, slots=True)
class Offer:
    price: pricing.UnitPrice | None  # None only for a SKU the tenant does not have
    on_hand: int
    reserved: int
    listed: bool = True  # False: the store de-listed it (store_sync.listing); the storefront hides it

    @property
    def available(self) -> int:
        return max(self.on_hand - self.reserved, 0)


NO_OFFER = Offer(None, 0, 0)

# Built once (every storefront page and cart runs it; building it cost more Python than running it).
_STORE = bindparam("store_id")
_OFFERS = pricing.with_price_facts(
    select(Stock.on_hand, Stock.reserved, StoreListing.listed).select_from(Sku).outerjoin(
        Stock, and_(Stock.sku_id == Sku.id, Stock.store_id == _STORE)
    ).outerjoin(StoreListing, and_(StoreListing.sku_id == Sku.id, StoreListing.store_id == _STORE)),
    _STORE,
).where(Sku.id.in_(bindparam("sku_ids", expanding=True)), Sku.tenant_id == bindparam("tenant_id"))


async def load_offers(
    db: pricing.Reader, tenant_id: int, customer_id: int | None, at: datetime, keys: list[tuple[int, int]]
) -> list[Offer]:
    """Keys are (store_id, sku_id); answers in key order."""
    by_store: dict[int, set[int]] = defaultdict(set)
    for store_id, sku_id in keys:
        by_store[store_id].add(sku_id)
    found: dict[tuple[int, int], Offer] = {}
    for store_id, sku_ids in by_store.items():
        params = {"store_id": store_id, "sku_ids": sorted(sku_ids), "tenant_id": tenant_id}
        rows = (await db.execute(_OFFERS, params)).all()
        context = pricing.PriceContext(tenant_id, store_id, customer_id, at)
        facts = [pricing.facts_from(row) for row in rows]
        prices = await pricing.price_facts(db, context, facts)
        for row, item in zip(rows, facts, strict=True):
            found[(store_id, item.sku_id)] = Offer(prices[item.sku_id], row.on_hand or 0, row.reserved or 0, row.listed is not False)
    return [found.get(key, NO_OFFER) for key in keys]
