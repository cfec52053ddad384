"""Mutation inputs: one input type per mutation."""
from __future__ import annotations

import strawberry

from schema.coordinates import CoordinateSystem
from schema.enums import ControlLevel, FulfilmentType, OrderStatus, ProductStatus, SoldBy, StaffRole, StoreStatus
from schema.geo import LocationInput
from schema.store_network_admin import OpeningHoursInput


@strawberry.input
class RequestLoginCodeInput:
    mobile: str
    captcha_token: str | None = None  # required only when the deployment configures a captcha verifier


@strawberry.input
class CustomerLoginInput:
    mobile: str
    code: str


@strawberry.input
class StaffLoginInput:
    username: str
    password: str


@strawberry.input
class TokenRefreshInput:
    refresh_token: str


@strawberry.input(description="Ends a sign-in: every refresh and access token issued from it stops working.")
class LogoutInput:
    refresh_token: str | None = strawberry.field(
        default=None, description="The session's refresh token (an expired one will do); omitted: the caller's own session."
    )


@strawberry.input
class AddressCreateInput:
    label: str = ""
    recipient: str
    mobile: str
    line: str
    longitude: float
    latitude: float
    system: CoordinateSystem = strawberry.field(
        default=CoordinateSystem.GCJ02, description="What the map SDK sent; stored as WGS-84."
    )


@strawberry.input(description="Omitted fields are unchanged; longitude and latitude come together, in `system`.")
class AddressUpdateInput:
    id: strawberry.ID
    label: str | None = None
    recipient: str | None = None
    mobile: str | None = None
    line: str | None = None
    longitude: float | None = None
    latitude: float | None = None
    system: CoordinateSystem = strawberry.field(
        default=CoordinateSystem.GCJ02, description="What the map SDK sent; stored as WGS-84."
    )


@strawberry.input
class AddressDeleteInput:
    id: strawberry.ID


@strawberry.input
class CategoryCreateInput:
    slug: str
    name: str
    position: int = 0


@strawberry.input
class SkuCreateInput:
    code: str
    name: str = ""
    barcode: str | None = None
    base_price: str = strawberry.field(description="Decimal yuan, e.g. \"12.80\".")
    price_per: int = 1
    quantity_step: int = 1
    min_quantity: int = 1


@strawberry.input
class ProductCreateInput:
    category_id: strawberry.ID
    slug: str
    name: str
    description: str = ""
    sold_by: SoldBy = SoldBy.UNIT
    unit_label: str = ""
    skus: list[SkuCreateInput]


@strawberry.input
class ProductUpdateInput:
    id: strawberry.ID
    name: str | None = None
    description: str | None = None
    status: ProductStatus | None = None
    category_id: strawberry.ID | None = None


@strawberry.input
class StorePriceSetInput:
    store_id: strawberry.ID
    sku_id: strawberry.ID
    price: str | None = strawberry.field(description="Decimal yuan; null removes the store's own price. Zero needs allowFree; negative is refused.")
    allow_free: bool = strawberry.field(
        default=False, description="Confirms that a price of zero is meant: the SKU is given away in this store. Recorded with the price."
    )
    reason: str = strawberry.field(default="", description="Why the price changes: kept in the price audit (priceChanges).")


@strawberry.input
class StockSetInput:
    store_id: strawberry.ID
    sku_id: strawberry.ID
    on_hand: int | None = strawberry.field(default=None, description="A stock count (units or grams).")
    delta: int | None = strawberry.field(default=None, description="A receipt (+) or write-off (-).")


@strawberry.input
class StoreUpdateInput:
    """Null leaves a setting as it is (store network administration, issue #12)."""

    id: strawberry.ID
    name: str | None = None
    status: StoreStatus | None = strawberry.field(default=None, description="Follows the lifecycle (see storeStatusSet).")
    prep_minutes: int | None = None
    delivery_radius_meters: int | None = None
    code: str | None = None
    address: str | None = None
    city: str | None = None
    district: str | None = None
    location: LocationInput | None = strawberry.field(default=None, description="In the system it names; stored as WGS84.")
    timezone: str | None = strawberry.field(default=None, description="IANA name, e.g. Asia/Shanghai.")
    opening_hours: list[OpeningHoursInput] | None = strawberry.field(default=None, description="Replaces all hours; or give `hours`.")
    hours: str | None = strawberry.field(default=None, description='Text form, e.g. "mon-sun 08:00-22:00".')
    fulfilment_types: list[FulfilmentType] | None = None


@strawberry.input
class NetworkNodeControlSetInput:
    node_id: strawberry.ID
    prices: ControlLevel | None = strawberry.field(default=None, description="Enforced on storePriceSet.")
    storefront: ControlLevel | None = strawberry.field(
        default=None, description="Reserved: stored and inherited, not enforced until store storefront editing exists."
    )
    promotions: ControlLevel | None = strawberry.field(default=None, description="Enforced on store campaigns.")
    assortment: ControlLevel | None = strawberry.field(default=None, description="Enforced on re-listing a product.")
    stock: ControlLevel | None = strawberry.field(default=None, description="Enforced on stock edits.")
    orders: ControlLevel | None = strawberry.field(default=None, description="Enforced on staff order handling.")


@strawberry.input
class CartLineInput:
    sku_id: strawberry.ID
    quantity: int = strawberry.field(description="Units, or grams for weighed goods (a multiple of the step).")


@strawberry.input
class CartLinesAddInput:
    store_id: strawberry.ID
    lines: list[CartLineInput]


@strawberry.input
class CartLinesUpdateInput:
    store_id: strawberry.ID
    lines: list[CartLineInput]


@strawberry.input
class CartLinesRemoveInput:
    store_id: strawberry.ID
    sku_ids: list[strawberry.ID]


@strawberry.input(description="An amount of money: `amount` a decimal string (\"12.50\"), `currency` ISO 4217 (\"CNY\").")
class MoneyInput:
    amount: str
    currency: str


@strawberry.input
class CheckoutCompleteInput:
    store_id: strawberry.ID
    fulfilment_type: FulfilmentType
    address_id: strawberry.ID | None = None
    note: str = ""
    idempotency_key: str = strawberry.field(description="Client-generated (e.g. a UUID); a retry with the same key returns the same order.")
    slot_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="From deliverySlots: required for SAME_CITY_DELIVERY (EXPRESS_30 or SLOT_60), optional PICKUP_60 for STORE_PICKUP. Held with the stock until payment or expiry.",
    )
    expected_total: MoneyInput | None = strawberry.field(
        default=None,
        description="The total the customer was shown (goods + delivery fee). If the order would cost anything else, nothing is placed and the error is PRICE_CHANGED with the current total.",
    )
    coupon_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Coupons you hold (myCoupons, priceBreakdown.suggestedCoupon); one unless all are stackable."
    )
    coupon_code: str | None = strawberry.field(default=None, description="Redeem a coupon by its code (claimed and used in this order).")


@strawberry.input
class OrderPayInput:
    order_id: strawberry.ID
    idempotency_key: str
    provider: str | None = strawberry.field(
        default=None,
        description="Payment provider by name (e.g. SANDBOX), one the brand takes; omitted: the brand's default.",
    )
    channel: str | None = strawberry.field(default=None, description="WECHATPAY: NATIVE (QR, default) or JSAPI (mini-program / official account); ALIPAY: PRECREATE (QR, default).")
    payer_openid: str | None = strawberry.field(default=None, description="WECHATPAY JSAPI: the payer's openid under the brand's appid.")


@strawberry.input
class OrderCancelInput:
    order_id: strawberry.ID
    reason: str = ""


@strawberry.input
class OrderTransitionInput:
    order_id: strawberry.ID
    status: OrderStatus
    reason: str = ""


@strawberry.input
class OrderCompleteInput:
    """Complete a DELIVERING or AWAITING_PICKUP order without its delivery proof or pickup
    code (store managers; recorded with the reason)."""

    order_id: strawberry.ID
    reason: str


@strawberry.input
class OrderRefundInput:
    order_id: strawberry.ID
    reason: str = ""


@strawberry.input
class StaffCreateInput:
    username: str
    display_name: str = ""
    password: str
    role: StaffRole
    node_id: strawberry.ID


@strawberry.input
class ApiKeyCreateInput:
    name: str
    role: StaffRole
    node_id: strawberry.ID


@strawberry.input
class ApiKeyRevokeInput:
    id: strawberry.ID
