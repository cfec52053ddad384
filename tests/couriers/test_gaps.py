"""The gaps closed after the first courier release: partner STATUS events on orderTracking,
COURIER_ONLY stores skipping our riders, weak-auth terminal callbacks confirmed by a status
query, cached partner tokens, tips claimed before the partner is called, fair hand-off paging."""
from __future__ import annotations

import asyncio
import uuid

import pytest

from core.clock import utc_now
from delivery.couriers.models import CourierDelivery
from delivery.couriers.service import add_account
from tests.couriers.kit import CREDENTIALS, SPECS, Booking
from tests.dispatch_api.helpers import delivery_order, pk

pytestmark = pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient`")


async def _book_real_order(client, world, provider: str, state: str = "DISPATCHING") -> tuple[str, Booking]:
    """A courier delivery (state `state`) for a real paid same-city order."""
    order = await delivery_order(client, world)
    async with world.services.database.write() as session:
        account, token = await add_account(session, world.services.secret_box, world.tenant_id, provider,
                                           CREDENTIALS[provider])
        merchant_id = f"qdtest{uuid.uuid4().hex[:12]}"
        row = CourierDelivery(tenant_id=world.tenant_id, order_id=pk(order), store_id=next(iter(world.store_ids.values())),
                              account_id=account.id, provider=provider, merchant_order_id=merchant_id, state=state)
        session.add(row)
        await session.flush()
        return order, Booking(provider, token, row.id, merchant_id, f"P{uuid.uuid4().hex[:10]}", account)


def _webhook(tc, booking: Booking, code: str):
    from urllib.parse import urlencode

    signed = booking.call(code)
    url = booking.path + (("?" + urlencode(signed.query)) if signed.query else "")
    response = tc.post(url, content=signed.body, headers={"content-type": "application/json", **signed.headers})
    assert response.status_code == 200, response.text


# --- 1. partner STATUS events reach orderTracking; the stream completes when the courier delivered ---

@pytest.mark.parametrize("last", ["delivered", "cancelled"])
async def test_partner_states_reach_order_tracking_as_status_events_and_complete_it(client, world, test_settings, last):
    from tests.dispatch_api.test_tracking import _next, _subscribe, live_app
    from tests.events.test_tracking_completes import _receive

    spec = SPECS["sf"]
    order, booking = await _book_real_order(client, world, "sf")
    with live_app(test_settings, redis_url="redis://127.0.0.1:1/0") as (tc, _):  # in-process broker
        headers = {"Authorization": f"Bearer {world.customer_token()}", "X-Tenant": world.slug}
        with tc.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"], headers=headers) as ws:
            ws.send_json({"type": "connection_init", "payload": {}})
            assert ws.receive_json()["type"] == "connection_ack"
            _subscribe(ws, order)
            assert _next(ws)["kind"] == "SNAPSHOT"
            _webhook(tc, booking, spec.assigned)
            assigned = _receive(ws)["payload"]["data"]["orderTracking"]  # guarded: fails, never hangs
            assert (assigned["kind"], assigned["taskState"], assigned["riderId"]) == ("STATUS", "ACCEPTED", None)
            _webhook(tc, booking, spec.picked_up)
            assert _receive(ws)["payload"]["data"]["orderTracking"]["kind"] == "STATUS"
            _webhook(tc, booking, spec.delivered if last == "delivered" else spec.cancelled)
            ended = _receive(ws)
            assert ended["type"] == "next", ended
            final = ended["payload"]["data"]["orderTracking"]
            assert (final["kind"], final["taskState"]) == ("STATUS", "DELIVERED" if last == "delivered" else "CANCELLED")
            assert _receive(ws) == {"id": "1", "type": "complete"}


async def test_a_cascade_cancel_does_not_end_tracking(client, world):
    """The cascade cancels and calls the next partner: its STATUS is not final."""
    from delivery.couriers.service import CourierPartners, cancel
    from delivery.tracking import order_channel
    from tests.couriers.kit import FakeTransport

    order, booking = await _book_real_order(client, world, "sf")
    partners = CourierPartners(world.services.secret_box, transport=FakeTransport({"cancelorder": {"error_code": 0, "result": {}}}))
    async with world.services.tracking.subscribe(order_channel(world.tenant_id, pk(order))) as messages:
        await cancel(world.services.database, partners, booking.delivery_id, world.tenant_id, "no rider", utc_now(),
                     keeps_tracking=True)
        message = await asyncio.wait_for(messages.__anext__(), 10)
    assert (message["type"], message["courierState"], message["final"]) == ("STATUS", "CANCELLED", False)


# --- 2. COURIER_ONLY: the engine skips our riders and the hand-off books a partner ---

async def test_a_courier_only_store_goes_straight_to_a_partner(client, world):
    from sqlalchemy import select

    from delivery.board.engine import run_partition
    from delivery.couriers.policy import call_handed_off
    from delivery.dispatch_models import DeliveryAssignment
    from tests.couriers.test_policy import _setup
    from tests.dispatch_api.helpers import add_rider, partition_of

    transport, partners = await _setup(world, providers=["dada", "sf"], mode="COURIER_ONLY")
    await add_rider(world)  # a rider on shift who could take it
    order = pk(await delivery_order(client, world, status="PAID"))
    outcome = await run_partition(world.services.database, await partition_of(world), utc_now(), trigger="test",
                                  couriers=world.services.couriers)
    assert outcome.handed_off.get(order) == "COURIER_ONLY", outcome
    assert order not in outcome.assigned and order not in outcome.planned
    async with world.services.database.read() as session:
        row = await session.scalar(select(DeliveryAssignment).where(DeliveryAssignment.order_id == order))
    assert (row.state, row.rider_id, row.courier_ref) == ("HANDED_TO_COURIER", None, "policy")
    assert await call_handed_off(world.services.database, partners, utc_now(), limit=10_000) >= 1
    async with world.services.database.read() as session:
        delivery = await session.scalar(select(CourierDelivery).where(CourierDelivery.order_id == order,
                                                                     CourierDelivery.tenant_id == world.tenant_id))
    assert (delivery.provider, delivery.state) == ("dada", "DISPATCHING")


# --- 3. weak-auth partners: a terminal callback is confirmed by a status query, which wins ---

@pytest.fixture
def app_transport(services):
    partners = services.courier_partners
    original = partners.transport
    yield partners
    partners.transport = original


@pytest.mark.parametrize("provider", ["dada", "shansong", "doordash"])
async def test_a_weak_auth_terminal_callback_is_confirmed_and_the_query_wins(provider, client, world, app_transport):
    from tests.couriers.kit import OUTBOUND, FakeTransport, book, events_of, post, state_of

    spec, out = SPECS[provider], OUTBOUND[provider]
    b = await book(world, provider, state="RIDER_ASSIGNED")
    # Whoever learnt the URL forges "delivered"; the partner says the rider has only picked up.
    app_transport.transport = FakeTransport({out["query"]: out["queried"]})
    response = await post(client, b, b.call(spec.delivered))
    assert response.status_code == 200
    assert app_transport.transport.hits(out["query"]) == 1
    assert (await state_of(world, b)).state == "PICKED_UP"
    # The query cannot be made: nothing is recorded, the partner is told to retry.
    app_transport.transport = FakeTransport({out["query"]: (500, {"message": "down"})})
    before = len(await events_of(world, b))
    response = await post(client, b, b.call(spec.cancelled))
    assert response.status_code == 503
    assert (await state_of(world, b)).state == "PICKED_UP" and len(await events_of(world, b)) == before


async def test_a_signed_partners_terminal_callback_needs_no_query(client, world, app_transport):
    from tests.couriers.kit import FakeTransport, book, post, state_of

    app_transport.transport = FakeTransport({})
    b = await book(world, "sf", state="RIDER_ASSIGNED")
    assert (await post(client, b, b.call(SPECS["sf"].delivered))).status_code == 200
    assert app_transport.transport.calls == [] and (await state_of(world, b)).state == "DELIVERED"


# --- 5. a tip raced by a duplicate request reaches the partner once ---

class _SlowTips:
    """A Dada tip API that answers after the other requests had their chance (the race)."""

    def __init__(self, answer=None):
        self.tips = 0
        self.answer = answer or {"status": "success", "code": 0, "result": {}}

    async def send(self, method, url, headers, body):
        from delivery.couriers.transport import HttpResponse
        import json

        if "addTip" in url:
            self.tips += 1
            await asyncio.sleep(0.05)
            return HttpResponse(200, json.dumps(self.answer).encode())
        return HttpResponse(404, b"{}")


async def test_concurrent_duplicate_tips_call_the_partner_once(world):
    from delivery.couriers.service import CourierPartners, add_tip
    from tests.couriers.kit import book, events_of, state_of

    b = await book(world, "dada", state="RIDER_ASSIGNED")
    transport = _SlowTips()
    partners = CourierPartners(world.services.secret_box, transport=transport)
    await asyncio.gather(*(add_tip(world.services.database, partners, b.delivery_id, world.tenant_id, 300, "tip-1", utc_now())
                           for _ in range(4)))
    assert transport.tips == 1
    assert (await state_of(world, b)).tip_fen == 300
    assert [e.outcome for e in await events_of(world, b)] == ["TIP"]
    await add_tip(world.services.database, partners, b.delivery_id, world.tenant_id, 300, "tip-1", utc_now())  # a retry
    assert transport.tips == 1 and (await state_of(world, b)).tip_fen == 300


async def test_a_refused_tip_releases_its_key(world):
    from delivery.couriers.protocol import CourierRefused
    from delivery.couriers.service import CourierPartners, add_tip
    from tests.couriers.kit import book, events_of, state_of

    b = await book(world, "dada", state="RIDER_ASSIGNED")
    refusing = _SlowTips({"status": "fail", "code": 2001, "msg": "no"})
    with pytest.raises(CourierRefused):
        await add_tip(world.services.database, CourierPartners(world.services.secret_box, transport=refusing),
                      b.delivery_id, world.tenant_id, 300, "tip-2", utc_now())
    assert await events_of(world, b) == []
    await add_tip(world.services.database, CourierPartners(world.services.secret_box, transport=_SlowTips()),
                  b.delivery_id, world.tenant_id, 300, "tip-2", utc_now())
    assert (await state_of(world, b)).tip_fen == 300


# --- 4. partner tokens cached per account with expiry, refreshed before expiry ---

class _Clock:
    def __init__(self, at: float = 1_000_000.0):
        self.at = at

    def __call__(self) -> float:
        return self.at


async def test_uber_oauth_token_is_fetched_once_and_refreshed_before_expiry(world):
    from delivery.couriers.service import CourierPartners
    from delivery.couriers.tokens import TokenCache
    from tests.couriers.kit import FakeTransport, book

    b = await book(world, "uber", state="RIDER_ASSIGNED")
    transport = FakeTransport({"login.uber.com": {"access_token": "t1", "expires_in": 3600},
                               "/deliveries/": {"status": "pickup_complete"}})
    clock = _Clock()
    partners = CourierPartners(world.services.secret_box, transport=transport, tokens=TokenCache(clock=clock, margin_s=300))
    for _ in range(3):  # a new adapter per call, as the app builds them
        await partners.adapter(b.account).query(b.merchant_id, "del_1")
    assert transport.hits("login.uber.com") == 1
    clock.at += 3600 - 301  # still fresh
    await partners.adapter(b.account).query(b.merchant_id, "del_1")
    assert transport.hits("login.uber.com") == 1
    clock.at += 2  # inside the margin: refreshed before it expires
    await partners.adapter(b.account).query(b.merchant_id, "del_1")
    assert transport.hits("login.uber.com") == 2
    bearer = [c.headers["Authorization"] for c in transport.calls if "/deliveries/" in c.url]
    assert set(bearer) == {"Bearer t1"}


async def test_fengniao_token_is_refreshed_with_the_rotated_refresh_token(world):
    import json

    from delivery.couriers.service import CourierPartners, add_account
    from delivery.couriers.tokens import TokenCache
    from delivery.couriers.transport import HttpResponse

    issued = iter(["a1", "a2"])
    seen: list[dict] = []

    class Anubis:
        async def send(self, method, url, headers, body):
            payload = json.loads(body)
            seen.append({"url": url, **payload})
            if "refreshToken" in url:
                token = next(issued)
                return HttpResponse(200, json.dumps({"code": "200", "business_data": json.dumps(
                    {"access_token": token, "refresh_token": f"r-after-{token}", "expire_in": 7200})}).encode())
            return HttpResponse(200, json.dumps({"code": "200", "business_data": json.dumps({"order_status": 2})}).encode())

    async with world.services.database.write() as session:
        account, _ = await add_account(session, world.services.secret_box, world.tenant_id, "fengniao",
                                       {**CREDENTIALS["fengniao"], "refresh_token": "r0"})
    clock = _Clock()
    partners = CourierPartners(world.services.secret_box, transport=Anubis(), tokens=TokenCache(clock=clock, margin_s=300))
    for _ in range(2):
        await partners.adapter(account).query("qd1", "F1")
    clock.at += 7200
    await partners.adapter(account).query("qd1", "F1")
    refreshes = [s for s in seen if "refreshToken" in s["url"]]
    assert [r["refresh_token"] for r in refreshes] == ["r0", "r-after-a1"]
    assert [s["access_token"] for s in seen if "invoke" in s["url"]] == ["a1", "a1", "a2"]


# --- 6. hand-offs are paged fairly: unbookable ones (tenants without policy) never starve the rest ---

async def test_hand_offs_of_tenants_without_policy_do_not_starve_the_others(client, world, database, services):
    from sqlalchemy import select

    from delivery.couriers.policy import call_handed_off
    from delivery.dispatch_models import DeliveryAssignment
    from tests.couriers.test_policy import _setup
    from tests.worlds import build_world

    async def hand_off(w, order_id: int) -> None:
        async with database.write() as session:
            session.add(DeliveryAssignment(
                tenant_id=w.tenant_id, order_id=order_id, store_id=w.store_ids["a"], rider_id=None,
                state="HANDED_TO_COURIER", pinned=False, assigned_by="ENGINE", assigned_by_id=None, plan_id=None,
                reason="test", courier_ref="policy", assigned_at=utc_now(), updated_at=utc_now(), ended_at=utc_now(),
                ended_by="ENGINE"))

    from sqlalchemy import func

    async with database.read() as session:  # earlier tests' hand-offs share the session database: start after them
        start = await session.scalar(select(func.max(DeliveryAssignment.id))) or 0
    transport, partners = await _setup(world, providers=["dada", "sf"])
    oldest = pk(await delivery_order(client, world, status="PAID"))
    await hand_off(world, oldest)
    others = [await build_world(database, services) for _ in range(2)]  # no courier policy, no partner
    for other in others:
        for _ in range(3):
            await hand_off(other, pk(await delivery_order(client, other, status="PAID")))
    newest = pk(await delivery_order(client, world, status="PAID"))
    await hand_off(world, newest)  # eight hand-offs: two bookable, the oldest and the newest
    partners.handoff_cursor = start
    for _ in range(3):  # pages of 3: every hand-off is looked at within three passes
        await call_handed_off(database, partners, utc_now(), limit=3)
    async with database.read() as session:
        booked = (await session.scalars(select(CourierDelivery.order_id).where(
            CourierDelivery.order_id.in_([oldest, newest]), CourierDelivery.tenant_id == world.tenant_id))).all()
    assert sorted(booked) == sorted([oldest, newest])
