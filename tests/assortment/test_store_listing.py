"""Per-store assortment through GraphQL (issue 12 item 4): staff list and de-list in one store or
a partner's whole region, under the assortment control policy, never de-listing a mandatory
product; the storefront, cart and the listing.changed event follow."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from events.models import DomainEventRecord
from store_network.models import Store
from store_sync.models import StoreListing
from tests.api import gql_documents as docs
from tests.assortment.helpers import codes, control, listing_set, mandatory_set, network_set, shelf
from tests.store_sync.helpers import gql_key, store_api_key

LISTING_SYNC = """mutation($input: StoreListingSyncInput!) { storeListingSync(input: $input) {
  applied rejected rows { index status code } errors { code } } }"""
ASSORTMENT = """query($store: ID!, $listed: Boolean, $first: Int, $after: String) {
  storeAssortment(storeId: $store, listed: $listed, first: $first, after: $after) {
    edges { node { sku { code } listed mandatory updatedAt } } pageInfo { hasNextPage endCursor } } }"""


async def _events(database, world) -> int:
    async with database.read() as session:
        return await session.scalar(select(func.count()).select_from(DomainEventRecord).where(
            DomainEventRecord.tenant_id == world.tenant_id, DomainEventRecord.type == "listing.changed"))


async def _rows(database, world) -> list[tuple]:
    async with database.read() as session:
        rows = await session.execute(select(StoreListing.store_id, StoreListing.sku_id, StoreListing.listed)
                                     .where(StoreListing.tenant_id == world.tenant_id).order_by(StoreListing.store_id, StoreListing.sku_id))
        return [tuple(r) for r in rows.all()]


async def _store_node(world, store: str) -> str:
    async with world.services.database.read() as session:
        return world.gid("NetworkNode", (await session.get(Store, world.store_ids[store])).node_id)


async def test_a_manager_delists_in_one_store_the_storefront_and_cart_follow_and_a_retry_changes_nothing(client, world, database):
    done = await listing_set(client, world, "manager_a", listed=False, skus=["milk"])
    assert done["errors"] == [] and done["changed"] == 1 and done["stores"] == 1 and done["skuIds"] == [world.sku("milk")]
    assert "SKU-milk" not in await shelf(client, world, "a") and "SKU-milk" in await shelf(client, world, "b")
    added = await world.gql(client, docs.ADD_LINES, {"store": world.store("a"), "lines": [{"skuId": world.sku("milk"), "quantity": 1}]},
                            token=world.customer_token("alice"))
    assert codes(added["data"]["cartLinesAdd"]) == ["NOT_LISTED_IN_STORE"]
    assert await _events(database, world) == 1
    again = await listing_set(client, world, "manager_a", listed=False, skus=["milk"])
    assert again["errors"] == [] and again["changed"] == 0 and await _events(database, world) == 1  # idempotent: no second event


async def test_strong_assortment_lets_only_the_deciding_node_relist(client, world, database):
    assert (await listing_set(client, world, "manager_a", listed=False, products=["milk", "bread"]))["changed"] == 2
    before = await _rows(database, world)
    locked = await listing_set(client, world, "manager_a", listed=True, skus=["milk"])  # HQ holds assortment STRONG (default)
    assert codes(locked) == ["LISTING_LOCKED_BY_HQ"] and locked["changed"] is None
    assert await _rows(database, world) == before
    assert (await listing_set(client, world, "hq", listed=True, skus=["milk"]))["changed"] == 1
    # HQ WEAK: the store decides for itself.
    await control(client, world, world.gid("NetworkNode", world.hq_node_id), "WEAK")
    assert (await listing_set(client, world, "manager_a", listed=True, skus=["bread"]))["errors"] == []
    # The West partner takes assortment STRONG for its region: its admin re-lists, the store manager cannot.
    assert (await listing_set(client, world, "manager_a", listed=False, skus=["bread"]))["errors"] == []
    await control(client, world, world.gid("NetworkNode", world.partner_ids["west"]), "STRONG", staff="west")
    assert codes(await listing_set(client, world, "manager_a", listed=True, skus=["bread"])) == ["LISTING_LOCKED_BY_HQ"]
    assert (await listing_set(client, world, "west", listed=True, skus=["bread"]))["changed"] == 1
    # A store's own WEAK does not loosen the partner's lock (networkNodeControlSet refuses it): still locked.
    refused = await world.gql(client, """mutation($id: ID!) { networkNodeControlSet(input: {nodeId: $id, assortment: WEAK}) { errors { code } } }""",
                              {"id": await _store_node(world, "a")}, token=world.staff_token("manager_a"))
    assert refused["data"]["networkNodeControlSet"]["errors"] != []


async def test_a_mandatory_product_cannot_be_delisted_by_staff_or_by_a_pos_file(client, world, database):
    marked = await mandatory_set(client, world, "hq", ["milk"])
    assert marked["errors"] == [] and marked["nodeId"] == world.gid("NetworkNode", world.hq_node_id)
    assert (await mandatory_set(client, world, "hq", ["milk"]))["errors"] == []  # marking twice is not an error
    refused = await listing_set(client, world, "manager_a", listed=False, products=["bread", "milk"])
    assert refused["errors"] == [{"field": "productIds.1", "code": "PRODUCT_MANDATORY", "message": refused["errors"][0]["message"]}]
    assert await _rows(database, world) == []  # all or nothing: bread stayed listed too
    assert codes(await listing_set(client, world, "hq", listed=False, skus=["milk"])) == ["PRODUCT_MANDATORY"]  # HQ unmarks first
    key = await store_api_key(client, world)
    batch = {"input": {"storeId": world.store("a"), "idempotencyKey": f"l-{uuid.uuid4()}", "rows": [
        {"skuCode": "SKU-milk", "listed": False, "version": "1"}, {"skuCode": "SKU-bread", "listed": False, "version": "1"}]}}
    synced = (await gql_key(client, world, LISTING_SYNC, batch, key))["data"]["storeListingSync"]
    assert [(r["status"], r["code"]) for r in synced["rows"]] == [("REJECTED", "PRODUCT_MANDATORY"), ("APPLIED", None)]
    assert "SKU-milk" in await shelf(client, world, "a")
    assert (await mandatory_set(client, world, "hq", ["milk"], mandatory=False))["errors"] == []
    assert (await listing_set(client, world, "manager_a", listed=False, skus=["milk"]))["changed"] == 1


async def test_a_partner_marks_products_mandatory_for_its_region_only(client, world):
    west = world.gid("NetworkNode", world.partner_ids["west"])
    assert (await mandatory_set(client, world, "west", ["bread"], node_gid=west))["errors"] == []
    assert codes(await listing_set(client, world, "manager_a", listed=False, skus=["bread"])) == ["PRODUCT_MANDATORY"]
    assert (await listing_set(client, world, "hq", listed=False, store="c", skus=["bread"]))["changed"] == 1  # East: not mandatory
    # Who may mark: not a store manager, not a partner above its own node, never on a store node.
    assert codes(await mandatory_set(client, world, "manager_a", ["bread"])) == ["PERMISSION_DENIED"]
    assert codes(await mandatory_set(client, world, "west", ["bread"])) == ["PERMISSION_DENIED"]  # HQ
    assert codes(await mandatory_set(client, world, "west", ["bread"], node_gid=world.gid("NetworkNode", world.partner_ids["east"]))) == ["PERMISSION_DENIED"]
    assert codes(await mandatory_set(client, world, "hq", ["bread"], node_gid=await _store_node(world, "a"))) == ["INVALID"]
    assert codes(await mandatory_set(client, world, "clerk_a", [])) in (["REQUIRED"], ["PERMISSION_DENIED"])


async def test_a_partner_delists_in_every_store_of_its_region_all_or_nothing(client, world, database):
    west = world.gid("NetworkNode", world.partner_ids["west"])
    done = await network_set(client, world, "west", west, listed=False, products=["bread"])
    assert done["errors"] == [] and done["stores"] == 2 and done["changed"] == 2
    assert "SKU-bread" not in await shelf(client, world, "a") and "SKU-bread" not in await shelf(client, world, "b")
    assert "SKU-bread" in await shelf(client, world, "c")
    assert await _events(database, world) == 2
    await mandatory_set(client, world, "hq", ["milk"])
    before = await _rows(database, world)
    refused = await network_set(client, world, "hq", world.gid("NetworkNode", world.hq_node_id), listed=False, products=["apple", "milk"])
    assert codes(refused) == ["PRODUCT_MANDATORY"] and await _rows(database, world) == before
    # A store manager has no grant over the partner node; a partner none over another region.
    assert codes(await network_set(client, world, "manager_a", west, listed=False, products=["apple"])) == ["PERMISSION_DENIED"]
    east = world.gid("NetworkNode", world.partner_ids["east"])
    assert codes(await network_set(client, world, "west", east, listed=False, products=["apple"])) == ["PERMISSION_DENIED"]
    # Under HQ's STRONG assortment the partner cannot re-list; HQ re-lists the whole region.
    assert codes(await network_set(client, world, "west", west, listed=True, products=["bread"])) == ["LISTING_LOCKED_BY_HQ"]
    assert (await network_set(client, world, "hq", west, listed=True, products=["bread"]))["changed"] == 2


async def test_bad_input_is_a_typed_error(client, world):
    both = await listing_set(client, world, "manager_a", listed=False, skus=["milk"], products=["milk"])
    assert codes(both) == ["INVALID"]
    neither = await listing_set(client, world, "manager_a", listed=False)
    assert codes(neither) == ["INVALID"]
    body = await world.gql(client, """mutation($i: StoreListingSetInput!) { storeListingSet(input: $i) { errors { field code } } }""",
                           {"i": {"storeId": world.store("a"), "listed": False, "skuIds": [world.sku("milk"), world.gid("Sku", 987654321)]}},
                           token=world.staff_token("manager_a"))
    assert body["data"]["storeListingSet"]["errors"] == [{"field": "skuIds.1", "code": "NOT_FOUND"}]
    assert codes(await listing_set(client, world, "clerk_a", listed=False, skus=["milk"])) == ["PERMISSION_DENIED"]
    assert codes(await listing_set(client, world, "manager_a", listed=False, store="b", skus=["milk"])) == ["PERMISSION_DENIED"]


async def test_store_assortment_lists_every_sku_with_its_listing_for_staff_only(client, world):
    await mandatory_set(client, world, "hq", ["milk"])
    await listing_set(client, world, "manager_a", listed=False, skus=["bread"])
    token = world.staff_token("manager_a")
    body = await world.gql(client, ASSORTMENT, {"store": world.store("a")}, token=token)
    items = {n["node"]["sku"]["code"]: n["node"] for n in body["data"]["storeAssortment"]["edges"]}
    assert {code: (i["listed"], i["mandatory"]) for code, i in items.items()} == {
        "SKU-milk": (True, True), "SKU-apple": (True, False), "SKU-bread": (False, False)}
    assert items["SKU-bread"]["updatedAt"] is not None and items["SKU-milk"]["updatedAt"] is None
    delisted = await world.gql(client, ASSORTMENT, {"store": world.store("a"), "listed": False}, token=token)
    assert [e["node"]["sku"]["code"] for e in delisted["data"]["storeAssortment"]["edges"]] == ["SKU-bread"]
    first = await world.gql(client, ASSORTMENT, {"store": world.store("a"), "first": 2}, token=token)
    page = first["data"]["storeAssortment"]
    assert len(page["edges"]) == 2 and page["pageInfo"]["hasNextPage"]
    rest = await world.gql(client, ASSORTMENT, {"store": world.store("a"), "first": 2, "after": page["pageInfo"]["endCursor"]}, token=token)
    assert len(rest["data"]["storeAssortment"]["edges"]) == 1
    for who in ("clerk_a", None):
        hidden = await world.gql(client, ASSORTMENT, {"store": world.store("a")}, token=world.staff_token(who) if who else None)
        assert hidden["data"]["storeAssortment"]["edges"] == []


async def test_hq_loosens_assortment_for_one_store_only(client, world):
    """A store node's own level decides for it: HQ stays STRONG, store A is made WEAK."""
    for store in ("a", "b"):
        assert (await listing_set(client, world, "hq", listed=False, store=store, skus=["apple"]))["changed"] == 1
    assert codes(await listing_set(client, world, "manager_a", listed=True, skus=["apple"])) == ["LISTING_LOCKED_BY_HQ"]
    await control(client, world, await _store_node(world, "a"), "WEAK")
    assert (await listing_set(client, world, "manager_a", listed=True, skus=["apple"]))["changed"] == 1
    # The West partner's admin is still under HQ's STRONG for store B.
    assert codes(await listing_set(client, world, "west", listed=True, store="b", skus=["apple"])) == ["LISTING_LOCKED_BY_HQ"]
