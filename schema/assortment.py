"""GraphQL types of per-store assortment: listing changes by staff, mandatory products, a store's assortment."""
from __future__ import annotations

from datetime import datetime

import strawberry

from assortment.errors import AssortmentErrorCode as DomainAssortmentErrorCode
from schema.catalog import Sku
from schema.common import _error_type

AssortmentErrorCode = strawberry.enum(DomainAssortmentErrorCode, name="AssortmentErrorCode")
AssortmentError = _error_type("AssortmentError", AssortmentErrorCode)


@strawberry.input(description="List or de-list SKUs (or every SKU of products) in one store. Send skuIds or productIds.")
class StoreListingSetInput:
    store_id: strawberry.ID
    listed: bool
    sku_ids: list[strawberry.ID] | None = None
    product_ids: list[strawberry.ID] | None = None


@strawberry.input(description="List or de-list in every store below a partner (or HQ) node. Send skuIds or productIds.")
class NetworkListingSetInput:
    node_id: strawberry.ID
    listed: bool
    sku_ids: list[strawberry.ID] | None = None
    product_ids: list[strawberry.ID] | None = None


@strawberry.type
class StoreListingSetPayload:
    listed: bool | None = None
    sku_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="The SKUs the request covered.")
    stores: int | None = strawberry.field(default=None, description="How many stores the request covered.")
    changed: int | None = strawberry.field(default=None, description="(store, SKU) pairs whose listing changed; 0 on a retry.")
    errors: list[AssortmentError] = strawberry.field(default_factory=list)


@strawberry.input(description="Mark products mandatory (or not) for every store below a node; no nodeId = HQ.")
class ProductMandatorySetInput:
    product_ids: list[strawberry.ID]
    mandatory: bool
    node_id: strawberry.ID | None = None


@strawberry.type
class ProductMandatorySetPayload:
    product_ids: list[strawberry.ID] | None = None
    mandatory: bool | None = None
    node_id: strawberry.ID | None = None
    errors: list[AssortmentError] = strawberry.field(default_factory=list)


@strawberry.type(description="A SKU in one store's assortment.")
class StoreAssortmentItem:
    sku: Sku
    product_id: strawberry.ID
    listed: bool
    mandatory: bool = strawberry.field(description="HQ or a partner made its product mandatory here: it cannot be de-listed.")
    updated_at: datetime | None = strawberry.field(description="When its listing last changed; null if never.")
