"""GraphQL types of store-network pricing: bands, partner prices, time prices, the CSV import, the audit."""
from __future__ import annotations

from datetime import datetime

import strawberry

from network_pricing.audit import Channel as DomainChannel
from network_pricing.audit import Source as DomainSource
from network_pricing.errors import PricingErrorCode as DomainPricingErrorCode
from schema.common import Money, _error_type
from schema.store import NetworkNode, PriceBand

PricingErrorCode = strawberry.enum(DomainPricingErrorCode, name="PricingErrorCode")
PricingError = _error_type("PricingError", PricingErrorCode)
PriceChangeSource = strawberry.enum(DomainSource, name="PriceChangeSource", description="Whose price changed: a store's, a partner's, a time price.")
PriceChangeChannel = strawberry.enum(DomainChannel, name="PriceChangeChannel", description="How: the API, a CSV import, a POS sync.")


@strawberry.input(description="Set (both percentages) or clear (neither) a node's price band. HQ or partner admins (MANAGE_STORES).")
class NetworkNodePriceBandSetInput:
    node_id: strawberry.ID
    below_percent: int | None = strawberry.field(default=None, description="0-100: the lowest price is HQ's less this, rounded up to the fen.")
    above_percent: int | None = strawberry.field(default=None, description="0-1000: the highest price is HQ's plus this, rounded down to the fen.")


@strawberry.type
class NetworkNodePriceBandSetPayload:
    node: NetworkNode | None = None
    errors: list[PricingError] = strawberry.field(default_factory=list)


@strawberry.input(description="A partner's price for a SKU in every store below it; null price clears it.")
class PartnerPriceSetInput:
    node_id: strawberry.ID
    sku_id: strawberry.ID
    price: str | None = strawberry.field(description="Decimal yuan above zero; null removes the partner's price.")
    reason: str = ""


@strawberry.type
class PartnerPriceSetPayload:
    price: Money | None = strawberry.field(default=None, description="The partner's price now (null: cleared).")
    errors: list[PricingError] = strawberry.field(default_factory=list)


@strawberry.type(description="A time-limited price for a SKU in a store or a partner's stores.")
class TimePrice:
    id: strawberry.ID
    sku_id: strawberry.ID
    percent_off: int | None
    price: Money | None
    daily_start: str | None = strawberry.field(description="HH:MM in the store's timezone; a window may run across midnight.")
    daily_end: str | None
    starts_at: datetime | None
    ends_at: datetime | None
    ended_at: datetime | None
    reason: str


@strawberry.input(description="Exactly one of storeId / nodeId (a partner) and one of percentOff / price; a daily window and/or endsAt.")
class TimePriceCreateInput:
    sku_id: strawberry.ID
    store_id: strawberry.ID | None = None
    node_id: strawberry.ID | None = None
    percent_off: int | None = strawberry.field(default=None, description="1-99: percent off the price so far, rounded half up to the fen.")
    price: str | None = strawberry.field(default=None, description="A fixed price in decimal yuan.")
    daily_start: str | None = strawberry.field(default=None, description="HH:MM, the store's local time (inclusive).")
    daily_end: str | None = strawberry.field(default=None, description="HH:MM (exclusive); before dailyStart: runs across midnight.")
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    reason: str = ""
    idempotency_key: str | None = strawberry.field(
        default=None, description="Optional: a retry with the same key answers the first time price instead of creating another."
    )


@strawberry.input
class TimePriceEndInput:
    id: strawberry.ID


@strawberry.type
class TimePricePayload:
    time_price: TimePrice | None = None
    replayed: bool = False
    errors: list[PricingError] = strawberry.field(default_factory=list)


@strawberry.input(description="CSV with a header: store_code or partner_id, sku_code, price (yuan), optional starts_at, ends_at.")
class PricesImportInput:
    csv: str
    reason: str


@strawberry.type(description="A problem with one row of an import: `row` is the line in the file (the header is line 1).")
class PriceImportRowError:
    row: int
    field: str | None
    code: PricingErrorCode
    message: str


@strawberry.type
class PricesImportPayload:
    rows: int = 0
    store_prices: int = 0
    partner_prices: int = 0
    time_prices: int = 0
    changed: int = strawberry.field(default=0, description="Rows whose price really changed (each has an audit row).")
    row_errors: list[PriceImportRowError] = strawberry.field(default_factory=list, description="Every bad row (first 1,000); nothing was written.")
    errors: list[PricingError] = strawberry.field(default_factory=list)


@strawberry.type(description="One audited price change.")
class PriceChange:
    id: strawberry.ID
    node_id: strawberry.ID = strawberry.field(description="The store's or partner's NetworkNode.")
    store_id: strawberry.ID | None
    sku_id: strawberry.ID
    old_price: Money | None
    new_price: Money | None = strawberry.field(description="Null: cleared (the price above applies), or a percentage time price.")
    source: PriceChangeSource
    channel: PriceChangeChannel
    actor_staff_id: strawberry.ID | None
    actor_api_key_id: strawberry.ID | None
    time_price_id: strawberry.ID | None
    reason: str
    at: datetime
