"""GraphQL types of store systems: webhook endpoints and their delivery log, POS/ERP sync batches."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.scalars import JSON

from webhooks.errors import WebhookErrorCode as DomainWebhookErrorCode

WebhookErrorCode = strawberry.enum(DomainWebhookErrorCode, name="WebhookErrorCode")


@strawberry.type(description="A problem with the input of a webhook mutation.")
class WebhookError:
    field: str | None
    code: WebhookErrorCode
    message: str


@strawberry.type(description="A URL of the brand's that receives signed events (see README: Store systems).")
class WebhookEndpoint:
    id: strawberry.ID
    url: str
    description: str
    event_types: list[str] = strawberry.field(description="Event types sent; empty: every type.")
    enabled: bool
    consecutive_failures: int
    disabled_at: datetime | None = strawberry.field(description="Set when the dispatcher gave up after a run of failures.")
    disabled_reason: str
    next_attempt_at: datetime | None
    last_event_id: str = strawberry.field(description="The last event delivered (its Qiandian-Event-Id).")
    created_at: datetime


@strawberry.type(description="One attempt to deliver one event to one endpoint.")
class WebhookDelivery:
    id: strawberry.ID
    event_id: str
    event_type: str
    success: bool
    status_code: int | None
    error: str
    duration_ms: int
    created_at: datetime


@strawberry.input
class WebhookEndpointCreateInput:
    url: str = strawberry.field(description="https in production; must not point at a private or loopback address.")
    event_types: list[str] = strawberry.field(default_factory=list, description="e.g. [\"order.paid\"]; empty: every type.")
    description: str = ""


@strawberry.input
class WebhookEndpointDeleteInput:
    id: strawberry.ID


@strawberry.input
class WebhookEndpointReplayInput:
    id: strawberry.ID
    from_event_id: str | None = strawberry.field(default=None, description="Resend from this event on (inclusive); null: from the first.")


@strawberry.type
class WebhookEndpointCreatePayload:
    endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(default=None, description="The signing secret; store it now, it is never shown again.")
    errors: list[WebhookError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookEndpointDeletePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[WebhookError] = strawberry.field(default_factory=list)


@strawberry.type
class WebhookEndpointReplayPayload:
    endpoint: WebhookEndpoint | None = None
    errors: list[WebhookError] = strawberry.field(default_factory=list)


from store_sync.bulk import Mode as DomainSyncMode, RowStatus as DomainRowStatus  # noqa: E402
from store_sync.errors import SyncErrorCode as DomainSyncErrorCode  # noqa: E402
from schema.common import Money  # noqa: E402

SyncErrorCode = strawberry.enum(DomainSyncErrorCode, name="SyncErrorCode")
StockSyncMode = strawberry.enum(DomainSyncMode, name="StockSyncMode", description="ABSOLUTE: a count; DELTA: a movement (a sale is negative).")
SyncRowStatus = strawberry.enum(DomainRowStatus, name="SyncRowStatus")


@strawberry.type(description="A problem with a whole sync batch (per-row problems are in `rows`).")
class SyncError:
    field: str | None
    code: SyncErrorCode
    message: str


@strawberry.input
class StockSyncRowInput:
    sku_code: str | None = strawberry.field(default=None, description="The SKU's code (what a POS knows); or skuId.")
    sku_id: strawberry.ID | None = None
    mode: StockSyncMode = DomainSyncMode.ABSOLUTE
    quantity: int = strawberry.field(description="Units, or grams for weighed goods; negative only as a DELTA.")
    version: str | None = strawberry.field(default=None, description="Required for ABSOLUTE: a number that grows with each count at the source (a counter or Unix ms); an older one is skipped as STALE.")


@strawberry.input
class StoreStockSyncInput:
    store_id: strawberry.ID
    idempotency_key: str = strawberry.field(description="One per batch: a retry with the same key and rows returns the first result.")
    rows: list[StockSyncRowInput]


@strawberry.input
class PriceSyncRowInput:
    sku_code: str | None = None
    sku_id: strawberry.ID | None = None
    price: str | None = strawberry.field(description="Decimal yuan; null removes the store's own price (HQ's applies).")
    version: str = strawberry.field(description="A number that grows with each price change at the source; an older one is skipped as STALE.")


@strawberry.input
class StorePriceSyncInput:
    store_id: strawberry.ID
    idempotency_key: str
    rows: list[PriceSyncRowInput]


@strawberry.input(description="List (true) or de-list (false) a SKU in the store. Under strong `assortment` control only HQ may re-list (LISTING_LOCKED_BY_HQ).")
class ListingSyncRowInput:
    sku_code: str | None = None
    sku_id: strawberry.ID | None = None
    listed: bool
    version: str = strawberry.field(description="A number that grows with each listing change at the source; an older one is skipped as STALE.")


@strawberry.input
class StoreListingSyncInput:
    store_id: strawberry.ID
    idempotency_key: str
    rows: list[ListingSyncRowInput]


@strawberry.type
class SyncRowResult:
    index: int
    sku_code: str | None
    status: SyncRowStatus
    code: SyncErrorCode | None
    message: str
    on_hand: int | None = None
    reserved: int | None = None
    price: Money | None = None
    listed: bool | None = strawberry.field(default=None, description="Listing batches: the SKU's listing in the store after this row.")


@strawberry.type
class StoreSyncPayload:
    applied: int = 0
    stale: int = 0
    rejected: int = 0
    replayed: bool = strawberry.field(default=False, description="True when this is the stored result of an earlier call with the same key.")
    rows: list[SyncRowResult] = strawberry.field(default_factory=list)
    errors: list[SyncError] = strawberry.field(default_factory=list)


from vouchers.errors import VoucherErrorCode as DomainVoucherErrorCode  # noqa: E402

VoucherErrorCode = strawberry.enum(DomainVoucherErrorCode, name="VoucherErrorCode")


@strawberry.type(description="A problem with the input of a voucher mutation.")
class VoucherError:
    field: str | None
    code: VoucherErrorCode
    message: str


@strawberry.type(description="Buying this SKU issues a voucher worth faceValue (pay the SKU's price).")
class VoucherProduct:
    id: strawberry.ID
    sku_id: strawberry.ID
    face_value: Money
    valid_days: int
    partial_use: bool
    accepted_store_ids: list[strawberry.ID] = strawberry.field(description="Empty: every store of the brand.")


@strawberry.type(description="A voucher the signed-in customer owns; the code and QR payload are shown to the owner only.")
class Voucher:
    id: strawberry.ID
    code: str
    qr_payload: str
    status: str = strawberry.field(description="ACTIVE, USED, EXPIRED or REFUNDED.")
    face_value: Money
    paid: Money
    remaining: Money
    partial_use: bool
    expires_at: datetime
    order_id: strawberry.ID


@strawberry.type(description="One use of a voucher at a counter, as the counter sees it (no code).")
class VoucherRedemption:
    id: strawberry.ID
    voucher_id: strawberry.ID
    store_id: strawberry.ID
    amount: Money
    remaining: Money
    request_no: str
    created_at: datetime


@strawberry.input
class VoucherProductCreateInput:
    sku_id: strawberry.ID
    face_value: str = strawberry.field(description="Decimal yuan the voucher is worth, e.g. \"1000.00\".")
    valid_days: int
    accepted_store_ids: list[strawberry.ID] = strawberry.field(default_factory=list, description="Empty: every store.")
    partial_use: bool = strawberry.field(default=False, description="True: spend it in parts down to a remaining balance.")


@strawberry.input
class VoucherRedeemInput:
    store_id: strawberry.ID
    request_no: str = strawberry.field(description="The counter's unique id for this redemption (6-64 chars); a retry with it never redeems twice.")
    code: str | None = strawberry.field(default=None, description="The short code, e.g. ABCD-EFGH-JKMN; or qrPayload.")
    qr_payload: str | None = None
    amount: str | None = strawberry.field(default=None, description="Decimal yuan for partial use; null: all that is left.")


@strawberry.type
class VoucherProductCreatePayload:
    voucher_product: VoucherProduct | None = None
    errors: list[VoucherError] = strawberry.field(default_factory=list)


@strawberry.type
class VoucherRedeemPayload:
    redemption: VoucherRedemption | None = None
    replayed: bool = False
    errors: list[VoucherError] = strawberry.field(default_factory=list)
