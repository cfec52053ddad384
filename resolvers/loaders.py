"""DataLoaders for every list-to-object hop; one batched query per hop per request.

Every loader filters by the caller's tenant as well as by id: an id that leaked from another
brand loads as missing, whatever path it arrived by.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from strawberry.dataloader import DataLoader

from commerce import offers
from commerce.models import CartLine, Category, Order, OrderEvent, OrderLine, Product, Sku
from core.clock import utc_now
from db.session import RequestReader
from media.models import ProductImage
from store_network.models import Store


class Loaders:
    def __init__(self, reader: RequestReader, tenant_id: int | None, customer_id: int | None = None):
        self._reader = reader
        self._tenant_id = tenant_id
        self._customer_id = customer_id  # prices may depend on who asks (member prices)
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
        self.product_image = DataLoader(self._product_image)
        self.product_images = DataLoader(self._product_images)
        self.store_zones = DataLoader(self._store_zones)

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

    async def _product_image(self, ids: list[int]):
        return await self._by_id(ProductImage, ids)

    async def _store_zones(self, store_ids: list[int]):
        """Each store's network node path (for the caller's permission check) and delivery zones,
        innermost tier first: two queries for a page of stores; None for a store of another tenant."""
        from geo.models import DeliveryZoneRow
        from store_network.models import NetworkNode

        if self._tenant_id is None:
            return [None] * len(store_ids)
        paths = dict((await self._reader.execute(
            select(Store.id, NetworkNode.path).join(NetworkNode, NetworkNode.id == Store.node_id)
            .where(Store.id.in_(set(store_ids)), Store.tenant_id == self._tenant_id))).all())
        rows = await self._reader.scalars(
            select(DeliveryZoneRow).where(DeliveryZoneRow.store_id.in_(list(paths) or [-1]), DeliveryZoneRow.tenant_id == self._tenant_id)
            .order_by(DeliveryZoneRow.store_id, DeliveryZoneRow.tier, DeliveryZoneRow.id))
        zones = _group(rows, store_ids, lambda zone: zone.store_id)
        return [(paths[s], found) if s in paths else None for s, found in zip(store_ids, zones)]

    async def _product_images(self, product_ids: list[int]):
        """Each product's gallery in order: one query for a whole page of products."""
        rows = await self._reader.scalars(
            select(ProductImage).where(ProductImage.product_id.in_(set(product_ids)), ProductImage.tenant_id == self._tenant_id)
            .order_by(ProductImage.product_id, ProductImage.position, ProductImage.id)
        )
        return _group(rows, product_ids, lambda image: image.product_id)

    async def _offers(self, keys: list[tuple[int, int]]):
        """Keys are (store_id, sku_id): priced by commerce.pricing, with stock, in one query per store."""
        if self._tenant_id is None:
            return [offers.NO_OFFER] * len(keys)
        return await offers.load_offers(self._reader, self._tenant_id, self._customer_id, utc_now(), keys)

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
