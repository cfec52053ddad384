"""Admins create staff and API keys only inside their subtree; a key acts as its role, until revoked."""
from __future__ import annotations

from tests.worlds import World

STAFF_CREATE = """mutation($u: String!, $r: StaffRole!, $n: ID!, $p: String!) {
  staffCreate(input: {username: $u, displayName: "New", password: $p, role: $r, nodeId: $n}) {
    staff { username roles { role } } errors { field code message } } }"""
KEY_CREATE = """mutation($r: StaffRole!, $n: ID!) {
  apiKeyCreate(input: {name: "till", role: $r, nodeId: $n}) { key apiKey { id prefix revokedAt } errors { field code message } } }"""
KEY_REVOKE = "mutation($id: ID!) { apiKeyRevoke(input: {id: $id}) { apiKey { revokedAt } errors { code } } }"
STOCK = "mutation($s: ID!, $k: ID!) { stockSet(input: {storeId: $s, skuId: $k, onHand: 7}) { onHand errors { code } } }"
LOGIN = "mutation($u: String!, $p: String!) { staffLogin(input: {username: $u, password: $p}) { tokens { accessToken } errors { code } } }"


async def _store_node(world: World, key: str, database) -> str:
    from store_network.models import Store

    async with database.read() as session:
        store = await session.get(Store, world.store_ids[key])
    return world.gid("NetworkNode", store.node_id)


async def test_hq_creates_a_store_manager_who_can_sign_in(client, world, database):
    node = await _store_node(world, "a", database)
    body = await world.gql(client, STAFF_CREATE, {"u": "new.manager", "r": "STORE_MANAGER", "n": node, "p": "a long password"},
                           token=world.staff_token("hq"))
    assert body["data"]["staffCreate"]["errors"] == []
    assert body["data"]["staffCreate"]["staff"]["roles"] == [{"role": "STORE_MANAGER"}]
    login = await world.gql(client, LOGIN, {"u": "new.manager", "p": "a long password"})
    assert login["data"]["staffLogin"]["errors"] == []
    again = await world.gql(client, STAFF_CREATE, {"u": "new.manager", "r": "STORE_STAFF", "n": node, "p": "a long password"},
                            token=world.staff_token("hq"))
    assert again["data"]["staffCreate"]["errors"][0]["code"] == "DUPLICATE"


async def test_nobody_grants_above_or_beside_their_own_subtree(client, world, database):
    west = world.staff_token("west")
    hq_node = world.gid("NetworkNode", world.hq_node_id)
    escalate = await world.gql(client, STAFF_CREATE, {"u": "evil.admin", "r": "HQ_ADMIN", "n": hq_node, "p": "a long password"}, token=west)
    assert escalate["data"]["staffCreate"]["errors"][0]["code"] == "PERMISSION_DENIED"
    east_store = await _store_node(world, "c", database)
    beside = await world.gql(client, STAFF_CREATE, {"u": "east.clerk", "r": "STORE_STAFF", "n": east_store, "p": "a long password"}, token=west)
    assert beside["data"]["staffCreate"]["errors"][0]["code"] == "PERMISSION_DENIED"
    manager = world.staff_token("manager_a")
    own = await _store_node(world, "a", database)
    no_right = await world.gql(client, STAFF_CREATE, {"u": "a.clerk", "r": "STORE_STAFF", "n": own, "p": "a long password"}, token=manager)
    assert no_right["data"]["staffCreate"]["errors"][0]["code"] == "PERMISSION_DENIED"
    wrong_level = await world.gql(client, STAFF_CREATE, {"u": "odd.one", "r": "PARTNER_ADMIN", "n": own, "p": "a long password"}, token=west)
    assert wrong_level["data"]["staffCreate"]["errors"][0] == {
        "field": "role", "code": "INVALID", "message": "PARTNER_ADMIN is granted on a PARTNER node"}
    short = await world.gql(client, STAFF_CREATE, {"u": "a.clerk", "r": "STORE_STAFF", "n": own, "p": "short"}, token=west)
    assert short["data"]["staffCreate"]["errors"][0]["field"] == "password"


async def test_an_api_key_acts_as_its_role_until_revoked(client, world, database):
    node = await _store_node(world, "a", database)
    created = (await world.gql(client, KEY_CREATE, {"r": "STORE_MANAGER", "n": node}, token=world.staff_token("west")))["data"]["apiKeyCreate"]
    assert created["errors"] == [] and created["key"].startswith("qd_")
    headers = {"Authorization": f"ApiKey {created['key']}", "X-Tenant": world.slug}

    async def set_stock(store):
        response = await client.post("/graphql", json={"query": STOCK, "variables": {"s": world.store(store), "k": world.sku("milk")}}, headers=headers)
        return response.json()["data"]["stockSet"]

    assert (await set_stock("a")) == {"onHand": 7, "errors": []}
    assert (await set_stock("b"))["errors"][0]["code"] == "PERMISSION_DENIED"
    x_api_key = await client.post(
        "/graphql", json={"query": STOCK, "variables": {"s": world.store("a"), "k": world.sku("milk")}},
        headers={"X-Api-Key": created["key"]},
    )
    assert x_api_key.json()["data"]["stockSet"]["errors"] == []

    revoked = await world.gql(client, KEY_REVOKE, {"id": created["apiKey"]["id"]}, token=world.staff_token("hq"))
    assert revoked["data"]["apiKeyRevoke"]["apiKey"]["revokedAt"]
    after = await set_stock("a")
    assert after["errors"][0]["code"] == "UNAUTHENTICATED"
    viewer = await client.post("/graphql", json={"query": "{ viewer { kind authError } }"}, headers=headers)
    assert viewer.json()["data"]["viewer"] == {"kind": "ANONYMOUS", "authError": "TOKEN_INVALID: unknown or revoked API key"}
