"""Round three, the network's subtrees as a partner admin, a store manager or a clerk of one
part tries to reach another part (a sibling store, the other partner) or another brand, through
every new mutation: network admin, store import, prices, assortment, product images."""
from __future__ import annotations

from tests.assortment.helpers import listing_set, network_set
from tests.media.helpers import ADD, REMOVE, REORDER, add
from tests.pricing.helpers import IMPORT as PRICES_IMPORT, PARTNER_PRICE, store_price
from tests.store_network.helpers import (
    HEADER, IMPORT as STORES_IMPORT, NODE_MOVE, PARTNER_UPDATE, STATUS_SET, STORE_UPDATE, call, codes, node_of_store,
)
from tests.worlds import build_world


def _node(world, pk: int) -> str:
    return world.gid("NetworkNode", pk)


async def test_a_partner_admin_moves_nothing_across_the_partner_boundary(client, world):
    west, east = world.partner_ids["west"], world.partner_ids["east"]
    store_a, store_c = await node_of_store(world, "a"), await node_of_store(world, "c")
    for node, parent in ((store_a, east), (store_c, west), (west, east), (store_a, world.hq_node_id)):
        moved = await call(client, world, NODE_MOVE, {"n": _node(world, node), "p": _node(world, parent)}, staff="west")
        assert codes(moved) == ["PERMISSION_DENIED"], (node, parent, moved)
    for staff in ("manager_a", "clerk_a"):
        moved = await call(client, world, NODE_MOVE, {"n": _node(world, store_a), "p": _node(world, west)}, staff=staff)
        assert codes(moved) == ["PERMISSION_DENIED"]
    renamed = await call(client, world, PARTNER_UPDATE, {"id": _node(world, east), "n": "Mine now"}, staff="west")
    assert codes(renamed) == ["PERMISSION_DENIED"]


async def test_a_store_moved_away_leaves_its_old_partner_admins_reach(client, world):
    store_a = await node_of_store(world, "a")
    moved = await call(client, world, NODE_MOVE, {"n": _node(world, store_a), "p": _node(world, world.partner_ids["east"])})
    assert moved["errors"] == []
    update = await call(client, world, STORE_UPDATE, {"input": {"id": world.store("a"), "name": "West's again"}}, staff="west")
    assert codes(update) == ["PERMISSION_DENIED"]
    status = await call(client, world, STATUS_SET, {"s": world.store("a"), "to": "PAUSED", "expected": None}, staff="west")
    assert codes(status) == ["PERMISSION_DENIED"]
    assert (await store_price(client, world, "9.00", staff="west"))["errors"][0]["code"] == "PERMISSION_DENIED"


async def test_another_brands_nodes_are_not_found_not_denied(client, world, database, services):
    other = await build_world(database, services)
    store_a = await node_of_store(world, "a")
    into_other = await call(client, world, NODE_MOVE, {"n": _node(world, store_a), "p": _node(other, other.partner_ids["west"])})
    assert codes(into_other) == ["NOT_FOUND"]
    theirs = await node_of_store(other, "a")
    out_of_other = await call(client, world, NODE_MOVE, {"n": _node(other, theirs), "p": _node(world, world.partner_ids["west"])})
    assert codes(out_of_other) == ["NOT_FOUND"]
    imported = await call(client, world, STORES_IMPORT, {"p": _node(other, other.hq_node_id),
                                                         "csv": HEADER + "\nQ1,Q,杭州,,Road,120.1,30.2,WGS84,Asia/Shanghai,10,3000,mon-sun 08:00-22:00,OPEN\n"})
    assert codes(imported) == ["NOT_FOUND"] and imported["created"] == 0


async def test_store_import_under_the_other_partner_is_refused(client, world):
    csv_text = HEADER + "\nQ2,Q,杭州,,Road,120.1,30.2,WGS84,Asia/Shanghai,10,3000,mon-sun 08:00-22:00,OPEN\n"
    refused = await call(client, world, STORES_IMPORT, {"p": _node(world, world.partner_ids["east"]), "csv": csv_text}, staff="west")
    assert codes(refused) == ["PERMISSION_DENIED"] and refused["created"] == 0
    under_store = await call(client, world, STORES_IMPORT, {"p": _node(world, await node_of_store(world, "a")), "csv": csv_text}, staff="west")
    assert codes(under_store) == ["INVALID"] and under_store["created"] == 0


async def test_price_rows_outside_the_callers_subtree_refuse_the_whole_file(client, world, database, services):
    other = await build_world(database, services)
    east = _node(world, world.partner_ids["east"])
    foreign_partner = _node(other, other.partner_ids["west"])
    csv_text = ("store_code,partner_id,sku_code,price\nA,,SKU-milk,9.00\nC,,SKU-milk,9.00\n"
                f",{east},SKU-milk,9.00\n,{foreign_partner},SKU-milk,9.00\n")
    body = await world.gql(client, PRICES_IMPORT, {"csv": csv_text, "reason": "grab"}, token=world.staff_token("west"))
    payload = body["data"]["pricesImport"]
    assert payload["changed"] == 0
    assert [(e["row"], e["code"]) for e in payload["rowErrors"]][-3:] == [(3, "PERMISSION_DENIED"), (4, "PERMISSION_DENIED"), (5, "UNKNOWN_NODE")]
    clerk = await world.gql(client, PRICES_IMPORT, {"csv": "store_code,sku_code,price\nA,SKU-milk,9.00\n", "reason": "x"},
                            token=world.staff_token("clerk_a"))
    clerk = clerk["data"]["pricesImport"]
    assert clerk["changed"] == 0 and (clerk["errors"] or clerk["rowErrors"])
    partner = await world.gql(client, PARTNER_PRICE, {"n": east, "k": world.sku("milk"), "p": "9.00"}, token=world.staff_token("west"))
    assert partner["data"]["partnerPriceSet"]["errors"][0]["code"] == "PERMISSION_DENIED"


async def test_assortment_of_a_sibling_store_or_another_partner_is_refused(client, world, database, services):
    sibling = await listing_set(client, world, "manager_a", listed=False, store="b", skus=["milk"])
    assert sibling["errors"][0]["code"] == "PERMISSION_DENIED"
    other_partner = await network_set(client, world, "west", _node(world, world.partner_ids["east"]), listed=False, products=["milk"])
    assert other_partner["errors"][0]["code"] == "PERMISSION_DENIED"
    other = await build_world(database, services)
    foreign_sku = await world.gql(client, """mutation($i: StoreListingSetInput!) { storeListingSet(input: $i) { changed errors { code } } }""",
                                  {"i": {"storeId": world.store("a"), "listed": False, "skuIds": [other.sku("milk")]}},
                                  token=world.staff_token("hq"))
    assert foreign_sku["data"]["storeListingSet"]["errors"][0]["code"] == "NOT_FOUND"


async def test_another_brands_product_images_are_not_found(client, world, database, services):
    other = await build_world(database, services)
    theirs = await add(client, other)
    assert theirs["errors"] == []
    image_id = theirs["image"]["id"]
    mine = await world.gql(client, ADD, {"input": {"productId": other.gid("Product", other.product_ids["milk"]),
                                                   "url": "https://cdn.example.com/x.jpg", "width": 10, "height": 10}},
                           token=world.staff_token("hq"))
    assert mine["data"]["productImageAdd"]["errors"][0]["code"] == "NOT_FOUND"
    removed = await world.gql(client, REMOVE, {"input": {"id": image_id}}, token=world.staff_token("hq"))
    assert removed["data"]["productImageRemove"]["errors"][0]["code"] == "NOT_FOUND"
    ours = await add(client, world)
    reorder = await world.gql(client, REORDER, {"input": {"productId": world.gid("Product", world.product_ids["milk"]),
                                                          "imageIds": [ours["image"]["id"], image_id]}}, token=world.staff_token("hq"))
    assert reorder["data"]["productImagesReorder"]["errors"], reorder
    for staff in ("west", "manager_a"):
        denied = await add(client, world, staff=staff, url="https://cdn.example.com/y.jpg")
        assert denied["errors"][0]["code"] == "PERMISSION_DENIED"
