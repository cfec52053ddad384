"""Delivery zones: several tiers per store, each a radius around the store or a polygon.

Semantics every GeoIndex backend must reproduce exactly:

* **Boundary counts as inside** (covers, not contains): a customer on the edge is served.
* **Radius zone**: great-circle distance on the R=6,371,008.8 m sphere from the store's
  location, `haversine_m(store, point) <= radius_m + 1 mm`. The millimetre absorbs float
  noise between implementations (numpy vs math vs PostGIS) on points drawn on the edge.
  PostGIS: `ST_DWithin(store.loc::geography, :pt::geography, radius_m + 0.001, false)`.
* **Polygon zone**: planar in lon/lat degrees (WGS-84), exactly as drawn on a map UI
  (edges are straight lines on the screen, not great circles). PostGIS must therefore use
  **geometry** `ST_Covers(zone.area, ST_SetSRID(ST_MakePoint(lon, lat), 4326))`, not
  geography (which would bend the edges along great circles and move them by metres).
* **Tiers**: tier 1 is the innermost/cheapest; when several tiers of one store cover a
  point the lowest tier number wins (see delivery_options).

Input validation (`parse_geojson_polygon`) raises GeoInputError with a code and a field
path such as ``polygon.coordinates[0][3]``.
"""
from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry import LinearRing, Point, Polygon

from geo.coordinates import CoordinateSystem, LonLat, check_lon_lat, to_wgs84
from geo.distance import EARTH_RADIUS_M, degree_bbox, haversine_m
from geo.errors import GeoErrorCode, GeoInputError
from geo.fees import FeeRule

MAX_ZONE_AREA_M2 = 2_500_000_000.0  # 2,500 km^2: bigger than any one city's delivery area
MIN_ZONE_AREA_M2 = 100.0  # 10 m x 10 m: smaller is a mis-click, not a zone
MAX_VERTICES = 1000  # total over all rings; a hand-drawn zone has tens
MAX_GEOJSON_CHARS = 256 * 1024  # refuse to json.loads a multi-megabyte "polygon"
RADIUS_BOUNDARY_TOLERANCE_M = 0.001


@dataclass(frozen=True)
class RadiusShape:
    """Circle of `radius_m` around the owning store's location."""

    radius_m: float

    def __post_init__(self) -> None:
        r = self.radius_m
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not math.isfinite(r) or r <= 0:
            raise GeoInputError(GeoErrorCode.INVALID_ZONE, "radius_m", "radius must be a positive number of metres")
        area = math.pi * r * r
        if area > MAX_ZONE_AREA_M2:
            raise GeoInputError(GeoErrorCode.ZONE_TOO_LARGE, "radius_m", f"radius {r:g} m covers more than 2,500 km^2")
        if area < MIN_ZONE_AREA_M2:
            raise GeoInputError(GeoErrorCode.ZONE_TOO_SMALL, "radius_m", f"radius {r:g} m covers less than 100 m^2")

    def covers(self, store_location: LonLat, point: LonLat) -> bool:
        return haversine_m(store_location, point) <= self.radius_m + RADIUS_BOUNDARY_TOLERANCE_M

    def bbox(self, store_location: LonLat) -> tuple[float, float, float, float] | None:
        pad_m = RADIUS_BOUNDARY_TOLERANCE_M
        return degree_bbox(store_location, self.radius_m + pad_m)


@dataclass(frozen=True)
class PolygonShape:
    """WGS-84 polygon (lon/lat, planar semantics). Build it with parse_geojson_polygon."""

    geometry: Polygon = field(compare=False)
    area_m2: float = field(init=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.geometry, Polygon):
            raise GeoInputError(GeoErrorCode.INVALID_GEOJSON, "polygon", "a zone polygon must be a single Polygon")
        min_lon, min_lat, max_lon, max_lat = self.geometry.bounds
        # Also reached when a Polygon is built directly rather than via parse_geojson_polygon.
        check_lon_lat(min_lon, min_lat, "polygon.bounds")
        check_lon_lat(max_lon, max_lat, "polygon.bounds")
        _check_valid(self.geometry, "polygon")
        area = _approx_area_m2(self.geometry)
        _check_area(area, "polygon")
        object.__setattr__(self, "area_m2", area)
        shapely.prepare(self.geometry)  # later covers() calls reuse the prepared index

    def covers(self, point: LonLat) -> bool:
        return bool(self.geometry.covers(Point(point.lon, point.lat)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PolygonShape) and self.geometry.equals_exact(other.geometry, 0.0)

    def __hash__(self) -> int:
        return hash(self.geometry.wkb)

    def to_geojson(self) -> dict[str, Any]:
        return shapely.geometry.mapping(self.geometry)  # type: ignore[return-value]


ZoneShape = RadiusShape | PolygonShape


@dataclass(frozen=True)
class DeliveryZone:
    """One delivery tier of one store, with its per-tier rules."""

    id: str
    store_id: str
    tier: int
    name: str
    shape: ZoneShape
    fee_rule: FeeRule
    # Off unless configured: promising 30-minute delivery is an opt-in per tier.
    express_allowed: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.tier, bool) or not isinstance(self.tier, int) or self.tier < 1:
            raise GeoInputError(GeoErrorCode.INVALID_ZONE, "tier", "tier must be an int >= 1 (1 = innermost)")
        if not isinstance(self.shape, (RadiusShape, PolygonShape)):
            raise GeoInputError(GeoErrorCode.INVALID_ZONE, "shape", "shape must be a RadiusShape or PolygonShape")
        if not isinstance(self.fee_rule, FeeRule):
            raise GeoInputError(GeoErrorCode.INVALID_ZONE, "fee_rule", "fee_rule must provide fee_fen(road_distance_m)")

    def covers(self, point: LonLat, store_location: LonLat) -> bool:
        """Boundary-inclusive membership test (see module docstring for the exact rules)."""
        if isinstance(self.shape, RadiusShape):
            return self.shape.covers(store_location, point)
        return self.shape.covers(point)


# --- GeoJSON parsing and validation ------------------------------------------------------


def parse_geojson_polygon(
    obj: str | Mapping[str, Any],
    system: CoordinateSystem = CoordinateSystem.WGS84,
    field: str = "polygon",
) -> PolygonShape:
    """Parse a GeoJSON Polygon (or a Feature wrapping one), convert to WGS-84, validate.

    Checks, in order (cheap structural checks before any geometry work): JSON syntax and
    type, vertex count <= 1000, each position a finite [lon, lat(, alt)] in range, rings
    closed with >= 4 positions, no self-intersection / invalid topology, area within
    [100 m^2, 2,500 km^2]. Altitude is ignored.
    """
    if isinstance(obj, (str, bytes)):
        if len(obj) > MAX_GEOJSON_CHARS:
            raise GeoInputError(GeoErrorCode.INVALID_GEOJSON, field, "GeoJSON document is too large")
        try:
            obj = json.loads(obj)
        except (ValueError, UnicodeDecodeError) as exc:
            raise GeoInputError(GeoErrorCode.INVALID_GEOJSON, field, f"not valid JSON: {exc}") from exc
    if not isinstance(obj, Mapping):
        raise GeoInputError(GeoErrorCode.INVALID_GEOJSON, field, "expected a GeoJSON object")
    if obj.get("type") == "Feature":
        field = f"{field}.geometry"
        obj = obj.get("geometry")
        if not isinstance(obj, Mapping):
            raise GeoInputError(GeoErrorCode.INVALID_GEOJSON, field, "Feature has no geometry object")
    if obj.get("type") != "Polygon":
        raise GeoInputError(GeoErrorCode.INVALID_GEOJSON, f"{field}.type", f"expected type 'Polygon', got {obj.get('type')!r}")
    coords_field = f"{field}.coordinates"
    rings = obj.get("coordinates")
    if not isinstance(rings, list) or not rings:
        raise GeoInputError(GeoErrorCode.INVALID_GEOJSON, coords_field, "coordinates must be a non-empty list of rings")
    for r, ring in enumerate(rings):
        if not isinstance(ring, list):
            raise GeoInputError(GeoErrorCode.INVALID_GEOJSON, f"{coords_field}[{r}]", "a ring must be a list of positions")
    total = sum(len(ring) for ring in rings)
    if total > MAX_VERTICES:
        raise GeoInputError(GeoErrorCode.TOO_MANY_VERTICES, coords_field, f"{total} positions; at most {MAX_VERTICES} allowed")

    system = CoordinateSystem(system)
    wgs_rings: list[list[tuple[float, float]]] = []
    for r, ring in enumerate(rings):
        ring_field = f"{coords_field}[{r}]"
        positions: list[tuple[float, float]] = []
        for i, position in enumerate(ring):
            pos_field = f"{ring_field}[{i}]"
            if not isinstance(position, (list, tuple)) or len(position) not in (2, 3):
                raise GeoInputError(GeoErrorCode.INVALID_GEOJSON, pos_field, "a position must be [lon, lat]")
            lon, lat = position[0], position[1]
            check_lon_lat(lon, lat, pos_field)
            positions.append((float(lon), float(lat)))
        if len(positions) < 4:
            raise GeoInputError(
                GeoErrorCode.TOO_FEW_POSITIONS, ring_field, f"a ring needs at least 4 positions, got {len(positions)}"
            )
        if positions[0] != positions[-1]:
            raise GeoInputError(
                GeoErrorCode.RING_NOT_CLOSED, f"{ring_field}[{len(positions) - 1}]", "the last position must equal the first"
            )
        if system is not CoordinateSystem.WGS84:
            # Convert each vertex (first/last stay equal: the conversion is deterministic).
            positions = [to_wgs84(LonLat(lon, lat), system).as_tuple() for lon, lat in positions]
        wgs_rings.append(positions)

    polygon = Polygon(wgs_rings[0], wgs_rings[1:])
    _check_valid(polygon, field, wgs_rings)
    return PolygonShape(polygon)


def _check_valid(polygon: Polygon, field: str, rings: list[list[tuple[float, float]]] | None = None) -> None:
    if polygon.is_valid:
        return
    reason = shapely.is_valid_reason(polygon)
    coords_field = f"{field}.coordinates"
    if "Self-intersection" in reason or "Ring Self-intersection" in reason:
        # Name the first ring that crosses itself; if every ring is simple the problem is
        # between rings (a hole crossing the shell) and we point at the whole polygon.
        ring_coords = rings if rings is not None else [polygon.exterior.coords, *(h.coords for h in polygon.interiors)]
        for r, ring in enumerate(ring_coords):
            if len(ring) >= 4 and not LinearRing(ring).is_simple:
                raise GeoInputError(GeoErrorCode.SELF_INTERSECTING, f"{coords_field}[{r}]", f"ring {r} crosses itself ({reason})")
        raise GeoInputError(GeoErrorCode.SELF_INTERSECTING, coords_field, f"rings cross each other ({reason})")
    raise GeoInputError(GeoErrorCode.INVALID_GEOMETRY, coords_field, f"invalid polygon: {reason}")


def _approx_area_m2(polygon: Polygon) -> float:
    """Area in m^2 via an equirectangular projection about the polygon's mid-latitude.

    Exact enough (< 0.1% for zones up to ~50 km across) to catch absurd sizes; the check is
    a sanity guard, not a billing quantity.
    """
    min_lon, min_lat, max_lon, max_lat = polygon.bounds
    mid_lat = math.radians((min_lat + max_lat) / 2.0)
    metres_per_degree = math.pi * EARTH_RADIUS_M / 180.0
    sx = metres_per_degree * math.cos(mid_lat)
    sy = metres_per_degree
    projected = shapely.transform(polygon, lambda xy: xy * (sx, sy))
    return float(projected.area)


def _check_area(area_m2: float, field: str) -> None:
    if area_m2 > MAX_ZONE_AREA_M2:
        raise GeoInputError(GeoErrorCode.ZONE_TOO_LARGE, field, f"zone covers {area_m2 / 1e6:,.0f} km^2; at most 2,500 km^2")
    if area_m2 < MIN_ZONE_AREA_M2:
        raise GeoInputError(GeoErrorCode.ZONE_TOO_SMALL, field, f"zone covers {area_m2:,.1f} m^2; at least 100 m^2")


def innermost_order(zone: DeliveryZone) -> tuple:
    """Which covering zone decides: the lowest tier, then the lowest id (numeric ids compare
    by length first, so "9" < "10"). Checkout, delivery options and slots all use this."""
    return (zone.tier, len(zone.id), zone.id)
