"""The hot path of deliveryOptions / servingStore: the nearest k stores of a point, their
innermost covering zone, fee, ETA, express flag and reasons, from data precomputed once per
index build.

It answers exactly what the straightforward composition answers --
`InMemoryGeoIndex.nearest_stores` + `zone_hits_for_stores` + one `StoreCandidate` per store
+ `geo.delivery_options.delivery_options` (see `reference_delivery_options`, kept as the
specification and as the fallback for unusual data) -- and `TenantGeoIndex.matches` over the
nearest stores (`reference_matches`). tests/geo/test_nearest_options.py compares both ways
on random data, including zone boundaries.

Where the time went before (10,000 stores, 20,000 polygon zones, nearest 30): per store a
frozen dataclass or two (~2-3 us each on the bench VM), `replace()` of zones, a second and
third haversine, a second zone check (GEOS for polygons), `is_open_at` (~2.7 us: ZoneInfo
conversion per store) and `estimate_eta`'s validation. Here, per call: one nearest query,
one local-time conversion per timezone, and per store a few float operations:

* zones are tested per store in rank order (innermost first) and the first hit wins, so a
  store's tier 1 usually decides with one comparison; tier 2 is looked at only when needed;
* the great-circle distance is computed once per store with the store's radians and
  cos(lat) precomputed (the same float operations as `haversine_m`, so the same value;
  haversine_m is symmetric bit for bit, which the test checks) and reused for the road
  distance and the radius re-check;
* "open now" is memoised per store per local minute: business hours are whole minutes, so
  the answer cannot change within one (`is_open_at` is still what computes it);
* results are built only for the options returned (`limit`), and result dataclasses are
  filled without their generated __init__ (`_new_frozen`), which is most of their cost.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from geo.coordinates import LonLat
from geo.delivery_options import (
    DEFAULT_EXPRESS_MAX_ROAD_M,
    DEFAULT_EXPRESS_PROMISE_MINUTES,
    SAME_CITY_DELIVERY,
    DeliveryOption,
    NaiveDatetimeError,
    StoreCandidate,
    StoreStatus,
    UnavailableReason,
    delivery_options,
    is_open_at,
)
from geo.distance import EARTH_RADIUS_M, DetourFactorDistance, RoadDistanceProvider
from geo.eta import CitySpeedProfile, speed_kmh_for
from geo.fees import BasePlusPerKmFee, DistanceBandFee
from geo import zone_lookup
from geo.zones import innermost_order
from geo.zone_lookup import ZoneMatch

if TYPE_CHECKING:  # pragma: no cover
    from geo.index_cache import TenantGeoIndex

ExpressPolicies = Mapping[int, tuple[bool, frozenset[int]]]  # delivery.promise.express_policies
NO_EXPRESS: tuple[bool, frozenset[int]] = (False, frozenset())

_TWO_R = 2.0 * EARTH_RADIUS_M
_RADIANS = math.pi / 180.0  # math.radians(x) is x * (pi / 180): the same double
_INF = math.inf
_R_OUTSIDE = UnavailableReason.OUTSIDE_ZONE
_R_SUSPENDED = UnavailableReason.STORE_SUSPENDED
_R_CLOSED = UnavailableReason.STORE_CLOSED
_R_NOT_OFFERED = UnavailableReason.DELIVERY_NOT_OFFERED
_R_NO_FEE = UnavailableReason.NO_FEE_FOR_DISTANCE
_R_EXPRESS_DISABLED = UnavailableReason.EXPRESS_DISABLED
_R_TOO_FAR = UnavailableReason.TOO_FAR_FOR_EXPRESS
_R_TOO_SLOW = UnavailableReason.EXPRESS_TOO_SLOW
_new_object = object.__new__
_floor = math.floor
_MISSING = object()
_FEE_MEMO_MAX = 200_000
_MEMO_RULES = (DistanceBandFee, BasePlusPerKmFee)


def _new_frozen(cls: type, template: dict[str, Any], values: dict[str, Any]) -> Any:
    """An instance of the frozen dataclass `cls` with fields template | values, without
    running the generated __init__ (one object.__setattr__ per field, ~2-3 us). Only for
    dataclasses without __post_init__; equality, hashing and repr read the same attributes.
    `template` holds every field in declaration order, so vars() matches a normal instance."""
    obj = _new_object(cls)
    state = obj.__dict__
    state.update(template)
    state.update(values)
    return obj


def _field_template(cls: type) -> dict[str, Any]:
    assert not hasattr(cls, "__post_init__"), f"{cls.__name__} validates in __post_init__; construct it normally"
    return {f.name: None for f in fields(cls)}


_OPTION_TEMPLATE = _field_template(DeliveryOption)
_MATCH_TEMPLATE = _field_template(ZoneMatch)


class Nearest(NamedTuple):
    point: LonLat
    k: int
    positions: list[int]  # store positions in the InMemoryGeoIndex, nearest first
    chord2: list[float]
    store_ids: list[int]




class NearestOptions:
    """Per-index precomputed store and zone data; built lazily by TenantGeoIndex."""

    def __init__(self, tenant_index: TenantGeoIndex):
        self.tenant_index = tenant_index
        index = tenant_index.index
        zones = tenant_index.zones
        self._zones = zones
        stores = tenant_index.store_list
        self._stores = stores
        self._store_ids = [s.id for s in stores]
        self._store_id_text = [str(s.id) for s in stores]
        self._lon = [s.location.lon for s in stores]
        self._lat_r = [s.location.lat * _RADIANS for s in stores]
        self._cos_lat = [math.cos(v) for v in self._lat_r]
        # Each store's zones in deciding order (geo.zones.innermost_order): the first hit wins.
        self._zone_order: list[list[int]] = [
            sorted(index.zone_positions_of_store(position), key=lambda z: innermost_order(zones[z]))
            for position in range(len(stores))
        ]
        # Stores whose data the fast path does not model (an unknown status, a bad
        # preparation time) send the whole call through the reference path, so errors and
        # answers stay exactly those of delivery_options.
        self._status: list[StoreStatus | None] = []
        self._delivers: list[bool] = []
        for s in stores:
            try:
                status: StoreStatus | None = StoreStatus(s.status)
            except ValueError:
                status = None
            prep = s.prep_minutes
            if isinstance(prep, bool) or not isinstance(prep, (int, float)) or not math.isfinite(prep) or prep < 0:
                status = None
            self._status.append(status)
            types = frozenset(str(getattr(t, "value", t)) for t in s.fulfilment_types)
            self._delivers.append(SAME_CITY_DELIVERY in types)
        self._open_memo: list[tuple[tuple[int, int, int], bool] | None] = [None] * len(stores)
        # Constant ZoneMatch fields per zone (~0.5 KB each), built here rather than on a
        # zone's first use, which would land in request latency after every rebuild.
        self._match_templates: list[dict[str, Any] | None] = [
            {
                **_MATCH_TEMPLATE, "store_id": int(zone.store_id), "zone_id": int(zone.id) if zone.id.isdigit() else None,
                "tier": zone.tier, "zone_name": zone.name, "express_allowed": zone.express_allowed,
            }
            if zone.store_id.isdigit() else None  # (a non-numeric store id: built on use, raising as match_for would)
            for zone in zones
        ]
        # Fee per (rule, whole metres): both built-in rules price whole_metres(road) only.
        # Equal rules share a key, so a chain with a handful of fee schedules keeps a small
        # memo; it stops growing at _FEE_MEMO_MAX entries.
        rule_keys: dict[Any, int] = {}
        self._fee_key: list[int] = []  # -1: not memoisable, call fee_fen
        for zone in zones:
            rule = zone.fee_rule
            if type(rule) in _MEMO_RULES:
                self._fee_key.append(rule_keys.setdefault(rule, len(rule_keys)) << 40)
            else:
                self._fee_key.append(-1)
        self._fee_memo: dict[int, int | None] = {}

    def _fee(self, zi: int, zone, road_m: float) -> int | None:
        """zone.fee_rule.fee_fen(road_m), memoised per whole metre (see __init__)."""
        base = self._fee_key[zi]
        if base < 0 or type(road_m) is not float or not 0.0 <= road_m < 1e12:  # (not NaN, not inf)
            return zone.fee_rule.fee_fen(road_m)
        key = base | int(_floor(road_m + 0.5))  # == whole_metres(road_m)
        memo = self._fee_memo
        fee = memo.get(key, _MISSING)
        if fee is _MISSING:
            fee = zone.fee_rule.fee_fen(road_m)
            if len(memo) < _FEE_MEMO_MAX:
                memo[key] = fee
        return fee

    # --- shared -------------------------------------------------------------------------

    def _haversine(self, point: LonLat, positions: Sequence[int]) -> list[float]:
        """haversine_m(point, store) per position, with the same float operations."""
        lat1 = point.lat * _RADIANS
        cos_lat1 = math.cos(lat1)
        lon1 = point.lon
        lat_r, cos_lat, lons = self._lat_r, self._cos_lat, self._lon
        sin, asin, sqrt = math.sin, math.asin, math.sqrt
        out = []
        for p in positions:
            sin_dlat = sin((lat_r[p] - lat1) / 2.0)
            sin_dlon = sin(((lons[p] - lon1) * _RADIANS) / 2.0)
            h = sin_dlat * sin_dlat + cos_lat1 * cos_lat[p] * sin_dlon * sin_dlon
            out.append(_TWO_R * asin(sqrt(h if h < 1.0 else 1.0)))
        return out

    # --- matches over the nearest stores -------------------------------------------------

    def matches(self, point: LonLat, k: int) -> dict[int, ZoneMatch]:
        """== TenantGeoIndex.matches(point, set(nearest_ids(point, k)))."""
        index = self.tenant_index.index
        positions, chord2, distances = index.nearest_positions(point, k)
        inner = self._zone_order
        hits = index.first_covering_zones(point, chord2, [inner[p] for p in positions])
        road_provider = zone_lookup.ROAD_DISTANCE  # read per call, as match_for does
        detour = road_provider if isinstance(road_provider, DetourFactorDistance) else None
        zones, stores, templates, fee_of = self._zones, self._stores, self._match_templates, self._fee
        factors: dict[str | None, float] = {}
        out: dict[int, ZoneMatch] = {}
        for j, zi in enumerate(hits):
            if zi < 0:
                continue
            zone = zones[zi]
            store = stores[positions[j]]
            distance = distances[j]
            if detour is not None:
                city = store.city
                factor = factors.get(city)
                if factor is None:
                    factor = factors[city] = detour.factor_for(city)
                road = distance * factor
            else:
                road = road_provider.road_distance_m(store.location, point)
            fee = fee_of(zi, zone, road)
            if fee is None:
                continue
            template = templates[zi]
            if template is None:
                template = templates[zi] = {
                    **_MATCH_TEMPLATE, "store_id": int(zone.store_id), "zone_id": int(zone.id) if zone.id.isdigit() else None,
                    "tier": zone.tier, "zone_name": zone.name, "express_allowed": zone.express_allowed,
                }
            match = _new_object(ZoneMatch)  # _new_frozen, inlined
            state = match.__dict__
            state.update(template)
            state["fee_fen"] = fee
            state["distance_m"] = distance
            state["road_distance_m"] = road
            out[store.id] = match
        return out

    def reference_matches(self, point: LonLat, k: int) -> dict[int, ZoneMatch]:
        tenant_index = self.tenant_index
        return tenant_index.matches(point, set(tenant_index.nearest_ids(point, k)))

    # --- delivery options ---------------------------------------------------------------

    def nearest(self, point: LonLat, k: int) -> Nearest:
        """The k nearest stores (what nearest_stores(point, k) returns), for delivery_options."""
        positions, chord2, _ = self.tenant_index.index.nearest_positions(point, k)
        ids = self._store_ids
        return Nearest(point, k, positions, chord2, [ids[p] for p in positions])

    def delivery_options(
        self,
        near: Nearest,
        now: datetime,
        policies: ExpressPolicies,
        *,
        road: RoadDistanceProvider | None = None,
        limit: int | None = None,
        speed_profiles: Mapping[str, CitySpeedProfile] | None = None,
        pad_minutes: float = 5.0,
        pickup_wait_minutes: float = 0.0,
        express_promise_minutes: int = DEFAULT_EXPRESS_PROMISE_MINUTES,
        express_max_road_m: float = DEFAULT_EXPRESS_MAX_ROAD_M,
    ) -> list[DeliveryOption]:
        """== reference_delivery_options(near.point, near.k, ...)[:limit]: the nearest
        stores judged by geo.delivery_options with the express policy of `policies` (store
        id -> (express enabled, express tiers); absent: no express), best first."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise NaiveDatetimeError("now must be timezone-aware")
        road = road or DetourFactorDistance()
        index = self.tenant_index.index
        point, k, positions, chord2 = near.point, near.k, near.positions, near.chord2
        status = self._status
        simple = all(status[p] is not None for p in positions) and all(
            math.isfinite(v) and v >= 0 for v in (pad_minutes, pickup_wait_minutes)
        )
        if not simple:
            return self.reference_delivery_options(
                point, k, now, policies, road=road, limit=limit, speed_profiles=speed_profiles, pad_minutes=pad_minutes,
                pickup_wait_minutes=pickup_wait_minutes, express_promise_minutes=express_promise_minutes,
                express_max_road_m=express_max_road_m,
            )
        distances = self._haversine(point, positions)
        order = self._zone_order
        hits = index.first_covering_zones(point, chord2, [order[p] for p in positions], sphere_m=distances)
        detour = road if isinstance(road, DetourFactorDistance) else None
        zones, stores, memo, fee_of = self._zones, self._stores, self._open_memo, self._fee
        store_ids, id_text = self._store_ids, self._store_id_text
        local_by_tz: dict[str, tuple[tuple[int, int, int], int]] = {}
        factors: dict[str | None, float] = {}
        speeds: dict[tuple[str | None, int], float] = {}
        ceil = math.ceil
        rows = []
        for j, p in enumerate(positions):
            store = stores[p]
            distance = distances[j]
            city = store.city
            if detour is not None:
                factor = factors.get(city)
                if factor is None:
                    factor = factors[city] = detour.factor_for(city)
                road_m = distance * factor  # == haversine_m(store, point) * factor
            else:
                road_m = road.road_distance_m(store.location, point)
                if not math.isfinite(road_m) or road_m < 0:  # estimate_eta's check
                    raise ValueError(f"road_distance_m must be finite and non-negative, got {road_m!r}")
            tz = store.timezone
            local = local_by_tz.get(tz)
            if local is None:
                wall = now.astimezone(ZoneInfo(tz))
                local = local_by_tz[tz] = ((wall.weekday(), wall.hour, wall.minute), wall.hour)
            minute_key, local_hour = local
            speed = speeds.get((city, local_hour))
            if speed is None:
                speed = speeds[(city, local_hour)] = speed_kmh_for(city, local_hour, speed_profiles)
                if not math.isfinite(speed) or speed <= 0:  # estimate_eta's check
                    raise ValueError(f"speed_kmh must be positive, got {speed!r}")
            # Store rules 2 (status, hours, fulfilment) as a tuple of reasons, memoised per
            # store and local minute (hours are whole minutes: nothing changes within one).
            cached = memo[p]
            if cached is not None and cached[0] == minute_key:
                store_reasons = cached[1]
            else:
                store_reasons = self._store_reasons(p, now)
                memo[p] = (minute_key, store_reasons)

            zi = hits[j]
            zone = zones[zi] if zi >= 0 else None
            fee = fee_of(zi, zone, road_m) if zone is not None else None
            if zone is None or fee is None or store_reasons:
                if zone is None:
                    reasons = [_R_OUTSIDE, *store_reasons]
                else:
                    reasons = list(store_reasons)
                    if fee is None:
                        reasons.append(_R_NO_FEE)
                # Not serviceable: no ETA, fee or express shown (their inputs are checked above).
                rows.append(((True, True, _INF, _INF, distance, id_text[p]), zone, None, None, False, distance, road_m, reasons))
                continue
            # geo.eta.estimate_eta, same operations in the same order (inputs checked above).
            eta = max(0, ceil(store.prep_minutes + pickup_wait_minutes + road_m / 1000.0 / speed * 60.0 + pad_minutes - 1e-9))
            reasons = []
            enabled, tiers = policies.get(store_ids[p], NO_EXPRESS)
            if not enabled or not (zone.express_allowed and zone.tier in tiers):
                reasons.append(_R_EXPRESS_DISABLED)
            if road_m > express_max_road_m:
                reasons.append(_R_TOO_FAR)
            if eta > express_promise_minutes:
                reasons.append(_R_TOO_SLOW)
            express = not reasons
            rows.append(((False, not express, eta, fee, distance, id_text[p]), zone, fee, eta, express, distance, road_m, reasons))
        rows.sort(key=lambda row: row[0])
        if limit is not None:
            rows = rows[:limit]
        out = []
        for (unserviceable, _, _, _, distance, sid), zone, fee, eta, express, _, road_m, reasons in rows:
            serviceable = not unserviceable
            out.append(_new_frozen(DeliveryOption, _OPTION_TEMPLATE, {
                "store_id": sid, "serviceable": serviceable, "tier": zone.tier if zone else None,
                "zone_id": zone.id if zone else None, "fee_fen": fee if serviceable else None,
                "eta_minutes": eta if serviceable else None, "express_possible": express, "distance_m": distance,
                "road_distance_m": road_m, "reasons": tuple(reasons),
            }))
        return out

    def _store_reasons(self, position: int, now: datetime) -> tuple[UnavailableReason, ...]:
        """Rule 2 of geo.delivery_options for one store at `now`, in its order."""
        status = self._status[position]
        reasons = []
        if status is StoreStatus.SUSPENDED:
            reasons.append(_R_SUSPENDED)
        elif status is StoreStatus.CLOSED:
            reasons.append(_R_CLOSED)
        else:
            store = self._stores[position]
            if not is_open_at(store.business_hours, store.timezone, now):
                reasons.append(_R_CLOSED)
        if not self._delivers[position]:
            reasons.append(_R_NOT_OFFERED)
        return tuple(reasons)

    def reference_candidates(self, point: LonLat, k: int, policies: ExpressPolicies) -> list[StoreCandidate]:
        """What resolvers.geo_queries._candidates built before this module existed."""
        tenant_index = self.tenant_index
        ids = [s for s, _ in tenant_index.index.nearest_stores(point, k)]
        zones_by_store: dict[int, list] = {int(s): [] for s in ids}
        for zone in tenant_index.index.zone_hits_for_stores(point, ids).zones:
            zones_by_store[int(zone.store_id)].append(zone)
        out = []
        for store_id, zones in zones_by_store.items():
            s = tenant_index.stores[store_id]
            enabled, tiers = policies.get(store_id, NO_EXPRESS)
            out.append(
                StoreCandidate(
                    store_id=str(s.id), location=s.location, timezone=s.timezone, business_hours=s.business_hours,
                    status=s.status, prep_minutes=s.prep_minutes, fulfilment_types=frozenset(s.fulfilment_types),
                    zones=[z if z.tier in tiers else replace(z, express_allowed=False) for z in zones],
                    express_enabled=enabled, city=s.city,
                )
            )
        return out

    def reference_delivery_options(
        self, point: LonLat, k: int, now: datetime, policies: ExpressPolicies, *, limit: int | None = None, **options: Any
    ) -> list[DeliveryOption]:
        result = delivery_options(point, self.reference_candidates(point, k, policies), now, **options)
        return result if limit is None else result[:limit]
