"""networkNodes and managedStores: the caller's part of the network only, with filters."""
from __future__ import annotations

from tests.store_network.helpers import STATUS_SET, call

NODES = """query($f: NetworkNodesFilter, $after: String) { networkNodes(first: 3, after: $after, filter: $f) {
  nodes { id kind name } pageInfo { hasNextPage endCursor } } }"""
STORES = """query($f: ManagedStoresFilter) { managedStores(first: 50, filter: $f) { nodes { code status } } }"""


async def _q(client, world, doc, variables, staff):
    body = await world.gql(client, doc, variables, token=world.staff_token(staff) if staff else None)
    assert "errors" not in body, body
    (data,) = body["data"].values()
    return data


async def test_network_nodes_of_the_callers_subtree(client, world):
    seen, after = [], None
    while True:  # HQ sees all six nodes, three a page, parents first
        page = await _q(client, world, NODES, {"f": None, "after": after}, "hq")
        seen += page["nodes"]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert [n["kind"] for n in seen][0] == "HQ" and len(seen) == 6
    west = await _q(client, world, NODES, {"f": {"kind": "STORE"}}, "west")
    assert sorted(n["name"] for n in west["nodes"]) == ["Store A", "Store B"]
    children = await _q(client, world, NODES, {"f": {"parentId": world.gid("NetworkNode", world.hq_node_id)}}, "hq")
    assert sorted(n["name"] for n in children["nodes"]) == ["East", "West"]
    assert (await _q(client, world, NODES, {"f": None}, "manager_a"))["nodes"] == [
        {"id": world.gid("NetworkNode", (await _store_node(world))), "kind": "STORE", "name": "Store A"}]
    body = await world.gql(client, NODES, {"f": None})
    assert body["data"]["networkNodes"]["nodes"] == []  # anonymous: nothing


async def _store_node(world) -> int:
    from tests.store_network.helpers import node_of_store

    return await node_of_store(world, "a")


async def test_managed_stores_filter_by_status_and_parent(client, world):
    await call(client, world, STATUS_SET, {"s": world.store("b"), "to": "PAUSED", "expected": None})
    everything = await _q(client, world, STORES, {"f": None}, "hq")
    assert [s["code"] for s in everything["nodes"]] == ["A", "B", "C"]
    assert (await _q(client, world, STORES, {"f": {"status": "PAUSED"}}, "hq"))["nodes"] == [{"code": "B", "status": "PAUSED"}]
    east = {"parentId": world.gid("NetworkNode", world.partner_ids["east"])}
    assert [s["code"] for s in (await _q(client, world, STORES, {"f": east}, "hq"))["nodes"]] == ["C"]
    assert [s["code"] for s in (await _q(client, world, STORES, {"f": None}, "west"))["nodes"]] == ["A", "B"]
    assert (await _q(client, world, STORES, {"f": east}, "west"))["nodes"] == []  # not its part of the network
