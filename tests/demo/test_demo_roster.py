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
