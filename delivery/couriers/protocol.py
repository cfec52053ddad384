"""The courier adapter protocol: what every partner adapter does, in our own units.

Everything crossing this boundary is in our units: money in integer fen (or the currency's
minor unit), times timezone-aware UTC, points WGS-84 (`geo.coordinates.LonLat`). Each adapter
converts to and from its partner's units, time resolution and coordinate system.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from delivery.couriers.states import CancelledBy, DeliveryState
from geo.coordinates import LonLat


class CourierError(Exception):
    code = "COURIER_ERROR"


class CourierRefused(CourierError):
    """The partner answered and said no (bad address, out of range, not cancellable...)."""

    code = "COURIER_REFUSED"


class CourierTimeout(CourierError):
    """No answer: the request may or may not have taken effect (query, never blindly repeat)."""

    code = "COURIER_TIMEOUT"


class CallbackRejected(Exception):
    """A webhook call we refuse; `http_status` goes back to the caller, nothing is recorded."""

    http_status = 401
    kind = "SIGNATURE_INVALID"

    def __init__(self, detail: str, *, kind: str | None = None, http_status: int | None = None):
        super().__init__(detail)
        self.detail = detail
        if kind:
            self.kind = kind
        if http_status:
            self.http_status = http_status


def stale(detail: str) -> CallbackRejected:
    return CallbackRejected(detail, kind="STALE_TIMESTAMP", http_status=401)


def malformed(detail: str) -> CallbackRejected:
    return CallbackRejected(detail, kind="MALFORMED", http_status=400)


@dataclass(frozen=True)
class Stop:
    name: str
    phone: str
    address: str
    point: LonLat  # WGS-84
    city: str = ""


@dataclass(frozen=True)
class DeliveryRequest:
    """One courier job. `merchant_order_id` is ours, unique, and goes to the partner as its
    merchant/origin order id so a repeated create is recognised (idempotency)."""

    merchant_order_id: str
    pickup: Stop
    dropoff: Stop
    goods_value_fen: int
    weight_g: int = 1000
    tip_fen: int = 0
    note: str = ""
    currency: str = "CNY"
    quote_token: str | None = None  # the partner's quote id when creating from a quote
    callback_url: str = ""


@dataclass(frozen=True)
class Quote:
    provider: str
    fee_fen: int
    eta_s: int | None = None
    distance_m: int | None = None
    quote_token: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Created:
    partner_order_id: str
    fee_fen: int | None = None


@dataclass(frozen=True)
class Cancelled:
    deduct_fen: int = 0


@dataclass(frozen=True)
class RiderInfo:
    name: str | None = None
    phone: str | None = None
    position: LonLat | None = None  # WGS-84


@dataclass(frozen=True)
class StatusReport:
    """What a status query returned; `state` None = the partner does not know the order."""

    state: DeliveryState | None
    partner_order_id: str | None = None
    raw_code: str = ""
    rider: RiderInfo = field(default_factory=RiderInfo)
    fee_fen: int | None = None


@dataclass(frozen=True)
class CourierEvent:
    """One parsed, authenticated callback, in our terms.

    `event_key` identifies the partner's event (its event id, or order+status+time) and is
    what makes a duplicate a no-op. `state` None with `known` True: an event that moves no
    state (a position update, an exception flag). `known` False: a code we do not map --
    logged and acknowledged, never applied.
    """

    event_key: str
    merchant_order_id: str | None
    partner_order_id: str | None
    raw_code: str
    state: DeliveryState | None
    occurred_at: datetime | None
    rider: RiderInfo = field(default_factory=RiderInfo)
    exception: bool = False
    cancelled_by: CancelledBy | None = None
    reason: str = ""
    fee_fen: int | None = None
    deduct_fen: int | None = None
    known: bool = True
    advance_only: bool = False  # ours (e.g. "created"): may never be read as a reassignment
    keeps_tracking: bool = False  # ours: a cancel the cascade follows with the next partner (tracking goes on)


@dataclass(frozen=True)
class Ack:
    status: int
    body: bytes
    media_type: str = "application/json"


@dataclass(frozen=True)
class CallbackRequest:
    """The raw webhook call: verified on these exact bytes."""

    body: bytes
    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, str]
    path: str
    now: datetime


class CourierAdapter(Protocol):
    """One partner, bound to one account's credentials."""

    name: str

    async def quote(self, request: DeliveryRequest) -> Quote: ...

    async def create(self, request: DeliveryRequest) -> Created: ...

    async def cancel(self, merchant_order_id: str, partner_order_id: str | None, reason: str) -> Cancelled: ...

    async def query(self, merchant_order_id: str, partner_order_id: str | None) -> StatusReport: ...

    async def rider_position(self, merchant_order_id: str, partner_order_id: str | None) -> RiderInfo: ...

    def parse_callback(self, call: CallbackRequest) -> list[CourierEvent]:
        """Verify (constant time, raw bytes) and parse; raise CallbackRejected."""
        ...

    def ack(self) -> Ack:
        """The partner's own 'received' answer."""
        ...
