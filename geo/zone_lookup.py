"""The one zone-lookup contract other domains call (checkout, delivery slots, GraphQL).

    async def zones_for(session, tenant_id, store_ids, point) -> dict[int, ZoneMatch]

For each store in `store_ids` (of `tenant_id`; other tenants' or unknown ids are ignored)
whose delivery zones cover `point` (WGS-84; convert GCJ-02/BD-09 first with
geo.coordinates.to_wgs84), the *innermost* covering zone: the lowest tier, ties broken by
zone id. The boundary counts as inside (geo.zones semantics). The fee is that tier's fee
rule applied to the estimated road distance (haversine x detour factor for the store's
city, geo.distance). A store is absent from the result when no zone covers the point, or
when its innermost covering zone's rule prices no fee for that distance (the store cannot
quote, so it does not serve the point).

Geometry and price only: store status, business hours and fulfilment types are the
caller's business (geo.delivery_options combines them). Stores without configured zones
use the fallback of geo.zone_rules (radius = store.delivery_radius_m, flat 4 yuan).

Implementation: answered from the tenant's in-memory index (geo.index_cache), which is
rebuilt when the tenant's geo_index_version changes; the version is read at most once
per second per process (so after a zone edit other processes agree within ~1 s). The
session passed in is used for that version read and any rebuild. Answers are identical
on SQLite and PostgreSQL (tests/geo_api differential test).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from geo.coordinates import LonLat
from geo.distance import DetourFactorDistance, RoadDistanceProvider
from geo.index_protocol import ZoneHits
from geo.zones import DeliveryZone, innermost_order

# The one road-distance estimate, read per call by fees, ETAs, slots, nearbyStores and
# the dispatch engine. app.services installs the configured one at start-up
# (settings.detour_factor_by_city); a routing-service provider (same protocol) needs no
# change to any caller.
ROAD_DISTANCE: RoadDistanceProvider = DetourFactorDistance()


def road_provider() -> RoadDistanceProvider:
    return ROAD_DISTANCE


def use_road_provider(provider: RoadDistanceProvider) -> RoadDistanceProvider:
    """Install `provider` for the process; returns the previous one."""
    global ROAD_DISTANCE
    previous, ROAD_DISTANCE = ROAD_DISTANCE, provider
    return previous


@dataclass(frozen=True)
class ZoneMatch:
    store_id: int
    zone_id: int | None  # None: the store's fallback zone (no zones configured)
    tier: int
    zone_name: str
    fee_fen: int
    express_allowed: bool
    distance_m: float  # great-circle, point to store
    road_distance_m: float  # the estimate the fee was computed from


def road_distance_m(store_location: LonLat, point: LonLat, city: str | None) -> float:
    return ROAD_DISTANCE.road_distance_m(store_location, point, city)


def innermost(hits: ZoneHits, store_ids: set[int] | None = None) -> dict[int, tuple[DeliveryZone, float]]:
    """Per store, its innermost covering zone and the point-to-store distance. Shared by
    both backends so tier choice cannot drift between them."""
    best: dict[int, tuple[tuple, DeliveryZone, float]] = {}
    for zone, distance in zip(hits.zones, hits.distances_m):
        store_id = int(zone.store_id)
        if store_ids is not None and store_id not in store_ids:
            continue
        key = innermost_order(zone)
        current = best.get(store_id)
        if current is None or key < current[0]:
            best[store_id] = (key, zone, distance)
    return {store_id: (zone, distance) for store_id, (_, zone, distance) in best.items()}


def match_for(zone: DeliveryZone, distance_m: float, store_location: LonLat, city: str | None, point: LonLat) -> ZoneMatch | None:
    factor = ROAD_DISTANCE.detour_factor(city)
    if factor is not None:
        # Same number as road_distance_m(), without a second haversine: the index already
        # measured the great-circle distance on the same sphere.
        road = distance_m * factor
    else:
        road = ROAD_DISTANCE.road_distance_m(store_location, point, city)
    fee = zone.fee_rule.fee_fen(road)
    if fee is None:
        return None
    return ZoneMatch(
        store_id=int(zone.store_id),
        zone_id=int(zone.id) if zone.id.isdigit() else None,
        tier=zone.tier,
        zone_name=zone.name,
        fee_fen=fee,
        express_allowed=zone.express_allowed,
        distance_m=distance_m,
        road_distance_m=road,
    )


async def zones_for(
    session: AsyncSession,
    tenant_id: int,
    store_ids: list[int],
    point: LonLat,
    *,
    max_staleness_s: float | None = None,
) -> dict[int, ZoneMatch]:
    """See the module docstring. `max_staleness_s=0` forces a version check (checkout
    uses it: the fee charged must follow a zone edit made a moment ago)."""
    from geo.index_cache import tenant_index  # late import: index_cache imports ZoneMatch

    if not store_ids:
        return {}
    index = await tenant_index(session, tenant_id, max_staleness_s)
    return index.matches(point, set(store_ids))
