"""The demo roster tops itself up and never duplicates a shift."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import func, select

from delivery.models import RiderShift
from demo.roster import ensure_demo_roster
from demo.seed import seed_demo


async def test_roster_is_added_once_per_rider_and_day(database):
    await seed_demo(database)  # idempotent: the demo tenant may already be there from another test
    now = datetime(2031, 3, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in Hangzhou: today's shift is still running
    first = await ensure_demo_roster(database, days=2, now=now)
    again = await ensure_demo_roster(database, days=2, now=now)
    assert first > 0 and again == 0
    async with database.read() as session:
        count = await session.scalar(select(func.count(RiderShift.id)).where(RiderShift.starts_at >= datetime(2031, 2, 28, tzinfo=timezone.utc)))
    assert count == first
    later = await ensure_demo_roster(database, days=2, now=datetime(2031, 3, 2, 2, 0, tzinfo=timezone.utc))
    assert later == first // 2  # one new day per rider


async def test_riders_of_24_hour_stores_are_on_shift_at_night(database):
    from delivery.models import Rider
    from demo import chain
    from store_network.models import Store, Tenant

    await seed_demo(database)
    night = datetime(2031, 3, 10, 19, 0, tzinfo=timezone.utc)  # 03:00 in Hangzhou
    await ensure_demo_roster(database, days=1, now=night)
    async with database.read() as session:
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == chain.BRAND.slug))
        on_shift = set(await session.scalars(
            select(Store.code).join(Rider, Rider.home_store_id == Store.id).join(RiderShift, RiderShift.rider_id == Rider.id)
            .where(Rider.tenant_id == tenant_id, RiderShift.starts_at <= night, RiderShift.ends_at > night)
        ))
    assert on_shift == {"HZ-XH-002", "HZ-SC-003", "HZ-SC-006"}  # the three 24-hour stores, and only they
