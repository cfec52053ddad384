"""Per-store listing (issue 16): a store de-lists a SKU, its storefront hides it, cart and
checkout refuse it; re-listing follows the assortment control policy; versions, idempotency,
the CSV/JSON endpoint and the listing.changed event."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from events.models import DomainEventRecord
from tests.api import gql_documents as docs
from tests.store_sync.helpers import gql_key, store_api_key

LISTING_SYNC = """mutation($input: StoreListingSyncInput!) { storeListingSync(input: $input) {
  applied stale rejected replayed rows { index skuCode status code listed } errors { field code message } } }"""
SHELF = """query($store: ID!) { store(id: $store) { products(first: 50) { edges { node { name skus { code } } } } } }"""
CONTROL_SET = """mutation($id: ID!, $assortment: ControlLevel) {
  networkNodeControlSet(input: {nodeId: $id, assortment: $assortment}) { errors { code } } }"""


def _batch(world, rows, key=None, store="a"):
    return {"input": {"storeId": world.store(store), "idempotencyKey": key or f"listing-{uuid.uuid4()}", "rows": rows}}


async def _shelf(client, world, store="a") -> set[str]:
    body = await world.gql(client, SHELF, {"store": world.store(store)})
    return {sku["code"] for edge in body["data"]["store"]["products"]["edges"] for sku in edge["node"]["skus"]}


async def _add(client, world, sku="milk", store="a", customer="alice"):
    body = await world.gql(client, docs.ADD_LINES, {"store": world.store(store), "lines": [{"skuId": world.sku(sku), "quantity": 1}]},
                           token=world.customer_token(customer))
    return body["data"]["cartLinesAdd"]


async def _checkout(client, world, store="a", customer="alice"):
    body = await world.gql(client, docs.CHECKOUT, {"store": world.store(store), "type": "STORE_PICKUP", "address": None,
                                                   "key": f"checkout-{uuid.uuid4()}", "slot": None}, token=world.customer_token(customer))
    return body["data"]["checkoutComplete"]


async def test_a_delisted_sku_is_hidden_and_refused_in_that_store_only(client, world, database):
    assert "SKU-milk" in await _shelf(client, world)
    assert (await _add(client, world))["errors"] == []  # in the cart before it is de-listed
    key = await store_api_key(client, world)
    body = (await gql_key(client, world, LISTING_SYNC, _batch(world, [{"skuCode": "SKU-milk", "listed": False, "version": "1"}]), key))
    body = body["data"]["storeListingSync"]
    assert body["errors"] == [] and body["applied"] == 1 and body["rows"][0]["listed"] is False

    assert "SKU-milk" not in await _shelf(client, world) and "SKU-bread" in await _shelf(client, world)
    assert "SKU-milk" in await _shelf(client, world, "b")  # store B still sells it
    product = await world.gql(client, docs.STOCK, {"store": world.store("a"), "id": world.gid("Product", world.product_ids["milk"])})
    assert product["data"]["product"]["skus"] == []
    refused = await _add(client, world, customer="bob")
    assert refused["errors"] == [{"field": "lines.0.skuId", "code": "NOT_LISTED_IN_STORE", "message": refused["errors"][0]["message"]}]
    checkout = await _checkout(client, world)  # alice's cart still holds it: checkout refuses, nothing is reserved
    assert checkout["order"] is None and checkout["errors"][0]["code"] == "NOT_LISTED_IN_STORE"
    assert (await _add(client, world, store="b", customer="bob"))["errors"] == []
    async with database.read() as session:
        events = (await session.scalars(select(DomainEventRecord).where(
            DomainEventRecord.tenant_id == world.tenant_id, DomainEventRecord.type == "listing.changed"))).all()
    assert [(e.aggregate_type, e.payload["sku_id"], e.payload["listed"]) for e in events] == [("store_listing", world.sku_ids["milk"], False)]


async def test_strong_assortment_control_lets_only_hq_relist(client, world):
    key = await store_api_key(client, world)  # the store's own till (STORE_MANAGER); HQ holds assortment STRONG by default
    off = [{"skuCode": "SKU-bread", "listed": False, "version": "1"}]
    assert (await gql_key(client, world, LISTING_SYNC, _batch(world, off), key))["data"]["storeListingSync"]["applied"] == 1
    back = [{"skuCode": "SKU-bread", "listed": True, "version": "2"}]
    refused = (await gql_key(client, world, LISTING_SYNC, _batch(world, back), key))["data"]["storeListingSync"]
    assert [(r["status"], r["code"]) for r in refused["rows"]] == [("REJECTED", "LISTING_LOCKED_BY_HQ")]
    assert "SKU-bread" not in await _shelf(client, world)
    relisted = (await world.gql(client, LISTING_SYNC, _batch(world, back), token=world.staff_token("hq")))["data"]["storeListingSync"]
    assert relisted["applied"] == 1 and "SKU-bread" in await _shelf(client, world)
    # Under WEAK assortment control the store may re-list itself.
    loosen = await world.gql(client, CONTROL_SET, {"id": world.gid("NetworkNode", world.hq_node_id), "assortment": "WEAK"}, token=world.staff_token("hq"))
    assert loosen["data"]["networkNodeControlSet"]["errors"] == []
    assert (await gql_key(client, world, LISTING_SYNC, _batch(world, [{"skuCode": "SKU-bread", "listed": False, "version": "3"}]), key))["data"]["storeListingSync"]["applied"] == 1
    assert (await gql_key(client, world, LISTING_SYNC, _batch(world, [{"skuCode": "SKU-bread", "listed": True, "version": "4"}]), key))["data"]["storeListingSync"]["applied"] == 1


async def test_versions_idempotency_permissions_and_tenants(client, world, database, services):
    from tests.worlds import build_world

    token = world.staff_token("hq")
    newer = _batch(world, [{"skuCode": "SKU-milk", "listed": False, "version": "20"}], key="listing-batch-0001")
    first = (await world.gql(client, LISTING_SYNC, newer, token=token))["data"]["storeListingSync"]
    again = (await world.gql(client, LISTING_SYNC, newer, token=token))["data"]["storeListingSync"]
    assert first["replayed"] is False and again["replayed"] is True and again["rows"] == first["rows"]
    older = [{"skuCode": "SKU-milk", "listed": True, "version": "10"}, {"skuCode": "SKU-nope", "listed": True, "version": "1"}]
    stale = (await world.gql(client, LISTING_SYNC, _batch(world, older), token=token))["data"]["storeListingSync"]
    assert [(r["status"], r["code"]) for r in stale["rows"]] == [("STALE", "STALE_VERSION"), ("REJECTED", "UNKNOWN_SKU")]
    assert "SKU-milk" not in await _shelf(client, world)
    customer = await world.gql(client, LISTING_SYNC, _batch(world, older), token=world.customer_token())
    assert customer["data"]["storeListingSync"]["errors"][0]["code"] in ("PERMISSION_DENIED", "UNAUTHENTICATED")
    stranger = await build_world(database, services)
    foreign = {"input": {"storeId": stranger.store("a"), "idempotencyKey": "listing-foreign-1", "rows": older[:1]}}
    assert (await world.gql(client, LISTING_SYNC, foreign, token=token))["data"]["storeListingSync"]["errors"][0]["code"] == "NOT_FOUND"
    key = await store_api_key(client, world)
    other = _batch(world, [{"skuCode": "SKU-milk", "listed": False, "version": "1"}], store="b")
    assert (await gql_key(client, world, LISTING_SYNC, other, key))["data"]["storeListingSync"]["errors"][0]["code"] == "PERMISSION_DENIED"


async def test_csv_and_json_listing_files(client, world):
    key = await store_api_key(client, world)
    headers = {"Authorization": f"ApiKey {key}", "Idempotency-Key": "listing-csv-0001", "Content-Type": "text/csv"}
    csv_body = "sku,listed,version\nSKU-milk,false,5\nSKU-bread,0,5\nSKU-gone,false,5\n"
    response = await client.post(f"/pos/stores/{world.store('a')}/listing", content=csv_body.encode(), headers=headers)
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["applied"], data["rejected"]) == (2, 1) and data["rows"][0]["listed"] is False
    assert not {"SKU-milk", "SKU-bread"} & await _shelf(client, world)
    bad = await client.post(f"/pos/stores/{world.store('a')}/listing", content=b"sku,listed,version\nSKU-milk,maybe,6\n",
                            headers={**headers, "Idempotency-Key": "listing-csv-0002"})
    assert bad.status_code == 400
    response = await client.post(f"/pos/stores/{world.store('a')}/listing", json={"rows": [{"sku": "SKU-apple", "listed": False, "version": 1}]},
                                 headers={"Authorization": f"ApiKey {key}", "Idempotency-Key": "listing-json-0001"})
    assert response.status_code == 200 and response.json()["applied"] == 1
    assert "SKU-apple" not in await _shelf(client, world)
