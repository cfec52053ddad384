"""The hot path of deliveryOptions / servingStore: the nearest k stores of a point, their
innermost covering zone, fee, ETA, express flag and reasons, from data precomputed once per
index build.

It answers exactly what the straightforward composition answers --
`InMemoryGeoIndex.nearest_stores` + `zone_hits_for_stores` + one `StoreCandidate` per store
+ `geo.delivery_options.delivery_options` (see `reference_delivery_options`, kept as the
specification and as the fallback for unusual data). tests/geo/test_nearest_options.py
compares both ways with == on random data, zone boundaries, store states, opening hours,
timezones, fee rules and express policies included.

Per call: the candidates cached for the point's ~1 km cell (spatial_index), ranked in
geo.options_kernel; one local-time conversion per (city, timezone); then, per store, in
the compiled kernel: the great-circle distance (haversine_m's operations), the store's zones
innermost first with the first hit winning (circle shortcuts, GEOS only for points near a
polygon's edge), the fee (built-in rules as integer maths, other rules called), ETA and
express flags, and the ranking. "Open now" is memoised per store and local minute (business
hours are whole minutes; is_open_at still computes it). Only the options returned
(`limit`) become Python objects, filled without their generated __init__ (`_new_frozen`).

Why compiled: the same steps in CPython cost ~2 us per store judged, ~90 us per request for
30 stores on the bench machine; bench/geo.py prints what it costs now.
"""
from __future__ import annotations

import importlib.util
import math
import warnings
from collections.abc import Mapping
from dataclasses import fields, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

import numpy as np

from geo.coordinates import LonLat
from geo.delivery_options import (
    DEFAULT_EXPRESS_MAX_ROAD_M,
    DEFAULT_EXPRESS_PROMISE_MINUTES,
    DEFAULT_ROAD,
    SAME_CITY_DELIVERY,
    DeliveryOption,
    NaiveDatetimeError,
    StoreCandidate,
    StoreStatus,
    UnavailableReason,
    delivery_options,
    is_open_at,
)
from geo.distance import RoadDistanceProvider
from geo.eta import CitySpeedProfile, speed_kmh_for
from geo.fees import BasePlusPerKmFee, DistanceBandFee
from geo.zones import innermost_order

if TYPE_CHECKING:  # pragma: no cover
    from geo.index_cache import TenantGeoIndex


def _load_kernel():
    """geo.options_kernel as compiled by `pip install -e .`; if its source changed since
    (an edit without ./scripts/setup.sh), the source itself, interpreted: slower, never
    stale. tests/geo/test_options_kernel.py fails while that is so."""
    from geo import options_kernel

    source = Path(__file__).with_name("options_kernel.py")
    built = Path(options_kernel.__file__)
    if built == source or built.stat().st_mtime >= source.stat().st_mtime:
        return options_kernel
    warnings.warn(f"{source} changed since it was compiled; running it interpreted (run ./scripts/setup.sh)", stacklevel=2)
    spec = importlib.util.spec_from_file_location("geo.options_kernel_source", source)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


options_kernel = _load_kernel()

ExpressPolicies = Mapping[int, tuple[bool, frozenset[int]]]  # delivery.promise.express_policies
NO_EXPRESS: tuple[bool, frozenset[int]] = (False, frozenset())

_RADIANS = math.pi / 180.0  # math.radians(x) is x * (pi / 180): the same double
_new_object = object.__new__


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
_BIT = dict(options_kernel.REASON_BITS)
_REASON_MEMBERS = tuple((bit, UnavailableReason(name)) for name, bit in options_kernel.REASON_BITS)
_NO_LIMIT = -1
_FEE_MAX = options_kernel.FEE_VALUE_LIMIT  # rules with bigger numbers run in Python


def _small(*values: int | None) -> bool:
    return all(v is None or (type(v) is int and 0 <= v < _FEE_MAX) for v in values)


def _encode_fee_rule(rule: Any) -> tuple[int, list[tuple[int, int]], list[int]]:
    """(kind, bands, [base, included, per km, max]) for options_kernel; kind "python" for
    any other rule (subclasses too: they may override fee_fen) or unusually big numbers."""
    kinds = options_kernel.FEE_KINDS
    if type(rule) is DistanceBandFee and all(_small(up_to, fee) for up_to, fee in rule.bands):
        return kinds["bands"], [(_NO_LIMIT if up_to is None else up_to, fee) for up_to, fee in rule.bands], [0, 0, 0, 0]
    if type(rule) is BasePlusPerKmFee and _small(rule.base_fen, rule.included_m, rule.per_km_fen, rule.max_distance_m):
        limit = _NO_LIMIT if rule.max_distance_m is None else rule.max_distance_m
        return kinds["per_km"], [], [rule.base_fen, rule.included_m, rule.per_km_fen, limit]
    return kinds["python"], [], [0, 0, 0, 0]


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
        # Stores share detour factor, courier speed and local time by (city, timezone): the
        # kernel looks each group's up once per call.
        group_of: dict[tuple[str | None, str], int] = {}
        self._group_of_store = [group_of.setdefault((s.city, s.timezone), len(group_of)) for s in stores]
        self._groups: list[tuple[str | None, str]] = list(group_of)
        self._factors_for: RoadDistanceProvider | None = None
        self._factors: list[float] | None = None
        self._kernel = options_kernel.OptionsKernel(self._kernel_columns(), self._reason_bits, _REASON_MEMBERS)

    # --- delivery options ---------------------------------------------------------------

    def nearest(self, point: LonLat, k: int) -> Nearest:
        """The k nearest stores (what nearest_stores(point, k) returns), for delivery_options."""
        index = self.tenant_index.index
        got = None
        if 0 < k < index.store_count:
            cell = index.cell_candidates(point, k)
            if cell is not None:  # the kernel ranks the cell's candidates; a tie at the cut -> tree
                got = self._kernel.nearest(cell[0], cell[1], cell[2], cell[3], point.lon, point.lat, k)
        if got is None:
            positions, chord2, _ = index.nearest_positions(point, k)
        else:
            positions, chord2 = got
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
        id -> (express enabled, express tiers); absent: no express), best first. The
        per-store work runs in geo.options_kernel; unusual input takes the reference path."""
        if now.tzinfo is None or now.utcoffset() is None:
            raise NaiveDatetimeError("now must be timezone-aware")
        road = road or DEFAULT_ROAD
        point, positions = near.point, near.positions
        reference = dict(
            road=road, limit=limit, speed_profiles=speed_profiles, pad_minutes=pad_minutes,
            pickup_wait_minutes=pickup_wait_minutes, express_promise_minutes=express_promise_minutes,
            express_max_road_m=express_max_road_m,
        )
        plain_numbers = all(
            type(v) in (int, float) and math.isfinite(v) and v >= 0
            for v in (pad_minutes, pickup_wait_minutes, express_promise_minutes, express_max_road_m)
        )
        if not plain_numbers or (limit is not None and limit < 0):
            return self.reference_delivery_options(point, near.k, now, policies, **reference)
        stores, groups = self._stores, self._groups
        factors = self._detour_factors(road)
        override = None
        if factors is None:  # not a detour factor everywhere: asked here, once per store
            override = [road.road_distance_m(stores[p].location, point, stores[p].city) for p in positions]
            for road_m in override:
                if not math.isfinite(road_m) or road_m < 0:  # estimate_eta's check
                    raise ValueError(f"road_distance_m must be finite and non-negative, got {road_m!r}")

        def context_of(group: int) -> tuple[float | None, float, int]:
            """A (city, timezone) group's detour factor, courier speed and local minute of the week."""
            city, tz = groups[group]
            wall = now.astimezone(ZoneInfo(tz))
            speed = speed_kmh_for(city, wall.hour, speed_profiles)
            if not math.isfinite(speed) or speed <= 0:  # estimate_eta's check
                raise ValueError(f"speed_kmh must be positive, got {speed!r}")
            factor = factors[group] if factors is not None else None
            return factor, speed, (wall.weekday() * 24 + wall.hour) * 60 + wall.minute

        options = self._kernel.options(
            positions, near.chord2, point.lon, point.lat, now, policies, {}, context_of, override,
            -1 if limit is None else limit, float(pickup_wait_minutes), float(pad_minutes),
            float(express_promise_minutes), float(express_max_road_m), DeliveryOption, _OPTION_TEMPLATE, NO_EXPRESS,
        )
        if options is None:  # a store or fee rule the kernel does not model
            return self.reference_delivery_options(point, near.k, now, policies, **reference)
        return options

    def _detour_factors(self, road: RoadDistanceProvider) -> list[float] | None:
        """Each (city, timezone) group's detour factor, when the provider is one in every
        city of this index (the kernel then multiplies the great circle it measured), else
        None. Kept for the last provider seen: providers are deterministic per instance."""
        if self._factors_for is not road:
            factors = [road.detour_factor(city) for city, _ in self._groups]
            self._factors = None if any(f is None for f in factors) else factors
            self._factors_for = road
        return self._factors

    def _reason_bits(self, position: int, now: datetime) -> int:
        """Rule 2 of geo.delivery_options (status, hours, fulfilment) for one store at
        `now`, as options_kernel reason bits; the kernel memoises it per local minute."""
        status = self._status[position]
        bits = 0
        if status is StoreStatus.PAUSED:
            bits |= _BIT["STORE_SUSPENDED"]
        elif status is not StoreStatus.OPEN:  # CLOSED, OPENING_SOON
            bits |= _BIT["STORE_CLOSED"]
        else:
            store = self._stores[position]
            if not is_open_at(store.business_hours, store.timezone, now):
                bits |= _BIT["STORE_CLOSED"]
        if not self._delivers[position]:
            bits |= _BIT["DELIVERY_NOT_OFFERED"]
        return bits

    def _kernel_columns(self) -> dict[str, Any]:
        """The kernel's per-store and per-zone columns (see options_kernel.OptionsKernel)."""
        index = self.tenant_index.index
        stores, zones = self._stores, self._zones
        n = len(stores)
        rank = np.empty(n, dtype=np.int64)
        rank[sorted(range(n), key=self._store_id_text.__getitem__)] = np.arange(n)
        begin, end, flat = [], [], []
        for order in self._zone_order:
            begin.append(len(flat))
            flat.extend(order)
            end.append(len(flat))
        fee_kind, band_begin, band_end, band_up_to, band_fee, per_km = [], [], [], [], [], []
        for zone in zones:
            kind, bands, params = _encode_fee_rule(zone.fee_rule)
            fee_kind.append(kind)
            band_begin.append(len(band_up_to))
            for up_to, fee in bands:
                band_up_to.append(up_to)
                band_fee.append(fee)
            band_end.append(len(band_up_to))
            per_km.append(params)
        simple = [status is not None for status in self._status]
        return {
            "lon": np.array(self._lon, dtype=np.float64),
            "lat_r": np.array(self._lat_r, dtype=np.float64),
            "cos_lat": np.array(self._cos_lat, dtype=np.float64),
            "prep": np.array([float(s.prep_minutes) if ok else 0.0 for s, ok in zip(stores, simple)], dtype=np.float64),
            "simple": np.array(simple, dtype=np.uint8),
            "id_rank": rank,
            "group": np.array(self._group_of_store, dtype=np.intc),
            "zone_begin": np.array(begin, dtype=np.intc),
            "zone_end": np.array(end, dtype=np.intc),
            "zone_order": np.array(flat, dtype=np.intc),
            **index.zone_test_columns(),
            "tier": np.array([z.tier for z in zones], dtype=np.int64),
            "express_allowed": np.array([bool(z.express_allowed) for z in zones], dtype=np.uint8),
            "fee_kind": np.array(fee_kind, dtype=np.intc),
            "band_begin": np.array(band_begin, dtype=np.intc),
            "band_end": np.array(band_end, dtype=np.intc),
            "band_up_to": np.array(band_up_to, dtype=np.int64),
            "band_fee": np.array(band_fee, dtype=np.int64),
            "per_km": np.array(per_km, dtype=np.int64).reshape(len(zones), 4),
            "zone_ids": [z.id for z in zones],
            "store_id_values": list(self._store_ids),
            "store_id_text": list(self._store_id_text),
            "fee_rules": [z.fee_rule for z in zones],
        }

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
