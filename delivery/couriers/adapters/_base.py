"""Helpers every adapter shares: units, times, coordinates, constant-time compares, JSON calls."""
from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Mapping
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from core.clock import utc_now
from delivery.couriers.protocol import (
    Ack, CallbackRejected, CourierRefused, RiderInfo, malformed, stale,
)
from delivery.couriers.tokens import TokenCache
from delivery.couriers.transport import HttpResponse, Transport
from geo.coordinates import CoordinateSystem, LonLat, convert, from_wgs84

log = logging.getLogger("qiandian.couriers")


def yuan_to_fen(value: object) -> int:
    """'12.3' / 12.3 / '12.30' yuan -> 1230 fen, exactly (Decimal, never float arithmetic)."""
    try:
        return int((Decimal(str(value)) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    except (InvalidOperation, ValueError) as exc:
        raise malformed(f"not a money amount: {value!r}") from exc


def fen_to_yuan(fen: int) -> float:
    """For partners whose JSON carries yuan numbers: 1230 -> 12.3 (two decimals, exact in repr)."""
    return float(Decimal(int(fen)) / 100)


def fen_to_yuan_str(fen: int) -> str:
    return str((Decimal(int(fen)) / 100).quantize(Decimal("0.01")))


def from_unix(value: object, *, ms: bool = False) -> datetime:
    try:
        number = float(value)
    except (TypeError, ValueError) as exc:
        raise malformed(f"not a timestamp: {value!r}") from exc
    return datetime.fromtimestamp(number / 1000 if ms else number, tz=timezone.utc)


def from_iso(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise malformed(f"not an ISO time: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def check_fresh(stamp: datetime, now: datetime, max_age_s: int) -> None:
    """Refuse a signed timestamp outside ±max_age_s of now (replayed or forged-late)."""
    if abs((now - stamp).total_seconds()) > max_age_s:
        raise stale(f"timestamp {stamp.isoformat()} outside the {max_age_s}s window")


def same(a: str | bytes | None, b: str | bytes | None) -> bool:
    """Constant-time equality (hmac.compare_digest) of two signatures."""
    if a is None or b is None:
        return False
    a_b = a.encode() if isinstance(a, str) else a
    b_b = b.encode() if isinstance(b, str) else b
    return hmac.compare_digest(a_b, b_b)


def to_partner(point: LonLat, system: CoordinateSystem) -> LonLat:
    return from_wgs84(point, system)


def from_partner(lon: object, lat: object, system: CoordinateSystem) -> LonLat | None:
    """A partner's (lon, lat) in `system` back to WGS-84; None when absent or unreadable."""
    try:
        lon_f, lat_f = float(lon), float(lat)
    except (TypeError, ValueError):
        return None
    if lon_f == 0 and lat_f == 0:
        return None
    try:
        return convert(LonLat(lon_f, lat_f), system, CoordinateSystem.WGS84)
    except Exception:  # noqa: BLE001 - a bad rider fix is dropped, never a failed callback
        return None


def parse_json(body: bytes) -> dict:
    try:
        value = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise malformed("body is not JSON") from exc
    if not isinstance(value, dict):
        raise malformed("body is not a JSON object")
    return value


def compact(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def ack_json(value: object, status: int = 200) -> Ack:
    return Ack(status, compact(value).encode())


def rider(name: object = None, phone: object = None, position: LonLat | None = None) -> RiderInfo:
    return RiderInfo(name=str(name) if name else None, phone=str(phone) if phone else None, position=position)


class AdapterBase:
    """Credentials, transport, base URL and clock for one partner account."""

    name = ""
    required: tuple[str, ...] = ()
    default_base_url = ""
    max_age_s = 900  # signed-timestamp window for callbacks that carry one
    # Callbacks authenticated only by the URL token (no secret signature, or a forgeable one):
    # a terminal state they announce is confirmed by a status query first (service.confirm_weak_terminal).
    weak_callback_auth = False

    def __init__(self, credentials: Mapping[str, str], transport: Transport, base_url: str | None = None, clock=utc_now):
        missing = [key for key in self.required if not credentials.get(key)]
        if missing:
            raise ValueError(f"{self.name} credentials need {', '.join(missing)}")
        self.credentials = credentials
        self.transport = transport
        self.tokens = TokenCache()  # replaced by CourierPartners' process-wide cache (tokens.py)
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.clock = clock

    async def _send(self, method: str, path: str, headers: Mapping[str, str], body: bytes | None) -> HttpResponse:
        return await self.transport.send(method, self.base_url + path, headers, body)

    @staticmethod
    def _json(response: HttpResponse) -> dict:
        try:
            value = json.loads(response.body or b"{}")
        except ValueError as exc:
            raise CourierRefused(f"HTTP {response.status}: not JSON") from exc
        if not isinstance(value, dict):
            raise CourierRefused(f"HTTP {response.status}: unexpected body")
        return value

    def __repr__(self) -> str:  # never print credentials
        return f"<{type(self).__name__} {self.base_url}>"


__all__ = [
    "AdapterBase", "CallbackRejected", "CourierRefused", "ack_json", "check_fresh", "compact", "fen_to_yuan",
    "fen_to_yuan_str", "from_iso", "from_partner", "from_unix", "log", "malformed", "parse_json", "rider", "same",
    "to_partner", "yuan_to_fen",
]
