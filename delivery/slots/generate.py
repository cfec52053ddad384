"""Slot windows from business hours, in absolute time, correct across midnight and DST.

Business hours are wall-clock spans in the store's zone (see geo.delivery_options): a span
belongs to the day it opens on, a close at or before the open ends the next day, "24:00"
is the end of the day. Each span is turned into two *instants* first and slots are then
stepped in absolute time from the opening instant. So:

* a span crossing midnight yields slots that cross midnight (23:30-00:30);
* on a spring-forward day a 24 h store has 23 one-hour slots, on fall-back day 25, and the
  repeated wall hour appears twice with different UTC offsets -- never a duplicate slot,
  never a missing hour;
* a wall time that does not exist (an opening at 02:30 on spring-forward night) resolves
  with fold=0, i.e. to the instant the clock would have shown had it not jumped.

Slots are aligned to the span's opening time and must end by its close; a trailing
remainder shorter than a slot is not offered.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from geo.opening_hours import _parse_interval, _spans

UTC = timezone.utc


@dataclass(frozen=True)
class StoreSchedule:
    timezone: str
    business_hours: Mapping
    status: str  # store_network.lifecycle.StoreStatus: only OPEN offers slots
    closures: tuple[tuple[date, date], ...] = ()  # inclusive local-date ranges
    fulfilment_types: frozenset[str] = frozenset()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def closed_on(self, local_day: date) -> bool:
        return any(start <= local_day <= end for start, end in self.closures)


@dataclass(frozen=True)
class Window:
    starts_at: datetime  # aware, in the store's zone
    ends_at: datetime

    @property
    def key(self) -> datetime:
        """UTC start: the identity of a slot in storage and in slot IDs."""
        return self.starts_at.astimezone(UTC)


def _instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)


def opening_spans(schedule: StoreSchedule, first_day: date, last_day: date) -> list[tuple[datetime, datetime]]:
    """UTC [open, close) instants of every span opening on first_day-1 .. last_day (local dates).

    The day before is included because its overnight span reaches into first_day.
    """
    zone = schedule.zone
    spans: list[tuple[datetime, datetime]] = []
    day = first_day - timedelta(days=1)
    while day <= last_day:
        for open_text, close_text in _spans(schedule.business_hours, day.weekday()):
            opens, closes, crosses = _parse_interval(open_text, close_text)
            start = _instant(day, opens, zone)
            if closes is None:  # "24:00"
                end = _instant(day + timedelta(days=1), time(0, 0), zone)
            else:
                end = _instant(day + timedelta(days=1) if crosses else day, closes, zone)
            if end > start:
                spans.append((start, end))
        day += timedelta(days=1)
    return sorted(spans)


def slot_windows(
    schedule: StoreSchedule, slot_minutes: int, window_start: datetime, window_end: datetime
) -> list[Window]:
    """Every slot starting in [window_start, window_end), earliest first, without duplicates."""
    zone = schedule.zone
    step = timedelta(minutes=slot_minutes)
    first_day = window_start.astimezone(zone).date()
    last_day = window_end.astimezone(zone).date()
    starts: dict[datetime, datetime] = {}
    for span_start, span_end in opening_spans(schedule, first_day, last_day):
        start = span_start
        while start + step <= span_end:
            if window_start <= start < window_end:
                # Overlapping spans (an overnight span and the next day's) may both yield a
                # start; keep the longest-lived one, once.
                starts[start] = max(starts.get(start, start), start + step)
            start += step
    return [Window(s.astimezone(zone), e.astimezone(zone)) for s, e in sorted(starts.items())]


def local_day(instant: datetime, schedule: StoreSchedule) -> date:
    return instant.astimezone(schedule.zone).date()


def horizon_end(schedule: StoreSchedule, now: datetime, days_ahead: int) -> datetime:
    """First instant that is no longer bookable: local midnight after the last bookable day."""
    last = local_day(now, schedule) + timedelta(days=days_ahead)
    return _instant(last, time(0, 0), schedule.zone)


def day_start(schedule: StoreSchedule, local: date) -> datetime:
    return _instant(local, time(0, 0), schedule.zone)

