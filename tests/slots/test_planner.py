"""Slot generation, cut-off and capacity as pure functions: midnight, DST, boundaries, tiers."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from core.errors import DomainError
from delivery.errors import SlotErrorCode, SlotKind, SlotReason
from delivery.slots import settings as cfg
from delivery.slots import slot_id
from delivery.slots.capacity import Shift, express_bucket, rider_hours, slot_capacity
from delivery.slots.generate import StoreSchedule, slot_windows
from delivery.slots.planner import Fleet, ZoneFit, find_offer, plan_slots

UTC = timezone.utc
ALL_DAY = {str(d): [["00:00", "24:00"]] for d in range(7)}
TYPES = frozenset({"SAME_CITY_DELIVERY", "STORE_PICKUP"})
NEAR, FAR = ZoneFit(tier=1, fee_fen=400, express_allowed=True), ZoneFit(tier=2, fee_fen=800, express_allowed=False)
SETTINGS = cfg.effective([])


def schedule(tz="Asia/Shanghai", hours=ALL_DAY, **kw) -> StoreSchedule:
    return StoreSchedule(timezone=tz, business_hours=hours, status=kw.pop("status", "OPEN"), fulfilment_types=TYPES, **kw)


def riders(n: int, start: datetime, hours: float = 24, available=True) -> tuple[Shift, ...]:
    return tuple(Shift(i, start, start + timedelta(hours=hours), available) for i in range(n))


def local(tz: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz))


# --- midnight ------------------------------------------------------------------------------


def test_a_store_open_past_midnight_offers_slots_that_cross_midnight():
    sched = schedule(hours={"5": [["22:30", "02:00"]]})  # Saturday 22:30 to Sunday 02:00
    start = local("Asia/Shanghai", 2025, 3, 1, 0, 0)  # a Saturday
    windows = slot_windows(sched, 60, start, start + timedelta(days=2))
    assert [(w.starts_at.strftime("%a %H:%M"), w.ends_at.strftime("%a %H:%M")) for w in windows] == [
        ("Sat 22:30", "Sat 23:30"), ("Sat 23:30", "Sun 00:30"), ("Sun 00:30", "Sun 01:30"),
    ]  # 01:30-02:30 would end after closing: not offered


def test_the_overnight_tail_of_yesterday_is_listed_when_asking_from_midnight():
    sched = schedule(hours={"4": [["20:00", "02:00"]]})  # Friday night
    midnight = local("Asia/Shanghai", 2025, 3, 1, 0, 0)  # Saturday 00:00
    windows = slot_windows(sched, 60, midnight, midnight + timedelta(days=1))
    assert [w.starts_at.hour for w in windows] == [0, 1]


def test_slots_requested_around_midnight_roll_into_the_next_day():
    now = local("Asia/Shanghai", 2025, 3, 1, 22, 10)
    offers = plan_slots(schedule(), SETTINGS, SlotKind.SLOT_60, NEAR, Fleet(riders(2, now - timedelta(hours=1), 48)), now, days=2)
    windows = [o for o in offers if o.kind is SlotKind.SLOT_60]
    assert windows[0].starts_at == local("Asia/Shanghai", 2025, 3, 1, 23, 0)
    assert windows[0].available  # 23:00 - 30 min cut-off = 22:30 >= 22:10
    assert windows[1].starts_at == local("Asia/Shanghai", 2025, 3, 2, 0, 0)
    assert windows[-1].starts_at == local("Asia/Shanghai", 2025, 3, 2, 23, 0)  # days=2: through tomorrow


# --- daylight saving time ------------------------------------------------------------------


@pytest.mark.parametrize("tz, day, count, repeated_or_missing", [
    ("Europe/Berlin", date(2024, 3, 31), 23, 2),  # 02:00 CET -> 03:00 CEST: no 02:00 slot
    ("Europe/Berlin", date(2024, 10, 27), 25, 2),  # 03:00 CEST -> 02:00 CET: two 02:00 slots
    ("America/New_York", date(2024, 3, 10), 23, 2),
    ("America/New_York", date(2024, 11, 3), 25, 1),
])
def test_dst_days_have_no_duplicate_or_missing_hours(tz, day, count, repeated_or_missing):
    zone = ZoneInfo(tz)
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    windows = slot_windows(schedule(tz), 60, start, end)
    assert len(windows) == count
    utc = [w.starts_at.astimezone(UTC) for w in windows]
    assert len(set(utc)) == count  # no duplicates
    assert all(b - a == timedelta(hours=1) for a, b in zip(utc, utc[1:]))  # no gaps in real time
    assert all(w.ends_at.astimezone(UTC) - w.starts_at.astimezone(UTC) == timedelta(hours=1) for w in windows)
    hours = [w.starts_at.hour for w in windows]
    if count == 23:
        assert repeated_or_missing not in hours
    else:
        repeated = [w for w in windows if w.starts_at.hour == repeated_or_missing]
        assert len(repeated) == 2 and repeated[0].starts_at.utcoffset() != repeated[1].starts_at.utcoffset()
        assert repeated[0].starts_at.isoformat() != repeated[1].starts_at.isoformat()


def test_berlin_offsets_switch_at_the_transition():
    zone = "Europe/Berlin"
    start = local(zone, 2024, 3, 31, 0, 0)
    windows = slot_windows(schedule(zone), 60, start, start + timedelta(hours=5))
    assert [w.starts_at.isoformat() for w in windows] == [
        "2024-03-31T00:00:00+01:00", "2024-03-31T01:00:00+01:00", "2024-03-31T03:00:00+02:00", "2024-03-31T04:00:00+02:00",
    ]
    assert windows[1].ends_at.isoformat() == "2024-03-31T03:00:00+02:00"  # the 01:00 slot ends when the clock jumps


def test_a_store_opening_inside_the_spring_forward_gap_still_opens():
    sched = schedule("Europe/Berlin", hours={"6": [["02:30", "06:00"]]})  # Sunday
    start = local("Europe/Berlin", 2024, 3, 31, 0, 0)
    windows = slot_windows(sched, 60, start, start + timedelta(days=1))
    assert [w.starts_at.isoformat() for w in windows] == ["2024-03-31T03:30:00+02:00", "2024-03-31T04:30:00+02:00"]


# --- cut-off ------------------------------------------------------------------------------


def test_exactly_at_the_cutoff_is_bookable_and_one_second_later_is_not():
    slot_start = local("Asia/Shanghai", 2025, 3, 3, 12, 0)
    fleet = Fleet(riders(1, slot_start - timedelta(hours=3), 6))
    at_cutoff = slot_start - timedelta(minutes=30)
    offer = find_offer(schedule(), SETTINGS, SlotKind.SLOT_60, slot_start.astimezone(UTC), NEAR, fleet, at_cutoff)
    assert offer.available and offer.cutoff_at == at_cutoff
    assert offer.cutoff_at.utcoffset() == timedelta(hours=8)
    late = find_offer(schedule(), SETTINGS, SlotKind.SLOT_60, slot_start.astimezone(UTC), NEAR, fleet, at_cutoff + timedelta(seconds=1))
    assert late.reason is SlotReason.CUTOFF_PASSED and not late.available


def test_the_cutoff_before_a_slot_after_the_clock_jumps_is_thirty_real_minutes():
    zone = "Europe/Berlin"
    slot_start = local(zone, 2024, 3, 31, 3, 0)  # 03:00 CEST = 01:00 UTC; 30 min before is 01:30 CET
    fleet = Fleet(riders(1, slot_start - timedelta(hours=3), 6))
    offer = find_offer(schedule(zone), SETTINGS, SlotKind.SLOT_60, slot_start.astimezone(UTC), NEAR, fleet, slot_start - timedelta(hours=3))
    assert offer.cutoff_at.isoformat() == "2024-03-31T01:30:00+01:00"
    assert offer.ends_at.isoformat() == "2024-03-31T04:00:00+02:00"


def test_a_long_preparation_time_moves_the_cutoff():
    slow = cfg.effective([cfg.DeliverySettings(prep_minutes=45)])
    slot_start = local("Asia/Shanghai", 2025, 3, 3, 12, 0)
    fleet = Fleet(riders(1, slot_start - timedelta(hours=3), 6))
    now = slot_start - timedelta(minutes=40)  # inside 45 min of prep, outside the 30 min cut-off
    offer = find_offer(schedule(), slow, SlotKind.SLOT_60, slot_start.astimezone(UTC), NEAR, fleet, now)
    assert offer.reason is SlotReason.CUTOFF_PASSED


# --- capacity -----------------------------------------------------------------------------


def test_capacity_is_rider_hours_times_rate_capped_by_staff():
    start = datetime(2025, 3, 3, 4, 0, tzinfo=UTC)
    shifts = (Shift(1, start - timedelta(hours=1), start + timedelta(minutes=30)), Shift(2, start, start + timedelta(hours=2)),
              Shift(2, start + timedelta(minutes=15), start + timedelta(minutes=45)))  # rider 2's duplicate counts once
    assert rider_hours(shifts, start, start + timedelta(hours=1)) == 1.5
    assert slot_capacity(shifts, start, start + timedelta(hours=1), 4, None) == 6
    assert slot_capacity(shifts, start, start + timedelta(hours=1), 4, 2) == 2
    assert slot_capacity(shifts, start, start + timedelta(hours=1), 3, None) == 4  # 4.5 rounds down


def test_far_tiers_consume_more_units_and_see_full_earlier():
    now = local("Asia/Shanghai", 2025, 3, 3, 8, 0)
    slot = local("Asia/Shanghai", 2025, 3, 3, 10, 0).astimezone(UTC)
    shifts = (Shift(1, slot, slot + timedelta(minutes=45)),)  # 0.75 rider-hours x 4 = 3 units
    fleet = Fleet(shifts, used={(SlotKind.SLOT_60, slot): 2})
    near = find_offer(schedule(), SETTINGS, SlotKind.SLOT_60, slot, NEAR, fleet, now)
    far = find_offer(schedule(), SETTINGS, SlotKind.SLOT_60, slot, FAR, fleet, now)
    assert (near.capacity, near.remaining, near.units, near.available) == (3, 1, 1, True)
    assert (far.units, far.reason, far.fee_fen) == (2, SlotReason.FULL, 800)
    assert cfg.units_for_tier(SETTINGS, 5) == 5  # an unlisted outer tier is never cheaper


def test_no_riders_is_reported_apart_from_full_and_a_zero_cap_is_full():
    now = local("Asia/Shanghai", 2025, 3, 3, 8, 0)
    slot = local("Asia/Shanghai", 2025, 3, 3, 10, 0).astimezone(UTC)
    assert find_offer(schedule(), SETTINGS, SlotKind.SLOT_60, slot, NEAR, Fleet(), now).reason is SlotReason.NO_RIDERS
    capped = Fleet(riders(2, slot, 1), caps={(SlotKind.SLOT_60, slot): 0})
    assert find_offer(schedule(), SETTINGS, SlotKind.SLOT_60, slot, NEAR, capped, now).reason is SlotReason.FULL


def test_express_follows_available_riders_now_and_the_zone_tier():
    now = local("Asia/Shanghai", 2025, 3, 3, 8, 10)
    on_shift = riders(2, now - timedelta(hours=1), 4)
    express = plan_slots(schedule(), SETTINGS, SlotKind.SLOT_60, NEAR, Fleet(on_shift), now)[0]
    assert express.kind is SlotKind.EXPRESS_30 and express.available
    assert express.capacity == 4 and express.ends_at.astimezone(UTC) - express.starts_at.astimezone(UTC) == timedelta(minutes=30)  # 2 riders x 4/h x 0.5 h
    assert express.key == express_bucket(now) == datetime(2025, 3, 3, 0, 0, tzinfo=UTC)
    busy = Fleet((Shift(1, now - timedelta(hours=1), now + timedelta(hours=3), available_now=False),))
    assert plan_slots(schedule(), SETTINGS, SlotKind.SLOT_60, NEAR, busy, now)[0].reason is SlotReason.NO_RIDERS
    assert plan_slots(schedule(), SETTINGS, SlotKind.SLOT_60, FAR, Fleet(on_shift), now)[0].reason is SlotReason.EXPRESS_NOT_OFFERED
    off = cfg.effective([cfg.DeliverySettings(), cfg.DeliverySettings(express_enabled=False)])
    assert plan_slots(schedule(), off, SlotKind.SLOT_60, NEAR, Fleet(on_shift), now)[0].reason is SlotReason.EXPRESS_NOT_OFFERED
    offers = plan_slots(schedule(), SETTINGS, SlotKind.SLOT_60, None, Fleet(on_shift), now)
    assert {o.reason for o in offers} == {SlotReason.OUTSIDE_ZONE}


def test_closures_and_closed_stores_show_store_closed():
    now = local("Asia/Shanghai", 2025, 3, 3, 8, 0)
    fleet = Fleet(riders(2, now, 72))
    closed = schedule(closures=((date(2025, 3, 4), date(2025, 3, 4)),))
    offers = plan_slots(closed, SETTINGS, SlotKind.SLOT_60, NEAR, fleet, now, days=3)
    by_day = {}
    for o in offers[1:]:
        by_day.setdefault(o.starts_at.date(), set()).add(o.reason)
    assert by_day[date(2025, 3, 4)] == {SlotReason.STORE_CLOSED}
    assert None in by_day[date(2025, 3, 5)]
    suspended = plan_slots(schedule(status="PAUSED"), SETTINGS, SlotKind.SLOT_60, NEAR, fleet, now, days=1)
    assert {o.reason for o in suspended} == {SlotReason.STORE_CLOSED}


def test_the_booking_horizon_is_days_ahead_in_local_days():
    now = local("Asia/Shanghai", 2025, 3, 3, 23, 0)
    two_days = cfg.effective([cfg.DeliverySettings(days_ahead=2)])
    offers = plan_slots(schedule(), two_days, SlotKind.SLOT_60, NEAR, Fleet(riders(1, now, 72)), now, days=30)
    assert offers[-1].starts_at == local("Asia/Shanghai", 2025, 3, 4, 23, 0)


def test_pickup_slots_need_only_preparation_time_and_no_riders():
    now = local("Asia/Shanghai", 2025, 3, 3, 9, 50)
    offers = plan_slots(schedule(), SETTINGS, SlotKind.PICKUP_60, None, Fleet(), now, days=1)
    assert offers[0].kind is SlotKind.PICKUP_60 and offers[0].starts_at.hour == 10 and offers[0].available
    assert offers[0].capacity == 20 and offers[0].fee_fen == 0


# --- settings and slot IDs ----------------------------------------------------------------


def test_settings_inherit_field_by_field_from_the_nearest_node():
    hq = cfg.DeliverySettings(slot_minutes=60, cutoff_minutes=20, express_enabled=True)
    partner = cfg.DeliverySettings(express_enabled=False)
    store = cfg.DeliverySettings(cutoff_minutes=45)
    effective = cfg.effective([hq, partner, store])
    assert (effective.slot_minutes, effective.cutoff_minutes, effective.express_enabled) == (60, 45, False)
    assert effective.days_ahead == cfg.DEFAULTS.days_ahead
    with pytest.raises(DomainError) as err:
        cfg.validate(cfg.DeliverySettings(slot_minutes=50))
    assert err.value.field == "slotMinutes"


def test_slot_ids_round_trip_and_garbage_is_slot_invalid():
    key = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
    ref = slot_id.decode(slot_id.encode(7, SlotKind.SLOT_60, key))
    assert (ref.store_id, ref.kind, ref.key) == (7, SlotKind.SLOT_60, key)
    for bad in ("", "not-a-slot-id", slot_id.encode(7, SlotKind.SLOT_60, key)[:-3] + "!!!", "U3RvcmU6MQ=="):
        with pytest.raises(DomainError) as err:
            slot_id.decode(bad)
        assert err.value.code is SlotErrorCode.SLOT_INVALID
