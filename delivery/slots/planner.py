"""What a customer at a location may book from one store: slots with capacity and a reason.

Pure: the caller gathers the store's schedule, effective settings, the location's zone fit
(from geo.zone_lookup), the roster, staff caps and current usage, and passes `now`.
The same function answers the slots query and re-checks the slot at checkout, so what the
customer was shown and what checkout enforces cannot disagree.

Reasons, most fundamental first (only the first is reported): STORE_CLOSED,
DELIVERY_NOT_OFFERED, OUTSIDE_ZONE, EXPRESS_NOT_OFFERED, CUTOFF_PASSED, NO_RIDERS, FULL.

Cut-off: a slot can be booked until `starts_at - max(cutoff_minutes, prep_minutes)`,
inclusive (at exactly the cut-off it is still open; one second later it is not). Pickup
slots only need the preparation time.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from delivery.errors import SlotKind, SlotReason
from delivery.slots import capacity as cap
from delivery.slots.generate import StoreSchedule, Window, day_start, horizon_end, local_day, slot_windows
from delivery.slots.settings import DeliverySettings, units_for_tier
from geo.opening_hours import is_open_at

UTC = timezone.utc
SAME_CITY_DELIVERY = "SAME_CITY_DELIVERY"
STORE_PICKUP = "STORE_PICKUP"


@dataclass(frozen=True)
class ZoneFit:
    """The location's innermost zone of this store (geo.zone_lookup.ZoneMatch, reduced)."""

    tier: int
    fee_fen: int
    express_allowed: bool


@dataclass(frozen=True)
class Fleet:
    shifts: tuple[cap.Shift, ...] = ()
    caps: Mapping[tuple[SlotKind, datetime], int] = field(default_factory=dict)  # UTC start -> max units
    used: Mapping[tuple[SlotKind, datetime], int] = field(default_factory=dict)


@dataclass(frozen=True)
class SlotOffer:
    kind: SlotKind
    starts_at: datetime  # in the store's zone
    ends_at: datetime
    key: datetime  # UTC start of the counted bucket: the slot's identity
    cutoff_at: datetime | None
    fee_fen: int
    capacity: int
    used: int
    units: int  # what this customer's order would consume
    reason: SlotReason | None

    @property
    def remaining(self) -> int:
        return max(0, self.capacity - self.used)

    @property
    def available(self) -> bool:
        return self.reason is None


def _window_bounds(schedule, settings, now, window_from, days) -> tuple[datetime, datetime]:
    start = max(window_from or now, now)  # the past cannot be booked; never list it
    days = max(1, min(days or settings.days_ahead, settings.days_ahead))
    end = day_start(schedule, local_day(start, schedule) + timedelta(days=days))
    return start, min(end, horizon_end(schedule, now, settings.days_ahead))


def _store_reason(schedule: StoreSchedule, fulfilment: str, instant: datetime) -> SlotReason | None:
    if schedule.status != "OPEN" or schedule.closed_on(local_day(instant, schedule)):
        return SlotReason.STORE_CLOSED
    if fulfilment not in schedule.fulfilment_types:
        return SlotReason.DELIVERY_NOT_OFFERED
    return None


def _capacity_reason(capacity: int, used: int, units: int, no_riders: bool) -> SlotReason | None:
    if capacity == 0 and no_riders:
        return SlotReason.NO_RIDERS
    if capacity - used < units:
        return SlotReason.FULL
    return None


def express_offer(schedule: StoreSchedule, settings: DeliverySettings, zone: ZoneFit | None, fleet: Fleet, now: datetime) -> SlotOffer:
    key = cap.express_bucket(now)
    units = units_for_tier(settings, zone.tier) if zone else 1
    limit = fleet.caps.get((SlotKind.EXPRESS_30, key))
    capacity = cap.express_capacity(fleet.shifts, now, settings.deliveries_per_rider_hour, limit)
    used = fleet.used.get((SlotKind.EXPRESS_30, key), 0)
    reason = _store_reason(schedule, SAME_CITY_DELIVERY, now)
    if reason is None and not is_open_at(schedule.business_hours, schedule.timezone, now):
        reason = SlotReason.STORE_CLOSED
    if reason is None and zone is None:
        reason = SlotReason.OUTSIDE_ZONE
    if reason is None and not (
        settings.express_enabled
        and zone.tier in (settings.express_tiers or ())
        and zone.express_allowed
        and settings.prep_minutes < cap.EXPRESS_MINUTES  # a 30-minute promise with 30 minutes of picking is a lie
    ):
        reason = SlotReason.EXPRESS_NOT_OFFERED
    if reason is None:
        reason = _capacity_reason(capacity, used, units, not cap.riders_on_shift(fleet.shifts, now))
    # Arithmetic in UTC: datetime + timedelta in a ZoneInfo zone is wall-clock arithmetic and
    # would be an hour off across a DST change.
    utc_now = now.astimezone(UTC)
    return SlotOffer(
        SlotKind.EXPRESS_30, utc_now.astimezone(schedule.zone),
        (utc_now + timedelta(minutes=cap.EXPRESS_MINUTES)).astimezone(schedule.zone), key, None,
        zone.fee_fen if zone else 0, capacity, used, units, reason,
    )


def _window_offer(schedule, settings, zone, fleet, now, window: Window, kind: SlotKind) -> SlotOffer:
    key = window.key
    limit = fleet.caps.get((kind, key))
    used = fleet.used.get((kind, key), 0)
    if kind is SlotKind.PICKUP_60:
        fulfilment, units, fee = STORE_PICKUP, 1, 0
        lead = settings.prep_minutes
        capacity = cap.pickup_capacity(settings.pickup_orders_per_slot, limit)
        no_riders = False
    else:
        fulfilment = SAME_CITY_DELIVERY
        units = units_for_tier(settings, zone.tier) if zone else 1
        fee = zone.fee_fen if zone else 0
        lead = max(settings.cutoff_minutes, settings.prep_minutes)
        start, end = key, window.ends_at.astimezone(UTC)
        capacity = cap.slot_capacity(fleet.shifts, start, end, settings.deliveries_per_rider_hour, limit)
        no_riders = cap.rider_hours(fleet.shifts, start, end) == 0
    cutoff_at = (key - timedelta(minutes=lead)).astimezone(schedule.zone)  # in UTC, see express_offer
    reason = _store_reason(schedule, fulfilment, window.starts_at)
    if reason is None and kind is SlotKind.SLOT_60 and zone is None:
        reason = SlotReason.OUTSIDE_ZONE
    if reason is None and now > cutoff_at:
        reason = SlotReason.CUTOFF_PASSED
    if reason is None:
        reason = _capacity_reason(capacity, used, units, no_riders)
    return SlotOffer(kind, window.starts_at, window.ends_at, key, cutoff_at, fee, capacity, used, units, reason)


def plan_slots(
    schedule: StoreSchedule,
    settings: DeliverySettings,
    kind: SlotKind,
    zone: ZoneFit | None,
    fleet: Fleet,
    now: datetime,
    window_from: datetime | None = None,
    days: int | None = None,
) -> list[SlotOffer]:
    """Delivery (kind SLOT_60: the express offer first, then the windows) or pickup slots."""
    start, end = _window_bounds(schedule, settings, now, window_from, days)
    offers: list[SlotOffer] = []
    if kind is SlotKind.SLOT_60 and start == now:
        offers.append(express_offer(schedule, settings, zone, fleet, now))
    if end > start:
        for window in slot_windows(schedule, settings.slot_minutes, start, end):
            offers.append(_window_offer(schedule, settings, zone, fleet, now, window, kind))
    return offers


def find_offer(
    schedule: StoreSchedule, settings: DeliverySettings, kind: SlotKind, key: datetime, zone: ZoneFit | None, fleet: Fleet, now: datetime
) -> SlotOffer | None:
    """The offer a slot ID names, evaluated at `now`; None if no such slot exists (misaligned,
    outside business hours, beyond the booking horizon or already started)."""
    if kind is SlotKind.EXPRESS_30:
        return express_offer(schedule, settings, zone, fleet, now)
    window_kind = SlotKind.PICKUP_60 if kind is SlotKind.PICKUP_60 else SlotKind.SLOT_60
    for offer in plan_slots(schedule, settings, window_kind, zone, fleet, now, window_from=key, days=1):
        if offer.kind is kind and offer.key == key:
            return offer
    return None
