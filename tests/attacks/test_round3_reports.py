"""Round three, reports as an outsider reads them: names that a spreadsheet would run, cursors
forged to reach rows outside the caller's scope, and ranges at the edges of the calendar."""
from __future__ import annotations

import base64
import csv
import io
import json

import pytest
from sqlalchemy import update

from store_network.models import Store
from tests.reports.test_report_api import CSV, WINDOW, _world, report


@pytest.mark.parametrize("name", ["=HYPERLINK(\"http://evil\",\"x\")", "+1+1", "-1+1", "@SUM(A1)", "\t=1+1", "\r=1+1"])
async def test_store_names_never_reach_a_spreadsheet_as_formulas(client, database, world, name):
    await _world(database, world)
    async with database.write() as session:
        await session.execute(update(Store).where(Store.id == world.store_ids["a"]).values(name=name))
    body = await world.gql(client, CSV, {"input": {**WINDOW, "groupBy": "STORE"}, "first": 10}, token=world.staff_token("hq"))
    rows = list(csv.DictReader(io.StringIO(body["data"]["salesReportCsv"]["csv"])))
    cell = next(r["store_name"] for r in rows if r["store_code"] == "A")
    assert cell == "'" + name


def _cursor(values) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode()


@pytest.mark.parametrize("after", [
    _cursor([{"$gt": 0}]), _cursor([1.5]), _cursor([True]), _cursor([2**70]), _cursor(["2026-03-01", 1, 2]),
    _cursor(None), "!!!not base64", _cursor([[1]]), base64.urlsafe_b64encode(b"\xff\xfe").decode(), _cursor(["x" * 10_000]),
])
async def test_forged_cursors_are_invalid_not_500s(client, database, world, after):
    await _world(database, world)
    result = await report(client, world, "hq", first=1, after=after, groupBy="STORE")
    assert [(e["field"], e["code"]) for e in result["errors"]] == [("after", "INVALID")]


async def test_a_forged_cursor_never_widens_the_scope(client, database, world):
    """A cursor is only a position: a store manager's cursor set before every store id still
    pages only through its own store."""
    await _world(database, world)
    seen = set()
    after = _cursor([0])
    while True:
        result = await report(client, world, "manager_a", first=1, after=after, groupBy="STORE")
        assert result["errors"] == []
        seen |= {e["node"]["storeId"] for e in result["rows"]["edges"]}
        if not result["rows"]["pageInfo"]["hasNextPage"]:
            break
        after = result["rows"]["pageInfo"]["endCursor"]
    assert seen == {world.store("a")}


@pytest.mark.parametrize("window", [
    {"from": "0001-01-01", "to": "0001-12-31"}, {"from": "9999-01-01", "to": "9999-12-31"},
    {"from": "2026-03-02", "to": "2026-03-01"}, {"from": "2020-01-01", "to": "2026-01-01"},
])
async def test_ranges_at_the_edges_are_typed(client, database, world, window):
    result = await report(client, world, "hq", **window)
    assert result["errors"] == [] or result["errors"][0]["code"] in ("INVALID", "RANGE_TOO_LONG")


@pytest.mark.parametrize("name", ["x\r=1+1", "x\n=1+1", "x\x0by", "x\u2028=1", "evil\u202egpj.exe", "x\x85y"])
async def test_store_and_partner_names_are_one_line_of_text(client, world, name):
    """The names that feed the CSV export, the console's map labels and every receipt."""
    from tests.store_network.helpers import PARTNER_CREATE, STORE_UPDATE, call, store_input, STORE_CREATE

    hq = world.gid("NetworkNode", world.hq_node_id)
    created = await call(client, world, STORE_CREATE, {"input": store_input(hq, "CTL1", name=name)})
    assert [(e["field"], e["code"]) for e in created["errors"]] == [("name", "INVALID")]
    updated = await call(client, world, STORE_UPDATE, {"input": {"id": world.store("a"), "name": name}})
    assert [(e["field"], e["code"]) for e in updated["errors"]] == [("name", "INVALID")]
    partner = await call(client, world, PARTNER_CREATE, {"p": hq, "n": name})
    assert [(e["field"], e["code"]) for e in partner["errors"]] == [("name", "INVALID")]
