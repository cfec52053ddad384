"""nearbyStores' ranking: a tenant's stores by (estimated road distance, id), a page at a time.

The spatial index answers by straight line; road distance is the straight line times a
per-city factor (or a routing provider's answer, never shorter than the straight line times
`min_detour_factor()`), so it can reorder stores. `nearby_page` widens the straight-line
candidates until the next one is provably farther by road than the last store the page
needs, so no store is skipped or shown twice across pages.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from geo.coordinates import LonLat
from geo.distance import RoadDistanceProvider


@dataclass(frozen=True)
class Ranked:
    key: tuple[float, int]  # (road metres, store id): the page cursor
    distance_m: float  # great circle
    store: object  # the index's StoreGeo


def nearby_page(
    index,  # geo.index_cache.TenantGeoIndex (not imported: it imports this package's heavier modules)
    point: LonLat,
    limit: int,
    road: RoadDistanceProvider,
    *,
    after: tuple[float, int] | None = None,
    max_distance_m: float | None = None,
    keep: Callable[[object], bool] = lambda store: True,
) -> list[Ranked]:
    """The first `limit` stores ranking after `after` that `keep` accepts, within
    `max_distance_m` (great circle), plus the next one if any (it says a next page exists)."""
    floor_factor = road.min_detour_factor()
    k = (limit + 1) * 3
    while True:
        nearest = index.index.nearest_stores(point, k, max_distance_m)
        ranked = []
        for store_id, distance in nearest:
            store = index.stores[int(store_id)]
            key = (road.road_distance_m(store.location, point, store.city), store.id)
            if (after is None or key > after) and keep(store):
                ranked.append(Ranked(key, distance, store))
        ranked.sort(key=lambda r: r.key)
        complete = len(nearest) < k or (len(ranked) > limit and nearest[-1][1] * floor_factor > ranked[limit].key[0])
        if complete or k >= index.index.store_count:
            break
        k *= 4
    return ranked[:limit + 1]
