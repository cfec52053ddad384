"""Store.deliveryZones: the store's zones, innermost tier first, with their shapes for the console
map, for staff who may dispatch or manage the store's delivery; null for everyone else (fee rules
are internal), and one batched hop for a page of stores."""
from __future__ import annotations

from sqlalchemy import event

from tests.worlds import HANGZHOU

E = "errors { field code message }"
CREATE = f"""mutation($i: DeliveryZoneCreateInput!) {{ deliveryZoneCreate(input: $i) {{ zone {{ id }} {E} }} }}"""
ZONES = """query($s: ID!) { store(id: $s) { name deliveryZones { id tier name kind radiusMeters expressAllowed
  feeRule { kind } polygon(system: WGS84) } } }"""
PAGE = "query { stores(first: 10) { edges { node { code deliveryZones { tier } } } } }"


def _square(half_deg: float) -> dict:
    lon, lat = HANGZHOU
    ring = [[lon - half_deg, lat - half_deg], [lon + half_deg, lat - half_deg], [lon + half_deg, lat + half_deg],
            [lon - half_deg, lat + half_deg], [lon - half_deg, lat - half_deg]]
    return {"type": "Polygon", "coordinates": [ring]}


async def _zones(client, world) -> list[str]:
    manager = world.staff_token("manager_a")
    made = []
    for zone in (
        {"storeId": world.store("a"), "tier": 2, "name": "outer", "radiusMeters": 4000, "feeRule": {"bands": [{"fee": "8.00"}]}},
        {"storeId": world.store("a"), "tier": 1, "name": "inner", "polygon": _square(0.01), "system": "WGS84",
         "feeRule": {"bands": [{"fee": "4.00"}]}, "expressAllowed": True},
    ):
        body = await world.gql(client, CREATE, {"i": zone}, token=manager)
        assert body["data"]["deliveryZoneCreate"]["errors"] == [], body
        made.append(body["data"]["deliveryZoneCreate"]["zone"]["id"])
    return made


async def test_staff_who_may_dispatch_the_store_see_its_zones_innermost_first(client, world):
    outer, inner = await _zones(client, world)
    for key in ("clerk_a", "manager_a", "west", "hq"):  # DISPATCH_ORDERS (the clerk) is enough
        body = await world.gql(client, ZONES, {"s": world.store("a")}, token=world.staff_token(key))
        zones = body["data"]["store"]["deliveryZones"]
        assert [z["id"] for z in zones] == [inner, outer], key
        assert zones[0]["kind"] == "POLYGON" and zones[0]["radiusMeters"] is None and zones[0]["expressAllowed"] is True
        assert zones[0]["polygon"] == _square(0.01)  # WGS-84 in, WGS-84 out
        assert zones[1]["kind"] == "RADIUS" and zones[1]["radiusMeters"] == 4000 and zones[1]["polygon"] is None
        assert zones[1]["feeRule"] == {"kind": "DISTANCE_BANDS"}
    # The clerk also reads a zone by id now (node(id:) follows the same rule).
    body = await world.gql(client, "query($id: ID!) { node(id: $id) { ... on DeliveryZone { name } } }", {"id": inner},
                           token=world.staff_token("clerk_a"))
    assert body["data"]["node"] == {"name": "inner"}


async def test_customers_anonymous_callers_and_other_stores_staff_get_null(client, world):
    await _zones(client, world)
    for token, store in ((world.customer_token("alice"), "a"), (None, "a"), (world.staff_token("manager_a"), "b")):
        body = await world.gql(client, ZONES, {"s": world.store(store)}, token=token)
        assert body["data"]["store"]["deliveryZones"] is None, (store, body)
        assert body["data"]["store"]["name"]  # the store itself stays public
    body = await world.gql(client, ZONES, {"s": world.store("b")}, token=world.staff_token("west"))
    assert body["data"]["store"]["deliveryZones"] == []  # no zones: it delivers within deliveryRadiusMeters


async def test_a_page_of_stores_loads_zones_in_one_batched_hop(client, world, database):
    await _zones(client, world)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", record)
    try:
        body = await world.gql(client, PAGE, token=world.staff_token("hq"))
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", record)
    tiers = {e["node"]["code"]: [z["tier"] for z in e["node"]["deliveryZones"]] for e in body["data"]["stores"]["edges"]}
    assert tiers == {"A": [1, 2], "B": [], "C": []}
    assert sum("delivery_zone" in s for s in statements) == 1, statements  # one query for three stores
