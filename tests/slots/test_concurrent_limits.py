"""Limits that are counted before they are written hold under concurrency: a rider's shifts
never overlap, and a store's failed pickup guesses stop at the limit. Every call here runs
at once against the API (PostgreSQL: separate transactions; SQLite: one writer)."""
from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import func, select

from core.clock import utc_now
from delivery.models import PickupVerification, Rider, RiderShift
from delivery.pickup_codes import STORE_MAX_FAILURES
from tests.slots.test_pickup_and_settings import VERIFY

ADD = """mutation($r: ID!, $s: ID!, $a: DateTime!, $b: DateTime!) {
  riderShiftAdd(input: {riderId: $r, storeId: $s, startsAt: $a, endsAt: $b}) { shift { id } errors { code } } }"""


async def test_concurrent_overlapping_shifts_for_one_rider_book_exactly_one(client, world, database):
    async with database.write() as session:
        rider = Rider(tenant_id=world.tenant_id, home_store_id=world.store_ids["a"], name="racer", mobile="+8613700009999", status="OFF_SHIFT")
        session.add(rider)
        await session.flush()
        rider_id = rider.id
    start = utc_now() + timedelta(hours=2)
    hq = world.staff_token("hq")

    async def add(offset_minutes: int):
        variables = {"r": world.gid("Rider", rider_id), "s": world.store("a"),
                     "a": (start + timedelta(minutes=offset_minutes)).isoformat(),
                     "b": (start + timedelta(minutes=offset_minutes, hours=3)).isoformat()}
        return (await world.gql(client, ADD, variables, token=hq))["data"]["riderShiftAdd"]

    results = await asyncio.gather(*(add(10 * i) for i in range(12)))  # every pair overlaps
    booked = [r for r in results if r["errors"] == []]
    assert len(booked) == 1
    assert {e["code"] for r in results if r["errors"] for e in r["errors"]} == {"SHIFT_OVERLAPS"}
    async with database.read() as session:
        assert await session.scalar(select(func.count(RiderShift.id)).where(RiderShift.rider_id == rider_id)) == 1


async def test_parallel_wrong_pickup_guesses_at_a_store_stop_at_the_limit(client, world, database):
    clerk = world.staff_token("clerk_a")

    async def guess(i: int):
        variables = {"s": world.store("a"), "o": world.gid("Order", 10_000_000 + i), "c": "000000"}
        return (await world.gql(client, VERIFY, variables, token=clerk))["data"]["pickupCodeVerify"]

    results = await asyncio.gather(*(guess(i) for i in range(STORE_MAX_FAILURES + 12)))
    outcomes = [r["errors"][0]["code"] for r in results]
    assert outcomes.count("CODE_INVALID") == STORE_MAX_FAILURES  # each looked up, none found
    assert outcomes.count("RATE_LIMITED") == 12
    async with database.read() as session:
        audited = await session.scalar(
            select(func.count(PickupVerification.id)).where(PickupVerification.store_id == world.store_ids["a"])
        )
    assert audited == STORE_MAX_FAILURES + 12  # every attempt is on record, refused ones too
