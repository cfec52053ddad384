import asyncio
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.coordinates import LonLat
from geo.distance import destination_point, haversine_m
from geo.fees import DistanceBandFee
from geo.index_protocol import GeoIndex, SyncGeoIndex
from geo.spatial_index import InMemoryGeoIndex
from geo.zones import DeliveryZone, RadiusShape, parse_geojson_polygon

FREE = DistanceBandFee([(None, 0)])
CENTRE = LonLat(121.4737, 31.2304)


def random_stores(rng: random.Random, n: int, spread_deg: float = 0.3) -> list[tuple[str, LonLat]]:
    return [
        (f"s{i}", LonLat(CENTRE.lon + rng.uniform(-spread_deg, spread_deg), CENTRE.lat + rng.uniform(-spread_deg, spread_deg)))
        for i in range(n)
    ]


def brute_nearest(stores, point, k, max_distance_m=None):
    ranked = sorted(((haversine_m(point, loc), sid) for sid, loc in stores))
    if max_distance_m is not None:
        ranked = [r for r in ranked if r[0] <= max_distance_m]
    return ranked[:k]


def assert_same_ranking(got, expected):
    assert len(got) == len(expected)
    for (_, gd), (ed, _) in zip(got, expected, strict=True):
        assert gd == pytest.approx(ed, abs=1e-6)
    # Ids must match position by position wherever the distance is not tied.
    for i, (ed, eid) in enumerate(expected):
        if all(abs(ed - other) > 1e-6 for j, (other, _) in enumerate(expected) if j != i):
            assert got[i][0] == eid


def test_nearest_matches_brute_force_on_random_data():
    rng = random.Random(7)
    stores = random_stores(rng, 2000)
    # A few stores far away so the search must widen a lot to find them.
    stores += [("far-beijing", LonLat(116.39, 39.9)), ("far-urumqi", LonLat(87.6, 43.8))]
    index = InMemoryGeoIndex(stores)
    for _ in range(200):
        point = LonLat(CENTRE.lon + rng.uniform(-0.5, 0.5), CENTRE.lat + rng.uniform(-0.5, 0.5))
        k = rng.choice([1, 3, 10, 50])
        max_d = rng.choice([None, 500.0, 3000.0, 20000.0])
        assert_same_ranking(index.nearest_stores(point, k, max_d), brute_nearest(stores, point, k, max_d))


def test_nearest_finds_remote_stores_and_caps_at_store_count():
    stores = [("beijing", LonLat(116.39, 39.9)), ("urumqi", LonLat(87.6, 43.8)), ("sydney", LonLat(151.2, -33.87))]
    index = InMemoryGeoIndex(stores)
    got = index.nearest_stores(CENTRE, 10)
    assert [sid for sid, _ in got] == ["beijing", "urumqi", "sydney"]
    assert index.nearest_stores(CENTRE, 0) == []
    assert index.nearest_stores(CENTRE, 5, max_distance_m=100.0) == []


def test_nearest_includes_store_exactly_at_max_distance():
    on_edge = destination_point(CENTRE, 37.0, 2500.0)
    index = InMemoryGeoIndex([("edge", on_edge), ("beyond", destination_point(CENTRE, 37.0, 2500.5))])
    got = index.nearest_stores(CENTRE, 5, max_distance_m=haversine_m(CENTRE, on_edge))
    assert [sid for sid, _ in got] == ["edge"]


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n=st.integers(1, 60),
    k=st.integers(1, 8),
    spread=st.sampled_from([0.001, 0.05, 2.0]),
    max_d=st.one_of(st.none(), st.floats(0, 50_000)),
)
def test_nearest_property(seed, n, k, spread, max_d):
    rng = random.Random(seed)
    stores = random_stores(rng, n, spread)
    point = LonLat(CENTRE.lon + rng.uniform(-spread, spread), CENTRE.lat + rng.uniform(-spread, spread))
    assert_same_ranking(InMemoryGeoIndex(stores).nearest_stores(point, k, max_d), brute_nearest(stores, point, k, max_d))


def random_zones(rng, stores):
    zones = []
    for i, (sid, loc) in enumerate(stores):
        zones.append(DeliveryZone(f"{sid}-t1", sid, 1, "inner", RadiusShape(rng.uniform(500, 3000)), FREE))
        if i % 3 == 0:
            # A jagged polygon around the store: irregular radii, planar lon/lat.
            ring = [destination_point(loc, b, rng.uniform(1500, 5000)).as_tuple() for b in range(0, 360, 30)]
            ring.append(ring[0])
            shape = parse_geojson_polygon({"type": "Polygon", "coordinates": [[list(p) for p in ring]]})
            zones.append(DeliveryZone(f"{sid}-t2", sid, 2, "outer", shape, FREE))
    return zones


def test_zones_covering_matches_brute_force():
    rng = random.Random(11)
    stores = random_stores(rng, 300, 0.1)
    zones = random_zones(rng, stores)
    locations = dict(stores)
    index = InMemoryGeoIndex(stores, zones)
    hits_seen = 0
    for _ in range(300):
        point = LonLat(CENTRE.lon + rng.uniform(-0.15, 0.15), CENTRE.lat + rng.uniform(-0.15, 0.15))
        expected = {z.id for z in zones if z.covers(point, locations[z.store_id])}
        got = index.zone_hits(point)
        assert {z.id for z, _ in got} == expected
        assert {z.id for z in index.zones_covering(point)} == expected
        for zone, distance in got:
            assert distance == pytest.approx(haversine_m(point, locations[zone.store_id]), abs=1e-6)
        hits_seen += len(got)
    assert hits_seen > 300  # the sample really exercised coverage


def test_zone_boundaries_are_inclusive_in_the_index():
    store = ("s", CENTRE)
    square = [[121.40, 31.20], [121.45, 31.20], [121.45, 31.25], [121.40, 31.25], [121.40, 31.20]]
    poly = DeliveryZone("poly", "s", 2, "square", parse_geojson_polygon({"type": "Polygon", "coordinates": [square]}), FREE)
    circle = DeliveryZone("circle", "s", 1, "2 km", RadiusShape(2000), FREE)
    index = InMemoryGeoIndex([store], [poly, circle])
    assert [z.id for z in index.zones_covering(LonLat(121.40, 31.22))] == ["poly"]  # on the west edge
    assert [z.id for z in index.zones_covering(LonLat(121.45, 31.25))] == ["poly"]  # a vertex
    assert index.zones_covering(LonLat(121.3999, 31.22)) == []
    for bearing in (0, 90, 180, 270):
        assert "circle" in {z.id for z in index.zones_covering(destination_point(CENTRE, bearing, 2000.0))}
        assert "circle" not in {z.id for z in index.zones_covering(destination_point(CENTRE, bearing, 2000.01))}


def test_concave_and_holed_polygons_match_geos_exactly():
    # The index answers most polygon queries from inscribed/enclosing circles; a U shape
    # and a donut are where such shortcuts go wrong if done carelessly.
    store = ("s", CENTRE)
    u_shape = [[121.40, 31.20], [121.50, 31.20], [121.50, 31.30], [121.47, 31.30], [121.47, 31.23],
               [121.43, 31.23], [121.43, 31.30], [121.40, 31.30], [121.40, 31.20]]
    outer = [[121.40, 31.20], [121.50, 31.20], [121.50, 31.30], [121.40, 31.30], [121.40, 31.20]]
    hole = [[121.44, 31.24], [121.46, 31.24], [121.46, 31.26], [121.44, 31.26], [121.44, 31.24]]
    zones = [
        DeliveryZone("u", "s", 1, "u", parse_geojson_polygon({"type": "Polygon", "coordinates": [u_shape]}), FREE),
        DeliveryZone("donut", "s", 2, "d", parse_geojson_polygon({"type": "Polygon", "coordinates": [outer, hole]}), FREE),
    ]
    index = InMemoryGeoIndex([store], zones)
    assert [z.id for z in index.zones_covering(LonLat(121.45, 31.25))] == []  # in the U's notch and the hole
    assert [z.id for z in index.zones_covering(LonLat(121.44, 31.25))] == ["donut"]  # hole edge: covered
    assert {z.id for z in index.zones_covering(LonLat(121.45, 31.23))} == {"u", "donut"}  # notch bottom edge
    rng = random.Random(5)
    for _ in range(3000):
        p = LonLat(rng.uniform(121.39, 121.51), rng.uniform(31.19, 31.31))
        assert {z.id for z in index.zones_covering(p)} == {z.id for z in zones if z.covers(p, CENTRE)}


def test_index_rejects_bad_input():
    with pytest.raises(ValueError):
        InMemoryGeoIndex([("a", CENTRE), ("a", CENTRE)])
    with pytest.raises(ValueError):
        InMemoryGeoIndex([("a", CENTRE)], [DeliveryZone("z", "ghost", 1, "x", RadiusShape(1000), FREE)])
    zone = DeliveryZone("z", "a", 1, "x", RadiusShape(1000), FREE)
    with pytest.raises(ValueError):
        InMemoryGeoIndex([("a", CENTRE)], [zone, zone])


def test_empty_index():
    index = InMemoryGeoIndex([])
    assert index.nearest_stores(CENTRE, 3) == []
    assert index.zones_covering(CENTRE) == []
    hits = index.zone_hits(CENTRE)
    assert len(hits) == 0 and hits.zones == [] and hits.distances_m == []


def test_async_adapter_satisfies_protocol():
    index = InMemoryGeoIndex([("a", CENTRE)], [DeliveryZone("z", "a", 1, "x", RadiusShape(1000), FREE)])
    assert isinstance(index, SyncGeoIndex)
    async_index = index.as_async()
    assert isinstance(async_index, GeoIndex)

    async def run():
        return (
            await async_index.nearest_stores(CENTRE, 1),
            await async_index.zones_covering(CENTRE),
            await async_index.zone_hits(CENTRE),
        )

    nearest, zones, hits = asyncio.run(run())
    assert nearest == [("a", 0.0)]
    assert [z.id for z in zones] == ["z"]
    assert list(hits) == [(zones[0], 0.0)]


def test_cell_cached_nearest_equals_the_tree_query_including_ties_and_cell_edges():
    rng = random.Random(31)
    stores = random_stores(rng, 1500, spread_deg=0.1)
    stores += [(f"dup{i}", stores[i * 7][1]) for i in range(60)]  # same spot: exact distance ties
    index = InMemoryGeoIndex(stores)
    assert index.prewarm_nearest(30) > 0
    points = [LonLat(CENTRE.lon + rng.uniform(-0.15, 0.15), CENTRE.lat + rng.uniform(-0.15, 0.15)) for _ in range(1500)]
    points += [LonLat(round(p.lon, 2), round(p.lat, 2)) for p in points[:300]]  # on cell edges and corners
    points += [loc for _, loc in stores[:200]] + [LonLat(CENTRE.lon + 3, CENTRE.lat)]  # far away: no cell entry
    for point in points:
        for k in (1, 5, 30, 100):
            cached, tree = index._nearest(point, k), index._nearest_tree(point, k)
            assert cached[0].tolist() == tree[0].tolist() and cached[1].tolist() == tree[1].tolist(), (point, k)
    assert index._cell_rows > 0
