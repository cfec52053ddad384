"""Staff GraphQL for couriers: accounts (credentials never returned), policy, quotes side by
side, one-click call, tip (idempotent), cancel with the deducted fee, timeline, permissions."""
from __future__ import annotations

import pytest

from schema.ids import encode
from tests.couriers.kit import CREDENTIALS, FakeTransport
from tests.dispatch_api.helpers import delivery_order

ADD = """mutation($i: CourierAccountAddInput!) { courierAccountAdd(input: $i) { accountId webhookUrl errors { field code message } } }"""
POLICY = """mutation($i: CourierPolicySetInput!) { courierPolicySet(input: $i) {
  policy { mode providers choose cascadeAfterSeconds feeCap { amount currency } } errors { code message } } }"""
QUOTES = """query($o: ID!) { courierQuotes(orderId: $o) { provider fee { amount currency } etaSeconds distanceMeters overFeeCap error } }"""
CALL = """mutation($i: CourierCallInput!) { courierCall(input: $i) { delivery { id provider state quote { amount } tip { amount } }
  errors { field code message } } }"""
TIP = """mutation($i: CourierTipInput!) { courierTip(input: $i) { delivery { tip { amount } } errors { code message } } }"""
CANCEL = """mutation($i: CourierCancelInput!) { courierCancel(input: $i) { delivery { state cancelledBy cancellationFee { amount } }
  errors { code message } } }"""
DELIVERIES = """query($o: ID!) { courierDeliveries(orderId: $o) { provider state riderLocation(system: WGS84) { longitude }
  timeline { source partnerCode state outcome } } }"""

ROUTES = {
    "queryDeliverFee": {"status": "success", "code": 0, "result": {"fee": 8.8, "distance": 2300, "deliveryNo": "Q1"}},
    "addAfterQuery": {"status": "success", "code": 0, "result": {"fee": 8.8}},
    "addTip": {"status": "success", "code": 0, "result": {}},
    "formalCancel": {"status": "success", "code": 0, "result": {"deduct_fee": 2}},
}


@pytest.fixture
def fake_partners(services):
    partners = services.courier_partners
    original = partners.transport
    partners.transport = FakeTransport(dict(ROUTES))
    yield partners.transport
    partners.transport = original


async def test_staff_quote_call_tip_and_cancel_a_courier(client, world, fake_partners):
    hq = world.staff_token("hq")
    creds = [{"key": k, "value": v} for k, v in CREDENTIALS["dada"].items()]
    added = (await world.gql(client, ADD, {"i": {"provider": "DADA", "credentials": creds}}, token=hq))["data"]["courierAccountAdd"]
    assert added["errors"] == [] and "/webhooks/couriers/dada/" in added["webhookUrl"]
    assert "dada-secret" not in str(added)
    denied = await world.gql(client, ADD, {"i": {"provider": "SF", "credentials": creds}}, token=world.staff_token("clerk_a"))
    assert denied["data"]["courierAccountAdd"]["errors"][0]["code"] == "PERMISSION_DENIED"

    node = encode("NetworkNode", world.hq_node_id)
    policy = await world.gql(client, POLICY, {"i": {"nodeId": node, "providers": ["DADA", "SF"], "feeCapFen": 2000}}, token=hq)
    assert policy["data"]["courierPolicySet"]["policy"]["providers"] == ["DADA", "SF"]

    order = await delivery_order(client, world, status="PAID")
    clerk = world.staff_token("clerk_a")
    quotes = (await world.gql(client, QUOTES, {"o": order}, token=clerk))["data"]["courierQuotes"]
    assert {q["provider"]: (q["fee"], q["error"]) for q in quotes} == {
        "DADA": ({"amount": "8.80", "currency": "CNY"}, None), "SF": (None, "NO_ACCOUNT")}

    called = (await world.gql(client, CALL, {"i": {"orderId": order, "provider": "DADA"}}, token=clerk))["data"]["courierCall"]
    assert called["errors"] == [] and called["delivery"]["state"] == "DISPATCHING", called
    assert called["delivery"]["quote"] == {"amount": "8.80"}
    again = (await world.gql(client, CALL, {"i": {"orderId": order}}, token=clerk))["data"]["courierCall"]
    assert again["errors"][0]["code"] == "ALREADY_CALLED"

    delivery = called["delivery"]["id"]
    for _ in range(2):
        tipped = (await world.gql(client, TIP, {"i": {"deliveryId": delivery, "tipFen": 300, "idempotencyKey": "k1"}},
                                  token=clerk))["data"]["courierTip"]
        assert tipped["delivery"]["tip"] == {"amount": "3.00"}, tipped
    assert fake_partners.hits("addTip") == 1

    cancelled = (await world.gql(client, CANCEL, {"i": {"deliveryId": delivery}}, token=clerk))["data"]["courierCancel"]
    assert cancelled["delivery"] == {"state": "CANCELLED", "cancelledBy": "MERCHANT", "cancellationFee": {"amount": "2.00"}}
    timeline = (await world.gql(client, DELIVERIES, {"o": order}, token=clerk))["data"]["courierDeliveries"][0]["timeline"]
    assert [(t["source"], t["state"]) for t in timeline] == [("MERCHANT", "DISPATCHING"), ("MERCHANT", None), ("MERCHANT", "CANCELLED")]


async def test_other_stores_and_other_tenants_orders_are_refused(client, world, fake_partners):
    order_b = await delivery_order(client, world, status="PAID", store="b")
    body = await world.gql(client, CALL, {"i": {"orderId": order_b, "provider": "DADA"}}, token=world.staff_token("clerk_a"))
    assert body["data"]["courierCall"]["errors"][0]["code"] == "PERMISSION_DENIED"
    forged = encode("Order", 10**12)
    body = await world.gql(client, CALL, {"i": {"orderId": forged, "provider": "DADA"}}, token=world.staff_token("hq"))
    assert body["data"]["courierCall"]["errors"][0]["code"] == "NOT_FOUND"
    body = await world.gql(client, TIP, {"i": {"deliveryId": encode("CourierDelivery", 10**12), "tipFen": -1, "idempotencyKey": "x"}},
                           token=world.staff_token("hq"))
    assert body["data"]["courierTip"]["errors"][0]["code"] == "INVALID"


BOARD = """query($s: ID!) { dispatchBoard(storeId: $s) { orders { orderId dispatchState courier { provider state riderName } } } }"""


async def test_a_called_courier_is_on_the_dispatch_board_and_the_engine_leaves_the_order(client, world, fake_partners):
    hq = world.staff_token("hq")
    creds = [{"key": k, "value": v} for k, v in CREDENTIALS["dada"].items()]
    await world.gql(client, ADD, {"i": {"provider": "DADA", "credentials": creds}}, token=hq)
    order = await delivery_order(client, world, status="PAID")
    called = (await world.gql(client, CALL, {"i": {"orderId": order, "provider": "DADA"}}, token=hq))["data"]["courierCall"]
    assert called["errors"] == [], called
    board = await world.gql(client, BOARD, {"s": encode("Store", world.store_ids["a"])}, token=hq)
    mine = [o for o in board["data"]["dispatchBoard"]["orders"] if o["orderId"] == order]
    assert mine == [{"orderId": order, "dispatchState": "HANDED_TO_COURIER",
                     "courier": {"provider": "DADA", "state": "DISPATCHING", "riderName": None}}], board
    pickup = await delivery_order(client, world, status="PAID")
    refused = await world.gql(client, CALL, {"i": {"orderId": pickup, "provider": "SF"}}, token=hq)
    assert refused["data"]["courierCall"]["errors"][0]["code"] == "NO_COURIER"  # no SF account: nothing handed off
    board = await world.gql(client, BOARD, {"s": encode("Store", world.store_ids["a"])}, token=hq)
    again = [o for o in board["data"]["dispatchBoard"]["orders"] if o["orderId"] == pickup]
    assert again and again[0]["dispatchState"] == "UNASSIGNED" and again[0]["courier"] is None


async def test_node_resolves_a_courier_delivery_for_its_staff_only(client, world, database, services, fake_partners):
    from tests.couriers.kit import book
    from tests.worlds import build_world

    b = await book(world, "dada")
    gid = encode("CourierDelivery", b.delivery_id)
    query = "query($id: ID!) { node(id: $id) { __typename ... on CourierDelivery { provider state } } }"
    mine = await world.gql(client, query, {"id": gid}, token=world.staff_token("hq"))
    assert mine["data"]["node"] == {"__typename": "CourierDelivery", "provider": "DADA", "state": "DISPATCHING"}
    other = await build_world(database, services)
    theirs = await other.gql(client, query, {"id": gid}, token=other.staff_token("hq"))
    assert theirs["data"]["node"] is None
