"""Per-process cache of each tenant's in-memory geo index, kept in step with the database.

Consistency across API processes: every change to a store's geo-relevant columns or to a
zone, or to an input of the express policy, bumps `geo_index_version` for the tenant in the
same transaction (database triggers, migrations 0002 and 0005). A process reads that one row
at most once per `check_interval_s` (default 1 s) per tenant and rebuilds the tenant's index
when it moved, in the background while the old one keeps answering (see GeoIndexCache). So
a zone edit is visible everywhere within about a second plus the rebuild, and the hot path
costs no I/O at all; checkout always waits for the current version.

Rebuilds read through their own short read connection, never the caller's session: the
caller may be inside a write transaction whose (uncommitted) bump must not label a cached
index that a rollback would then leave behind.
"""
from __future__ import annotations

import asyncio
import logging
import os
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.session import WRITE_OPTION
from geo.coordinates import LonLat
from geo.distance import haversine_m
from geo.models import DeliveryZoneRow, GeoIndexVersion
from geo.nearest_options import NearestOptions
from geo.spatial_index import InMemoryGeoIndex
from geo.zone_lookup import ZoneMatch, innermost, match_for
from geo.zone_rules import fallback_zone, fallback_zone_id, zone_from_row
from geo.zones import DeliveryZone
from store_network.models import Store

logger = logging.getLogger(__name__)
DEFAULT_CHECK_INTERVAL_S = float(os.environ.get("QIANDIAN_GEO_INDEX_CHECK_S", "1.0"))
# Tenants whose index a process keeps (least recently used out first). An index costs
# ~1 MB per 100 stores with polygon zones; a process serving many small chains stays bounded.
DEFAULT_MAX_TENANTS = int(os.environ.get("QIANDIAN_GEO_INDEX_MAX_TENANTS", "64"))
PREWARM_NEAREST_K = 30


@dataclass(frozen=True)
class StoreGeo:
    """What geo queries need about a store, cached with the index (all trigger-watched)."""

    id: int
    code: str
    name: str
    city: str
    location: LonLat
    status: str
    timezone: str
    business_hours: Any
    prep_minutes: int
    fulfilment_types: tuple[str, ...]
    node_id: int


class TenantGeoIndex:
    """One tenant's stores and zones at one geo_index_version."""

    def __init__(self, version: int, stores: list[StoreGeo], zones: list[DeliveryZone], shape_version: int = 0,
                 spatial: InMemoryGeoIndex | None = None, previous: TenantGeoIndex | None = None,
                 zone_sources: dict[str, tuple] | None = None):
        """`spatial`: the InMemoryGeoIndex of an earlier TenantGeoIndex with the same stores
        (ids and locations, in order) and zones, reused as is (immutable but for its
        nearest-candidate cache). `previous`: an earlier index whose nearest-store cells
        may be reused when the stores are the same. `zone_sources`: the rows the
        configured zones were parsed from, by zone id (see build_tenant_index)."""
        self.version = version
        self.shape_version = shape_version
        self.zone_sources = zone_sources or {}
        self.store_list = list(stores)  # position i = store position i in self.index
        self.stores = {s.id: s for s in stores}
        self.zones = list(zones)  # configured zones plus fallbacks (geo.zone_rules)
        self.zones_by_store: dict[int, list[DeliveryZone]] = {}
        for zone in self.zones:
            self.zones_by_store.setdefault(int(zone.store_id), []).append(zone)
        if spatial is None:
            self.index = InMemoryGeoIndex(
                [(str(s.id), s.location) for s in stores], self.zones,
                nearest_cells_from=previous.index if previous is not None else None,
            )
            # deliveryOptions asks for the nearest 30 (resolvers.geo_queries.NEAREST_FOR_OPTIONS):
            # build those candidate cells now (~0.25 s for 10k stores in one metro) rather than
            # on the first request in each cell after every rebuild.
            self.index.prewarm_nearest(PREWARM_NEAREST_K)
        else:
            self.index = spatial
        # The deliveryOptions hot path's per-store data (~50 ms for 10k stores).
        self.nearest_options = NearestOptions(self)

    def matches(self, point: LonLat, store_ids: set[int] | None = None) -> dict[int, ZoneMatch]:
        """Innermost zone and fee per serving store: among `store_ids` (checked directly,
        whatever their number) or, with None, among all stores (STRtree over all zones)."""
        if store_ids is None:
            hits = self.index.zone_hits(point)
        else:
            hits = self.index.zone_hits_for_stores(point, [str(s) for s in store_ids])
        out: dict[int, ZoneMatch] = {}
        for store_id, (zone, distance) in innermost(hits).items():
            store = self.stores[store_id]
            match = match_for(zone, distance, store.location, store.city, point)
            if match is not None:
                out[store_id] = match
        return out

    def nearest_ids(self, point: LonLat, k: int) -> list[int]:
        return [int(s) for s, _ in self.index.nearest_stores(point, k)]

    def distance_m(self, store_id: int, point: LonLat) -> float:
        return haversine_m(self.stores[store_id].location, point)


_STORE_COLUMNS = (
    Store.id, Store.code, Store.name, Store.city, Store.lon, Store.lat, Store.status, Store.timezone, Store.business_hours,
    Store.prep_minutes, Store.fulfilment_types, Store.node_id, Store.delivery_radius_m,
)
_ZONE_COLUMNS = (
    DeliveryZoneRow.id, DeliveryZoneRow.store_id, DeliveryZoneRow.tier, DeliveryZoneRow.name, DeliveryZoneRow.kind,
    DeliveryZoneRow.radius_m, DeliveryZoneRow.polygon, DeliveryZoneRow.fee_rule, DeliveryZoneRow.express_allowed,
)


async def load_tenant_index(
    session: AsyncSession, tenant_id: int, version: int, shape_version: int = 0, previous: TenantGeoIndex | None = None
) -> TenantGeoIndex:
    """Read the tenant's stores and zones (plain rows, no ORM entities: a big chain has
    tens of thousands), then parse and index them in a worker thread, so a rebuild (seconds
    for 10,000 stores with polygon zones) does not stall the event loop's other requests.

    With `previous` at the same shape_version (only store attributes changed: status,
    hours, preparation time...), the zones are not read and its spatial index is reused."""
    stores = (await session.execute(select(*_STORE_COLUMNS).where(Store.tenant_id == tenant_id).order_by(Store.id))).all()
    if previous is not None and previous.shape_version == shape_version:
        reused = await asyncio.to_thread(_rebuild_stores_only, version, shape_version, stores, previous)
        if reused is not None:
            return reused
    zones = (
        await session.execute(select(*_ZONE_COLUMNS).where(DeliveryZoneRow.tenant_id == tenant_id).order_by(DeliveryZoneRow.id))
    ).all()
    return await asyncio.to_thread(build_tenant_index, version, stores, zones, shape_version, previous)


def _store_geo(r: Any) -> StoreGeo:
    return StoreGeo(
        id=r.id, code=r.code, name=r.name, city=r.city, location=LonLat(r.lon, r.lat), status=r.status,
        timezone=r.timezone, business_hours=r.business_hours or {}, prep_minutes=r.prep_minutes,
        fulfilment_types=tuple(r.fulfilment_types or ()), node_id=r.node_id,
    )


def build_tenant_index(
    version: int, store_rows: list, zone_rows: list, shape_version: int = 0, previous: TenantGeoIndex | None = None
) -> TenantGeoIndex:
    """A zone whose row is unchanged since `previous` keeps its parsed shape (and the
    polygon shortcut cached on it), and unchanged stores keep their nearest-store cells:
    a zone edit re-parses one zone, not twenty thousand."""
    stores = [_store_geo(r) for r in store_rows]
    old_sources = previous.zone_sources if previous is not None else {}
    old_zones = {z.id: z for z in previous.zones} if previous is not None else {}
    zones, sources = [], {}
    for row in zone_rows:
        zone_id, source = str(row.id), tuple(row)
        sources[zone_id] = source
        reused = old_zones.get(zone_id) if old_sources.get(zone_id) == source else None
        zones.append(reused if reused is not None else zone_from_row(row))
    configured = {int(z.store_id) for z in zones}
    zones.extend(fallback_zone(r.id, r.delivery_radius_m) for r in store_rows if r.id not in configured)
    return TenantGeoIndex(version, stores, zones, shape_version, previous=previous, zone_sources=sources)


def _rebuild_stores_only(version: int, shape_version: int, store_rows: list, previous: TenantGeoIndex) -> TenantGeoIndex | None:
    """previous's zones and spatial index with fresh store attributes; None if the stores'
    ids, points or fallback radii differ after all (then the caller rebuilds everything)."""
    stores = [_store_geo(r) for r in store_rows]
    if [(s.id, s.location) for s in stores] != [(s.id, s.location) for s in previous.store_list]:
        return None
    fallback_radius = {int(z.store_id): z.shape.radius_m for z in previous.zones if z.id == fallback_zone_id(int(z.store_id))}
    for r in store_rows:
        if r.id in fallback_radius and float(r.delivery_radius_m) != fallback_radius[r.id]:
            return None
    return TenantGeoIndex(version, stores, previous.zones, shape_version, spatial=previous.index, zone_sources=previous.zone_sources)


async def read_version(session: AsyncSession, tenant_id: int) -> int:
    value = await session.scalar(select(GeoIndexVersion.version).where(GeoIndexVersion.tenant_id == tenant_id))
    return int(value or 0)


async def read_versions(session: AsyncSession, tenant_id: int) -> tuple[int, int]:
    """(version, shape_version) of the tenant; (0, 0) before its first geo change."""
    row = (await session.execute(
        select(GeoIndexVersion.version, GeoIndexVersion.shape_version).where(GeoIndexVersion.tenant_id == tenant_id)
    )).first()
    return (int(row.version), int(row.shape_version)) if row is not None else (0, 0)


@dataclass
class _Entry:
    index: TenantGeoIndex
    checked_at: float
    must_refresh: bool = False  # this process changed the tenant: the next lookup waits for it
    refreshing: asyncio.Task | None = None


class GeoIndexCache:
    """Tenant id -> TenantGeoIndex. One instance per process (`DEFAULT_CACHE`); tests make
    two to play two processes.

    Freshness: a lookup checks the tenant's version at most every `check_interval_s`. When
    another process changed something, lookups keep answering from the index they have while
    one background task builds the new one (a big chain's rebuild takes seconds; stores
    change status all day). The lookup that waits instead: the first one for a tenant, one
    after `invalidate` (this process wrote the change, and its client expects to see it), and
    one with max_staleness_s=0 (checkout, which charges the fee)."""

    def __init__(self, check_interval_s: float = DEFAULT_CHECK_INTERVAL_S, clock=time.monotonic,
                 max_tenants: int = DEFAULT_MAX_TENANTS):
        if max_tenants < 1:
            raise ValueError("max_tenants must be at least 1")
        self.check_interval_s = check_interval_s
        self.max_tenants = max_tenants
        self._clock = clock
        self._entries: OrderedDict[tuple[str, int], _Entry] = OrderedDict()  # least recently used first
        self._locks: dict[tuple[str, int], asyncio.Lock] = {}
        self.rebuilds = 0
        self.evictions = 0
        self.background_failures = 0

    def invalidate(self, tenant_id: int) -> None:
        """The next lookup checks the version and waits for a rebuild if it moved (after this
        process wrote a change)."""
        for (_, tenant), entry in self._entries.items():
            if tenant == tenant_id:
                entry.must_refresh = True

    async def settled(self) -> None:
        """Wait for the background rebuilds running now (tests; graceful shutdown)."""
        tasks = [e.refreshing for e in self._entries.values() if e.refreshing is not None and not e.refreshing.done()]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def get(self, session: AsyncSession, tenant_id: int, max_staleness_s: float | None = None) -> TenantGeoIndex:
        interval = self.check_interval_s if max_staleness_s is None else max_staleness_s
        # Keyed by database too: one process may talk to two databases (the test suite runs
        # SQLite and PostgreSQL side by side), where the same tenant id is a different brand.
        bind = session.bind
        key = (str(getattr(bind, "engine", bind).url), tenant_id)
        entry = self._entries.get(key)
        if entry is not None:
            self._entries.move_to_end(key)
            if not entry.must_refresh and self._clock() - entry.checked_at < interval:
                return entry.index
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            entry = self._entries.get(key)
            if entry is not None and not entry.must_refresh and self._clock() - entry.checked_at < interval:
                return entry.index  # another coroutine checked while we waited
            version = await read_version(session, tenant_id)
            if entry is not None and entry.index.version == version:
                entry.checked_at, entry.must_refresh = self._clock(), False
                return entry.index
            if entry is not None and not entry.must_refresh and max_staleness_s is None:
                entry.checked_at = self._clock()
                if entry.refreshing is None or entry.refreshing.done():
                    entry.refreshing = asyncio.create_task(self._refresh(key, bind, tenant_id, entry.index))
                return entry.index
            index = await self._rebuild(bind, tenant_id, entry.index if entry is not None else None)
            self._install(key, index)
            return index

    async def _refresh(self, key: tuple[str, int], bind: Any, tenant_id: int, previous: TenantGeoIndex) -> None:
        try:
            index = await self._rebuild(bind, tenant_id, previous)
        except Exception:  # the old index keeps serving; the next check after the interval retries
            self.background_failures += 1
            logger.exception("background rebuild of the geo index of tenant %s failed", tenant_id)
            return
        current = self._entries.get(key)
        if current is None or current.index.version < index.version:
            self._install(key, index)

    def _install(self, key: tuple[str, int], index: TenantGeoIndex) -> None:
        self._entries[key] = _Entry(index, self._clock())
        self._entries.move_to_end(key)
        self.rebuilds += 1
        while len(self._entries) > self.max_tenants:
            evicted, _ = self._entries.popitem(last=False)
            lock = self._locks.get(evicted)
            if lock is not None and not lock.locked():
                del self._locks[evicted]
            self.evictions += 1

    async def _rebuild(self, bind: Any, tenant_id: int, previous: TenantGeoIndex | None = None) -> TenantGeoIndex:
        async with bind.connect() as connection:
            connection = await connection.execution_options(**{WRITE_OPTION: False})
            async with AsyncSession(bind=connection, expire_on_commit=False, autoflush=False) as own:
                # Versions first: data read after them is at least as new, so at worst we
                # rebuild once more later, never label old data with a newer version.
                version, shape_version = await read_versions(own, tenant_id)
                return await load_tenant_index(own, tenant_id, version, shape_version, previous)


DEFAULT_CACHE = GeoIndexCache()


async def tenant_index(session: AsyncSession, tenant_id: int, max_staleness_s: float | None = None) -> TenantGeoIndex:
    return await DEFAULT_CACHE.get(session, tenant_id, max_staleness_s)
