"""PostGIS and the in-memory index give identical answers (store set and tier).

PostgreSQL only: SQLite has no PostGIS to compare with. 1,000+ stores over Hangzhou with
radius, irregular-polygon and rectangle zones plus fallback-only stores; 10,000 points,
a third of them on or within a metre of zone boundaries.
"""
from __future__ import annotations

import random
import time

import pytest

from geo.coordinates import LonLat
from geo.index_cache import load_tenant_index
from geo.postgis_index import PostGisGeoIndex
from geo.zone_lookup import innermost
from tests.geo_api.city import HANGZHOU_BOX, boundary_points, build_city

N_STORES = 1200
N_POINTS = 10_000


async def test_postgis_and_in_memory_agree_on_store_set_and_tier(backend, database):
    if backend != "postgresql":
        pytest.skip("differential test needs PostGIS")
    started = time.monotonic()
    rng = random.Random(20261126)
    async with database.write() as session:
        city = await build_city(session, N_STORES, seed=11)
    lon0, lon1, lat0, lat1 = HANGZHOU_BOX
    points = [LonLat(rng.uniform(lon0 - 0.03, lon1 + 0.03), rng.uniform(lat0 - 0.03, lat1 + 0.03)) for _ in range(N_POINTS * 2 // 3)]
    points += boundary_points(city, rng, N_POINTS - len(points))
    assert len(points) == N_POINTS and sum(z["kind"] == "POLYGON" for z in city.zones) > 500

    async with database.read() as session:
        memory = await load_tenant_index(session, city.tenant_id, 0)
        postgis = PostGisGeoIndex(session, city.tenant_id)
        db_hits = []
        for start in range(0, N_POINTS, 2500):
            db_hits += await postgis.zone_hits_many(points[start:start + 2500])
        mismatches, covered = [], 0
        for point, hits in zip(points, db_hits):
            expected = {s: z.tier for s, (z, _) in innermost(memory.index.zone_hits(point)).items()}
            got = {s: z.tier for s, (z, _) in innermost(hits).items()}
            covered += bool(got)
            if expected != got:
                mismatches.append((point, expected, got))
        # Nearest stores agree too (KNN on the GiST index vs STRtree + haversine).
        for point in points[:300]:
            mem = [s for s, _ in memory.index.nearest_stores(point, 5)]
            db = [s for s, _ in await postgis.nearest_stores(point, 5)]
            assert mem == db, (point, mem, db)
    assert not mismatches, f"{len(mismatches)} of {N_POINTS} differ, e.g. {mismatches[:3]}"
    assert covered > N_POINTS // 2  # the test must exercise zones, not empty space
    assert time.monotonic() - started < 60
