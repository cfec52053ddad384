"""GraphQL documents and small builders shared by the LBS API tests."""
from __future__ import annotations

from geo.coordinates import LonLat
from geo.distance import destination_point
from tests.worlds import HANGZHOU

E = "errors { field code message }"
ZONE_FIELDS = "id storeId tier name kind radiusMeters expressAllowed feeRule { kind bands { upToMeters fee { amount } } base { amount } perKm { amount } }"
CREATE = f"mutation($i: DeliveryZoneCreateInput!) {{ deliveryZoneCreate(input: $i) {{ zone {{ {ZONE_FIELDS} }} {E} }} }}"
UPDATE = f"mutation($i: DeliveryZoneUpdateInput!) {{ deliveryZoneUpdate(input: $i) {{ zone {{ {ZONE_FIELDS} }} {E} }} }}"
DELETE = f"mutation($i: DeliveryZoneDeleteInput!) {{ deliveryZoneDelete(input: $i) {{ deletedId {E} }} }}"
OPTIONS = """query($l: LocationInput, $a: ID, $first: Int) { deliveryOptions(location: $l, addressId: $a, first: $first) {
  store { code } serviceable tier zoneName fee { amount currency } etaMinutes expressPossible distanceMeters roadDistanceMeters reasons } }"""
NEARBY = """query($l: LocationInput!, $first: Int, $after: String, $f: NearbyStoresFilter) {
  nearbyStores(location: $l, first: $first, after: $after, filter: $f) {
    nodes { store { code } distanceMeters roadDistanceMeters isOpenNow fulfilmentTypes }
    pageInfo { hasNextPage hasPreviousPage endCursor } } }"""
SERVING = """query($l: LocationInput!, $lines: [ServingCartLineInput!]!) { servingStore(location: $l, lines: $lines) {
  store { code } tier fee { amount } } }"""

STORE_A = LonLat(*HANGZHOU)


def wgs(point: LonLat) -> dict:
    return {"longitude": point.lon, "latitude": point.lat, "system": "WGS84"}


def east_of_a(metres: float) -> LonLat:
    return destination_point(STORE_A, 90.0, metres)


def square(center: LonLat, half_m: float) -> dict:
    corners = [destination_point(destination_point(center, b1, half_m), b2, half_m) for b1, b2 in ((0, 90), (0, 270), (180, 270), (180, 90))]
    ring = [[round(p.lon, 7), round(p.lat, 7)] for p in corners]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def radius_zone(store_gid: str, radius: float, tier: int, bands: list, express: bool = False) -> dict:
    return {
        "storeId": store_gid, "tier": tier, "radiusMeters": radius, "expressAllowed": express,
        "feeRule": {"bands": [{"upToMeters": u, "fee": f} for u, f in bands]},
    }
