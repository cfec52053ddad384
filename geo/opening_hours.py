"""A store's opening hours: parsing "HH:MM" spans per weekday (spans may cross midnight, "24:00"
ends the day) and whether the store is open at an instant in its own timezone.

Kept apart from geo.delivery_options so checkout, slots and store queries can ask "is it open?"
without reaching into the delivery-options code.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

BusinessHours = Mapping[int | str, Sequence[Sequence[str]]]


class NaiveDatetimeError(ValueError):
    """A datetime without tzinfo: 'open at 09:00' is meaningless without a zone."""


def _parse_hhmm(text: str, *, allow_24: bool) -> time | None:
    """'HH:MM' -> time; '24:00' -> None (end of day) when allowed."""
    # isascii: str.isdigit() is also true of full-width "０８" (stored as typed, then shown or
    # parsed by clients as garbage) and of "²" (int() refuses it).
    if not isinstance(text, str) or len(text) != 5 or text[2] != ":" or not (text[:2] + text[3:]).isdigit() or not text.isascii():
        raise ValueError(f"time must be 'HH:MM', got {text!r}")
    hours, minutes = int(text[:2]), int(text[3:])
    if allow_24 and hours == 24 and minutes == 0:
        return None
    if hours > 23 or minutes > 59:
        raise ValueError(f"time out of range: {text!r}")
    return time(hours, minutes)


@lru_cache(maxsize=4096)
def _parse_interval(open_text: str, close_text: str) -> tuple[time, time | None, bool]:
    """(open, close or None for 24:00, crosses_midnight)."""
    opens = _parse_hhmm(open_text, allow_24=False)
    closes = _parse_hhmm(close_text, allow_24=True)
    assert opens is not None
    if closes is None:
        return opens, None, False
    if closes == opens:
        raise ValueError(f"interval {open_text}-{close_text} is ambiguous; use '00:00'-'24:00' for all day")
    return opens, closes, closes < opens


def _spans(business_hours: BusinessHours, weekday: int) -> Sequence[Sequence[str]]:
    # JSON turns int keys into strings; accept both rather than make every caller convert.
    spans = business_hours.get(weekday)
    if spans is None:
        spans = business_hours.get(str(weekday), ())
    return spans


def is_open_at(business_hours: BusinessHours, tz: str, when: datetime) -> bool:
    """Is the store open at the instant `when` (must be timezone-aware)?"""
    if when.tzinfo is None or when.utcoffset() is None:
        raise NaiveDatetimeError("when must be timezone-aware")
    local = when.astimezone(ZoneInfo(tz))
    wall = local.time().replace(tzinfo=None)
    today = local.weekday()
    for open_text, close_text in _spans(business_hours, today):
        opens, closes, crosses = _parse_interval(open_text, close_text)
        if closes is None or crosses:
            if wall >= opens:
                return True
        elif opens <= wall < closes:
            return True
    yesterday = (local - timedelta(days=1)).weekday()
    for open_text, close_text in _spans(business_hours, yesterday):
        _, closes, crosses = _parse_interval(open_text, close_text)
        if crosses and closes is not None and wall < closes:
            return True
    return False


def validate_business_hours(business_hours: BusinessHours) -> None:
    """Raise ValueError on a malformed schedule (call at write time, not per request)."""
    for weekday, intervals in business_hours.items():
        if weekday not in range(7) and weekday not in {str(d) for d in range(7)}:
            raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {weekday!r}")
        for span in intervals:
            if len(span) != 2:
                raise ValueError(f"weekday {weekday!r}: a span must be [open, close]")
            _parse_interval(span[0], span[1])
