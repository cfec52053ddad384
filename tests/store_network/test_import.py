"""storesImport and `qiandian stores-import`: every row checked first, per-row errors, all or nothing."""
from __future__ import annotations

from sqlalchemy import select

from qiandian_cli import main
from store_network.models import NetworkNode, Store
from tests.store_network.helpers import HEADER, IMPORT, call, codes, csv_rows, paths, store_count


def _west(world) -> str:
    return world.gid("NetworkNode", world.partner_ids["west"])


async def test_a_hundred_stores_under_a_partner(client, world):
    done = await call(client, world, IMPORT, {"p": _west(world), "csv": csv_rows(100)}, staff="west")
    assert done["errors"] == [] and done["rowErrors"] == [] and done["created"] == 100
    assert done["stores"][0] == {"code": "N0001", "status": "OPEN"} and len(done["stores"]) == 100
    assert await store_count(world) == 103
    async with world.services.database.read() as session:
        rows = (await session.execute(
            select(Store.code, Store.business_hours, Store.lon, NetworkNode.path, NetworkNode.kind, NetworkNode.parent_id)
            .join(NetworkNode, NetworkNode.id == Store.node_id).where(Store.tenant_id == world.tenant_id, Store.code.like("N%"))
        )).all()
    west_path = (await paths(world))[world.partner_ids["west"]]
    assert all(r.kind == "STORE" and r.parent_id == world.partner_ids["west"] and r.path.startswith(west_path) for r in rows)
    assert all(r.path.count("/") == west_path.count("/") + 1 and r.path[len(west_path):-1].isdigit() for r in rows)
    first = next(r for r in rows if r.code == "N0001")
    assert first.business_hours["6"] == [["08:00", "22:00"]] and abs(first.lon - 120.004) > 1e-4  # GCJ-02 converted


async def test_a_bad_row_57_of_100_creates_nothing(client, world):
    text = csv_rows(100, bad={57: "N0057,Store 57,杭州,西湖区,Road 57,120.1,30.2,GCJ02,Mars/Base,12,3000,mon-sun 08:00-22:00,OPEN"})
    refused = await call(client, world, IMPORT, {"p": _west(world), "csv": text}, staff="west")
    assert refused["created"] == 0 and refused["stores"] == []
    assert [(e["row"], e["field"], e["code"]) for e in refused["rowErrors"]] == [(57, "timezone", "INVALID_TIMEZONE")]
    assert codes(refused) == ["INVALID_CSV"]
    assert await store_count(world) == 3


async def test_every_problem_of_every_row_is_reported(client, world):
    bad = {
        2: "N0002,,杭州,,Road,abc,30.2,WGS84,,12,3000,mon-sun 08:00-22:00,OPEN",  # no name, lon not a number
        3: "N0003,S3,杭州,,Road,120.1,30.2,MARS,,12,3000,mon-sun 08:00-22:00,OPEN",  # unknown system
        4: "N0004,S4,杭州,,Road,120.1,30.2,WGS84,,999,5,someday,CLOSED",  # prep, radius, hours, status
        5: "N0001,S5,杭州,,Road,120.1,30.2,WGS84,,12,3000,mon-sun 08:00-22:00,OPEN",  # the code of row 1
        6: "A,S6,杭州,,Road,120.1,30.2,WGS84,,12,3000,mon-sun 08:00-22:00,OPEN",  # an existing store's code
        7: "N0007,S7,杭州,,Road,120.1,30.2,WGS84,,12,3000,mon-sun 08:00-22:00,OPEN,extra",
    }
    refused = await call(client, world, IMPORT, {"p": _west(world), "csv": csv_rows(8, bad=bad)}, staff="west")
    assert [(e["row"], e["field"], e["code"]) for e in refused["rowErrors"]] == [
        (2, "lon", "INVALID"), (2, "name", "REQUIRED"),
        (3, "lon", "INVALID_LOCATION"),
        (4, "delivery_radius_m", "INVALID"), (4, "hours", "INVALID_HOURS"), (4, "prep_minutes", "INVALID"), (4, "status", "INVALID"),
        (5, "code", "DUPLICATE"),
        (6, "code", "STORE_CODE_TAKEN"),
        (7, "csv", "INVALID_CSV"),
    ]
    assert await store_count(world) == 3


async def test_file_level_refusals(client, world, monkeypatch):
    from store_network import store_import

    monkeypatch.setattr(store_import, "MAX_ROWS", 10)
    too_many = await call(client, world, IMPORT, {"p": _west(world), "csv": csv_rows(11)}, staff="west")
    assert codes(too_many) == ["TOO_MANY_ROWS"]
    monkeypatch.setattr(store_import, "MAX_BYTES", 1000)
    assert codes(await call(client, world, IMPORT, {"p": _west(world), "csv": csv_rows(10)}, staff="west")) == ["CSV_TOO_LARGE"]
    assert codes(await call(client, world, IMPORT, {"p": _west(world), "csv": "code,name\nX,Y\n"}, staff="west")) == ["INVALID_CSV"]
    assert codes(await call(client, world, IMPORT, {"p": _west(world), "csv": HEADER + "\n"}, staff="west")) == ["REQUIRED"]
    assert await store_count(world) == 3


async def test_who_may_import(client, world):
    east = world.gid("NetworkNode", world.partner_ids["east"])
    assert codes(await call(client, world, IMPORT, {"p": east, "csv": csv_rows(2)}, staff="west")) == ["PERMISSION_DENIED"]
    assert codes(await call(client, world, IMPORT, {"p": _west(world), "csv": csv_rows(2)}, staff="manager_a")) == ["PERMISSION_DENIED"]
    assert await store_count(world) == 3


async def test_the_cli_imports_all_or_nothing(world, tmp_path, monkeypatch, capsys, database_url):
    monkeypatch.setenv("DATABASE_URL", database_url)
    bad = tmp_path / "bad.csv"
    bad.write_text(csv_rows(5, bad={3: "N0003,S3,杭州,,Road,120.1,30.2,WGS84,,12,3000,never,OPEN"}), encoding="utf-8")
    assert await _cli(["stores-import", "--tenant", world.slug, "--parent", "West", str(bad)]) == 1
    assert "row 3 hours: INVALID_HOURS" in capsys.readouterr().err
    assert await store_count(world) == 3
    good = tmp_path / "good.csv"
    good.write_text("\ufeff" + csv_rows(5), encoding="utf-8")  # with Excel's BOM
    assert await _cli(["stores-import", "--tenant", world.slug, "--parent", "West", str(good)]) == 0
    assert "imported 5 stores" in capsys.readouterr().out
    assert await store_count(world) == 8
    assert await _cli(["stores-import", "--tenant", world.slug, "--parent", "Nowhere", str(good)]) == 2


async def _cli(argv: list[str]) -> int:
    import asyncio

    return await asyncio.to_thread(main, argv)  # main runs its own event loop

