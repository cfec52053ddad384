"""pricesImport and `qiandian prices-import` (deliverable 5) and the price audit (deliverable 6)."""
from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from commerce.models import Sku, StorePrice
from network_pricing.models import PartnerPrice, PriceChange, TimePrice
from tests.pricing.helpers import CHANGES, IMPORT, band, gql, store_node, store_price


async def _import(client, world, csv_text, staff="hq", reason="weekly prices"):
    return (await gql(client, world, IMPORT, {"csv": csv_text, "reason": reason}, staff))["data"]["pricesImport"]


async def _counts(world):
    async with world.services.database.read() as session:
        return tuple([
            (await session.execute(select(func.count()).select_from(model).where(model.tenant_id == world.tenant_id))).scalar()
            for model in (StorePrice, PartnerPrice, TimePrice, PriceChange)
        ])


async def test_three_rows_store_partner_and_a_one_day_price(client, world):
    west = world.gid("NetworkNode", world.partner_ids["west"])
    csv_text = (
        "store_code,partner_id,sku_code,price,starts_at,ends_at\n"
        "B,,SKU-milk,12.30,,\n"
        f",{west},SKU-bread,8.80,,\n"
        "A,,SKU-bread,7.00,2026-12-24T00:00:00+08:00,2026-12-25T00:00:00+08:00\n"
    )
    body = await _import(client, world, csv_text)
    assert body == {"rows": 3, "storePrices": 1, "partnerPrices": 1, "timePrices": 1, "changed": 3, "rowErrors": [], "errors": []}
    changes = (await gql(client, world, CHANGES, {"n": world.gid("NetworkNode", world.hq_node_id), "first": 10}))["data"]["priceChanges"]
    rows = [(e["node"]["source"], e["node"]["channel"], e["node"]["newPrice"]["amount"], e["node"]["reason"]) for e in changes["edges"]]
    assert sorted(rows) == [("PARTNER", "CSV", "8.80", "weekly prices"), ("STORE", "CSV", "12.30", "weekly prices"),
                            ("TIME", "CSV", "7.00", "weekly prices")]
    # Importing the same file again changes no price: no audit row for an unchanged store or partner price.
    again = await _import(client, world, csv_text.replace("A,,SKU-bread,7.00,2026-12-24T00:00:00+08:00,2026-12-25T00:00:00+08:00\n", ""))
    assert again["changed"] == 0 and again["errors"] == []


async def test_one_bad_row_among_a_thousand_leaves_no_change_and_no_audit(client, world, database):
    async with database.write() as session:
        for i in range(333):
            session.add(Sku(tenant_id=world.tenant_id, product_id=world.product_ids["milk"], code=f"BULK-{i:04d}", name=f"bulk {i}",
                            base_price_fen=1000, price_per_quantity=1, quantity_step=1, min_quantity=1))
    lines = [f"{store},BULK-{i:04d},{10 + (i % 5) * 0.01:.2f}" for i in range(333) for store in "ABC"] + ["A,SKU-milk,12.00"]
    lines[500] = lines[500].rsplit(",", 1)[0] + ",12.345"  # three decimals
    before = await _counts(world)
    body = await _import(client, world, "store_code,sku_code,price\n" + "\n".join(lines) + "\n")
    assert body["rows"] == 1000
    assert [(e["row"], e["field"], e["code"]) for e in body["rowErrors"]] == [(502, "price", "AMOUNT_OUT_OF_RANGE")]
    assert body["errors"][0]["code"] == "INVALID" and body["storePrices"] == 0
    assert await _counts(world) == before
    lines[500] = lines[500].rsplit(",", 1)[0] + ",12.34"
    ok = await _import(client, world, "store_code,sku_code,price\n" + "\n".join(lines) + "\n")
    assert ok["errors"] == [] and ok["storePrices"] == 1000
    assert await _counts(world) == (before[0] + 999, 0, 0, before[3] + 1000)  # A's milk existed: updated, still audited


async def test_every_bad_row_is_reported_with_its_line(client, world):
    await band(client, world, world.hq_node_id, 20, 20)
    lock = """mutation($id: ID!) { networkNodeControlSet(input: {nodeId: $id, prices: STRONG}) { errors { code } } }"""
    await gql(client, world, lock, {"id": world.gid("NetworkNode", world.partner_ids["east"])})
    csv_text = "\n".join([
        "store_code,sku_code,price",
        "A,SKU-milk,12.00",  # fine
        "Z,SKU-milk,12.00",  # unknown store
        "A,SKU-nope,12.00",  # unknown SKU
        "A,SKU-bread,abc",  # bad price
        "A,SKU-bread,1.00",  # out of band (9.00: 7.20-10.80)
        "A,SKU-milk,12.10",  # duplicate of line 2
        "C,SKU-milk,12.00",  # East is locked for the partner admin
        "A,SKU-apple,0",  # zero
    ])
    body = await _import(client, world, csv_text, staff="west")
    got = [(e["row"], e["field"], e["code"]) for e in body["rowErrors"]]
    assert got == [
        (3, "store_code", "UNKNOWN_STORE"), (4, "sku_code", "UNKNOWN_SKU"), (5, "price", "AMOUNT_OUT_OF_RANGE"),
        (6, "price", "PRICE_OUT_OF_BAND"), (7, "sku_code", "DUPLICATE_ROW"), (8, "store_code", "PERMISSION_DENIED"),
        (9, "price", "AMOUNT_OUT_OF_RANGE"),
    ]
    assert "7.20-10.80" in body["rowErrors"][3]["message"]
    assert (await _import(client, world, "store_code,sku_code,price\nC,SKU-milk,12.00\n", staff="hq"))["errors"] == []
    locked = await _import(client, world, "store_code,sku_code,price\nA,SKU-milk,12.00\n", staff="manager_a")
    assert locked["errors"] == []  # A is WEAK


async def test_bad_files_and_caps(client, world, monkeypatch):
    from network_pricing import importer

    assert (await _import(client, world, "shop,sku_code,price\nA,SKU-milk,1.00\n"))["errors"][0]["code"] == "INVALID"
    assert (await _import(client, world, "store_code,sku_code,price\n"))["errors"][0]["code"] == "REQUIRED"
    assert (await _import(client, world, "store_code,sku_code,price\nA,SKU-milk,12.00\n", reason=" "))["errors"][0]["code"] == "REQUIRED"
    huge_cell = "store_code,sku_code,price\nA,SKU-" + "x" * 200_000 + ",1.00\n"
    unreadable = await _import(client, world, huge_cell)
    assert unreadable["rowErrors"] == [] and unreadable["errors"][0]["message"].startswith("not readable as CSV")
    monkeypatch.setattr(importer, "MAX_ROWS", 2)
    too_many = await _import(client, world, "store_code,sku_code,price\nA,SKU-milk,12.00\nB,SKU-milk,12.00\nC,SKU-milk,12.00\n")
    assert too_many["errors"][0]["code"] == "TOO_MANY_ROWS"
    monkeypatch.setattr(importer, "MAX_BYTES", 10)
    assert (await _import(client, world, "store_code,sku_code,price\nA,SKU-milk,12.00\n"))["errors"][0]["code"] == "TOO_LARGE"
    anonymous = (await world.gql(client, IMPORT, {"csv": "store_code,sku_code,price\n", "reason": "x"}))["data"]["pricesImport"]
    assert anonymous["errors"][0]["code"] == "UNAUTHENTICATED"


async def test_concurrent_imports_never_interleave(client, world, database):
    """Two imports of the same 300 prices at once: afterwards every price is from one of them, and
    the audit shows each import's changes against what the other really left."""
    async with database.write() as session:
        for i in range(100):
            session.add(Sku(tenant_id=world.tenant_id, product_id=world.product_ids["milk"], code=f"RACE-{i:03d}", name=f"race {i}",
                            base_price_fen=1000, price_per_quantity=1, quantity_step=1, min_quantity=1))

    def file(price):
        return "store_code,sku_code,price\n" + "".join(f"{s},RACE-{i:03d},{price}\n" for i in range(100) for s in "ABC")

    first, second = await asyncio.gather(_import(client, world, file("11.11")), _import(client, world, file("22.22")))
    assert first["errors"] == [] and second["errors"] == []
    async with database.read() as session:
        prices = set((await session.scalars(select(StorePrice.price_fen).join(Sku, Sku.id == StorePrice.sku_id).where(
            Sku.code.like("RACE-%"), StorePrice.tenant_id == world.tenant_id))).all())
        audits = (await session.execute(select(PriceChange.old_fen, PriceChange.new_fen).join(Sku, Sku.id == PriceChange.sku_id).where(
            Sku.code.like("RACE-%"), PriceChange.tenant_id == world.tenant_id).order_by(PriceChange.id))).all()
    assert len(prices) == 1
    assert len(audits) == 600
    first_half, second_half = audits[:300], audits[300:]
    assert {a.old_fen for a in first_half} == {None} and len({a.new_fen for a in first_half}) == 1
    assert {(a.old_fen, a.new_fen) for a in second_half} == {(first_half[0].new_fen, prices.pop())}


async def test_price_changes_are_audited_and_visible_within_the_subtree_only(client, world):
    await store_price(client, world, "11.50", staff="manager_a")
    await store_price(client, world, "9.20", staff="hq", store="c", sku="bread")
    mine = (await gql(client, world, CHANGES, {"s": world.store("a")}, "manager_a"))["data"]["priceChanges"]
    assert [(e["node"]["oldPrice"]["amount"], e["node"]["newPrice"]["amount"], e["node"]["source"], e["node"]["channel"],
             e["node"]["reason"], e["node"]["actorStaffId"] == world.gid("Staff", world.staff_ids["manager_a"]))
            for e in mine["edges"]] == [("11.00", "11.50", "STORE", "API", "local market", True)]
    west = (await gql(client, world, CHANGES, {"n": world.gid("NetworkNode", world.partner_ids["west"])}, "west"))["data"]["priceChanges"]
    assert len(west["edges"]) == 1  # C's change is East's
    denied = await gql(client, world, CHANGES, {"s": world.store("c")}, "manager_a")
    assert denied["data"] is None or denied["data"]["priceChanges"] is None
    everything = (await gql(client, world, CHANGES, {"n": world.gid("NetworkNode", world.hq_node_id), "first": 1}))["data"]["priceChanges"]
    assert everything["pageInfo"]["hasNextPage"] is True
    rest = (await gql(client, world, CHANGES, {"n": world.gid("NetworkNode", world.hq_node_id), "after": everything["pageInfo"]["endCursor"]}))
    assert len(rest["data"]["priceChanges"]["edges"]) == 1
    only_bread = (await gql(client, world, CHANGES, {"n": world.gid("NetworkNode", world.hq_node_id), "k": world.sku("bread")}))
    assert [e["node"]["skuId"] for e in only_bread["data"]["priceChanges"]["edges"]] == [world.sku("bread")]
    assert await store_node(world)  # the store's node exists (used by the audit rows)


async def test_the_cli_imports_as_a_staff_member_all_or_nothing(world, database_url, tmp_path):
    from network_pricing.cli import run

    good = tmp_path / "prices.csv"
    good.write_text("\ufeffstore_code,sku_code,price\nB,SKU-bread,8.50\nC,SKU-bread,8.60\n", encoding="utf-8")
    status, lines = await run(database_url, world.slug, "west", good, "cli test")
    assert status == 1 and "line 3: PERMISSION_DENIED" in lines[0]  # C is East's: the partner admin may not
    assert await _counts(world) == (1, 0, 0, 0)  # store A's milk from the world; nothing imported
    status, lines = await run(database_url, world.slug, "hq", good, "cli test")
    assert status == 0 and lines == ["imported 2 rows: 2 store, 0 partner, 0 time prices; 2 changed"]
    assert (await run(database_url, world.slug, "nobody", good, "x"))[0] == 2
