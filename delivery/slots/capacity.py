"""Capacity that follows the fleet.

A SLOT_60 window's capacity in units is the rider-hours rostered inside it times the
deliveries one rider makes per hour, rounded down (half a rider-hour at 4/h is 2 orders,
not 2.5), then capped by an explicit staff cap if one is set. An order consumes the units
of its zone tier (settings.units_for_tier), so one far-ring order takes the place of
several near ones.

Express (EXPRESS_30) capacity follows riders on shift *now* and not known to be busy: each
can do half an hour's worth of deliveries inside the 30-minute promise.

Rider-hours are merged per rider, so a rider rostered twice for overlapping times (a
data-entry slip the roster refuses, but old rows might exist) is not counted double.
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

EXPRESS_MINUTES = 30


@dataclass(frozen=True)
class Shift:
    rider_id: int
    starts_at: datetime
    ends_at: datetime
    available_now: bool = True  # False for riders whose status is BUSY or SUSPENDED


def rider_hours(shifts: Iterable[Shift], start: datetime, end: datetime) -> float:
    by_rider: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for s in shifts:
        lo, hi = max(s.starts_at, start), min(s.ends_at, end)
        if hi > lo:
            by_rider[s.rider_id].append((lo, hi))
    total = timedelta(0)
    for spans in by_rider.values():
        spans.sort()
        cur_lo, cur_hi = spans[0]
        for lo, hi in spans[1:]:
            if lo <= cur_hi:
                cur_hi = max(cur_hi, hi)
            else:
                total += cur_hi - cur_lo
                cur_lo, cur_hi = lo, hi
        total += cur_hi - cur_lo
    return total.total_seconds() / 3600


def _floor_units(value: float) -> int:
    # 0.1 * 30 is 3.0000000000000004 in binary floating point; never lose an order to that.
    return max(0, math.floor(value + 1e-9))


def slot_capacity(shifts: Iterable[Shift], start: datetime, end: datetime, per_rider_hour: int, cap: int | None) -> int:
    units = _floor_units(rider_hours(shifts, start, end) * per_rider_hour)
    return units if cap is None else min(units, cap)


def riders_on_shift(shifts: Iterable[Shift], now: datetime) -> set[int]:
    return {s.rider_id for s in shifts if s.starts_at <= now < s.ends_at and s.available_now}


def express_capacity(shifts: Iterable[Shift], now: datetime, per_rider_hour: int, cap: int | None) -> int:
    units = _floor_units(len(riders_on_shift(shifts, now)) * per_rider_hour * EXPRESS_MINUTES / 60)
    return units if cap is None else min(units, cap)


def pickup_capacity(orders_per_slot: int, cap: int | None) -> int:
    return orders_per_slot if cap is None else min(orders_per_slot, cap)


def express_bucket(now: datetime) -> datetime:
    """Express holds are counted per half hour (UTC-aligned; every zone's offset is a whole
    number of half hours except a handful, where the bucket is merely not wall-aligned)."""
    now = now.astimezone(timezone.utc)
    minute = 0 if now.minute < 30 else 30
    return now.replace(minute=minute, second=0, microsecond=0)
