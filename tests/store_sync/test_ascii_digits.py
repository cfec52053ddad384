"""Quantities and versions are ASCII digits: int() alone reads full-width ("１２") and
Arabic-Indic ("١٢") digits, and str.isdigit() passes "²" which int() then refuses (a 500).
Each such row is refused with its own typed error (INVALID), over GraphQL and the CSV/JSON
endpoint; the other CSV importers refuse them on the row too."""
from __future__ import annotations

import uuid

import pytest

from core.clock import utc_now
from core.digits import ascii_int
from membership.importer import import_members
from tests.store_network.helpers import IMPORT, call, csv_rows, store_count
from tests.store_sync.helpers import STOCK_SYNC, gql_key, stock_of, store_api_key

NON_ASCII = ["１２", "١٢", "۱۲", "²", "1_2", "+"]


@pytest.mark.parametrize("text", NON_ASCII)
def test_only_ascii_digits_are_numbers(text):
    assert ascii_int(text, signed=True) is None
    assert ascii_int(" 12 ") == 12 and ascii_int("-3", signed=True) == -3 and ascii_int("-3") is None


async def test_graphql_versions_in_other_digits_are_the_rows_invalid(client, world, database):
    key = await store_api_key(client, world)
    rows = [{"skuCode": "SKU-milk", "quantity": 40, "version": v} for v in ("１２", "١٢", "²")]
    rows = [dict(r, skuCode=code) for r, code in zip(rows, ("SKU-milk", "SKU-bread", "SKU-apple"))]
    batch = {"input": {"storeId": world.store("a"), "idempotencyKey": f"b-{uuid.uuid4()}", "rows": rows}}
    body = (await gql_key(client, world, STOCK_SYNC, batch, key))["data"]["storeStockSync"]
    assert body["errors"] == [] and [(r["status"], r["code"]) for r in body["rows"]] == [("REJECTED", "INVALID")] * 3
    assert await stock_of(database, world, "milk") == (20, 0)


async def test_csv_and_json_quantities_and_versions_in_other_digits_are_the_rows_invalid(client, world, database):
    key = await store_api_key(client, world)
    csv_body = "sku,mode,quantity,version\nSKU-milk,ABSOLUTE,１２,3\nSKU-bread,DELTA,١٢,\nSKU-apple,ABSOLUTE,500,²\n"
    headers = {"Authorization": f"ApiKey {key}", "Idempotency-Key": f"csv-{uuid.uuid4()}", "Content-Type": "text/csv"}
    response = await client.post(f"/pos/stores/{world.store('a')}/stock", content=csv_body.encode(), headers=headers)
    assert response.status_code == 200, response.text
    assert [(r["status"], r["code"]) for r in response.json()["rows"]] == [("REJECTED", "INVALID")] * 3
    rows = {"rows": [{"sku": "SKU-milk", "quantity": "１２", "version": "4"}, {"sku": "SKU-bread", "quantity": 7, "version": "٥"}]}
    response = await client.post(f"/pos/stores/{world.store('a')}/stock", json=rows,
                                 headers={"Authorization": f"ApiKey {key}", "Idempotency-Key": f"json-{uuid.uuid4()}"})
    assert response.status_code == 200, response.text
    assert [(r["status"], r["code"]) for r in response.json()["rows"]] == [("REJECTED", "INVALID")] * 2
    assert await stock_of(database, world, "milk") == (20, 0) and await stock_of(database, world, "bread") == (20, 0)
    plain = {"rows": [{"sku": "SKU-milk", "quantity": "12", "version": "5"}]}  # ASCII still works, as text too
    response = await client.post(f"/pos/stores/{world.store('a')}/stock", json=plain,
                                 headers={"Authorization": f"ApiKey {key}", "Idempotency-Key": f"json-{uuid.uuid4()}"})
    assert response.json()["applied"] == 1 and await stock_of(database, world, "milk") == (12, 0)


async def test_store_import_refuses_other_digits_on_the_row(client, world):
    bad = {2: "N0002,S2,杭州,,Road,１２０.１,30.2,WGS84,,١٢,3000,mon-sun 08:00-22:00,OPEN"}
    refused = await call(client, world, IMPORT, {"p": world.gid("NetworkNode", world.partner_ids["west"]),
                                                 "csv": csv_rows(3, bad=bad)}, staff="west")
    assert [(e["row"], e["field"], e["code"]) for e in refused["rowErrors"]] == [(2, "lon", "INVALID"), (2, "prep_minutes", "INVALID")]
    assert await store_count(world) == 3


async def test_member_import_refuses_points_in_other_digits(database, world):
    async with database.write() as session:
        result = await import_members(session, world.tenant_id, "mobile,name,level,points,balance\n13900000001,Wang,,１２０,0\n",
                                      actor=("staff", 1), now=utc_now())
    assert result.imported == 0 and [(e.row, e.field) for e in result.errors] == [(1, "points")]
