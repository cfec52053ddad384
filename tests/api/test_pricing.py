"""Prices have one owner (commerce.pricing): the storefront, the cart, checkout and
storePriceSet all answer what its pipeline says, with a breakdown of where a price came from."""
from __future__ import annotations

import uuid

from commerce import pricing
from tests.api import gql_documents as docs

SHELF = """query($store: ID!) { store(id: $store) { products(first: 10) { nodes { name
  skus { price { amount } priceSource priceBreakdown { source price { amount currency } } } } } } }"""
CART = "query($store: ID!) { cart(storeId: $store) { lines { quantity sku { code price { amount } priceSource } } } }"
PRICE_SET = """mutation($s: ID!, $k: ID!, $p: String) { storePriceSet(input: {storeId: $s, skuId: $k, price: $p}) {
  price { amount } errors { code field } } }"""


def _shelf(body: dict) -> dict:
    return {p["name"]: p["skus"][0] for p in body["data"]["store"]["products"]["nodes"]}


async def test_the_shelf_says_where_each_price_came_from(client, world):
    a = _shelf(await world.gql(client, SHELF, {"store": world.store("a")}))
    b = _shelf(await world.gql(client, SHELF, {"store": world.store("b")}))
    assert a["Milk"] == {
        "price": {"amount": "11.00"},
        "priceSource": "STORE",
        "priceBreakdown": [
            {"source": "HQ", "price": {"amount": "12.50", "currency": "CNY"}},
            {"source": "STORE", "price": {"amount": "11.00", "currency": "CNY"}},
        ],
    }
    assert b["Milk"] == {
        "price": {"amount": "12.50"},
        "priceSource": "HQ",
        "priceBreakdown": [{"source": "HQ", "price": {"amount": "12.50", "currency": "CNY"}}],
    }


class _MemberPrice:
    """A step the pipeline does not have yet: signed-in customers pay 1.00 less."""

    source = pricing.PriceSource.STORE

    async def prepare(self, db, context, facts):
        return None

    def apply(self, current_fen, facts, context, prepared):
        return current_fen - 100 if context.customer_id is not None else None


async def test_a_step_added_to_the_pipeline_reaches_shelf_cart_checkout_and_store_price_set(client, world, monkeypatch):
    """No caller computes a price itself: one new step changes every place a price shows."""
    steps = pricing.DEFAULT_PIPELINE.steps
    monkeypatch.setattr(pricing, "DEFAULT_PIPELINE", pricing.PricePipeline((*steps, _MemberPrice())))
    token = world.customer_token("alice")

    anonymous = _shelf(await world.gql(client, SHELF, {"store": world.store("a")}))
    signed_in = _shelf(await world.gql(client, SHELF, {"store": world.store("a")}, token=token))
    assert anonymous["Milk"]["price"] == {"amount": "11.00"}
    assert signed_in["Milk"]["price"] == {"amount": "10.00"}
    assert [c["price"]["amount"] for c in signed_in["Milk"]["priceBreakdown"]] == ["12.50", "11.00", "10.00"]

    added = await world.gql(client, docs.ADD_LINES, {"store": world.store("a"), "lines": [{"skuId": world.sku("milk"), "quantity": 2}]}, token=token)
    assert added["data"]["cartLinesAdd"]["cart"]["lines"][0]["sku"]["price"] == {"amount": "10.00"}
    cart = await world.gql(client, CART, {"store": world.store("a")}, token=token)
    assert cart["data"]["cart"]["lines"][0]["sku"]["price"] == {"amount": "10.00"}

    placed = await world.gql(client, docs.CHECKOUT, {"store": world.store("a"), "type": "STORE_PICKUP", "address": None, "key": f"k-{uuid.uuid4()}"}, token=token)
    order = placed["data"]["checkoutComplete"]["order"]
    assert order["lines"][0]["unitPrice"] == {"amount": "10.00"} and order["total"]["amount"] == "20.00"

    # Staff ask: no customer, so the member step passes; the answer is the pipeline's, not the row's.
    body = await world.gql(client, PRICE_SET, {"s": world.store("b"), "k": world.sku("milk"), "p": "9.90"}, token=world.staff_token("hq"))
    assert body["data"]["storePriceSet"] == {"price": {"amount": "9.90"}, "errors": []}
    body = await world.gql(client, PRICE_SET, {"s": world.store("b"), "k": world.sku("milk"), "p": None}, token=world.staff_token("hq"))
    assert body["data"]["storePriceSet"] == {"price": {"amount": "12.50"}, "errors": []}
