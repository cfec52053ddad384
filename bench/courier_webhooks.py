"""Courier webhook storm: PostgreSQL, 2 uvicorn workers, concurrency 32.

500 deliveries (SF same-city protocol, signed callbacks) each get four status callbacks
(rider assigned, at store, picked up, delivered); every callback is sent three times and the
whole lot is shuffled, so duplicates race each other and steps arrive out of order. Prints
key=value lines:

    callbacks_per_s              HTTP callbacks answered per second (all 200)
    callback_p99_ms              99th percentile latency of one callback
    deliveries_final_state_wrong deliveries not DELIVERED at the end (must be 0)
    events_lost                  distinct callbacks with no stored event row (must be 0)

Run: /work/main/.venv/bin/python bench/courier_webhooks.py [--deliveries 500] [--concurrency 32]
Needs PostgreSQL at QIANDIAN_TEST_PG_URL (default postgres@127.0.0.1:5432); creates and drops
its own database. The machine is shared: figures from a loaded box are noisy.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.clock import utc_now  # noqa: E402
from core.secret_box import SecretBox  # noqa: E402
from db.migrate import upgrade_async  # noqa: E402
from db.session import Database  # noqa: E402
from delivery.couriers.models import CourierDelivery, CourierDeliveryEvent  # noqa: E402
from delivery.couriers.partner_side import STEP_CODES, callback  # noqa: E402
from delivery.couriers.service import add_account  # noqa: E402
from store_network import provisioning  # noqa: E402

PG_ADMIN = os.environ.get("QIANDIAN_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
SECRET = "bench-courier-webhooks-" + "k" * 32
CREDS = {"dev_id": "1234567", "dev_key": "bench-sf-key", "shop_id": "bench"}


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


async def seed(url: str, deliveries: int):
    database = Database(url)
    try:
        async with database.write() as session:
            tenant, hq = await provisioning.create_tenant(session, "bench" + uuid.uuid4().hex[:6], "Bench")
            store = await provisioning.add_store(session, hq, code="S1", name="Store", lon=120.15, lat=30.27)
            account, token = await add_account(session, SecretBox(SECRET), tenant.id, "sf", CREDS)
            rows = [CourierDelivery(tenant_id=tenant.id, order_id=i + 1, store_id=store.id, account_id=account.id,
                                    provider="sf", merchant_order_id=f"bench{uuid.uuid4().hex[:8]}{i}", state="DISPATCHING",
                                    partner_order_id=f"SF{i:06d}") for i in range(deliveries)]
            session.add_all(rows)
            await session.flush()
            return tenant.id, token, [(r.id, r.merchant_order_id, r.partner_order_id) for r in rows]
    finally:
        await database.dispose()


async def count(url: str, tenant_id: int):
    from sqlalchemy import func, select

    database = Database(url)
    try:
        async with database.read() as session:
            wrong = await session.scalar(select(func.count()).select_from(CourierDelivery).where(
                CourierDelivery.tenant_id == tenant_id, CourierDelivery.state != "DELIVERED"))
            events = await session.scalar(select(func.count()).select_from(CourierDeliveryEvent).where(
                CourierDeliveryEvent.tenant_id == tenant_id))
        return wrong, events
    finally:
        await database.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--deliveries", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--copies", type=int, default=3)
    args = parser.parse_args()

    name = f"qiandian_bench_couriers_{os.getpid()}"
    await _admin(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    server = None
    try:
        await upgrade_async(url)
        tenant_id, token, rows = await seed(url, args.deliveries)
        port = _free_port()
        env = {**os.environ, "DATABASE_URL": url, "QIANDIAN_SECRET_KEY": SECRET, "QIANDIAN_DISPATCH_INTERVAL_S": "0",
               "QIANDIAN_SWEEPER_INTERVAL_S": "0", "QIANDIAN_COURIER_LOOP_INTERVAL_S": "0", "QIANDIAN_ANONYMOUS_CACHE_TTL_MS": "0",
               "QIANDIAN_COURIER_CALLBACK_MAX_AGE_S": "3600", "PYTHONPATH": str(ROOT)}
        server = subprocess.Popen([sys.executable, "-m", "uvicorn", "asgi:app", "--host", "127.0.0.1", "--port", str(port),
                                   "--workers", str(args.workers), "--log-level", "warning"], cwd=ROOT, env=env)
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(timeout=60) as client:
            for _ in range(600):
                try:
                    if (await client.get(base + "/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            path = f"/webhooks/couriers/sf/{token}"
            start = utc_now() - timedelta(minutes=5)
            calls = []
            steps = ("assigned", "at_pickup", "picked_up", "delivered")
            for _delivery_id, merchant, partner in rows:
                for n, step in enumerate(steps):
                    signed = callback("sf", CREDS, path, merchant_id=merchant, partner_id=partner,
                                      code=STEP_CODES["sf"][step], at=start + timedelta(seconds=n + 1))
                    calls += [signed] * args.copies
            random.Random(7).shuffle(calls)
            distinct = len(rows) * len(steps)
            latencies: list[float] = []
            failures = 0
            queue: asyncio.Queue = asyncio.Queue()
            for signed in calls:
                queue.put_nowait(signed)

            async def worker():
                nonlocal failures
                while not queue.empty():
                    signed = queue.get_nowait()
                    t0 = time.perf_counter()
                    response = await client.post(base + path, params=signed.query, content=signed.body,
                                                 headers={"content-type": "application/json"})
                    latencies.append((time.perf_counter() - t0) * 1000)
                    if response.status_code != 200:
                        failures += 1

            t0 = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(args.concurrency)))
            elapsed = time.perf_counter() - t0
        wrong, events = await count(url, tenant_id)
        latencies.sort()
        # What the machine was doing, read, not assumed: a load near the CPU count means queueing.
        print(f"machine_cpus={os.cpu_count()} machine_loadavg_1m={os.getloadavg()[0]:.2f}")
        print(f"deliveries={len(rows)}")
        print(f"callbacks_sent={len(calls)}")
        print(f"workers={args.workers}")
        print(f"concurrency={args.concurrency}")
        print(f"non_200={failures}")
        print(f"callbacks_per_s={len(calls) / elapsed:.1f}")
        print(f"callback_p50_ms={latencies[len(latencies) // 2]:.1f}")
        print(f"callback_p99_ms={latencies[int(len(latencies) * 0.99) - 1]:.1f}")
        print(f"deliveries_final_state_wrong={wrong}")
        print(f"events_lost={distinct - events}")
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(20)
            except subprocess.TimeoutExpired:
                server.kill()
        await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    asyncio.run(main())
