"""Keep the demo fleet rostered: every demo rider works 08:00-22:00 (store time) for the next days,
except the riders of stores open 24 hours, who are rostered round the clock (00:00-24:00), so the
README walk-through finds delivery slots, express capacity and a rider at any hour.

Shifts are absolute times, so a roster written when the demo was first loaded would have run
out by the next time someone starts it; `qiandian seed-demo` and `serve --demo` top it up.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.clock import utc_now
from db.session import Database
from delivery.models import Rider, RiderShift
from demo import chain
from store_network.models import Store, Tenant

SHIFT_START, SHIFT_END = time(8, 0), time(22, 0)


async def ensure_demo_roster(database: Database, days: int = 7, now: datetime | None = None) -> int:
    """Add the missing day shifts; returns how many were added. Idempotent."""
    now = now or utc_now()
    added = 0
    async with database.write() as session:
        tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == chain.BRAND.slug))
        if tenant_id is None:
            return 0
        riders = (
            await session.execute(
                select(Rider.id, Rider.home_store_id, Store.timezone, Store.business_hours)
                .join(Store, Store.id == Rider.home_store_id)
                .where(Rider.tenant_id == tenant_id, Store.status == "OPEN")
            )
        ).all()
        existing = {
            (rider_id, starts_at)
            for rider_id, starts_at in (
                await session.execute(
                    select(RiderShift.rider_id, RiderShift.starts_at).where(
                        RiderShift.tenant_id == tenant_id, RiderShift.ends_at > now
                    )
                )
            ).all()
        }
        for rider_id, store_id, tz_name, hours in riders:
            zone = ZoneInfo(tz_name)
            today = now.astimezone(zone).date()
            all_day = _open_all_day(hours)
            for offset in range(days):
                day = today + timedelta(days=offset)
                if all_day:
                    starts = datetime.combine(day, time(0, 0), zone)
                    ends = datetime.combine(day + timedelta(days=1), time(0, 0), zone)
                else:
                    starts = datetime.combine(day, SHIFT_START, zone)
                    ends = datetime.combine(day, SHIFT_END, zone)
                if ends <= now or any(r == rider_id and starts <= at < ends for r, at in existing):
                    continue
                session.add(RiderShift(tenant_id=tenant_id, rider_id=rider_id, store_id=store_id, starts_at=starts, ends_at=ends))
                added += 1
    return added


def _open_all_day(business_hours: dict) -> bool:
    spans = [business_hours.get(str(day)) or business_hours.get(day) for day in range(7)]
    return all(s is not None and [list(x) for x in s] == [["00:00", "24:00"]] for s in spans)
