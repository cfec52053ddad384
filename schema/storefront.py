"""GraphQL types of storefront configuration: the resolved home page of a store, the document
inputs, and the versions admins save, publish and roll back."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from schema.catalog import Category, Product
from schema.common import _error_type
from schema.promotions import Promotion
from schema.store import Store
from storefront.errors import StorefrontErrorCode as DomainStorefrontErrorCode

StorefrontErrorCode = strawberry.enum(DomainStorefrontErrorCode, name="StorefrontErrorCode")
StorefrontError = _error_type("StorefrontError", StorefrontErrorCode)


@strawberry.enum(description="The level of the network node a part of the page came from.")
class StorefrontLevel(Enum):
    HQ = "HQ"
    PARTNER = "PARTNER"
    STORE = "STORE"


@strawberry.enum
class StorefrontSectionType(Enum):
    BANNER_CAROUSEL = "BANNER_CAROUSEL"
    PRODUCT_CAROUSEL = "PRODUCT_CAROUSEL"
    CATEGORY_GRID = "CATEGORY_GRID"
    NOTICE_BAR = "NOTICE_BAR"
    COUPON_STRIP = "COUPON_STRIP"


@strawberry.enum(description="BEST_SELLING: most paid orders in this store over 30 days; PRICE_ASC: cheapest shelf price first.")
class StorefrontProductSort(Enum):
    BEST_SELLING = "BEST_SELLING"
    NEWEST = "NEWEST"
    PRICE_ASC = "PRICE_ASC"


@strawberry.enum(description="SCHEDULED: published with a publishAt still in the future.")
class StorefrontVersionStatus(Enum):
    DRAFT = "DRAFT"
    SCHEDULED = "SCHEDULED"
    PUBLISHED = "PUBLISHED"


@strawberry.type(description="Which node's published version a part of the page came from.")
class StorefrontSource:
    level: StorefrontLevel
    node_id: strawberry.ID
    version: int


@strawberry.type
class StorefrontTheme:
    primary_color: str | None = strawberry.field(description="#RRGGBB")
    accent_color: str | None = strawberry.field(description="#RRGGBB")
    logo_url: str | None
    source: StorefrontSource | None = strawberry.field(description="The lowest node that set a theme field.")


@strawberry.type
class StorefrontNavItem:
    label: str
    target: str = strawberry.field(description="An http(s) URL or an in-app path such as /category/fruit.")


@strawberry.type
class StorefrontNavigation:
    items: list[StorefrontNavItem]
    source: StorefrontSource | None


@strawberry.interface(description="One home-page section; its `key` is stable across versions and levels.")
class StorefrontSection:
    key: str
    title: str | None
    source: StorefrontSource
    locked: bool = strawberry.field(description="A node of the chain locked this key: nodes below it cannot change it.")


@strawberry.type
class StorefrontSlide:
    image_url: str
    link: str | None
    alt: str


@strawberry.type
class StorefrontBannerCarousel(StorefrontSection):
    slides: list[StorefrontSlide]


@strawberry.type
class StorefrontProductRule:
    category_id: strawberry.ID | None
    sort: StorefrontProductSort
    limit: int


@strawberry.type(description="Products this store sells, with its prices and stock (SKUs it de-listed are left out).")
class StorefrontProductCarousel(StorefrontSection):
    rule: StorefrontProductRule | None = strawberry.field(description="Null: the products were picked by hand.")
    products: list[Product]


@strawberry.type
class StorefrontCategoryGrid(StorefrontSection):
    categories: list[Category]


@strawberry.type(description="Shown until `until` (then left out of the page).")
class StorefrontNoticeBar(StorefrontSection):
    text: str
    until: datetime | None


@strawberry.type(description="Coupon templates a customer can claim at this store now (couponClaim).")
class StorefrontCouponStrip(StorefrontSection):
    coupons: list[Promotion]


# The implementations of StorefrontSection, listed for the schema (fields return the interface).
SECTION_TYPES = [StorefrontBannerCarousel, StorefrontProductCarousel, StorefrontCategoryGrid, StorefrontNoticeBar, StorefrontCouponStrip]


@strawberry.type(description="A store's home page: theme, navigation and sections, HQ's template with each override below it applied.")
class Storefront:
    store: Store
    theme: StorefrontTheme
    navigation: StorefrontNavigation
    sections: list[StorefrontSection]


@strawberry.type(description="One version of a node's storefront document, with who saved and published it.")
class StorefrontVersion:
    id: strawberry.ID
    node_id: strawberry.ID
    version: int
    status: StorefrontVersionStatus
    publish_at: datetime | None
    rolled_back_from: int | None = strawberry.field(description="The version this one copies (storefrontRollback).")
    saved_by: str = strawberry.field(description="staff:<id> or api_key:<id>")
    saved_at: datetime
    published_by: str | None
    published_at: datetime | None = strawberry.field(description="When it was published (publishAt may be later).")
    document: JSON = strawberry.field(description="The document in StorefrontDocumentInput's shape: edit it and save it back.")


@strawberry.input
class StorefrontThemeInput:
    primary_color: str | None = None
    accent_color: str | None = None
    logo_url: str | None = None


@strawberry.input
class StorefrontNavItemInput:
    label: str
    target: str


@strawberry.input
class StorefrontSlideInput:
    image_url: str
    link: str | None = None
    alt: str = ""


@strawberry.input
class StorefrontProductRuleInput:
    category_id: strawberry.ID | None = None
    sort: StorefrontProductSort = StorefrontProductSort.BEST_SELLING
    limit: int = 10


@strawberry.input(description="One section: `type` says which of the other fields it takes (the rest must be left out).")
class StorefrontSectionInput:
    key: str
    type: StorefrontSectionType
    title: str | None = None
    slides: list[StorefrontSlideInput] | None = strawberry.field(default=None, description="BANNER_CAROUSEL: 1 to 10.")
    rule: StorefrontProductRuleInput | None = strawberry.field(default=None, description="PRODUCT_CAROUSEL: a rule, or")
    product_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="PRODUCT_CAROUSEL: up to 20 picked products.")
    category_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="CATEGORY_GRID: 1 to 24.")
    text: str | None = strawberry.field(default=None, description="NOTICE_BAR")
    until: datetime | None = strawberry.field(default=None, description="NOTICE_BAR: hidden from then on (timezone-aware).")
    coupon_ids: list[strawberry.ID] | None = strawberry.field(default=None, description="COUPON_STRIP: 1 to 10 coupon templates (Promotion IDs).")


@strawberry.input(description="HQ: the template. Partner or store: an override (same key replaces a section, new key adds one).")
class StorefrontDocumentInput:
    theme: StorefrontThemeInput | None = strawberry.field(default=None, description="Fields left null are inherited.")
    navigation: list[StorefrontNavItemInput] | None = strawberry.field(default=None, description="Null: inherit the menu; up to 12 items.")
    sections: list[StorefrontSectionInput] = strawberry.field(default_factory=list, description="Up to 20.")
    hidden_keys: list[str] = strawberry.field(default_factory=list, description="Inherited sections to hide.")
    locked_keys: list[str] = strawberry.field(default_factory=list, description="Section keys nodes below may not change or hide.")


@strawberry.input
class StorefrontDraftSaveInput:
    node_id: strawberry.ID
    document: StorefrontDocumentInput


@strawberry.input
class StorefrontPublishInput:
    version_id: strawberry.ID
    publish_at: datetime | None = strawberry.field(default=None, description="Null or past: now. Future: scheduled (timezone-aware).")


@strawberry.input
class StorefrontRollbackInput:
    node_id: strawberry.ID
    version: int = strawberry.field(description="A published version of this node; a copy of it is published now as a new version.")


@strawberry.type
class StorefrontVersionPayload:
    storefront_version: StorefrontVersion | None = None
    errors: list[StorefrontError] = strawberry.field(default_factory=list)
