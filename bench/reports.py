"""Sales report benchmark (not a test), on PostgreSQL.

Creates a scratch database (dropped at the end), one brand with 10 partners and --stores stores
under them, then loads --orders orders spread over --days days with INSERT ... SELECT over
generate_series (no ORM: a million rows load in a few minutes on two cores). The mix: 1 in 20
cancelled unpaid, 1 in 20 refunded whole, 1 in 50 partially refunded (a payment and a
payment_refund row), the rest completed; a third are store pickups; same-city orders carry a
promised time and are delivered 30-89 minutes after payment (some late). Only the order_event
rows the report reads are written (cancelled, delivered, refunded), not the full status trail.

Then the rollup is built by the same code `qiandian reports-rebuild` runs (reports.rebuild),
and the domain report (reports.query.sales_report, what the GraphQL resolver calls) is timed for
HQ, one partner and one store: the by-day report over the last 30 days, with totals.

    .venv/bin/python bench/reports.py [--orders 1000000] [--stores 500] [--days 90] [--runs 40]
        [--pg postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

Prints key=value lines; the targets are report_*_p95_ms <= 500.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402

from auth.roles import Principal, RoleGrant  # noqa: E402
from commerce.models import Customer  # noqa: E402
from db.migrate import upgrade_async  # noqa: E402
from db.session import Database  # noqa: E402
from reports.query import GroupBy, ReportFilter, sales_report  # noqa: E402
from reports.rebuild import rebuild  # noqa: E402
from store_network import provisioning  # noqa: E402

START = date(2026, 6, 1)  # the first local day of the loaded range


async def _admin(pg: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(pg.replace("postgresql+asyncpg://", "postgresql://"), timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def build_network(db: Database, stores: int):
    async with db.write() as session:
        tenant, hq = await provisioning.create_tenant(session, "bench" + uuid.uuid4().hex[:6], "Bench brand")
        partners = [await provisioning.add_node(session, hq, "PARTNER", f"P{i}") for i in range(10)]
        rows = []
        for i in range(stores):
            store = await provisioning.add_store(session, partners[i % 10], code=f"S{i}", name=f"Store {i}",
                                                 lon=120.0 + (i % 50) * 0.01, lat=30.0 + (i // 50) * 0.01)
            rows.append(store)
        customer = Customer(tenant_id=tenant.id, mobile="+8613800000009", name="bench")
        session.add(customer)
        await session.flush()
        store_node = await provisioning.node_by_store(session, rows[0])
        return tenant.id, hq, partners[0], store_node, [s.id for s in rows], customer.id


LOAD_SQL = [
    "CREATE TEMP TABLE bench_store (n int PRIMARY KEY, id bigint) ON COMMIT DROP",
    "INSERT INTO bench_store SELECT ordinality - 1, id FROM unnest(CAST(:stores AS bigint[])) WITH ORDINALITY AS s(id, ordinality)",
    # One order per g: a store by g, a moment in the range by a multiplicative hash of g.
    """
    INSERT INTO customer_order (tenant_id, number, customer_id, store_id, status, fulfilment_type, currency,
        subtotal_fen, delivery_fee_fen, total_fen, stock_state, note, paid_at, promised_by, slot_units, created_at, updated_at)
    SELECT :tenant, 'B' || g, :customer, s.id,
        CASE WHEN g % 20 = 0 THEN 'CANCELLED' WHEN g % 20 = 1 THEN 'REFUNDED' ELSE 'COMPLETED' END,
        CASE WHEN g % 3 = 0 THEN 'STORE_PICKUP' ELSE 'SAME_CITY_DELIVERY' END, 'CNY',
        1000 + (g * 37) % 20000, 0, 1000 + (g * 37) % 20000,
        CASE WHEN g % 20 = 0 THEN 'RELEASED' WHEN g % 20 = 1 THEN 'RESTOCKED' ELSE 'DEDUCTED' END, '',
        CASE WHEN g % 20 = 0 THEN NULL ELSE t.at + interval '2 minutes' END,
        CASE WHEN g % 3 = 0 THEN NULL ELSE t.at + interval '62 minutes' END,
        0, t.at, t.at
    FROM generate_series(1, :orders) AS g
    JOIN bench_store s ON s.n = g % :store_count
    CROSS JOIN LATERAL (SELECT CAST(:start AS timestamptz) + ((CAST(g AS bigint) * 7919) % (:days * 86400)) * interval '1 second' AS at) t
    """,
    """
    INSERT INTO order_event (order_id, from_status, to_status, actor_type, actor_id, reason, created_at)
    SELECT id, 'UNPAID', 'CANCELLED', 'SYSTEM', CAST(NULL AS bigint), 'expired', created_at + interval '15 minutes'
    FROM customer_order WHERE tenant_id = :tenant AND status = 'CANCELLED'
    UNION ALL
    SELECT id, 'DELIVERING', 'COMPLETED', 'RIDER', NULL, '', paid_at + (30 + id % 60) * interval '1 minute'
    FROM customer_order WHERE tenant_id = :tenant AND fulfilment_type = 'SAME_CITY_DELIVERY' AND status <> 'CANCELLED'
    UNION ALL
    SELECT id, 'PAID', 'REFUNDED', 'STAFF', NULL, 'refund', paid_at + interval '3 hours'
    FROM customer_order WHERE tenant_id = :tenant AND status = 'REFUNDED'
    """,
    """
    INSERT INTO payment (tenant_id, order_id, provider, provider_ref, amount_fen, captured_fen, currency, status,
        refunded_fen, created_at, updated_at)
    SELECT :tenant, id, 'SANDBOX', 'bench-' || id, total_fen, total_fen, 'CNY', 'SUCCEEDED', total_fen / 4, paid_at, paid_at
    FROM customer_order WHERE tenant_id = :tenant AND status = 'COMPLETED' AND id % 50 = 2
    """,
    """
    INSERT INTO payment_refund (tenant_id, payment_id, order_id, out_refund_no, amount_fen, status, reason, lines,
        restock, attempts, created_at, updated_at)
    SELECT :tenant, p.id, p.order_id, 'RB' || p.id, p.refunded_fen, 'SUCCEEDED', 'bench', NULL, false, 1,
        p.created_at + interval '1 day', p.created_at + interval '1 day'
    FROM payment p WHERE p.tenant_id = :tenant AND p.provider_ref LIKE 'bench-%'
    """,
]


async def load(db: Database, tenant_id: int, customer_id: int, store_ids: list[int], orders: int, days: int) -> int:
    params = {"tenant": tenant_id, "customer": customer_id, "stores": store_ids, "store_count": len(store_ids),
              "orders": orders, "days": days, "start": datetime.combine(START, datetime.min.time(), ZoneInfo("Asia/Shanghai"))}
    async with db.write() as session:
        for sql in LOAD_SQL:
            statement = text(sql)
            used = {k: v for k, v in params.items() if f":{k}" in sql}
            await session.execute(statement, used)
        count = await session.scalar(text("SELECT count(*) FROM customer_order WHERE tenant_id = :t"), {"t": tenant_id})
    await _analyze(db)
    return int(count)


async def _analyze(db: Database) -> None:
    async with db.engine.connect() as conn:
        await conn.execute(text("COMMIT"))
        for table in ("customer_order", "order_event", "payment", "payment_refund", "report_store_day", "store", "network_node"):
            await conn.execute(text(f"ANALYZE {table}"))


async def timed(db: Database, principal: Principal, report: ReportFilter, runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        async with db.read() as session:
            page = await sales_report(session, principal, report, first=31)
        samples.append((time.perf_counter() - started) * 1000)
        assert len(page.rows) == 30, len(page.rows)
    return samples


def p95(samples: list[float]) -> float:
    return sorted(samples)[max(0, int(round(0.95 * len(samples))) - 1)]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--stores", type=int, default=500)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--pg", default=os.environ.get("QIANDIAN_BENCH_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    if args.days < 30:
        parser.error("--days must be at least 30 (the reports cover the last 30 days)")
    name = f"qiandian_bench_reports_{uuid.uuid4().hex[:8]}"
    await _admin(args.pg, f'CREATE DATABASE "{name}"')
    db = None
    try:
        url = args.pg.rsplit("/", 1)[0] + "/" + name
        await upgrade_async(url)
        db = Database(url)
        tenant_id, hq, partner, store_node, store_ids, customer_id = await build_network(db, args.stores)

        started = time.perf_counter()
        loaded = await load(db, tenant_id, customer_id, store_ids, args.orders, args.days)
        load_s = time.perf_counter() - started

        started = time.perf_counter()
        async with db.write() as session:
            built = await rebuild(session, tenant_id)
        rollup_s = time.perf_counter() - started
        await _analyze(db)
        async with db.read() as session:  # the rollup agrees with the record on the simplest count
            paid = await session.scalar(text("SELECT count(*) FROM customer_order WHERE tenant_id = :t AND paid_at IS NOT NULL"), {"t": tenant_id})
            counted = await session.scalar(text("SELECT sum(orders) FROM report_store_day WHERE tenant_id = :t"), {"t": tenant_id})

        last = START + timedelta(days=args.days - 1)
        window = ReportFilter(day_from=last - timedelta(days=29), day_to=last, group_by=GroupBy.DAY)
        who = {
            "hq": Principal.staff(tenant_id, 1, (RoleGrant("HQ_ADMIN", hq.id, hq.path),)),
            "partner": Principal.staff(tenant_id, 2, (RoleGrant("PARTNER_ADMIN", partner.id, partner.path),)),
            "store": Principal.staff(tenant_id, 3, (RoleGrant("STORE_MANAGER", store_node.id, store_node.path),)),
        }
        results = {}
        for key, principal in who.items():
            await timed(db, principal, window, 3)  # warm the pool and the plan cache
            results[key] = await timed(db, principal, window, args.runs)

        print(f"orders_loaded={loaded}")
        print(f"stores={args.stores}")
        print(f"days={args.days}")
        print(f"load_s={load_s:.1f}")
        print(f"rollup_build_s={rollup_s:.1f}")
        print(f"rollup_rows={built.rows}")
        print(f"rollup_orders_match={'yes' if paid == counted else f'NO ({counted} of {paid})'}")
        print(f"report_hq_30d_p50_ms={statistics.median(results['hq']):.1f}")
        print(f"report_hq_30d_p95_ms={p95(results['hq']):.1f}")
        print(f"report_partner_30d_p95_ms={p95(results['partner']):.1f}")
        print(f"report_store_30d_p95_ms={p95(results['store']):.1f}")
        print(f"runs={args.runs}")
        print(f"nproc={os.cpu_count()}")
        print(f"loadavg={' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        if db is not None:
            await db.dispose()
        await _admin(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
