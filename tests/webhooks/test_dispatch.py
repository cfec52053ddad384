"""Webhook endpoints and the dispatcher against a real loopback receiver."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select, update

from events.models import DomainEventRecord
from schema.ids import decode
from tests.api.helpers import place_order
from tests.webhooks.helpers import create_endpoint, emit_stock_events, make_due
from tests.webhooks.receiver import Receiver
from webhooks import signing
from webhooks.dispatcher import DispatchConfig, Dispatcher, backoff_s
from webhooks.errors import WebhookErrorCode
from webhooks.models import WebhookEndpoint

ROOT = Path(__file__).resolve().parents[2]
DELIVERIES = """query($id: ID!) { webhookDeliveries(endpointId: $id, first: 50) { nodes { eventId eventType success statusCode error } } }"""
ENDPOINTS = "{ webhookEndpoints { id enabled consecutiveFailures disabledAt disabledReason lastEventId } }"
REPLAY = """mutation($id: ID!, $from: String) { webhookEndpointReplay(input: {id: $id, fromEventId: $from}) {
  endpoint { enabled consecutiveFailures } errors { code } } }"""


def dispatcher(services, world, **config) -> Dispatcher:
    # Scoped to the test's brand: other tests' endpoints in the shared database are not its business.
    return Dispatcher(services.database, services.secret_box, DispatchConfig(**config), tenant_id=world.tenant_id)


async def drain(d: Dispatcher, until=None, rounds: int = 600) -> None:
    """Without `until`: rounds until one delivers nothing. With it: rounds until it holds (on
    PostgreSQL a transaction open elsewhere on the server can hold events back for a moment)."""
    for _ in range(rounds):
        delivered = await d.run_once()
        if until is None and not delivered:
            return
        if until is not None and until():
            return
        if not delivered:
            await asyncio.sleep(0.05)


def test_signature_verifies_only_the_exact_body_secret_and_recent_time():
    header = signing.sign("whsec_x", 1_700_000_000, b'{"a":1}')
    assert signing.verify("whsec_x", header, b'{"a":1}', now=1_700_000_100)
    assert not signing.verify("whsec_x", header, b'{"a":2}', now=1_700_000_100)
    assert not signing.verify("whsec_y", header, b'{"a":1}', now=1_700_000_100)
    assert not signing.verify("whsec_x", header, b'{"a":1}', now=1_700_000_000 + 301)
    assert not signing.verify("whsec_x", "garbage", b'{"a":1}')


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    config = DispatchConfig(retry_base_s=10, retry_cap_s=100)
    for failures, full in ((1, 10), (2, 20), (3, 40), (9, 100)):
        delays = [backoff_s(failures, config) for _ in range(50)]
        assert all(full / 2 <= d <= full for d in delays)
        assert len(set(delays)) > 1


async def test_production_urls_must_be_https_and_public():
    from core.errors import DomainError
    from webhooks.urls import check_url

    for url, code in (("http://example.com/h", WebhookErrorCode.INSECURE_URL), ("https://127.0.0.1/h", WebhookErrorCode.PRIVATE_ADDRESS),
                      ("https://10.1.2.3/h", WebhookErrorCode.PRIVATE_ADDRESS), ("https://[::1]/h", WebhookErrorCode.PRIVATE_ADDRESS),
                      ("https://169.254.169.254/latest", WebhookErrorCode.PRIVATE_ADDRESS), ("https://localhost/h", WebhookErrorCode.PRIVATE_ADDRESS),
                      ("ftp://example.com", WebhookErrorCode.INVALID_URL), ("https://u:p@example.com/", WebhookErrorCode.INVALID_URL)):
        with pytest.raises(DomainError) as caught:
            await check_url(url, production=True)
        assert caught.value.code is code, url
    assert await check_url("http://127.0.0.1:9/h", production=False)  # development: a local receiver


async def test_only_hq_admins_manage_endpoints_and_the_secret_is_sealed(client, world, database):
    denied = await world.gql(client, """mutation { webhookEndpointCreate(input: {url: "http://127.0.0.1:9/h"}) { errors { code } } }""",
                             token=world.staff_token("west"))
    assert denied["data"]["webhookEndpointCreate"]["errors"][0]["code"] == "PERMISSION_DENIED"
    bad_type = await world.gql(client, """mutation { webhookEndpointCreate(input: {url: "http://127.0.0.1:9/h", eventTypes: ["nope"]}) { errors { field code } } }""",
                               token=world.staff_token("hq"))
    assert bad_type["data"]["webhookEndpointCreate"]["errors"] == [{"field": "eventTypes.0", "code": "UNKNOWN_EVENT_TYPE"}]
    endpoint_id, secret = await create_endpoint(client, world, "http://127.0.0.1:9/h", ["order.paid"])
    assert secret.startswith("whsec_")
    async with database.read() as session:
        row = await session.get(WebhookEndpoint, decode(endpoint_id, "WebhookEndpoint", WebhookErrorCode, "id"))
    assert secret not in row.secret_sealed and world.services.secret_box.open(row.secret_sealed)["secret"] == secret
    listed = await world.gql(client, ENDPOINTS, token=world.staff_token("hq"))
    assert [e["id"] for e in listed["data"]["webhookEndpoints"]] == [endpoint_id]
    assert "secret" not in str(listed)
    other = await world.gql(client, REPLAY, {"id": endpoint_id}, token=world.staff_token("west"))
    assert other["data"]["webhookEndpointReplay"]["errors"][0]["code"] == "PERMISSION_DENIED"


async def test_signed_order_events_reach_the_receiver_in_order(client, world, services):
    with Receiver() as receiver:
        endpoint_id, secret = await create_endpoint(client, world, receiver.url, ["order.created", "order.paid"])
        receiver.secrets.append(secret)
        with Receiver() as everything:
            _, all_secret = await create_endpoint(client, world, everything.url)
            everything.secrets.append(all_secret)
            order = (await place_order(client, world, {"milk": 1}, fulfilment="STORE_PICKUP"))["order"]
            d = dispatcher(services, world)
            await drain(d, until=lambda: any(e["type"] == "order.created" for e in receiver.received))
            await drain(d)
            await d.close()
        assert receiver.rejected == 0 and everything.rejected == 0
        types = [e["type"] for e in receiver.received]
        assert types[0] == "order.created" and set(types) <= {"order.created", "order.paid"}
        created = receiver.received[0]
        assert created["aggregate"] == {"type": "order", "id": str(decode(order["id"], "Order", WebhookErrorCode, "id")), "globalId": order["id"]}
        # Relay global ids beside the raw ones: the receiver can query the API with them as they are.
        assert created["globalIds"]["order_id"] == order["id"] and created["globalIds"]["store_id"] == world.store("a")
        assert created["globalIds"]["customer_id"].startswith("Q3VzdG9tZXI6") and "actor_id" not in created["globalIds"]
        assert created["data"]["number"] == order["number"] and isinstance(created["sequence"], int)
        assert len(everything.received) >= len(receiver.received)
        log = await world.gql(client, DELIVERIES, {"id": endpoint_id}, token=world.staff_token("hq"))
        nodes = log["data"]["webhookDeliveries"]["nodes"]
        assert nodes and all(n["success"] and n["statusCode"] == 204 for n in nodes)


async def test_failures_back_off_then_disable_and_tell_the_brand_then_replay_resends(client, world, services, database):
    with Receiver(fail_with=500) as receiver:
        endpoint_id, secret = await create_endpoint(client, world, receiver.url, ["stock.changed"])
        receiver.secrets.append(secret)
        await emit_stock_events(database, world, 3)
        d = dispatcher(services, world, max_failures=3)
        await drain(d, until=lambda: receiver.attempts >= 1)
        await d.run_once()
        assert receiver.attempts == 1  # not due yet: the retry waits for its backoff
        state = (await world.gql(client, ENDPOINTS, token=world.staff_token("hq")))["data"]["webhookEndpoints"][0]
        assert state["consecutiveFailures"] == 1 and state["enabled"]
        for _ in range(2):
            await make_due(database, world.tenant_id)
            await d.run_once()
        state = (await world.gql(client, ENDPOINTS, token=world.staff_token("hq")))["data"]["webhookEndpoints"][0]
        assert not state["enabled"] and state["disabledAt"] and "HTTP 500" in state["disabledReason"]
        async with database.read() as session:
            told = await session.scalar(select(DomainEventRecord).where(
                DomainEventRecord.tenant_id == world.tenant_id, DomainEventRecord.type == "webhook_endpoint.disabled"))
        assert told.payload["consecutive_failures"] == 3
        await make_due(database, world.tenant_id)
        await d.run_once()
        assert receiver.attempts == 3  # disabled: not tried
        log = (await world.gql(client, DELIVERIES, {"id": endpoint_id}, token=world.staff_token("hq")))["data"]["webhookDeliveries"]["nodes"]
        assert [n["statusCode"] for n in log] == [500, 500, 500] and not any(n["success"] for n in log)

        receiver.fail_with = None
        replay = await world.gql(client, REPLAY, {"id": endpoint_id}, token=world.staff_token("hq"))
        assert replay["data"]["webhookEndpointReplay"]["endpoint"] == {"enabled": True, "consecutiveFailures": 0}
        await drain(d, until=lambda: len(receiver.ids()) >= 3)
        first_three = receiver.ids()
        assert len(first_three) == 3
        again = await world.gql(client, REPLAY, {"id": endpoint_id, "from": str(first_three[1])}, token=world.staff_token("hq"))
        assert again["data"]["webhookEndpointReplay"]["errors"] == []
        await drain(d, until=lambda: len(receiver.ids()) >= 5)
        await drain(d)
        await d.close()
        assert receiver.ids() == first_three + first_three[1:]


async def test_concurrent_dispatchers_never_send_an_event_twice_to_an_endpoint(client, world, services, database):
    receivers = [Receiver() for _ in range(3)]
    for r in receivers:
        r.__enter__()
    try:
        for r in receivers:
            r.secrets.append((await create_endpoint(client, world, r.url, ["stock.changed"]))[1])
        await emit_stock_events(database, world, 120, per_tx=7)
        dispatchers = [dispatcher(services, world, batch=10, endpoints_per_round=2) for _ in range(3)]
        for _ in range(600):
            delivered = await asyncio.gather(*(d.run_once() for d in dispatchers))
            if all(len(r.ids()) >= 120 for r in receivers):
                break
            if not any(delivered):
                await asyncio.sleep(0.05)
        for _ in range(3):  # and nothing more comes
            await asyncio.gather(*(d.run_once() for d in dispatchers))
        for d in dispatchers:
            await d.close()
        for r in receivers:
            ids = r.ids()
            assert len(ids) == 120 and len(set(ids)) == 120 and ids == sorted(ids)
    finally:
        for r in receivers:
            r.__exit__()


async def test_kill_9_mid_run_loses_nothing(backend, client, world, services, database, database_url):
    with Receiver(delay_s=0.01) as receiver:
        receiver.secrets.append((await create_endpoint(client, world, receiver.url, ["stock.changed"]))[1])
        await emit_stock_events(database, world, 300)
        # The subprocess serves every brand in the session's shared database: endpoints that earlier
        # tests left behind (dead ports, unroutable hosts) would be worked first and could use up the
        # wait below. Earlier tests are over (the suite runs serially), so switch theirs off.
        async with database.write() as session:
            await session.execute(
                update(WebhookEndpoint).where(WebhookEndpoint.tenant_id != world.tenant_id).values(enabled=False)
            )
        env = {**os.environ, "DATABASE_URL": database_url, "QIANDIAN_WEBHOOK_BATCH": "50", "QIANDIAN_ENV": "test"}
        env.pop("QIANDIAN_SECRET_KEY", None)  # the test services use the development key
        process = subprocess.Popen([sys.executable, str(ROOT / "qiandian_cli.py"), "webhooks-dispatch"], cwd=ROOT, env=env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(3000):  # until it is part-way through (no timing assertion: we only wait)
                if len(receiver.ids()) >= 80:
                    break
                await asyncio.sleep(0.01)
            assert process.poll() is None
        finally:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        got_before = len(receiver.ids())
        assert 0 < got_before < 300
        await make_due(database, world.tenant_id)  # its lease would expire; do not wait for it
        d = dispatcher(services, world, batch=100)
        await drain(d, until=lambda: len(set(receiver.ids())) >= 300)
        await drain(d)
        await d.close()
        ids = receiver.ids()
        assert len(set(ids)) == 300  # nothing lost
        assert len(ids) - 300 <= 50  # duplicates only from the batch in flight when it died


def test_waves_never_hold_two_events_of_one_aggregate():
    from types import SimpleNamespace

    from webhooks.dispatcher import waves

    events = [SimpleNamespace(aggregate_type="order", aggregate_id=a, id=i) for i, a in enumerate([1, 2, 1, 3, 4, 5, 6])]
    grouped = waves(events, 3)
    assert [[e.id for e in w] for w in grouped] == [[0, 1], [2, 3, 4], [5, 6]]
    assert all(len({e.aggregate_id for e in w}) == len(w) for w in grouped)
