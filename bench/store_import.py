"""Bulk store import benchmark: storesImport's domain call (check every row, then bulk inserts)
for 100 and 1,000 stores, in one transaction each. Not a test.

    .venv/bin/python bench/store_import.py [--backend sqlite|postgresql]

Builds a fresh database (SQLite in a temp dir, or a new PostgreSQL database from
QIANDIAN_BENCH_PG_URL, default postgresql+asyncpg://postgres@127.0.0.1:5432/postgres, dropped
at the end), one brand with a partner, then times `store_network.store_import.apply_import`
with its commit. Prints key=value lines and the machine's CPU count and load as read.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PG = os.environ.get("QIANDIAN_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
HEADER = "code,name,city,district,address,lon,lat,coord_system,timezone,prep_minutes,delivery_radius_m,hours,status"


def csv_text(n: int, prefix: str) -> str:
    rows = [HEADER]
    for i in range(n):
        lon, lat = 120.0 + (i % 100) * 0.003, 30.1 + (i // 100) * 0.003
        rows.append(f"{prefix}{i:05d},Store {i},杭州,西湖区,Road {i},{lon:.5f},{lat:.5f},GCJ02,Asia/Shanghai,12,3000,"
                    f"\"mon-fri 08:00-22:00; sat,sun 09:00-23:00\",OPEN")
    return "\n".join(rows) + "\n"


async def run(url: str) -> None:
    from db.migrate import upgrade_async
    from db.session import Database
    from store_network import provisioning
    from store_network.models import NetworkNode
    from store_network.store_import import apply_import

    await upgrade_async(url)
    database = Database(url)
    try:
        async with database.write() as session:
            _, hq = await provisioning.create_tenant(session, "bench", "Bench")
            partner_id = (await provisioning.add_node(session, hq, "PARTNER", "P")).id
        for n, prefix in ((100, "W"), (100, "A"), (1000, "B")):  # W: warm-up (imports, caches)
            text = csv_text(n, prefix)
            start = time.perf_counter()
            async with database.write() as session:
                parent = await session.get(NetworkNode, partner_id)
                result = await apply_import(session, parent, text)
                assert result.ok and len(result.store_ids) == n, result.errors[:3]
            elapsed_ms = (time.perf_counter() - start) * 1000
            if prefix != "W":
                print(f"stores_import_{n}_ms={elapsed_ms:.1f}")
        print(f"machine_cpus={os.cpu_count()} machine_loadavg_1m={os.getloadavg()[0]:.2f}")
    finally:
        await database.dispose()


async def main(backend: str) -> None:
    print(f"backend={backend}")
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            await run(f"sqlite+aiosqlite:///{tmp}/bench.sqlite3")
        return
    import asyncpg

    name = f"qiandian_bench_stores_{uuid.uuid4().hex[:8]}"
    admin = PG.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(admin)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    try:
        await run(PG.rpartition("/")[0] + "/" + name)
    finally:
        conn = await asyncpg.connect(admin)
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="postgresql")
    asyncio.run(main(parser.parse_args().backend))
