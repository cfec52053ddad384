"""Strong/weak control of a store's stock edits and of its staff's order handling (issue #12).

At every level: HQ STRONG refuses the store and allows the partner; a partner's STRONG under
HQ's WEAK refuses the store; a store manager can never widen its own policy."""
from __future__ import annotations

import uuid

import pytest

from tests.api import gql_documents as docs
from tests.api.helpers import pay, place_order
from tests.store_sync.helpers import STOCK_SYNC, gql_key, stock_of, store_api_key

E = "errors { code field }"
CONTROL = f"""mutation($id: ID!, $stock: ControlLevel, $orders: ControlLevel) {{
  networkNodeControlSet(input: {{nodeId: $id, stock: $stock, orders: $orders}}) {{ node {{ control {{ stock orders }} }} {E} }} }}"""
STOCK_SET = f"mutation($s: ID!, $k: ID!, $n: Int) {{ stockSet(input: {{storeId: $s, skuId: $k, onHand: $n}}) {{ onHand {E} }} }}"


async def _control(client, world, node_id, staff, **levels):
    variables = {"id": world.gid("NetworkNode", node_id), "stock": None, "orders": None, **levels}
    return (await world.gql(client, CONTROL, variables, token=world.staff_token(staff)))["data"]["networkNodeControlSet"]


async def _stock_set(client, world, staff, on_hand=7):
    body = await world.gql(client, STOCK_SET, {"s": world.store("a"), "k": world.sku("milk"), "n": on_hand}, token=world.staff_token(staff))
    return body["data"]["stockSet"]


async def _store_node(world):
    from store_network.models import Store

    async with world.services.database.read() as session:
        return (await session.get(Store, world.store_ids["a"])).node_id


@pytest.mark.parametrize("locker, node", [("hq", "hq"), ("west", "west")])
async def test_strong_stock_control_above_the_store_refuses_the_store_and_not_the_lock_holder(client, world, locker, node):
    assert (await _stock_set(client, world, "manager_a", 5))["errors"] == []  # WEAK by default
    node_id = world.hq_node_id if node == "hq" else world.partner_ids["west"]
    assert (await _control(client, world, node_id, locker, stock="STRONG"))["errors"] == []
    refused = await _stock_set(client, world, "manager_a", 9)
    assert refused == {"onHand": None, "errors": [{"code": "STOCK_LOCKED_BY_HQ", "field": "onHand"}]}
    assert (await stock_of(world.services.database, world, "milk"))[0] == 5
    # Only grants on the deciding node or above it pass: under HQ's lock the partner is refused too.
    partner = await _stock_set(client, world, "west", 11)
    assert [e["code"] for e in partner["errors"]] == ([] if locker == "west" else ["STOCK_LOCKED_BY_HQ"])
    assert (await _stock_set(client, world, "hq", 13))["errors"] == []
    assert (await stock_of(world.services.database, world, "milk"))[0] == 13


async def test_a_partner_lock_under_hq_weak_does_not_reach_the_other_partner(client, world):
    await _control(client, world, world.partner_ids["west"], "west", stock="STRONG")
    assert (await _stock_set(client, world, "manager_a"))["errors"][0]["code"] == "STOCK_LOCKED_BY_HQ"
    # East's stores still follow HQ's WEAK: the HQ admin can always edit, and so can a store manager of C (none here): HQ.
    body = await world.gql(client, STOCK_SET, {"s": world.store("c"), "k": world.sku("milk"), "n": 3}, token=world.staff_token("hq"))
    assert body["data"]["stockSet"]["errors"] == []


async def test_bulk_stock_sync_refuses_every_row_under_strong_stock_control(client, world, database):
    key = await store_api_key(client, world)
    await _control(client, world, world.hq_node_id, "hq", stock="STRONG")
    rows = [{"skuCode": "SKU-milk", "mode": "ABSOLUTE", "quantity": 50, "version": "1"},
            {"skuCode": "SKU-bread", "mode": "DELTA", "quantity": -2}]
    variables = {"input": {"storeId": world.store("a"), "idempotencyKey": f"s-{uuid.uuid4()}", "rows": rows}}
    body = (await gql_key(client, world, STOCK_SYNC, variables, key))["data"]["storeStockSync"]
    assert [(r["status"], r["code"]) for r in body["rows"]] == [("REJECTED", "STOCK_LOCKED_BY_HQ")] * 2
    assert await stock_of(database, world, "milk") == (20, 0) and await stock_of(database, world, "bread") == (20, 0)


async def test_a_store_manager_can_never_widen_its_own_policy(client, world):
    store_node = await _store_node(world)
    await _control(client, world, world.hq_node_id, "hq", stock="STRONG", orders="STRONG")
    for node_id in (store_node, world.partner_ids["west"], world.hq_node_id):
        refused = await _control(client, world, node_id, "manager_a", stock="WEAK", orders="WEAK")
        assert refused["node"] is None and refused["errors"][0]["code"] == "PERMISSION_DENIED"
    assert (await _stock_set(client, world, "manager_a"))["errors"][0]["code"] == "STOCK_LOCKED_BY_HQ"


async def _pickup_order(client, world):
    placed = await place_order(client, world, {"milk": 1}, fulfilment="STORE_PICKUP")
    assert placed["errors"] == [], placed
    return placed["order"]["id"]


async def _transition(client, world, order_id, staff, status="CANCELLED"):
    body = await world.gql(client, docs.CANCEL, {"order": order_id}, token=world.staff_token(staff))
    return body["data"]["orderCancel"]


@pytest.mark.parametrize("locker, node", [("hq", "hq"), ("west", "west")])
async def test_strong_orders_control_refuses_store_staff_but_not_the_lock_holder_or_the_customer(client, world, locker, node):
    node_id = world.hq_node_id if node == "hq" else world.partner_ids["west"]
    assert (await _control(client, world, node_id, locker, orders="STRONG"))["errors"] == []
    order_id = await _pickup_order(client, world)
    for staff in ("manager_a", "clerk_a"):
        refused = await _transition(client, world, order_id, staff)
        assert refused == {"order": None, "errors": [{"code": "ORDERS_LOCKED_BY_HQ", "field": "orderId", "message": refused["errors"][0]["message"]}]}
    moved = await world.gql(client, docs.TRANSITION, {"order": order_id, "status": "PICKING"}, token=world.staff_token("clerk_a"))
    assert [e["code"] for e in moved["data"]["orderTransition"]["errors"]] == ["ORDERS_LOCKED_BY_HQ"]
    completed = await world.gql(client, docs.COMPLETE, {"order": order_id, "reason": "handed over"}, token=world.staff_token("manager_a"))
    assert [e["code"] for e in completed["data"]["orderComplete"]["errors"]] == ["ORDERS_LOCKED_BY_HQ"]
    refunded = await world.gql(client, docs.REFUND, {"order": order_id}, token=world.staff_token("manager_a"))
    assert [e["code"] for e in refunded["data"]["orderRefund"]["errors"]] == ["ORDERS_LOCKED_BY_HQ"]
    if locker == "hq":
        assert (await _transition(client, world, order_id, "west"))["errors"][0]["code"] == "ORDERS_LOCKED_BY_HQ"
    assert (await _transition(client, world, order_id, locker))["errors"] == []
    # The customer's own cancel is never subject to the store's order control.
    other = await _pickup_order(client, world)
    own = await world.gql(client, docs.CANCEL, {"order": other}, token=world.customer_token("alice"))
    assert own["data"]["orderCancel"]["errors"] == []


async def test_under_weak_orders_control_store_staff_handle_their_orders(client, world):
    order_id = await _pickup_order(client, world)
    assert (await _transition(client, world, order_id, "clerk_a"))["errors"] == []


PARTIAL = """mutation($id: ID!, $key: String!) { orderRefundPartial(input: {orderId: $id, idempotencyKey: $key,
  amount: {amount: "0.01", currency: "CNY"}}) { refundedTotal { amount } errors { code field } } }"""


async def test_a_partial_refund_by_store_staff_follows_orders_control(client, world):
    order_id = await _pickup_order(client, world)
    await pay(client, world, order_id)
    await _control(client, world, world.hq_node_id, "hq", orders="STRONG")
    refused = await world.gql(client, PARTIAL, {"id": order_id, "key": f"rf-{uuid.uuid4()}"}, token=world.staff_token("manager_a"))
    assert refused["data"]["orderRefundPartial"]["errors"] == [{"code": "ORDERS_LOCKED_BY_HQ", "field": "orderId"}]
    allowed = await world.gql(client, PARTIAL, {"id": order_id, "key": f"rf-{uuid.uuid4()}"}, token=world.staff_token("hq"))
    assert allowed["data"]["orderRefundPartial"]["errors"] == []
