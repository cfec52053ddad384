"""Inside one tenant: each role reaches exactly its subtree of the store network, and HQ's strong
price control overrides the stores' own price-setting."""
from __future__ import annotations

from tests.api import gql_documents as docs
from tests.api.helpers import available, pay, place_order

E = "errors { code field }"
PRICE_SET = f"mutation($s: ID!, $k: ID!, $p: String) {{ storePriceSet(input: {{storeId: $s, skuId: $k, price: $p}}) {{ price {{ amount }} {E} }} }}"
STOCK_SET = f"mutation($s: ID!, $k: ID!, $d: Int) {{ stockSet(input: {{storeId: $s, skuId: $k, delta: $d}}) {{ onHand {E} }} }}"
STORE_UPDATE = f"mutation($id: ID!) {{ storeUpdate(input: {{id: $id, prepMinutes: 25}}) {{ store {{ prepMinutes }} {E} }} }}"
CONTROL_SET = f"mutation($id: ID!, $p: ControlLevel) {{ networkNodeControlSet(input: {{nodeId: $id, prices: $p}}) {{ node {{ control {{ prices }} }} {E} }} }}"
CATEGORY_CREATE = f"mutation($s: String!) {{ categoryCreate(input: {{slug: $s, name: \"Veg\"}}) {{ category {{ slug }} {E} }} }}"
PRODUCT_CREATE = f"""mutation($c: ID!, $s: String!) {{ productCreate(input: {{categoryId: $c, slug: $s, name: "Pear",
    skus: [{{code: $s, basePrice: "3.00"}}]}}) {{ product {{ name }} {E} }} }}"""
PRODUCT_UPDATE = f"mutation($id: ID!) {{ productUpdate(input: {{id: $id, name: \"Fresh milk\"}}) {{ product {{ name }} {E} }} }}"
ORDERS = "query($s: ID) { orders(first: 50, storeId: $s) { nodes { id store { code } } } }"


async def call(client, world, doc, variables, staff: str) -> dict:
    body = await world.gql(client, doc, variables, token=world.staff_token(staff))
    assert "errors" not in body, body
    (payload,) = body["data"].values()
    return payload


def codes(payload: dict) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def price(client, world, store: str, sku: str = "milk") -> str:
    body = await world.gql(client, docs.STOCK, {"store": world.store(store), "id": world.gid("Product", world.product_ids[sku])})
    return body["data"]["product"]["skus"][0]["price"]["amount"]


async def test_store_manager_changes_stock_and_prices_of_own_store_only(client, world):
    milk = {"k": world.sku("milk")}
    denied_stock = await call(client, world, STOCK_SET, {"s": world.store("b"), **milk, "d": 5}, "manager_a")
    denied_price = await call(client, world, PRICE_SET, {"s": world.store("b"), **milk, "p": "1.00"}, "manager_a")
    assert codes(denied_stock) == codes(denied_price) == ["PERMISSION_DENIED"]
    assert denied_stock["onHand"] is None and denied_price["price"] is None
    assert await available(client, world, "milk", store="b") == 20
    assert await price(client, world, "b") == "12.50"

    assert (await call(client, world, STOCK_SET, {"s": world.store("a"), **milk, "d": 5}, "manager_a"))["onHand"] == 25
    assert (await call(client, world, PRICE_SET, {"s": world.store("a"), **milk, "p": "10.50"}, "manager_a"))["price"] == {"amount": "10.50"}
    assert await available(client, world, "milk", store="a") == 25
    assert await price(client, world, "a") == "10.50"
    assert await price(client, world, "b") == "12.50"
    denied = await call(client, world, STORE_UPDATE, {"id": world.store("a")}, "manager_a")  # stores are partner/HQ business
    assert codes(denied) == ["PERMISSION_DENIED"]


async def test_store_staff_move_orders_of_their_store_but_set_no_prices_or_stock(client, world):
    order_a = (await place_order(client, world, {"milk": 1}, fulfilment="STORE_PICKUP"))["order"]["id"]
    order_b = (await place_order(client, world, {"milk": 1}, store="b", fulfilment="STORE_PICKUP"))["order"]["id"]
    for order in (order_a, order_b):
        await pay(client, world, order)
    moved = await call(client, world, docs.TRANSITION, {"order": order_a, "status": "PICKING"}, "clerk_a")
    assert moved["errors"] == [] and moved["order"]["status"] == "PICKING"
    sibling = await call(client, world, docs.TRANSITION, {"order": order_b, "status": "PICKING"}, "clerk_a")
    assert codes(sibling) == ["PERMISSION_DENIED"] and sibling["order"] is None
    body = await world.gql(client, "query($id: ID!) { node(id: $id) { ... on Order { status } } }", {"id": order_b}, token=world.customer_token())
    assert body["data"]["node"] == {"status": "PAID"}

    milk = {"s": world.store("a"), "k": world.sku("milk")}
    assert codes(await call(client, world, PRICE_SET, {**milk, "p": "1.00"}, "clerk_a")) == ["PERMISSION_DENIED"]
    assert codes(await call(client, world, STOCK_SET, {**milk, "d": 100}, "clerk_a")) == ["PERMISSION_DENIED"]
    assert await price(client, world, "a") == "11.00"
    assert await available(client, world, "milk", store="a") == 19


async def test_partner_admin_covers_its_stores_but_not_the_other_partners(client, world):
    bread = {"k": world.sku("bread"), "d": 10}
    for store in ("a", "b"):
        assert (await call(client, world, STOCK_SET, {"s": world.store(store), **bread}, "west"))["onHand"] == 30
    assert codes(await call(client, world, STOCK_SET, {"s": world.store("c"), **bread}, "west")) == ["PERMISSION_DENIED"]
    assert codes(await call(client, world, PRICE_SET, {"s": world.store("c"), "k": world.sku("bread"), "p": "1.00"}, "west")) == ["PERMISSION_DENIED"]
    assert codes(await call(client, world, STORE_UPDATE, {"id": world.store("c")}, "west")) == ["PERMISSION_DENIED"]
    assert (await call(client, world, STORE_UPDATE, {"id": world.store("b")}, "west"))["store"] == {"prepMinutes": 25}
    east = world.gid("NetworkNode", world.partner_ids["east"])
    assert codes(await call(client, world, CONTROL_SET, {"id": east, "p": "STRONG"}, "west")) == ["PERMISSION_DENIED"]
    assert await available(client, world, "bread", store="c") == 20
    assert await price(client, world, "c", "bread") == "9.00"
    order_c = (await place_order(client, world, {"bread": 1}, store="c", fulfilment="STORE_PICKUP"))["order"]["id"]
    await pay(client, world, order_c)
    assert codes(await call(client, world, docs.TRANSITION, {"order": order_c, "status": "PICKING"}, "west")) == ["PERMISSION_DENIED"]


async def test_only_hq_manages_the_catalog(client, world):
    category = world.gid("Category", world.category_id)
    milk = world.gid("Product", world.product_ids["milk"])
    for staff in ("west", "manager_a", "clerk_a"):
        assert codes(await call(client, world, CATEGORY_CREATE, {"s": f"veg-{staff}"}, staff)) == ["PERMISSION_DENIED"]
        assert codes(await call(client, world, PRODUCT_CREATE, {"c": category, "s": f"pear-{staff}"}, staff)) == ["PERMISSION_DENIED"]
        assert codes(await call(client, world, PRODUCT_UPDATE, {"id": milk}, staff)) == ["PERMISSION_DENIED"]
    customer = await world.gql(client, CATEGORY_CREATE, {"s": "veg-alice"}, token=world.customer_token())
    assert codes(customer["data"]["categoryCreate"]) == ["PERMISSION_DENIED"]
    body = await world.gql(client, "{ categories { slug } products(first: 10) { nodes { name } } }")
    assert body["data"] == {"categories": [{"slug": "fruit"}], "products": {"nodes": [{"name": n} for n in ("Apple", "Bread", "Milk")]}}

    assert (await call(client, world, CATEGORY_CREATE, {"s": "veg"}, "hq"))["category"] == {"slug": "veg"}
    assert (await call(client, world, PRODUCT_CREATE, {"c": category, "s": "pear"}, "hq"))["product"] == {"name": "Pear"}
    assert (await call(client, world, PRODUCT_UPDATE, {"id": milk}, "hq"))["product"] == {"name": "Fresh milk"}


async def test_strong_price_control_by_hq_locks_store_and_partner_prices(client, world):
    hq_node = world.gid("NetworkNode", world.hq_node_id)
    assert codes(await call(client, world, CONTROL_SET, {"id": hq_node, "p": "STRONG"}, "manager_a")) == ["PERMISSION_DENIED"]
    assert codes(await call(client, world, CONTROL_SET, {"id": hq_node, "p": "STRONG"}, "west")) == ["PERMISSION_DENIED"]
    locked = await call(client, world, CONTROL_SET, {"id": hq_node, "p": "STRONG"}, "hq")
    assert locked == {"node": {"control": {"prices": "STRONG"}}, "errors": []}

    milk = {"s": world.store("a"), "k": world.sku("milk")}
    for staff in ("manager_a", "west"):
        refused = await call(client, world, PRICE_SET, {**milk, "p": "9.90"}, staff)
        assert refused == {"price": None, "errors": [{"code": "PRICE_LOCKED_BY_HQ", "field": "price"}]}
        refused = await call(client, world, PRICE_SET, {**milk, "p": None}, staff)  # removing the store price is a change too
        assert codes(refused) == ["PRICE_LOCKED_BY_HQ"]
    assert await price(client, world, "a") == "11.00"
    # A partner cannot loosen what HQ locked for its subtree.
    west = world.gid("NetworkNode", world.partner_ids["west"])
    assert codes(await call(client, world, CONTROL_SET, {"id": west, "p": "WEAK"}, "west")) == ["PRICE_LOCKED_BY_HQ"]
    assert codes(await call(client, world, PRICE_SET, {**milk, "p": "9.90"}, "manager_a")) == ["PRICE_LOCKED_BY_HQ"]

    assert (await call(client, world, PRICE_SET, {**milk, "p": "9.90"}, "hq"))["price"] == {"amount": "9.90"}
    assert await price(client, world, "a") == "9.90"
    # Back to weak: the store manager sets prices again.
    await call(client, world, CONTROL_SET, {"id": hq_node, "p": "WEAK"}, "hq")
    assert (await call(client, world, PRICE_SET, {**milk, "p": "9.80"}, "manager_a"))["errors"] == []


async def test_staff_order_lists_show_only_their_subtree(client, world):
    orders = {store: (await place_order(client, world, {"bread": 1}, store=store, fulfilment="STORE_PICKUP"))["order"]["id"]
              for store in ("a", "b", "c")}
    expected = {"clerk_a": {"a"}, "manager_a": {"a"}, "west": {"a", "b"}, "hq": {"a", "b", "c"}}
    for staff, stores in expected.items():
        body = await world.gql(client, ORDERS, {"s": None}, token=world.staff_token(staff))
        nodes = body["data"]["orders"]["nodes"]
        assert {n["id"] for n in nodes} == {orders[s] for s in stores}, staff
        assert {n["store"]["code"] for n in nodes} == {s.upper() for s in stores}
    for staff, store in (("manager_a", "b"), ("west", "c")):
        body = await world.gql(client, ORDERS, {"s": world.store(store)}, token=world.staff_token(staff))
        assert body["data"]["orders"]["nodes"] == []
    body = await world.gql(client, "query($ids: [ID!]!) { nodes(ids: $ids) { id } }", {"ids": list(orders.values())}, token=world.staff_token("west"))
    assert body["data"]["nodes"] == [{"id": orders["a"]}, {"id": orders["b"]}, None]
