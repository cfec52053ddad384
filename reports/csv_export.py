"""The report's rows as CSV text (Python's csv module): one page per call, up to MAX_CSV_PAGE
rows, with the same cursor as the connection, so a large export is fetched page after page
instead of being built in memory at once. Money in yuan with two decimals (fen exact), rates
as fractions with four decimals, empty where undefined (no orders, no deliveries)."""
from __future__ import annotations

import csv
import io

from core.money import fen_to_decimal_string
from reports.query import ReportPage, ReportRow

HEADER = (
    "day", "store_id", "store_code", "store_name", "orders", "gmv", "average_order_value", "refunds",
    "refund_amount", "net_sales", "cancelled", "pickup_orders", "pickup_share", "same_city_delivered",
    "same_city_on_time", "on_time_rate",
)


def _text(value: str | None) -> str:
    """A name a spreadsheet would run as a formula (=, +, -, @) is quoted with a leading '."""
    value = value or ""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def _rate(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _row(row: ReportRow, store_gid) -> list:
    f = row.figures
    return [
        row.day.isoformat() if row.day else "",
        store_gid(row.store_id) if row.store_id is not None else "",
        _text(row.store_code), _text(row.store_name),
        f.orders, fen_to_decimal_string(f.gmv_fen),
        "" if f.average_order_fen is None else fen_to_decimal_string(f.average_order_fen),
        f.refunds, fen_to_decimal_string(f.refund_fen), fen_to_decimal_string(f.net_fen), f.cancelled,
        f.pickup_orders, _rate(f.pickup_share), f.delivered, f.delivered_on_time, _rate(f.on_time_rate),
    ]


def to_csv(page: ReportPage, store_gid, *, header: bool = True) -> str:
    """`store_gid(pk)` turns a store's key into the id clients use (the Relay id)."""
    out = io.StringIO()
    # CRLF, as RFC 4180 and Excel write it: the writer quotes a field holding any character of the
    # line terminator, so with "\n" alone a name holding a lone CR went out unquoted, and Excel
    # starts a new row at a CR: "x\r=HYPERLINK(...)" became a formula cell of its own.
    writer = csv.writer(out, lineterminator="\r\n")
    if header:
        writer.writerow(HEADER)
    for row in page.rows:
        writer.writerow(_row(row, store_gid))
    return out.getvalue()
