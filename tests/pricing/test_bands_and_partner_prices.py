"""Price bands around HQ's price and partner prices (issue #12 item 3, deliverables 2 and 3).

World: milk's HQ price 12.50, store A sells it at 11.00; stores A and B under partner West, C under East."""
from __future__ import annotations

import uuid

from sqlalchemy import func, select

from events.models import DomainEventRecord
from network_pricing.models import PriceChange
from tests.pricing.helpers import band, partner_price, shelf, store_node, store_price
from tests.store_sync.helpers import PRICE_SYNC, gql_key, price_of, store_api_key


async def test_a_price_outside_the_band_is_refused_with_the_allowed_range(client, world):
    set_ = await band(client, world, world.hq_node_id, 20, 10)
    assert set_["errors"] == [] and set_["node"]["control"]["priceBand"] == {"belowPercent": 20, "abovePercent": 10}
    # 12.50 -20% = 10.00, +10% = 13.75
    low = await store_price(client, world, "9.99", staff="manager_a")
    assert [(e["code"], e["field"]) for e in low["errors"]] == [("PRICE_OUT_OF_BAND", "price")]
    assert "10.00-13.75" in low["errors"][0]["message"]
    assert (await store_price(client, world, "13.76", staff="manager_a"))["errors"][0]["code"] == "PRICE_OUT_OF_BAND"
    assert (await store_price(client, world, "10.00", staff="manager_a"))["errors"] == []
    assert (await store_price(client, world, "13.75", staff="manager_a"))["errors"] == []
    assert (await shelf(client, world))["Milk"]["price"] == {"amount": "13.75"}


async def test_band_bounds_are_rounded_inward_to_whole_fen(client, world):
    from network_pricing.bands import Band

    assert Band(15, 15).bounds(698) == (594, 802)  # 593.3 up to 594; 802.7 down to 802
    assert Band(0, 0).bounds(1250) == (1250, 1250)
    assert Band(100, 0).bounds(999) == (0, 999)


async def test_a_node_cannot_widen_a_band_set_above_it_and_the_tightest_band_applies(client, world):
    west = world.partner_ids["west"]
    await band(client, world, world.hq_node_id, 20, 10)
    wider = await band(client, world, west, 30, 10, staff="west")
    assert [(e["code"], e["field"]) for e in wider["errors"]] == [("BAND_WIDER_THAN_PARENT", "belowPercent")]
    assert (await band(client, world, west, 5, 5, staff="west"))["errors"] == []
    assert (await store_price(client, world, "11.00", staff="manager_a"))["errors"][0]["code"] == "PRICE_OUT_OF_BAND"  # -12%
    # HQ's grant reaches the partner: HQ may set what it likes, but the tightest band on the chain still applies.
    assert (await band(client, world, west, 50, 50, staff="hq"))["errors"] == []
    assert (await store_price(client, world, "9.00", staff="manager_a"))["errors"][0]["code"] == "PRICE_OUT_OF_BAND"  # HQ's 20%
    # Store C (East) is under HQ's band only.
    assert (await store_price(client, world, "10.50", staff="hq", store="c"))["errors"] == []


async def test_a_store_manager_cannot_set_a_band(client, world):
    refused = await band(client, world, await store_node(world), 50, 50, staff="manager_a")
    assert refused["node"] is None and refused["errors"][0]["code"] == "PERMISSION_DENIED"
    half = await band(client, world, world.hq_node_id, 20, None)
    assert half["errors"][0]["code"] == "REQUIRED"


async def test_pos_price_rows_outside_the_band_are_refused_per_row(client, world, database):
    key = await store_api_key(client, world)
    await band(client, world, world.hq_node_id, 10, 10)
    rows = [{"skuCode": "SKU-milk", "price": "8.00", "version": "1"}, {"skuCode": "SKU-bread", "price": "9.50", "version": "1"}]
    body = (await gql_key(client, world, PRICE_SYNC, {"input": {"storeId": world.store("a"), "idempotencyKey": f"p-{uuid.uuid4()}",
                                                                 "rows": rows}}, key))["data"]["storePriceSync"]
    assert [(r["status"], r["code"]) for r in body["rows"]] == [("REJECTED", "PRICE_OUT_OF_BAND"), ("APPLIED", None)]
    assert await price_of(database, world, "milk") == 1100 and await price_of(database, world, "bread") == 950
    async with database.read() as session:
        audit = (await session.execute(select(PriceChange.sku_id, PriceChange.old_fen, PriceChange.new_fen, PriceChange.channel,
                                              PriceChange.actor_api_key_id.is_not(None)).where(PriceChange.tenant_id == world.tenant_id))).all()
    assert audit == [(world.sku_ids["bread"], None, 950, "POS", True)]


async def test_a_partner_price_reaches_every_store_below_and_a_store_price_still_wins(client, world, database):
    set_ = await partner_price(client, world, "12.00", staff="west")
    assert set_ == {"price": {"amount": "12.00"}, "errors": []}
    a, b, c = [await shelf(client, world, s) for s in "abc"]
    assert b["Milk"]["priceSource"] == "PARTNER" and b["Milk"]["price"] == {"amount": "12.00"}
    assert [s["source"] for s in b["Milk"]["priceBreakdown"]] == ["HQ", "PARTNER"]
    assert [s["source"] for s in a["Milk"]["priceBreakdown"]] == ["HQ", "PARTNER", "STORE"]  # A's own 11.00 wins
    assert c["Milk"]["priceSource"] == "HQ"  # East's store
    cleared = await partner_price(client, world, None, staff="west")
    assert cleared == {"price": None, "errors": []}
    assert (await shelf(client, world, "b"))["Milk"]["priceSource"] == "HQ"
    async with database.read() as session:
        events = (await session.execute(select(func.count()).select_from(DomainEventRecord).where(
            DomainEventRecord.tenant_id == world.tenant_id, DomainEventRecord.type == "price.changed"))).scalar()
    assert events == 2


async def test_partner_prices_follow_prices_control_at_the_partner(client, world):
    refused = await partner_price(client, world, "12.00", staff="manager_a")
    assert refused["errors"][0]["code"] == "PERMISSION_DENIED"  # a store's grant does not reach its partner
    from tests.pricing.helpers import gql

    lock = """mutation($id: ID!) { networkNodeControlSet(input: {nodeId: $id, prices: STRONG}) { errors { code } } }"""
    assert (await gql(client, world, lock, {"id": world.gid("NetworkNode", world.hq_node_id)}))["data"]["networkNodeControlSet"]["errors"] == []
    locked = await partner_price(client, world, "12.00", staff="west")
    assert [(e["code"], e["field"]) for e in locked["errors"]] == [("PRICE_LOCKED_BY_HQ", "price")]
    assert (await partner_price(client, world, "12.00", staff="hq"))["errors"] == []
    not_partner = await world.gql(client, """mutation($n: ID!, $k: ID!) { partnerPriceSet(input: {nodeId: $n, skuId: $k, price: "1.00"}) {
        errors { code } } }""", {"n": world.gid("NetworkNode", world.hq_node_id), "k": world.sku("milk")}, token=world.staff_token("hq"))
    assert not_partner["data"]["partnerPriceSet"]["errors"] == [{"code": "NOT_A_PARTNER"}]


async def test_a_partner_price_outside_the_band_is_refused(client, world):
    await band(client, world, world.hq_node_id, 20, 10)
    refused = await partner_price(client, world, "14.00", staff="west")
    assert refused["errors"][0]["code"] == "PRICE_OUT_OF_BAND" and "10.00-13.75" in refused["errors"][0]["message"]
