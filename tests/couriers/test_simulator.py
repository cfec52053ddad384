"""End to end over real HTTP on loopback: the API (uvicorn) books couriers at the partner
simulator (uvicorn), which checks our signatures, moves a rider and calls our webhooks."""
from __future__ import annotations

import asyncio
import socket
import threading
from dataclasses import replace

import pytest
import uvicorn

from core.clock import utc_now
from delivery.couriers.models import CourierDelivery
from delivery.couriers.service import CourierPartners, add_account, book
from delivery.couriers.transport import HttpxTransport
from demo.courier_simulator import DEMO_CREDENTIALS, Behaviour, Simulator, create_app as simulator_app
from tests.couriers.kit import request

GUARD_S = 30
PROVIDERS = list(DEMO_CREDENTIALS)


def _serve(app):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            pytest.fail("uvicorn did not start")
        thread.join(0.05)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def simulator():
    sim = Simulator(behaviour=Behaviour(step_s=0.05))
    server, thread, url = _serve(simulator_app(sim))
    yield sim, url
    server.should_exit = True
    thread.join(GUARD_S)


@pytest.fixture(scope="module")
def api_url(test_settings, simulator):
    from asgi import create_app

    # The API asks the simulator too (weak-auth partners' terminal callbacks are confirmed by a query).
    sim_url = simulator[1]
    server, thread, url = _serve(create_app(replace(test_settings, dispatch_interval_s=0,
                                                    courier_base_urls={p: f"{sim_url}/{p}" for p in PROVIDERS})))
    yield url
    server.should_exit = True
    thread.join(GUARD_S)


def _credentials(provider: str, sim_url: str) -> dict:
    creds = dict(DEMO_CREDENTIALS[provider])
    if provider == "uber":
        creds["token_url"] = f"{sim_url}/uber/oauth/v2/token"
    return creds


async def _setup(world, simulator, api_url, provider, *, timeout_s: float = 5.0, credentials: dict | None = None):
    sim, sim_url = simulator
    async with world.services.database.write() as session:
        account, token = await add_account(session, world.services.secret_box, world.tenant_id, provider,
                                           credentials or _credentials(provider, sim_url))
    sim.callbacks[provider] = f"{api_url}/webhooks/couriers/{provider}/{token}"
    partners = CourierPartners(world.services.secret_box, transport=HttpxTransport(timeout_s=timeout_s),
                               base_urls={p: f"{sim_url}/{p}" for p in PROVIDERS})
    return account, token, partners


async def _until(world, delivery_id: int, states: set[str]) -> CourierDelivery:
    async def poll():
        while True:
            async with world.services.database.read() as session:
                row = await session.get(CourierDelivery, delivery_id)
            if row.state in states:
                return row
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(poll(), GUARD_S)


_n = iter(range(10**6))


@pytest.mark.parametrize("provider", PROVIDERS)
async def test_a_booked_courier_delivers_end_to_end(provider, world, simulator, api_url):
    account, token, partners = await _setup(world, simulator, api_url, provider)
    merchant = f"qdsim{provider}{next(_n)}w{world.tenant_id}"
    row = await book(world.services.database, partners, account, token, order_id=1, store_id=next(iter(world.store_ids.values())),
                     request=request(merchant), quote_fen=880, now=utc_now())
    assert row.state not in ("CREATE_FAILED",), row.reason
    final = await _until(world, row.id, {"DELIVERED"})
    assert final.partner_order_id and final.rider_name
    sim, _ = simulator
    assert sim.create_calls[(provider, merchant)] == 1


async def test_meituan_unified_platform_delivers_end_to_end_and_positions_are_polled(world, simulator, api_url):
    """The unified Meituan platform (`platform=unified`): `/peisong/...` paths, `biz` JSON, callbacks
    with a JSON `message`; the rider position is polled (integers x 10^6 GCJ-02 back to WGS-84)."""
    sim, sim_url = simulator
    creds = {**DEMO_CREDENTIALS["meituan"], "platform": "unified"}
    account, token, partners = await _setup(world, simulator, api_url, "meituan", credentials=creds)
    sim.credentials["meituan"] = creds  # the simulator signs its callbacks for the unified platform
    merchant = f"qdsimmtu{next(_n)}w{world.tenant_id}"
    try:
        row = await book(world.services.database, partners, account, token, order_id=6,
                         store_id=next(iter(world.store_ids.values())), request=request(merchant), quote_fen=None, now=utc_now())
        assert row.state != "CREATE_FAILED", row.reason
        final = await _until(world, row.id, {"DELIVERED"})
    finally:
        sim.credentials["meituan"] = DEMO_CREDENTIALS["meituan"]
    assert final.partner_order_id and final.rider_name and sim.create_calls[("meituan", merchant)] == 1
    assert ("meituan", "/peisong/order/createByShop") in sim.served
    assert not [r for r in sim.refused if r[0] == "meituan"]
    position = await partners.adapter(account).rider_position(merchant, final.partner_order_id)
    from demo.courier_simulator import SHOP

    assert position.position.lon == pytest.approx(SHOP.lon, abs=2e-5)
    assert position.position.lat == pytest.approx(SHOP.lat, abs=2e-5)


async def test_duplicates_and_reordering_still_end_delivered(world, simulator, api_url):
    sim, _ = simulator
    account, token, partners = await _setup(world, simulator, api_url, "sf")
    sim.behaviour.duplicate, sim.behaviour.reorder = True, True
    try:
        row = await book(world.services.database, partners, account, token, order_id=2, store_id=next(iter(world.store_ids.values())),
                         request=request(f"qdsimdup{next(_n)}w{world.tenant_id}"), quote_fen=None, now=utc_now())
        final = await _until(world, row.id, {"DELIVERED"})
    finally:
        sim.behaviour.duplicate, sim.behaviour.reorder = False, False
    assert final.state == "DELIVERED"


async def test_a_refused_create_fails_and_a_bad_signature_is_refused_by_the_partner(world, simulator, api_url):
    sim, _ = simulator
    account, token, partners = await _setup(world, simulator, api_url, "dada")
    sim.behaviour.refuse_create = True
    try:
        row = await book(world.services.database, partners, account, token, order_id=3, store_id=next(iter(world.store_ids.values())),
                         request=request(f"qdsimno{next(_n)}w{world.tenant_id}"), quote_fen=None, now=utc_now())
    finally:
        sim.behaviour.refuse_create = False
    assert row.state == "CREATE_FAILED"
    wrong = {**DEMO_CREDENTIALS["uu"], "app_secret": "not-the-secret"}
    account, token, partners = await _setup(world, simulator, api_url, "uu", credentials=wrong)
    before = len(sim.refused)
    row = await book(world.services.database, partners, account, token, order_id=4, store_id=next(iter(world.store_ids.values())),
                     request=request(f"qdsimbad{next(_n)}w{world.tenant_id}"), quote_fen=None, now=utc_now())
    assert row.state == "CREATE_FAILED" and len(sim.refused) > before


async def test_a_create_that_times_out_is_queried_not_repeated(world, simulator, api_url):
    sim, _ = simulator
    account, token, partners = await _setup(world, simulator, api_url, "fengniao", timeout_s=0.3)
    sim.behaviour.timeout_create_s = 1.0
    merchant = f"qdsimslow{next(_n)}w{world.tenant_id}"
    try:
        row = await book(world.services.database, partners, account, token, order_id=5, store_id=next(iter(world.store_ids.values())),
                         request=request(merchant), quote_fen=None, now=utc_now())
    finally:
        sim.behaviour.timeout_create_s = 0.0
    assert row.state != "CREATE_FAILED"
    assert sim.create_calls[("fengniao", merchant)] == 1
    await _until(world, row.id, {"DELIVERED"})
