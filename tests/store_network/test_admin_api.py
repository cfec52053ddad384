"""Partners, stores and node moves through the API: who may, what is checked, what a move rewrites."""
from __future__ import annotations

from tests.store_network.helpers import (
    NODE_MOVE, PARTNER_CREATE, PARTNER_UPDATE, STORE_CREATE, STORE_UPDATE, call, codes, node_of_store, paths, store_input,
)
from tests.worlds import World

STOCK = "mutation($s: ID!, $k: ID!) { stockSet(input: {storeId: $s, skuId: $k, onHand: 7}) { onHand errors { code } } }"


def _node(world: World, pk: int) -> str:
    return world.gid("NetworkNode", pk)


async def test_partner_create_and_rename_inside_the_own_subtree_only(client, world):
    hq, west, east = world.hq_node_id, world.partner_ids["west"], world.partner_ids["east"]
    made = await call(client, world, PARTNER_CREATE, {"p": _node(world, hq), "n": " North "})
    assert made["errors"] == [] and made["node"]["kind"] == "PARTNER" and made["node"]["name"] == "North"
    sub = await call(client, world, PARTNER_CREATE, {"p": _node(world, west), "n": "West-1"}, staff="west")
    assert sub["errors"] == []
    assert codes(await call(client, world, PARTNER_CREATE, {"p": _node(world, hq), "n": "Mine"}, staff="west")) == ["PERMISSION_DENIED"]
    assert codes(await call(client, world, PARTNER_CREATE, {"p": _node(world, east), "n": "Mine"}, staff="west")) == ["PERMISSION_DENIED"]
    assert codes(await call(client, world, PARTNER_CREATE, {"p": _node(world, west), "n": "X"}, staff="manager_a")) == ["PERMISSION_DENIED"]
    store_node = await node_of_store(world, "a")
    assert codes(await call(client, world, PARTNER_CREATE, {"p": _node(world, store_node), "n": "X"})) == ["INVALID"]
    assert codes(await call(client, world, PARTNER_CREATE, {"p": _node(world, hq), "n": "  "})) == ["REQUIRED"]
    renamed = await call(client, world, PARTNER_UPDATE, {"id": sub["node"]["id"], "n": "West One"}, staff="west")
    assert renamed["errors"] == [] and renamed["node"]["name"] == "West One"
    assert codes(await call(client, world, PARTNER_UPDATE, {"id": _node(world, east), "n": "Mine"}, staff="west")) == ["PERMISSION_DENIED"]
    assert codes(await call(client, world, PARTNER_UPDATE, {"id": _node(world, hq), "n": "HQ2"})) == ["INVALID"]


async def test_store_create_checks_every_field(client, world):
    west = _node(world, world.partner_ids["west"])
    made = await call(client, world, STORE_CREATE, {"input": store_input(west, "W9", hours=None,
                      openingHours=[{"weekday": 0, "opens": "09:00", "closes": "21:00"}], fulfilmentTypes=["STORE_PICKUP"])}, staff="west")
    assert made["errors"] == [], made
    store = made["store"]
    assert (store["code"], store["status"], store["fulfilmentTypes"], store["openingHours"]) == (
        "W9", "OPEN", ["STORE_PICKUP"], [{"weekday": 0, "opens": "09:00", "closes": "21:00"}])
    assert abs(store["location"]["longitude"] - 120.16) > 1e-4  # GCJ-02 input, stored and shown as WGS-84
    assert made["node"]["kind"] == "STORE"
    assert (await paths(world))[int(_pk(made["node"]["id"]))] == f"/{world.hq_node_id}/{world.partner_ids['west']}/{_pk(made['node']['id'])}/"
    cases = [
        ({"code": "W9"}, "code", "STORE_CODE_TAKEN"),
        ({"code": "A"}, "code", "STORE_CODE_TAKEN"),
        ({"code": "bad code!"}, "code", "INVALID"),
        ({"timezone": "Asia/Hangzhou"}, "timezone", "INVALID_TIMEZONE"),
        ({"location": {"longitude": 181, "latitude": 30, "system": "WGS84"}}, "location", "INVALID_LOCATION"),
        ({"hours": "mon-sun 22:00"}, "hours", "INVALID_HOURS"),
        ({"hours": None}, "openingHours", "REQUIRED"),
        ({"prepMinutes": 999}, "prepMinutes", "INVALID"),
        ({"deliveryRadiusMeters": 5}, "deliveryRadiusMeters", "INVALID"),
        ({"status": "CLOSED"}, "status", "INVALID"),
        ({"name": ""}, "name", "REQUIRED"),
    ]
    for override, field, code in cases:
        refused = await call(client, world, STORE_CREATE, {"input": {**store_input(west, "W10"), **override}}, staff="west")
        assert [(e["field"], e["code"]) for e in refused["errors"]] == [(field, code)], (override, refused)
        assert refused["store"] is None


async def test_store_create_permissions(client, world):
    east = _node(world, world.partner_ids["east"])
    hq = _node(world, world.hq_node_id)
    assert codes(await call(client, world, STORE_CREATE, {"input": store_input(east, "E1")}, staff="west")) == ["PERMISSION_DENIED"]
    assert codes(await call(client, world, STORE_CREATE, {"input": store_input(hq, "E1")}, staff="west")) == ["PERMISSION_DENIED"]
    west = _node(world, world.partner_ids["west"])
    assert codes(await call(client, world, STORE_CREATE, {"input": store_input(west, "E1")}, staff="manager_a")) == ["PERMISSION_DENIED"]
    assert codes(await call(client, world, STORE_CREATE, {"input": store_input(west, "E1")}, staff="clerk_a")) == ["PERMISSION_DENIED"]
    under_store = _node(world, await node_of_store(world, "a"))
    assert codes(await call(client, world, STORE_CREATE, {"input": store_input(under_store, "E1")})) == ["INVALID"]
    anonymous = await world.gql(client, STORE_CREATE, {"input": store_input(hq, "E1")})
    assert [e["code"] for e in anonymous["data"]["storeCreate"]["errors"]] == ["UNAUTHENTICATED"]
    assert (await call(client, world, STORE_CREATE, {"input": store_input(hq, "E1")}))["errors"] == []  # HQ may anywhere


def _pk(gid: str) -> str:
    import base64

    return base64.b64decode(gid).decode().split(":")[1]


async def test_move_rewrites_the_subtree_and_grants_follow(client, world):
    hq, west, east = world.hq_node_id, world.partner_ids["west"], world.partner_ids["east"]
    sub = (await call(client, world, PARTNER_CREATE, {"p": _node(world, west), "n": "West-1"}))["node"]
    sub_id = int(_pk(sub["id"]))
    store_a = await node_of_store(world, "a")
    moved = await call(client, world, NODE_MOVE, {"n": _node(world, store_a), "p": sub["id"]})
    assert moved["errors"] == []
    assert (await paths(world))[store_a] == f"/{hq}/{west}/{sub_id}/{store_a}/"
    # The partner West-1 (with store a below it) moves under East in one statement.
    moved = await call(client, world, NODE_MOVE, {"n": sub["id"], "p": _node(world, east)})
    assert moved["errors"] == []
    now = await paths(world)
    assert now[sub_id] == f"/{hq}/{east}/{sub_id}/" and now[store_a] == f"/{hq}/{east}/{sub_id}/{store_a}/"
    assert now[world.partner_ids["west"]] == f"/{hq}/{west}/"
    # West's admin lost store a; store a's manager still runs it (the grant sits on its node).
    lost = await call(client, world, STOCK, {"s": world.store("a"), "k": world.sku("milk")}, staff="west")
    assert codes(lost) == ["PERMISSION_DENIED"]
    kept = await call(client, world, STOCK, {"s": world.store("a"), "k": world.sku("milk")}, staff="manager_a")
    assert kept["errors"] == []
    renamed = await call(client, world, STORE_UPDATE, {"input": {"id": world.store("a"), "name": "Mine now"}}, staff="west")
    assert codes(renamed) == ["PERMISSION_DENIED"]
    again = await call(client, world, NODE_MOVE, {"n": sub["id"], "p": _node(world, east)})  # a retry is a no-op
    assert again["errors"] == [] and await paths(world) == now


async def test_move_refusals(client, world):
    hq, west, east = world.hq_node_id, world.partner_ids["west"], world.partner_ids["east"]
    sub = (await call(client, world, PARTNER_CREATE, {"p": _node(world, west), "n": "West-1"}))["node"]
    before = await paths(world)
    refused = await call(client, world, NODE_MOVE, {"n": _node(world, west), "p": sub["id"]})
    assert [(e["field"], e["code"]) for e in refused["errors"]] == [("newParentId", "CANNOT_MOVE_UNDER_DESCENDANT")]
    assert codes(await call(client, world, NODE_MOVE, {"n": _node(world, west), "p": _node(world, west)})) == ["CANNOT_MOVE_UNDER_DESCENDANT"]
    store_a, store_b, store_c = [await node_of_store(world, k) for k in "abc"]
    assert codes(await call(client, world, NODE_MOVE, {"n": _node(world, store_a), "p": _node(world, store_b)})) == ["INVALID"]
    assert codes(await call(client, world, NODE_MOVE, {"n": _node(world, hq), "p": _node(world, west)})) == ["INVALID"]
    # Both ends must be yours: west may not push its store to East, nor pull East's store in.
    assert codes(await call(client, world, NODE_MOVE, {"n": _node(world, store_a), "p": _node(world, east)}, staff="west")) == ["PERMISSION_DENIED"]
    assert codes(await call(client, world, NODE_MOVE, {"n": _node(world, store_c), "p": _node(world, west)}, staff="west")) == ["PERMISSION_DENIED"]
    assert codes(await call(client, world, NODE_MOVE, {"n": _node(world, west), "p": _node(world, east)}, staff="west")) == ["PERMISSION_DENIED"]
    # A store manager moves nothing, itself included.
    assert codes(await call(client, world, NODE_MOVE, {"n": _node(world, store_a), "p": sub["id"]}, staff="manager_a")) == ["PERMISSION_DENIED"]
    assert await paths(world) == before
    # Inside its own subtree a partner admin may.
    assert (await call(client, world, NODE_MOVE, {"n": _node(world, store_a), "p": sub["id"]}, staff="west"))["errors"] == []


async def test_store_update_edits_the_new_fields(client, world):
    update = {"id": world.store("a"), "code": "A-1", "address": "2 Hill Road", "city": "上海", "district": "黄浦区",
              "location": {"longitude": 121.47, "latitude": 31.23, "system": "WGS84"}, "timezone": "Asia/Urumqi",
              "hours": "mon-fri 07:00-23:00", "fulfilmentTypes": ["STORE_PICKUP", "SAME_CITY_DELIVERY"]}
    done = await call(client, world, STORE_UPDATE, {"input": update}, staff="west")
    assert done["errors"] == [], done
    store = done["store"]
    assert (store["code"], store["address"], store["city"], store["timezone"], store["location"]) == (
        "A-1", "2 Hill Road", "上海", "Asia/Urumqi", {"longitude": 121.47, "latitude": 31.23})
    assert len(store["openingHours"]) == 5 and store["fulfilmentTypes"] == ["STORE_PICKUP", "SAME_CITY_DELIVERY"]
    for bad, code in (({"code": "B"}, "STORE_CODE_TAKEN"), ({"timezone": "UTC+8"}, "INVALID_TIMEZONE"),
                      ({"location": {"longitude": 0, "latitude": 91, "system": "WGS84"}}, "INVALID_LOCATION"),
                      ({"openingHours": [{"weekday": 7, "opens": "08:00", "closes": "09:00"}]}, "INVALID_HOURS"),
                      ({"status": "OPENING_SOON"}, "INVALID_STATUS_TRANSITION")):
        refused = await call(client, world, STORE_UPDATE, {"input": {"id": world.store("a"), "name": "x", **bad}}, staff="west")
        assert codes(refused) == [code], (bad, refused)
    unchanged = await call(client, world, STORE_UPDATE, {"input": {"id": world.store("a")}}, staff="west")
    assert unchanged["store"]["name"] == "Store A" and unchanged["store"]["code"] == "A-1"  # refusals wrote nothing


async def test_campaigns_follow_a_moved_node(client, world):
    """Promotions keep a copy of their node's path as their scope: a move rewrites it with the
    tree, so the moved partner keeps its campaign and its stores leave the old parent's."""
    from datetime import datetime, timedelta, timezone

    from sqlalchemy import select

    from promotions.models import Promotion
    from promotions.service import automatic_for
    from store_network.models import NetworkNode

    west = world.partner_ids["west"]
    sub = (await call(client, world, PARTNER_CREATE, {"p": _node(world, west), "n": "West-1"}))["node"]
    sub_id = int(_pk(sub["id"]))
    store_a = await node_of_store(world, "a")
    assert (await call(client, world, NODE_MOVE, {"n": _node(world, store_a), "p": sub["id"]}))["errors"] == []
    now = datetime.now(timezone.utc)
    async with world.services.database.write() as session:
        for node_id, name in ((sub_id, "west-1 deal"), (west, "west deal")):
            path = (await session.get(NetworkNode, node_id)).path
            session.add(Promotion(
                tenant_id=world.tenant_id, node_id=node_id, node_path=path, kind="AUTOMATIC", status="ACTIVE", name=name, version=1,
                priority=0, stackable=False, conditions=[], actions=[{"code": "amount_off", "args": {"amount": 100}}], scope={},
                starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1), issued=0,
            ))

    async def campaigns_of_store_a() -> set[str]:
        async with world.services.database.read() as session:
            path = (await session.get(NetworkNode, store_a)).path
            return {spec.name for spec in await automatic_for(session, world.tenant_id, path, now)}

    assert await campaigns_of_store_a() == {"west-1 deal", "west deal"}
    assert (await call(client, world, NODE_MOVE, {"n": sub["id"], "p": _node(world, world.partner_ids["east"])}))["errors"] == []
    assert await campaigns_of_store_a() == {"west-1 deal"}
    async with world.services.database.read() as session:
        moved = await session.scalar(select(Promotion.node_path).where(Promotion.node_id == sub_id))
        assert moved == (await session.get(NetworkNode, sub_id)).path
