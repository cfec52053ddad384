"""The GeoIndex interface shared by the in-memory (Shapely) and PostGIS backends.

**Async is the contract.** `GeoIndex` is what resolvers depend on; its methods are
coroutines because the PostGIS backend does I/O. `InMemoryGeoIndex` does microseconds of
CPU work per call, so it exposes plain sync methods (`SyncGeoIndex`) and `.as_async()`
returns a thin `GeoIndex` wrapper that calls them inline (no thread hop: a thread
hand-off would cost more than the lookup).

Contract every backend must meet (one shared test suite should run against both):

* Points and zone polygons are WGS-84 (`LonLat`); callers convert GCJ-02/BD-09 first.
* Distances are great-circle metres on the R = 6,371,008.8 m sphere (`geo.distance`).
  PostGIS: geography with `use_spheroid => false`.
* `nearest_stores(point, k, max_distance_m)`: up to k `(store_id, distance_m)` ascending
  by distance; stores at exactly `max_distance_m` are included. Ties are broken by an
  unspecified but deterministic order. PostGIS: `ORDER BY loc <-> :pt LIMIT k'` then
  re-rank with `ST_Distance(..., false)` (`<->` alone is index-ordered, not exact).
* `zones_covering(point)`: every zone whose shape covers the point, boundary inclusive
  (semantics in `geo.zones`: radius = sphere distance <= radius + 1 mm; polygon = planar
  lon/lat `ST_Covers` on geometry SRID 4326). Order is not significant.
* `zone_hits(point)`: the same zones, each paired with the distance from the point to the
  zone's store, i.e. everything a delivery-options query needs in one round trip.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, TypeAlias, runtime_checkable

from geo.coordinates import LonLat
from geo.zones import DeliveryZone

StoreDistance: TypeAlias = tuple[str, float]  # (store_id, distance_m)


class ZoneHits:
    """Zones covering a point and, in parallel, the distance from the point to each zone's
    store. Parallel lists rather than a list of pairs: a dense metro has ~300 covering
    zones per point, and building 300 tuples costs as much as the spatial query.
    Iterating yields (zone, distance_m) pairs for convenience.
    """

    __slots__ = ("zones", "distances_m")

    def __init__(self, zones: list[DeliveryZone], distances_m: list[float]):
        if len(zones) != len(distances_m):
            raise ValueError("zones and distances_m must have the same length")
        self.zones = zones
        self.distances_m = distances_m

    def __len__(self) -> int:
        return len(self.zones)

    def __iter__(self) -> Iterator[tuple[DeliveryZone, float]]:
        return zip(self.zones, self.distances_m, strict=True)

    def __repr__(self) -> str:
        return f"ZoneHits({len(self.zones)} zones)"


@runtime_checkable
class GeoIndex(Protocol):
    async def nearest_stores(
        self, point: LonLat, k: int, max_distance_m: float | None = None
    ) -> list[StoreDistance]: ...

    async def zones_covering(self, point: LonLat) -> list[DeliveryZone]: ...

    async def zone_hits(self, point: LonLat) -> ZoneHits: ...


@runtime_checkable
class SyncGeoIndex(Protocol):
    def nearest_stores(
        self, point: LonLat, k: int, max_distance_m: float | None = None
    ) -> list[StoreDistance]: ...

    def zones_covering(self, point: LonLat) -> list[DeliveryZone]: ...

    def zone_hits(self, point: LonLat) -> ZoneHits: ...


class AsyncGeoIndexAdapter:
    """Expose any SyncGeoIndex as a GeoIndex by calling it inline."""

    def __init__(self, index: SyncGeoIndex):
        self._index = index

    async def nearest_stores(
        self, point: LonLat, k: int, max_distance_m: float | None = None
    ) -> list[StoreDistance]:
        return self._index.nearest_stores(point, k, max_distance_m)

    async def zones_covering(self, point: LonLat) -> list[DeliveryZone]:
        return self._index.zones_covering(point)

    async def zone_hits(self, point: LonLat) -> ZoneHits:
        return self._index.zone_hits(point)
