"""Saved addresses take the map SDK's coordinate system and are stored as WGS-84."""
from __future__ import annotations

import pytest

from geo.coordinates import CoordinateSystem, LonLat, to_wgs84
from geo.distance import haversine_m

CREATE = """mutation($lon: Float!, $lat: Float!, $system: CoordinateSystem) {
  addressCreate(input: {recipient: "Li", mobile: "13800138000", line: "1 Wensan Rd", longitude: $lon, latitude: $lat, system: $system}) {
    address { longitude latitude mobile } errors { field code message } } }"""
GCJ = (120.1614, 30.2781)  # what Amap shows near Wensan Road


@pytest.mark.parametrize("system", ["GCJ02", "WGS84", None])
async def test_address_is_stored_in_wgs84(client, world, system):
    variables = {"lon": GCJ[0], "lat": GCJ[1], "system": system}
    document = CREATE
    if system is None:  # the field left out entirely
        document = CREATE.replace(", $system: CoordinateSystem", "").replace(", system: $system", "")
        del variables["system"]
    body = await world.gql(client, document, variables, token=world.customer_token())
    address = body["data"]["addressCreate"]["address"]
    source = CoordinateSystem(system or "GCJ02")  # the documented default is GCJ02
    expected = to_wgs84(LonLat(*GCJ), source)
    assert haversine_m(LonLat(address["longitude"], address["latitude"]), expected) < 0.01
    assert address["mobile"] == "+8613800138000"
    if source is CoordinateSystem.GCJ02:
        assert 300 < haversine_m(expected, LonLat(*GCJ)) < 700  # the offset really was removed


async def test_bad_coordinates_are_a_typed_error(client, world):
    body = await world.gql(client, CREATE, {"lon": 200.0, "lat": 30.0, "system": "WGS84"}, token=world.customer_token())
    error = body["data"]["addressCreate"]["errors"][0]
    assert error["code"] == "INVALID" and error["field"] == "lon"


DELETE = "mutation($id: ID!) { addressDelete(input: {id: $id}) { deletedId errors { field code } } }"


async def test_a_customer_deletes_only_their_own_address(client, world):
    alices = world.gid("Address", world.address_ids["alice"])
    bobs_try = await world.gql(client, DELETE, {"id": alices}, token=world.customer_token("bob"))
    assert bobs_try["data"]["addressDelete"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]
    done = await world.gql(client, DELETE, {"id": alices}, token=world.customer_token("alice"))
    assert done["data"]["addressDelete"] == {"deletedId": alices, "errors": []}
    again = await world.gql(client, DELETE, {"id": alices}, token=world.customer_token("alice"))
    assert again["data"]["addressDelete"]["errors"][0]["code"] == "NOT_FOUND"
    viewer = await world.gql(client, "{ viewer { addresses { id } } }", token=world.customer_token("alice"))
    assert viewer["data"]["viewer"]["addresses"] == []
