"""API throughput benchmark (not a test): storefront query, place-order mutation, bare Starlette.

Starts uvicorn on a fresh copy of the demo chain (SQLite by default, or --database-url for
PostgreSQL), drives each scenario at --concurrency for --duration seconds, and prints
`key=value` lines. The storefront runs twice: in the default configuration (anonymous
micro-cache on, 1 s TTL) and with the cache off (`storefront_uncached_*`), so the cost of
the GraphQL stack itself is always visible next to the cached figure. Load comes from wrk when it is installed (apt-get install wrk): it costs
far less CPU than a Python client on a 2-core machine. The order scenario needs a fresh
cart per order, so it runs from a Python client (add one line, then time the checkout).

    .venv/bin/python bench/api_throughput.py [--duration 20] [--concurrency 32] [--workers 1]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STOREFRONT = """query Storefront($store: ID!) {
  store(id: $store) {
    id name isOpenNow
    products(first: 20) {
      edges { node { id name soldBy skus { id price { amount currency } stock { quantityAvailable inStock } } } }
    }
  }
}"""
ADD = """mutation($s: ID!, $k: ID!) { cartLinesAdd(input: {storeId: $s, lines: [{skuId: $k, quantity: 1}]}) { errors { code } } }"""
CHECKOUT = """mutation($s: ID!, $key: String!) {
  checkoutComplete(input: {storeId: $s, fulfilmentType: STORE_PICKUP, idempotencyKey: $key}) {
    order { id total { amount } } errors { code message } } }"""


def ensure_wrk() -> bool:
    """wrk costs far less CPU than a Python client: install it from Debian's packages when it is
    missing and we may (root, apt present); otherwise the Python client is used and the output
    says so (`load_generator=`)."""
    if shutil.which("wrk"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], capture_output=True, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    return shutil.which("wrk") is not None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(module: str, port: int, env: dict, workers: int) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "uvicorn", module, "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{module} did not start: {proc.stderr.read().decode()[-2000:]}")


def wrk(url: str, body: str, headers: dict, duration: int, concurrency: int) -> dict:
    lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    lua.write('wrk.method = "POST"\n')
    lua.write(f"wrk.body = {json.dumps(body)}\n")
    for key, value in headers.items():
        lua.write(f'wrk.headers["{key}"] = "{value}"\n')
    lua.close()
    out = subprocess.run(
        ["wrk", "-t2", f"-c{concurrency}", f"-d{duration}s", "--latency", "-s", lua.name, url],
        capture_output=True, text=True, check=True,
    ).stdout
    os.unlink(lua.name)

    def ms(label):
        match = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


async def python_load(url: str, make_request, duration: int, concurrency: int) -> dict:
    """Closed-loop clients; each worker calls make_request(client, worker_index) and times it."""
    latencies: list[float] = []
    errors = 0
    stop = time.perf_counter() + duration

    async def worker(index: int):
        nonlocal errors
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            while time.perf_counter() < stop:
                ok, elapsed = await make_request(client, index)
                if ok:
                    latencies.append(elapsed)
                else:
                    errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    wall = time.perf_counter() - started
    latencies.sort()
    return {
        "rps": len(latencies) / wall,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000 if latencies else float("nan"),
        "errors": errors,
    }


async def prepare_database(url: str, customers: int) -> dict:
    """Migrate, seed the demo chain, give one SKU plenty of stock, and mint customer tokens."""
    from sqlalchemy import select, update

    from commerce.models import Customer, Sku, Stock
    from core.settings import Settings
    from db.migrate import upgrade_async
    from db.session import Database
    from demo.seed import seed_demo
    from schema.ids import encode
    from app.services import build_services
    from store_network.models import Store, Tenant

    await upgrade_async(url)
    database = Database(url)
    await seed_demo(database)
    async with database.write() as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.slug == "qianxian"))
        store = await session.scalar(select(Store).where(Store.tenant_id == tenant.id, Store.status == "OPEN").order_by(Store.id))
        sku = await session.scalar(
            select(Sku).where(Sku.tenant_id == tenant.id, Sku.quantity_step == 1).order_by(Sku.id)
        )
        await session.execute(
            update(Stock).where(Stock.store_id == store.id, Stock.sku_id == sku.id).values(on_hand=10_000_000, reserved=0)
        )
        ids = []
        for i in range(customers):
            customer = Customer(tenant_id=tenant.id, mobile=f"+86135{uuid.uuid4().int % 10**8:08d}", name=f"bench{i}")
            session.add(customer)
            await session.flush()
            ids.append(customer.id)
    await database.dispose()
    signer = build_services(Settings(database_url=url)).signer
    return {
        "store": encode("Store", store.id),
        "sku": encode("Sku", sku.id),
        "tokens": [signer.issue_pair(f"customer:{i}", tenant.id).access for i in ids],
        "tenant": tenant.slug,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers (PostgreSQL only for >1)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="qiandian-bench-"))
    url = args.database_url or f"sqlite+aiosqlite:///{workdir / 'bench.sqlite3'}"
    fixture = asyncio.run(prepare_database(url, args.concurrency))
    env = dict(os.environ, DATABASE_URL=url, QIANDIAN_GRAPHIQL="0", QIANDIAN_SWEEPER_INTERVAL_S="0", PYTHONPATH=str(ROOT))
    headers = {"Content-Type": "application/json", "X-Tenant": fixture["tenant"]}
    body = json.dumps({"query": STOREFRONT, "variables": {"store": fixture["store"]}})
    use_wrk = ensure_wrk()
    results = {}

    def storefront_load(base):
        if use_wrk:
            return wrk(f"{base}/graphql", body, headers, args.duration, args.concurrency)

        async def storefront(client, _i):
            t = time.perf_counter()
            r = await client.post("/graphql", content=body, headers=headers)
            return r.status_code == 200, time.perf_counter() - t

        return asyncio.run(python_load(base, storefront, args.duration, args.concurrency))

    # Default configuration: the anonymous micro-cache (1 s TTL) is on.
    port = free_port()
    api = start_server("asgi:app", port, env, args.workers)
    try:
        sample = httpx.post(f"http://127.0.0.1:{port}/graphql", content=body, headers=headers, timeout=30)
        sample.raise_for_status()
        assert "errors" not in sample.json(), sample.text[:500]
        assert len(sample.json()["data"]["store"]["products"]["edges"]) == 20
        (workdir / "storefront.json").write_bytes(sample.content)
        results["storefront"] = storefront_load(f"http://127.0.0.1:{port}")
    finally:
        api.terminate()
        api.wait(10)

    # Every request executed: the cache off shows what the GraphQL stack itself costs.
    port = free_port()
    api = start_server("asgi:app", port, dict(env, QIANDIAN_ANONYMOUS_CACHE_TTL_MS="0"), args.workers)
    base = f"http://127.0.0.1:{port}"
    try:
        results["storefront_uncached"] = storefront_load(base)

        async def order(client, i):
            auth = {**headers, "Authorization": f"Bearer {fixture['tokens'][i]}"}
            await client.post("/graphql", json={"query": ADD, "variables": {"s": fixture["store"], "k": fixture["sku"]}}, headers=auth)
            t = time.perf_counter()
            r = await client.post(
                "/graphql",
                json={"query": CHECKOUT, "variables": {"s": fixture["store"], "key": f"bench-{uuid.uuid4()}"}},
                headers=auth,
            )
            ok = r.status_code == 200 and r.json()["data"]["checkoutComplete"]["order"] is not None
            return ok, time.perf_counter() - t

        results["order"] = asyncio.run(python_load(base, order, args.duration, args.concurrency))
    finally:
        api.terminate()
        api.wait(10)

    bare_env = dict(env, BARE_BODY_FILE=str(workdir / "storefront.json"))
    bare_port = free_port()
    bare = start_server("bench.bare_app:app", bare_port, bare_env, args.workers)
    try:
        if use_wrk:
            results["bare"] = wrk(f"http://127.0.0.1:{bare_port}/graphql", body, headers, args.duration, args.concurrency)
        else:
            async def bare_call(client, _i):
                t = time.perf_counter()
                r = await client.post("/graphql", content=body, headers=headers)
                return r.status_code == 200, time.perf_counter() - t

            results["bare"] = asyncio.run(python_load(f"http://127.0.0.1:{bare_port}", bare_call, args.duration, args.concurrency))
    finally:
        bare.terminate()
        bare.wait(10)

    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    lines = {
        "backend": backend,
        "workers": args.workers,
        "concurrency": args.concurrency,
        "duration_s": args.duration,
        "load_generator": "wrk" if use_wrk else "python-httpx",
        "storefront_rps": f"{results['storefront']['rps']:.1f}",
        "storefront_p50_ms": f"{results['storefront']['p50_ms']:.2f}",
        "storefront_p99_ms": f"{results['storefront']['p99_ms']:.2f}",
        "storefront_errors": results["storefront"]["errors"],
        "storefront_uncached_rps": f"{results['storefront_uncached']['rps']:.1f}",
        "storefront_uncached_p50_ms": f"{results['storefront_uncached']['p50_ms']:.2f}",
        "storefront_uncached_p99_ms": f"{results['storefront_uncached']['p99_ms']:.2f}",
        "order_rps": f"{results['order']['rps']:.1f}",
        "order_p50_ms": f"{results['order']['p50_ms']:.2f}",
        "order_p99_ms": f"{results['order']['p99_ms']:.2f}",
        "order_errors": results["order"]["errors"],
        "bare_rps": f"{results['bare']['rps']:.1f}",
        "bare_p99_ms": f"{results['bare']['p99_ms']:.2f}",
        "storefront_vs_bare_ratio": f"{results['storefront']['rps'] / results['bare']['rps']:.3f}",
        "storefront_uncached_vs_bare_ratio": f"{results['storefront_uncached']['rps'] / results['bare']['rps']:.3f}",
    }
    for key, value in lines.items():
        print(f"{key}={value}")
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
