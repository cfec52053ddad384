"""deliveryZoneCreate / Update / Delete: input validation, permissions, effect on lookups."""
from __future__ import annotations

from sqlalchemy import select

from geo.models import GeoIndexVersion
from tests.geo_api.helpers import CREATE, DELETE, OPTIONS, UPDATE, east_of_a, radius_zone, square, wgs, STORE_A


async def _version(database, tenant_id: int) -> int:
    async with database.read() as session:
        return int(await session.scalar(select(GeoIndexVersion.version).where(GeoIndexVersion.tenant_id == tenant_id)) or 0)


async def test_tiers_price_by_road_distance_and_bump_the_version(client, world, database):
    hq = world.staff_token("hq")
    before = await _version(database, world.tenant_id)
    inner = await world.gql(client, CREATE, {"i": radius_zone(world.store("a"), 1000, 1, [(None, "4.00")], express=True)}, token=hq)
    assert inner["data"]["deliveryZoneCreate"]["errors"] == [], inner
    zone = inner["data"]["deliveryZoneCreate"]["zone"]
    assert zone["tier"] == 1 and zone["kind"] == "RADIUS" and zone["feeRule"]["bands"] == [{"upToMeters": None, "fee": {"amount": "4.00"}}]
    outer = await world.gql(client, CREATE, {"i": {**radius_zone(world.store("a"), 0, 2, []), "radiusMeters": None,
                                                   "polygon": square(STORE_A, 2500), "system": "WGS84",
                                                   "feeRule": {"base": "5.00", "includedMeters": 2000, "perKm": "1.50"}}}, token=hq)
    assert outer["data"]["deliveryZoneCreate"]["errors"] == [], outer
    assert await _version(database, world.tenant_id) >= before + 2

    def option_a(body):
        return next(o for o in body["data"]["deliveryOptions"] if o["store"]["code"] == "A")

    near = option_a(await world.gql(client, OPTIONS, {"l": wgs(east_of_a(500))}))
    assert (near["tier"], near["fee"]["amount"], near["serviceable"]) == (1, "4.00", True)
    assert near["expressPossible"] is True and near["reasons"] == []
    # 2,000 m straight = 2,600 m road: base 5.00 + one started km at 1.50.
    far = option_a(await world.gql(client, OPTIONS, {"l": wgs(east_of_a(2000))}))
    assert (far["tier"], far["fee"]["amount"], far["expressPossible"]) == (2, "6.50", False)
    assert "EXPRESS_DISABLED" in far["reasons"]
    outside = option_a(await world.gql(client, OPTIONS, {"l": wgs(east_of_a(2600))}))
    assert outside["serviceable"] is False and outside["reasons"] == ["OUTSIDE_ZONE"]

    # Update the outer tier to a circle; delete the inner one: the lookup follows at once.
    updated = await world.gql(client, UPDATE, {"i": {"id": outer["data"]["deliveryZoneCreate"]["zone"]["id"], "radiusMeters": 3000}}, token=hq)
    assert updated["data"]["deliveryZoneUpdate"]["errors"] == [] and updated["data"]["deliveryZoneUpdate"]["zone"]["kind"] == "RADIUS"
    deleted = await world.gql(client, DELETE, {"i": {"id": zone["id"]}}, token=hq)
    assert deleted["data"]["deliveryZoneDelete"] == {"deletedId": zone["id"], "errors": []}
    now_outer = option_a(await world.gql(client, OPTIONS, {"l": wgs(east_of_a(2600))}))
    assert (now_outer["tier"], now_outer["serviceable"]) == (2, True)


async def test_bad_input_is_a_typed_error_with_a_field_path(client, world):
    hq = world.staff_token("hq")
    base = radius_zone(world.store("a"), 1000, 1, [(None, "4.00")])
    bowtie = {"type": "Polygon", "coordinates": [[[120.15, 30.27], [120.17, 30.29], [120.17, 30.27], [120.15, 30.29], [120.15, 30.27]]]}
    unclosed = {"type": "Polygon", "coordinates": [[[120.15, 30.27], [120.17, 30.27], [120.17, 30.29], [120.15, 30.29]]]}
    cases = [
        ({**base, "radiusMeters": None, "polygon": bowtie}, "SELF_INTERSECTING", "polygon.coordinates[0]"),
        ({**base, "radiusMeters": None, "polygon": unclosed}, "RING_NOT_CLOSED", "polygon.coordinates[0][3]"),
        ({**base, "radiusMeters": None, "polygon": {"type": "Polygon", "coordinates": [[[200, 30], [120, 31], [121, 31], [200, 30]]]}},
         "COORDINATE_OUT_OF_RANGE", "polygon.coordinates[0][0].lon"),
        ({**base, "radiusMeters": 90_000}, "ZONE_TOO_LARGE", "radiusMeters"),
        ({**base, "radiusMeters": None}, "INVALID_ZONE", "radiusMeters"),
        ({**base, "polygon": bowtie}, "INVALID_ZONE", "radiusMeters"),
        ({**base, "tier": 0}, "INVALID_ZONE", "tier"),
        # A real zone shape, but around Shanghai while store A is in Hangzhou (~165 km away).
        ({**base, "radiusMeters": None, "polygon": {"type": "Polygon", "coordinates": [[[121.40, 31.20], [121.45, 31.20], [121.45, 31.24], [121.40, 31.20]]]}},
         "ZONE_TOO_FAR_FROM_STORE", "polygon"),
        ({**base, "feeRule": {"bands": [{"upToMeters": None, "fee": "-1"}]}}, "INVALID_ZONE", "feeRule.bands[0].fee"),
        ({**base, "feeRule": {"bands": [{"upToMeters": 3000, "fee": "4.00"}, {"upToMeters": 2000, "fee": "6.00"}]}},
         "INVALID_ZONE", "feeRule.bands[1].upToMeters"),
        ({**base, "feeRule": {"bands": [{"upToMeters": None, "fee": "4.00"}, {"upToMeters": 2000, "fee": "6.00"}]}},
         "INVALID_ZONE", "feeRule.bands[0].upToMeters"),
        ({**base, "feeRule": {"bands": [{"upToMeters": None, "fee": "1000.01"}]}}, "INVALID_ZONE", "feeRule.bands[0].fee"),
        ({**base, "feeRule": {"base": "5000.00", "perKm": "1.00"}}, "INVALID_ZONE", "feeRule.base"),
        ({**base, "feeRule": {"base": "5.00", "perKm": "1.00", "includedMeters": -1}}, "INVALID_ZONE", "feeRule.includedMeters"),
        ({**base, "feeRule": {"base": "5.00", "perKm": "1.00", "maxDistanceMeters": 10**7}}, "INVALID_ZONE", "feeRule.maxDistanceMeters"),
        ({**base, "feeRule": {}}, "INVALID_ZONE", "feeRule"),
        ({**base, "storeId": "bm9wZQ=="}, "INVALID", "storeId"),
    ]
    for data, code, field in cases:
        body = await world.gql(client, CREATE, {"i": data}, token=hq)
        payload = body["data"]["deliveryZoneCreate"]
        assert payload["zone"] is None and [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], (data, body)


async def test_permission_is_manage_delivery_within_the_subtree(client, world):
    zone = radius_zone(world.store("a"), 1000, 1, [(None, "4.00")])
    manager = await world.gql(client, CREATE, {"i": zone}, token=world.staff_token("manager_a"))
    assert manager["data"]["deliveryZoneCreate"]["errors"] == []
    zone_id = manager["data"]["deliveryZoneCreate"]["zone"]["id"]
    other_store = await world.gql(client, CREATE, {"i": {**zone, "storeId": world.store("b")}}, token=world.staff_token("manager_a"))
    assert [e["code"] for e in other_store["data"]["deliveryZoneCreate"]["errors"]] == ["PERMISSION_DENIED"]
    clerk = await world.gql(client, UPDATE, {"i": {"id": zone_id, "tier": 2}}, token=world.staff_token("clerk_a"))
    assert [e["code"] for e in clerk["data"]["deliveryZoneUpdate"]["errors"]] == ["PERMISSION_DENIED"]
    anonymous = await world.gql(client, DELETE, {"i": {"id": zone_id}})
    assert [e["code"] for e in anonymous["data"]["deliveryZoneDelete"]["errors"]] == ["UNAUTHENTICATED"]
    customer = await world.gql(client, DELETE, {"i": {"id": zone_id}}, token=world.customer_token())
    assert [e["code"] for e in customer["data"]["deliveryZoneDelete"]["errors"]] == ["PERMISSION_DENIED"]
    partner = await world.gql(client, UPDATE, {"i": {"id": zone_id, "name": "West says"}}, token=world.staff_token("west"))
    assert partner["data"]["deliveryZoneUpdate"]["errors"] == [] and partner["data"]["deliveryZoneUpdate"]["zone"]["name"] == "West says"


async def test_checkout_fee_comes_from_the_zone_lookup(client, world, database):
    import pytest

    from commerce.checkout import delivery_fee_fen
    from commerce.models import Address
    from commerce.order_status import FulfilmentType
    from core.errors import DomainError
    from store_network.models import Store

    async def fee() -> int:
        async with database.write() as session:
            store = await session.get(Store, world.store_ids["a"])
            address = await session.get(Address, world.address_ids["alice"])
            return await delivery_fee_fen(session, store, FulfilmentType.SAME_CITY_DELIVERY, address)

    # No zones yet: the fallback (store radius 3 km, flat 4 yuan) keeps old behaviour.
    assert await fee() == 400
    # alice's address is ~740 m from A: road ~960 m, within a 1 km band of 3.00.
    body = await world.gql(client, CREATE, {"i": radius_zone(world.store("a"), 2000, 1, [(1000, "3.00"), (None, "6.00")])},
                           token=world.staff_token("hq"))
    assert body["data"]["deliveryZoneCreate"]["errors"] == []
    assert await fee() == 300
    async with database.write() as session:
        address = await session.get(Address, world.address_ids["alice"])
        address.lon, address.lat = STORE_A.lon + 0.03, STORE_A.lat  # ~2.9 km east, outside 2 km
    with pytest.raises(DomainError) as refused:
        await fee()
    assert refused.value.code.value == "OUTSIDE_DELIVERY_ZONE" and refused.value.field == "addressId"
