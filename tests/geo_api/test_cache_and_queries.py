"""The per-process index cache across two "processes", and the LBS queries end to end."""
from __future__ import annotations

from sqlalchemy import select, update

from auth.roles import Principal, PrincipalKind, RoleGrant
from core.clock import utc_now
from geo.index_cache import GeoIndexCache
from geo.models import DeliveryZoneRow
from geo.zone_admin import ZoneInput, create_zone
from geo.coordinates import CoordinateSystem, LonLat, from_wgs84
from store_network.models import Store
from tests.worlds import build_world
from tests.geo_api.helpers import CREATE, NEARBY, OPTIONS, SERVING, STORE_A, east_of_a, radius_zone, wgs


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_change_in_one_process_reaches_the_other_within_the_check_interval(world, database):
    clock = Clock()
    one, two = GeoIndexCache(1.0, clock), GeoIndexCache(1.0, clock)
    point = east_of_a(2000)
    async with database.read() as session:
        assert (await one.get(session, world.tenant_id)).matches(point)[world.store_ids["a"]].tier == 1  # fallback 3 km
        assert world.store_ids["a"] in (await two.get(session, world.tenant_id)).matches(point)
    # "Process one" shrinks A's delivery to a 1 km zone (the trigger bumps the version).
    async with database.write() as session:
        hq = Principal(PrincipalKind.STAFF, world.tenant_id, staff_id=world.staff_ids["hq"], grants=(RoleGrant("HQ_ADMIN", world.hq_node_id, f"/{world.hq_node_id}/"),))
        await create_zone(session, hq, world.store_ids["a"], ZoneInput(tier=1, radius_m=1000, fee_rule={"type": "DISTANCE_BANDS", "bands": [[None, 500]]}))
    one.invalidate(world.tenant_id)  # what the mutation resolver does after commit
    async with database.read() as session:
        assert world.store_ids["a"] not in (await one.get(session, world.tenant_id)).matches(point)
        clock.now += 0.5  # process two has checked within the last second: still the old answer
        assert world.store_ids["a"] in (await two.get(session, world.tenant_id)).matches(point)
        clock.now += 0.6
        # Past the interval process two sees the new version: it keeps answering from the
        # index it has while one background task rebuilds, then answers from the new one.
        stale = await two.get(session, world.tenant_id)
        assert world.store_ids["a"] in stale.matches(point)
        await two.settled()
        fresh = await two.get(session, world.tenant_id)
        assert fresh is not stale and world.store_ids["a"] not in fresh.matches(point)
        assert two.rebuilds == 2 and two.background_failures == 0
        rebuilds = two.rebuilds
        clock.now += 5  # version unchanged: a check, no rebuild
        await two.get(session, world.tenant_id)
        assert two.rebuilds == rebuilds
    # A store status change is a geo change too; and an uncommitted bump never labels the cache.
    try:
        async with database.write() as session:
            await session.execute(update(Store).where(Store.id == world.store_ids["b"]).values(lon=STORE_A.lon + 0.5))
            clock.now += 2
            await two.get(session, world.tenant_id, max_staleness_s=0)  # reads the bumped version, rebuilds from committed data
            raise RuntimeError("roll back")
    except RuntimeError:
        pass
    async with database.write() as session:
        await session.execute(update(Store).where(Store.id == world.store_ids["b"]).values(status="PAUSED"))
    async with database.read() as session:
        index = await two.get(session, world.tenant_id, max_staleness_s=0)
        assert index.stores[world.store_ids["b"]].status == "PAUSED"
        assert index.stores[world.store_ids["b"]].location.lon != STORE_A.lon + 0.5


async def test_nearby_stores_ranked_with_open_now_and_filters(client, world, database):
    body = await world.gql(client, NEARBY, {"l": wgs(east_of_a(100)), "first": 3})
    ranked = body["data"]["nearbyStores"]["nodes"]
    assert [s["store"]["code"] for s in ranked] == ["A", "B", "C"]
    assert 99 < ranked[0]["distanceMeters"] < 101 and abs(ranked[0]["roadDistanceMeters"] - 1.3 * ranked[0]["distanceMeters"]) < 0.2
    assert ranked[0]["isOpenNow"] is True and "SAME_CITY_DELIVERY" in ranked[0]["fulfilmentTypes"]
    async with database.write() as session:
        await session.execute(update(Store).where(Store.id == world.store_ids["a"]).values(status="CLOSED"))
    from geo.index_cache import DEFAULT_CACHE

    DEFAULT_CACHE.invalidate(world.tenant_id)
    body = await world.gql(client, NEARBY, {"l": wgs(east_of_a(100)), "first": 2, "f": {"openNow": True, "maxDistanceMeters": 4000}})
    assert [s["store"]["code"] for s in body["data"]["nearbyStores"]["nodes"]] == ["B"]
    options = (await world.gql(client, OPTIONS, {"l": wgs(east_of_a(100))}))["data"]["deliveryOptions"]
    a = next(o for o in options if o["store"]["code"] == "A")
    assert a["serviceable"] is False and a["reasons"] == ["STORE_CLOSED"] and options[0]["store"]["code"] == "B"
    bad = await world.gql(client, NEARBY, {"l": {"longitude": 200, "latitude": 30, "system": "WGS84"}})
    assert bad["data"] is None and "lon" in bad["errors"][0]["message"]
    too_many = await world.gql(client, NEARBY, {"l": wgs(STORE_A), "first": 500})
    assert "first" in too_many["errors"][0]["message"]


async def test_delivery_options_for_a_saved_address_and_express_reasons(client, world):
    body = await world.gql(client, OPTIONS, {"a": world.gid("Address", world.address_ids["alice"])}, token=world.customer_token())
    options = body["data"]["deliveryOptions"]
    assert [o["store"]["code"] for o in options[:2]] == ["A", "B"]
    assert options[0]["tier"] == 1 and options[0]["fee"] == {"amount": "4.00", "currency": "CNY"} and options[0]["expressPossible"]
    assert options[0]["etaMinutes"] <= 30
    assert any("OUTSIDE_ZONE" in o["reasons"] for o in options)  # C is ~5 km away
    # 2.9 km straight = 3.8 km road: inside the 3 km fallback circle, too far for express.
    far = (await world.gql(client, OPTIONS, {"l": wgs(east_of_a(2900))}))["data"]["deliveryOptions"]
    a = next(o for o in far if o["store"]["code"] == "A")
    assert a["serviceable"] and not a["expressPossible"] and "TOO_FAR_FOR_EXPRESS" in a["reasons"]
    bob = await world.gql(client, OPTIONS, {"a": world.gid("Address", world.address_ids["alice"])}, token=world.customer_token("bob"))
    assert bob["data"] is None and "address not found" in bob["errors"][0]["message"]
    both = await world.gql(client, OPTIONS, {"l": wgs(STORE_A), "a": world.gid("Address", world.address_ids["alice"])}, token=world.customer_token())
    assert "exactly one" in both["errors"][0]["message"]


async def test_serving_store_is_the_best_store_with_the_whole_cart(client, world, database):
    from commerce.models import Stock

    lines = [{"skuId": world.sku("milk"), "quantity": 3}, {"skuId": world.sku("bread"), "quantity": 1}]
    point = wgs(east_of_a(300))
    assert (await world.gql(client, SERVING, {"l": point, "lines": lines}))["data"]["servingStore"]["store"]["code"] == "A"
    async with database.write() as session:  # A runs out of milk: B (farther, complete) serves
        await session.execute(update(Stock).where(Stock.store_id == world.store_ids["a"], Stock.sku_id == world.sku_ids["milk"]).values(on_hand=2))
    assert (await world.gql(client, SERVING, {"l": point, "lines": lines}))["data"]["servingStore"]["store"]["code"] == "B"
    lines[0]["quantity"] = 500
    assert (await world.gql(client, SERVING, {"l": point, "lines": lines}))["data"]["servingStore"] is None


async def test_coordinate_systems_round_trip_through_the_api(client, world):
    gcj = from_wgs84(STORE_A, CoordinateSystem.GCJ02)
    bd = from_wgs84(STORE_A, CoordinateSystem.BD09)
    query = "query($s: ID!) { store(id: $s) { w: location { longitude latitude system } g: location(system: GCJ02) { longitude latitude system } b: location(system: BD09) { longitude latitude system } } }"
    store = (await world.gql(client, query, {"s": world.store("a")}))["data"]["store"]
    assert store["w"] == {"longitude": STORE_A.lon, "latitude": STORE_A.lat, "system": "WGS84"}
    assert (store["g"]["longitude"], store["g"]["latitude"], store["g"]["system"]) == (gcj.lon, gcj.lat, "GCJ02")
    assert (store["b"]["longitude"], store["b"]["latitude"]) == (bd.lon, bd.lat)
    # The store's own GCJ-02 / BD-09 position sent back (as a mini-program would) is ~0 m away.
    for system, p in (("GCJ02", gcj), ("BD09", bd)):
        body = await world.gql(client, NEARBY, {"l": {"longitude": p.lon, "latitude": p.lat, "system": system}, "first": 1})
        assert body["data"]["nearbyStores"]["nodes"][0]["store"]["code"] == "A"
        assert body["data"]["nearbyStores"]["nodes"][0]["distanceMeters"] < 0.01
    # The default input system is GCJ02: the same numbers read as WGS84 are ~500 m off.
    default = await world.gql(client, NEARBY, {"l": {"longitude": gcj.lon, "latitude": gcj.lat}, "first": 1})
    assert default["data"]["nearbyStores"]["nodes"][0]["distanceMeters"] < 0.01
    as_wgs = await world.gql(client, NEARBY, {"l": wgs(gcj), "first": 1})
    assert as_wgs["data"]["nearbyStores"]["nodes"][0]["distanceMeters"] > 300
    # A polygon drawn in GCJ-02 is stored in WGS-84 and read back in either system.
    ring = [[120.16, 30.27], [120.17, 30.27], [120.17, 30.28], [120.16, 30.28], [120.16, 30.27]]
    created = await world.gql(client, CREATE.replace("expressAllowed", "expressAllowed wgs: polygon g: polygon(system: GCJ02)"),
                              {"i": {**radius_zone(world.store("a"), 1, 2, [(None, "8.00")]), "radiusMeters": None,
                                     "polygon": {"type": "Polygon", "coordinates": [ring]}}}, token=world.staff_token("hq"))
    zone = created["data"]["deliveryZoneCreate"]["zone"]
    back = zone["g"]["coordinates"][0]
    assert all(abs(a - b) < 1e-9 for p, q in zip(back, ring) for a, b in zip(p, q))
    first = LonLat(*zone["wgs"]["coordinates"][0][0])
    assert abs(first.lon - 120.16) > 1e-3  # really converted, not stored as sent
    async with database_rows(world) as rows:
        assert rows[0].polygon == zone["wgs"]


class database_rows:
    def __init__(self, world):
        self.world = world

    async def __aenter__(self):
        self.context = self.world.services.database.read()
        session = await self.context.__aenter__()
        return (await session.scalars(select(DeliveryZoneRow).where(DeliveryZoneRow.tenant_id == self.world.tenant_id))).all()

    async def __aexit__(self, *exc):
        await self.context.__aexit__(*exc)


async def test_the_least_recently_used_tenant_index_is_evicted_beyond_the_cap(database, services):
    worlds = [await build_world(database, services) for _ in range(3)]
    clock = Clock()
    cache = GeoIndexCache(1.0, clock, max_tenants=2)
    async with database.read() as session:
        first = await cache.get(session, worlds[0].tenant_id)
        await cache.get(session, worlds[1].tenant_id)
        assert await cache.get(session, worlds[0].tenant_id) is first  # used again: now the most recent
        await cache.get(session, worlds[2].tenant_id)  # evicts worlds[1], the least recently used
        assert cache.evictions == 1 and cache.rebuilds == 3
        assert await cache.get(session, worlds[0].tenant_id) is first
        await cache.get(session, worlds[1].tenant_id)  # built again
        assert cache.rebuilds == 4 and cache.evictions == 2


async def test_a_failed_background_rebuild_keeps_the_old_index_and_retries(world, database):
    clock = Clock()
    cache = GeoIndexCache(1.0, clock)
    async with database.read() as session:
        old = await cache.get(session, world.tenant_id)
    async with database.write() as session:
        await session.execute(update(Store).where(Store.id == world.store_ids["b"]).values(status="PAUSED"))
    rebuild, calls = cache._rebuild, []

    async def failing(bind, tenant_id, previous=None):
        calls.append(tenant_id)
        raise ConnectionError("database went away")

    cache._rebuild = failing
    async with database.read() as session:
        clock.now += 1.1
        assert await cache.get(session, world.tenant_id) is old
        await cache.settled()
        assert cache.background_failures == 1 and calls == [world.tenant_id]
        assert await cache.get(session, world.tenant_id) is old  # within the interval: no retry yet
        cache._rebuild = rebuild
        clock.now += 1.1
        assert await cache.get(session, world.tenant_id) is old  # retried in the background
        await cache.settled()
        assert (await cache.get(session, world.tenant_id)).stores[world.store_ids["b"]].status == "PAUSED"


async def test_store_attribute_changes_keep_the_spatial_index_geometry_changes_rebuild_it(world, database):
    """shape_version (migration 0006) moves only with geometry: a status, hours or prep change
    re-reads the stores and keeps the spatial index; a zone edit or a store move rebuilds it."""
    cache = GeoIndexCache(1.0, Clock())
    a, b = world.store_ids["a"], world.store_ids["b"]

    async def current():
        cache.invalidate(world.tenant_id)
        async with database.read() as session:
            return await cache.get(session, world.tenant_id)

    first = await current()
    async with database.write() as session:
        await session.execute(update(Store).where(Store.id == b).values(status="PAUSED", prep_minutes=25))
    second = await current()
    assert second is not first and second.index is first.index
    assert all(new is old for new, old in zip(second.zones, first.zones, strict=True))  # not re-parsed
    assert second.stores[b].status == "PAUSED" and second.stores[b].prep_minutes == 25
    options = second.nearest_options.delivery_options(second.nearest_options.nearest(east_of_a(500), 3), utc_now(), {})
    assert "STORE_SUSPENDED" in {r.value for o in options if o.store_id == str(b) for r in o.reasons}

    async with database.write() as session:
        hq = Principal(PrincipalKind.STAFF, world.tenant_id, staff_id=world.staff_ids["hq"], grants=(RoleGrant("HQ_ADMIN", world.hq_node_id, f"/{world.hq_node_id}/"),))
        await create_zone(session, hq, a, ZoneInput(tier=1, radius_m=1000, fee_rule={"type": "DISTANCE_BANDS", "bands": [[None, 500]]}))
    third = await current()
    assert third.index is not second.index and a not in third.matches(east_of_a(2000))
    async with database.write() as session:
        await session.execute(update(Store).where(Store.id == b).values(delivery_radius_m=1234))  # b's fallback circle
    fourth = await current()
    assert fourth.index is not third.index and fourth.zones_by_store[b][0].shape.radius_m == 1234
    async with database.write() as session:
        await session.execute(update(Store).where(Store.id == b).values(lat=Store.lat + 0.01))
    fifth = await current()
    assert fifth.index is not fourth.index and fifth.stores[b].location.lat == fourth.stores[b].location.lat + 0.01


async def test_a_zone_edit_reparses_only_the_changed_zone(world, database):
    """After a zone edit the rebuild keeps unchanged zones' parsed shapes (and the polygon
    shortcut cached on them) and the stores' nearest-candidate cells."""
    cache = GeoIndexCache(1.0, Clock())
    hq = Principal(PrincipalKind.STAFF, world.tenant_id, staff_id=world.staff_ids["hq"], grants=(RoleGrant("HQ_ADMIN", world.hq_node_id, f"/{world.hq_node_id}/"),))
    square = [[STORE_A.lon - 0.01, STORE_A.lat - 0.01], [STORE_A.lon + 0.01, STORE_A.lat - 0.01],
              [STORE_A.lon + 0.01, STORE_A.lat + 0.01], [STORE_A.lon - 0.01, STORE_A.lat + 0.01], [STORE_A.lon - 0.01, STORE_A.lat - 0.01]]
    fee = {"type": "DISTANCE_BANDS", "bands": [[None, 500]]}
    async with database.write() as session:
        kept = await create_zone(session, hq, world.store_ids["a"], ZoneInput(
            tier=1, polygon={"type": "Polygon", "coordinates": [square]}, system=CoordinateSystem.WGS84, fee_rule=fee))

    async def current():
        cache.invalidate(world.tenant_id)
        async with database.read() as session:
            return await cache.get(session, world.tenant_id)

    before = await current()
    before.nearest_options.nearest(east_of_a(100), 2)  # fill a nearest-candidate cell
    async with database.write() as session:
        await create_zone(session, hq, world.store_ids["a"], ZoneInput(tier=2, radius_m=4000, fee_rule=fee))
    after = await current()
    old_zone = next(z for z in before.zones if z.id == str(kept.id))
    new_zone = next(z for z in after.zones if z.id == str(kept.id))
    assert new_zone is old_zone and "_index_shortcut" in vars(new_zone.shape)
    assert len(after.zones) == len(before.zones) + 1 and after.index is not before.index
    assert after.index._cells.keys() >= before.index._cells.keys() and before.index._cells
    assert after.matches(east_of_a(500))[world.store_ids["a"]].tier == 1
    assert after.matches(east_of_a(3000))[world.store_ids["a"]].tier == 2
