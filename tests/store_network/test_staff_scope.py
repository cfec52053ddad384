"""Staff are invited into the inviter's subtree only (store_network.staff): each refusal, and
that a grant moves with its node."""
from __future__ import annotations

from tests.store_network.helpers import NODE_MOVE, PARTNER_CREATE, call, codes, node_of_store

STAFF_CREATE = """mutation($u: String!, $r: StaffRole!, $n: ID!) {
  staffCreate(input: {username: $u, password: "a long password", role: $r, nodeId: $n}) { staff { username } errors { field code } } }"""
KEY_CREATE = """mutation($r: StaffRole!, $n: ID!) { apiKeyCreate(input: {name: "k", role: $r, nodeId: $n}) { key errors { field code } } }"""
STOCK = "mutation($s: ID!, $k: ID!) { stockSet(input: {storeId: $s, skuId: $k, onHand: 7}) { onHand errors { code } } }"


async def _invite(client, world, staff, username, role, node_id):
    return await call(client, world, STAFF_CREATE, {"u": username, "r": role, "n": world.gid("NetworkNode", node_id)}, staff=staff)


async def test_a_partner_admin_grants_inside_its_subtree_only(client, world):
    west, east, hq = world.partner_ids["west"], world.partner_ids["east"], world.hq_node_id
    store_c = await node_of_store(world, "c")
    assert codes(await _invite(client, world, "west", "east.admin", "PARTNER_ADMIN", east)) == ["PERMISSION_DENIED"]  # sibling
    assert codes(await _invite(client, world, "west", "east.clerk", "STORE_STAFF", store_c)) == ["PERMISSION_DENIED"]  # sibling's store
    assert codes(await _invite(client, world, "west", "new.hq", "HQ_ADMIN", hq)) == ["PERMISSION_DENIED"]  # above itself
    key = await call(client, world, KEY_CREATE, {"r": "HQ_ADMIN", "n": world.gid("NetworkNode", hq)}, staff="west")
    assert codes(key) == ["PERMISSION_DENIED"] and key["key"] is None
    assert (await _invite(client, world, "west", "west.deputy", "PARTNER_ADMIN", west))["errors"] == []  # its own node
    assert (await _invite(client, world, "west", "b.manager", "STORE_MANAGER", await node_of_store(world, "b")))["errors"] == []


async def test_a_store_manager_grants_nothing(client, world):
    west = world.partner_ids["west"]
    store_a = await node_of_store(world, "a")
    assert codes(await _invite(client, world, "manager_a", "up.admin", "PARTNER_ADMIN", west)) == ["PERMISSION_DENIED"]
    assert codes(await _invite(client, world, "manager_a", "a.clerk2", "STORE_STAFF", store_a)) == ["PERMISSION_DENIED"]
    assert codes(await _invite(client, world, "manager_a", "a.boss", "STORE_MANAGER", store_a)) == ["PERMISSION_DENIED"]
    assert codes(await _invite(client, world, "clerk_a", "a.clerk3", "STORE_STAFF", store_a)) == ["PERMISSION_DENIED"]


async def test_a_partner_admin_of_a_moved_partner_follows_it(client, world):
    """A sub-partner's admin keeps its stores when the sub-partner moves, and gains nothing else."""
    west, east = world.partner_ids["west"], world.partner_ids["east"]
    sub = (await call(client, world, PARTNER_CREATE, {"p": world.gid("NetworkNode", west), "n": "West-1"}))["node"]
    store_b = await node_of_store(world, "b")
    assert (await call(client, world, NODE_MOVE, {"n": world.gid("NetworkNode", store_b), "p": sub["id"]}))["errors"] == []
    import base64

    sub_id = int(base64.b64decode(sub["id"]).decode().split(":")[1])
    assert (await _invite(client, world, "hq", "sub.admin", "PARTNER_ADMIN", sub_id))["errors"] == []
    assert (await call(client, world, NODE_MOVE, {"n": sub["id"], "p": world.gid("NetworkNode", east)}))["errors"] == []
    # west's admin lost store b with the move; sub.admin's grant sits on West-1 and went along.
    assert codes(await call(client, world, STOCK, {"s": world.store("b"), "k": world.sku("milk")}, staff="west")) == ["PERMISSION_DENIED"]
    assert codes(await _invite(client, world, "west", "b.clerk", "STORE_STAFF", store_b)) == ["PERMISSION_DENIED"]
