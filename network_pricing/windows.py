"""When a time price is active: pure functions of the moment, the store's timezone and the row.

A daily window is [start, end) in minutes after the store's local midnight; an end before the
start runs across midnight (22:00-02:00). A date range is [starts_at, ends_at) in absolute time.
Both given: both must hold.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from core.clock import require_aware

MINUTES_PER_DAY = 24 * 60


def local_minute(at: datetime, timezone: str) -> int:
    local = require_aware(at, "at").astimezone(ZoneInfo(timezone))
    return local.hour * 60 + local.minute


def in_daily_window(minute: int, start: int, end: int) -> bool:
    if start < end:
        return start <= minute < end
    return minute >= start or minute < end  # across midnight


def is_active(at: datetime, timezone: str, *, start_minute: int | None, end_minute: int | None,
              starts_at: datetime | None, ends_at: datetime | None, ended_at: datetime | None) -> bool:
    if ended_at is not None and ended_at <= at:
        return False
    if starts_at is not None and at < starts_at:
        return False
    if ends_at is not None and at >= ends_at:
        return False
    if start_minute is None:
        return True
    return in_daily_window(local_minute(at, timezone), start_minute, end_minute)


def parse_hhmm(raw: str) -> int:
    """'20:00' -> 1200; '24:00' is not a time of day (use 00:00)."""
    hours, sep, minutes = raw.partition(":")
    if not sep or not hours.isdigit() or not minutes.isdigit() or len(minutes) != 2 or len(hours) > 2:
        raise ValueError(f"{raw!r} is not HH:MM")
    h, m = int(hours), int(minutes)
    if h > 23 or m > 59:
        raise ValueError(f"{raw!r} is not a time of day")
    return h * 60 + m


def format_hhmm(minute: int | None) -> str | None:
    return None if minute is None else f"{minute // 60:02d}:{minute % 60:02d}"


def percent_off(current_fen: int, percent: int) -> int:
    """The price after `percent` off, rounded half up to the fen."""
    return (current_fen * (100 - percent) + 50) // 100
