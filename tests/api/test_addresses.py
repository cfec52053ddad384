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
    assert error["code"] == "INVALID" and error["field"] == "longitude"


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


UPDATE = """mutation($i: AddressUpdateInput!) { addressUpdate(input: $i) {
  address { id recipient mobile line label longitude latitude } errors { field code } } }"""


async def test_a_customer_edits_their_own_address_field_by_field(client, world):
    alices = world.gid("Address", world.address_ids["alice"])
    before = (await world.gql(client, "{ viewer { addresses { id recipient mobile line longitude latitude } } }",
                              token=world.customer_token("alice")))["data"]["viewer"]["addresses"][0]
    renamed = await world.gql(client, UPDATE, {"i": {"id": alices, "recipient": " Li Lei ", "mobile": "+86 139-0000-1111"}},
                              token=world.customer_token("alice"))
    address = renamed["data"]["addressUpdate"]["address"]
    assert renamed["data"]["addressUpdate"]["errors"] == []
    assert (address["recipient"], address["mobile"]) == ("Li Lei", "+8613900001111")
    assert (address["line"], address["longitude"], address["latitude"]) == (before["line"], before["longitude"], before["latitude"])
    moved = await world.gql(client, UPDATE, {"i": {"id": alices, "longitude": GCJ[0], "latitude": GCJ[1]}},
                            token=world.customer_token("alice"))
    point = moved["data"]["addressUpdate"]["address"]
    assert haversine_m(LonLat(point["longitude"], point["latitude"]), to_wgs84(LonLat(*GCJ), CoordinateSystem.GCJ02)) < 0.01
    cases = [
        ({"longitude": 120.1}, [{"field": "latitude", "code": "REQUIRED"}]),
        ({"longitude": 120.1, "latitude": 95.0}, [{"field": "latitude", "code": "INVALID"}]),
        ({"recipient": "   "}, [{"field": "recipient", "code": "REQUIRED"}]),
        ({"line": "x" * 401}, [{"field": "line", "code": "INVALID"}]),
        ({"mobile": "12345"}, [{"field": "mobile", "code": "MOBILE_INVALID"}]),
    ]
    for change, errors in cases:
        body = await world.gql(client, UPDATE, {"i": {"id": alices, **change}}, token=world.customer_token("alice"))
        assert body["data"]["addressUpdate"] == {"address": None, "errors": errors}, change
    bobs_try = await world.gql(client, UPDATE, {"i": {"id": alices, "recipient": "Bob"}}, token=world.customer_token("bob"))
    assert bobs_try["data"]["addressUpdate"]["errors"] == [{"field": "id", "code": "NOT_FOUND"}]
    staff_try = await world.gql(client, UPDATE, {"i": {"id": alices, "recipient": "Staff"}}, token=world.staff_token("hq"))
    assert staff_try["data"]["addressUpdate"]["errors"] == [{"field": None, "code": "UNAUTHENTICATED"}]
    after = (await world.gql(client, "{ viewer { addresses { recipient } } }", token=world.customer_token("alice")))["data"]
    assert after["viewer"]["addresses"] == [{"recipient": "Li Lei"}]  # nothing from the refused edits
