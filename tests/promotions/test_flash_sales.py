"""Flash sales: the scheduled price shows everywhere, the quota is never oversold under
concurrent checkouts, the per-customer limit holds, and unpaid orders give their units back."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from commerce.models import Customer
from commerce.orders import expire_unpaid_orders
from promotions.models import FlashSale, FlashSaleBuyer
from tests.promotions.helpers import ADD, CANCEL, FLASH, BREAKDOWN, add_to_cart, checkout, window
from tests.worlds import build_world

SHELF = """query($store: ID!) { store(id: $store) { products(first: 10) { nodes { name skus { price { amount } priceSource } } } } }"""


async def _flash(client, world, quota: int, limit: int = 1, store: str | None = "a", price: str = "5.00") -> dict:
    starts, ends = window()
    variables = {"input": {
        "nodeId": world.gid("NetworkNode", world.hq_node_id), "skuId": world.sku("milk"), "name": "秒杀 milk", "price": price,
        "startsAt": starts, "endsAt": ends, "quota": quota, "perCustomerLimit": limit,
        **({"storeId": world.store(store)} if store else {}),
    }}
    body = await world.gql(client, FLASH, variables, token=world.staff_token("hq"))
    assert body["data"]["flashSaleCreate"]["errors"] == [], body
    return body["data"]["flashSaleCreate"]["flashSale"]


async def _sold(database, world) -> tuple[int, int]:
    async with database.read() as session:
        row = await session.scalar(select(FlashSale).where(FlashSale.tenant_id == world.tenant_id))
        return row.sold, row.quota


async def test_the_flash_price_shows_on_the_shelf_and_the_breakdown_only_in_its_store(client, world):
    await _flash(client, world, quota=5)
    a = await world.gql(client, SHELF, {"store": world.store("a")})
    b = await world.gql(client, SHELF, {"store": world.store("b")})
    milk = lambda body: next(p["skus"][0] for p in body["data"]["store"]["products"]["nodes"] if p["name"] == "Milk")  # noqa: E731
    assert milk(a) == {"price": {"amount": "5.00"}, "priceSource": "PROMOTION"}
    assert milk(b) == {"price": {"amount": "12.50"}, "priceSource": "HQ"}
    await add_to_cart(client, world, "a", milk=1)
    body = (await world.gql(client, BREAKDOWN, {"store": world.store("a")}, token=world.customer_token()))["data"]["priceBreakdown"]
    assert body["lines"][0]["priceSource"] == "PROMOTION" and body["total"] == {"amount": "5.00"}


async def test_thirty_concurrent_buyers_for_ten_units_get_exactly_ten_and_a_cancellation_frees_one(client, database, services):
    world = await build_world(database, services, stock=40)
    await _flash(client, world, quota=10)
    async with database.write() as session:
        customers = [Customer(tenant_id=world.tenant_id, mobile=f"+86137{i:08d}", name=f"b{i}") for i in range(31)]
        session.add_all(customers)
        await session.flush()
        tokens = [services.signer.issue_pair(f"customer:{c.id}", world.tenant_id).access for c in customers]
    for token in tokens:
        body = await world.gql(client, ADD, {"store": world.store("a"), "lines": [{"skuId": world.sku("milk"), "quantity": 1}]}, token=token)
        assert body["data"]["cartLinesAdd"]["errors"] == []
    from tests.promotions.helpers import CHECKOUT
    import uuid

    async def buy(token):
        body = await world.gql(client, CHECKOUT, {"store": world.store("a"), "key": str(uuid.uuid4()), "expected": {"amount": "5.00", "currency": "CNY"}}, token=token)
        return body["data"]["checkoutComplete"]

    results = await asyncio.gather(*(buy(t) for t in tokens[:30]))
    placed = [r["order"] for r in results if r["order"]]
    assert len(placed) == 10 and all(o["total"] == {"amount": "5.00"} for o in placed)
    assert {r["errors"][0]["code"] for r in results if not r["order"]} <= {"FLASH_SALE_SOLD_OUT", "PRICE_CHANGED"}
    assert await _sold(database, world) == (10, 10)
    # One buyer cancels the unpaid order: the unit goes back, and the 31st buyer gets it at the flash price.
    cancel_token = tokens[[i for i, r in enumerate(results) if r["order"]][0]]
    body = await world.gql(client, CANCEL, {"order": placed[0]["id"]}, token=cancel_token)
    assert body["data"]["orderCancel"]["errors"] == []
    assert await _sold(database, world) == (9, 10)
    late = await buy(tokens[30])
    assert late["errors"] == [] and late["order"]["total"] == {"amount": "5.00"}
    assert await _sold(database, world) == (10, 10)


async def test_per_customer_limit_and_release_when_an_unpaid_order_expires(client, world, database):
    await _flash(client, world, quota=10, limit=2)
    await add_to_cart(client, world, "a", milk=3)
    over = await checkout(client, world, "a")
    assert over["errors"][0]["code"] == "FLASH_SALE_LIMIT_REACHED" and over["order"] is None
    await world.gql(client, """mutation($s: ID!, $l: [CartLineInput!]!) { cartLinesUpdate(input: {storeId: $s, lines: $l}) { errors { code } } }""",
                    {"s": world.store("a"), "l": [{"skuId": world.sku("milk"), "quantity": 2}]}, token=world.customer_token())
    first = await checkout(client, world, "a")
    assert first["errors"] == [] and first["order"]["total"] == {"amount": "10.00"}
    await add_to_cart(client, world, "a", milk=1)
    again = await checkout(client, world, "a")
    assert again["errors"][0]["code"] == "FLASH_SALE_LIMIT_REACHED"
    assert await _sold(database, world) == (2, 10)
    later = datetime.now(timezone.utc) + timedelta(hours=1)
    async with database.write() as session:
        assert await expire_unpaid_orders(session, later) >= 1
    assert await _sold(database, world) == (0, 10)
    async with database.read() as session:
        mine = await session.scalar(select(FlashSaleBuyer).where(FlashSaleBuyer.customer_id == world.customer_ids["alice"]))
        assert mine.quantity == 0
    retry = await checkout(client, world, "a")
    assert retry["errors"] == [] and retry["order"]["total"] == {"amount": "5.00"}


async def test_a_flash_sale_shared_across_stores_counts_one_quota(client, world, database):
    await _flash(client, world, quota=1, store=None)
    await add_to_cart(client, world, "a", milk=1)
    await add_to_cart(client, world, "c", "bob", milk=1)
    assert (await checkout(client, world, "a"))["order"]["total"] == {"amount": "5.00"}
    refused = await checkout(client, world, "c", "bob", expected={"amount": "5.00", "currency": "CNY"})
    assert refused["errors"][0]["code"] == "PRICE_CHANGED" and "12.50" in refused["errors"][0]["message"]
