"""A customer buys from one store, pays, and staff fulfil the order; stock follows every step."""
from __future__ import annotations

from tests.api import gql_documents as docs
from tests.api.helpers import available, pay, place_order, send_callback


async def test_checkout_snapshots_store_prices_and_reserves_stock(client, world):
    before_milk = await available(client, world, "milk")
    payload = await place_order(client, world, {"milk": 2, "apple": 750})
    assert payload["errors"] == []
    order = payload["order"]
    assert order["status"] == "UNPAID"
    # Store A's own milk price (11.00), apple 6.98 per 500 g x 750 g = 10.47, delivery 4.00.
    assert order["subtotal"]["amount"] == "32.47"
    assert order["deliveryFee"]["amount"] == "4.00"
    assert order["total"] == {"amount": "36.47", "currency": "CNY"}
    assert {line["productName"]: line["total"]["amount"] for line in order["lines"]} == {"Milk": "22.00", "Apple": "10.47"}
    assert await available(client, world, "milk") == before_milk - 2
    assert await available(client, world, "milk", store="b") == before_milk  # other stores untouched


async def test_paid_order_moves_through_fulfilment_and_deducts_on_packing(client, world, database):
    order = (await place_order(client, world, {"milk": 3}))["order"]
    assert (await pay(client, world, order["id"]))["outcome"] == "PAID"
    clerk = world.staff_token("clerk_a")
    for status in ("PICKING", "READY", "DELIVERING"):
        body = await world.gql(client, docs.TRANSITION, {"order": order["id"], "status": status}, token=clerk)
        payload = body["data"]["orderTransition"]
        assert payload["errors"] == [], payload
        assert payload["order"]["status"] == status
    # Same-city completion needs the rider's proof code, or a manager's override with a reason.
    body = await world.gql(client, docs.COMPLETE, {"order": order["id"], "reason": "rider's phone died"}, token=world.staff_token("manager_a"))
    payload = body["data"]["orderComplete"]
    assert payload["errors"] == [] and payload["order"]["status"] == "COMPLETED", payload
    events = payload["order"]["events"]
    assert [e["toStatus"] for e in events] == ["UNPAID", "PAID", "PICKING", "READY", "DELIVERING", "COMPLETED"]
    assert [e["actorType"] for e in events] == ["CUSTOMER", "SYSTEM", "STAFF", "STAFF", "STAFF", "STAFF"]

    from sqlalchemy import select

    from commerce.models import Stock

    async with database.read() as session:
        row = await session.scalar(
            select(Stock).where(Stock.store_id == world.store_ids["a"], Stock.sku_id == world.sku_ids["milk"])
        )
    assert (row.on_hand, row.reserved) == (17, 0)


async def test_pickup_order_goes_to_awaiting_pickup_not_delivering(client, world):
    order = (await place_order(client, world, {"bread": 1}, fulfilment="STORE_PICKUP"))["order"]
    assert order["deliveryFee"]["amount"] == "0.00"
    await pay(client, world, order["id"])
    clerk = world.staff_token("clerk_a")
    for status in ("PICKING", "READY"):
        await world.gql(client, docs.TRANSITION, {"order": order["id"], "status": status}, token=clerk)
    wrong = await world.gql(client, docs.TRANSITION, {"order": order["id"], "status": "DELIVERING"}, token=clerk)
    assert wrong["data"]["orderTransition"]["errors"][0]["code"] == "INVALID_TRANSITION"
    right = await world.gql(client, docs.TRANSITION, {"order": order["id"], "status": "AWAITING_PICKUP"}, token=clerk)
    assert right["data"]["orderTransition"]["order"]["status"] == "AWAITING_PICKUP"


async def test_cancel_unpaid_releases_and_refund_after_packing_restocks(client, world):
    start = await available(client, world, "milk")
    unpaid = (await place_order(client, world, {"milk": 4}))["order"]
    body = await world.gql(client, docs.CANCEL, {"order": unpaid["id"]}, token=world.customer_token())
    assert body["data"]["orderCancel"]["order"]["status"] == "CANCELLED"
    assert await available(client, world, "milk") == start

    packed = (await place_order(client, world, {"milk": 5}))["order"]
    await pay(client, world, packed["id"])
    clerk = world.staff_token("clerk_a")
    for status in ("PICKING", "READY"):
        await world.gql(client, docs.TRANSITION, {"order": packed["id"], "status": status}, token=clerk)
    assert await available(client, world, "milk") == start - 5
    # The customer can no longer cancel once picking started; staff refund instead.
    denied = await world.gql(client, docs.CANCEL, {"order": packed["id"]}, token=world.customer_token())
    assert denied["data"]["orderCancel"]["errors"][0]["code"] in {"INVALID_TRANSITION", "PERMISSION_DENIED"}
    refunded = await world.gql(client, docs.REFUND, {"order": packed["id"]}, token=world.staff_token("manager_a"))
    assert refunded["data"]["orderRefund"]["order"]["status"] == "REFUNDED"
    assert await available(client, world, "milk") == start


async def test_duplicate_and_forged_payment_callbacks(client, world):
    order = (await place_order(client, world, {"bread": 1}))["order"]
    body = await world.gql(client, docs.PAY, {"order": order["id"], "key": "pay-key-0001"}, token=world.customer_token())
    client_payload = body["data"]["orderPay"]["clientPayload"]
    ref, amount = client_payload["providerRef"], client_payload["amount"]

    forged = await client.post("/payments/sandbox/callback", content=b'{"eventId":"x"}', headers={"Qiandian-Signature": "t=1,v1=" + "0" * 64})
    assert forged.status_code == 401
    stale = await send_callback(client, world, ref, amount, skew_s=-3600)
    assert stale.status_code == 401 and stale.json()["code"] == "TIMESTAMP_OUT_OF_TOLERANCE"

    first = await send_callback(client, world, ref, amount, event_id="evt-same")
    again = await send_callback(client, world, ref, amount, event_id="evt-same")
    assert first.json()["outcome"] == "PAID"
    assert again.json()["outcome"] == "DUPLICATE"
    # A second, different success event for the same payment changes nothing either.
    other = await send_callback(client, world, ref, amount, event_id="evt-other")
    assert other.json()["outcome"] == "IGNORED_SUCCEEDED"
