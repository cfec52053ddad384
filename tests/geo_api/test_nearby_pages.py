"""nearbyStores pages: walking `after` cursors visits every store exactly once, in the
order of (road distance, id), with per-city detour factors that reorder the straight-line
ranking -- compared with a brute-force ranking of all stores."""
from __future__ import annotations

import random

import pytest
from sqlalchemy import select, update

from geo import zone_lookup
from geo.coordinates import LonLat
from geo.distance import DetourFactorDistance, haversine_m
from store_network.models import Store
from tests.geo_api.city import HANGZHOU_BOX, build_city
from tests.geo_api.helpers import NEARBY, wgs

N_STORES = 150


async def _ask(client, slug: str, point: LonLat, first: int, after: str | None = None, filter: dict | None = None) -> dict:
    body = {"query": NEARBY, "variables": {"l": wgs(point), "first": first, "after": after, "f": filter}}
    response = await client.post("/graphql", json=body, headers={"X-Tenant": slug})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def slow_city_roads(monkeypatch):
    # A third of the stores are in a "city" whose roads are 1.9x the straight line, so the
    # road ranking differs from the straight-line one the index returns.
    monkeypatch.setattr(zone_lookup, "ROAD_DISTANCE", DetourFactorDistance(1.3, {"湖州": 1.9}))


async def test_walking_the_pages_visits_every_store_once_in_road_order(client, database, slow_city_roads):
    async with database.write() as session:
        city = await build_city(session, N_STORES, seed=5, polygons=False)
        await session.execute(update(Store).where(Store.tenant_id == city.tenant_id, Store.id % 3 == 0).values(city="湖州"))
    async with database.read() as session:
        rows = (await session.execute(select(Store.code, Store.id, Store.lon, Store.lat, Store.city).where(Store.tenant_id == city.tenant_id))).all()
    rng = random.Random(5)
    lon0, lon1, lat0, lat1 = HANGZHOU_BOX
    for _ in range(3):
        point = LonLat(rng.uniform(lon0, lon1), rng.uniform(lat0, lat1))
        factor = {"湖州": 1.9}
        expected = [code for _, _, code in sorted(
            (haversine_m(LonLat(lon, lat), point) * factor.get(c, 1.3), sid, code) for code, sid, lon, lat, c in rows
        )]
        seen, after, pages = [], None, 0
        while True:
            body = await _ask(client, city.slug, point, 7, after)
            assert "errors" not in body, body
            page = body["data"]["nearbyStores"]
            seen += [n["store"]["code"] for n in page["nodes"]]
            assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
            pages += 1
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]
        assert seen == expected and pages == -(-N_STORES // 7)
        straight = sorted(rows, key=lambda r: haversine_m(LonLat(r[2], r[3]), point))
        assert [r[0] for r in straight] != expected  # the factors really reordered something


async def test_a_page_with_a_filter_and_a_bad_cursor(client, world):
    body = await world.gql(client, NEARBY, {"l": wgs(LonLat(120.16, 30.277)), "first": 1, "f": {"maxDistanceMeters": 100_000}})
    page = body["data"]["nearbyStores"]
    assert len(page["nodes"]) == 1 and page["pageInfo"]["hasNextPage"] is True
    rest = await world.gql(client, NEARBY, {"l": wgs(LonLat(120.16, 30.277)), "first": 50, "after": page["pageInfo"]["endCursor"]})
    codes = [n["store"]["code"] for n in rest["data"]["nearbyStores"]["nodes"]]
    assert page["nodes"][0]["store"]["code"] not in codes and len(codes) == 2
    assert rest["data"]["nearbyStores"]["pageInfo"]["hasNextPage"] is False
    for bad in ("not-a-cursor", "WzEsMl0=", "WyJ4IiwxXQ=="):  # garbage, [1,2] (int, not float), ["x",1]
        body = await world.gql(client, NEARBY, {"l": wgs(LonLat(120.16, 30.277)), "first": 5, "after": bad})
        assert body["data"] is None and "malformed cursor" in body["errors"][0]["message"]
    too_many = await world.gql(client, NEARBY, {"l": wgs(LonLat(120.16, 30.277)), "first": 51})
    assert "first must be between 1 and 50" in too_many["errors"][0]["message"]
