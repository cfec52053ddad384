"""POS/ERP bulk sync: per-row results, versions, idempotency, permissions, the CSV endpoint."""
from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from events.models import DomainEventRecord
from tests.store_sync.helpers import PRICE_SYNC, STOCK_SYNC, gql_key, price_of, stock_of, store_api_key


def _batch(world, rows, key=None, store="a"):
    return {"input": {"storeId": world.store(store), "idempotencyKey": key or f"batch-{uuid.uuid4()}", "rows": rows}}


async def test_a_till_syncs_counts_and_movements_with_a_result_per_row(client, world, database):
    key = await store_api_key(client, world)
    rows = [
        {"skuCode": "SKU-milk", "mode": "ABSOLUTE", "quantity": 50, "version": "10"},
        {"skuCode": "SKU-bread", "mode": "DELTA", "quantity": -2},
        {"skuCode": "SKU-apple", "mode": "ABSOLUTE", "quantity": 100, "version": "10"},  # not a multiple of 250 g
        {"skuCode": "SKU-nope", "mode": "DELTA", "quantity": 1},
        {"skuCode": "SKU-milk", "mode": "DELTA", "quantity": 1},  # twice in one batch
        {"skuId": world.sku("apple"), "mode": "ABSOLUTE", "quantity": 500, "version": "11"},  # apple again, by id
    ]
    body = (await gql_key(client, world, STOCK_SYNC, _batch(world, rows), key))["data"]["storeStockSync"]
    assert body["errors"] == []
    assert (body["applied"], body["stale"], body["rejected"]) == (2, 0, 4)
    assert [(r["status"], r["code"]) for r in body["rows"]] == [
        ("APPLIED", None), ("APPLIED", None), ("REJECTED", "NOT_MULTIPLE_OF_STEP"), ("REJECTED", "UNKNOWN_SKU"),
        ("REJECTED", "DUPLICATE_ROW"), ("REJECTED", "DUPLICATE_ROW"),
    ]
    assert body["rows"][0]["onHand"] == 50 and body["rows"][1]["onHand"] == 18
    assert await stock_of(database, world, "milk") == (50, 0)
    assert await stock_of(database, world, "bread") == (18, 0)
    assert await stock_of(database, world, "apple") == (20 * 250, 0)
    async with database.read() as session:
        events = await session.scalar(select(func.count()).select_from(DomainEventRecord).where(
            DomainEventRecord.tenant_id == world.tenant_id, DomainEventRecord.type == "stock.changed"))
    assert events == 2  # one per applied row, for webhooks


async def test_an_older_count_never_overwrites_a_newer_one(client, world, database):
    key = await store_api_key(client, world)
    newer = [{"skuCode": "SKU-milk", "quantity": 7, "version": "200"}]
    older = [{"skuCode": "SKU-milk", "quantity": 99, "version": "100"}]
    same = [{"skuCode": "SKU-milk", "quantity": 98, "version": "200"}]
    unversioned = [{"skuCode": "SKU-milk", "quantity": 97}]
    body = (await gql_key(client, world, STOCK_SYNC, _batch(world, unversioned), key))["data"]["storeStockSync"]
    assert body["rows"][0]["code"] == "REQUIRED"
    assert (await gql_key(client, world, STOCK_SYNC, _batch(world, newer), key))["data"]["storeStockSync"]["applied"] == 1
    for rows in (older, same):
        body = (await gql_key(client, world, STOCK_SYNC, _batch(world, rows), key))["data"]["storeStockSync"]
        assert body["rows"][0]["status"] == "STALE" and body["rows"][0]["code"] == "STALE_VERSION"
    assert await stock_of(database, world, "milk") == (7, 0)


async def test_a_retried_batch_is_applied_once_and_a_reused_key_is_refused(client, world, database):
    key = await store_api_key(client, world)
    variables = _batch(world, [{"skuCode": "SKU-bread", "mode": "DELTA", "quantity": -3}], key="till-7-batch-0001")
    first = (await gql_key(client, world, STOCK_SYNC, variables, key))["data"]["storeStockSync"]
    again = (await gql_key(client, world, STOCK_SYNC, variables, key))["data"]["storeStockSync"]
    assert first["replayed"] is False and again["replayed"] is True and again["rows"] == first["rows"]
    assert await stock_of(database, world, "bread") == (17, 0)
    variables["input"]["rows"][0]["quantity"] = -4
    reused = (await gql_key(client, world, STOCK_SYNC, variables, key))["data"]["storeStockSync"]
    assert reused["errors"][0]["code"] == "IDEMPOTENCY_KEY_REUSED"
    assert await stock_of(database, world, "bread") == (17, 0)


async def test_counts_may_not_drop_below_reserved_and_sales_may_not_take_reserved_units(client, world, database):
    from tests.api.helpers import place_order

    assert (await place_order(client, world, {"milk": 3}, fulfilment="STORE_PICKUP"))["errors"] == []
    key = await store_api_key(client, world)
    rows = [{"skuCode": "SKU-milk", "quantity": 2, "version": "1"}]
    body = (await gql_key(client, world, STOCK_SYNC, _batch(world, rows), key))["data"]["storeStockSync"]
    assert body["rows"][0]["code"] == "BELOW_RESERVED"
    sale = [{"skuCode": "SKU-milk", "mode": "DELTA", "quantity": -18}]  # 20 on hand, 3 held online
    body = (await gql_key(client, world, STOCK_SYNC, _batch(world, sale), key))["data"]["storeStockSync"]
    assert body["rows"][0]["code"] == "INSUFFICIENT_STOCK"
    assert await stock_of(database, world, "milk") == (20, 3)


async def test_permissions_and_tenant_isolation(client, world, database, services):
    from tests.worlds import build_world

    key = await store_api_key(client, world)
    other_store = (await gql_key(client, world, STOCK_SYNC, _batch(world, [{"skuCode": "SKU-milk", "quantity": 1, "version": "1"}], store="b"), key))
    assert other_store["data"]["storeStockSync"]["errors"][0]["code"] == "PERMISSION_DENIED"
    stranger = await build_world(database, services)
    foreign = {"input": {"storeId": stranger.store("a"), "idempotencyKey": "foreign-0001", "rows": [{"skuCode": "SKU-milk", "quantity": 1, "version": "1"}]}}
    assert (await gql_key(client, world, STOCK_SYNC, foreign, key))["data"]["storeStockSync"]["errors"][0]["code"] == "NOT_FOUND"
    anonymous = await world.gql(client, STOCK_SYNC, _batch(world, [{"skuCode": "SKU-milk", "quantity": 1, "version": "1"}]))
    assert anonymous["data"]["storeStockSync"]["errors"][0]["code"] == "UNAUTHENTICATED"
    assert await stock_of(database, stranger, "milk") == (20, 0)


async def test_prices_sync_with_versions_and_clearing(client, world, database):
    token = world.staff_token("hq")
    rows = [
        {"skuCode": "SKU-milk", "price": "9.90", "version": "5"},
        {"skuCode": "SKU-bread", "price": "0", "version": "5"},
        {"skuCode": "SKU-apple", "price": "abc", "version": "5"},
    ]
    body = (await world.gql(client, PRICE_SYNC, _batch(world, rows), token=token))["data"]["storePriceSync"]
    assert [(r["status"], r["code"]) for r in body["rows"]] == [
        ("APPLIED", None), ("REJECTED", "FREE_PRICE_NOT_ALLOWED"), ("REJECTED", "OUT_OF_RANGE")]
    assert body["rows"][0]["price"] == {"amount": "9.90"}
    assert await price_of(database, world, "milk") == 990
    stale = [{"skuCode": "SKU-milk", "price": "1.00", "version": "4"}]
    assert (await world.gql(client, PRICE_SYNC, _batch(world, stale), token=token))["data"]["storePriceSync"]["stale"] == 1
    clear = [{"skuCode": "SKU-milk", "price": None, "version": "6"}]
    assert (await world.gql(client, PRICE_SYNC, _batch(world, clear), token=token))["data"]["storePriceSync"]["applied"] == 1
    assert await price_of(database, world, "milk") is None


async def test_csv_and_json_files_for_large_batches(client, world, database):
    key = await store_api_key(client, world)
    csv_body = "sku,mode,quantity,version\nSKU-milk,ABSOLUTE,40,3\nSKU-bread,DELTA,5,\nSKU-gone,DELTA,1,\n"
    headers = {"Authorization": f"ApiKey {key}", "Idempotency-Key": "csv-file-0001", "Content-Type": "text/csv"}
    response = await client.post(f"/pos/stores/{world.store('a')}/stock", content=csv_body.encode(), headers=headers)
    assert response.status_code == 200, response.text
    data = response.json()
    assert (data["applied"], data["rejected"]) == (2, 1) and data["rows"][2]["code"] == "UNKNOWN_SKU"
    assert await stock_of(database, world, "milk") == (40, 0) and await stock_of(database, world, "bread") == (25, 0)
    again = await client.post(f"/pos/stores/{world.store('a')}/stock", content=csv_body.encode(), headers=headers)
    assert again.json()["replayed"] is True and await stock_of(database, world, "bread") == (25, 0)

    prices = {"rows": [{"sku": "SKU-milk", "price": "8.80", "version": 1}]}
    response = await client.post(f"/pos/stores/{world.store('a')}/prices", json=prices,
                                 headers={"Authorization": f"ApiKey {key}", "Idempotency-Key": "json-file-0001"})
    assert response.status_code == 200 and response.json()["applied"] == 1
    assert await price_of(database, world, "milk") == 880
    assert (await client.post(f"/pos/stores/{world.store('a')}/stock", content=b"x", headers={"Content-Type": "text/csv"})).status_code == 401
    bad = await client.post(f"/pos/stores/{world.store('a')}/stock", content=b"{", headers={**headers, "Content-Type": "application/json"})
    assert bad.status_code == 400


async def test_till_sales_and_online_checkouts_share_the_last_units(backend, client, world, database, services):
    """POS deltas interleaved with online checkouts on the last 3 units: exactly 3 succeed in all."""
    from commerce.models import Customer
    from tests.api import gql_documents as docs

    key = await store_api_key(client, world)
    set_three = [{"skuCode": "SKU-milk", "quantity": 3, "version": "1"}]
    assert (await gql_key(client, world, STOCK_SYNC, _batch(world, set_three), key))["data"]["storeStockSync"]["applied"] == 1
    async with database.write() as session:
        buyers = [Customer(tenant_id=world.tenant_id, mobile=f"+86137{i:08d}", name=f"b{i}") for i in range(4)]
        session.add_all(buyers)
        await session.flush()
        tokens = [services.signer.issue_pair(f"customer:{b.id}", world.tenant_id).access for b in buyers]
    for token in tokens:
        added = await world.gql(client, docs.ADD_LINES, {"store": world.store("a"), "lines": [{"skuId": world.sku("milk"), "quantity": 1}]}, token=token)
        assert added["data"]["cartLinesAdd"]["errors"] == []

    async def online(token):
        body = await world.gql(client, docs.CHECKOUT, {"store": world.store("a"), "type": "STORE_PICKUP", "address": None,
                                                       "key": f"k-{uuid.uuid4()}"}, token=token)
        return bool(body["data"]["checkoutComplete"]["order"])

    async def till():
        body = await gql_key(client, world, STOCK_SYNC, _batch(world, [{"skuCode": "SKU-milk", "mode": "DELTA", "quantity": -1}]), key)
        return body["data"]["storeStockSync"]["applied"] == 1

    work = [online(t) for t in tokens] + [till() for _ in range(4)]
    work = [work[i // 2] if i % 2 == 0 else work[4 + i // 2] for i in range(8)]  # interleaved: online, till, online, ...
    outcomes = await asyncio.gather(*work)
    online_sold = sum(outcomes[0::2])
    till_sold = sum(outcomes[1::2])
    assert online_sold + till_sold == 3  # the three units went once each, to whoever came first
    on_hand, reserved = await stock_of(database, world, "milk")
    assert reserved == online_sold and on_hand == 3 - till_sold
