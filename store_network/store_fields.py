"""What each store setting may be, checked the same way by storeCreate, storeUpdate and
storesImport. Every check raises DomainError(code, message, field) naming the input field."""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from core.errors import DomainError
from geo.coordinates import CoordinateSystem, LonLat, input_point
from geo.errors import GeoInputError
from geo.opening_hours import validate_business_hours
from store_network.errors import NetworkErrorCode as Codes

# commerce.order_status.FulfilmentType's values: store_network sits below commerce
# (tests/store_network/test_store_fields.py checks they agree).
FULFILMENT_TYPES = ("SAME_CITY_DELIVERY", "STORE_PICKUP", "EXPRESS_PARCEL")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$")


def code(raw: str, field: str = "code") -> str:
    value = (raw or "").strip()
    if not _CODE.match(value):
        raise DomainError(Codes.INVALID, "code: 1-32 of A-Z a-z 0-9 _ -, starting with a letter or digit", field)
    return value


# Control characters (C0, DEL, C1) and the Unicode line/paragraph separators: a name is one line
# of text. A CR inside a store name split a CSV export's row in a spreadsheet (a formula cell
# of its own), and a bidi override or a NEL makes a name render as something else.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def text(raw: str | None, field: str, max_len: int, *, required: bool = True) -> str:
    value = (raw or "").strip()
    if required and not value:
        raise DomainError(Codes.REQUIRED, f"{field} is required", field)
    if _CONTROL.search(value):
        raise DomainError(Codes.INVALID, f"{field} must be one line of text, without control characters", field)
    if len(value) > max_len:
        raise DomainError(Codes.INVALID, f"{field} is longer than {max_len} characters", field)
    return value


def location(lon: object, lat: object, system: str | CoordinateSystem = CoordinateSystem.WGS84, field: str = "location") -> LonLat:
    """The point as stored (WGS-84), converted from the client's map system (geo.coordinates)."""
    try:
        system = CoordinateSystem(system)
    except ValueError:
        raise DomainError(Codes.INVALID_LOCATION, "system must be WGS84, GCJ02 or BD09", field) from None
    try:
        return input_point(lon, lat, system, field)
    except (GeoInputError, TypeError, ValueError) as exc:
        raise DomainError(Codes.INVALID_LOCATION, getattr(exc, "message", None) or f"{field}: not a valid point", field) from None


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone(raw: str, field: str = "timezone") -> str:
    """An IANA name (Asia/Shanghai). Only names of the tz database: ZoneInfo alone would also
    accept a path-like key that happens to be a file."""
    value = (raw or "").strip()
    if value not in _zones():
        raise DomainError(Codes.INVALID_TIMEZONE, f"{value[:64]!r} is not an IANA timezone name (e.g. Asia/Shanghai)", field)
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise DomainError(Codes.INVALID_TIMEZONE, f"{value[:64]!r} is not an IANA timezone name", field) from None
    return value


def business_hours(spans: Iterable[tuple[int, str, str]], field: str = "businessHours") -> dict[str, list[list[str]]]:
    """(weekday 0=Mon, opens "HH:MM", closes "HH:MM" or "24:00") -> the stored JSON shape
    (geo.opening_hours). A weekday without spans is closed all day."""
    hours: dict[str, list[list[str]]] = {}
    for weekday, opens, closes in spans:
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise DomainError(Codes.INVALID_HOURS, "weekday must be 0 (Monday) .. 6 (Sunday)", field)
        hours.setdefault(str(weekday), []).append([opens, closes])
    if sum(len(v) for v in hours.values()) > 7 * 6:
        raise DomainError(Codes.INVALID_HOURS, "at most 6 spans a day", field)
    try:
        validate_business_hours(hours)
    except ValueError as exc:
        raise DomainError(Codes.INVALID_HOURS, str(exc), field) from None
    return hours


def stored_hours(hours: Mapping) -> dict[str, list[list[str]]]:
    return {str(k): [list(span) for span in v] for k, v in hours.items()}


def prep_minutes(value: int, field: str = "prepMinutes") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 240:
        raise DomainError(Codes.INVALID, "prepMinutes must be between 0 and 240", field)
    return value


def delivery_radius(value: int, field: str = "deliveryRadiusMeters") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 20_000:
        raise DomainError(Codes.INVALID, "deliveryRadiusMeters must be 100-20000", field)
    return value


def fulfilment_types(values: Iterable[str], field: str = "fulfilmentTypes") -> list[str]:
    chosen = []
    for value in values:
        value = str(getattr(value, "value", value))
        if value not in FULFILMENT_TYPES:
            raise DomainError(Codes.INVALID, f"fulfilment type must be one of {', '.join(FULFILMENT_TYPES)}", field)
        if value not in chosen:
            chosen.append(value)
    if not chosen:
        raise DomainError(Codes.REQUIRED, "a store offers at least one fulfilment type", field)
    return chosen
