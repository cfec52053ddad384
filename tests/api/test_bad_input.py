"""Bad input gets a typed answer, never a 500 and never a partial write.

Typed answers are: a payload error with a code (HTTP 200), a top-level GraphQL error with a
readable message (validation, bad cursor, limits), or a plain HTTP 400/413 for a body that is
not a GraphQL request at all. "Unexpected error." (a masked exception) is never acceptable here.
"""
from __future__ import annotations

import base64
import json
import uuid

import pytest

from schema.ids import encode
from tests.api import gql_documents as docs
from tests.api.helpers import available
from tests.api.test_tenant_isolation import tenant_rows

E = "errors { code field message }"
CART = "query($s: ID!) { cart(storeId: $s) { lines { quantity sku { code } } } }"
PRICE_SET = f"mutation($s: ID!, $k: ID!, $p: String) {{ storePriceSet(input: {{storeId: $s, skuId: $k, price: $p}}) {{ price {{ amount }} {E} }} }}"
STOCK_SET = f"mutation($s: ID!, $k: ID!, $n: Int) {{ stockSet(input: {{storeId: $s, skuId: $k, onHand: $n}}) {{ onHand {E} }} }}"


async def request(client, world, query: str, variables: dict | None = None, *, token: str | None = None, status: int = 200) -> dict:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}},
        headers={"X-Tenant": world.slug, **({"Authorization": f"Bearer {token}"} if token else {})},
    )
    assert response.status_code == status, response.text
    assert "Traceback" not in response.text and "Unexpected error." not in response.text, response.text
    return response.json()


def messages(body: dict) -> list[str]:
    return [e["message"] for e in body.get("errors", [])]


async def cart_lines(client, world) -> list:
    body = await request(client, world, CART, {"s": world.store("a")}, token=world.customer_token())
    return body["data"]["cart"]["lines"]


async def add(client, world, lines: list[dict], store: str | None = None) -> dict:
    body = await request(client, world, docs.ADD_LINES, {"store": store or world.store("a"), "lines": lines}, token=world.customer_token())
    return body["data"]["cartLinesAdd"]


def codes(payload: dict) -> list[tuple[str, str | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


async def test_bad_global_ids_get_typed_payload_errors_and_write_nothing(client, world):
    milk = world.sku("milk")
    cases = [
        ({"store": "not-an-id!!", "sku": milk}, ("INVALID", "storeId")),
        ({"store": world.gid("Product", world.product_ids["milk"]), "sku": milk}, ("NOT_FOUND", "storeId")),  # wrong type
        ({"store": encode("Store", "abc"), "sku": milk}, ("NOT_FOUND", "storeId")),
        ({"store": encode("Store", 10**15), "sku": milk}, ("NOT_FOUND", "storeId")),  # no such store
        ({"store": world.store("a"), "sku": world.store("a")}, ("NOT_FOUND", "lines.0.skuId")),
        ({"store": world.store("a"), "sku": encode("Sku", "9" * 30)}, ("NOT_FOUND", "lines.0.skuId")),
    ]
    for ids, expected in cases:
        payload = await add(client, world, [{"skuId": ids["sku"], "quantity": 1}], store=ids["store"])
        assert payload["cart"] is None and codes(payload) == [expected], (ids, payload)
    hq = world.staff_token("hq")
    stock = await request(client, world, STOCK_SET, {"s": world.store("a"), "k": world.gid("Product", world.product_ids["milk"]), "n": 0}, token=hq)
    assert codes(stock["data"]["stockSet"]) == [("NOT_FOUND", "skuId")]
    assert await cart_lines(client, world) == []
    assert await available(client, world, "milk") == 20
    # Queries: a wrong-type id is a readable error; an unknown type or garbage id too.
    for query, message in (
        (f'{{ store(id: "{world.gid("Product", 1)}") {{ id }} }}', "Store not found"),
        (f'{{ product(id: "{world.store("a")}") {{ id }} }}', "Product not found"),
        ('{ node(id: "garbage!!") { id } }', 'Value cannot represent a GlobalID: "garbage!!".'),
        (f'{{ node(id: "{encode("Nope", 1)}") {{ id }} }}', "Cannot resolve. GlobalID requires a GraphQL type, received `Nope`."),
        (f'{{ node(id: "{encode("Money", 1)}") {{ id }} }}', "Cannot resolve. GlobalID requires a GraphQL Node type, received `Money`."),
    ):
        assert messages(await request(client, world, query)) == [message]


async def test_node_with_a_non_numeric_or_huge_id_is_a_readable_error_or_null(client, world):
    for raw in ("abc", "9" * 20):
        await request(client, world, f'{{ node(id: "{encode("Store", raw)}") {{ id }} }}')


async def test_quantities_outside_the_rules_are_refused_whole(client, world):
    apple, milk = world.sku("apple"), world.sku("milk")
    cases = [
        ([{"skuId": milk, "quantity": 0}], "INVALID_QUANTITY"),
        ([{"skuId": apple, "quantity": -250}], "INVALID_QUANTITY"),
        ([{"skuId": apple, "quantity": 300}], "QUANTITY_NOT_MULTIPLE_OF_STEP"),
        ([{"skuId": milk, "quantity": 1000}], "QUANTITY_TOO_LARGE"),
        ([{"skuId": apple, "quantity": 100_250}], "QUANTITY_TOO_LARGE"),
    ]
    for lines, code in cases:
        # A good first line never survives a bad second one.
        payload = await add(client, world, [{"skuId": world.sku("bread"), "quantity": 1}, *lines])
        assert codes(payload) == [(code, "lines.1.quantity")], payload
    assert await cart_lines(client, world) == []
    assert (await add(client, world, [{"skuId": milk, "quantity": 999}]))["errors"] == []
    assert codes(await add(client, world, [{"skuId": milk, "quantity": 1}])) == [("QUANTITY_TOO_LARGE", "lines.0.quantity")]
    assert await cart_lines(client, world) == [{"quantity": 999, "sku": {"code": "SKU-milk"}}]


async def test_int_overflow_and_unknown_enums_are_graphql_errors(client, world):
    token = world.customer_token()
    literal = f'mutation {{ cartLinesAdd(input: {{storeId: "{world.store("a")}", lines: [{{skuId: "{world.sku("milk")}", quantity: {2**31}}}]}}) {{ {E} }} }}'
    body = await request(client, world, literal, token=token)
    assert body.get("data") is None and messages(body) == [f"Int cannot represent non 32-bit signed integer value: {2**31}"]
    body = await request(client, world, docs.ADD_LINES, {"store": world.store("a"), "lines": [{"skuId": world.sku("milk"), "quantity": 2**31}]}, token=token)
    assert body.get("data") is None and "Int cannot represent non 32-bit signed integer value" in messages(body)[0]
    body = await request(client, world, docs.CHECKOUT, {"store": world.store("a"), "type": "TELEPORT", "address": None, "key": "k-12345678"}, token=token)
    assert body.get("data") is None and "Value 'TELEPORT' does not exist in 'FulfilmentType' enum" in messages(body)[0]
    body = await request(client, world, '{ orders(status: SHIPPED) { nodes { id } } }', token=token)
    assert "Value 'SHIPPED' does not exist in 'OrderStatus' enum" in messages(body)[0]
    assert await cart_lines(client, world) == []


@pytest.mark.parametrize("amount", ["12.345", "-1", "abc", "NaN", "1e12", "99999999999.99"])
async def test_store_price_amounts_out_of_range_are_refused(client, world, amount):
    body = await request(client, world, PRICE_SET, {"s": world.store("b"), "k": world.sku("milk"), "p": amount}, token=world.staff_token("hq"))
    assert body["data"]["storePriceSet"]["price"] is None
    assert [e["code"] for e in body["data"]["storePriceSet"]["errors"]] == ["AMOUNT_OUT_OF_RANGE"]
    assert (await request(client, world, docs.STOCK, {"store": world.store("b"), "id": world.gid("Product", world.product_ids["milk"])})
            )["data"]["product"]["skus"][0]["price"] == {"amount": "12.50"}


async def test_store_price_of_1e30_is_amount_out_of_range(client, world):
    body = await request(client, world, PRICE_SET, {"s": world.store("b"), "k": world.sku("milk"), "p": "1e30"}, token=world.staff_token("hq"))
    assert [e["code"] for e in body["data"]["storePriceSet"]["errors"]] == ["AMOUNT_OUT_OF_RANGE"]


async def test_oversized_lists_are_refused(client, world):
    lines = [{"skuId": world.sku("milk"), "quantity": 1}] * 101
    assert codes(await add(client, world, lines)) == [("TOO_MANY_LINES", "lines")]
    remove = f"mutation($s: ID!, $k: [ID!]!) {{ cartLinesRemove(input: {{storeId: $s, skuIds: $k}}) {{ {E} }} }}"
    body = await request(client, world, remove, {"s": world.store("a"), "k": [world.sku("milk")] * 101}, token=world.customer_token())
    assert codes(body["data"]["cartLinesRemove"]) == [("TOO_MANY_LINES", "skuIds")]
    assert await cart_lines(client, world) == []


async def test_malformed_and_oversized_bodies_are_400_and_413(client, world):
    response = await client.post("/graphql", content=b'{"query": "{ viewer { kind } ', headers={"content-type": "application/json", "X-Tenant": world.slug})
    assert response.status_code == 400 and "Traceback" not in response.text
    assert "JSON" in response.text
    limit = world.services.settings.max_body_bytes
    response = await client.post("/graphql", json={"query": "{ viewer { kind } }", "variables": {"pad": "x" * limit}}, headers={"X-Tenant": world.slug})
    assert response.status_code == 413
    assert response.json() == {"errors": [{"message": f"request body larger than {limit} bytes"}]}


def cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


async def test_page_size_and_cursor_errors_are_readable(client, world):
    hq = world.staff_token("hq")
    assert messages(await request(client, world, "{ products(first: 101) { nodes { id } } }")) == ["`first` must be between 0 and 100"]
    assert messages(await request(client, world, "{ orders(first: -1) { nodes { id } } }", token=hq)) == ["`first` must be between 0 and 100"]
    for after in ("!!!", "bm90IGpzb24", cursor({"id": 1}), cursor([1, 2])):
        assert messages(await request(client, world, f'{{ orders(after: "{after}") {{ nodes {{ id }} }} }}', token=hq)) == ["malformed cursor"]
    assert messages(await request(client, world, f'{{ stores(after: "{cursor("x")}") {{ nodes {{ id }} }} }}')) == ["malformed cursor"]


async def test_well_formed_cursor_with_wrong_value_types_is_malformed(client, world):
    hq = world.staff_token("hq")
    for query in (f'{{ orders(after: "{cursor([10**20])}") {{ nodes {{ id }} }} }}',
                  f'{{ orders(after: "{cursor(["abc"])}") {{ nodes {{ id }} }} }}',
                  f'{{ stores(after: "{cursor([1, 2])}") {{ nodes {{ id }} }} }}'):
        assert messages(await request(client, world, query, token=hq)) == ["malformed cursor"]


async def test_depth_alias_and_cost_limits(client, world):
    deep = "{ orders { edges { node { store { products { edges { node { skus { quantityRule { a { b { c { d { e { f } } } } } } } } } } } } } } }"
    assert "'anonymous' exceeds maximum operation depth of 12" in messages(await request(client, world, deep))
    aliases = lambda n: "{ " + " ".join(f"v{i}: viewer {{ kind }}" for i in range(n)) + " }"  # noqa: E731
    assert "errors" not in await request(client, world, aliases(30))
    (message,) = messages(await request(client, world, aliases(31)))
    assert "alias" in message.lower() and "30" in message
    costly = "{ stores(first: 100) { nodes { products(first: 100) { nodes { id name } } } } }"
    body = await request(client, world, costly)
    assert body.get("data") is None
    (error,) = body["errors"]
    assert "query cost 30201 exceeds the limit of 20000" in error["message"]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert "errors" not in await request(client, world, costly.replace("first: 100", "first: 10"))


async def test_checkout_that_cannot_reserve_a_line_leaves_no_order_and_no_reservation(client, world, database):
    lines = [{"skuId": world.sku("milk"), "quantity": 2}, {"skuId": world.sku("apple"), "quantity": 500}, {"skuId": world.sku("bread"), "quantity": 5}]
    assert (await add(client, world, lines))["errors"] == []
    set_bread = await request(client, world, STOCK_SET, {"s": world.store("a"), "k": world.sku("bread"), "n": 4}, token=world.staff_token("hq"))
    assert set_bread["data"]["stockSet"]["errors"] == []
    before = await tenant_rows(database, world.tenant_id)
    key = f"checkout-{uuid.uuid4()}"
    variables = {"store": world.store("a"), "type": "STORE_PICKUP", "address": None, "key": key}
    body = await request(client, world, docs.CHECKOUT, variables, token=world.customer_token())
    payload = body["data"]["checkoutComplete"]
    assert payload["order"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INSUFFICIENT_STOCK", "lines.2")]
    # Milk and apple were reserved before bread failed: all of it rolled back, cart kept.
    assert await tenant_rows(database, world.tenant_id) == before
    assert [await available(client, world, sku) for sku in ("milk", "apple", "bread")] == [20, 5000, 4]
    assert len(await cart_lines(client, world)) == 3
    # A failed attempt stores nothing under its idempotency key: the retry after restocking runs.
    await request(client, world, STOCK_SET, {"s": world.store("a"), "k": world.sku("bread"), "n": 10}, token=world.staff_token("hq"))
    retry = (await request(client, world, docs.CHECKOUT, variables, token=world.customer_token()))["data"]["checkoutComplete"]
    assert retry["errors"] == [] and retry["replayed"] is False and retry["order"]["status"] == "UNPAID"
    assert [await available(client, world, sku) for sku in ("milk", "apple", "bread")] == [18, 4500, 5]
