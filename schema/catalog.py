"""Catalog types. Price and stock resolve in the store context the product was loaded in."""
from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry import relay
from strawberry.types import Info

from schema.ids import load_nodes

from commerce import models
from commerce.quantities import MAX_GRAMS_PER_LINE, MAX_UNITS_PER_LINE
from schema.common import Money
from schema.media import ProductImage
from schema.enums import PriceSource, ProductStatus, SoldBy


@strawberry.type
class Category(relay.Node):
    id: relay.NodeID[int]
    slug: str
    name: str
    position: int

    @classmethod
    def from_row(cls, row: models.Category) -> "Category":
        return cls(id=row.id, slug=row.slug, name=row.name, position=row.position)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info.context.loaders.category, node_ids, cls.from_row)


@strawberry.type(description="How much of a SKU can be bought: units, or grams for weighed goods.")
class QuantityRule:
    step: int = strawberry.field(description="Quantities must be multiples of this (1, or grams such as 250).")
    minimum: int
    maximum: int
    price_per: int = strawberry.field(description="The price is quoted per this many units or grams (e.g. 500 g).")


@strawberry.type(description="Stock of a SKU in one store.")
class StockLevel:
    quantity_available: int = strawberry.field(description="On hand minus what open orders hold; grams for weighed goods.")
    in_stock: bool


@strawberry.type(description="One step of the price pipeline that set a price, in the order the steps ran.")
class PriceComponent:
    source: PriceSource
    price: Money = strawberry.field(description="The unit price after this step.")


@strawberry.type
class Sku(relay.Node):
    id: relay.NodeID[int]
    code: str
    name: str
    barcode: str | None
    base_price: Money = strawberry.field(description="The HQ price, before any store's own price.")
    quantity_rule: QuantityRule
    price: Money | None = strawberry.field(
        description="The price in the store context (the store's own price, else HQ's); null without a store."
    )
    price_source: PriceSource | None = strawberry.field(
        default=None, description="The step that set `price` (the last of `priceBreakdown`); null without a store."
    )
    stock: StockLevel | None = strawberry.field(description="Stock in the store context; null without a store.")
    product_id: strawberry.Private[int]
    unit_price: strawberry.Private[object] = None  # commerce.pricing.UnitPrice in a store context
    currency: strawberry.Private[str] = "CNY"

    @strawberry.field(description="Where `price` came from, step by step; null without a store.")
    def price_breakdown(self) -> list[PriceComponent] | None:
        # Built only when asked for: the storefront listing should not pay for it.
        if self.unit_price is None:
            return None
        return [
            PriceComponent(source=PriceSource(c.source), price=Money.of(c.unit_price_fen, self.currency))
            for c in self.unit_price.breakdown
        ]

    @classmethod
    def from_row(cls, row: models.Sku, sold_by: str | None, offer=None, currency: str = "CNY") -> "Sku":
        """`offer` (commerce.offers: price and stock in one store) is None outside a store context."""
        maximum = MAX_GRAMS_PER_LINE if sold_by == "WEIGHT" else MAX_UNITS_PER_LINE
        price = stock = source = None
        if offer is not None:
            if offer.price is not None:
                price = Money.of(offer.price.fen, currency)
                source = PriceSource(offer.price.source)
            stock = StockLevel(quantity_available=offer.available, in_stock=offer.available > 0)
        return cls(
            id=row.id,
            code=row.code,
            name=row.name,
            barcode=row.barcode,
            base_price=Money.of(row.base_price_fen, currency),
            quantity_rule=QuantityRule(
                step=row.quantity_step, minimum=row.min_quantity, maximum=maximum, price_per=row.price_per_quantity
            ),
            price=price,
            price_source=source,
            stock=stock,
            product_id=row.product_id,
            unit_price=offer.price if offer is not None else None,
            currency=currency,
        )

    @classmethod
    async def in_store(cls, info: Info, rows: list[models.Sku], sold_by: str | None, store_id: int | None) -> list["Sku"]:
        """Price and stock are plain values resolved here in one batched load, not per field."""
        if store_id is None:
            return [cls.from_row(row, sold_by) for row in rows]
        offers = await info.context.loaders.offer.load_many([(store_id, row.id) for row in rows])
        # A SKU the store de-listed (store_sync.listing) is not on its shelves.
        return [cls.from_row(row, sold_by, offer) for row, offer in zip(rows, offers) if offer.listed]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info.context.loaders.sku, node_ids, lambda row: cls.from_row(row, None))


@strawberry.type
class Product(relay.Node):
    id: relay.NodeID[int]
    slug: str
    name: str
    description: str
    sold_by: SoldBy
    unit_label: str
    status: ProductStatus
    category_id: strawberry.Private[int]
    store_id: strawberry.Private[int | None]
    # Filled by a listing that loaded the page's SKUs in one go (resolvers.catalog_queries):
    # `skus` is then a plain value, not one awaited resolver per product.
    prefetched_skus: strawberry.Private[list[Sku] | None] = None

    @classmethod
    def from_row(cls, row: models.Product, store_id: int | None = None, skus: list[Sku] | None = None) -> "Product":
        return cls(
            id=row.id,
            slug=row.slug,
            name=row.name,
            description=row.description,
            sold_by=SoldBy(row.sold_by),
            unit_label=row.unit_label,
            status=ProductStatus(row.status),
            category_id=row.category_id,
            store_id=store_id,
            prefetched_skus=skus,
        )

    @strawberry.field
    async def category(self, info: Info) -> Category | None:
        row = await info.context.loaders.category.load(self.category_id)
        return Category.from_row(row) if row else None

    @strawberry.field
    def skus(self, info: Info) -> list[Sku]:
        # Sync on purpose: a prefetched list costs graphql-core no awaitable; otherwise the
        # coroutine returned here is awaited like any async resolver's result.
        if self.prefetched_skus is not None:
            return self.prefetched_skus
        return self._load_skus(info)  # type: ignore[return-value]

    async def _load_skus(self, info: Info) -> list[Sku]:
        rows = await info.context.loaders.skus_by_product.load(self.id)
        return await Sku.in_store(info, rows, self.sold_by.value, self.store_id)

    @strawberry.field(description="The product's images in gallery order (the first is featuredImage).")
    async def images(self, info: Info) -> list[ProductImage]:
        return [ProductImage.from_row(row) for row in await info.context.loaders.product_images.load(self.id)]

    @strawberry.field(description="The first image of the gallery, or null.")
    async def featured_image(self, info: Info) -> ProductImage | None:
        rows = await info.context.loaders.product_images.load(self.id)
        return ProductImage.from_row(rows[0]) if rows else None

    @classmethod
    async def prefetch_skus(cls, info: Info, rows: list[models.Product], store_id: int | None) -> dict[int, list[Sku]]:
        """Every product's SKUs with their store price and stock: the same two batched loads
        the per-product resolver makes, done once for the page."""
        sku_rows = await info.context.loaders.skus_by_product.load_many([row.id for row in rows])
        if store_id is None:
            return {row.id: [Sku.from_row(sku, row.sold_by) for sku in skus] for row, skus in zip(rows, sku_rows, strict=True)}
        flat = [sku for skus in sku_rows for sku in skus]
        offers = await info.context.loaders.offer.load_many([(store_id, sku.id) for sku in flat])
        offer_of = dict(zip((sku.id for sku in flat), offers, strict=True))
        return {
            row.id: [Sku.from_row(sku, row.sold_by, offer_of[sku.id]) for sku in skus if offer_of[sku.id].listed]
            for row, skus in zip(rows, sku_rows, strict=True)
        }

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info.context.loaders.product, node_ids, cls.from_row)
