"""Small flows the API tests repeat: fill a cart, check out, pay through the signed sandbox callback."""
from __future__ import annotations

import json
import time
import uuid

from payments.provider import CallbackEvent, SandboxProvider
from tests.api import gql_documents as docs
from tests.worlds import World


async def place_order(client, world: World, lines: dict[str, int], *, store="a", customer="alice", fulfilment="SAME_CITY_DELIVERY", slot=None):
    token = world.customer_token(customer)
    if fulfilment == "SAME_CITY_DELIVERY" and slot is None:
        # Same-city checkout needs a slot (issue 4): roster a rider and take the first bookable hour.
        from tests.slots.helpers import first_slot, roster

        await roster(world, store)
        slot = await first_slot(client, world, store, customer)
    added = await world.gql(
        client,
        docs.ADD_LINES,
        {"store": world.store(store), "lines": [{"skuId": world.sku(k), "quantity": q} for k, q in lines.items()]},
        token=token,
    )
    assert added["data"]["cartLinesAdd"]["errors"] == [], added
    result = await world.gql(
        client,
        docs.CHECKOUT,
        {
            "store": world.store(store),
            "type": fulfilment,
            "address": world.gid("Address", world.address_ids[customer]) if fulfilment != "STORE_PICKUP" else None,
            "key": f"checkout-{uuid.uuid4()}",
            "slot": slot,
        },
        token=token,
    )
    return result["data"]["checkoutComplete"]


async def available(client, world: World, sku: str, store: str = "a") -> int:
    body = await world.gql(client, docs.STOCK, {"store": world.store(store), "id": world.gid("Product", world.product_ids[sku])})
    return body["data"]["product"]["skus"][0]["stock"]["quantityAvailable"]


async def send_callback(client, world: World, provider_ref: str, amount_fen: int, *, event_id: str | None = None, status="SUCCEEDED", skew_s=0):
    sandbox = SandboxProvider(world.services.settings.payment_callback_secret)
    event = CallbackEvent(event_id or f"evt-{uuid.uuid4()}", provider_ref, status, amount_fen)
    body, signature = sandbox.signed_callback(event, int(time.time()) + skew_s)
    response = await client.post(
        "/payments/sandbox/callback", content=body, headers={"Qiandian-Signature": signature, "content-type": "application/json"}
    )
    return response


async def pay(client, world: World, order_id: str, customer="alice") -> dict:
    body = await world.gql(client, docs.PAY, {"order": order_id, "key": f"pay-{uuid.uuid4()}"}, token=world.customer_token(customer))
    payload = body["data"]["orderPay"]
    assert payload["errors"] == [], payload
    client_payload = payload["clientPayload"]
    if isinstance(client_payload, str):
        client_payload = json.loads(client_payload)
    response = await send_callback(client, world, client_payload["providerRef"], client_payload["amount"])
    assert response.status_code == 200, response.text
    return response.json()
