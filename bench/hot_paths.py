"""What the API's hottest requests cost in the process itself. Not a test.

    .venv/bin/python bench/hot_paths.py [--requests 3000] [--orders 300]

bench/api_throughput.py measures requests per second through uvicorn and wrk, which on a
2-core machine shared with anything else mostly measures the machine. This script measures
the same three requests in-process instead, calling the ASGI app directly (no sockets, no
uvicorn, no HTTP client), on a fresh SQLite copy of the demo chain:

* storefront_hit: the anonymous storefront page answered by the micro-cache (the path a
  storefront's traffic mostly takes);
* storefront_miss: the same page executed (cache off): the GraphQL stack, loaders, pricing;
* order: one cartLinesAdd then one checkoutComplete by a signed-in customer.

For each it prints CPU time per request (`*_cpu_us`, process CPU time, which a loaded machine
inflates far less than wall time) and Python function calls per request under cProfile
(`*_calls`: deterministic, so two commits compare whatever the load). Run it from two
checkouts alternately (A/B/A/B) to compare; it imports only what every commit since the
plug-points base has (`asgi.create_app`, `demo.seed`, the id encoder from either home).
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))
from api_throughput import ADD, CHECKOUT, STOREFRONT, prepare_database  # noqa: E402


class _Call:
    """One ASGI HTTP request: scope, a receive that yields the body once, a send that collects."""

    def __init__(self, body: bytes, headers: dict[str, str]):
        self.scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": "/graphql", "raw_path": b"/graphql", "query_string": b"",
            "root_path": "", "client": ("127.0.0.1", 40000), "server": ("127.0.0.1", 8000),
            "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()]
            + [(b"content-length", str(len(body)).encode()), (b"host", b"127.0.0.1")],
        }
        self.body = body
        self.status = None
        self.chunks: list[bytes] = []

    async def receive(self):
        body, self.body = self.body, b""
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(self, message):
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    def json(self):
        return json.loads(b"".join(self.chunks))


async def _post(app, document: str, variables: dict, headers: dict) -> dict:
    call = _Call(json.dumps({"query": document, "variables": variables}).encode(), headers)
    await app(call.scope, call.receive, call.send)
    if call.status != 200:
        raise RuntimeError(f"HTTP {call.status}: {b''.join(call.chunks)[:300]!r}")
    return call.json()


TOP = 0  # --top: print the functions with the most cumulative time per profiled path


async def _measure(label: str, n: int, one, results: dict) -> None:
    for i in range(min(20, n)):  # warm caches (validation, loaders' statements, micro-cache)
        await one(i)
    cpu = time.process_time()
    for i in range(n):
        await one(i)
    results[f"{label}_cpu_us"] = round((time.process_time() - cpu) / n * 1e6, 1)
    profile_n = max(1, n // 5)
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(profile_n):
        await one(n + i)
    profiler.disable()
    stats = pstats.Stats(profiler)
    results[f"{label}_calls"] = round(stats.total_calls / profile_n)
    if TOP:
        print(f"# {label}: top {TOP} by cumulative time ({profile_n} requests)", file=sys.stderr)
        stats.stream = sys.stderr
        stats.sort_stats("cumulative").print_stats(TOP)


async def run(args) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="qiandian-hot-"))
    url = f"sqlite+aiosqlite:///{workdir / 'hot.sqlite3'}"
    fixture = await prepare_database(url, args.orders * 2 + 100)
    os.environ.update(DATABASE_URL=url, QIANDIAN_GRAPHIQL="0", QIANDIAN_SWEEPER_INTERVAL_S="0")
    import asgi

    headers = {"content-type": "application/json", "x-tenant": fixture["tenant"]}
    storefront_vars = {"store": fixture["store"]}
    results: dict = {}

    async def with_app(ttl_ms: str, body):
        os.environ["QIANDIAN_ANONYMOUS_CACHE_TTL_MS"] = ttl_ms
        app = asgi.create_app()
        async with _lifespan(app):
            await body(app)

    async def cached(app):
        first = await _post(app, STOREFRONT, storefront_vars, headers)
        assert len(first["data"]["store"]["products"]["edges"]) == 20, first

        async def one(_i):
            await _post(app, STOREFRONT, storefront_vars, headers)

        # Hits: the TTL is long enough that every request after the first is answered from memory.
        await _measure("storefront_hit", args.requests, one, results)

    async def executed(app):
        async def one(_i):
            await _post(app, STOREFRONT, storefront_vars, headers)

        await _measure("storefront_miss", max(50, args.requests // 20), one, results)
        tokens = iter(fixture["tokens"])

        async def order(_i):
            auth = {**headers, "authorization": f"Bearer {next(tokens)}"}
            await _post(app, ADD, {"s": fixture["store"], "k": fixture["sku"]}, auth)
            out = await _post(app, CHECKOUT, {"s": fixture["store"], "key": f"hot-{uuid.uuid4()}"}, auth)
            assert out["data"]["checkoutComplete"]["order"] is not None, out

        await _measure("order", args.orders, order, results)

    await with_app("600000", cached)
    await with_app("0", executed)
    return results


class _lifespan:
    def __init__(self, app):
        self.app = app
        self.queue: asyncio.Queue = asyncio.Queue()
        self.sent: asyncio.Queue = asyncio.Queue()

    async def __aenter__(self):
        async def receive():
            return await self.queue.get()

        self.task = asyncio.create_task(self.app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, self.sent.put))
        await self.queue.put({"type": "lifespan.startup"})
        message = await self.sent.get()
        if message["type"] != "lifespan.startup.complete":
            raise RuntimeError(message)

    async def __aexit__(self, *exc):
        await self.queue.put({"type": "lifespan.shutdown"})
        await self.sent.get()
        await self.task


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--top", type=int, default=0, help="print a cProfile table per path to stderr")
    args = parser.parse_args()
    global TOP
    TOP = args.top
    load = os.getloadavg()
    print(f"commit_dir={ROOT}")
    print(f"nproc={os.cpu_count()} loadavg_before={load[0]:.2f}")
    for key, value in asyncio.run(run(args)).items():
        print(f"{key}={value}")
    print(f"loadavg_after={os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
