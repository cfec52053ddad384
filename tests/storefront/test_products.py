"""Product sections hold products the store sells, with its prices and stock, and the whole
page costs a fixed number of SQL statements."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event

from core.clock import utc_now
from promotions.models import Promotion
from store_sync.models import StoreListing
from tests.storefront.helpers import banner, notice, page, save_and_publish, section


async def _coupon(world, name: str, *, active: bool = True) -> str:
    now = utc_now()
    async with world.services.database.write() as session:
        row = Promotion(
            tenant_id=world.tenant_id, node_id=world.hq_node_id, node_path=f"/{world.hq_node_id}/", kind="COUPON", name=name,
            conditions=[], actions=[], scope={}, starts_at=now - timedelta(days=1),
            ends_at=now + (timedelta(days=1) if active else -timedelta(hours=1)), code=None,
        )
        session.add(row)
        await session.flush()
        return world.gid("Promotion", row.id)


async def _delist(world, store: str, sku: str) -> None:
    async with world.services.database.write() as session:
        session.add(StoreListing(store_id=world.store_ids[store], sku_id=world.sku_ids[sku], tenant_id=world.tenant_id,
                                 listed=False, updated_at=utc_now()))


def _products(storefront, key) -> list[tuple[str, str]]:
    return [(p["name"], p["skus"][0]["price"]["amount"]) for p in section(storefront, key)["products"]]


async def test_carousels_show_the_stores_products_prices_and_stock_and_never_what_it_delisted(client, world):
    picks = [world.gid("Product", world.product_ids[k]) for k in ("milk", "apple", "bread")]
    await save_and_publish(client, world, "hq", "hq", {"sections": [
        {"key": "picks", "type": "PRODUCT_CAROUSEL", "productIds": picks},
        {"key": "cheap", "type": "PRODUCT_CAROUSEL", "rule": {"sort": "PRICE_ASC", "limit": 3}},
        {"key": "new", "type": "PRODUCT_CAROUSEL", "rule": {"sort": "NEWEST", "limit": 2, "categoryId": world.gid("Category", world.category_id)}},
        {"key": "best", "type": "PRODUCT_CAROUSEL", "rule": {"sort": "BEST_SELLING", "limit": 20}},
    ]})
    await _delist(world, "a", "bread")
    a = await page(client, world, "a")
    assert _products(a, "picks") == [("Milk", "11.00"), ("Apple", "6.98")]  # store A's own milk price; bread de-listed
    assert _products(a, "cheap") == [("Apple", "6.98"), ("Milk", "11.00")]
    assert [name for name, _ in _products(a, "new")] == ["Apple", "Milk"]  # newest first; bread would have been first
    assert sorted(name for name, _ in _products(a, "best")) == ["Apple", "Milk"]
    assert section(a, "picks")["products"][0]["skus"][0]["stock"] == {"quantityAvailable": 20}
    b = await page(client, world, "b")
    assert _products(b, "picks") == [("Milk", "12.50"), ("Apple", "6.98"), ("Bread", "9.00")]
    assert _products(b, "cheap") == [("Apple", "6.98"), ("Bread", "9.00"), ("Milk", "12.50")]
    assert [name for name, _ in _products(b, "new")] == ["Bread", "Apple"]


async def test_category_grids_and_coupon_strips_resolve_and_drop_what_is_gone(client, world):
    live, ended = await _coupon(world, "10 off"), await _coupon(world, "ended", active=False)
    await save_and_publish(client, world, "hq", "hq", {"sections": [
        {"key": "grid", "type": "CATEGORY_GRID", "categoryIds": [world.gid("Category", world.category_id)]},
        {"key": "coupons", "type": "COUPON_STRIP", "couponIds": [live, ended]},
    ]})
    a = await page(client, world, "a")
    assert section(a, "grid")["categories"] == [{"id": world.gid("Category", world.category_id), "name": "Fruit"}]
    assert section(a, "coupons")["coupons"] == [{"id": live, "name": "10 off"}]


def _count_selects(database):
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    return statements, lambda: event.remove(database.engine.sync_engine, "before_cursor_execute", record)


async def _add_products(database, world, count: int) -> list[str]:
    from commerce.models import Product, Sku, Stock

    out = []
    async with database.write() as session:
        for i in range(count):
            product = Product(tenant_id=world.tenant_id, category_id=world.category_id, slug=f"extra-{i}", name=f"Extra {i:02d}")
            session.add(product)
            await session.flush()
            sku = Sku(tenant_id=world.tenant_id, product_id=product.id, code=f"EXTRA-{i}", name=f"Extra {i}", base_price_fen=100 + i)
            session.add(sku)
            await session.flush()
            session.add(Stock(tenant_id=world.tenant_id, store_id=world.store_ids["a"], sku_id=sku.id, on_hand=i, reserved=0))
            out.append(world.gid("Product", product.id))
    return out


async def test_the_page_costs_a_fixed_number_of_statements_whatever_its_sections_and_products(client, database, world):
    extra = await _add_products(database, world, 20)
    coupon = await _coupon(world, "coupon")
    category = world.gid("Category", world.category_id)

    def one_of_each(copies: int, picks: list[str], limit: int) -> dict:
        sections = []
        for i in range(copies):
            sections += [
                banner(f"hero-{i}"), notice(f"notice-{i}", "hello"),
                {"key": f"picks-{i}", "type": "PRODUCT_CAROUSEL", "productIds": picks},
                {"key": f"rule-{i}", "type": "PRODUCT_CAROUSEL", "rule": {"sort": ("NEWEST", "PRICE_ASC", "BEST_SELLING")[i % 3], "limit": limit}},
                {"key": f"grid-{i}", "type": "CATEGORY_GRID", "categoryIds": [category]},
                {"key": f"coupons-{i}", "type": "COUPON_STRIP", "couponIds": [coupon]},
            ]
        return {"sections": sections}

    async def measure(doc: dict) -> tuple[int, dict]:
        await save_and_publish(client, world, "hq", "hq", doc)
        await page(client, world, "a")  # warm the per-process tenant cache
        statements, stop = _count_selects(database)
        try:
            body = await page(client, world, "a")
        finally:
            stop()
        return len([s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]), body

    small, small_page = await measure(one_of_each(1, extra[:1], 1))
    large, large_page = await measure(one_of_each(3, extra, 20))
    assert len(small_page["sections"]) == 6 and len(large_page["sections"]) == 18
    assert sum(len(s.get("products", [])) for s in large_page["sections"]) >= 100
    # The store and its path, the live layers, the rule carousels (one UNION), products, SKUs,
    # offers (stock and price facts), the partner-price, time-price and flash-sale price steps,
    # categories, coupon templates.
    assert small == large == 11, (small, large)
