"""A zero price is never a slip, and checkout never charges a total the customer was not shown."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from commerce.models import Cart, CartLine, Order, Stock, StorePrice
from tests.api import gql_documents as docs

E = "errors { code field message }"
PRICE_SET = f"""mutation($s: ID!, $k: ID!, $p: String, $free: Boolean! = false) {{
  storePriceSet(input: {{storeId: $s, skuId: $k, price: $p, allowFree: $free}}) {{ price {{ amount }} {E} }} }}"""
CHECKOUT = f"""mutation($store: ID!, $key: String!, $expected: MoneyInput) {{
  checkoutComplete(input: {{storeId: $store, fulfilmentType: STORE_PICKUP, idempotencyKey: $key, expectedTotal: $expected}}) {{
    order {{ total {{ amount }} lines {{ unitPrice {{ amount }} }} }} {E} }} }}"""


async def _price_set(client, world, price, *, free=False, store="b"):
    body = await world.gql(
        client, PRICE_SET, {"s": world.store(store), "k": world.sku("milk"), "p": price, "free": free}, token=world.staff_token("hq")
    )
    return body["data"]["storePriceSet"]


async def _store_price_row(database, world, store="b"):
    async with database.read() as session:
        return (
            await session.execute(
                select(StorePrice.price_fen, StorePrice.allow_free).where(
                    StorePrice.store_id == world.store_ids[store], StorePrice.sku_id == world.sku_ids["milk"]
                )
            )
        ).first()


@pytest.mark.parametrize("zero", ["0", "-0", "0.00", "-0.00"])
async def test_a_zero_store_price_is_refused_unless_free_is_allowed(client, database, world, zero):
    refused = await _price_set(client, world, zero)
    assert refused["price"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("FREE_PRICE_NOT_ALLOWED", "price")]
    assert await _store_price_row(database, world) is None  # nothing written: HQ's price still applies

    allowed = await _price_set(client, world, zero, free=True)
    assert allowed == {"price": {"amount": "0.00"}, "errors": []}
    assert tuple(await _store_price_row(database, world)) == (0, True)  # the decision is recorded

    # A real price afterwards clears the flag: the next zero must be confirmed again.
    assert (await _price_set(client, world, "3.00"))["errors"] == []
    assert tuple(await _store_price_row(database, world)) == (300, False)
    assert [e["code"] for e in (await _price_set(client, world, zero))["errors"]] == ["FREE_PRICE_NOT_ALLOWED"]


@pytest.mark.parametrize("negative", ["-0.01", "-1", "-12.50"])
async def test_negative_store_prices_are_refused_even_when_free_is_allowed(client, database, world, negative):
    refused = await _price_set(client, world, negative, free=True)
    assert refused["price"] is None and [e["code"] for e in refused["errors"]] == ["AMOUNT_OUT_OF_RANGE"]
    assert await _store_price_row(database, world) is None


async def test_the_database_refuses_a_zero_price_nobody_allowed(database, world):
    with pytest.raises(IntegrityError):
        async with database.write() as session:
            session.add(StorePrice(tenant_id=world.tenant_id, store_id=world.store_ids["b"], sku_id=world.sku_ids["milk"], price_fen=0))
            await session.flush()


async def _fill_cart(client, world, milk: int = 2):
    body = await world.gql(
        client, docs.ADD_LINES, {"store": world.store("a"), "lines": [{"skuId": world.sku("milk"), "quantity": milk}]},
        token=world.customer_token("alice"),
    )
    assert body["data"]["cartLinesAdd"]["errors"] == []


async def _checkout(client, world, expected, key=None):
    body = await world.gql(
        client, CHECKOUT, {"store": world.store("a"), "key": key or f"k-{uuid.uuid4()}", "expected": expected},
        token=world.customer_token("alice"),
    )
    return body["data"]["checkoutComplete"]


async def _written(database, world):
    async with database.read() as session:
        orders = await session.scalar(select(func.count()).select_from(Order).where(Order.tenant_id == world.tenant_id))
        reserved = await session.scalar(
            select(Stock.reserved).where(Stock.store_id == world.store_ids["a"], Stock.sku_id == world.sku_ids["milk"])
        )
        lines = await session.scalar(
            select(func.count()).select_from(CartLine).join(Cart, Cart.id == CartLine.cart_id)
            .where(Cart.customer_id == world.customer_ids["alice"])
        )
    return orders, reserved, lines


async def test_checkout_refuses_a_total_that_moved_since_the_cart_was_shown_and_writes_nothing(client, database, world):
    await _fill_cart(client, world)  # 2 x 11.00 shown
    assert (await _price_set(client, world, "11.50", store="a"))["errors"] == []  # the store reprices meanwhile
    before = await _written(database, world)

    key = f"k-{uuid.uuid4()}"
    refused = await _checkout(client, world, {"amount": "22.00", "currency": "CNY"}, key)
    assert refused["order"] is None
    assert [(e["code"], e["field"]) for e in refused["errors"]] == [("PRICE_CHANGED", "expectedTotal")]
    assert "23.00" in refused["errors"][0]["message"]  # tells the client the current total
    assert await _written(database, world) == before  # no order, no reservation, the cart kept

    # The client shows the new total and confirms with the same key: the refusal was not stored.
    placed = await _checkout(client, world, {"amount": "23.00", "currency": "CNY"}, key)
    assert placed["errors"] == [] and placed["order"]["total"] == {"amount": "23.00"}


async def test_checkout_without_expected_total_still_places_at_the_current_price(client, world):
    await _fill_cart(client, world)
    placed = await _checkout(client, world, None)
    assert placed["errors"] == [] and placed["order"]["total"] == {"amount": "22.00"}


@pytest.mark.parametrize(
    "expected, code, field",
    [
        ({"amount": "22.00", "currency": "USD"}, "INVALID", "expectedTotal.currency"),
        ({"amount": "22.001", "currency": "CNY"}, "AMOUNT_OUT_OF_RANGE", "expectedTotal.amount"),
        ({"amount": "-22.00", "currency": "CNY"}, "AMOUNT_OUT_OF_RANGE", "expectedTotal.amount"),
        ({"amount": "lots", "currency": "CNY"}, "AMOUNT_OUT_OF_RANGE", "expectedTotal.amount"),
    ],
)
async def test_a_malformed_expected_total_is_a_typed_error(client, database, world, expected, code, field):
    await _fill_cart(client, world)
    before = await _written(database, world)
    refused = await _checkout(client, world, expected)
    assert refused["order"] is None and [(e["code"], e["field"]) for e in refused["errors"]] == [(code, field)]
    assert await _written(database, world) == before
