"""LBS benchmark: delivery options over one metro area, three ways. Not a test.

    .venv/bin/python bench/geo.py [--stores 10000] [--points 100000] [--postgis-points 2000] [--graphql-points 2000]

Builds a fresh PostgreSQL database (QIANDIAN_BENCH_PG_URL, default
postgresql+asyncpg://postgres@127.0.0.1:5432/postgres is used to create it), one tenant
with --stores stores uniformly over a Shanghai-sized box (0.6 x 0.5 degrees, ~3,100 km^2)
and two polygon zones per store (tier 1: 12 vertices at 2.5-3.5 km; tier 2: 12 vertices
at 4-5.5 km), then times per call, for random points in the box:

* inmemory: all the CPU work of deliveryOptions(first: 10) but the express-policy query,
  the same calls the resolver makes (geo.nearest_options): the nearest 30 stores, each
  store's innermost covering zone, open-now, fee, ETA, express, reasons, ranking, the top 10
  as DeliveryOption objects; all --points. Also as inmemory_cpu_*: thread CPU time, which
  a loaded machine inflates far less. `options_kernel` says whether geo/options_kernel.py
  ran compiled (as the API does) or interpreted.
  inmemory_all: innermost zone and fee of *every* store serving the point
  (`TenantGeoIndex.matches` without a store list, what checkout's zone check builds on;
  ~200 stores per point at full size), --all-points.
* inmemory_build_s: reading and indexing the tenant (what a zone edit costs each API
  process, in a background thread); inmemory_rebuild_store_change_s: the same after a
  store status, hours or preparation-time change, which keeps the spatial index;
  inmemory_rebuild_zone_edit_s: after a zone edit (unchanged zones are not re-parsed).
* postgis: `PostGisGeoIndex.zone_hits` + innermost tier per store, one SQL round trip per
  point (sampled: --postgis-points, PostGIS at ~ms per call would take hours for 100k).
* graphql: `deliveryOptions(location, first: 10)` over HTTP on loopback to a uvicorn
  started here (one worker, anonymous micro-cache off), sequential requests.

Prints key=value lines. The database is dropped at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from db.migrate import upgrade_async  # noqa: E402
from db.session import Database  # noqa: E402
from geo.coordinates import LonLat  # noqa: E402
from geo.distance import destination_point  # noqa: E402
from geo.index_cache import load_tenant_index, read_versions  # noqa: E402
from geo.nearest_options import options_kernel  # noqa: E402
from geo.postgis_index import PostGisGeoIndex  # noqa: E402
from core.clock import utc_now  # noqa: E402
from delivery.promise import express_policies  # noqa: E402
from geo.zone_lookup import ROAD_DISTANCE, innermost  # noqa: E402
from resolvers.geo_queries import NEAREST_FOR_OPTIONS  # noqa: E402
from tests.geo_api.city import build_city  # noqa: E402

SHANGHAI_BOX = (121.15, 121.75, 30.95, 31.45)
ADMIN_URL = os.environ.get("QIANDIAN_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
QUERY = """query($l: LocationInput!) { deliveryOptions(location: $l, first: 10) {
  store { id } serviceable tier fee { amount } etaMinutes expressPossible reasons } }"""


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def polygons(rng: random.Random):
    def make(index: int, loc: LonLat) -> list[dict]:
        out = []
        for tier, (r0, r1) in ((1, (2500, 3500)), (2, (4000, 5500))):
            ring = [destination_point(loc, b + rng.uniform(0, 15), rng.uniform(r0, r1)) for b in range(0, 360, 30)]
            coords = [[round(p.lon, 7), round(p.lat, 7)] for p in ring]
            out.append({"tier": tier, "kind": "POLYGON", "polygon": coords + [coords[0]], "express_allowed": tier == 1})
        return out

    return make


async def admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(ADMIN_URL.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def run(args) -> None:
    name = f"qiandian_bench_geo_{uuid.uuid4().hex[:8]}"
    await admin(f'CREATE DATABASE "{name}"')
    url = f"{ADMIN_URL.rpartition('/')[0]}/{name}"
    database = Database(url)
    try:
        await upgrade_async(url)
        rng = random.Random(args.seed)
        started = time.perf_counter()
        async with database.write() as session:
            city = await build_city(session, args.stores, seed=args.seed, box=SHANGHAI_BOX, zones_for_store=polygons(rng))
        print(f"stores={len(city.stores)}")
        print(f"zones={len(city.zones)}")
        print(f"polygon_zones={sum(z['kind'] == 'POLYGON' for z in city.zones)}")
        print(f"load_s={time.perf_counter() - started:.1f}")
        lon0, lon1, lat0, lat1 = SHANGHAI_BOX
        points = [LonLat(rng.uniform(lon0, lon1), rng.uniform(lat0, lat1)) for _ in range(args.points)]

        async with database.read() as session:
            version, shape_version = await read_versions(session, city.tenant_id)
            started = time.perf_counter()
            index = await load_tenant_index(session, city.tenant_id, version, shape_version)
            print(f"inmemory_build_s={time.perf_counter() - started:.2f}")
            # What a store status/hours/prep change costs each API process: the stores are
            # re-read, the spatial index is kept (shape_version unchanged, migration 0006).
            started = time.perf_counter()
            rebuilt = await load_tenant_index(session, city.tenant_id, version, shape_version, previous=index)
            assert rebuilt.index is index.index
            print(f"inmemory_rebuild_store_change_s={time.perf_counter() - started:.2f}")
            # After a zone edit (shape_version moved): every zone re-read, the unchanged ones
            # not re-parsed, the stores' nearest cells kept.
            started = time.perf_counter()
            rebuilt = await load_tenant_index(session, city.tenant_id, version + 1, shape_version + 1, previous=index)
            assert rebuilt.index is not index.index
            print(f"inmemory_rebuild_zone_edit_s={time.perf_counter() - started:.2f}")
            clock, cpu_clock = time.perf_counter_ns, time.thread_time_ns

            # Everything deliveryOptions(first: 10) computes in memory, as the resolver calls
            # it (the express policies come from the database per request; here fetched once).
            engine = index.nearest_options
            policies = await express_policies(session, city.tenant_id, None)
            now = utc_now()

            def options(p: LonLat) -> list:
                return engine.delivery_options(engine.nearest(p, NEAREST_FOR_OPTIONS), now, policies, road=ROAD_DISTANCE, limit=10)

            print(f"options_kernel={'compiled' if options_kernel.COMPILED else 'interpreted'}")
            samples = (
                ("inmemory", options, points, "results"),
                ("inmemory_all", index.matches, points[: args.all_points], "serving_stores"),
            )
            for label, fn, sample, counted in samples:
                for p in sample[:200]:
                    fn(p)
                timings, cpu, hits = [], [], 0
                for p in sample:
                    t0, c0 = clock(), cpu_clock()
                    result = fn(p)
                    cpu.append((cpu_clock() - c0) / 1000)
                    timings.append((clock() - t0) / 1000)
                    hits += len(result)
                print(f"{label}_points={len(sample)}")
                print(f"{label}_{counted}_mean={hits / len(sample):.1f}")
                print(f"{label}_p50_us={pct(timings, 0.5):.1f}")
                print(f"{label}_p99_us={pct(timings, 0.99):.1f}")
                # CPU time of this thread: what the code costs without the waits of a loaded box.
                print(f"{label}_cpu_p50_us={pct(cpu, 0.5):.1f}")
                print(f"{label}_cpu_p99_us={pct(cpu, 0.99):.1f}")

            postgis = PostGisGeoIndex(session, city.tenant_id)
            sample = points[: args.postgis_points]
            for p in sample[:20]:
                innermost(await postgis.zone_hits(p))  # warm: plans, zone definitions
            timings = []
            for p in sample:
                t0 = time.perf_counter()
                innermost(await postgis.zone_hits(p))
                timings.append((time.perf_counter() - t0) * 1000)
            print(f"postgis_points={len(sample)}")
            print(f"postgis_p50_ms={pct(timings, 0.5):.2f}")
            print(f"postgis_p99_ms={pct(timings, 0.99):.2f}")

        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "QIANDIAN_ANONYMOUS_CACHE_TTL_MS": "0"}
        server = subprocess.Popen(
            [sys.executable, "-m", "qiandian_cli", "serve", "--port", str(port)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
                for _ in range(200):
                    try:
                        if (await client.get("/healthz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.1)
                headers = {"X-Tenant": city.slug}

                async def ask(p: LonLat) -> dict:
                    body = {"query": QUERY, "variables": {"l": {"longitude": p.lon, "latitude": p.lat, "system": "WGS84"}}}
                    response = await client.post("/graphql", json=body, headers=headers)
                    data = response.json()
                    assert response.status_code == 200 and "errors" not in data, data
                    return data

                for p in points[:50]:
                    await ask(p)  # warm: the server builds the tenant's index on first use
                sample = points[: args.graphql_points]
                timings = []
                for p in sample:
                    t0 = time.perf_counter()
                    await ask(p)
                    timings.append((time.perf_counter() - t0) * 1000)
                print(f"graphql_points={len(sample)}")
                print(f"graphql_p50_ms={pct(timings, 0.5):.2f}")
                print(f"graphql_p99_ms={pct(timings, 0.99):.2f}")
                print(f"graphql_mean_ms={statistics.fmean(timings):.2f}")
        finally:
            server.terminate()
            server.wait(timeout=20)
        print(f"cpus={os.cpu_count()}")
        print(f"loadavg_1m={os.getloadavg()[0]:.2f}")
    finally:
        await database.dispose()
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=10_000)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--all-points", type=int, default=10_000, help="points for inmemory_all (every serving store)")
    parser.add_argument("--postgis-points", type=int, default=2_000)
    parser.add_argument("--graphql-points", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=42)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
