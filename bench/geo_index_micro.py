"""Latency of InMemoryGeoIndex lookups: 10,000 stores, 20,000 zones, one metro area.

Not a test (no test_ prefix). Run:  .venv/bin/python bench/geo_index_micro.py
Timing is per call with time.perf_counter_ns, GC on (as in production) unless --gc-off.
Options: --polygons FRACTION (share of tier-2 zones drawn as 12-vertex polygons instead of
circles), --queries N, --seed S. Prints build time and p50/p90/p99/max per call in us.
"""
from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from anywhere, like the other benches

from geo.coordinates import LonLat
from geo.distance import destination_point
from geo.fees import BasePlusPerKmFee, DistanceBandFee
from geo.spatial_index import InMemoryGeoIndex
from geo.zones import DeliveryZone, RadiusShape, parse_geojson_polygon

# Roughly Shanghai's built-up area: 0.6 x 0.5 degrees ~ 57 km x 55 km.
LON0, LON1, LAT0, LAT1 = 121.15, 121.75, 30.95, 31.45


def area(scale: float) -> tuple[float, float, float, float]:
    """The metro box, each side multiplied by `scale` around its centre."""
    c_lon, c_lat = (LON0 + LON1) / 2, (LAT0 + LAT1) / 2
    h_lon, h_lat = (LON1 - LON0) / 2 * scale, (LAT1 - LAT0) / 2 * scale
    return c_lon - h_lon, c_lon + h_lon, c_lat - h_lat, c_lat + h_lat


def build(n_stores: int, polygon_share: float, rng: random.Random, scale: float = 1.0):
    lon0, lon1, lat0, lat1 = area(scale)
    stores = [(f"s{i}", LonLat(rng.uniform(lon0, lon1), rng.uniform(lat0, lat1))) for i in range(n_stores)]
    inner_fee = DistanceBandFee([(None, 0)])
    outer_fee = BasePlusPerKmFee(500, 3000, 100)
    zones = []
    for sid, loc in stores:
        zones.append(DeliveryZone(f"{sid}-1", sid, 1, "3 km", RadiusShape(3000), inner_fee, express_allowed=True))
        if rng.random() < polygon_share:
            ring = [list(destination_point(loc, b, rng.uniform(3500, 5000)).as_tuple()) for b in range(0, 360, 30)]
            ring.append(ring[0])
            shape = parse_geojson_polygon({"type": "Polygon", "coordinates": [ring]})
        else:
            shape = RadiusShape(5000)
        zones.append(DeliveryZone(f"{sid}-2", sid, 2, "outer", shape, outer_fee))
    return stores, zones


def measure(fn, points, gc_off: bool, clock_name: str = "wall") -> list[float]:
    for p in points[:200]:  # warm caches and numpy's lazy init
        fn(p)
    if gc_off:
        gc.disable()
    out = []
    # "thread" = CPU time of this thread: excludes time spent descheduled, which is what
    # dominates the tail on a 2-core box shared with other jobs.
    clock = time.thread_time_ns if clock_name == "thread" else time.perf_counter_ns
    for p in points:
        t0 = clock()
        fn(p)
        out.append((clock() - t0) / 1000.0)
    gc.enable()
    return out


def summary(name: str, samples: list[float]) -> str:
    s = sorted(samples)
    pick = lambda q: s[min(len(s) - 1, int(q * len(s)))]  # noqa: E731
    return f"{name:<34} p50 {pick(0.50):7.1f}  p90 {pick(0.90):7.1f}  p99 {pick(0.99):7.1f}  max {s[-1]:8.1f} us"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stores", type=int, default=10_000)
    parser.add_argument("--polygons", type=float, default=0.0)
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--gc-off", action="store_true", help="disable the cyclic GC while timing")
    parser.add_argument("--clock", choices=["wall", "thread"], default="wall")
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the metro box's sides (2 = 4x the area)")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    stores, zones = build(args.stores, args.polygons, rng, args.scale)
    lon0, lon1, lat0, lat1 = area(args.scale)
    t0 = time.perf_counter()
    index = InMemoryGeoIndex(stores, zones)
    build_ms = (time.perf_counter() - t0) * 1000
    points = [LonLat(rng.uniform(lon0, lon1), rng.uniform(lat0, lat1)) for _ in range(args.queries)]
    hits = [len(index.zone_hits(p)) for p in points[:2000]]
    print(
        f"{args.stores} stores, {len(zones)} zones ({args.polygons:.0%} of tier 2 as polygons); "
        f"area x{args.scale ** 2:g}; build {build_ms:.0f} ms; clock={args.clock}"
    )
    print(f"zones covering a query point: mean {statistics.mean(hits):.0f}, max {max(hits)}")
    print(summary("zone_hits (zones + store dist)", measure(index.zone_hits, points, args.gc_off, args.clock)))
    print(summary("zones_covering", measure(index.zones_covering, points, args.gc_off, args.clock)))
    print(summary("nearest_stores k=10", measure(lambda p: index.nearest_stores(p, 10), points, args.gc_off, args.clock)))
    within_3km = measure(lambda p: index.nearest_stores(p, 10, 3000.0), points, args.gc_off, args.clock)
    print(summary("nearest_stores k=10, <=3 km", within_3km))


if __name__ == "__main__":
    main()
