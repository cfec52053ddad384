"""Price import benchmark (not a test): a 10,000-row CSV through network_pricing.importer (what
pricesImport and `qiandian prices-import` run), on SQLite and on PostgreSQL, twice each: into
empty prices (all inserts) and again with every price changed (all updates, each audited).

Prints `prices_import_10000_rows_ms=` per backend and pass, with the machine's CPU count and load.
Creates its own SQLite file and PostgreSQL database (dropped afterwards).

    .venv/bin/python bench/price_import.py [--pg-url postgresql://postgres@127.0.0.1:5432/postgres] [--stores 50] [--skus 200]
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


async def _seed(database, stores: int, skus: int):
    from sqlalchemy import insert, select

    from auth.roles import Principal, RoleGrant
    from commerce.models import Category, Product, Sku
    from store_network import provisioning

    async with database.write() as session:
        tenant, hq = await provisioning.create_tenant(session, "bench" + uuid.uuid4().hex[:6], "Bench brand")
        partner = await provisioning.add_node(session, hq, "PARTNER", "Region")
        for i in range(stores):
            await provisioning.add_store(session, partner, code=f"S{i:03d}", name=f"Store {i}", lon=120.15, lat=30.27)
        staff = await provisioning.add_staff(session, tenant.id, "bench", "", [("HQ_ADMIN", hq)], password_hash="x")
        category = Category(tenant_id=tenant.id, slug="all", name="All")
        session.add(category)
        await session.flush()
        await session.execute(insert(Product), [
            {"tenant_id": tenant.id, "category_id": category.id, "slug": f"p{i}", "name": f"P{i}", "sold_by": "UNIT"} for i in range(skus)])
        products = list(await session.scalars(select(Product.id).where(Product.tenant_id == tenant.id).order_by(Product.id)))
        await session.execute(insert(Sku), [
            {"tenant_id": tenant.id, "product_id": p, "code": f"SKU-{i:05d}", "name": f"S{i}", "base_price_fen": 1000,
             "price_per_quantity": 1, "quantity_step": 1, "min_quantity": 1} for i, p in enumerate(products)])
        await session.execute(provisioning_band(hq.id))
        return Principal.staff(tenant.id, staff.id, (RoleGrant("HQ_ADMIN", hq.id, hq.path),))


def provisioning_band(hq_id: int):
    """A band on HQ, so every row is checked against one (the realistic, slower path)."""
    from sqlalchemy import update

    from store_network.models import NetworkNode

    return update(NetworkNode).where(NetworkNode.id == hq_id).values(price_band_below_pct=30, price_band_above_pct=30)


def _csv(stores: int, skus: int, cents: int) -> str:
    lines = ["store_code,sku_code,price"]
    lines += [f"S{s:03d},SKU-{k:05d},{9 + (k % 3)}.{cents:02d}" for s in range(stores) for k in range(skus)]
    return "\n".join(lines) + "\n"


async def _run(url: str, label: str, stores: int, skus: int) -> None:
    from db.migrate import upgrade_async
    from db.session import Database
    from events.wiring import register_listeners
    from network_pricing import importer

    register_listeners()
    await upgrade_async(url)
    database = Database(url)
    try:
        principal = await _seed(database, stores, skus)
        for run, cents in (("insert", 10), ("update", 20)):
            text = _csv(stores, skus, cents)
            started = time.perf_counter()
            async with database.write() as session:
                result = await importer.import_prices(session, principal, text, "bench")
            elapsed_ms = (time.perf_counter() - started) * 1000
            assert not result.errors, result.errors[:3]
            print(f"backend={label} pass={run} rows={result.rows} changed={result.changed} prices_import_{result.rows}_rows_ms={elapsed_ms:.0f}")
    finally:
        await database.dispose()


async def main(args) -> None:
    import asyncpg

    load = os.getloadavg()
    print(f"nproc={os.cpu_count()} loadavg_1m={load[0]:.2f} loadavg_5m={load[1]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        await _run(f"sqlite+aiosqlite:///{tmp}/bench.sqlite3", "sqlite", args.stores, args.skus)
    name = f"qiandian_bench_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(args.pg_url)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        base = args.pg_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        await _run(f"{base}/{name}", "postgresql", args.stores, args.skus)
    finally:
        conn = await asyncpg.connect(args.pg_url)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--skus", type=int, default=200)
    asyncio.run(main(parser.parse_args()))
