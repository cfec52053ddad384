"""Round three, CSV imports (storesImport, pricesImport) fed what an outsider would feed them:
every odd file is a typed answer (a row error or a file error), never a 500, never a partial write."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from commerce.models import StorePrice
from network_pricing.models import PartnerPrice, TimePrice
from store_network.models import Store
from tests.pricing.helpers import IMPORT as PRICES_IMPORT
from tests.store_network.helpers import HEADER, IMPORT as STORES_IMPORT

GOOD_ROW = "Z0001,Store Z,杭州,西湖区,Road 1,120.1,30.2,WGS84,Asia/Shanghai,12,3000,mon-sun 08:00-22:00,OPEN"


def _store_row(**over) -> str:
    cells = dict(zip(HEADER.split(","), GOOD_ROW.split(",")))
    cells.update(over)
    return ",".join(cells.values())


async def _count(database, model, tenant_id) -> int:
    async with database.read() as session:
        return await session.scalar(select(func.count()).select_from(model).where(model.tenant_id == tenant_id))


async def _stores_import(client, world, csv_text: str) -> dict:
    body = await world.gql(client, STORES_IMPORT, {"p": world.gid("NetworkNode", world.hq_node_id), "csv": csv_text},
                           token=world.staff_token("hq"))
    assert "errors" not in body, body  # a GraphQL-level error here is an unhandled exception
    return body["data"]["storesImport"]


STORE_FILES = {
    "duplicate header": HEADER + ",name\n" + GOOD_ROW + ",Other name\n",
    "lon NaN": HEADER + "\n" + _store_row(lon="NaN") + "\n",
    "lat inf": HEADER + "\n" + _store_row(lat="inf") + "\n",
    "lon -Infinity": HEADER + "\n" + _store_row(lon="-Infinity") + "\n",
    "lat out of range": HEADER + "\n" + _store_row(lat="91") + "\n",
    "lon with underscores": HEADER + "\n" + _store_row(lon="1_20.1") + "\n",
    "lon 1e400": HEADER + "\n" + _store_row(lon="1e400") + "\n",
    "full-width prep minutes": HEADER + "\n" + _store_row(prep_minutes="１２") + "\n",
    "timezone path": HEADER + "\n" + _store_row(timezone="../../etc/passwd") + "\n",
    "timezone posix": HEADER + "\n" + _store_row(timezone="UTC+8") + "\n",
    "timezone lowercase": HEADER + "\n" + _store_row(timezone="asia/shanghai") + "\n",
    "quote never closed": HEADER + "\n" + GOOD_ROW.replace("Store Z", '"Store Z') + "\n",
    # Bodies stay under the API's 256 KB request limit (the front door answers 413 above it);
    # the CLI reads up to 2 MB with the same parser.
    "a cell over the csv module's limit": HEADER + "\n" + _store_row(name="x" * 200_000) + "\n",
    "many columns": HEADER + "," + ",".join(f"c{i}" for i in range(20_000)) + "\n",
    "many cells in a row": HEADER + "\n" + GOOD_ROW + "," * 200_000 + "\n",
    "header only": HEADER + "\n",
    "empty": "",
    "only a BOM": "\ufeff",
    "unknown header": HEADER + ",colour\n" + GOOD_ROW + ",red\n",
    "huge prep minutes": HEADER + "\n" + _store_row(prep_minutes="9" * 5000) + "\n",
    "lone CR line endings": (HEADER + "\r" + GOOD_ROW + "\r"),
    "hours in full-width digits": HEADER + "\n" + _store_row(hours="mon-sun ０８:００-２２:００") + "\n",
    "hours with superscripts": HEADER + "\n" + _store_row(hours="mon-sun 0²:00-22:00") + "\n",
    "hours garbage": HEADER + "\n" + _store_row(hours="mon-sun 25:00-99:99") + "\n",
    "status not initial": HEADER + "\n" + _store_row(status="CLOSED") + "\n",
    "radius full of digits": HEADER + "\n" + _store_row(delivery_radius_m="1" * 4301) + "\n",
}


@pytest.mark.parametrize("name", list(STORE_FILES))
async def test_odd_store_files_are_typed_refusals_and_create_nothing(client, world, database, name):
    before = await _count(database, Store, world.tenant_id)
    payload = await _stores_import(client, world, STORE_FILES[name])
    assert payload["created"] == 0, (name, payload)
    assert payload["errors"] or payload["rowErrors"], (name, payload)
    assert await _count(database, Store, world.tenant_id) == before


async def test_crlf_and_a_bom_are_an_ordinary_file(client, world, database):
    payload = await _stores_import(client, world, "\ufeff" + HEADER + "\r\n" + GOOD_ROW + "\r\n")
    assert (payload["created"], payload["errors"], payload["rowErrors"]) == (1, [], [])


async def _prices_import(client, world, csv_text: str) -> dict:
    body = await world.gql(client, PRICES_IMPORT, {"csv": csv_text, "reason": "attack"}, token=world.staff_token("hq"))
    assert "errors" not in body, body
    return body["data"]["pricesImport"]


PRICE_FILES = {
    "duplicate header": "store_code,sku_code,price,price\nA,SKU-milk,1.00,2.00\n",
    "1e3": "store_code,sku_code,price\nA,SKU-milk,1e3\n",
    "NaN": "store_code,sku_code,price\nA,SKU-milk,NaN\n",
    "Infinity": "store_code,sku_code,price\nA,SKU-milk,Infinity\n",
    "-0": "store_code,sku_code,price\nA,SKU-milk,-0\n",
    "0.005": "store_code,sku_code,price\nA,SKU-milk,0.005\n",
    "full-width digits": "store_code,sku_code,price\nA,SKU-milk,１２\n",
    "huge": "store_code,sku_code,price\nA,SKU-milk," + "9" * 5000 + "\n",
    "naive time": "store_code,sku_code,price,starts_at,ends_at\nA,SKU-milk,1.00,2026-01-01T00:00:00,2026-01-02T00:00:00\n",
    "time at the end of time": "store_code,sku_code,price,starts_at,ends_at\nA,SKU-milk,1.00,2026-01-01T00:00:00+08:00,9999-12-31T23:59:59-14:00\n",
    "time before the start of time": "store_code,sku_code,price,starts_at,ends_at\nA,SKU-milk,1.00,0001-01-01T00:00:00+14:00,2026-01-01T00:00:00+08:00\n",
    "partner of another kind": "partner_id,sku_code,price\nTmV0d29ya05vZGU6MQ==,SKU-milk,1.00\n",
    "quote never closed": 'store_code,sku_code,price\nA,"SKU-milk,1.00\n',
    "a cell over the csv module's limit": "store_code,sku_code,price\nA," + "x" * 200_000 + ",1.00\n",
    "many columns": "store_code,sku_code,price," + ",".join(f"c{i}" for i in range(20_000)) + "\n",
    "lone CR line endings": "store_code,sku_code,price\rA,SKU-milk,1.00\r",
    "header only": "store_code,sku_code,price\n",
    "empty": "",
    "only a BOM": "\ufeff",
    "sku code too long": "store_code,sku_code,price\nA," + "S" * 300 + ",1.00\n",
}


@pytest.mark.parametrize("name", list(PRICE_FILES))
async def test_odd_price_files_are_typed_refusals_and_write_nothing(client, world, database, name):
    before = [await _count(database, model, world.tenant_id) for model in (StorePrice, PartnerPrice, TimePrice)]
    payload = await _prices_import(client, world, PRICE_FILES[name])
    assert payload["errors"] or payload["rowErrors"], (name, payload)
    assert payload["changed"] == 0
    assert [await _count(database, model, world.tenant_id) for model in (StorePrice, PartnerPrice, TimePrice)] == before


MEMBER_IMPORT = """mutation($csv: String!) { memberImport(input: {csv: $csv}) {
  imported alreadyImported rowErrors { row field message } errors { field code message } } }"""


async def _member_import(client, world, csv_text: str) -> dict:
    body = await world.gql(client, MEMBER_IMPORT, {"csv": csv_text}, token=world.staff_token("hq"))
    assert "errors" not in body, body
    return body["data"]["memberImport"]


@pytest.mark.parametrize("points", ["１２", "1_000", "+5", "-1", "1e3", "9" * 5000])
async def test_member_points_are_plain_ascii_whole_numbers(client, world, points):
    payload = await _member_import(client, world, f"mobile,name,level,points,balance\n13900000001,Ann,,{points},0\n")
    assert payload["imported"] == 0 and [e["field"] for e in payload["rowErrors"]] == ["points"], payload


async def test_a_member_file_saved_by_excel_with_a_bom_and_crlf_imports(client, world):
    payload = await _member_import(client, world, "\ufeffmobile,name,level,points,balance\r\n13900000002,Bo,,10,1.50\r\n")
    assert (payload["imported"], payload["rowErrors"], payload["errors"]) == (1, [], []), payload


async def test_a_code_taken_between_the_check_and_the_insert_is_typed(client, world, database, monkeypatch):
    """Imports and storeCreate share the tree lock (FOR SHARE), so a concurrent one can commit a
    code after this import's check: its UNIQUE violation is STORE_CODE_TAKEN, not a 500. The race
    is made deterministic by a check that sees nothing."""
    from store_network import store_import

    first = await _stores_import(client, world, HEADER + "\n" + GOOD_ROW + "\n")
    assert first["created"] == 1
    before = await _count(database, Store, world.tenant_id)

    async def sees_nothing(session, tenant_id, codes):
        return set()

    monkeypatch.setattr(store_import, "code_taken", sees_nothing)
    again = await _stores_import(client, world, HEADER + "\n" + _store_row(code="Z0002") + "\n" + GOOD_ROW + "\n")
    assert again["created"] == 0 and [e["code"] for e in again["errors"]] == ["STORE_CODE_TAKEN"], again
    assert await _count(database, Store, world.tenant_id) == before
