"""Distances: great-circle (haversine) and an estimated road distance.

All backends must agree on one sphere so that "is this point within 3 km" has one answer:
mean Earth radius R = 6,371,008.8 m (IUGG R1). PostGIS's sphere radius is 6,371,008.7714
m, so `ST_Distance(geog, geog, false)` / `ST_DWithin(geog, geog, r, false)`
(`use_spheroid => false`) match to ~1e-9 relative; the spheroid default would not (it
differs by up to ~0.5%).
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

from geo.coordinates import LonLat

EARTH_RADIUS_M = 6371008.8


def haversine_m(a: LonLat, b: LonLat) -> float:
    """Great-circle distance in metres on the mean-radius sphere."""
    lat1 = math.radians(a.lat)
    lat2 = math.radians(b.lat)
    sin_dlat = math.sin((lat2 - lat1) / 2.0)
    sin_dlon = math.sin(math.radians(b.lon - a.lon) / 2.0)
    h = sin_dlat * sin_dlat + math.cos(lat1) * math.cos(lat2) * sin_dlon * sin_dlon
    # min(): float noise can push h a hair above 1 for antipodal points.
    return 2.0 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


@runtime_checkable
class RoadDistanceProvider(Protocol):
    """Estimated courier travel distance in a city. Implementations: detour factor (here, no
    network), later a routing service with a cache. Must be deterministic per input for a
    given provider version so that a quoted fee can be reproduced at checkout.

    The one provider in use is `geo.zone_lookup.ROAD_DISTANCE`; fees, ETAs, slots,
    nearbyStores and the dispatch engine all read it, so they never disagree."""

    def road_distance_m(self, a: LonLat, b: LonLat, city: str | None) -> float:
        """Road metres from a to b in `city` (None: unknown city, the provider's default)."""
        ...

    def detour_factor(self, city: str | None) -> float | None:
        """F when road distance in `city` is exactly haversine_m x F, else None (a routing
        service). Hot paths that already measured the great circle (the zone index, the
        compiled deliveryOptions kernel, the dispatcher's matrices) multiply instead of
        calling road_distance_m; None sends them to road_distance_m."""
        ...

    def min_detour_factor(self) -> float:
        """A lower bound of road / straight line over every city (>= 1 for real roads):
        nearbyStores widens its straight-line search until this bound settles the order."""
        ...


# Newell's network factor is ~1.2 and O'Sullivan measured 1.21-1.23 for long trips, but
# short urban trips are more circuitous (one-way streets, gated compounds, river
# crossings, walking the last 50 m). Our trips are 0.5-5 km inside a city, so we start at
# 1.3, the low end of the 1.3-1.4 band for <= 5 km, and calibrate per city from courier
# GPS tracks. Underestimating is the worse error: the fee and the promise would both be
# too optimistic.
DEFAULT_DETOUR_FACTOR = 1.3


@dataclass(frozen=True)
class DetourFactorDistance:
    """road distance = haversine x factor; factor configurable per city."""

    default_factor: float = DEFAULT_DETOUR_FACTOR
    factor_by_city: Mapping[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for city, factor in [("<default>", self.default_factor), *self.factor_by_city.items()]:
            # < 1 would make roads shorter than the straight line; > 3 is a data error.
            if not (isinstance(factor, (int, float)) and 1.0 <= factor <= 3.0):
                raise ValueError(f"detour factor for {city} must be within [1, 3], got {factor!r}")

    def factor_for(self, city: str | None) -> float:
        if city is None:
            return self.default_factor
        return self.factor_by_city.get(city, self.default_factor)

    def detour_factor(self, city: str | None) -> float:
        return self.factor_for(city)

    def min_detour_factor(self) -> float:
        return min([self.default_factor, *self.factor_by_city.values()])

    def road_distance_m(self, a: LonLat, b: LonLat, city: str | None = None) -> float:
        return haversine_m(a, b) * self.factor_for(city)

    def road_distances_m(self, origin: LonLat, destinations: Sequence[LonLat], city: str | None = None) -> list[float]:
        factor = self.factor_for(city)
        return [haversine_m(origin, d) * factor for d in destinations]


def degree_bbox(center: LonLat, radius_m: float) -> tuple[float, float, float, float] | None:
    """Smallest lon/lat box containing every point within `radius_m` (great circle).

    Returns None when the circle reaches a pole or crosses the antimeridian; callers then
    fall back to a full scan (never happens for Chinese cities, but stays correct).
    """
    if radius_m < 0:
        raise ValueError("radius must be non-negative")
    angular = radius_m / EARTH_RADIUS_M
    dlat = math.degrees(angular)
    min_lat, max_lat = center.lat - dlat, center.lat + dlat
    if angular >= math.pi / 2 or min_lat <= -90.0 or max_lat >= 90.0:
        return None
    # Exact spherical half-width in longitude of a small circle: asin(sin(r)/cos(lat)).
    ratio = math.sin(angular) / math.cos(math.radians(center.lat))
    if ratio >= 1.0:
        return None
    dlon = math.degrees(math.asin(ratio))
    # A hair of slack so float rounding can never drop a point that is exactly on the circle.
    pad = 1e-9
    min_lon, max_lon = center.lon - dlon - pad, center.lon + dlon + pad
    if min_lon < -180.0 or max_lon > 180.0:
        return None
    return (min_lon, min_lat - pad, max_lon, max_lat + pad)


def destination_point(start: LonLat, bearing_deg: float, distance_m: float) -> LonLat:
    """The point `distance_m` from `start` along initial `bearing_deg` (0 = north), on the
    same sphere as haversine_m. Used to draw radius zones and to build edge-case tests."""
    angular = distance_m / EARTH_RADIUS_M
    bearing = math.radians(bearing_deg)
    lat1, lon1 = math.radians(start.lat), math.radians(start.lon)
    sin_lat2 = math.sin(lat1) * math.cos(angular) + math.cos(lat1) * math.sin(angular) * math.cos(bearing)
    lat2 = math.asin(max(-1.0, min(1.0, sin_lat2)))
    lon2 = lon1 + math.atan2(
        math.sin(bearing) * math.sin(angular) * math.cos(lat1), math.cos(angular) - math.sin(lat1) * sin_lat2
    )
    lon_deg = (math.degrees(lon2) + 540.0) % 360.0 - 180.0
    return LonLat(lon_deg, math.degrees(lat2))
