"""GraphQL types of promotions: campaigns and coupon templates, coupons, flash sales, and the
price breakdown (per line and per order, with what almost applied)."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from promotions.errors import PromotionErrorCode as DomainPromotionErrorCode
from schema.common import Money, _error_type
from schema.enums import PriceSource

PromotionErrorCode = strawberry.enum(DomainPromotionErrorCode, name="PromotionErrorCode")
PromotionError = _error_type("PromotionError", PromotionErrorCode)


@strawberry.enum(description="AUTOMATIC applies by itself when its conditions hold; COUPON is a template customers claim or redeem by code.")
class PromotionKind(Enum):
    AUTOMATIC = "AUTOMATIC"
    COUPON = "COUPON"


@strawberry.enum
class PromotionStatus(Enum):
    ACTIVE = "ACTIVE"
    PAUSED = "PAUSED"


@strawberry.type
class ConfigArg:
    name: str
    value: str


@strawberry.type(description="A condition or action: its type code and typed arguments (as strings).")
class ConfigurableOperation:
    code: str
    args: list[ConfigArg]


@strawberry.type
class ConfigArgDefinition:
    name: str
    type: str = strawberry.field(description="MONEY (\"50.00\"), INT, PERCENT (1..100), TIERS (\"100.00:20.00,200.00:50.00\").")
    required: bool


@strawberry.type
class ConfigurableOperationDefinition:
    code: str
    description: str
    level: str | None = strawberry.field(description="Actions: LINE, ORDER or SHIPPING (the order they run in); null for conditions.")
    args: list[ConfigArgDefinition]


@strawberry.type
class PromotionTypes:
    conditions: list[ConfigurableOperationDefinition]
    actions: list[ConfigurableOperationDefinition]


@strawberry.type
class PromotionScope:
    sku_ids: list[strawberry.ID]
    product_ids: list[strawberry.ID]
    category_ids: list[strawberry.ID]


@strawberry.type(description="An automatic promotion or a coupon template, owned by a network node (HQ: network-wide).")
class Promotion:
    id: strawberry.ID
    node_id: strawberry.ID
    kind: PromotionKind
    status: PromotionStatus
    name: str
    version: int = strawberry.field(description="Goes up on every edit; orders keep the version they used.")
    priority: int
    stackable: bool
    conditions: list[ConfigurableOperation]
    actions: list[ConfigurableOperation]
    scope: PromotionScope
    starts_at: datetime
    ends_at: datetime
    code: str | None
    per_customer_limit: int | None
    total_quota: int | None
    issued: int


@strawberry.type(description="A coupon a customer holds.")
class Coupon:
    id: strawberry.ID
    promotion_id: strawberry.ID
    name: str
    code: str | None
    status: str
    stackable: bool
    valid_until: datetime


@strawberry.type
class FlashSale:
    id: strawberry.ID
    name: str
    sku_id: strawberry.ID
    store_id: strawberry.ID | None = strawberry.field(description="Null: the quota is shared by every store under the node.")
    price: Money
    starts_at: datetime
    ends_at: datetime
    quota: int
    sold: int
    per_customer_limit: int


@strawberry.type
class PromotionShare:
    promotion_id: strawberry.ID
    name: str
    amount: Money


@strawberry.type
class BreakdownLine:
    sku_id: strawberry.ID
    quantity: int
    unit_price: Money
    price_source: PriceSource = strawberry.field(description="PROMOTION when a flash-sale price applies.")
    line_total: Money
    discount: Money = strawberry.field(description="This line's share of the order's promotions and coupons.")
    net: Money
    promotions: list[PromotionShare]


@strawberry.type
class AppliedPromotion:
    promotion_id: strawberry.ID
    name: str
    version: int
    amount: Money
    coupon_id: strawberry.ID | None


@strawberry.type(description="A promotion that almost applied, and what it takes.")
class PromotionHint:
    promotion_id: strawberry.ID
    name: str
    message: str = strawberry.field(description='e.g. "add 12.00 more for 20.00 off"')
    missing: Money | None
    reward: Money | None


@strawberry.type
class CouponOption:
    coupon: Coupon
    applicable: bool
    discount: Money = strawberry.field(description="What it would take off on top of the automatic promotions.")
    reason: str | None = strawberry.field(description="Why it does not apply (or how to make it apply).")


@strawberry.type(description="The cart priced exactly as checkout will price it (delivery fee and free-delivery coupons are settled at checkout).")
class PriceBreakdown:
    subtotal: Money
    discount: Money
    total: Money
    lines: list[BreakdownLine]
    applied: list[AppliedPromotion]
    hints: list[PromotionHint]
    coupons: list[CouponOption] = strawberry.field(description="Every coupon you hold that is valid here, best first.")
    suggested_coupon: Coupon | None = strawberry.field(description="The usable coupon that saves the most (pass its id to checkoutComplete couponIds).")


@strawberry.input
class ConfigArgInput:
    name: str
    value: str


@strawberry.input
class ConfigurableOperationInput:
    code: str
    arguments: list[ConfigArgInput] = strawberry.field(default_factory=list)


@strawberry.input
class PromotionScopeInput:
    sku_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    product_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    category_ids: list[strawberry.ID] = strawberry.field(default_factory=list)


@strawberry.input
class PromotionCreateInput:
    node_id: strawberry.ID = strawberry.field(description="The owning network node: HQ's root applies network-wide; a partner or store only where its promotions policy is WEAK.")
    kind: PromotionKind
    name: str
    actions: list[ConfigurableOperationInput]
    starts_at: datetime
    ends_at: datetime
    conditions: list[ConfigurableOperationInput] = strawberry.field(default_factory=list)
    scope: PromotionScopeInput | None = None
    priority: int = 0
    stackable: bool = strawberry.field(default=False, description="Coupons: may be used together with other stackable coupons.")
    code: str | None = strawberry.field(default=None, description="Coupons: customers may redeem or claim by this code.")
    per_customer_limit: int | None = None
    total_quota: int | None = None
    idempotency_key: str | None = strawberry.field(default=None, description="Client-generated (e.g. a UUID): a retry with the same key returns the first answer instead of acting again.")


@strawberry.input
class PromotionUpdateInput:
    id: strawberry.ID
    name: str | None = None
    status: PromotionStatus | None = None
    conditions: list[ConfigurableOperationInput] | None = None
    actions: list[ConfigurableOperationInput] | None = None
    ends_at: datetime | None = None


@strawberry.input
class PromotionPolicySetInput:
    max_partner_discount_percent: int


@strawberry.input
class CouponIssueInput:
    promotion_id: strawberry.ID
    customer_ids: list[strawberry.ID]
    idempotency_key: str | None = strawberry.field(default=None, description="Client-generated (e.g. a UUID): a retry with the same key returns the first answer instead of acting again.")


@strawberry.input
class CouponClaimInput:
    promotion_id: strawberry.ID | None = None
    code: str | None = None
    idempotency_key: str | None = strawberry.field(default=None, description="Client-generated (e.g. a UUID): a retry with the same key returns the first answer instead of acting again.")


@strawberry.input
class FlashSaleCreateInput:
    node_id: strawberry.ID
    sku_id: strawberry.ID
    name: str
    price: str = strawberry.field(description='The flash price, e.g. "9.90".')
    starts_at: datetime
    ends_at: datetime
    quota: int = strawberry.field(description="Units (the SKU's quantity unit) for sale at this price.")
    per_customer_limit: int = 1
    store_id: strawberry.ID | None = strawberry.field(default=None, description="Omit to share the quota across every store under the node.")
    idempotency_key: str | None = strawberry.field(default=None, description="Client-generated (e.g. a UUID): a retry with the same key returns the first answer instead of acting again.")


@strawberry.type
class PromotionPayload:
    promotion: Promotion | None = None
    errors: list[PromotionError] = strawberry.field(default_factory=list)


@strawberry.type
class PromotionPolicyPayload:
    max_partner_discount_percent: int | None = None
    errors: list[PromotionError] = strawberry.field(default_factory=list)


@strawberry.type
class CouponIssuePayload:
    issued: int = 0
    errors: list[PromotionError] = strawberry.field(default_factory=list)


@strawberry.type
class CouponPayload:
    coupon: Coupon | None = None
    errors: list[PromotionError] = strawberry.field(default_factory=list)


@strawberry.type
class FlashSalePayload:
    flash_sale: FlashSale | None = None
    errors: list[PromotionError] = strawberry.field(default_factory=list)
