"""Membership benchmark: stored-value payments from ONE member's balance (the hot row) and from
many members, on PostgreSQL. Not a test.

    .venv/bin/python bench/membership.py [--payments 500] [--concurrency 50]

Creates a fresh database (QIANDIAN_BENCH_PG_URL, default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
is used to create it), migrates it, builds one brand, then times `membership.stored_value.spend`
(each in its own transaction: split, one ledger transaction, balances by conditional UPDATE):
* hot_*: --payments payments of 1.00 from one member, --concurrency at a time (they queue on the
  member's two account rows and the store's sales account);
* spread_*: the same number spread over --concurrency members (they queue on the store's sales row).
Prints key=value lines, and says the machine is shared (2 cores, several engineers' test runs).
The database is dropped at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PG = os.environ.get("QIANDIAN_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")


async def main(payments: int, concurrency: int) -> None:
    import asyncpg

    from commerce.models import Customer
    from core.clock import utc_now
    from db.migrate import upgrade_async
    from db.session import Database
    from ledger.checks import verify
    from membership import members, stored_value
    from membership.models import Member
    from store_network import provisioning

    name = f"qiandian_bench_membership_{uuid.uuid4().hex[:8]}"
    admin = PG.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = PG.rpartition("/")[0] + "/" + name
    database = Database(url)
    try:
        await upgrade_async(url)
        async with database.write() as session:
            tenant, hq = await provisioning.create_tenant(session, "bench", "Bench")
            partner = await provisioning.add_node(session, hq, "PARTNER", "P")
            store = await provisioning.add_store(session, partner, code="S", name="S", lon=121.47, lat=31.23)
            member_ids = []
            for i in range(concurrency):
                customer = Customer(tenant_id=tenant.id, mobile=f"+86139{i:08d}", name=f"m{i}")
                session.add(customer)
                await session.flush()
                member = await members.join(session, tenant.id, customer.id, "EXPLICIT", utc_now())
                plan = await stored_value.add_plan(session, tenant.id, "p", 10**8, 10**7, utc_now())
                top, _ = await stored_value.start_top_up(session, _Provider(), member, plan.id, f"k{i}", utc_now())
                await stored_value.credit_top_up(session, top, utc_now())
                member_ids.append(member.id)
            tenant_id, store_id = tenant.id, store.id

        async def run(label: str, pick) -> None:
            gate = asyncio.Semaphore(concurrency)
            latencies: list[float] = []

            async def one(i: int) -> None:
                async with gate:
                    started = time.perf_counter()
                    async with database.write() as session:
                        member = await session.get(Member, pick(i))
                        await stored_value.spend(session, member, 100, store_id=store_id, order_id=None,
                                                 idempotency_key=f"{label}-{i}", actor=("bench", None), now=utc_now())
                    latencies.append(time.perf_counter() - started)

            started = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(payments)))
            elapsed = time.perf_counter() - started
            latencies.sort()
            print(f"{label}_payments={payments}")
            print(f"{label}_per_s={payments / elapsed:.0f}")
            print(f"{label}_p50_ms={latencies[len(latencies) // 2] * 1000:.1f}")
            print(f"{label}_p99_ms={latencies[int(len(latencies) * 0.99) - 1] * 1000:.1f}")

        await run("hot", lambda i: member_ids[0])
        await run("spread", lambda i: member_ids[i % len(member_ids)])
        async with database.read() as session:
            print(f"ledger_ok={(await verify(session, tenant_id)).ok}")
        print(f"concurrency={concurrency}")
        # What the machine was doing, read, not assumed: a load near the CPU count means queueing.
        print(f"machine_cpus={os.cpu_count()} machine_loadavg_1m={os.getloadavg()[0]:.2f}")
    finally:
        await database.dispose()
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


class _Provider:
    name = "BENCH"

    def create_intent(self, *, order_number, amount_fen, currency):
        from payments.provider import PaymentIntent

        return PaymentIntent("bench-" + uuid.uuid4().hex[:20], {})


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--payments", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    args = parser.parse_args()
    asyncio.run(main(args.payments, args.concurrency))
