"""Time prices (issue #12 item 3, deliverable 4): daily windows in the store's timezone
(Asia/Shanghai here), across midnight, date ranges, ending, and checkout at the moment it runs."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from core.clock import utc_now
from tests.api import gql_documents as docs
from tests.pricing.helpers import TIME_END, TIME_PRICE, band, gql, price_at, shelf

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(h: int, m: int, s: int = 0, day: int = 7) -> datetime:
    return datetime(2026, 12, day, h, m, s, tzinfo=SHANGHAI)


async def create(client, world, staff="hq", **fields):
    body = await gql(client, world, TIME_PRICE, {"input": {"skuId": world.sku(fields.pop("sku", "bread")), **fields}}, staff)
    return body["data"]["timePriceCreate"]


async def test_percent_off_in_an_evening_window_holds_exactly_from_start_to_end(client, world):
    made = await create(client, world, storeId=world.store("a"), percentOff=20, dailyStart="20:00", dailyEnd="22:00", reason="fresh produce")
    assert made["errors"] == [] and made["timePrice"]["dailyStart"] == "20:00"
    for at, expected, source in (
        (local(19, 59, 59), 900, "HQ"),
        (local(20, 0, 0), 720, "TIME"),
        (local(21, 59, 59), 720, "TIME"),
        (local(22, 0, 0), 900, "HQ"),
    ):
        price = await price_at(world, at, "bread")
        assert (price.fen, price.source.value) == (expected, source), at
    # The window is the store's local time, not UTC: 20:00 in Shanghai is 12:00 UTC.
    assert (await price_at(world, datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc), "bread")).fen == 720
    assert (await price_at(world, local(20, 30), "bread", store="b")).fen == 900  # only store A


async def test_a_window_across_midnight(client, world):
    await create(client, world, storeId=world.store("a"), price="5.00", dailyStart="22:00", dailyEnd="02:00", reason="late night")
    assert (await price_at(world, local(21, 59), "bread")).fen == 900
    assert (await price_at(world, local(23, 30), "bread")).fen == 500
    assert (await price_at(world, local(0, 0), "bread")).fen == 500
    assert (await price_at(world, local(1, 59, 59), "bread")).fen == 500
    assert (await price_at(world, local(2, 0), "bread")).fen == 900


async def test_a_one_day_price_for_a_partner_subtree_stacks_on_the_store_price(client, world):
    starts, ends = local(0, 0, day=24), local(0, 0, day=25)
    made = await create(client, world, nodeId=world.gid("NetworkNode", world.partner_ids["west"]), sku="milk", percentOff=10,
                        startsAt=starts.isoformat(), endsAt=ends.isoformat(), staff="west")
    assert made["errors"] == []
    inside = await price_at(world, local(9, 0, day=24), "milk")
    assert inside.fen == 990 and [c.source.value for c in inside.breakdown] == ["HQ", "STORE", "TIME"]  # 11.00 -10%
    assert (await price_at(world, local(23, 59, 59, day=23), "milk")).fen == 1100
    assert (await price_at(world, ends, "milk")).fen == 1100
    assert (await price_at(world, local(9, 0, day=24), "milk", store="b")).fen == 1125  # 12.50 -10%
    assert (await price_at(world, local(9, 0, day=24), "milk", store="c")).fen == 1250  # East


async def test_the_nearest_node_wins_and_ending_is_idempotent(client, world):
    partner = await create(client, world, nodeId=world.gid("NetworkNode", world.partner_ids["west"]), percentOff=50,
                           dailyStart="00:00", dailyEnd="23:59")
    store = await create(client, world, storeId=world.store("a"), percentOff=10, dailyStart="00:00", dailyEnd="23:59")
    assert (await price_at(world, local(12, 0), "bread")).fen == 810
    first = await gql(client, world, TIME_END, {"id": store["timePrice"]["id"]})
    again = await gql(client, world, TIME_END, {"id": store["timePrice"]["id"]})
    ended = first["data"]["timePriceEnd"]["timePrice"]["endedAt"]
    assert ended and again["data"]["timePriceEnd"] == {"timePrice": {"id": store["timePrice"]["id"], "endedAt": ended}, "errors": []}
    assert partner["errors"] == []
    later = max(utc_now(), local(12, 0)) + timedelta(days=1)
    later = later.astimezone(SHANGHAI).replace(hour=12, minute=0)
    assert (await price_at(world, later, "bread")).fen == 450  # the store's is over: the partner's applies


@pytest.mark.parametrize("fields, code, field", [
    ({"percentOff": 20}, "REQUIRED", "endsAt"),
    ({"percentOff": 20, "price": "1.00", "dailyStart": "20:00", "dailyEnd": "22:00"}, "INVALID", "percentOff"),
    ({"percentOff": 100, "dailyStart": "20:00", "dailyEnd": "22:00"}, "INVALID", "percentOff"),
    ({"percentOff": 20, "dailyStart": "24:00", "dailyEnd": "22:00"}, "INVALID_TIME", "dailyStart"),
    ({"percentOff": 20, "dailyStart": "20:00", "dailyEnd": "20:00"}, "INVALID_TIME", "dailyEnd"),
    ({"percentOff": 20, "dailyStart": "20:00"}, "REQUIRED", "dailyEnd"),
    ({"price": "1.00", "startsAt": "2026-12-24T00:00:00+08:00", "endsAt": "2026-12-23T00:00:00+08:00"}, "INVALID_TIME", "endsAt"),
    ({"price": "1.00", "endsAt": "2026-12-23T00:00:00"}, "INVALID_TIME", "endsAt"),
])
async def test_bad_time_prices_are_typed_errors(client, world, fields, code, field):
    made = await create(client, world, storeId=world.store("a"), **fields)
    assert made["timePrice"] is None and [(e["code"], e["field"]) for e in made["errors"]] == [(code, field)]


async def test_time_prices_follow_prices_control_and_the_band(client, world):
    await band(client, world, world.hq_node_id, 10, 10)
    out = await create(client, world, storeId=world.store("a"), percentOff=20, dailyStart="20:00", dailyEnd="22:00", staff="manager_a")
    assert [(e["code"], e["field"]) for e in out["errors"]] == [("PRICE_OUT_OF_BAND", "percentOff")]
    # The band's own percentage is allowed whatever the fen rounding (6.98 -10% is 6.28, the band's low end 6.29).
    edge = await create(client, world, storeId=world.store("a"), sku="apple", percentOff=10, dailyStart="20:00", dailyEnd="22:00",
                        staff="manager_a")
    assert edge["errors"] == []
    lock = """mutation($id: ID!) { networkNodeControlSet(input: {nodeId: $id, prices: STRONG}) { errors { code } } }"""
    await gql(client, world, lock, {"id": world.gid("NetworkNode", world.hq_node_id)})
    locked = await create(client, world, storeId=world.store("a"), percentOff=5, dailyStart="20:00", dailyEnd="22:00", staff="manager_a")
    assert locked["errors"][0]["code"] == "PRICE_LOCKED_BY_HQ"


async def test_checkout_charges_the_time_price_active_at_the_moment_of_checkout(client, world):
    now = utc_now()
    await create(client, world, storeId=world.store("a"), price="6.00", startsAt=(now - timedelta(hours=1)).isoformat(),
                 endsAt=(now + timedelta(hours=1)).isoformat())
    await create(client, world, storeId=world.store("a"), sku="milk", price="6.00", startsAt=(now + timedelta(hours=1)).isoformat(),
                 endsAt=(now + timedelta(hours=2)).isoformat())  # not yet
    assert (await shelf(client, world))["Bread"]["priceSource"] == "TIME"
    token = world.customer_token("alice")
    added = await world.gql(client, docs.ADD_LINES, {"store": world.store("a"), "lines": [
        {"skuId": world.sku("bread"), "quantity": 2}, {"skuId": world.sku("milk"), "quantity": 1}]}, token=token)
    assert added["data"]["cartLinesAdd"]["errors"] == []
    placed = await world.gql(client, docs.CHECKOUT, {"store": world.store("a"), "type": "STORE_PICKUP", "address": None,
                                                     "key": f"checkout-{uuid.uuid4()}", "slot": None}, token=token)
    order = placed["data"]["checkoutComplete"]
    assert order["errors"] == [], order
    lines = {line["productName"]: line["unitPrice"]["amount"] for line in order["order"]["lines"]}
    assert lines == {"Bread": "6.00", "Milk": "11.00"}


async def test_a_retried_create_with_the_same_key_answers_the_first_time_price(client, world):
    fields = {"storeId": world.store("a"), "percentOff": 15, "dailyStart": "07:00", "dailyEnd": "09:00", "idempotencyKey": f"tp-{uuid.uuid4()}"}
    doc = TIME_PRICE.replace("timePrice {", "replayed timePrice {")
    first = (await gql(client, world, doc, {"input": {"skuId": world.sku("bread"), **fields}}))["data"]["timePriceCreate"]
    again = (await gql(client, world, doc, {"input": {"skuId": world.sku("bread"), **fields}}))["data"]["timePriceCreate"]
    assert first["errors"] == [] and first["replayed"] is False
    assert again["replayed"] is True and again["timePrice"]["id"] == first["timePrice"]["id"]
    other = (await gql(client, world, doc, {"input": {"skuId": world.sku("bread"), **fields, "percentOff": 16}}))["data"]["timePriceCreate"]
    assert [e["code"] for e in other["errors"]] == ["IDEMPOTENCY_KEY_REUSED"]
    naive = (await gql(client, world, doc, {"input": {"skuId": world.sku("bread"), **fields, "idempotencyKey": f"tp-{uuid.uuid4()}",
                                                      "endsAt": "2026-12-23T00:00:00"}}))["data"]["timePriceCreate"]
    assert [e["code"] for e in naive["errors"]] == ["INVALID_TIME"]
