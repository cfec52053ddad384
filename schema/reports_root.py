"""Reports' Query fields (a base class of schema.root.Query).
Resolvers are imported inside each field: schema modules do not import resolvers at import time."""
from __future__ import annotations

import strawberry
from strawberry.types import Info

from schema.reports import SalesReportCsv, SalesReportInput, SalesReportResult


def _r():
    from resolvers import reports

    return reports


@strawberry.type
class ReportsQuery:
    @strawberry.field(description="Staff: sales per local day and store (orders, GMV, refunds, cancellations, on-time same-city delivery, pickup share) for the stores you manage: HQ every store, a partner its subtree, a store itself. Pages of at most 100 rows.")
    async def sales_report(self, info: Info, input: SalesReportInput, first: int = 20, after: str | None = None) -> SalesReportResult:
        return await _r().sales_report(info, input, first, after)

    @strawberry.field(description="The same report as CSV text, up to 5000 rows a page; follow endCursor for the rest.")
    async def sales_report_csv(self, info: Info, input: SalesReportInput, first: int = 1000, after: str | None = None) -> SalesReportCsv:
        return await _r().sales_report_csv(info, input, first, after)
