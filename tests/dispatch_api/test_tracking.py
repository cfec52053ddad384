"""Live tracking end to end: graphql-transport-ws through the Starlette app, with Redis and with the
in-process fallback. The websocket side runs in Starlette's TestClient (its own event loop, its own
app, services and database engine); the rest of the test talks to the suite's app."""
from __future__ import annotations

import contextlib

import pytest

from auth.sms import MemorySmsSender
from db.session import Database
from geo.coordinates import CoordinateSystem, LonLat, from_wgs84
from app.services import build_services
from tests.dispatch_api.helpers import ACCEPT, ASSIGN, DELIVER, PICK_UP, PROOF, add_rider, delivery_order, rid, rider_token

SUBSCRIPTION = """subscription($o: ID!, $s: CoordinateSystem) { orderTracking(orderId: $o, system: $s) {
  kind orderId orderStatus taskState riderId at position { longitude latitude system } } }"""
POSITIONS = "mutation($p: [RiderPositionInput!]!) { riderPositionReport(input: {positions: $p}) { accepted errors { code } } }"


@contextlib.contextmanager
def live_app(test_settings, **overrides):
    from dataclasses import replace

    from starlette.testclient import TestClient

    from asgi import create_app

    settings = replace(test_settings, **overrides)
    services = build_services(settings, database=Database(settings.database_url), sms=MemorySmsSender())
    with TestClient(create_app(settings, services)) as client:
        yield client, services


def _subscribe(ws, order: str, system: str | None = None, op: str = "1"):
    variables = {"o": order} if system is None else {"o": order, "s": system}
    ws.send_json({"id": op, "type": "subscribe", "payload": {"query": SUBSCRIPTION, "variables": variables}})


def _next(ws) -> dict:
    message = ws.receive_json()
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    return message["payload"]["data"]["orderTracking"]


def _post(tc, world, query, variables, token):
    response = tc.post("/graphql", json={"query": query, "variables": variables},
                       headers={"Authorization": f"Bearer {token}", "X-Tenant": world.slug})
    assert response.status_code == 200, response.text
    return response.json()["data"]


async def _accepted_order(client, world):
    order = await delivery_order(client, world)
    rider = await add_rider(world)
    assigned = await world.gql(client, ASSIGN, {"o": order, "r": rid(world, rider)}, token=world.staff_token("clerk_a"))
    assert assigned["data"]["dispatchAssign"]["errors"] == []
    accepted = await world.gql(client, ACCEPT, {"o": order}, token=rider_token(world, rider))
    assert accepted["data"]["riderTaskAccept"]["errors"] == []
    return order, rider


pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


@pytest.mark.parametrize("broker", ["redis", "in-process"])
async def test_customer_follows_the_rider_live(client, world, test_settings, broker):
    order, rider = await _accepted_order(client, world)
    token = rider_token(world, rider)
    redis_url = test_settings.redis_url if broker == "redis" else "redis://127.0.0.1:1/0"  # nothing listens on port 1
    with live_app(test_settings, redis_url=redis_url) as (tc, services):
        headers = {"Authorization": f"Bearer {world.customer_token()}", "X-Tenant": world.slug}
        with tc.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"], headers=headers) as ws:
            ws.send_json({"type": "connection_init", "payload": {}})
            assert ws.receive_json()["type"] == "connection_ack"
            _subscribe(ws, order)
            snapshot = _next(ws)
            assert snapshot["kind"] == "SNAPSHOT" and snapshot["orderStatus"] == "READY" and snapshot["taskState"] == "ACCEPTED"
            assert snapshot["riderId"] == rid(world, rider) and snapshot["position"] is None
            assert (await services.tracking.broker()).name == broker
            # A position batch (WGS-84 in) reaches the customer in GCJ02, the default output here.
            sent = _post(tc, world, POSITIONS, {"p": [{"longitude": 120.16, "latitude": 30.28, "system": "WGS84"}]}, token)
            assert sent["riderPositionReport"] == {"accepted": 1, "errors": []}
            moved = _next(ws)
            expected = from_wgs84(LonLat(120.16, 30.28), CoordinateSystem.GCJ02)
            assert moved["kind"] == "POSITION" and moved["position"]["system"] == "GCJ02"
            assert abs(moved["position"]["longitude"] - expected.lon) < 1e-9 and abs(moved["position"]["latitude"] - expected.lat) < 1e-9
            if broker == "redis":
                # Another process (the suite's app, its own Redis connection) publishes the pickup.
                picked = await world.gql(client, PICK_UP, {"o": order}, token=token)
            else:
                picked = {"data": _post(tc, world, PICK_UP, {"o": order}, token)}
            assert picked["data"]["riderPickUp"]["errors"] == []
            status = _next(ws)
            assert (status["kind"], status["orderStatus"], status["taskState"]) == ("STATUS", "DELIVERING", "PICKED_UP")
            code = _post(tc, world, PROOF, {"o": order}, world.customer_token())["node"]["deliveryProof"]["code"]
            done = _post(tc, world, DELIVER, {"o": order, "c": code}, token)
            assert done["riderDeliver"]["errors"] == []
            final = _next(ws)
            assert (final["kind"], final["orderStatus"], final["taskState"]) == ("STATUS", "COMPLETED", "DELIVERED")
            assert ws.receive_json() == {"id": "1", "type": "complete"}  # the stream ends with the order


async def test_only_the_orders_customer_or_its_staff_may_track(client, world, test_settings):
    order, rider = await _accepted_order(client, world)
    with live_app(test_settings, redis_url="redis://127.0.0.1:1/0") as (tc, _):
        cases = [
            (world.customer_token("bob"), False),  # another customer
            (rider_token(world, rider), False),  # riders use riderTasks
            (None, False),
            (world.staff_token("clerk_a"), True),
        ]
        for token, allowed in cases:
            with tc.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as ws:
                # Credentials in connection_init's payload, as browsers must send them.
                ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}" if token else "", "X-Tenant": world.slug}})
                assert ws.receive_json()["type"] == "connection_ack"
                _subscribe(ws, order, "BD09")
                message = ws.receive_json()
                if allowed:
                    assert message["type"] == "next" and message["payload"]["data"]["orderTracking"]["kind"] == "SNAPSHOT", message
                else:
                    errors = message["payload"] if message["type"] == "error" else message["payload"].get("errors")
                    assert errors and "order not found" in errors[0]["message"], message
