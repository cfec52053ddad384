"""Promotions benchmark (not a test). Prints `key=value` lines.

(a) price_cart: the customer's price breakdown (promotions.service.cart_breakdown: cart SELECT,
    unit-price pipeline incl. the flash-sale step, automatic promotions, the chosen coupon and
    the ranking of every coupon held) for a 20-line cart with 50 active automatic promotions and
    10 coupons, against the same cart with every promotion paused: price_cart_p99_ms and
    price_cart_ratio (with / without promotions, p99 over p99).
(b) flash-sale storm: 2,000 buyers, each with one unit in the cart, check out at concurrency 64
    against uvicorn with 2 workers on PostgreSQL, for a flash sale of 100 units (limit 1 per
    customer, stock plentiful). Each buyer sends expectedTotal = the flash price, so a buyer who
    comes too late gets a typed FLASH_SALE_SOLD_OUT or PRICE_CHANGED (not counted as errors).
    The 50 automatic promotions of (a) are paused during (b), so the expected total is the flash price.
    flash_orders counts orders holding flash-sale quota (must be exactly 100).

    .venv/bin/python bench/promotions.py [--pg-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres]

Runs on a fresh database it creates and drops. The machine is shared (2 cores, several
engineers' test suites): figures are from a loaded machine.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from api_throughput import free_port, start_server  # noqa: E402

CHECKOUT = """mutation($s: ID!, $key: String!, $e: MoneyInput) {
  checkoutComplete(input: {storeId: $s, fulfilmentType: STORE_PICKUP, idempotencyKey: $key, expectedTotal: $e}) {
    order { id total { amount } } errors { code } } }"""
BUYERS, CONCURRENCY, QUOTA = 2000, 64, 100


async def create_database(admin_url: str) -> tuple[str, str]:
    import asyncpg

    name = f"qiandian_bench_promotions_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    return admin_url.rsplit("/", 1)[0] + "/" + name, name


async def drop_database(admin_url: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_url.replace("postgresql+asyncpg://", "postgresql://"))
    await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await conn.close()


async def prepare(url: str) -> dict:
    from sqlalchemy import select, update

    from commerce.models import Cart, CartLine, Customer, Sku, Stock
    from core.settings import Settings
    from db.migrate import upgrade_async
    from db.session import Database
    from demo.seed import seed_demo
    from app.services import build_services
    from promotions.models import Coupon, FlashSale, Promotion
    from schema.ids import encode
    from store_network.models import NetworkNode, Store, Tenant

    await upgrade_async(url)
    database = Database(url)
    await seed_demo(database)
    now = datetime.now(timezone.utc)
    async with database.write() as session:
        tenant = await session.scalar(select(Tenant).where(Tenant.slug == "qianxian"))
        root = await session.scalar(select(NetworkNode).where(NetworkNode.tenant_id == tenant.id, NetworkNode.parent_id.is_(None)))
        store = await session.scalar(select(Store).where(Store.tenant_id == tenant.id, Store.status == "OPEN").order_by(Store.id))
        skus = (await session.scalars(select(Sku).where(Sku.tenant_id == tenant.id, Sku.quantity_step == 1).order_by(Sku.id).limit(21))).all()
        flash_sku, cart_skus = skus[0], skus[1:21]
        for sku in skus:
            await session.execute(update(Stock).where(Stock.store_id == store.id, Stock.sku_id == sku.id).values(on_hand=1_000_000, reserved=0))
        flash_price = max(flash_sku.base_price_fen // 2, 1)
        session.add(FlashSale(
            tenant_id=tenant.id, node_id=root.id, node_path=root.path, name="bench 秒杀", sku_id=flash_sku.id, store_id=store.id,
            price_fen=flash_price, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=2), quota=QUOTA, sold=0,
            per_customer_limit=1, version=1,
        ))
        # (a) 50 automatic promotions of every built-in kind, 10 coupons for one shopper with a 20-line cart.
        kinds = [
            ([{"code": "min_subtotal", "args": {"amount": 5000}}], [{"code": "amount_off", "args": {"amount": 500}}]),
            ([], [{"code": "percent_off", "args": {"percent": 5, "max": 2000}}]),
            ([], [{"code": "tiered_amount_off", "args": {"tiers": [[10000, 1000], [30000, 4000]]}}]),
            ([], [{"code": "buy_x_get_y", "args": {"buy": 3, "get": 1}}]),
            ([], [{"code": "nth_item_percent", "args": {"n": 2, "percent": 50}}]),
            ([{"code": "new_customer", "args": {"days": 30}}], [{"code": "line_percent", "args": {"percent": 10}}]),
            ([{"code": "first_order", "args": {}}], [{"code": "amount_off", "args": {"amount": 300}}]),
            ([{"code": "min_subtotal", "args": {"amount": 900000}}], [{"code": "amount_off", "args": {"amount": 500}}]),  # almost applies
        ]
        for i in range(50):
            conditions, actions = kinds[i % len(kinds)]
            scope = {"sku_ids": [cart_skus[i % 20].id, cart_skus[(i * 7) % 20].id]} if i % 3 == 0 else {}
            session.add(Promotion(
                tenant_id=tenant.id, node_id=root.id, node_path=root.path, kind="AUTOMATIC", status="ACTIVE", name=f"auto {i}", version=1,
                priority=i % 5, stackable=False, conditions=conditions, actions=actions, scope=scope,
                starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=2), issued=0,
            ))
        shopper = Customer(tenant_id=tenant.id, mobile="+8613400000000", name="shopper")
        session.add(shopper)
        await session.flush()
        for i in range(10):
            template = Promotion(
                tenant_id=tenant.id, node_id=root.id, node_path=root.path, kind="COUPON", status="ACTIVE", name=f"coupon {i}", version=1,
                priority=0, stackable=False, conditions=[{"code": "min_subtotal", "args": {"amount": 2000 * (i + 1) * 10}}],
                actions=[{"code": "amount_off", "args": {"amount": 100 * (i + 1)}}], scope={},
                starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=2), per_customer_limit=1, issued=1,
            )
            session.add(template)
            await session.flush()
            session.add(Coupon(tenant_id=tenant.id, promotion_id=template.id, customer_id=shopper.id, claim_no=1, claimed_at=now))
        cart = Cart(tenant_id=tenant.id, customer_id=shopper.id, store_id=store.id)
        session.add(cart)
        await session.flush()
        session.add_all([CartLine(cart_id=cart.id, sku_id=sku.id, quantity=1 + i % 3) for i, sku in enumerate(cart_skus)])
        # (b) 2,000 buyers, each with the flash SKU in the cart.
        buyers = [Customer(tenant_id=tenant.id, mobile=f"+86133{i:08d}", name=f"buyer{i}") for i in range(BUYERS)]
        session.add_all(buyers)
        await session.flush()
        carts = [Cart(tenant_id=tenant.id, customer_id=b.id, store_id=store.id) for b in buyers]
        session.add_all(carts)
        await session.flush()
        session.add_all([CartLine(cart_id=c.id, sku_id=flash_sku.id, quantity=1) for c in carts])
        buyer_ids = [b.id for b in buyers]
        facts = {"tenant_id": tenant.id, "store_id": store.id, "shopper": shopper.id, "flash_price": flash_price}
    await database.dispose()
    signer = build_services(Settings(database_url=url)).signer
    facts.update(
        store=encode("Store", facts["store_id"]), tenant=tenant.slug,
        tokens=[signer.issue_pair(f"customer:{i}", facts["tenant_id"]).access for i in buyer_ids],
    )
    return facts


async def bench_price_cart(url: str, facts: dict, rounds: int) -> dict:
    from sqlalchemy import update

    from auth.roles import Principal
    from db.session import Database
    from events.wiring import register_listeners
    from promotions import service
    from promotions.models import Promotion

    register_listeners()  # the flash-sale price step is part of the pipeline, as in the server
    database = Database(url)
    principal = Principal.customer(facts["tenant_id"], facts["shopper"])

    async def timed() -> tuple[list[float], object]:
        samples, last = [], None
        for _ in range(rounds):
            async with database.read() as session:
                started = time.perf_counter()
                last = await service.cart_breakdown(session, principal, facts["store_id"], [], datetime.now(timezone.utc))
                samples.append(time.perf_counter() - started)
        samples.sort()
        return samples, last

    await timed()  # warm up
    with_promotions, priced = await timed()
    engine_lines = await engine_only(database, facts, priced, rounds)
    async with database.write() as session:
        await session.execute(update(Promotion).where(Promotion.tenant_id == facts["tenant_id"]).values(status="PAUSED"))
    without, plain = await timed()  # the promotions stay paused for (b): the storm measures the flash quota alone
    await database.dispose()
    p99 = lambda s: s[max(int(len(s) * 0.99) - 1, 0)] * 1000  # noqa: E731
    return {
        "price_cart_lines": len(priced.lines),
        "price_cart_promotions_applied": len(priced.result.applied),
        "price_cart_hints": len(priced.result.hints),
        "price_cart_coupons_ranked": len(priced.coupons),
        "price_cart_p50_ms": f"{statistics.median(with_promotions) * 1000:.2f}",
        "price_cart_p99_ms": f"{p99(with_promotions):.2f}",
        "price_cart_no_promotions_p99_ms": f"{p99(without):.2f}",
        "price_cart_ratio": f"{p99(with_promotions) / p99(without):.2f}",
        "price_cart_plain_applied": len(plain.result.applied),
        **engine_lines,
    }


async def engine_only(database, facts: dict, priced, rounds: int) -> dict:
    """The order-level stage alone (no database): price_order + rank_coupons over the same cart."""
    from promotions import engine, service
    from promotions.models import Coupon, Promotion
    from sqlalchemy import select

    async with database.read() as session:
        path = await service.store_path(session, facts["store_id"])
        automatic = await service.automatic_for(session, facts["tenant_id"], path, datetime.now(timezone.utc))
        held = (await session.execute(select(Coupon, Promotion).join(Promotion, Promotion.id == Coupon.promotion_id).where(Coupon.customer_id == facts["shopper"]))).all()
    coupons = [service.spec_of(t, coupon_id=c.id) for c, t in held]
    facts_ = engine.CustomerFacts(first_order=True, account_age_days=1)

    def run(auto, cands):
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            engine.price_order(priced.lines, auto, cands[:1], facts=facts_)
            engine.rank_coupons(priced.lines, auto, cands, facts=facts_)
            samples.append(time.perf_counter() - started)
        samples.sort()
        return samples[max(int(len(samples) * 0.99) - 1, 0)] * 1000

    full, empty = run(automatic, coupons), run([], [])
    return {
        "engine_promotions": len(automatic), "engine_coupons": len(coupons),
        "engine_p99_ms": f"{full:.3f}", "engine_no_promotions_p99_ms": f"{empty:.3f}", "engine_ratio": f"{full / empty:.1f}",
    }


async def storm(base: str, facts: dict) -> dict:
    headers = {"X-Tenant": facts["tenant"]}
    expected = {"amount": f"{facts['flash_price'] / 100:.2f}", "currency": "CNY"}
    queue = list(facts["tokens"])
    latencies: list[float] = []
    outcomes: dict[str, int] = {}
    errors = 0

    async def worker():
        nonlocal errors
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            while queue:
                token = queue.pop()
                started = time.perf_counter()
                try:
                    r = await client.post(
                        "/graphql",
                        json={"query": CHECKOUT, "variables": {"s": facts["store"], "key": f"flash-{uuid.uuid4()}", "e": expected}},
                        headers={**headers, "Authorization": f"Bearer {token}"},
                    )
                    body = r.json() if r.status_code == 200 else None
                except httpx.HTTPError:
                    body = None
                latencies.append(time.perf_counter() - started)
                if body is None or "errors" in body:
                    errors += 1
                    continue
                result = body["data"]["checkoutComplete"]
                key = "ORDER" if result["order"] else result["errors"][0]["code"]
                outcomes[key] = outcomes.get(key, 0) + 1
                if key not in ("ORDER", "FLASH_SALE_SOLD_OUT", "PRICE_CHANGED"):
                    errors += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    wall = time.perf_counter() - started
    latencies.sort()
    return {"latencies": latencies, "outcomes": outcomes, "errors": errors, "wall": wall}


async def count_flash(url: str, tenant_id: int) -> tuple[int, int, int]:
    from sqlalchemy import func, select

    from db.session import Database
    from promotions.models import FlashSale, FlashSalePurchase

    database = Database(url)
    async with database.read() as session:
        purchases = await session.scalar(select(func.count()).select_from(FlashSalePurchase).join(FlashSale).where(FlashSale.tenant_id == tenant_id))
        units = await session.scalar(select(func.coalesce(func.sum(FlashSalePurchase.quantity), 0)).join(FlashSale).where(FlashSale.tenant_id == tenant_id))
        sold = await session.scalar(select(FlashSale.sold).where(FlashSale.tenant_id == tenant_id))
    await database.dispose()
    return purchases, units, sold


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-url", default=os.environ.get("QIANDIAN_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"))
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-storm", action="store_true", help="only (a)")
    args = parser.parse_args()
    url, name = asyncio.run(create_database(args.pg_url))
    try:
        facts = asyncio.run(prepare(url))
        lines = {"backend": "postgresql", "machine": "shared 2-core, loaded (other engineers' test suites running)"}
        lines.update(asyncio.run(bench_price_cart(url, facts, args.rounds)))
        if args.skip_storm:
            for key, value in lines.items():
                print(f"{key}={value}")
            return
        env = dict(os.environ, DATABASE_URL=url, QIANDIAN_GRAPHIQL="0", QIANDIAN_SWEEPER_INTERVAL_S="0", PYTHONPATH=str(ROOT))
        port = free_port()
        server = start_server("asgi:app", port, env, args.workers)
        try:
            result = asyncio.run(storm(f"http://127.0.0.1:{port}", facts))
        finally:
            server.terminate()
            server.wait(15)
        purchases, units, sold = asyncio.run(count_flash(url, facts["tenant_id"]))
        lat = result["latencies"]
        lines.update({
            "flash_workers": args.workers,
            "flash_buyers": BUYERS,
            "flash_concurrency": CONCURRENCY,
            "flash_quota": QUOTA,
            "flash_orders": purchases,
            "flash_units_sold": sold,
            "flash_orders_answered": result["outcomes"].get("ORDER", 0),
            "flash_sold_out_answers": result["outcomes"].get("FLASH_SALE_SOLD_OUT", 0),
            "flash_price_changed_answers": result["outcomes"].get("PRICE_CHANGED", 0),
            "flash_errors": result["errors"],
            "flash_p50_ms": f"{statistics.median(lat) * 1000:.1f}",
            "flash_p99_ms": f"{lat[max(int(len(lat) * 0.99) - 1, 0)] * 1000:.1f}",
            "flash_rps": f"{len(lat) / result['wall']:.1f}",
        })
        assert units == sold == purchases, (units, sold, purchases)
        for key, value in lines.items():
            print(f"{key}={value}")
    finally:
        asyncio.run(drop_database(args.pg_url, name))


if __name__ == "__main__":
    main()
