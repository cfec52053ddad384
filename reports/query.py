"""Reading the rollup on behalf of a principal: scope, filters, grouping, order, keyset pages.

Scope: a staff member or API key sees the stores under the nodes of its grants that carry
VIEW_ORDERS (HQ: every store; a partner: its subtree; a store: itself), matched on the
materialised node paths. Asking for a node or store outside that scope is PERMISSION_DENIED;
one of another tenant is NOT_FOUND (it reveals nothing).
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import date
from enum import Enum

from sqlalchemy import BigInteger, cast, func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import ROLE_PERMISSIONS, Permission, Principal, PrincipalKind
from core.errors import DomainError
from reports.errors import ReportErrorCode as Codes
from reports.models import COUNTERS, ReportStoreDay
from store_network.access import load_node, load_store
from store_network.models import NetworkNode, Store

MAX_DAYS = 366
MAX_STORE_IDS = 100
MAX_PAGE = 100
MAX_CSV_PAGE = 5000
PERMISSION = Permission.VIEW_ORDERS


class GroupBy(str, Enum):
    DAY = "DAY"  # one row per local day, every store in scope summed
    STORE = "STORE"  # one row per store, the whole range summed
    STORE_DAY = "STORE_DAY"  # one row per store per day


class SortField(str, Enum):
    DAY = "DAY"
    STORE = "STORE"
    ORDERS = "ORDERS"
    GMV = "GMV"


@dataclass(frozen=True)
class ReportFilter:
    day_from: date
    day_to: date
    group_by: GroupBy = GroupBy.DAY
    store_ids: tuple[int, ...] = ()
    node_id: int | None = None
    sort: SortField | None = None  # None: the group's own order (DAY, or STORE when grouped by store)
    descending: bool = False


@dataclass(frozen=True)
class Figures:
    orders: int = 0
    gmv_fen: int = 0
    pickup_orders: int = 0
    refunds: int = 0
    refund_fen: int = 0
    cancelled: int = 0
    delivered: int = 0
    delivered_on_time: int = 0

    @property
    def average_order_fen(self) -> int | None:
        return None if not self.orders else (self.gmv_fen + self.orders // 2) // self.orders  # half up, in fen

    @property
    def net_fen(self) -> int:
        return self.gmv_fen - self.refund_fen

    @property
    def pickup_share(self) -> float | None:
        return None if not self.orders else round(self.pickup_orders / self.orders, 4)

    @property
    def on_time_rate(self) -> float | None:
        return None if not self.delivered else round(self.delivered_on_time / self.delivered, 4)


@dataclass(frozen=True)
class ReportRow:
    figures: Figures
    day: date | None = None
    store_id: int | None = None
    store_code: str | None = None
    store_name: str | None = None
    cursor: str = ""


@dataclass
class ReportPage:
    rows: list[ReportRow] = field(default_factory=list)
    has_next_page: bool = False
    totals: Figures = field(default_factory=Figures)


def _sort(report: ReportFilter) -> SortField:
    if report.sort is not None:
        return report.sort
    return SortField.STORE if report.group_by is GroupBy.STORE else SortField.DAY


def _check(report: ReportFilter, first: int, max_page: int) -> None:
    if report.day_to < report.day_from:
        raise DomainError(Codes.INVALID, "`to` is before `from`", "to")
    if (report.day_to - report.day_from).days + 1 > MAX_DAYS:
        raise DomainError(Codes.RANGE_TOO_LONG, f"at most {MAX_DAYS} days per report", "to")
    if len(report.store_ids) > MAX_STORE_IDS:
        raise DomainError(Codes.TOO_MANY_STORES, f"at most {MAX_STORE_IDS} store ids", "storeIds")
    if not 0 <= first <= max_page:
        raise DomainError(Codes.INVALID, f"`first` must be between 0 and {max_page}", "first")
    if report.group_by is GroupBy.DAY and _sort(report) is SortField.STORE:
        raise DomainError(Codes.INVALID, "a report grouped by day cannot be sorted by store", "sortBy")
    if report.group_by is GroupBy.STORE and _sort(report) is SortField.DAY:
        raise DomainError(Codes.INVALID, "a report grouped by store cannot be sorted by day", "sortBy")


async def _scope(session: AsyncSession, principal: Principal, report: ReportFilter) -> list:
    """SQL conditions on NetworkNode.path / Store.id restricting rows to what the principal may see."""
    if principal.tenant_id is None or principal.kind is PrincipalKind.ANONYMOUS:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in first", None)
    paths = sorted({g.node_path for g in principal.grants if PERMISSION in ROLE_PERMISSIONS[g.role]})
    if principal.kind not in (PrincipalKind.STAFF, PrincipalKind.API_KEY) or not paths:
        raise DomainError(Codes.PERMISSION_DENIED, "reports are for staff of the store network", None)
    conditions = [or_(*[NetworkNode.path.like(path + "%") for path in paths])]
    if report.node_id is not None:
        node = await load_node(session, principal, report.node_id, Codes, "nodeId")
        if not principal.can(PERMISSION, node.path):
            raise DomainError(Codes.PERMISSION_DENIED, "this node is outside the network you manage", "nodeId")
        conditions.append(NetworkNode.path.like(node.path + "%"))
    if report.store_ids:
        for index, store_id in enumerate(report.store_ids):
            await load_store(session, principal, store_id, Codes, PERMISSION, field=f"storeIds.{index}")
        conditions.append(Store.id.in_(report.store_ids))
    return conditions


def _sums():
    table = ReportStoreDay
    return [cast(func.sum(getattr(table, name)), BigInteger).label(name) for name in COUNTERS]


def _figures(row) -> Figures:
    return Figures(**{name: int(getattr(row, name) or 0) for name in COUNTERS})


def _keys(report: ReportFilter):
    """(group columns, keyset keys as (name, column)): the sort column first, then the identity of
    the group as the tie-breaker, so equal sort values still page in a stable order."""
    day, store = ("day", ReportStoreDay.day), ("store_id", ReportStoreDay.store_id)
    identity = {GroupBy.DAY: [day], GroupBy.STORE: [store], GroupBy.STORE_DAY: [day, store]}[report.group_by]
    groups = [c for _, c in identity] + ([Store.code, Store.name] if store in identity else [])
    sort = _sort(report)
    if sort is SortField.ORDERS:
        first = [("orders", cast(func.sum(ReportStoreDay.orders), BigInteger))]
    elif sort is SortField.GMV:
        first = [("gmv_fen", cast(func.sum(ReportStoreDay.gmv_fen), BigInteger))]
    else:
        first = [store if sort is SortField.STORE else day]
    return groups, first + [k for k in identity if k not in first]


def _encode(values: list) -> str:
    plain = [v.isoformat() if isinstance(v, date) else int(v) for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode()


def _decode(cursor: str, keys: list) -> list:
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(values, list) or len(values) != len(keys):
            raise ValueError
        out = []
        for value, (name, _) in zip(values, keys):
            if name == "day":
                out.append(date.fromisoformat(value))
            elif type(value) is int and abs(value) < 2**63:
                out.append(value)
            else:
                raise ValueError
        return out
    except (ValueError, TypeError, UnicodeError):
        raise DomainError(Codes.INVALID, "malformed cursor", "after") from None


async def sales_report(session: AsyncSession, principal: Principal, report: ReportFilter, *, first: int = 20,
                       after: str | None = None, max_page: int = MAX_PAGE, with_totals: bool = True) -> ReportPage:
    _check(report, first, max_page)
    conditions = await _scope(session, principal, report)
    base = (
        select()
        .select_from(ReportStoreDay)
        .join(Store, Store.id == ReportStoreDay.store_id)
        .join(NetworkNode, NetworkNode.id == Store.node_id)
        .where(ReportStoreDay.tenant_id == principal.tenant_id, ReportStoreDay.day >= report.day_from,
               ReportStoreDay.day <= report.day_to, *conditions)
    )
    groups, keys = _keys(report)
    query = base.add_columns(*groups, *_sums()).group_by(*groups)
    if after:
        values = _decode(after, keys)
        key = tuple_(*[c for _, c in keys])
        query = query.having(key < tuple_(*values) if report.descending else key > tuple_(*values))
    query = query.order_by(*[c.desc() if report.descending else c.asc() for _, c in keys]).limit(first + 1)
    found = list(await session.execute(query))
    page = ReportPage(has_next_page=len(found) > first)
    for row in found[:first]:
        mapping = row._mapping
        page.rows.append(ReportRow(
            figures=_figures(row), day=mapping.get("day"), store_id=mapping.get("store_id"),
            store_code=mapping.get("code"), store_name=mapping.get("name"),
            cursor=_encode([mapping[name] for name, _ in keys]),
        ))
    if with_totals:
        totals = (await session.execute(base.add_columns(*_sums()))).one()
        page.totals = _figures(totals)
    return page
