"""Where a deliveryOptions request spends its time above the geo kernel. Not a test.

    .venv/bin/python bench/perf.py [--stores 2000] [--requests 2000] [--profile-requests 500]

Builds a fresh PostgreSQL database (as bench/geo.py: QIANDIAN_BENCH_PG_URL), one tenant with
--stores stores and two polygon zones each, then sends `deliveryOptions(location, first: 10)`
(bench/geo.py's query) to the ASGI app in-process (httpx.ASGITransport: no sockets, no
uvicorn, so the figures are the app's own work) with the anonymous micro-cache off:

* inprocess_*: wall and CPU time per request (CPU time of the process: a loaded machine
  inflates it far less than wall time). Compare two commits by running this script from each
  worktree alternately (A/B/A/B), never one after the other once.
* then --profile-requests more under cProfile: for each layer (the ASGI middlewares, context,
  validation, execution, the resolver, the kernel) its cumulative time per request and calls
  per request, and the functions with the most own time. Call counts are deterministic, so
  they compare across commits whatever the machine's load.

Prints key=value lines, then the profile table. The database is dropped at the end.
Runs from any checkout of the project (base commits included): it imports only what
bench/geo.py has always imported.
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib.util
import io
import os
import pstats
import random
import statistics
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
from tests.geo_api.city import build_city  # noqa: E402

# The city, its zones, the query and the helpers are bench/geo.py's own (loaded by path: the
# module's name would clash with the `geo` package), so both benchmarks measure the same thing.
_spec = importlib.util.spec_from_file_location("bench_geo", ROOT / "bench" / "geo.py")
bench_geo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_geo)
SHANGHAI_BOX, ADMIN_URL, QUERY = bench_geo.SHANGHAI_BOX, bench_geo.ADMIN_URL, bench_geo.QUERY
pct, polygons, admin = bench_geo.pct, bench_geo.polygons, bench_geo.admin

# (label, substring of "file:line(function)" in pstats) -> the layers of one request.
LAYERS = (
    # Older commits had four layers here (asgi.py SecurityHeaders and BodySizeLimit,
    # credential_headers.py SingleCredentialHeaders, request_log.py RequestIdMiddleware).
    ("asgi_front_door", "front_door.py", "(__call__)", None),
    ("asgi_security_headers", "asgi.py", "(__call__)", "SecurityHeaders"),
    ("asgi_body_size", "asgi.py", "(__call__)", "BodySizeLimit"),
    ("asgi_credential_headers", "credential_headers.py", "(__call__)", None),
    ("asgi_ambiguity", "credential_headers.py", "(ambiguity)", None),
    ("asgi_response_cache", "response_cache.py", "(__call__)", None),
    ("strawberry_run", "strawberry/http/async_base_view.py", "(run)", None),
    ("build_context", "context.py", "(build_context)", None),
    ("parse", "strawberry/schema/schema.py", "(_parse_and_validate_async)", None),
    ("validation_ext", "validation.py", "(on_validate)", None),
    ("validate_cached", "validation.py", "(get)", None),
    ("analyse_limits", "limits.py", "(analyse)", None),
    ("graphql_validate", "graphql/validation/validate.py", "(validate)", None),
    ("variable_lists", "list_caps.py", "(list_variable_errors)", None),
    ("node_hash", "<string>", "(__hash__)", None),
    ("node_eq", "<string>", "(__eq__)", None),
    ("execute", "graphql/execution/execute.py", "(execute)", None),
    ("resolver", "geo_queries.py", "(delivery_options_query)", None),
    ("kernel", "options_kernel", "(delivery_options)", None),
    ("road_provider", "zone_lookup.py", "(road_provider)", None),
    ("json_depth", "asgi.py", "(json_depth_within)", None),
    ("decode_json", "asgi.py", "(decode_json)", None),
    ("process_result", "strawberry", "(process_result)", None),
    ("encode_json", "strawberry/http/base.py", "(encode_json)", None),
    ("mask_errors", "mask_errors.py", "(on_operation)", None),
)


def layer_table(stats: pstats.Stats, requests: int) -> list[str]:
    lines = []
    entries = stats.stats  # (file, line, func) -> (cc, nc, tt, ct, callers)
    for label, file_part, func_part, qualifier in LAYERS:
        calls, cum = 0, 0.0
        for (file, line, func), (cc, nc, tt, ct, callers) in entries.items():
            if file_part in file and f"({func})" == func_part:
                if qualifier and not _defined_in_class(file, line, qualifier):
                    continue
                calls += nc
                # Recursive functions: count the outermost calls' cumulative time only once.
                cum += ct
        lines.append(f"layer_{label}_calls_per_req={calls / requests:.2f} layer_{label}_cum_us_per_req={cum / requests * 1e6:.1f}")
    return lines


_CLASS_OF: dict[tuple[str, int], str | None] = {}


def _defined_in_class(file: str, line: int, name: str) -> bool:
    key = (file, line)
    if key not in _CLASS_OF:
        owner = None
        try:
            source = Path(file).read_text().splitlines()[: line - 1]
            for text in reversed(source):
                if text.startswith("class "):
                    owner = text[6:].split("(")[0].split(":")[0].strip()
                    break
        except OSError:
            pass
        _CLASS_OF[key] = owner
    return _CLASS_OF[key] == name


async def run(args) -> None:
    name = f"qiandian_bench_perf_{uuid.uuid4().hex[:8]}"
    await admin(f'CREATE DATABASE "{name}"')
    url = f"{ADMIN_URL.rpartition('/')[0]}/{name}"
    database = Database(url)
    try:
        await upgrade_async(url)
        rng = random.Random(args.seed)
        async with database.write() as session:
            city = await build_city(session, args.stores, seed=args.seed, box=SHANGHAI_BOX, zones_for_store=polygons(rng))
        await database.dispose()
        print(f"stores={len(city.stores)}")
        lon0, lon1, lat0, lat1 = SHANGHAI_BOX
        points = [LonLat(rng.uniform(lon0, lon1), rng.uniform(lat0, lat1)) for _ in range(args.requests + args.profile_requests + 100)]

        os.environ["DATABASE_URL"] = url
        os.environ["QIANDIAN_ANONYMOUS_CACHE_TTL_MS"] = "0"
        from asgi import create_app
        from core.settings import load_settings

        app = create_app(load_settings())
        services = app.state.services
        headers = {"X-Tenant": city.slug}
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:

            async def ask(p: LonLat) -> None:
                body = {"query": QUERY, "variables": {"l": {"longitude": p.lon, "latitude": p.lat, "system": "WGS84"}}}
                response = await client.post("/graphql", json=body, headers=headers)
                data = response.json()
                assert response.status_code == 200 and "errors" not in data, data

            for p in points[:100]:
                await ask(p)  # warm: the tenant's index, parser and validation caches, plans
            sample = points[100: 100 + args.requests]
            wall, cpu = [], []
            for p in sample:
                t0, c0 = time.perf_counter_ns(), time.process_time_ns()
                await ask(p)
                cpu.append((time.process_time_ns() - c0) / 1000)
                wall.append((time.perf_counter_ns() - t0) / 1000)
            print(f"inprocess_requests={len(sample)}")
            print(f"inprocess_p50_us={pct(wall, 0.5):.0f}")
            print(f"inprocess_p99_us={pct(wall, 0.99):.0f}")
            print(f"inprocess_mean_us={statistics.fmean(wall):.0f}")
            print(f"inprocess_cpu_p50_us={pct(cpu, 0.5):.0f}")
            print(f"inprocess_cpu_mean_us={statistics.fmean(cpu):.0f}")

            if args.profile_requests:
                profiled = points[100 + args.requests:]
                profiler = cProfile.Profile()
                profiler.enable()
                for p in profiled:
                    await ask(p)
                profiler.disable()
                stats = pstats.Stats(profiler)
                n = len(profiled)
                total_calls = sum(nc for (cc, nc, tt, ct, callers) in stats.stats.values())
                print(f"profile_requests={n}")
                print(f"profile_function_calls_per_req={total_calls / n:.0f}")
                print(f"profile_total_us_per_req={stats.total_tt / n * 1e6:.0f}")
                for line in layer_table(stats, n):
                    print(line)
                out = io.StringIO()
                pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(args.top)
                print(out.getvalue())
                if args.dump:
                    stats.dump_stats(args.dump)
        await services.database.dispose()
        print(f"cpus={os.cpu_count()}")
        print(f"loadavg_1m={os.getloadavg()[0]:.2f}")
    finally:
        await database.dispose()
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile-requests", type=int, default=500)
    parser.add_argument("--top", type=int, default=30, help="functions listed by own time")
    parser.add_argument("--dump", help="write the cProfile stats here (pstats format)")
    parser.add_argument("--seed", type=int, default=42)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
