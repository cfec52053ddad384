"""Thin resolvers of the sales reports: decode ids, call reports.query, map to GraphQL types."""
from __future__ import annotations

from strawberry.types import Info

from core.errors import DomainError
from reports import csv_export
from reports.errors import ReportErrorCode as Codes
from reports.query import MAX_CSV_PAGE, Figures, GroupBy, ReportFilter, SortField, sales_report as run_report
from resolvers.errors import payload_errors
from schema import ids
from schema.common import Connection, Edge, Money, PageInfo
from schema.reports import ReportError, SalesFigures, SalesReportCsv, SalesReportInput, SalesReportResult, SalesReportRow


def _filter(input: SalesReportInput) -> ReportFilter:
    store_ids = input.store_ids or []
    if len(store_ids) > 100:
        raise DomainError(Codes.TOO_MANY_STORES, "at most 100 store ids", "storeIds")
    return ReportFilter(
        day_from=input.from_, day_to=input.to, group_by=GroupBy(input.group_by.value),
        store_ids=tuple(ids.decode(raw, "Store", Codes, f"storeIds.{i}") for i, raw in enumerate(store_ids)),
        node_id=ids.decode_optional(input.node_id, "NetworkNode", Codes, "nodeId"),
        sort=None if input.sort_by is None else SortField(input.sort_by.value), descending=input.descending,
    )


def _figures(f: Figures) -> SalesFigures:
    return SalesFigures(
        orders=f.orders, gmv=Money.of(f.gmv_fen),
        average_order_value=None if f.average_order_fen is None else Money.of(f.average_order_fen),
        refunds=f.refunds, refund_amount=Money.of(f.refund_fen), net_sales=Money.of(f.net_fen), cancelled=f.cancelled,
        pickup_orders=f.pickup_orders, pickup_share=f.pickup_share, same_city_delivered=f.delivered,
        same_city_on_time=f.delivered_on_time, on_time_rate=f.on_time_rate,
    )


def _store_gid(pk: int) -> str:
    return ids.encode("Store", pk)


async def sales_report(info: Info, input: SalesReportInput, first: int, after: str | None) -> SalesReportResult:
    try:
        report = _filter(input)
        async with info.context.database.read() as session:
            page = await run_report(session, info.context.principal, report, first=first, after=after)
    except DomainError as exc:
        return SalesReportResult(errors=payload_errors(exc, ReportError, Codes), totals=None, rows=None)
    edges = [Edge(node=SalesReportRow(day=r.day, store_id=None if r.store_id is None else _store_gid(r.store_id),
                                      store_code=r.store_code, store_name=r.store_name, figures=_figures(r.figures)),
                  cursor=r.cursor) for r in page.rows]
    connection = Connection(edges=edges, page_info=PageInfo(
        has_next_page=page.has_next_page, has_previous_page=after is not None,
        start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None))
    return SalesReportResult(errors=[], totals=_figures(page.totals), rows=connection)


async def sales_report_csv(info: Info, input: SalesReportInput, first: int, after: str | None) -> SalesReportCsv:
    try:
        report = _filter(input)
        async with info.context.database.read() as session:
            page = await run_report(session, info.context.principal, report, first=first, after=after,
                                    max_page=MAX_CSV_PAGE, with_totals=False)
    except DomainError as exc:
        return SalesReportCsv(errors=payload_errors(exc, ReportError, Codes))
    return SalesReportCsv(
        errors=[], csv=csv_export.to_csv(page, _store_gid, header=after is None), row_count=len(page.rows),
        has_next_page=page.has_next_page, end_cursor=page.rows[-1].cursor if page.rows else None,
    )
