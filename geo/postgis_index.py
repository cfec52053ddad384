"""PostGIS GeoIndex backend: the database answers, with exactly geo/zones.py semantics.

* nearest: `ORDER BY location <-> :pt LIMIT k'` (KNN on the GiST index of the generated
  geography column, migration 0001), then re-ranked by `ST_Distance(..., false)`.
* radius zones: `ST_DWithin(store.location, :pt, radius_m + 1 mm, false)` -- sphere, not
  spheroid, the same R as geo.distance. An outer `ST_DWithin` with the tenant's largest
  radius lets the planner use the store GiST index; the per-zone test is then exact.
* polygon zones: `ST_Covers(delivery_zone.area, :pt)` on geometry SRID 4326 (planar
  lon/lat, boundary inclusive), GiST on `area` (migration 0002).
* stores without zones: the fallback radius of geo.zone_rules.

One instance per (session, tenant); it caches parsed DeliveryZone objects and the
tenant's largest radius for its lifetime, so make a new one per request or batch.
Used today by the differential test and bench/geo.py; API requests go through the
in-memory cache (geo.index_cache), which answers identically.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from geo.coordinates import LonLat
from geo.index_protocol import StoreDistance, ZoneHits
from geo.zone_rules import fallback_zone, fallback_zone_id, zone_from_row
from geo.zones import RADIUS_BOUNDARY_TOLERANCE_M, DeliveryZone

_POINT = "ST_SetSRID(ST_MakePoint(:lon, :lat), 4326)"  # nearest_stores

_MAX_RADIUS = text(
    """
    SELECT GREATEST(
      (SELECT COALESCE(MAX(radius_m), 0) FROM delivery_zone WHERE tenant_id = :t AND kind = 'RADIUS'),
      (SELECT COALESCE(MAX(delivery_radius_m), 0) FROM store WHERE tenant_id = :t))
    """
)

_NEAREST = text(
    f"""
    SELECT id, ST_Distance(location, {_POINT}::geography, false) AS d
    FROM store
    WHERE tenant_id = :t AND (CAST(:maxd AS float8) IS NULL OR ST_DWithin(location, {_POINT}::geography, :maxd, false))
    ORDER BY location <-> {_POINT}::geography
    LIMIT :k
    """
)

# Points come in as two arrays so one round trip can answer many (the differential test
# sends 10,000); a single lookup is the one-element case of the same statement.
# LATERAL per point: the point becomes a constant for each inner query, so the planner
# uses the GiST indexes (store.location for radii, delivery_zone.area for polygons).
_ZONE_HITS = text(
    """
    WITH p AS (
      SELECT i, ST_SetSRID(ST_MakePoint(lon, lat), 4326) AS g, ST_SetSRID(ST_MakePoint(lon, lat), 4326)::geography AS gg
      FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[])) WITH ORDINALITY AS u(lon, lat, i)
    )
    SELECT p.i, h.* FROM p CROSS JOIN LATERAL (
      SELECT z.id, z.store_id, s.delivery_radius_m AS fallback_m, ST_Distance(s.location, p.gg, false) AS d
      FROM store s JOIN delivery_zone z ON z.store_id = s.id AND z.kind = 'RADIUS'
      WHERE s.tenant_id = :t AND ST_DWithin(s.location, p.gg, :maxr, false)
        AND ST_DWithin(s.location, p.gg, z.radius_m + :tol, false)
      UNION ALL
      SELECT z.id, z.store_id, s.delivery_radius_m, ST_Distance(s.location, p.gg, false)
      FROM delivery_zone z JOIN store s ON s.id = z.store_id
      WHERE z.tenant_id = :t AND z.kind = 'POLYGON' AND ST_Covers(z.area, p.g)
      UNION ALL
      SELECT NULL, s.id, s.delivery_radius_m, ST_Distance(s.location, p.gg, false)
      FROM store s
      WHERE s.tenant_id = :t AND ST_DWithin(s.location, p.gg, :maxr, false)
        AND ST_DWithin(s.location, p.gg, s.delivery_radius_m + :tol, false)
        AND NOT EXISTS (SELECT 1 FROM delivery_zone z WHERE z.store_id = s.id)
    ) AS h
    """
)


# Zone definitions are fetched once per instance, not with every hit: the hit rows stay
# narrow (a dense point has hundreds of hits; decoding their JSON dominated the time).
_ZONE_ROWS = text(
    "SELECT id, store_id, tier, name, kind, radius_m, polygon, fee_rule, express_allowed "
    "FROM delivery_zone WHERE tenant_id = :t AND id = ANY(CAST(:ids AS bigint[]))"
)


class PostGisGeoIndex:
    """GeoIndex (async) over one tenant's stores and zones in PostgreSQL/PostGIS."""

    def __init__(self, session: AsyncSession, tenant_id: int):
        self._session = session
        self._tenant_id = tenant_id
        self._zones: dict[str, DeliveryZone] = {}
        self._max_radius: float | None = None

    async def _max_radius_m(self) -> float:
        if self._max_radius is None:
            value = await self._session.scalar(_MAX_RADIUS, {"t": self._tenant_id})
            self._max_radius = float(value or 0.0) + RADIUS_BOUNDARY_TOLERANCE_M
        return self._max_radius

    async def nearest_stores(self, point: LonLat, k: int, max_distance_m: float | None = None) -> list[StoreDistance]:
        if k <= 0:
            return []
        # A few extra rows: `<->` is index order; the exact re-rank below decides ties.
        rows = (
            await self._session.execute(
                _NEAREST,
                {"t": self._tenant_id, "lon": point.lon, "lat": point.lat, "maxd": max_distance_m, "k": k + 8},
            )
        ).all()
        ranked = sorted(((float(d), int(sid)) for sid, d in rows))[:k]
        return [(str(sid), d) for d, sid in ranked]

    async def zone_hits(self, point: LonLat) -> ZoneHits:
        return (await self.zone_hits_many([point]))[0]

    async def zone_hits_many(self, points: list[LonLat]) -> list[ZoneHits]:
        """zone_hits for many points in one statement (same predicates)."""
        params = {
            "t": self._tenant_id,
            "lons": [p.lon for p in points],
            "lats": [p.lat for p in points],
            "maxr": await self._max_radius_m(),
            "tol": RADIUS_BOUNDARY_TOLERANCE_M,
        }
        rows = (await self._session.execute(_ZONE_HITS, params)).all()
        missing = {row.id for row in rows if row.id is not None and str(row.id) not in self._zones}
        if missing:
            definitions = await self._session.execute(_ZONE_ROWS, {"t": self._tenant_id, "ids": sorted(missing)})
            for definition in definitions:
                self._zones[str(definition.id)] = zone_from_row(definition)
        zones: list[list[DeliveryZone]] = [[] for _ in points]
        distances: list[list[float]] = [[] for _ in points]
        for row in rows:
            i = row.i - 1  # ordinality is 1-based
            zones[i].append(self._zone(row))
            distances[i].append(float(row.d))
        return [ZoneHits(z, d) for z, d in zip(zones, distances)]

    def _zone(self, row: Any) -> DeliveryZone:
        if row.id is not None:
            return self._zones[str(row.id)]
        key = fallback_zone_id(row.store_id)
        zone = self._zones.get(key)
        if zone is None:
            zone = self._zones[key] = fallback_zone(row.store_id, row.fallback_m)
        return zone

    async def zones_covering(self, point: LonLat) -> list[DeliveryZone]:
        return (await self.zone_hits(point)).zones
