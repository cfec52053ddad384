"""Which stores can deliver to a point right now, at what tier, fee and ETA.

Pure functions over plain data: the caller (resolver) gathers candidate stores -- usually
from `GeoIndex.zone_hits` -- plus their hours/status, and passes `now`. Nothing here reads
a clock, a database or the network, so every rule is unit-testable.

Rules, in the order they are reported in `reasons`:
1. Zone: the lowest tier among the store's zones that cover the point (boundary
   inclusive). None -> OUTSIDE_ZONE.
2. Store: PAUSED -> STORE_SUSPENDED; CLOSED, OPENING_SOON, or OPEN but outside business
   hours at `now` -> STORE_CLOSED (store_network.lifecycle: only OPEN trades); SAME_CITY_DELIVERY not among its fulfilment types ->
   DELIVERY_NOT_OFFERED.
3. Fee: the tier's fee rule on the estimated road distance; None -> NO_FEE_FOR_DISTANCE.
4. Express, i.e. the 30-minute promise on same-city delivery (only judged if deliverable):
   the store has express enabled and the tier allows it, else EXPRESS_DISABLED; road distance <= express_max_road_m, else TOO_FAR_FOR_EXPRESS;
   ETA <= express_promise_minutes, else EXPRESS_TOO_SLOW.
`serviceable` is True iff no reason from 1-3 applies; express reasons never make a store
unserviceable, they only clear `express_possible`.

Business hours: {weekday: [("HH:MM", "HH:MM"), ...]} in the store's local wall-clock time,
weekday 0 = Monday (Python's convention). Keys may also be the strings "0".."6" and spans
lists, which is what the JSON column round-trips to. Each interval is [open, close). A close at or
before the open ("22:00"-"02:00") runs past midnight into the next day; "24:00" is allowed
as a close. An interval belongs to the day it opens on, so Saturday's 22:00-02:00 covers
Sunday 01:30. Because comparisons are on wall-clock time after converting `when` to the
store's zone, DST changes need no special casing (on a spring-forward night 02:30 never
occurs; on fall-back night 01:30 occurs twice and is open both times if covered).
"""
from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from zoneinfo import ZoneInfo

from geo.coordinates import LonLat
# Opening hours live in geo.opening_hours (checkout and slots read them without the delivery
# options); re-exported here for the callers that import them from this module.
from geo.opening_hours import (  # noqa: F401
    BusinessHours,
    NaiveDatetimeError,
    _parse_interval,
    _spans,
    is_open_at,
    validate_business_hours,
)
from geo.distance import DetourFactorDistance, RoadDistanceProvider, haversine_m
from geo.eta import CitySpeedProfile, estimate_eta, speed_kmh_for
from geo.zones import DeliveryZone, innermost_order


# Hema's "30 minutes within 3 km" is the public benchmark for express promises.
DEFAULT_EXPRESS_PROMISE_MINUTES = 30
DEFAULT_EXPRESS_MAX_ROAD_M = 3000.0
DEFAULT_ROAD: RoadDistanceProvider = DetourFactorDistance()  # haversine x 1.3 (geo.distance)


class StoreStatus(str, Enum):
    """store_network.lifecycle.StoreStatus's values (geo keeps its own copy, as it does for
    SAME_CITY_DELIVERY; tests/store_network/test_lifecycle.py checks they agree)."""

    OPENING_SOON = "OPENING_SOON"  # not trading yet
    OPEN = "OPEN"
    PAUSED = "PAUSED"  # not trading for now (refit, stock-take, compliance hold): reason STORE_SUSPENDED
    CLOSED = "CLOSED"  # for good


# Same string as commerce.order_status.FulfilmentType.SAME_CITY_DELIVERY; geo does not
# import commerce (commerce imports geo). Express is not a fulfilment type: it is a speed
# promise on same-city delivery, switched per store (`express_enabled`) and per tier.
SAME_CITY_DELIVERY = "SAME_CITY_DELIVERY"


class UnavailableReason(str, Enum):
    OUTSIDE_ZONE = "OUTSIDE_ZONE"
    STORE_SUSPENDED = "STORE_SUSPENDED"  # the store is PAUSED (the name predates the lifecycle; clients know it)
    STORE_CLOSED = "STORE_CLOSED"
    DELIVERY_NOT_OFFERED = "DELIVERY_NOT_OFFERED"
    NO_FEE_FOR_DISTANCE = "NO_FEE_FOR_DISTANCE"
    EXPRESS_DISABLED = "EXPRESS_DISABLED"
    TOO_FAR_FOR_EXPRESS = "TOO_FAR_FOR_EXPRESS"
    EXPRESS_TOO_SLOW = "EXPRESS_TOO_SLOW"


# --- delivery options --------------------------------------------------------------------


@dataclass(frozen=True)
class StoreCandidate:
    store_id: str
    location: LonLat
    timezone: str  # IANA name, e.g. "Asia/Shanghai"
    business_hours: BusinessHours
    status: StoreStatus
    prep_minutes: float  # p90 preparation time, not the mean
    # Fulfilment type values, e.g. {"SAME_CITY_DELIVERY", "STORE_PICKUP"}; str-Enum members
    # are accepted and normalised to their values.
    fulfilment_types: frozenset[str]
    # The store's zones: either all of them or those an index says cover the point;
    # coverage is re-checked here, so passing all zones is also correct.
    zones: Sequence[DeliveryZone]
    express_enabled: bool = False
    city: str | None = None

    def __post_init__(self) -> None:
        # The DB column holds plain strings; comparing "PAUSED" with `is` against the
        # enum would silently treat a suspended store as open, so normalise (or raise).
        object.__setattr__(self, "status", StoreStatus(self.status))
        types = frozenset(str(getattr(t, "value", t)) for t in self.fulfilment_types)
        object.__setattr__(self, "fulfilment_types", types)


@dataclass(frozen=True)
class DeliveryOption:
    store_id: str
    serviceable: bool
    tier: int | None
    zone_id: str | None
    fee_fen: int | None
    eta_minutes: int | None
    express_possible: bool
    distance_m: float  # great-circle, point to store
    road_distance_m: float  # estimate used for fee and ETA
    reasons: tuple[UnavailableReason, ...] = field(default=())


def delivery_options(
    point: LonLat,
    candidates: Sequence[StoreCandidate],
    now: datetime,
    *,
    road: RoadDistanceProvider | None = None,
    speed_profiles: Mapping[str, CitySpeedProfile] | None = None,
    pad_minutes: float = 5.0,
    pickup_wait_minutes: float = 0.0,
    express_promise_minutes: int = DEFAULT_EXPRESS_PROMISE_MINUTES,
    express_max_road_m: float = DEFAULT_EXPRESS_MAX_ROAD_M,
) -> list[DeliveryOption]:
    """One DeliveryOption per candidate, best first (serviceable, express, eta, fee, distance).

    `road` defaults to DEFAULT_ROAD (haversine x 1.3); the resolvers pass geo.zone_lookup's.
    `pad_minutes` defaults to 5: a tail pad on top of p90 prep and the ride estimate.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise NaiveDatetimeError("now must be timezone-aware")
    road = road or DEFAULT_ROAD
    options = [
        _option_for(
            point, c, now, road, speed_profiles, pad_minutes, pickup_wait_minutes, express_promise_minutes, express_max_road_m
        )
        for c in candidates
    ]
    options.sort(key=_option_rank)
    return options


def _option_for(
    point: LonLat,
    c: StoreCandidate,
    now: datetime,
    road: RoadDistanceProvider,
    speed_profiles: Mapping[str, CitySpeedProfile] | None,
    pad_minutes: float,
    pickup_wait_minutes: float,
    express_promise_minutes: int,
    express_max_road_m: float,
) -> DeliveryOption:
    reasons: list[UnavailableReason] = []
    distance = haversine_m(point, c.location)
    road_m = road.road_distance_m(c.location, point, c.city)
    covering = [z for z in c.zones if z.store_id == c.store_id and z.covers(point, c.location)]
    zone = min(covering, key=innermost_order) if covering else None
    if zone is None:
        reasons.append(UnavailableReason.OUTSIDE_ZONE)

    if c.status is StoreStatus.PAUSED:
        reasons.append(UnavailableReason.STORE_SUSPENDED)
    elif c.status is not StoreStatus.OPEN or not is_open_at(c.business_hours, c.timezone, now):
        reasons.append(UnavailableReason.STORE_CLOSED)
    if SAME_CITY_DELIVERY not in c.fulfilment_types:
        reasons.append(UnavailableReason.DELIVERY_NOT_OFFERED)

    fee = zone.fee_rule.fee_fen(road_m) if zone is not None else None
    if zone is not None and fee is None:
        reasons.append(UnavailableReason.NO_FEE_FOR_DISTANCE)

    local_hour = now.astimezone(ZoneInfo(c.timezone)).hour
    speed = speed_kmh_for(c.city, local_hour, speed_profiles)
    eta = estimate_eta(c.prep_minutes, road_m, speed, pad_minutes, pickup_wait_minutes)
    serviceable = not reasons

    express = False
    if serviceable:
        assert zone is not None
        if not c.express_enabled or not zone.express_allowed:
            reasons.append(UnavailableReason.EXPRESS_DISABLED)
        if road_m > express_max_road_m:
            reasons.append(UnavailableReason.TOO_FAR_FOR_EXPRESS)
        if eta > express_promise_minutes:
            reasons.append(UnavailableReason.EXPRESS_TOO_SLOW)
        express = not reasons
    return DeliveryOption(
        store_id=c.store_id,
        serviceable=serviceable,
        tier=zone.tier if zone else None,
        zone_id=zone.id if zone else None,
        fee_fen=fee if serviceable else None,
        eta_minutes=eta if serviceable else None,
        express_possible=express,
        distance_m=distance,
        road_distance_m=road_m,
        reasons=tuple(reasons),
    )


def _option_rank(o: DeliveryOption) -> tuple:
    return (
        not o.serviceable,
        not o.express_possible,
        o.eta_minutes if o.eta_minutes is not None else math.inf,
        o.fee_fen if o.fee_fen is not None else math.inf,
        o.distance_m,
        o.store_id,
    )


# --- serving store -----------------------------------------------------------------------


@dataclass(frozen=True)
class CartLine:
    sku: str
    quantity: int


def choose_serving_store(
    options: Sequence[DeliveryOption],
    cart_lines: Sequence[CartLine | tuple[str, int]],
    stock_by_store: Mapping[str, Mapping[str, int]],
) -> DeliveryOption | None:
    """The best serviceable store that can fulfil the WHOLE cart from its own stock.

    Not merely the nearest: a nearer store missing one SKU loses to a farther one that has
    everything (we do not split a 30-minute order across stores). Ranking among eligible
    stores: express possible first, then ETA, fee, distance, store id. None if no store
    can take the whole cart. Stock here is a read for ranking; the reservation itself must
    still be the atomic conditional UPDATE at checkout.
    """
    needed: dict[str, int] = defaultdict(int)
    for line in cart_lines:
        sku, quantity = (line.sku, line.quantity) if isinstance(line, CartLine) else line
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
            raise ValueError(f"quantity for {sku!r} must be a positive int, got {quantity!r}")
        needed[sku] += quantity  # the same SKU on two lines needs both quantities
    if not needed:
        raise ValueError("cart is empty")

    def has_everything(store_id: str) -> bool:
        stock = stock_by_store.get(store_id, {})
        return all(stock.get(sku, 0) >= qty for sku, qty in needed.items())

    eligible = [o for o in options if o.serviceable and has_everything(o.store_id)]
    return min(eligible, key=_option_rank, default=None)
