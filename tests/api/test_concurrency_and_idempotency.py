"""No oversell under concurrent checkouts; idempotency keys replay instead of repeating work."""
from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from commerce.models import Customer, Order, Stock
from tests.api import gql_documents as docs
from tests.worlds import build_world

BUYERS = 50


async def _stock(database, world, sku="milk", store="a"):
    async with database.read() as session:
        row = await session.scalar(
            select(Stock).where(Stock.store_id == world.store_ids[store], Stock.sku_id == world.sku_ids[sku])
        )
    return row.on_hand, row.reserved


async def test_fifty_concurrent_checkouts_for_the_last_ten_units(client, database, services):
    world = await build_world(database, services, stock=10)
    async with database.write() as session:
        customers = [
            Customer(tenant_id=world.tenant_id, mobile=f"+86139{i:08d}", name=f"buyer{i}") for i in range(BUYERS)
        ]
        session.add_all(customers)
        await session.flush()
        ids = [c.id for c in customers]
    tokens = [services.signer.issue_pair(f"customer:{i}", world.tenant_id).access for i in ids]
    for token in tokens:  # every buyer has one unit of milk in their cart
        body = await world.gql(
            client, docs.ADD_LINES, {"store": world.store("a"), "lines": [{"skuId": world.sku("milk"), "quantity": 1}]}, token=token
        )
        assert body["data"]["cartLinesAdd"]["errors"] == []

    async def buy(token):
        body = await world.gql(
            client,
            docs.CHECKOUT,
            {"store": world.store("a"), "type": "STORE_PICKUP", "address": None, "key": f"k-{uuid.uuid4()}"},
            token=token,
        )
        return body["data"]["checkoutComplete"]

    results = await asyncio.gather(*(buy(t) for t in tokens))
    placed = [r for r in results if r["order"]]
    refused = [r for r in results if r["errors"]]
    assert len(placed) == 10
    assert len(refused) == BUYERS - 10
    assert {r["errors"][0]["code"] for r in refused} == {"INSUFFICIENT_STOCK"}
    assert await _stock(database, world) == (10, 10)  # every unit held, none beyond
    async with database.read() as session:
        count = await session.scalar(select(func.count(Order.id)).where(Order.tenant_id == world.tenant_id))
    assert count == 10


async def test_same_key_same_input_replays_and_different_input_is_refused(client, world, database):
    token = world.customer_token()
    await world.gql(client, docs.ADD_LINES, {"store": world.store("a"), "lines": [{"skuId": world.sku("bread"), "quantity": 2}]}, token=token)
    variables = {"store": world.store("a"), "type": "STORE_PICKUP", "address": None, "key": "order-key-0001"}
    first = (await world.gql(client, docs.CHECKOUT, variables, token=token))["data"]["checkoutComplete"]
    again = (await world.gql(client, docs.CHECKOUT, variables, token=token))["data"]["checkoutComplete"]
    assert first["errors"] == [] and first["replayed"] is False
    assert again["replayed"] is True and again["order"]["id"] == first["order"]["id"]
    assert await _stock(database, world, "bread") == (20, 2)  # reserved once, not twice

    changed = dict(variables, type="SAME_CITY_DELIVERY", address=world.gid("Address", world.address_ids["alice"]))
    reused = (await world.gql(client, docs.CHECKOUT, changed, token=token))["data"]["checkoutComplete"]
    assert reused["order"] is None
    assert reused["errors"][0] == {
        "field": "idempotencyKey",
        "code": "IDEMPOTENCY_KEY_REUSED",
        "message": "this idempotency key was already used with a different request",
    }
    # Another customer may use the same key string: keys are scoped to the caller.
    bob = world.customer_token("bob")
    await world.gql(client, docs.ADD_LINES, {"store": world.store("a"), "lines": [{"skuId": world.sku("bread"), "quantity": 1}]}, token=bob)
    bobs = (await world.gql(client, docs.CHECKOUT, variables, token=bob))["data"]["checkoutComplete"]
    assert bobs["errors"] == [] and bobs["order"]["id"] != first["order"]["id"]


async def test_concurrent_retries_with_one_key_create_one_order(client, world, database):
    token = world.customer_token()
    await world.gql(client, docs.ADD_LINES, {"store": world.store("a"), "lines": [{"skuId": world.sku("milk"), "quantity": 1}]}, token=token)
    variables = {"store": world.store("a"), "type": "STORE_PICKUP", "address": None, "key": "retry-storm-0001"}
    results = await asyncio.gather(*(world.gql(client, docs.CHECKOUT, variables, token=token) for _ in range(8)))
    order_ids = {r["data"]["checkoutComplete"]["order"]["id"] for r in results if r["data"]["checkoutComplete"]["order"]}
    assert len(order_ids) == 1
    assert sum(not r["data"]["checkoutComplete"]["replayed"] for r in results) == 1
    assert await _stock(database, world) == (20, 1)


async def test_failed_checkout_stores_no_key_so_a_retry_can_succeed(client, world):
    token = world.customer_token()
    variables = {"store": world.store("a"), "type": "STORE_PICKUP", "address": None, "key": "empty-cart-0001"}
    empty = (await world.gql(client, docs.CHECKOUT, variables, token=token))["data"]["checkoutComplete"]
    assert empty["errors"][0]["code"] == "EMPTY_CART"
    await world.gql(client, docs.ADD_LINES, {"store": world.store("a"), "lines": [{"skuId": world.sku("milk"), "quantity": 1}]}, token=token)
    retried = (await world.gql(client, docs.CHECKOUT, variables, token=token))["data"]["checkoutComplete"]
    assert retried["errors"] == [] and retried["replayed"] is False


async def test_order_pay_is_idempotent(client, world):
    from tests.api.helpers import place_order

    order = (await place_order(client, world, {"bread": 1}))["order"]
    token = world.customer_token()
    first = (await world.gql(client, docs.PAY, {"order": order["id"], "key": "pay-0000-0001"}, token=token))["data"]["orderPay"]
    again = (await world.gql(client, docs.PAY, {"order": order["id"], "key": "pay-0000-0001"}, token=token))["data"]["orderPay"]
    assert first["payment"]["id"] == again["payment"]["id"] and again["replayed"] is True
    assert first["payment"]["amount"]["amount"] == order["total"]["amount"]
