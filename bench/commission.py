"""Commission settlement benchmark (not a test), on PostgreSQL.

Builds a fresh database with one brand: 10 leaders, 100 partners under them, 1,000 sellers
under those (two upline levels, upline rates 3% and 2%, seller rate 10%), and N paid,
completed orders attributed to the sellers. The first --accrue orders accrue through the
real listener code (commission.accrue_order: rules, upline chain, ledger postings); the rest
are seeded in bulk (accrual rows plus one balanced ledger posting per 63 salespeople), so the
run measures settlement, not setup. Then the settlement job (commission.settle_due, batches
of --batch accruals, one transaction each) settles everything, and the ledger is checked:

    ledger_imbalance_fen = |sum of every entry| + sum |cached balance - sum of its entries|
                         + |pending balances - unsettled accruals| + |settled side - settled accruals|

which must be 0. Prints key=value lines.

    .venv/bin/python bench/commission.py [--orders 100000] [--accrue 300] [--batch 20000]
        [--pg postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select  # noqa: E402

from commerce.models import Category, Customer, Order, OrderLine, Product, Sku  # noqa: E402
from core.clock import utc_now  # noqa: E402
from db.migrate import upgrade_async  # noqa: E402
from db.session import Database  # noqa: E402
from distribution import commission  # noqa: E402
from distribution.commission import DEBT, PENDING, WITHDRAWABLE, WITHDRAWING, WITHDRAWN  # noqa: E402
from distribution.models import CommissionAccrual, CommissionRule, DistributionProgram, OrderAttribution, Salesperson  # noqa: E402
from ledger import Leg, post  # noqa: E402
from ledger.checks import verify  # noqa: E402
from ledger.models import LedgerAccount, LedgerEntry, LedgerTransaction  # noqa: E402
from store_network import provisioning  # noqa: E402

CHUNK = 5000


async def _admin(pg: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(pg.replace("postgresql+asyncpg://", "postgresql://"), timeout=10)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def build(db: Database, orders: int):
    now = utc_now()
    async with db.write() as session:
        tenant, hq = await provisioning.create_tenant(session, "bench" + uuid.uuid4().hex[:6], "Bench brand")
        partner = await provisioning.add_node(session, hq, "PARTNER", "P")
        store = await provisioning.add_store(session, partner, code="S1", name="S1", lon=120.15, lat=30.27)
        category = Category(tenant_id=tenant.id, slug="c", name="C")
        session.add(category)
        await session.flush()
        product = Product(tenant_id=tenant.id, category_id=category.id, slug="p", name="P")
        session.add(product)
        await session.flush()
        sku = Sku(tenant_id=tenant.id, product_id=product.id, code="P1", name="P", base_price_fen=1000)
        session.add(sku)
        session.add(DistributionProgram(tenant_id=tenant.id, settle_days=7, binding_days=30, touch="FIRST", upline_levels=2,
                                        upline1_rate_bp=300, upline2_rate_bp=200, first_order_reward_fen=0, first_order_days=3,
                                        min_withdrawal_fen=100, upgrade_orders=0, upgrade_gmv_fen=0, upgrade_window_days=30, updated_at=now))
        session.add(CommissionRule(tenant_id=tenant.id, mode="RATE", rate_bp=1000))
        await session.flush()
        ids = (await session.execute(insert(Customer).returning(Customer.id), [
            {"tenant_id": tenant.id, "mobile": f"+86130{i:08d}", "name": f"c{i}", "created_at": now} for i in range(1111)])).scalars().all()
        buyer, people = ids[0], ids[1:]
        tiers: list[list[int]] = []
        for size, uplines in ((10, None), (100, 0), (1000, 1)):
            rows = [{"tenant_id": tenant.id, "customer_id": people.pop(), "kind": "DISTRIBUTOR", "store_id": store.id, "level": 1,
                     "status": "ACTIVE", "joined_at": now - timedelta(days=30),
                     "upline_id": random.choice(tiers[uplines]) if uplines is not None else None} for _ in range(size)]
            tiers.append(list((await session.execute(insert(Salesperson).returning(Salesperson.id), rows)).scalars().all()))
        ids = dict(tenant=tenant.id, store=store.id, sku=sku.id, buyer=buyer)
    sellers = tiers[2]
    order_ids: list[int] = []
    for start in range(0, orders, CHUNK):
        n = min(CHUNK, orders - start)
        totals = [random.randint(500, 50000) for _ in range(n)]
        chosen = [random.choice(sellers) for _ in range(n)]
        async with db.write() as session:
            made = (await session.execute(insert(Order).returning(Order.id), [
                {"tenant_id": ids["tenant"], "number": f"B{start + i:09d}", "customer_id": ids["buyer"], "store_id": ids["store"],
                 "status": "COMPLETED", "fulfilment_type": "STORE_PICKUP", "currency": "CNY", "subtotal_fen": t, "total_fen": t,
                 "delivery_fee_fen": 0, "stock_state": "DEDUCTED", "note": "", "paid_at": now - timedelta(days=10),
                 "slot_units": 0, "created_at": now, "updated_at": now}
                for i, t in enumerate(totals)])).scalars().all()
            await session.execute(insert(OrderLine), [
                {"order_id": o, "sku_id": ids["sku"], "product_name": "P", "sku_code": "P1", "quantity": 1, "unit_price_fen": t,
                 "price_per_quantity": 1, "line_total_fen": t} for o, t in zip(made, totals)])
            await session.execute(insert(OrderAttribution), [
                {"order_id": o, "tenant_id": ids["tenant"], "store_id": ids["store"], "salesperson_id": s, "customer_id": ids["buyer"], "created_at": now}
                for o, s in zip(made, chosen)])
        order_ids.extend(zip(made, totals, chosen))
    return ids, order_ids


async def accrue_real(db: Database, tenant_id: int, orders) -> float:
    t0 = time.perf_counter()
    at = utc_now() - timedelta(days=10)
    for order_id, _, _ in orders:
        async with db.write() as session:
            await commission.accrue_order(session, tenant_id, order_id, at)
            await commission.schedule_settlement(session, tenant_id, order_id, at)
    return time.perf_counter() - t0


async def accrue_bulk(db: Database, tenant_id: int, orders) -> None:
    async with db.read() as session:
        uplines = dict((await session.execute(select(Salesperson.id, Salesperson.upline_id).where(Salesperson.tenant_id == tenant_id))).all())
    due = utc_now() - timedelta(days=1)
    owed: dict[int, int] = {}
    for start in range(0, len(orders), CHUNK):
        rows = []
        for order_id, total, seller in orders[start:start + CHUNK]:
            up1 = uplines[seller]
            up2 = uplines[up1]
            for sp, role, amount in ((seller, "SELLER", total * 1000 // 10000), (up1, "UPLINE1", total * 300 // 10000), (up2, "UPLINE2", total * 200 // 10000)):
                if amount > 0:
                    rows.append({"tenant_id": tenant_id, "order_id": order_id, "salesperson_id": sp, "role": role, "amount_fen": amount,
                                 "reversed_fen": 0, "state": "PENDING", "settle_after": due, "created_at": due})
                    owed[sp] = owed.get(sp, 0) + amount
        async with db.write() as session:
            await session.execute(insert(CommissionAccrual), rows)
    people = sorted(owed)
    async with db.write() as session:
        expense = await commission.expense_account(session, tenant_id)
        pending = await commission._account_ids(session, tenant_id, people, PENDING)
        for i in range(0, len(people), 63):
            chunk = people[i:i + 63]
            legs = [Leg(pending[sp], owed[sp]) for sp in chunk] + [Leg(expense, -sum(owed[sp] for sp in chunk))]
            await post(session, tenant_id, "bench.seed_accruals", legs, idempotency_key=f"bench-seed-{i}")


async def settle_all(db: Database, tenant_id: int, batch: int) -> tuple[int, float]:
    settled = 0
    t0 = time.perf_counter()
    while True:
        async with db.write() as session:
            moved = await commission.settle_due(session, tenant_id, utc_now(), limit=batch)
        settled += moved
        if moved == 0:
            return settled, time.perf_counter() - t0


async def imbalance(db: Database, tenant_id: int) -> int:
    async with db.read() as session:
        report = await verify(session, tenant_id)
        total = await session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).join(
            LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id).where(LedgerTransaction.tenant_id == tenant_id))
        drift = 0
        if report.drifted_accounts:
            for account_id in report.drifted_accounts:
                cached = await session.scalar(select(LedgerAccount.balance_fen).where(LedgerAccount.id == account_id))
                summed = await session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_fen), 0)).where(LedgerEntry.account_id == account_id))
                drift += abs(cached - summed)

        async def kind_sum(*kinds):
            return await session.scalar(select(func.coalesce(func.sum(LedgerAccount.balance_fen), 0)).where(
                LedgerAccount.tenant_id == tenant_id, LedgerAccount.kind.in_(kinds)))

        async def accrual_sum(state):
            return await session.scalar(select(func.coalesce(func.sum(CommissionAccrual.amount_fen - CommissionAccrual.reversed_fen), 0)).where(
                CommissionAccrual.tenant_id == tenant_id, CommissionAccrual.state == state))

        pending_gap = abs(await kind_sum(PENDING) - await accrual_sum("PENDING"))
        settled_gap = abs(await kind_sum(WITHDRAWABLE, DEBT, WITHDRAWING, WITHDRAWN) - await accrual_sum("WITHDRAWABLE"))
    return abs(total) + drift + pending_gap + settled_gap + len(report.unbalanced_transactions)


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--accrue", type=int, default=300, help="orders accrued through the real listener code (timed)")
    parser.add_argument("--batch", type=int, default=20_000, help="accruals per settlement transaction (the job's default)")
    parser.add_argument("--pg", default=os.environ.get("QIANDIAN_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    name = f"qiandian_bench_commission_{uuid.uuid4().hex[:8]}"
    await _admin(args.pg, f'CREATE DATABASE "{name}"')
    url = args.pg.rsplit("/", 1)[0] + "/" + name
    db = None
    try:
        await upgrade_async(url)
        db = Database(url)
        random.seed(15)
        t0 = time.perf_counter()
        ids, orders = await build(db, args.orders)
        real = orders[: args.accrue]
        accrue_s = await accrue_real(db, ids["tenant"], real) if real else 0.0
        await accrue_bulk(db, ids["tenant"], orders[args.accrue:])
        setup_s = time.perf_counter() - t0
        async with db.read() as session:
            accruals = await session.scalar(select(func.count()).select_from(CommissionAccrual).where(CommissionAccrual.tenant_id == ids["tenant"]))
        settled, settle_s = await settle_all(db, ids["tenant"], args.batch)
        again, _ = await settle_all(db, ids["tenant"], args.batch)
        gap = await imbalance(db, ids["tenant"])
        print("backend=postgresql")
        print(f"orders={args.orders}")
        print("upline_levels=2")
        print(f"salespeople=1110")
        print(f"accruals={accruals}")
        print(f"accrue_orders_real={len(real)}")
        print(f"accrue_orders_per_s={len(real) / accrue_s:.1f}" if real else "accrue_orders_per_s=n/a")
        print(f"settle_batch={args.batch}")
        print(f"accruals_settled={settled}")
        print(f"settle_seconds={settle_s:.2f}")
        print(f"settle_orders_per_s={args.orders / settle_s:.0f}")
        print(f"settle_accruals_per_s={settled / settle_s:.0f}")
        print(f"second_run_settled={again}")
        print(f"setup_seconds={setup_s:.1f}")
        print(f"ledger_imbalance_fen={gap}")
        print(f"loadavg_1m={os.getloadavg()[0]:.2f}")
        print(f"cpus={os.cpu_count()}")
        print("machine_loaded=yes (2 cores shared with other engineers' test runs)")
    finally:
        if db is not None:
            await db.dispose() if hasattr(db, "dispose") else None
        await _admin(args.pg, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
