"""GraphQL types of the sales reports (reports/): figures, rows, the report and its CSV page."""
from __future__ import annotations

from datetime import date

import strawberry

from reports.errors import ReportErrorCode as DomainReportErrorCode
from reports.query import GroupBy, SortField
from schema.common import Connection, Money, _error_type

ReportErrorCode = strawberry.enum(DomainReportErrorCode, name="ReportErrorCode")
ReportError = _error_type("ReportError", ReportErrorCode)
ReportGroupBy = strawberry.enum(GroupBy, name="ReportGroupBy", description="DAY: one row per local day (every store in scope summed); STORE: one row per store (the range summed); STORE_DAY: one row per store per day.")
ReportSortField = strawberry.enum(SortField, name="ReportSortField")


@strawberry.type(description="Sales figures of a store-day, a day, a store, or a whole report. Days are the store's local days; each fact counts on the day it happened (a refund on the day the money went back).")
class SalesFigures:
    orders: int = strawberry.field(description="Orders paid.")
    gmv: Money = strawberry.field(description="The totals of the orders paid.")
    average_order_value: Money | None = strawberry.field(description="gmv / orders, rounded to the fen (null without orders).")
    refunds: int = strawberry.field(description="Refunds that succeeded: partial ones (staff, after-sales) and whole-order ones.")
    refund_amount: Money
    net_sales: Money = strawberry.field(description="gmv - refundAmount.")
    cancelled: int = strawberry.field(description="Unpaid orders cancelled (customer, staff or expiry).")
    pickup_orders: int = strawberry.field(description="Of the orders paid, store-pickup ones.")
    pickup_share: float | None = strawberry.field(description="pickupOrders / orders (null without orders).")
    same_city_delivered: int = strawberry.field(description="Same-city orders with a promised time that were delivered.")
    same_city_on_time: int = strawberry.field(description="Of them, delivered by their promised time.")
    on_time_rate: float | None = strawberry.field(description="sameCityOnTime / sameCityDelivered (null without deliveries).")


@strawberry.type
class SalesReportRow:
    day: date | None = strawberry.field(description="The local day (null when grouped by STORE).")
    store_id: strawberry.ID | None = strawberry.field(description="The store (null when grouped by DAY).")
    store_code: str | None
    store_name: str | None
    figures: SalesFigures


@strawberry.type
class SalesReportResult:
    errors: list[ReportError]
    totals: SalesFigures | None = strawberry.field(description="The whole filtered scope and range, all pages.")
    rows: Connection[SalesReportRow] | None


@strawberry.type
class SalesReportCsv:
    errors: list[ReportError]
    csv: str | None = strawberry.field(default=None, description="A header line (first page only) and one line per row.")
    row_count: int = 0
    has_next_page: bool = False
    end_cursor: str | None = strawberry.field(default=None, description="Pass as `after` for the next page.")


@strawberry.input(description="Which days, which stores, how grouped and ordered. At most 366 days and 100 store ids; stores and nodes must be within what you manage.")
class SalesReportInput:
    from_: date = strawberry.field(name="from", description="First local day (inclusive).")
    to: date = strawberry.field(description="Last local day (inclusive).")
    group_by: ReportGroupBy = GroupBy.DAY
    store_ids: list[strawberry.ID] | None = None
    node_id: strawberry.ID | None = strawberry.field(default=None, description="Only the stores under this network node (a partner).")
    sort_by: ReportSortField | None = strawberry.field(default=None, description="Default: DAY, or STORE when grouped by store. Ties are broken by day, then store.")
    descending: bool = False
