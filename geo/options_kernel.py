"""The compiled per-store loop of deliveryOptions (geo.nearest_options). Cython, pure-Python mode.

This file is ordinary Python; `pip install -e .` (scripts/setup.sh) compiles it with Cython
(setup.py), and the compiled module is what the API imports (geo.nearest_options checks,
and tests/geo/test_options_kernel.py fails CI if the extension is missing or older than this
file). Why compiled: in CPython each store judged costs 1.5-2 us of interpreter work
(haversine, zone test, fee, ETA, ranking key) and a request judges 30 stores; compiled,
the same operations cost tens of nanoseconds, so a request's in-memory work drops from
~90 us to ~20 us, most of which is building the Python result objects.

Exactness: every number is computed with the same IEEE operations in the same order as
the Python it replaces (geo.distance.haversine_m, geo.eta.estimate_eta, the fee rules in
geo.fees, spatial_index._chord2), through the same libm (math.sin is C sin), and setup.py
compiles with -ffp-contract=off so no multiply-add is fused. tests/geo/test_nearest_options.py
compares the answers with the reference path (geo.delivery_options over StoreCandidates)
with ==, boundaries included. Anything unusual (a custom fee rule, an unknown store status,
a tie at the k-th nearest) is handled by calling back into Python or by returning None,
which sends the call to the reference path.
"""
from __future__ import annotations

import math

import cython
import numpy as np
import shapely
from cython.cimports.libc.math import asin, ceil, cos, floor, sin, sqrt

# C-level constants (cython.declare: compiled, they are C values, not module lookups).
# Row flags and reasons, one bit each, in the order geo.delivery_options reports reasons.
OUTSIDE_ZONE = cython.declare(cython.int, 1)
STORE_SUSPENDED = cython.declare(cython.int, 2)
STORE_CLOSED = cython.declare(cython.int, 4)
DELIVERY_NOT_OFFERED = cython.declare(cython.int, 8)
NO_FEE_FOR_DISTANCE = cython.declare(cython.int, 16)
EXPRESS_DISABLED = cython.declare(cython.int, 32)
TOO_FAR_FOR_EXPRESS = cython.declare(cython.int, 64)
EXPRESS_TOO_SLOW = cython.declare(cython.int, 128)
UNSERVICEABLE = cython.declare(cython.int, 1 | 2 | 4 | 8 | 16)
EXPRESS_REASONS = cython.declare(cython.int, 32 | 64 | 128)
REASON_BITS = (  # for the Python side: the bit of each reason, in report order
    ("OUTSIDE_ZONE", 1), ("STORE_SUSPENDED", 2), ("STORE_CLOSED", 4), ("DELIVERY_NOT_OFFERED", 8),
    ("NO_FEE_FOR_DISTANCE", 16), ("EXPRESS_DISABLED", 32), ("TOO_FAR_FOR_EXPRESS", 64), ("EXPRESS_TOO_SLOW", 128),
)

FEE_BANDS = cython.declare(cython.int, 0)
FEE_PER_KM = cython.declare(cython.int, 1)
FEE_PYTHON = cython.declare(cython.int, 2)  # any other FeeRule: called per use
FEE_KINDS = {"bands": 0, "per_km": 1, "python": 2}  # for the Python side
NO_FEE = cython.declare(cython.longlong, -1)
UNMODELLED = cython.declare(cython.longlong, -2)
NO_LIMIT = cython.declare(cython.longlong, -1)  # an open last band / no max distance
# Integer fee maths stays far from int64 overflow: bigger rule numbers or roads go to Python.
MAX_RULE_VALUE = cython.declare(cython.longlong, 1 << 31)
FEE_VALUE_LIMIT = 1 << 31  # the same, for the Python side
MAX_ROAD_M = cython.declare(cython.double, 1e9)  # 1,000,000 km: extra km * per km < 2^51

TWO_R = cython.declare(cython.double, 2.0 * 6371008.8)  # geo.distance.EARTH_RADIUS_M
RADIANS = cython.declare(cython.double, math.pi / 180.0)  # math.radians(x) is x * (pi / 180)
COMPILED: bool = cython.compiled


@cython.cclass
class OptionsKernel:
    """Per-index columns (built once by NearestOptions) and the two hot calls."""

    # stores, by position in the InMemoryGeoIndex
    lon: cython.double[::1]
    lat_r: cython.double[::1]
    cos_lat: cython.double[::1]
    prep: cython.double[::1]
    simple: cython.uchar[::1]  # 0: the store's data is not modelled here -> reference path
    id_rank: cython.longlong[::1]  # rank of str(store id): the final tie-break
    group: cython.int[::1]  # (city, timezone) group: detour factor, speed, local minute
    zone_begin: cython.int[::1]
    zone_end: cython.int[::1]
    zone_order: cython.int[::1]  # each store's zones, innermost first (geo.zones.innermost_order)
    # zones, by position in the index
    radius_chord2: cython.double[::1]  # <0: a polygon
    radius_m: cython.double[::1]  # radius + boundary tolerance
    poly_ax: cython.double[::1]
    poly_ay: cython.double[::1]
    poly_rin2: cython.double[::1]
    poly_rout2: cython.double[::1]
    tier: cython.longlong[::1]
    express_allowed: cython.uchar[::1]
    fee_kind: cython.int[::1]
    band_begin: cython.int[::1]
    band_end: cython.int[::1]
    band_up_to: cython.longlong[::1]
    band_fee: cython.longlong[::1]
    per_km: cython.longlong[:, ::1]  # base, included, per km, max distance
    # the open-now memo: reasons of rule 2 per store, valid for one local minute of the week
    memo_minute: cython.int[::1]
    memo_bits: cython.int[::1]
    # Python objects
    zone_ids: list
    store_id_values: list
    store_id_text: list
    polygons: object
    fee_rules: list
    reasons_of_store: object  # callable(position, now) -> reason bits of rule 2
    reason_tuples: dict
    reason_members: tuple

    def __init__(self, columns: dict, reasons_of_store, reason_members: tuple):
        self.lon = columns["lon"]
        self.lat_r = columns["lat_r"]
        self.cos_lat = columns["cos_lat"]
        self.prep = columns["prep"]
        self.simple = columns["simple"]
        self.id_rank = columns["id_rank"]
        self.group = columns["group"]
        self.zone_begin = columns["zone_begin"]
        self.zone_end = columns["zone_end"]
        self.zone_order = columns["zone_order"]
        self.radius_chord2 = columns["radius_chord2"]
        self.radius_m = columns["radius_m"]
        self.poly_ax = columns["poly_ax"]
        self.poly_ay = columns["poly_ay"]
        self.poly_rin2 = columns["poly_rin2"]
        self.poly_rout2 = columns["poly_rout2"]
        self.tier = columns["tier"]
        self.express_allowed = columns["express_allowed"]
        self.fee_kind = columns["fee_kind"]
        self.band_begin = columns["band_begin"]
        self.band_end = columns["band_end"]
        self.band_up_to = columns["band_up_to"]
        self.band_fee = columns["band_fee"]
        self.per_km = columns["per_km"]
        self.zone_ids = columns["zone_ids"]
        self.store_id_values = columns["store_id_values"]
        self.store_id_text = columns["store_id_text"]
        self.polygons = columns["polygons"]
        self.fee_rules = columns["fee_rules"]
        n = len(self.store_id_values)
        self.memo_minute = np.full(n, -1, dtype=np.intc)
        self.memo_bits = np.zeros(n, dtype=np.intc)
        self.reasons_of_store = reasons_of_store
        self.reason_members = reason_members
        self.reason_tuples = {}

    def fee_fen(self, zone: int, road_m: float) -> int | None | str:
        """The kernel's fee for zone position `zone` (for tests): fen, None (the rule prices
        nothing) or "unmodelled" (the call goes to the reference path)."""
        fee = self._fee(zone, road_m)
        return None if fee == NO_FEE else "unmodelled" if fee == UNMODELLED else fee

    def memoised_stores(self) -> int:
        """Stores whose rule-2 reasons are memoised (for tests)."""
        return int(np.count_nonzero(np.asarray(self.memo_minute) >= 0))

    # --- nearest ------------------------------------------------------------------------

    @cython.boundscheck(False)
    @cython.wraparound(False)
    def nearest(self, cell_positions: cython.longlong[::1], xs: cython.double[::1], ys: cython.double[::1],
                zs: cython.double[::1], lon: cython.double, lat: cython.double, k: cython.Py_ssize_t):
        """The k nearest of a cell's candidate stores as (positions, squared chords), nearest
        first with ties by position -- spatial_index._nearest's cell path, same floats --
        or None when the k-th and (k+1)-th are equally far (the caller takes the tree path)."""
        n: cython.Py_ssize_t = cell_positions.shape[0]
        if k <= 0 or n < k:
            return None
        lon_r: cython.double = lon * RADIANS
        lat_r: cython.double = lat * RADIANS
        cos_lat: cython.double = cos(lat_r)
        px: cython.double = cos_lat * cos(lon_r)
        py: cython.double = cos_lat * sin(lon_r)
        pz: cython.double = sin(lat_r)
        keep: cython.Py_ssize_t = k + 1 if n > k else k  # one more, to see a tie at the cut
        best_c2 = np.empty(keep, dtype=np.float64)
        best_pos = np.empty(keep, dtype=np.int64)
        c2s: cython.double[::1] = best_c2
        poss: cython.longlong[::1] = best_pos
        size: cython.Py_ssize_t = 0
        i: cython.Py_ssize_t
        at: cython.Py_ssize_t
        c2: cython.double
        d: cython.double
        pos: cython.longlong
        for i in range(n):
            d = xs[i] - px
            c2 = d * d
            d = ys[i] - py
            c2 = c2 + d * d
            d = zs[i] - pz
            c2 = c2 + d * d
            pos = cell_positions[i]
            if size == keep and (c2 > c2s[size - 1] or (c2 == c2s[size - 1] and pos > poss[size - 1])):
                continue
            # insertion into the sorted prefix, ordered by (chord, position)
            at = size if size < keep else keep - 1
            while at > 0 and (c2s[at - 1] > c2 or (c2s[at - 1] == c2 and poss[at - 1] > pos)):
                c2s[at] = c2s[at - 1]
                poss[at] = poss[at - 1]
                at -= 1
            c2s[at] = c2
            poss[at] = pos
            if size < keep:
                size += 1
        if keep > k and c2s[k - 1] == c2s[k]:
            return None
        return best_pos[:k].tolist(), best_c2[:k].tolist()

    # --- delivery options ---------------------------------------------------------------

    @cython.boundscheck(False)
    @cython.wraparound(False)
    def options(self, positions: list, chord2: list, lon: cython.double, lat: cython.double, now, policies,
                contexts: dict, context_of, road_override, limit: cython.Py_ssize_t, pickup_wait: cython.double,
                pad: cython.double, express_promise: cython.double, express_max_road: cython.double,
                option_type, option_template: dict, no_express):
        """DeliveryOption per store, best first, the first `limit` of them (limit < 0: all),
        or None when a store needs the reference path. `context_of(group)` gives a
        (city, timezone) group's (detour factor or None, speed km/h, local minute of the
        week), kept in `contexts` for the call; `road_override` is the road metres per
        store when the road provider is not a detour factor."""
        k: cython.Py_ssize_t = len(positions)
        j: cython.Py_ssize_t
        p: cython.Py_ssize_t
        for j in range(k):
            if not self.simple[positions[j]]:
                return None
        ints = np.empty((6, k), dtype=np.int64)
        floats = np.empty((2, k), dtype=np.float64)
        pos: cython.longlong[::1] = ints[0]
        zone_of: cython.longlong[::1] = ints[1]
        fee_of: cython.longlong[::1] = ints[2]
        eta_of: cython.longlong[::1] = ints[3]
        bits_of: cython.longlong[::1] = ints[4]
        order: cython.longlong[::1] = ints[5]
        dist_of: cython.double[::1] = floats[0]
        road_of: cython.double[::1] = floats[1]

        lat1: cython.double = lat * RADIANS
        cos_lat1: cython.double = cos(lat1)
        sin_dlat: cython.double
        sin_dlon: cython.double
        h: cython.double
        c2: cython.double
        distance: cython.double
        road_m: cython.double
        zi: cython.Py_ssize_t
        z: cython.Py_ssize_t
        found: cython.Py_ssize_t
        dx: cython.double
        dy: cython.double
        d2: cython.double
        pending = None
        last_group: cython.int = -1
        g: cython.int
        factor: cython.double = 0.0
        detour: cython.bint = True
        speed: cython.double = 0.0
        minute: cython.int = 0
        bits: cython.int
        fee: cython.longlong
        total: cython.double
        eta: cython.double

        for j in range(k):
            p = positions[j]
            pos[j] = p
            # geo.distance.haversine_m(point, store), the same operations
            sin_dlat = sin((self.lat_r[p] - lat1) / 2.0)
            sin_dlon = sin(((self.lon[p] - lon) * RADIANS) / 2.0)
            h = sin_dlat * sin_dlat + cos_lat1 * self.cos_lat[p] * sin_dlon * sin_dlon
            distance = TWO_R * asin(sqrt(h if h < 1.0 else 1.0))
            dist_of[j] = distance

            g = self.group[p]
            if g != last_group:
                context = contexts.get(g)
                if context is None:
                    context = contexts[g] = context_of(g)
                if context[0] is None:
                    detour = False
                else:
                    detour = True
                    factor = context[0]
                speed = context[1]
                minute = context[2]
                last_group = g
            road_m = distance * factor if detour else road_override[j]
            road_of[j] = road_m

            # Rule 2 (status, hours, fulfilment), memoised per store and local minute:
            # business hours are whole minutes, so nothing changes within one.
            if self.memo_minute[p] != minute:
                self.memo_bits[p] = self.reasons_of_store(p, now)
                self.memo_minute[p] = minute
            bits = self.memo_bits[p]

            # Rule 1: the first of the store's zones, innermost first, that covers the point
            # (InMemoryGeoIndex.zone_test_columns: the index's own decisions, with RadiusShape's re-check).
            c2 = chord2[j]
            found = -1
            for z in range(self.zone_begin[p], self.zone_end[p]):
                zi = self.zone_order[z]
                if self.radius_chord2[zi] >= 0.0:
                    if c2 <= self.radius_chord2[zi] and distance <= self.radius_m[zi]:
                        found = zi
                        break
                    continue
                dx = self.poly_ax[zi] - lon
                dy = self.poly_ay[zi] - lat
                d2 = dx * dx + dy * dy
                if d2 < self.poly_rin2[zi]:
                    found = zi
                    break
                if d2 <= self.poly_rout2[zi]:
                    if pending is None:
                        pending = []
                    pending.append((j, zi))  # GEOS decides, below
            zone_of[j] = found
            bits_of[j] = bits
        if pending is not None:
            self._resolve_polygons(pending, ints[1], lon, lat)

        for j in range(k):
            p = pos[j]
            zi = zone_of[j]
            bits = bits_of[j]
            road_m = road_of[j]
            fee = 0
            if zi < 0:
                bits |= OUTSIDE_ZONE
            else:
                fee = self._fee(zi, road_m)
                if fee == UNMODELLED:
                    return None  # a custom rule answered something only the reference path shows
                if fee == NO_FEE:
                    bits |= NO_FEE_FOR_DISTANCE
            eta_of[j] = 0
            if not bits & UNSERVICEABLE:
                speed = contexts[self.group[p]][1]
                # geo.eta.estimate_eta, same operations in the same order
                total = self.prep[p] + pickup_wait + road_m / 1000.0 / speed * 60.0 + pad
                eta = ceil(total - 1e-9)
                if eta < 0:
                    eta = 0
                eta_of[j] = cython.cast(cython.longlong, eta)
                enabled, tiers = policies.get(self.store_id_values[p], no_express)
                if not enabled or not (self.express_allowed[zi] and self.tier[zi] in tiers):
                    bits |= EXPRESS_DISABLED
                if road_m > express_max_road:
                    bits |= TOO_FAR_FOR_EXPRESS
                if eta > express_promise:
                    bits |= EXPRESS_TOO_SLOW
            fee_of[j] = fee
            bits_of[j] = bits
            order[j] = j

        self._rank(order, bits_of, eta_of, fee_of, dist_of, pos, k)
        count: cython.Py_ssize_t = k if limit < 0 or limit > k else limit
        out = []
        row: cython.Py_ssize_t
        for j in range(count):
            row = order[j]
            out.append(self._option(pos[row], zone_of[row], fee_of[row], eta_of[row], bits_of[row], dist_of[row],
                                    road_of[row], option_type, option_template))
        return out

    def _resolve_polygons(self, pending: list, zone_of, lon: float, lat: float) -> None:
        """GEOS `covers` for the polygons the circle shortcuts left open, in one call. An
        open polygon comes before the store's sure hit in its order, so a covered one wins."""
        asked = [zi for _, zi in pending]
        covered = shapely.covers(self.polygons.take(asked), shapely.Point(lon, lat)).tolist()
        decided = set()
        for (j, zi), inside in zip(pending, covered, strict=True):
            if inside and j not in decided:
                zone_of[j] = zi
                decided.add(j)

    @cython.cfunc
    @cython.boundscheck(False)
    @cython.wraparound(False)
    def _fee(self, zi: cython.Py_ssize_t, road_m: cython.double) -> cython.longlong:
        """The zone's fee in fen for road_m; NO_FEE when the rule prices nothing there,
        UNMODELLED when a custom rule answered something other than a small int."""
        kind: cython.int = self.fee_kind[zi]
        d: cython.longlong
        b: cython.Py_ssize_t
        up_to: cython.longlong
        if kind == FEE_PYTHON or not (0.0 <= road_m < MAX_ROAD_M):
            value = self.fee_rules[zi].fee_fen(road_m)
            if value is None:
                return NO_FEE
            if type(value) is not int or not 0 <= value < MAX_RULE_VALUE:
                return UNMODELLED
            return value
        d = cython.cast(cython.longlong, floor(road_m + 0.5))  # geo.fees.whole_metres
        if kind == FEE_BANDS:
            for b in range(self.band_begin[zi], self.band_end[zi]):
                up_to = self.band_up_to[b]
                if up_to == NO_LIMIT or d <= up_to:
                    return self.band_fee[b]
            return NO_FEE
        # FEE_PER_KM: base, included, per km, max distance
        if self.per_km[zi, 3] != NO_LIMIT and d > self.per_km[zi, 3]:
            return NO_FEE
        if d <= self.per_km[zi, 1]:
            return self.per_km[zi, 0]
        # every started km beyond the included distance, integer ceil as the rule does
        return self.per_km[zi, 0] + self.per_km[zi, 2] * ((d - self.per_km[zi, 1] + 999) // 1000)

    @cython.cfunc
    @cython.boundscheck(False)
    @cython.wraparound(False)
    def _rank(self, order: cython.longlong[::1], bits_of: cython.longlong[::1], eta_of: cython.longlong[::1],
              fee_of: cython.longlong[::1], dist_of: cython.double[::1], pos: cython.longlong[::1],
              k: cython.Py_ssize_t) -> cython.void:
        """Insertion sort of rows by geo.delivery_options._option_rank (k is tens)."""
        i: cython.Py_ssize_t
        at: cython.Py_ssize_t
        row: cython.longlong
        other: cython.longlong
        for i in range(1, k):
            row = order[i]
            at = i
            while at > 0:
                other = order[at - 1]
                if not _before(bits_of[row], bits_of[other], eta_of[row], eta_of[other], fee_of[row], fee_of[other],
                               dist_of[row], dist_of[other], self.id_rank[pos[row]], self.id_rank[pos[other]]):
                    break
                order[at] = other
                at -= 1
            order[at] = row

    @cython.cfunc
    def _option(self, p: cython.Py_ssize_t, zi: cython.Py_ssize_t, fee: cython.longlong, eta: cython.longlong,
                bits: cython.int, distance: cython.double, road_m: cython.double, option_type, template: dict):
        """One DeliveryOption, filled without running its generated __init__ (as
        nearest_options._new_frozen: equality, hashing and repr read the same attributes)."""
        serviceable: cython.bint = not (bits & UNSERVICEABLE)
        reasons = self.reason_tuples.get(bits)
        if reasons is None:
            reasons = tuple(member for bit, member in self.reason_members if bits & bit)
            self.reason_tuples[bits] = reasons
        option = object.__new__(option_type)
        state = option.__dict__
        state.update(template)
        state["store_id"] = self.store_id_text[p]
        state["serviceable"] = serviceable
        state["tier"] = self.tier[zi] if zi >= 0 else None
        state["zone_id"] = self.zone_ids[zi] if zi >= 0 else None
        state["fee_fen"] = fee if serviceable else None
        state["eta_minutes"] = eta if serviceable else None
        state["express_possible"] = serviceable and not (bits & EXPRESS_REASONS)
        state["distance_m"] = distance
        state["road_distance_m"] = road_m
        state["reasons"] = reasons
        return option


@cython.cfunc
@cython.inline
def _before(bits_a: cython.longlong, bits_b: cython.longlong, eta_a: cython.longlong, eta_b: cython.longlong,
            fee_a: cython.longlong, fee_b: cython.longlong, dist_a: cython.double, dist_b: cython.double,
            rank_a: cython.longlong, rank_b: cython.longlong) -> cython.bint:
    """a ranks before b: serviceable first, then express, ETA, fee, distance, store id as
    text -- geo.delivery_options._option_rank, where an unserviceable row's ETA and fee
    are both infinite and so never decide."""
    unserviceable_a: cython.bint = (bits_a & UNSERVICEABLE) != 0
    unserviceable_b: cython.bint = (bits_b & UNSERVICEABLE) != 0
    if unserviceable_a != unserviceable_b:
        return unserviceable_b
    slow_a: cython.bint = unserviceable_a or (bits_a & EXPRESS_REASONS) != 0
    slow_b: cython.bint = unserviceable_b or (bits_b & EXPRESS_REASONS) != 0
    if slow_a != slow_b:
        return slow_b
    if not unserviceable_a:
        if eta_a != eta_b:
            return eta_a < eta_b
        if fee_a != fee_b:
            return fee_a < fee_b
    if dist_a != dist_b:
        return dist_a < dist_b
    return rank_a < rank_b
