"""An orderTracking subscriber hears a staff refund or cancel and the stream completes
(before domain events, only delivery/board published STATUS, so it waited forever)."""
from __future__ import annotations

import threading

import pytest

from tests.api import gql_documents as docs
from tests.api.helpers import place_order
from tests.dispatch_api.helpers import delivery_order
from tests.dispatch_api.test_tracking import _next, _post, _subscribe, live_app

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")
GUARD_S = 10  # against a hang only


def _receive(ws) -> dict:
    """ws.receive_json() with a guard: the test client's receive blocks forever if nothing comes
    (a daemon thread, so a message that never arrives cannot hold the test run)."""
    box: list = []
    reader = threading.Thread(target=lambda: box.append(ws.receive_json()), daemon=True)
    reader.start()
    reader.join(GUARD_S)
    assert box, "no message on the subscription"
    return box[0]


@pytest.mark.parametrize("how", ["orderRefund", "orderCancel"])
async def test_the_stream_ends_when_staff_refund_or_the_customer_cancels(client, world, test_settings, how):
    if how == "orderRefund":
        order, doc, token = await delivery_order(client, world), docs.REFUND, world.staff_token("manager_a")
    else:
        placed = await place_order(client, world, {"milk": 1}, fulfilment="STORE_PICKUP")
        order, doc, token = placed["order"]["id"], docs.CANCEL, world.customer_token()
    with live_app(test_settings, redis_url="redis://127.0.0.1:1/0") as (tc, _):  # in-process broker
        headers = {"Authorization": f"Bearer {world.customer_token()}", "X-Tenant": world.slug}
        with tc.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"], headers=headers) as ws:
            ws.send_json({"type": "connection_init", "payload": {}})
            assert ws.receive_json()["type"] == "connection_ack"
            _subscribe(ws, order)
            assert _next(ws)["kind"] == "SNAPSHOT"
            assert _post(tc, world, doc, {"order": order}, token)[how]["errors"] == []
            message = _receive(ws)
            assert message["type"] == "next", message
            final = message["payload"]["data"]["orderTracking"]
            assert (final["kind"], final["orderStatus"]) == ("STATUS", "REFUNDED" if how == "orderRefund" else "CANCELLED")
            assert _receive(ws) == {"id": "1", "type": "complete"}
