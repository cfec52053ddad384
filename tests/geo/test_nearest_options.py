"""geo.nearest_options (the deliveryOptions hot path) answers exactly what the straightforward
composition answers: nearest_stores + zone_hits_for_stores + StoreCandidate +
delivery_options. Random data with every zone kind, zone edges, store states, opening
hours, timezones and express policies."""
from __future__ import annotations

import math
import random
from dataclasses import asdict
from datetime import datetime, timedelta, timezone

import pytest

from geo import zone_lookup
from geo.coordinates import LonLat
from geo.delivery_options import DeliveryOption
from geo.distance import DetourFactorDistance, destination_point, haversine_m
from geo.fees import BasePlusPerKmFee, DistanceBandFee
from geo.index_cache import StoreGeo, TenantGeoIndex
from geo.nearest_options import _new_frozen, _OPTION_TEMPLATE
from geo.zone_lookup import ZoneMatch
from geo.zone_rules import fallback_zone
from geo.zones import DeliveryZone, RadiusShape, parse_geojson_polygon

BOX = (121.30, 121.50, 31.15, 31.30)
HOURS = [
    {str(d): [["00:00", "24:00"]] for d in range(7)},
    {d: [("09:00", "22:00")] for d in range(7)},
    {"5": [["18:00", "02:00"]], "2": [["07:30", "11:15"], ["13:00", "20:45"]]},
    {},
]
FEES = [
    DistanceBandFee(((3000, 400), (6000, 800), (None, 1500))),
    DistanceBandFee(((2500, 0), (4000, 300))),  # prices nothing beyond 4 km
    BasePlusPerKmFee(500, 3000, 100),
    BasePlusPerKmFee(300, 1000, 150, max_distance_m=5000),
]


class OddFee:
    """A FeeRule that is not one of the built-in dataclasses (no memo for it)."""

    def fee_fen(self, road_distance_m: float) -> int | None:
        return None if road_distance_m > 4500 else 100 + int(road_distance_m) % 7


def _ring(rng: random.Random, center: LonLat, r0: float, r1: float) -> list[list[float]]:
    step = 360.0 / 12
    ring = [destination_point(center, k * step + rng.uniform(0, 0.6 * step), rng.uniform(r0, r1)) for k in range(12)]
    coords = [[round(p.lon, 7), round(p.lat, 7)] for p in ring]
    return coords + [coords[0]]


def build(seed: int, n: int = 400) -> tuple[TenantGeoIndex, list[LonLat]]:
    rng = random.Random(seed)
    lon0, lon1, lat0, lat1 = BOX
    stores, zones, edge_points = [], [], []
    zone_id = 1
    for i in range(n):
        loc = LonLat(rng.uniform(lon0, lon1), rng.uniform(lat0, lat1))
        if i % 17 == 0 and stores:  # a second store at the very same spot: distance ties
            loc = stores[-1].location
        store_id = 100 + i
        stores.append(StoreGeo(
            id=store_id, code=f"S{i}", name=f"S{i}", city=rng.choice(["上海", "苏州", None]), location=loc,
            status=rng.choices(["OPEN", "CLOSED", "PAUSED", "OPENING_SOON"], [8, 1, 1, 1])[0],
            timezone=rng.choice(["Asia/Shanghai", "Asia/Shanghai", "Asia/Kathmandu", "Europe/London"]),
            business_hours=rng.choice(HOURS), prep_minutes=rng.choice([0, 8, 10, 15.5, 29]),
            fulfilment_types=rng.choice([("SAME_CITY_DELIVERY", "STORE_PICKUP"), ("STORE_PICKUP",), ("SAME_CITY_DELIVERY",)]),
            node_id=i,
        ))
        if i % 9 == 0:
            zones.append(fallback_zone(store_id, rng.randint(1000, 3000)))
            continue
        for tier in (1, 2, 3):
            if tier == 3 and rng.random() < 0.6:
                continue
            r0, r1 = {1: (800, 2500), 2: (2600, 4500), 3: (4600, 6000)}[tier]
            if rng.random() < 0.5:
                radius = float(rng.randint(int(r0), int(r1)))
                shape = RadiusShape(radius)
                for _ in range(2):  # on the circle and a hair either side
                    edge_points.append(destination_point(loc, rng.uniform(0, 360), radius + rng.choice((0.0, -0.0004, 0.0009, 0.0011))))
            else:
                ring = _ring(rng, loc, r0, r1)
                shape = parse_geojson_polygon({"type": "Polygon", "coordinates": [ring]})
                (ax, ay), (bx, by) = ring[0], ring[1]
                t = rng.random()
                edge_points += [LonLat(ax, ay), LonLat(ax + (bx - ax) * t, ay + (by - ay) * t)]
            fee = OddFee() if rng.random() < 0.05 else rng.choice(FEES)
            zones.append(DeliveryZone(str(zone_id), str(store_id), tier, f"t{tier}", shape, fee, express_allowed=rng.random() < 0.7))
            zone_id += 1
        if rng.random() < 0.1:  # two zones of one tier whose ids order differently as text and by length
            zones.append(DeliveryZone(str(zone_id * 1000), str(store_id), 1, "extra", RadiusShape(float(rng.randint(500, 2000))), rng.choice(FEES)))
            zones.append(DeliveryZone(str(zone_id + 7), str(store_id), 1, "extra", RadiusShape(float(rng.randint(500, 2000))), rng.choice(FEES)))
            zone_id += 8
    points = [LonLat(rng.uniform(lon0 - 0.02, lon1 + 0.02), rng.uniform(lat0 - 0.02, lat1 + 0.02)) for _ in range(250)]
    points += rng.sample(edge_points, min(250, len(edge_points))) + [s.location for s in rng.sample(stores, min(50, len(stores)))]
    return TenantGeoIndex(1, stores, zones), points


def policies_for(index: TenantGeoIndex, rng: random.Random) -> dict[int, tuple[bool, frozenset[int]]]:
    out = {}
    for store_id in index.stores:
        if rng.random() < 0.9:  # the rest: unknown to the policy query
            out[store_id] = (rng.random() < 0.8, frozenset(rng.sample([1, 2, 3], rng.randint(0, 3))))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_delivery_options_equal_the_reference_path(seed):
    index, points = build(seed)
    engine = index.nearest_options
    rng = random.Random(seed)
    policies = policies_for(index, rng)
    start = datetime(2024, 6, 8, 0, 0, tzinfo=timezone.utc)  # a Saturday
    for i, point in enumerate(points):
        # Repeated instants and minutes exercise the open-now memo, new minutes refresh it.
        now = start + timedelta(minutes=rng.choice([0, 0, 1, 90, 600, 1300, 2000]), seconds=rng.choice([0, 30, 59.999]))
        k = rng.choice([1, 5, 30, 100])
        limit = rng.choice([None, 1, 10])
        expected = engine.reference_delivery_options(point, k, now, policies, limit=limit, road=zone_lookup.ROAD_DISTANCE)
        got = engine.delivery_options(engine.nearest(point, k), now, policies, road=zone_lookup.ROAD_DISTANCE, limit=limit)
        assert got == expected, (i, point, k)
        assert [asdict(o) for o in got] == [asdict(o) for o in expected]
    assert engine._kernel.memoised_stores() > 0


def test_delivery_options_equal_with_other_road_providers_and_settings():
    index, points = build(4, n=200)
    engine = index.nearest_options
    policies = policies_for(index, random.Random(4))
    now = datetime(2024, 6, 5, 4, 30, tzinfo=timezone.utc)

    class Manhattan:
        def road_distance_m(self, a, b, city):
            return haversine_m(a, LonLat(b.lon, a.lat)) + haversine_m(LonLat(b.lon, a.lat), b)

        def detour_factor(self, city):
            return None  # a routed distance: the kernel must take it per store

        def min_detour_factor(self):
            return 1.0

    roads = [DetourFactorDistance(1.4, {"上海": 1.25}), Manhattan(), None]
    for point in points[:300]:
        for road in roads:
            options = {"road": road, "pad_minutes": 3.5, "pickup_wait_minutes": 2.0, "express_promise_minutes": 25, "express_max_road_m": 2500.0}
            expected = engine.reference_delivery_options(point, 30, now, policies, **options)
            assert engine.delivery_options(engine.nearest(point, 30), now, policies, **options) == expected


def test_unusual_store_data_takes_the_reference_path_with_its_errors():
    index, points = build(5, n=60)
    broken = next(iter(index.stores.values()))
    stores = [StoreGeo(**{**asdict(s), "location": s.location, "status": "SUSPENDED"}) if s.id == broken.id else s for s in index.store_list]
    index = TenantGeoIndex(2, stores, index.zones)
    engine = index.nearest_options
    now = datetime(2024, 6, 5, 4, 30, tzinfo=timezone.utc)
    with pytest.raises(ValueError):
        engine.reference_delivery_options(broken.location, 5, now, {})
    with pytest.raises(ValueError):
        engine.delivery_options(engine.nearest(broken.location, 5), now, {})
    with pytest.raises(ValueError):
        engine.delivery_options(engine.nearest(points[0], 5), now, {}, pad_minutes=-1.0)


def test_haversine_is_symmetric_bit_for_bit():
    # nearest_options computes haversine_m(point, store) once and reuses it for the road
    # distance and the radius re-check, which the reference computes as (store, point).
    rng = random.Random(9)
    for _ in range(20_000):
        a = LonLat(rng.uniform(73, 135), rng.uniform(18, 53))
        b = LonLat(a.lon + rng.uniform(-0.2, 0.2), a.lat + rng.uniform(-0.2, 0.2))
        assert haversine_m(a, b) == haversine_m(b, a)


def test_frozen_dataclasses_built_without_init_equal_normal_ones():
    option = _new_frozen(DeliveryOption, _OPTION_TEMPLATE, {
        "store_id": "7", "serviceable": True, "tier": 1, "zone_id": "3", "fee_fen": 400, "eta_minutes": 25,
        "express_possible": True, "distance_m": 1.5, "road_distance_m": 1.95, "reasons": (),
    })
    normal = DeliveryOption("7", True, 1, "3", 400, 25, True, 1.5, 1.95, ())
    assert option == normal and hash(repr(option)) == hash(repr(normal)) and vars(option) == vars(normal)
    assert list(vars(option)) == list(vars(normal))
    with pytest.raises(AttributeError):
        option.fee_fen = 1  # still frozen
    assert not math.isnan(ZoneMatch(1, 2, 1, "t1", 400, True, 1.0, 1.3).road_distance_m)
