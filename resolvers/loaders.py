"""DataLoaders for every list-to-object hop; one batched query per hop per request.

Every loader filters by the caller's tenant as well as by id: an id that leaked from another
brand loads as missing, whatever path it arrived by.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from strawberry.dataloader import DataLoader

from commerce.models import CartLine, Category, Order, OrderEvent, OrderLine, Product, Sku, Stock, StorePrice
from db.session import RequestReader
from store_network.models import Store


@dataclass(frozen=True, slots=True)
class Offer:
    """What a SKU costs and how much is available in one store."""

    price_override_fen: int | None
    on_hand: int
    reserved: int

    @property
    def available(self) -> int:
        return max(self.on_hand - self.reserved, 0)


NO_STOCK = Offer(None, 0, 0)


class Loaders:
    def __init__(self, reader: RequestReader, tenant_id: int | None):
        self._reader = reader
        self._tenant_id = tenant_id
        self.store = DataLoader(self._stores)
        self.category = DataLoader(self._categories)
        self.product = DataLoader(self._products)
        self.sku = DataLoader(self._skus)
        self.skus_by_product = DataLoader(self._skus_by_product)
        self.offer = DataLoader(self._offers)
        self.order = DataLoader(self._orders)
        self.order_lines = DataLoader(self._order_lines)
        self.order_events = DataLoader(self._order_events)
        self.cart_lines = DataLoader(self._cart_lines)

    async def _by_id(self, model, ids: list[int]) -> list:
        if self._tenant_id is None:
            return [None] * len(ids)
        rows = await self._reader.scalars(
            select(model).where(model.id.in_(set(ids)), model.tenant_id == self._tenant_id)
        )
        found = {row.id: row for row in rows}
        return [found.get(i) for i in ids]

    async def _stores(self, ids: list[int]):
        return await self._by_id(Store, ids)

    async def _categories(self, ids: list[int]):
        return await self._by_id(Category, ids)

    async def _products(self, ids: list[int]):
        return await self._by_id(Product, ids)

    async def _skus(self, ids: list[int]):
        return await self._by_id(Sku, ids)

    async def _orders(self, ids: list[int]):
        return await self._by_id(Order, ids)

    async def _skus_by_product(self, product_ids: list[int]):
        rows = await self._reader.scalars(
            select(Sku).where(Sku.product_id.in_(set(product_ids)), Sku.tenant_id == self._tenant_id).order_by(Sku.id)
        )
        return _group(rows, product_ids, lambda sku: sku.product_id)

    async def _offers(self, keys: list[tuple[int, int]]):
        """Keys are (store_id, sku_id); price override and stock come back in one query."""
        by_store: dict[int, set[int]] = defaultdict(set)
        for store_id, sku_id in keys:
            by_store[store_id].add(sku_id)
        pair_filter = or_(
            *(and_(Stock.store_id == store_id, Stock.sku_id.in_(skus)) for store_id, skus in by_store.items())
        )
        stock_rows = (
            await self._reader.execute(
                select(Stock.store_id, Stock.sku_id, Stock.on_hand, Stock.reserved).where(
                    pair_filter, Stock.tenant_id == self._tenant_id
                )
            )
        ).all()
        price_filter = or_(
            *(and_(StorePrice.store_id == store_id, StorePrice.sku_id.in_(skus)) for store_id, skus in by_store.items())
        )
        price_rows = (
            await self._reader.execute(
                select(StorePrice.store_id, StorePrice.sku_id, StorePrice.price_fen).where(
                    price_filter, StorePrice.tenant_id == self._tenant_id
                )
            )
        ).all()
        stock = {(r.store_id, r.sku_id): (r.on_hand, r.reserved) for r in stock_rows}
        prices = {(r.store_id, r.sku_id): r.price_fen for r in price_rows}
        result = []
        for key in keys:
            on_hand, reserved = stock.get(key, (0, 0))
            result.append(Offer(prices.get(key), on_hand, reserved))
        return result

    async def _order_lines(self, order_ids: list[int]):
        rows = await self._reader.scalars(
            select(OrderLine).where(OrderLine.order_id.in_(set(order_ids))).order_by(OrderLine.id)
        )
        return _group(rows, order_ids, lambda line: line.order_id)

    async def _order_events(self, order_ids: list[int]):
        rows = await self._reader.scalars(
            select(OrderEvent).where(OrderEvent.order_id.in_(set(order_ids))).order_by(OrderEvent.id)
        )
        return _group(rows, order_ids, lambda event: event.order_id)

    async def _cart_lines(self, cart_ids: list[int]):
        rows = await self._reader.scalars(
            select(CartLine).where(CartLine.cart_id.in_(set(cart_ids))).order_by(CartLine.id)
        )
        return _group(rows, cart_ids, lambda line: line.cart_id)


def _group(rows: Iterable, keys: list, key_of) -> list[list]:
    grouped: dict = defaultdict(list)
    for row in rows:
        grouped[key_of(row)].append(row)
    return [grouped.get(key, []) for key in keys]
