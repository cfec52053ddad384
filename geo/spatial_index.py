"""In-memory GeoIndex: Shapely 2 STRtree for candidates, exact sphere math to decide.

STRtree is planar (degrees), so it is only used to fetch *candidates* whose bounding box
can contain the answer; the decision is always exact:

* stores: candidates from a degree box that contains the whole search circle
  (`degree_bbox`), ranked by great-circle distance. Without max_distance the circle
  widens (x4) until at least k candidates lie inside it, which proves no store outside
  the box can be nearer.
* radius zones: candidate if the point is in the circle's bounding box, hit if the
  sphere distance to the store is <= radius + 1 mm.
* polygon zones: candidate by envelope, hit by GEOS `covers` on prepared polygons.

Speed notes (per-call numpy/shapely overhead is ~1 us per call, so the number of calls
matters more than the number of candidates):
* distances use unit vectors precomputed per store: chord^2 = |p - s|^2 is one gather, one
  subtract and one einsum; radius tests compare chord^2 with a precomputed per-zone
  threshold (no trig per candidate). d = 2R asin(chord / 2) is the same great-circle
  distance as haversine, evaluated only for hits.
* results are plain tuples built with zip over `.tolist()` output.

The index is immutable: build a new one and swap the reference when stores or zones
change (build time for 10k stores + 20k zones is reported by tests/geo/bench_inmemory_index.py).
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import shapely
from shapely import STRtree

from geo.coordinates import LonLat
from geo.distance import EARTH_RADIUS_M, degree_bbox
from geo.index_protocol import AsyncGeoIndexAdapter, GeoIndex, StoreDistance, ZoneHit
from geo.zones import RADIUS_BOUNDARY_TOLERANCE_M, DeliveryZone, PolygonShape, RadiusShape

_INITIAL_SEARCH_M = 1000.0
_SEARCH_GROWTH = 4.0
_WORLD_BOX = shapely.box(-180.0, -90.0, 180.0, 90.0)


def _unit_vector(lon: float, lat: float) -> np.ndarray:
    lon_r, lat_r = math.radians(lon), math.radians(lat)
    cos_lat = math.cos(lat_r)
    return np.array((cos_lat * math.cos(lon_r), cos_lat * math.sin(lon_r), math.sin(lat_r)))


def _chord2_for(distance_m: float) -> float:
    """Squared chord length of a great-circle arc of distance_m (unit sphere)."""
    angle = min(math.pi, distance_m / EARTH_RADIUS_M)
    chord = 2.0 * math.sin(angle / 2.0)
    return chord * chord


def _metres_from_chord2(chord2: np.ndarray) -> np.ndarray:
    # chord2 can exceed 4 by float noise for antipodal points; clip keeps arcsin defined.
    return (2.0 * EARTH_RADIUS_M) * np.arcsin(np.minimum(np.sqrt(chord2) * 0.5, 1.0))


class InMemoryGeoIndex:
    """Sync SyncGeoIndex over a fixed set of stores and zones. `.as_async()` -> GeoIndex."""

    def __init__(self, stores: Iterable[tuple[str, LonLat]], zones: Iterable[DeliveryZone] = ()):
        store_ids: list[str] = []
        locations: list[LonLat] = []
        position: dict[str, int] = {}
        for store_id, location in stores:
            if store_id in position:
                raise ValueError(f"duplicate store id {store_id!r}")
            if not isinstance(location, LonLat):
                raise TypeError(f"store {store_id!r}: location must be a LonLat")
            position[store_id] = len(store_ids)
            store_ids.append(store_id)
            locations.append(location)
        self._store_ids = np.array(store_ids, dtype=object)
        self._store_locations = locations
        self._store_position = position
        lons = np.radians(np.array([p.lon for p in locations], dtype=np.float64))
        lats = np.radians(np.array([p.lat for p in locations], dtype=np.float64))
        self._store_xyz = np.ascontiguousarray(
            np.stack((np.cos(lats) * np.cos(lons), np.cos(lats) * np.sin(lons), np.sin(lats)), axis=1)
        ).reshape(-1, 3)
        self._all_stores = np.arange(len(store_ids), dtype=np.intp)
        self._store_tree = STRtree(shapely.points([p.as_tuple() for p in locations]) if locations else [])

        zone_list: list[DeliveryZone] = []
        zone_store: list[int] = []
        chord2_limit: list[float] = []
        envelopes: list[shapely.Geometry] = []
        polygons: list[shapely.Geometry | None] = []
        seen_zone_ids: set[str] = set()
        for zone in zones:
            if zone.id in seen_zone_ids:
                raise ValueError(f"duplicate zone id {zone.id!r}")
            seen_zone_ids.add(zone.id)
            if zone.store_id not in position:
                raise ValueError(f"zone {zone.id!r} belongs to unknown store {zone.store_id!r}")
            store_index = position[zone.store_id]
            zone_list.append(zone)
            zone_store.append(store_index)
            if isinstance(zone.shape, RadiusShape):
                bbox = zone.shape.bbox(locations[store_index])
                envelopes.append(shapely.box(*bbox) if bbox else _WORLD_BOX)
                chord2_limit.append(_chord2_for(zone.shape.radius_m + RADIUS_BOUNDARY_TOLERANCE_M))
                polygons.append(None)
            elif isinstance(zone.shape, PolygonShape):
                envelopes.append(zone.shape.geometry)
                chord2_limit.append(-1.0)  # never passes the radius test; decided by covers
                polygons.append(zone.shape.geometry)
            else:  # pragma: no cover - DeliveryZone already validates the shape type
                raise TypeError(f"zone {zone.id!r}: unsupported shape {type(zone.shape).__name__}")
        self._zones = np.empty(len(zone_list), dtype=object)
        self._zones[:] = zone_list
        self._zone_store = np.array(zone_store, dtype=np.intp)
        self._zone_chord2_limit = np.array(chord2_limit, dtype=np.float64)
        self._zone_polygons = np.empty(len(polygons), dtype=object)
        self._zone_polygons[:] = polygons
        self._zone_is_polygon = np.array([p is not None for p in polygons], dtype=bool)
        self._has_polygons = bool(self._zone_is_polygon.any())
        shapely.prepare(self._zone_polygons[self._zone_is_polygon])
        self._zone_tree = STRtree(envelopes)

    # --- stores -----------------------------------------------------------------------

    @property
    def store_count(self) -> int:
        return len(self._store_ids)

    @property
    def zone_count(self) -> int:
        return len(self._zones)

    def store_location(self, store_id: str) -> LonLat:
        return self._store_locations[self._store_position[store_id]]

    def nearest_stores(self, point: LonLat, k: int, max_distance_m: float | None = None) -> list[StoreDistance]:
        if k <= 0 or not self.store_count:
            return []
        if max_distance_m is not None and (math.isnan(max_distance_m) or max_distance_m < 0):
            raise ValueError("max_distance_m must be a non-negative number")
        q = _unit_vector(point.lon, point.lat)
        if max_distance_m is not None:
            candidates = self._stores_in_circle_box(point, max_distance_m)
            return self._rank_stores(candidates, q, k, _chord2_for(max_distance_m), max_distance_m)
        radius = _INITIAL_SEARCH_M
        while True:
            candidates = self._stores_in_circle_box(point, radius)
            if len(candidates) >= k or len(candidates) == self.store_count:
                diff = self._store_xyz[candidates] - q
                chord2 = np.einsum("ij,ij->i", diff, diff)
                enough_inside = np.count_nonzero(chord2 <= _chord2_for(radius)) >= k
                if enough_inside or len(candidates) == self.store_count:
                    return self._top_k(candidates, chord2, k)
            radius *= _SEARCH_GROWTH

    def _stores_in_circle_box(self, point: LonLat, radius_m: float) -> np.ndarray:
        bbox = degree_bbox(point, radius_m)
        if bbox is None:
            return self._all_stores
        return self._store_tree.query(shapely.box(*bbox))

    def _rank_stores(
        self, candidates: np.ndarray, q: np.ndarray, k: int, chord2_limit: float, max_distance_m: float
    ) -> list[StoreDistance]:
        if not len(candidates):
            return []
        diff = self._store_xyz[candidates] - q
        chord2 = np.einsum("ij,ij->i", diff, diff)
        # Filter with a little slack in chord space, then exactly in metres, so a store at
        # exactly max_distance_m is kept whichever way float rounding went.
        keep = chord2 <= chord2_limit * (1.0 + 1e-9) + 1e-18
        candidates, chord2 = candidates[keep], chord2[keep]
        result = self._top_k(candidates, chord2, k)
        # 1 um of slack: the chord formula and math.haversine differ in the last bits, and
        # a store placed exactly at max_distance_m must be kept (boundary inclusive).
        return [hit for hit in result if hit[1] <= max_distance_m + 1e-6]

    def _top_k(self, candidates: np.ndarray, chord2: np.ndarray, k: int) -> list[StoreDistance]:
        if len(candidates) > k:
            part = np.argpartition(chord2, k - 1)[:k]
            candidates, chord2 = candidates[part], chord2[part]
        order = np.lexsort((candidates, chord2))  # distance, then insertion order on ties
        ids = self._store_ids[candidates[order]].tolist()
        return list(zip(ids, _metres_from_chord2(chord2[order]).tolist()))

    # --- zones ------------------------------------------------------------------------

    def _covering(self, point: LonLat) -> tuple[np.ndarray, np.ndarray]:
        """(zone indices ascending, squared chord from point to each zone's store)."""
        geom = shapely.Point(point.lon, point.lat)
        candidates = self._zone_tree.query(geom)
        if not len(candidates):
            return candidates, np.empty(0)
        candidates.sort()  # insertion order: deterministic output
        lon_r, lat_r = math.radians(point.lon), math.radians(point.lat)
        cos_lat = math.cos(lat_r)
        q = (cos_lat * math.cos(lon_r), cos_lat * math.sin(lon_r), math.sin(lat_r))
        diff = self._store_xyz[self._zone_store[candidates]] - q
        chord2 = np.einsum("ij,ij->i", diff, diff)
        hit = chord2 <= self._zone_chord2_limit[candidates]
        if self._has_polygons:
            polygon_mask = self._zone_is_polygon[candidates]
            if polygon_mask.any():
                polygon_candidates = candidates[polygon_mask]
                hit[polygon_mask] = shapely.covers(self._zone_polygons[polygon_candidates], geom)
        return candidates[hit], chord2[hit]

    def zones_covering(self, point: LonLat) -> list[DeliveryZone]:
        indices, _ = self._covering(point)
        return self._zones[indices].tolist()

    def zone_hits(self, point: LonLat) -> list[ZoneHit]:
        indices, chord2 = self._covering(point)
        if not len(indices):
            return []
        return list(zip(self._zones[indices].tolist(), _metres_from_chord2(chord2).tolist()))

    def as_async(self) -> GeoIndex:
        return AsyncGeoIndexAdapter(self)
