"""Recompute report_store_day from the order tables (the record), for a tenant and a day range.

The facts come from reports.facts.fact_selects, the definition the listeners follow. On
PostgreSQL the local day and the sums are computed in SQL (timezone(store.timezone, at)); on
SQLite, which has no time zones, rows are read and summed here. Either way the tenant's rows
in the range are deleted and written again in one transaction, so a rebuild can be re-run at
will and always lands on the same figures.

On PostgreSQL the table is locked against writers (SHARE ROW EXCLUSIVE) before the record is
read: an order change that commits while the rebuild runs either committed before the lock
(the rebuild reads it) or waits at its rollup upsert until the rebuild commits (and then adds
its fact on top). Nothing is counted twice or lost.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import BigInteger, Date, cast, delete, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from reports import facts
from reports.models import COUNTERS, ReportStoreDay

_BATCH = 5000


@dataclass(frozen=True)
class RebuildResult:
    rows: int
    day_from: date | None
    day_to: date | None


def _utc_bounds(day_from: date | None, day_to: date | None) -> tuple[datetime | None, datetime | None]:
    """A UTC window surely containing every instant whose local day is in [from, to] in any
    timezone (offsets lie within +-14 h); the exact local day is filtered afterwards."""
    since = datetime.combine(day_from - timedelta(days=1), time(), timezone.utc) if day_from else None
    until = datetime.combine(day_to + timedelta(days=2), time(), timezone.utc) if day_to else None
    return since, until


def _in_range(day: date, day_from: date | None, day_to: date | None) -> bool:
    return (day_from is None or day >= day_from) and (day_to is None or day <= day_to)


async def recompute(session: AsyncSession, tenant_id: int, day_from: date | None = None,
                    day_to: date | None = None) -> dict[tuple[int, date], dict[str, int]]:
    """The rollup the record implies: {(store_id, day): {counter: value}} (non-zero rows only)."""
    since, until = _utc_bounds(day_from, day_to)
    totals: dict[tuple[int, date], dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTERS, 0))
    postgres = session.bind.dialect.name == "postgresql"
    for query in facts.fact_selects(tenant_id, since, until):
        names = [c.name for c in query.selected_columns][3:]
        if postgres:
            sub = query.subquery()
            day = cast(func.timezone(sub.c.timezone, sub.c.at), Date).label("day")
            grouped = select(sub.c.store_id, day, *[cast(func.sum(sub.c[n]), BigInteger) for n in names]).group_by(sub.c.store_id, day)
            for store_id, local, *values in await session.execute(grouped):
                if _in_range(local, day_from, day_to):
                    row = totals[(store_id, local)]
                    for name, value in zip(names, values):
                        row[name] += int(value)
        else:
            result = await session.stream(query)
            async for store_id, tz, at, *values in result:
                local = facts.local_day(at, tz)
                if _in_range(local, day_from, day_to):
                    row = totals[(store_id, local)]
                    for name, value in zip(names, values):
                        row[name] += int(value)
    return {key: dict(value) for key, value in totals.items() if any(value.values())}


async def rollup_rows(session: AsyncSession, tenant_id: int, day_from: date | None = None,
                      day_to: date | None = None) -> dict[tuple[int, date], dict[str, int]]:
    """What report_store_day holds now, in recompute's shape (non-zero rows only)."""
    query = select(ReportStoreDay).where(ReportStoreDay.tenant_id == tenant_id)
    if day_from is not None:
        query = query.where(ReportStoreDay.day >= day_from)
    if day_to is not None:
        query = query.where(ReportStoreDay.day <= day_to)
    out = {}
    for row in await session.scalars(query):
        values = {name: int(getattr(row, name)) for name in COUNTERS}
        if any(values.values()):
            out[(row.store_id, row.day)] = values
    return out


async def rebuild(session: AsyncSession, tenant_id: int, day_from: date | None = None,
                  day_to: date | None = None) -> RebuildResult:
    """Replace the tenant's rollup rows in [day_from, day_to] (None: unbounded) by the recomputation.
    Runs in the caller's transaction; the caller commits."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text("LOCK TABLE report_store_day IN SHARE ROW EXCLUSIVE MODE"))
    wanted = await recompute(session, tenant_id, day_from, day_to)
    gone = delete(ReportStoreDay).where(ReportStoreDay.tenant_id == tenant_id)
    if day_from is not None:
        gone = gone.where(ReportStoreDay.day >= day_from)
    if day_to is not None:
        gone = gone.where(ReportStoreDay.day <= day_to)
    await session.execute(gone, execution_options={"synchronize_session": False})
    rows = [{"tenant_id": tenant_id, "store_id": store_id, "day": day, **values}
            for (store_id, day), values in sorted(wanted.items())]
    for start in range(0, len(rows), _BATCH):
        await session.execute(insert(ReportStoreDay.__table__), rows[start:start + _BATCH])
    return RebuildResult(len(rows), day_from, day_to)


async def rebuild_tenant(database, slug: str, day_from: date | None = None, day_to: date | None = None) -> RebuildResult:
    """`qiandian reports-rebuild`: one transaction for the tenant named by `slug`."""
    from store_network.models import Tenant

    if day_from is not None and day_to is not None and day_to < day_from:
        raise ValueError("--to is before --from")
    async with database.write() as session:
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == slug))
        if tenant_id is None:
            raise LookupError(f"no tenant {slug!r}")
        return await rebuild(session, tenant_id, day_from, day_to)
