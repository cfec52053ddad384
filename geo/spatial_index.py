"""In-memory GeoIndex: Shapely 2 STRtree for candidates, exact sphere math to decide.

STRtree is planar (degrees), so it is only used to fetch *candidates* whose bounding box
can contain the answer; the decision is always exact:

* stores: candidates from a degree box that contains the whole search circle
  (`degree_bbox`), ranked by great-circle distance. Without max_distance the circle
  widens (x4) until at least k candidates lie inside it, which proves no store outside
  the box can be nearer.
* radius zones: candidate if the point is in the circle's bounding box, hit if the
  sphere distance to the store is <= radius + 1 mm.
* polygon zones: candidate by envelope, hit by GEOS `covers` on prepared polygons, except
  where an inscribed/enclosing circle in the polygon's own lon/lat plane already decides
  (with margins that leave every boundary point to GEOS, so answers equal GEOS/PostGIS).
* nearest without max_distance: the first radius comes from a 0.1-degree store-density
  grid, so one tree query usually suffices; it widens x4 until k stores lie inside the
  circle (which proves nothing outside its box can be nearer). Before that, a ~1 km cell
  cache per (cell, k) holds a proven superset of the k nearest of any point in the cell,
  so most calls rank ~100 cached candidates without a tree query (`cell_candidates`).
* the deliveryOptions hot path (geo.options_kernel) makes the same zone decisions from the
  per-zone columns of `zone_test_columns`.

Speed notes (numpy/shapely cost ~1 us per call regardless of size at these sizes, so the
number of calls matters more than the number of candidates):
* distances use unit vectors precomputed per store, stored as three 1-D columns:
  chord^2 = |p - s|^2 is three `take`s and a few in-place ops; radius tests compare
  chord^2 with a precomputed per-zone threshold (no trig per candidate).
  d = 2R asin(chord / 2) is the same great-circle distance as haversine, evaluated only
  for hits.
* results are built from two `.tolist()` calls (ZoneHits keeps zones and distances as
  parallel lists; zipping 300 tuples would cost as much as the whole query).

The index is immutable: build a new one and swap the reference when stores or zones
change (build time for 10k stores + 20k zones is reported by bench/geo_index_micro.py).
"""
from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import shapely
from shapely import STRtree

from geo.coordinates import LonLat
from geo.distance import EARTH_RADIUS_M, degree_bbox, haversine_m
from geo.index_protocol import AsyncGeoIndexAdapter, GeoIndex, StoreDistance, ZoneHits
from geo.zones import (
    RADIUS_BOUNDARY_TOLERANCE_M,
    DeliveryZone,
    PolygonShape,
    RadiusShape,
)

_INITIAL_SEARCH_M = 1000.0
_SEARCH_GROWTH = 4.0
_WORLD_BOX = shapely.box(-180.0, -90.0, 180.0, 90.0)


_DENSITY_CELL_DEG = 0.1  # ~10 km; fine enough to tell a city centre from its suburbs
_CELL_DEG = 0.01  # nearest-store candidate cache cells, ~1 km
_CELL_CACHE_MAX_ROWS = 2_000_000  # candidate rows over all cells: <= ~70 MB per index
_NOT_BUILT = object()


def _density_cell(point: LonLat) -> tuple[int, int]:
    return (math.floor(point.lon / _DENSITY_CELL_DEG), math.floor(point.lat / _DENSITY_CELL_DEG))


def _chord2(xs: np.ndarray, ys: np.ndarray, zs: np.ndarray, indices: np.ndarray, point: LonLat) -> np.ndarray:
    """Squared chord (unit sphere) from `point` to rows `indices` of the x/y/z columns.

    A fixed sequence of 1-D numpy calls: fancy-indexing an (n, 3) array or broadcasting
    (n, 3) - (3,) costs 3-5x more than three 1-D `take`s at these sizes (tens to hundreds
    of rows), and per-call overhead is what dominates here.
    """
    lon_r, lat_r = math.radians(point.lon), math.radians(point.lat)
    cos_lat = math.cos(lat_r)
    out = xs.take(indices)
    out -= cos_lat * math.cos(lon_r)
    out *= out
    dy = ys.take(indices)
    dy -= cos_lat * math.sin(lon_r)
    dy *= dy
    out += dy
    dz = zs.take(indices)
    dz -= math.sin(lat_r)
    dz *= dz
    out += dz
    return out


def _polygon_shortcut(polygon: shapely.Geometry) -> tuple[float, float, float, float]:
    """(anchor x, anchor y, r_in^2, r_out^2) with the margins described in
    InMemoryGeoIndex._build_polygon_shortcuts."""
    # A 2% tolerance is plenty for a shortcut and keeps the build fast.
    min_x, min_y, max_x, max_y = polygon.bounds
    circle = shapely.maximum_inscribed_circle(polygon, 0.02 * max(max_x - min_x, max_y - min_y))
    anchor = shapely.get_point(circle, 0)
    ax, ay = anchor.x, anchor.y
    r_in = shapely.distance(anchor, polygon.boundary) if polygon.covers(anchor) else 0.0
    ring = np.asarray(polygon.exterior.coords)
    r_out2 = float(((ring[:, 0] - ax) ** 2 + (ring[:, 1] - ay) ** 2).max())
    return ax, ay, r_in * r_in * (1.0 - 1e-9), r_out2 * (1.0 + 1e-9)


def _chord2_for(distance_m: float) -> float:
    """Squared chord length of a great-circle arc of distance_m (unit sphere)."""
    angle = min(math.pi, distance_m / EARTH_RADIUS_M)
    chord = 2.0 * math.sin(angle / 2.0)
    return chord * chord


def _metres_from_chord2(chord2: np.ndarray) -> np.ndarray:
    half_chord = np.sqrt(chord2)
    half_chord *= 0.5
    # chord2 can exceed 4 by float noise for antipodal points; clip keeps arcsin defined.
    np.minimum(half_chord, 1.0, out=half_chord)
    np.arcsin(half_chord, out=half_chord)
    half_chord *= 2.0 * EARTH_RADIUS_M
    return half_chord


class InMemoryGeoIndex:
    """Sync SyncGeoIndex over a fixed set of stores and zones. `.as_async()` -> GeoIndex."""

    def __init__(
        self, stores: Iterable[tuple[str, LonLat]], zones: Iterable[DeliveryZone] = (),
        nearest_cells_from: InMemoryGeoIndex | None = None,
    ):
        """`nearest_cells_from`: an earlier index of the same stores (ids and locations, in
        order) whose nearest-store candidate cells are still right for this one; they depend
        on the stores only, so a zone edit keeps them."""
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
        self._store_x, self._store_y, self._store_z = (np.ascontiguousarray(self._store_xyz[:, i]) for i in range(3))
        self._all_stores = np.arange(len(store_ids), dtype=np.intp)
        # Stores per coarse cell: lets nearest_stores start with a radius that usually holds
        # k stores, instead of widening from a fixed guess (each widening is a tree query).
        self._density: dict[tuple[int, int], int] = {}
        for p in locations:
            cell = _density_cell(p)
            self._density[cell] = self._density.get(cell, 0) + 1
        self._store_tree = STRtree(shapely.points([p.as_tuple() for p in locations]) if locations else [])

        zone_list: list[DeliveryZone] = []
        zone_store: list[int] = []
        chord2_limit: list[float] = []
        envelopes: list[shapely.Geometry] = []
        polygons: list[shapely.Geometry | None] = []
        shapes: list[PolygonShape | None] = []
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
                shapes.append(None)
            elif isinstance(zone.shape, PolygonShape):
                envelopes.append(zone.shape.geometry)
                chord2_limit.append(-1.0)  # never passes the radius test; decided by covers
                polygons.append(zone.shape.geometry)
                shapes.append(zone.shape)
            else:  # pragma: no cover - DeliveryZone already validates the shape type
                raise TypeError(f"zone {zone.id!r}: unsupported shape {type(zone.shape).__name__}")
        self._zones = np.empty(len(zone_list), dtype=object)
        self._zones[:] = zone_list
        self._zone_store = np.array(zone_store, dtype=np.intp)
        # Per-zone copies of the store's unit vector, one contiguous column per axis.
        zone_xyz = self._store_xyz[self._zone_store] if zone_list else np.empty((0, 3))
        self._zone_x, self._zone_y, self._zone_z = (np.ascontiguousarray(zone_xyz[:, i]) for i in range(3))
        self._zone_chord2_limit = np.array(chord2_limit, dtype=np.float64)
        self._zone_polygons = np.empty(len(polygons), dtype=object)
        self._zone_polygons[:] = polygons
        self._zone_is_polygon = np.array([p is not None for p in polygons], dtype=bool)
        self._has_polygons = bool(self._zone_is_polygon.any())
        shapely.prepare(self._zone_polygons[self._zone_is_polygon])
        self._build_polygon_shortcuts(shapes)
        self._zone_tree = STRtree(envelopes)
        self._cells: dict[tuple[int, int, int], tuple[np.ndarray, ...] | None] = {}
        self._cell_rows = 0
        if nearest_cells_from is not None and nearest_cells_from._store_locations == locations and list(
            nearest_cells_from._store_ids
        ) == store_ids:
            self._cells = dict(nearest_cells_from._cells)  # one C-level copy: safe while the other is in use
            self._cell_rows = nearest_cells_from._cell_rows
        self._zones_of_store: list[np.ndarray] | None = None  # built on first zone_hits_for_stores
        self._zone_positions_by_store: list[list[int]] = [[] for _ in range(len(store_ids))]
        for zone_index, store_index in enumerate(zone_store):
            self._zone_positions_by_store[store_index].append(zone_index)
        # RadiusShape.covers' own test (haversine <= radius + tolerance), per zone; -1 for polygons.
        self._zone_radius_m = np.array(
            [z.shape.radius_m + RADIUS_BOUNDARY_TOLERANCE_M if isinstance(z.shape, RadiusShape) else -1.0 for z in zone_list],
            dtype=np.float64,
        )

    def _build_polygon_shortcuts(self, shapes: list[PolygonShape | None]) -> None:
        """Per polygon, two circles in the polygon's own planar lon/lat space around an
        anchor: everything within r_in is inside (maximum inscribed circle), everything
        beyond r_out is outside (farthest vertex). Only points between them need a GEOS
        `covers` call (~0.25 us each, the dominant cost with many polygon zones). The
        1e-9 relative margins keep boundary points in the "ask GEOS" band, so answers are
        exactly GEOS's (and therefore PostGIS's). Kept on the shape, which a rebuild reuses
        for unchanged zones (~25 us per polygon otherwise)."""
        n = len(shapes)
        self._poly_ax = np.zeros(n)
        self._poly_ay = np.zeros(n)
        self._poly_rin2 = np.full(n, -1.0)  # -1: no shortcut, never "surely inside"
        self._poly_rout2 = np.full(n, np.inf)  # inf: never "surely outside"
        for i, shape in enumerate(shapes):
            if shape is None:
                continue
            shortcut = shape.__dict__.get("_index_shortcut")
            if shortcut is None:
                shortcut = _polygon_shortcut(shape.geometry)
                object.__setattr__(shape, "_index_shortcut", shortcut)  # a cache, not a field: eq/hash unaffected
            self._poly_ax[i], self._poly_ay[i], self._poly_rin2[i], self._poly_rout2[i] = shortcut

    def _polygons_cover(self, polygon_candidates: np.ndarray, point: LonLat, geom: shapely.Geometry) -> np.ndarray:
        dx = self._poly_ax.take(polygon_candidates)
        dx -= point.lon
        dx *= dx
        dy = self._poly_ay.take(polygon_candidates)
        dy -= point.lat
        dy *= dy
        dx += dy
        inside = dx < self._poly_rin2.take(polygon_candidates)
        undecided = ~inside
        undecided &= dx <= self._poly_rout2.take(polygon_candidates)
        if undecided.any():
            inside[undecided] = shapely.covers(self._zone_polygons.take(polygon_candidates[undecided]), geom)
        return inside

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
        if max_distance_m is not None:
            if math.isnan(max_distance_m) or max_distance_m < 0:
                raise ValueError("max_distance_m must be a non-negative number")
            candidates = self._stores_in_circle_box(point, max_distance_m)
            if not len(candidates):
                return []
            chord2 = self._store_chord2(candidates, point)
            # Slack in chord space, exact test in metres below: a store at exactly
            # max_distance_m is kept whichever way float rounding went.
            keep = chord2 <= _chord2_for(max_distance_m) * (1.0 + 1e-9) + 1e-18
            ranked = self._top_k(candidates[keep], chord2[keep], k)
            # 1 um of slack: the chord formula and math haversine differ in the last bits.
            return [hit for hit in ranked if hit[1] <= max_distance_m + 1e-6]
        positions, chord2 = self._nearest(point, k)
        ids = self._store_ids.take(positions).tolist()
        return list(zip(ids, _metres_from_chord2(chord2).tolist(), strict=True))

    def nearest_positions(self, point: LonLat, k: int) -> tuple[list[int], list[float], list[float]]:
        """nearest_stores(point, k) without max distance, as store *positions* (order of the
        `stores` passed to the constructor): (positions, squared unit-sphere chords,
        distances in metres), nearest first. Exactly the same stores, order and distances
        as nearest_stores."""
        if k <= 0 or not self.store_count:
            return [], [], []
        positions, chord2 = self._nearest(point, k)
        return positions.tolist(), chord2.tolist(), _metres_from_chord2(chord2).tolist()

    def _nearest(self, point: LonLat, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(positions, chord2) of the k nearest stores, nearest first (ties: position)."""
        if k < self.store_count:
            cell = self.cell_candidates(point, k)
            if cell is not None:
                positions, xs, ys, zs = cell
                chord2 = _chord2(xs, ys, zs, self._all_stores[: len(positions)], point)
                order = np.lexsort((positions, chord2))  # distance, then insertion order on ties
                # A tie at the cut is left to the tree path, whose choice among equally
                # distant stores (argpartition) is the established answer.
                if not (len(order) > k and chord2[order[k - 1]] == chord2[order[k]]):
                    top = order[:k]
                    return positions.take(top), chord2.take(top)
        return self._nearest_tree(point, k)

    def cell_candidates(self, point: LonLat, k: int) -> tuple[np.ndarray, ...] | None:
        """Stores that can be among the k nearest of *any* point of the point's grid cell
        (_CELL_DEG), cached per (cell, k): a superset, so ranking them exactly gives the
        same k stores as a tree query, minus the tree query (~1/3 of a nearest call).

        With c the cell centre, h >= the distance from c to any point p of the cell, and D
        the k-th nearest distance from c: p's k-th nearest distance is <= D + h, so each of
        p's k nearest stores s has d(c, s) <= d(c, p) + d(p, s) <= D + 2h. Candidates are
        the stores within D + 2h + 1 m of c (metres of slack over float noise)."""
        key = (math.floor(point.lon / _CELL_DEG), math.floor(point.lat / _CELL_DEG), k)
        entry = self._cells.get(key, _NOT_BUILT)
        if entry is not _NOT_BUILT:
            return entry
        entry = self._build_cell(key[0], key[1], k)
        if entry is None or self._cell_rows + len(entry[0]) <= _CELL_CACHE_MAX_ROWS:
            self._cells[key] = entry
            self._cell_rows += 0 if entry is None else len(entry[0])
        return entry

    def prewarm_nearest(self, k: int, max_cells: int = 5000) -> int:
        """Build the nearest-candidate cells of `k` for the cells that hold stores (up to
        max_cells, ~85 us each), so the first queries after a rebuild skip the build too.
        Returns the number of cells built."""
        if not 0 < k < self.store_count:
            return 0
        cells: dict[tuple[int, int], None] = {}
        for p in self._store_locations:
            cells.setdefault((math.floor(p.lon / _CELL_DEG), math.floor(p.lat / _CELL_DEG)), None)
            if len(cells) >= max_cells:
                break
        for cx, cy in cells:
            self.cell_candidates(LonLat((cx + 0.5) * _CELL_DEG, (cy + 0.5) * _CELL_DEG), k)
        return len(cells)

    def _build_cell(self, cx: int, cy: int, k: int) -> tuple[np.ndarray, ...] | None:
        lon0, lat0 = cx * _CELL_DEG, cy * _CELL_DEG
        lon1, lat1 = lon0 + _CELL_DEG, lat0 + _CELL_DEG
        if not (-179.0 < lon0 and lon1 < 179.0 and -80.0 < lat0 and lat1 < 80.0):
            return None
        centre = LonLat((lon0 + lon1) / 2.0, (lat0 + lat1) / 2.0)
        # Small cells: the farthest point from the centre is a corner; 1% + 1 m of margin
        # also covers points that float rounding of the floor() put in this cell.
        h = 1.01 * max(haversine_m(centre, LonLat(x, y)) for x in (lon0, lon1) for y in (lat0, lat1)) + 1.0
        _, chord2 = self._nearest_tree(centre, k)
        reach = float(_metres_from_chord2(chord2[-1:])[0]) + 2.0 * h + 1.0
        candidates = self._stores_in_circle_box(centre, reach)
        candidates = candidates[self._store_chord2(candidates, centre) <= _chord2_for(reach)]
        if len(candidates) > max(8 * k, k + 256):
            return None  # far from the stores: too many candidates to be worth a cache entry
        positions = np.sort(candidates)
        return (positions, self._store_x.take(positions), self._store_y.take(positions), self._store_z.take(positions))

    def _nearest_tree(self, point: LonLat, k: int) -> tuple[np.ndarray, np.ndarray]:
        radius = self._initial_radius(point, k)
        while True:
            candidates = self._stores_in_circle_box(point, radius)
            everything = len(candidates) == self.store_count
            if len(candidates) >= k or everything:
                chord2 = self._store_chord2(candidates, point)
                # Correct once k candidates lie inside the circle: every store within the
                # circle is in its bounding box, so nothing outside can be nearer.
                if everything or np.count_nonzero(chord2 <= _chord2_for(radius)) >= k:
                    return self._top_k_positions(candidates, chord2, k)
            radius *= _SEARCH_GROWTH

    def _initial_radius(self, point: LonLat, k: int) -> float:
        count = self._density.get(_density_cell(point), 0)
        if count < k:
            return _INITIAL_SEARCH_M
        cell_m = _DENSITY_CELL_DEG * math.pi / 180.0 * EARTH_RADIUS_M
        cell_area = cell_m * cell_m * math.cos(math.radians(point.lat))
        # Radius expected to hold k stores at this cell's density, with 50% margin.
        return max(100.0, 1.5 * math.sqrt(k * cell_area / (math.pi * count)))

    def _store_chord2(self, candidates: np.ndarray, point: LonLat) -> np.ndarray:
        return _chord2(self._store_x, self._store_y, self._store_z, candidates, point)

    def _stores_in_circle_box(self, point: LonLat, radius_m: float) -> np.ndarray:
        bbox = degree_bbox(point, radius_m)
        if bbox is None:
            return self._all_stores
        return self._store_tree.query(shapely.box(*bbox))

    def _top_k(self, candidates: np.ndarray, chord2: np.ndarray, k: int) -> list[StoreDistance]:
        positions, chord2 = self._top_k_positions(candidates, chord2, k)
        ids = self._store_ids.take(positions).tolist()
        return list(zip(ids, _metres_from_chord2(chord2).tolist(), strict=True))

    @staticmethod
    def _top_k_positions(candidates: np.ndarray, chord2: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        if len(candidates) > k:
            part = np.argpartition(chord2, k - 1)[:k]
            candidates, chord2 = candidates.take(part), chord2.take(part)
        order = np.lexsort((candidates, chord2))  # distance, then insertion order on ties
        return candidates.take(order), chord2.take(order)

    # --- zones ------------------------------------------------------------------------

    def _covering(self, point: LonLat) -> tuple[np.ndarray, np.ndarray]:
        """(zone indices, squared unit-sphere chord from point to each zone's store)."""
        geom = shapely.Point(point.lon, point.lat)
        return self._decide(self._zone_tree.query(geom), point, geom)

    def zone_hits_for_stores(self, point: LonLat, store_ids: Iterable[str]) -> ZoneHits:
        """zone_hits restricted to the zones of `store_ids` (unknown ids are ignored).

        Same decision code, but the candidates are those stores' zones instead of an
        STRtree query: when the caller already knows which stores matter (one store at
        checkout, the nearest few for a delivery-options screen) this skips the hundreds
        of covering zones of a dense metro."""
        if self._zones_of_store is None:
            by_store: list[list[int]] = [[] for _ in range(self.store_count)]
            for zone_index, store_index in enumerate(self._zone_store.tolist()):
                by_store[store_index].append(zone_index)
            self._zones_of_store = [np.array(z, dtype=np.intp) for z in by_store]
        parts = [self._zones_of_store[self._store_position[s]] for s in store_ids if s in self._store_position]
        candidates = np.concatenate(parts) if parts else np.empty(0, dtype=np.intp)
        indices, chord2 = self._decide(candidates, point, shapely.Point(point.lon, point.lat))
        return ZoneHits(self._zones.take(indices).tolist(), _metres_from_chord2(chord2).tolist())

    def _decide(self, candidates: np.ndarray, point: LonLat, geom: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
        if not len(candidates):
            return candidates, np.empty(0)
        chord2 = _chord2(self._zone_x, self._zone_y, self._zone_z, candidates, point)
        hit = chord2 <= self._zone_chord2_limit.take(candidates)
        if self._has_polygons:
            polygon_mask = self._zone_is_polygon.take(candidates)
            if polygon_mask.any():
                hit[polygon_mask] = self._polygons_cover(candidates[polygon_mask], point, geom)
        return candidates[hit], chord2[hit]

    def zone_positions_of_store(self, position: int) -> list[int]:
        """Indices (order of the `zones` passed to the constructor) of one store's zones."""
        return self._zone_positions_by_store[position]

    def zone_test_columns(self) -> dict[str, np.ndarray]:
        """Per-zone arrays (order of the `zones` passed to the constructor) that decide
        coverage exactly as this index does: radius zones by squared chord against
        `radius_chord2` (-1 for polygons) and by metres against `radius_m`; polygons by the
        inscribed/enclosing circles around (poly_ax, poly_ay), then GEOS on `polygons`
        (prepared) for points between them. For geo.options_kernel."""
        return {
            "radius_chord2": self._zone_chord2_limit, "radius_m": self._zone_radius_m,
            "poly_ax": self._poly_ax, "poly_ay": self._poly_ay, "poly_rin2": self._poly_rin2,
            "poly_rout2": self._poly_rout2, "polygons": self._zone_polygons,
        }

    def zones_covering(self, point: LonLat) -> list[DeliveryZone]:
        indices, _ = self._covering(point)
        return self._zones.take(indices).tolist()

    def zone_hits(self, point: LonLat) -> ZoneHits:
        indices, chord2 = self._covering(point)
        return ZoneHits(self._zones.take(indices).tolist(), _metres_from_chord2(chord2).tolist())

    def as_async(self) -> GeoIndex:
        return AsyncGeoIndexAdapter(self)
