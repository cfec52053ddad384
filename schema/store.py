"""Store and network types."""
from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.clock import utc_now
from schema.ids import load_nodes, node_pk
from schema.catalog import Product
from schema.common import Connection
from schema.coordinates import CoordinateSystem
from schema.enums import (
    ControlLevel,
    FulfilmentType,
    ProductSortField,
    SoldBy,
    SortDirection,
    StoreStatus,
)
from store_network import models

if TYPE_CHECKING:
    from schema.geo import DeliveryZone


@strawberry.type(description="A point in the coordinate system named by `system`.")
class Location:
    longitude: float
    latitude: float
    system: CoordinateSystem = CoordinateSystem.WGS84


@strawberry.type(description="Opening hours on one weekday, in the store's own timezone. A close before the open ends the next day.")
class OpeningHours:
    weekday: int = strawberry.field(description="0 = Monday ... 6 = Sunday")
    opens: str
    closes: str


@strawberry.input
class ProductFilterInput:
    search: str | None = strawberry.field(default=None, description="Case-insensitive substring of the name.")
    category_id: strawberry.ID | None = None
    sold_by: SoldBy | None = None
    in_stock: bool | None = strawberry.field(default=None, description="Only with a store context.")


@strawberry.input
class ProductSortingInput:
    field: ProductSortField = ProductSortField.NAME
    direction: SortDirection = SortDirection.ASC


@strawberry.type
class Store(relay.Node):
    id: relay.NodeID[int]
    code: str
    name: str
    city: str
    district: str
    address: str
    lon_lat: strawberry.Private[tuple[float, float]]  # WGS-84, as stored
    timezone: str
    status: StoreStatus
    delivery_radius_meters: int
    prep_minutes: int
    fulfilment_types: list[FulfilmentType]
    opening_hours: list[OpeningHours]
    business_hours: strawberry.Private[dict]

    @classmethod
    def from_row(cls, row: models.Store) -> "Store":
        hours = []
        for weekday, spans in sorted(row.business_hours.items(), key=lambda kv: int(kv[0])):
            for opens, closes in spans:
                hours.append(OpeningHours(weekday=int(weekday), opens=opens, closes=closes))
        return cls(
            id=row.id,
            code=row.code,
            name=row.name,
            city=row.city,
            district=row.district,
            address=row.address,
            lon_lat=(row.lon, row.lat),
            timezone=row.timezone,
            status=StoreStatus(row.status),
            delivery_radius_meters=row.delivery_radius_m,
            prep_minutes=row.prep_minutes,
            fulfilment_types=[FulfilmentType(t) for t in row.fulfilment_types],
            opening_hours=hours,
            business_hours=row.business_hours,
        )

    @strawberry.field(description="The store's position, in WGS84 unless `system` asks for GCJ02 or BD09.")
    def location(self, system: CoordinateSystem = CoordinateSystem.WGS84) -> Location:
        from resolvers.geo_queries import location_in

        return location_in(self.lon_lat, system)

    @strawberry.field(description="Whether the store is open at this moment (its own timezone and hours).")
    def is_open_now(self, info: Info) -> bool:
        from resolvers.stores import store_is_open

        return store_is_open(self, utc_now())

    @strawberry.field(description="Products with this store's prices and stock.")
    async def products(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        filter: ProductFilterInput | None = None,
        sort_by: ProductSortingInput | None = None,
    ) -> Connection[Product]:
        from resolvers.catalog_queries import product_connection

        return await product_connection(info, self.id, first, after, filter, sort_by)

    @strawberry.field(description="The store's delivery zones, innermost tier first, with their fee rules and shapes "
                      "(`polygon(system:)`, null for a radius zone): for staff who may dispatch or manage the store's delivery; "
                      "null for anyone else (customers ask deliveryOptions for a point). Empty: the store delivers within "
                      "deliveryRadiusMeters.")
    async def delivery_zones(self, info: Info) -> list[Annotated["DeliveryZone", strawberry.lazy("schema.geo")]] | None:
        from resolvers.store_zones import store_zones

        return await store_zones(info, self.id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info.context.loaders.store, node_ids, cls.from_row)


@strawberry.type(description="How far a store or partner price may go below and above HQ's price, in whole percent.")
class PriceBand:
    below_percent: int
    above_percent: int


@strawberry.type(description="What the stores below a network node may change by themselves.")
class ControlPolicy:
    prices: ControlLevel | None = strawberry.field(
        description="Store prices (storePriceSet): under STRONG only the deciding node or above may set them (PRICE_LOCKED_BY_HQ)."
    )
    assortment: ControlLevel | None = strawberry.field(
        description="Which products a store lists: under STRONG a store may de-list but only the deciding node or above re-lists (LISTING_LOCKED_BY_HQ; storeListingSet, networkListingSet, storeListingSync)."
    )
    storefront: ControlLevel | None = strawberry.field(
        description="Store storefront content (storefrontDraftSave / storefrontPublish): under STRONG only the deciding node or above edits it (STOREFRONT_LOCKED_BY_HQ)."
    )
    promotions: ControlLevel | None = strawberry.field(
        description="Store promotions: under STRONG only the deciding node or above runs campaigns for the store (PROMOTIONS_LOCKED_BY_HQ)."
    )
    stock: ControlLevel | None = strawberry.field(
        description="Stock edits (stockSet, storeStockSync): under STRONG only the deciding node or above sets counts (STOCK_LOCKED_BY_HQ)."
    )
    orders: ControlLevel | None = strawberry.field(
        description="Order handling by store staff (cancel, refund, transitions): under STRONG only the deciding node or above may (ORDERS_LOCKED_BY_HQ)."
    )
    price_band: PriceBand | None = strawberry.field(
        default=None,
        description=(
            "This node's own price band (networkNodePriceBandSet); null inherits. The band in force is the tightest on the"
            " chain: store, partner and their own prices outside it are refused (PRICE_OUT_OF_BAND)."
        ),
    )


@strawberry.type
class NetworkNode(relay.Node):
    id: relay.NodeID[int]
    kind: str
    name: str
    control: ControlPolicy = strawberry.field(description="Null entries inherit from the parent node.")

    @classmethod
    def from_row(cls, row: models.NetworkNode) -> "NetworkNode":
        def level(value):
            return ControlLevel(value) if value else None

        return cls(
            id=row.id,
            kind=row.kind,
            name=row.name,
            control=ControlPolicy(
                prices=level(row.price_control),
                assortment=level(row.assortment_control),
                storefront=level(row.storefront_control),
                promotions=level(row.promotion_control),
                stock=level(row.stock_control),
                orders=level(row.order_control),
                price_band=PriceBand(below_percent=row.price_band_below_pct, above_percent=row.price_band_above_pct)
                if row.price_band_below_pct is not None else None,
            ),
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        from resolvers.stores import load_network_nodes

        pks = [node_pk(str(i)) for i in node_ids]
        found = iter(await load_network_nodes(info, [pk for pk in pks if pk is not None]))
        return [None if pk is None else next(found) for pk in pks]
