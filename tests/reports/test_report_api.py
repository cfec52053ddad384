"""salesReport / salesReportCsv through GraphQL: each level sees exactly its scope, siblings and
outsiders are refused with typed errors, the numbers of the hand-built scenario, paging,
ordering, caps, and the CSV text."""
from __future__ import annotations

import csv
import io

from tests.reports.scenario import move, new_order, utc
from tests.reports.test_rollup import build_scenario

REPORT = """
query R($input: SalesReportInput!, $first: Int!, $after: String) {
  salesReport(input: $input, first: $first, after: $after) {
    errors { field code message }
    totals { orders gmv { amount } refunds refundAmount { amount } cancelled }
    rows {
      pageInfo { hasNextPage endCursor }
      edges { cursor node { day storeId storeCode storeName figures {
        orders gmv { amount currency } averageOrderValue { amount } refunds refundAmount { amount } netSales { amount }
        cancelled pickupOrders pickupShare sameCityDelivered sameCityOnTime onTimeRate } } }
    }
  }
}"""
CSV = """
query C($input: SalesReportInput!, $first: Int!, $after: String) {
  salesReportCsv(input: $input, first: $first, after: $after) { errors { field code } csv rowCount hasNextPage endCursor }
}"""
WINDOW = {"from": "2026-03-01", "to": "2026-03-02"}


async def _world(database, world):
    await build_scenario(database, world)
    # c (the other partner, East): one pickup order paid on day 1.
    order = await new_order(database, world, "c", 4000, "STORE_PICKUP", created=utc(2026, 3, 1, 5, 0))
    await move(database, order, ("PAID", utc(2026, 3, 1, 5, 1)))


async def report(client, world, who, first=20, after=None, **input):
    token = world.staff_token(who) if who in world.staff_ids else who
    body = await world.gql(client, REPORT, {"input": {**WINDOW, **input}, "first": first, "after": after}, token=token)
    assert "errors" not in body, body
    return body["data"]["salesReport"]


def stores_seen(result, world) -> set[str]:
    names = {world.store(k): k for k in world.store_ids}
    return {names[e["node"]["storeId"]] for e in result["rows"]["edges"]}


async def test_each_level_sees_exactly_its_scope(client, database, world):
    await _world(database, world)
    assert stores_seen(await report(client, world, "hq", groupBy="STORE"), world) == {"a", "b", "c"}
    assert stores_seen(await report(client, world, "west", groupBy="STORE"), world) == {"a", "b"}
    assert stores_seen(await report(client, world, "manager_a", groupBy="STORE"), world) == {"a"}
    assert stores_seen(await report(client, world, "clerk_a", groupBy="STORE"), world) == {"a"}
    # totals follow the scope too
    assert (await report(client, world, "hq"))["totals"]["orders"] == 5
    assert (await report(client, world, "west"))["totals"]["orders"] == 4
    assert (await report(client, world, "manager_a"))["totals"]["orders"] == 3
    # HQ narrowed to a partner node, or to named stores
    assert stores_seen(await report(client, world, "hq", groupBy="STORE", nodeId=world.gid("NetworkNode", world.partner_ids["east"])), world) == {"c"}
    assert stores_seen(await report(client, world, "hq", groupBy="STORE", storeIds=[world.store("b")]), world) == {"b"}


async def test_siblings_and_outsiders_are_refused(client, database, world):
    from tests.worlds import build_world

    await _world(database, world)
    sibling = await report(client, world, "manager_a", storeIds=[world.store("b")])
    assert sibling["errors"] == [{"field": "storeIds.0", "code": "PERMISSION_DENIED", "message": sibling["errors"][0]["message"]}]
    assert sibling["rows"] is None and sibling["totals"] is None
    other_partner = await report(client, world, "west", nodeId=world.gid("NetworkNode", world.partner_ids["east"]))
    assert [e["code"] for e in other_partner["errors"]] == ["PERMISSION_DENIED"]
    other = await build_world(database, world.services)
    foreign = await report(client, world, "hq", storeIds=[other.store("a")])
    assert [(e["field"], e["code"]) for e in foreign["errors"]] == [("storeIds.0", "NOT_FOUND")]
    customer = await report(client, world, world.customer_token())
    assert [e["code"] for e in customer["errors"]] == ["PERMISSION_DENIED"]
    anonymous = (await world.gql(client, REPORT, {"input": WINDOW, "first": 5}))["data"]["salesReport"]
    assert [e["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]


async def test_the_scenario_figures(client, database, world):
    await _world(database, world)
    rows = (await report(client, world, "west", groupBy="STORE_DAY", sortBy="STORE"))["rows"]["edges"]
    got = {(r["node"]["storeCode"], r["node"]["day"]): r["node"]["figures"] for r in rows}
    assert list(got) == [("A", "2026-03-01"), ("A", "2026-03-02"), ("B", "2026-03-01"), ("B", "2026-03-02")]
    a1, a2, b1, b2 = got.values()
    # a, day 1: the 23:50 delivery order and the pickup; the 00:10 order belongs to day 2
    assert (a1["orders"], a1["gmv"], a1["averageOrderValue"], a1["pickupOrders"], a1["pickupShare"]) == (
        2, {"amount": "130.00", "currency": "CNY"}, {"amount": "65.00"}, 1, 0.5)
    assert (a1["sameCityDelivered"], a1["onTimeRate"]) == (0, None)
    # a, day 2: both deliveries happened after midnight, one on time, one late
    assert (a2["orders"], a2["gmv"]["amount"], a2["sameCityDelivered"], a2["sameCityOnTime"], a2["onTimeRate"]) == (1, "50.00", 2, 1, 0.5)
    assert (b1["orders"], b1["cancelled"], b1["refunds"]) == (1, 1, 0)
    # b, day 2: the 15.00 partial refund and the 45.00 left refunded whole, on the day the money went back
    assert (b2["orders"], b2["refunds"], b2["refundAmount"]["amount"], b2["netSales"]["amount"], b2["averageOrderValue"]) == (
        0, 2, "60.00", "-60.00", None)
    by_day = (await report(client, world, "west"))["rows"]["edges"]
    assert [(r["node"]["day"], r["node"]["storeId"], r["node"]["figures"]["orders"]) for r in by_day] == [
        ("2026-03-01", None, 3), ("2026-03-02", None, 1)]


async def test_pages_and_ordering(client, database, world):
    await _world(database, world)
    seen, after = [], None
    while True:
        page = await report(client, world, "hq", first=2, after=after, groupBy="STORE_DAY", sortBy="GMV", descending=True)
        seen += [(e["node"]["storeCode"], e["node"]["day"], float(e["node"]["figures"]["gmv"]["amount"])) for e in page["rows"]["edges"]]
        if not page["rows"]["pageInfo"]["hasNextPage"]:
            break
        after = page["rows"]["pageInfo"]["endCursor"]
    assert len(seen) == len(set(seen)) == 5
    assert [g for _, _, g in seen] == sorted((g for _, _, g in seen), reverse=True)
    # GMV 130, 60, 50, 40, 0: the zero-GMV row (refunds only) comes last
    assert seen[-1] == ("B", "2026-03-02", 0.0)
    days = await report(client, world, "hq", descending=True)
    assert [e["node"]["day"] for e in days["rows"]["edges"]] == ["2026-03-02", "2026-03-01"]


async def test_caps_and_typed_errors(client, database, world):
    await _world(database, world)

    async def codes(first=20, after=None, **input):
        result = await report(client, world, "hq", first=first, after=after, **input)
        return [(e["field"], e["code"]) for e in result["errors"]]

    assert await codes(**{"from": "2025-01-01", "to": "2026-01-02"}) == [("to", "RANGE_TOO_LONG")]
    assert await codes(**{"from": "2025-01-01", "to": "2026-01-01"}) == []  # 366 days is the limit
    assert await codes(**{"from": "2026-03-02", "to": "2026-03-01"}) == [("to", "INVALID")]
    assert await codes(first=101) == [("first", "INVALID")]
    assert await codes(after="not-a-cursor") == [("after", "INVALID")]
    assert await codes(groupBy="DAY", sortBy="STORE") == [("sortBy", "INVALID")]
    assert await codes(storeIds=["bogus"]) == [("storeIds.0", "INVALID")]
    assert await codes(nodeId=world.store("a")) == [("nodeId", "NOT_FOUND")]  # a Store id is not a node id
    too_many = await world.gql(client, REPORT, {"input": {**WINDOW, "storeIds": [world.store("a")] * 101}, "first": 5},
                               token=world.staff_token("hq"))
    assert too_many["errors"][0]["extensions"]["code"] == "LIST_TOO_LONG" and too_many.get("data") is None


async def test_csv_export(client, database, world):
    await _world(database, world)
    body = await world.gql(client, CSV, {"input": {**WINDOW, "groupBy": "STORE_DAY", "sortBy": "STORE"}, "first": 3},
                           token=world.staff_token("west"))
    first = body["data"]["salesReportCsv"]
    assert first["errors"] == [] and first["rowCount"] == 3 and first["hasNextPage"] is True
    rows = list(csv.DictReader(io.StringIO(first["csv"])))
    assert [(r["store_code"], r["day"]) for r in rows] == [("A", "2026-03-01"), ("A", "2026-03-02"), ("B", "2026-03-01")]
    assert rows[0] == {**rows[0], "orders": "2", "gmv": "130.00", "average_order_value": "65.00", "pickup_share": "0.5000",
                       "store_id": world.store("a"), "store_name": "Store A", "on_time_rate": ""}
    assert (rows[1]["same_city_delivered"], rows[1]["same_city_on_time"], rows[1]["on_time_rate"]) == ("2", "1", "0.5000")
    body = await world.gql(client, CSV, {"input": {**WINDOW, "groupBy": "STORE_DAY", "sortBy": "STORE"}, "first": 3,
                                         "after": first["endCursor"]}, token=world.staff_token("west"))
    rest = body["data"]["salesReportCsv"]
    lines = rest["csv"].splitlines()
    assert rest["hasNextPage"] is False and len(lines) == 1 and not lines[0].startswith("day,")  # no second header
    last = next(csv.reader(io.StringIO(rest["csv"])))
    assert (last[0], last[2], last[7], last[8], last[9]) == ("2026-03-02", "B", "2", "60.00", "-60.00")
    refused = await world.gql(client, CSV, {"input": {**WINDOW, "storeIds": [world.store("c")]}, "first": 3},
                              token=world.staff_token("manager_a"))
    assert refused["data"]["salesReportCsv"]["errors"] == [{"field": "storeIds.0", "code": "PERMISSION_DENIED"}]
    assert refused["data"]["salesReportCsv"]["csv"] is None
    big = await world.gql(client, CSV, {"input": WINDOW, "first": 5001}, token=world.staff_token("hq"))
    assert big["data"]["salesReportCsv"]["errors"] == [{"field": "first", "code": "INVALID"}]
