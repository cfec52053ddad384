"""Store systems benchmark (not a test), on PostgreSQL: POS bulk sync and webhook fan-out.

1. A 10,000-row absolute stock batch and a 10,000-row price batch for one store, through
   store_sync.batches.run_batch (what storeStockSync / POST /pos/stores/{id}/stock run):
   `stock_rows_per_s`, `price_rows_per_s`, and a 10,000-row DELTA batch `delta_rows_per_s`.
2. 10,000 outbox events fanned out to 3 webhook endpoints by one dispatcher, to a receiver in
   a separate process (uvicorn on loopback) that verifies every signature and counts distinct
   event ids: `webhook_events_per_s` (events delivered to all 3 endpoints per second),
   `webhook_deliveries_per_s`, `webhook_lost` (events some endpoint never got; must be 0),
   `webhook_duplicates`.

Creates and drops its own database on the server of --pg-url.

    .venv/bin/python bench/store_sync.py [--pg-url postgresql://postgres@127.0.0.1:5432/postgres] [--rows 10000] [--events 10000]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RECEIVER = r'''
import json, os, sys
sys.path.insert(0, os.environ["QD_ROOT"])
from webhooks import signing
secrets = json.loads(os.environ["QD_SECRETS"])
seen = {k: [0, set(), 0] for k in secrets}  # deliveries, distinct ids, bad signatures

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    path = scope["path"].rsplit("/", 1)[-1]
    if scope["method"] == "GET":
        payload = json.dumps({k: [v[0], len(v[1]), v[2]] for k, v in seen.items()}).encode()
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": payload})
        return
    headers = dict(scope["headers"])
    entry = seen[path]
    if signing.verify(secrets[path], headers.get(b"qiandian-signature", b"").decode(), body):
        entry[0] += 1
        entry[1].add(headers[b"qiandian-event-id"])
        status = 204
    else:
        entry[2] += 1
        status = 401
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b""})
'''


async def _create_db(admin_url: str) -> tuple[str, str]:
    import asyncpg

    name = f"qiandian_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = admin_url.rsplit("/", 1)[0]
    return name, f"{base}/{name}".replace("postgresql://", "postgresql+asyncpg://")


async def _drop_db(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def _seed(database, count: int):
    """A brand with one store and `count` SKUs (each stocked at 0)."""
    from sqlalchemy import insert, select

    from auth.roles import Principal, RoleGrant
    from commerce.models import Category, Product, Sku, Stock
    from store_network import provisioning

    async with database.write() as session:
        tenant, hq = await provisioning.create_tenant(session, "bench" + uuid.uuid4().hex[:6], "Bench brand")
        store = await provisioning.add_store(session, hq, code="S1", name="Store 1", lon=120.15, lat=30.27)
        category = Category(tenant_id=tenant.id, slug="all", name="All")
        session.add(category)
        await session.flush()
        await session.execute(insert(Product), [
            {"tenant_id": tenant.id, "category_id": category.id, "slug": f"p{i}", "name": f"P{i}", "sold_by": "UNIT"} for i in range(count)])
        products = list(await session.scalars(select(Product.id).where(Product.tenant_id == tenant.id).order_by(Product.id)))
        await session.execute(insert(Sku), [
            {"tenant_id": tenant.id, "product_id": p, "code": f"SKU-{i:05d}", "name": f"S{i}", "base_price_fen": 1000,
             "price_per_quantity": 1, "quantity_step": 1, "min_quantity": 1} for i, p in enumerate(products)])
        skus = list(await session.scalars(select(Sku.id).where(Sku.tenant_id == tenant.id)))
        await session.execute(insert(Stock), [
            {"tenant_id": tenant.id, "store_id": store.id, "sku_id": s, "on_hand": 0, "reserved": 0} for s in skus])
        hq_path = hq.path
        principal = Principal(kind="STAFF", tenant_id=tenant.id, staff_id=1, grants=(RoleGrant("HQ_ADMIN", hq.id, hq_path),))
        return tenant.id, store.id, principal


async def main(args) -> None:
    from core.secret_box import SecretBox
    from core.settings import Settings
    from db.migrate import upgrade_async
    from db.session import Database
    from events import StockChanged
    from events.registry import emit_many
    from app.services import build_services
    from store_sync import batches, bulk
    from webhooks.dispatcher import DispatchConfig, Dispatcher
    from webhooks.endpoints import create_endpoint
    from core.clock import utc_now

    load = os.getloadavg()
    print(f"machine_loadavg_1m={load[0]:.2f} cpus={os.cpu_count()}")
    name, url = await _create_db(args.pg_url)
    receiver = None
    try:
        await upgrade_async(url)
        database = Database(url)
        build_services(Settings(database_url=url), database=database)  # listeners, voucher keys
        tenant_id, store_id, principal = await _seed(database, args.rows)

        rows = [bulk.StockRow(sku_code=f"SKU-{i:05d}", mode=bulk.Mode.ABSOLUTE, quantity=50 + i % 7, version=1) for i in range(args.rows)]
        started = time.perf_counter()
        results, _ = await batches.run_batch(database, principal, "stock", store_id, f"bench-stock-{uuid.uuid4().hex}", rows)
        elapsed = time.perf_counter() - started
        print(f"stock_rows={len(rows)} stock_applied={batches.summary(results)['applied']} stock_batch_s={elapsed:.2f} stock_rows_per_s={len(rows) / elapsed:.0f}")

        deltas = [bulk.StockRow(sku_code=f"SKU-{i:05d}", mode=bulk.Mode.DELTA, quantity=-1) for i in range(args.rows)]
        started = time.perf_counter()
        results, _ = await batches.run_batch(database, principal, "stock", store_id, f"bench-delta-{uuid.uuid4().hex}", deltas)
        elapsed = time.perf_counter() - started
        print(f"delta_rows={len(deltas)} delta_applied={batches.summary(results)['applied']} delta_batch_s={elapsed:.2f} delta_rows_per_s={len(deltas) / elapsed:.0f}")

        prices = [bulk.PriceRow(sku_code=f"SKU-{i:05d}", price_fen=900 + i % 100, version=1) for i in range(args.rows)]
        started = time.perf_counter()
        results, _ = await batches.run_batch(database, principal, "price", store_id, f"bench-price-{uuid.uuid4().hex}", prices)
        elapsed = time.perf_counter() - started
        print(f"price_rows={len(prices)} price_applied={batches.summary(results)['applied']} price_batch_s={elapsed:.2f} price_rows_per_s={len(prices) / elapsed:.0f}")

        # Webhook fan-out: endpoints first (they start at the end of the outbox), then the events.
        box = SecretBox(Settings().secret_key)
        port = 18000 + os.getpid() % 1000
        secrets = {}
        async with database.write() as session:
            for n in ("1", "2", "3"):
                row, secret = await create_endpoint(session, principal, box, url=f"http://127.0.0.1:{port}/hook/{n}",
                                                    event_types=["stock.changed"], description=f"bench {n}", production=False)
                secrets[n] = secret
        env = {**os.environ, "QD_SECRETS": json.dumps(secrets), "QD_ROOT": str(ROOT)}
        receiver_file = Path(f"/tmp/qd_bench_receiver_{os.getpid()}.py")
        receiver_file.write_text(RECEIVER)
        receiver = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(receiver_file.parent), f"{receiver_file.stem}:app",
             "--port", str(port), "--log-level", "warning", "--no-access-log"], env=env)
        import httpx

        for _ in range(200):
            try:
                httpx.get(f"http://127.0.0.1:{port}/stats", timeout=0.5)
                break
            except httpx.HTTPError:
                await asyncio.sleep(0.05)
        now = utc_now()
        for start in range(0, args.events, 1000):
            async with database.write() as session:
                await emit_many(session, [StockChanged(tenant_id=tenant_id, at=now, store_id=store_id, sku_id=1 + i % 1000, on_hand=i, reserved=0, actor_id=None)
                                          for i in range(start, min(args.events, start + 1000))])
        dispatcher = Dispatcher(database, box, DispatchConfig(batch=1000, timeout_s=5), tenant_id=tenant_id)
        started = time.perf_counter()
        delivered = 0
        idle = 0
        while delivered < 3 * args.events and idle < 200:
            got = await dispatcher.run_once()
            delivered += got
            idle = 0 if got else idle + 1
            if not got:
                await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        await dispatcher.close()
        stats = httpx.get(f"http://127.0.0.1:{port}/stats").json()
        distinct = [stats[n][1] for n in ("1", "2", "3")]
        total = sum(stats[n][0] for n in ("1", "2", "3"))
        lost = args.events - min(distinct)
        print(f"webhook_events={args.events} webhook_endpoints=3 webhook_fanout_s={elapsed:.2f} "
              f"webhook_events_per_s={args.events / elapsed:.0f} webhook_deliveries_per_s={total / elapsed:.0f}")
        print(f"webhook_lost={lost} webhook_duplicates={total - sum(distinct)} webhook_bad_signatures={sum(stats[n][2] for n in ('1', '2', '3'))}")
        await database.dispose()
    finally:
        if receiver is not None:
            receiver.terminate()
            receiver.wait()
        await _drop_db(args.pg_url, name)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg-url", default=os.environ.get("QIANDIAN_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=10_000)
    asyncio.run(main(parser.parse_args()))
