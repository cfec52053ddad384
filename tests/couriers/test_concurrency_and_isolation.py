"""Callback storms (every callback three times, shuffled, concurrently), tenant isolation, and
reconciliation of deliveries whose callbacks stopped."""
from __future__ import annotations

import asyncio
import random
from datetime import timedelta

from sqlalchemy import select

from core.clock import utc_now
from delivery.couriers.models import CourierDelivery, CourierDeliveryEvent
from delivery.couriers.service import CourierPartners, reconcile
from tests.couriers.kit import SPECS, FakeTransport, book, events_of, post, state_of
from tests.worlds import build_world


async def test_a_shuffled_concurrent_storm_ends_every_delivery_delivered_with_no_event_lost(client, world):
    rng = random.Random(11)
    spec = SPECS["sf"]
    bookings = [await book(world, "sf") for _ in range(8)]
    calls = []
    for b in bookings:
        for code in (spec.assigned, spec.at_pickup, spec.picked_up, spec.delivered):
            signed = b.call(code)
            calls += [(b, signed)] * 3
    rng.shuffle(calls)
    semaphore = asyncio.Semaphore(8)

    async def send(b, signed):
        async with semaphore:
            response = await post(client, b, signed)
            assert response.status_code == 200, response.text

    await asyncio.gather(*(send(b, s) for b, s in calls))
    for b in bookings:
        assert (await state_of(world, b)).state == "DELIVERED"
        assert len(await events_of(world, b)) == 4  # each distinct callback exactly once


async def test_another_tenants_delivery_is_not_found_through_this_tenants_url(client, world, database, services):
    other = await build_world(database, services)
    mine, theirs = await book(world, "uu"), await book(other, "uu")
    # A correctly signed callback naming the other tenant's delivery, sent to my URL (my token and secret).
    signed = mine.call(SPECS["uu"].delivered)
    forged = type(mine)(mine.provider, mine.token, mine.delivery_id, theirs.merchant_id, theirs.partner_id, mine.account)
    response = await post(client, mine, forged.call(SPECS["uu"].delivered))
    assert response.status_code == 200  # acknowledged (recorded as unknown), never applied
    assert (await state_of(other, theirs)).state == "DISPATCHING"
    async with database.read() as session:
        outcome = await session.scalar(select(CourierDeliveryEvent.outcome).where(
            CourierDeliveryEvent.tenant_id == world.tenant_id, CourierDeliveryEvent.delivery_id.is_(None)))
    assert outcome == "UNKNOWN_DELIVERY"
    assert (await post(client, mine, signed)).status_code == 200
    assert (await state_of(world, mine)).state == "DELIVERED"


async def test_reconciliation_re_queries_quiet_deliveries(world, database):
    b = await book(world, "dada", state="RIDER_ASSIGNED")
    transport = FakeTransport({"/api/order/status/query": {"status": "success", "code": 0,
                                                           "result": {"statusCode": 4, "orderId": "D9"}}})
    partners = CourierPartners(world.services.secret_box, transport=transport)
    assert await reconcile(database, partners, utc_now(), timedelta(minutes=10)) >= 0
    assert (await state_of(world, b)).state == "RIDER_ASSIGNED"  # not quiet long enough yet
    await reconcile(database, partners, utc_now() + timedelta(minutes=11), timedelta(minutes=10), limit=10_000)
    row = await state_of(world, b)
    assert row.state == "DELIVERED" and row.partner_order_id == "D9"
    assert [e.source for e in await events_of(world, b)] == ["POLL"]


async def test_partner_rider_positions_reach_order_tracking(client, world):
    from delivery.couriers.partner_side import Rider
    from delivery.tracking import order_channel
    from geo.coordinates import CoordinateSystem, LonLat, from_wgs84

    b = await book(world, "sf")
    async with world.services.database.read() as session:
        order_id = (await session.get(CourierDelivery, b.delivery_id)).order_id
    here = from_wgs84(LonLat(120.16, 30.28), CoordinateSystem.GCJ02)
    async with world.services.tracking.subscribe(order_channel(world.tenant_id, order_id)) as messages:
        await post(client, b, b.call(SPECS["sf"].assigned, rider=Rider(lon=here.lon, lat=here.lat)))
        message = await asyncio.wait_for(messages.__anext__(), 10)
    assert message["type"] == "POSITION" and message["riderId"] is None and message["courier"] == "sf"
    assert (round(message["lon"], 4), round(message["lat"], 4)) == (120.16, 30.28)  # back in WGS-84


async def test_courier_fees_owed_are_posted_to_the_ledger_once(client, world):
    from sqlalchemy import update as sa_update

    from ledger import account, balance
    from ledger.checks import verify

    b = await book(world, "uu")
    async with world.services.database.write() as session:
        await session.execute(sa_update(CourierDelivery).where(CourierDelivery.id == b.delivery_id).values(quote_fen=880, tip_fen=200))
    delivered = b.call(SPECS["uu"].delivered)
    for _ in range(2):
        await post(client, b, delivered)
    cancelled = await book(world, "uu")
    await post(client, cancelled, cancelled.call(SPECS["uu"].cancelled, extra={"deductFee": 0}))
    async with world.services.database.write() as session:
        payable = await account(session, world.tenant_id, "courier.payable", "courier_account", b.account.id, allow_negative=True)
        expense = await account(session, world.tenant_id, "courier.expense", "brand", world.tenant_id, allow_negative=True)
        assert await balance(session, payable) == 1080  # quote + tip, once despite the duplicate
        assert await balance(session, expense) == -1080
        assert (await verify(session, world.tenant_id)).ok


async def test_positions_of_partners_without_them_in_callbacks_are_polled_to_tracking(world, database):
    from delivery.couriers.service import poll_positions
    from delivery.tracking import order_channel
    from geo.coordinates import CoordinateSystem, LonLat, from_wgs84

    b = await book(world, "dada", state="PICKED_UP")
    gcj = from_wgs84(LonLat(120.17, 30.29), CoordinateSystem.GCJ02)
    transport = FakeTransport({"/api/order/status/query": {"status": "success", "code": 0, "result": {
        "statusCode": 3, "transporterLng": gcj.lon, "transporterLat": gcj.lat, "transporterName": "Li"}}})
    partners = CourierPartners(world.services.secret_box, transport=transport)
    async with database.read() as session:
        order_id = (await session.get(CourierDelivery, b.delivery_id)).order_id
    async with world.services.tracking.subscribe(order_channel(world.tenant_id, order_id)) as messages:
        assert await poll_positions(database, partners, utc_now(), limit=10_000) >= 1
        message = await asyncio.wait_for(messages.__anext__(), 10)
    assert (message["type"], round(message["lon"], 4), round(message["lat"], 4)) == ("POSITION", 120.17, 30.29)
    row = await state_of(world, b)
    assert (round(row.rider_lon, 4), round(row.rider_lat, 4)) == (120.17, 30.29)
