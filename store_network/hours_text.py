"""Opening hours written as text, for CSV files and the CLI: "mon-sun 08:00-22:00".

    mon-fri 08:00-22:00; sat,sun 09:00-12:00,14:00-23:00
    daily 00:00-24:00          (also: "24h")
    mon-sun 22:00-02:00        (a close before the open ends the next day)

Segments are separated by ";"; each names days (ranges with "-", lists with ",", or "daily")
and one or more spans. Days named nowhere are closed. The result is the stored JSON shape
(geo.opening_hours), checked by store_network.store_fields.business_hours.
"""
from __future__ import annotations

from core.errors import DomainError
from store_network import store_fields
from store_network.errors import NetworkErrorCode as Codes

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _days(text: str, field: str) -> list[int]:
    if text == "daily":
        return list(range(7))
    out: list[int] = []
    for part in text.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise DomainError(Codes.INVALID_HOURS, f"unknown day {part!r}: use mon..sun, ranges (mon-fri) or daily", field)
        start, end = DAYS.index(first), DAYS.index(last or first)
        if end < start:
            raise DomainError(Codes.INVALID_HOURS, f"day range {part!r} runs backwards", field)
        out.extend(range(start, end + 1))
    return out


def parse_hours(text: str, field: str = "hours") -> dict[str, list[list[str]]]:
    raw = " ".join((text or "").lower().split())
    if not raw:
        raise DomainError(Codes.REQUIRED, "hours are required, e.g. 'mon-sun 08:00-22:00'", field)
    if raw == "24h":
        raw = "daily 00:00-24:00"
    spans: list[tuple[int, str, str]] = []
    for segment in filter(None, (s.strip() for s in raw.split(";"))):
        days, _, times = segment.partition(" ")
        if not times:
            raise DomainError(Codes.INVALID_HOURS, f"{segment!r}: expected days then spans, e.g. 'mon-sun 08:00-22:00'", field)
        for span in times.replace(" ", "").split(","):
            opens, sep, closes = span.partition("-")
            if not sep:
                raise DomainError(Codes.INVALID_HOURS, f"span {span!r}: expected HH:MM-HH:MM", field)
            spans.extend((day, opens, closes) for day in _days(days, field))
    return store_fields.business_hours(spans, field)
