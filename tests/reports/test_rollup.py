"""The rollup kept by the event listeners: the hand-built two-day scenario, redelivered facts,
and rollup == recomputation from the order tables after a random mix, on both backends."""
from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select

from commerce.models import Order
from events.types import OrderPaid
from reports import rebuild, rollup
from tests.reports.scenario import DELIVERY, move, new_order, partial_refund, utc

DAY1, DAY2 = date(2026, 3, 1), date(2026, 3, 2)


async def build_scenario(database, world) -> dict[str, int]:
    """Two stores, orders on both sides of midnight in Asia/Shanghai (16:00 UTC)."""
    o = {}
    # a: same-city, paid 23:50 local day 1, delivered 00:20 day 2, promised 00:30: on time (counts day 2).
    o["late_night"] = await new_order(database, world, "a", 10000, "SAME_CITY_DELIVERY", created=utc(2026, 3, 1, 15, 40),
                                      promised_by=utc(2026, 3, 1, 16, 30))
    await move(database, o["late_night"], ("PAID", utc(2026, 3, 1, 15, 50)),
               *[(s, utc(2026, 3, 1, 15, 55)) for s in DELIVERY], ("COMPLETED", utc(2026, 3, 1, 16, 20)))
    # a: same-city, paid 00:10 local day 2, delivered 01:30 though promised 01:00: late.
    o["after_midnight"] = await new_order(database, world, "a", 5000, "SAME_CITY_DELIVERY", created=utc(2026, 3, 1, 16, 5),
                                          promised_by=utc(2026, 3, 1, 17, 0))
    await move(database, o["after_midnight"], ("PAID", utc(2026, 3, 1, 16, 10)),
               *[(s, utc(2026, 3, 1, 16, 20)) for s in DELIVERY], ("COMPLETED", utc(2026, 3, 1, 17, 30)))
    # a: pickup, paid 10:00 local day 1, collected.
    o["pickup"] = await new_order(database, world, "a", 3000, "STORE_PICKUP", created=utc(2026, 3, 1, 1, 55))
    await move(database, o["pickup"], ("PAID", utc(2026, 3, 1, 2, 0)), ("PICKING", utc(2026, 3, 1, 2, 5)),
               ("READY", utc(2026, 3, 1, 2, 10)), ("AWAITING_PICKUP", utc(2026, 3, 1, 2, 10)),
               ("COMPLETED", utc(2026, 3, 1, 3, 0)))
    # b: never paid, cancelled 12:00 local day 1.
    o["cancelled"] = await new_order(database, world, "b", 8000, "SAME_CITY_DELIVERY", created=utc(2026, 3, 1, 3, 0))
    await move(database, o["cancelled"], ("CANCELLED", utc(2026, 3, 1, 4, 0)))
    # b: paid 09:00 local day 1; 15.00 refunded 10:00 day 2, then the rest refunded whole at 11:00 day 2.
    o["refunded"] = await new_order(database, world, "b", 6000, "STORE_PICKUP", created=utc(2026, 3, 1, 0, 55))
    await move(database, o["refunded"], ("PAID", utc(2026, 3, 1, 1, 0)))
    await partial_refund(database, o["refunded"], 1500, utc(2026, 3, 2, 2, 0))
    await move(database, o["refunded"], ("REFUNDED", utc(2026, 3, 2, 3, 0)))
    return o


def expected(world) -> dict:
    zero = dict.fromkeys(("orders", "gmv_fen", "pickup_orders", "refunds", "refund_fen", "cancelled", "delivered",
                          "delivered_on_time"), 0)
    a, b = world.store_ids["a"], world.store_ids["b"]
    return {
        (a, DAY1): {**zero, "orders": 2, "gmv_fen": 13000, "pickup_orders": 1},
        (a, DAY2): {**zero, "orders": 1, "gmv_fen": 5000, "delivered": 2, "delivered_on_time": 1},
        (b, DAY1): {**zero, "orders": 1, "gmv_fen": 6000, "pickup_orders": 1, "cancelled": 1},
        # the partial refund (1500) and the whole-order refund of what was left (4500), on the refund day
        (b, DAY2): {**zero, "refunds": 2, "refund_fen": 6000},
    }


async def test_the_hand_built_scenario_lands_on_the_right_local_days(database, world):
    await build_scenario(database, world)
    async with database.read() as session:
        assert await rebuild.rollup_rows(session, world.tenant_id) == expected(world)
        assert await rebuild.recompute(session, world.tenant_id) == expected(world)


async def test_a_redelivered_fact_is_not_counted_twice(database, world):
    orders = await build_scenario(database, world)
    async with database.write() as session:
        order = await session.get(Order, orders["pickup"])
        event = OrderPaid(tenant_id=world.tenant_id, at=utc(2026, 3, 1, 2, 0), order_id=order.id, store_id=order.store_id,
                          fulfilment_type=order.fulfilment_type, from_status="UNPAID", to_status="PAID",
                          actor_type="SYSTEM", actor_id=None, reason="payment")
        await rollup.on_order_transition(session, event)
        await rollup.on_order_transition(session, event)
    async with database.read() as session:
        assert await rebuild.rollup_rows(session, world.tenant_id) == expected(world)


async def test_rebuild_replaces_a_damaged_rollup_and_can_be_rerun(database, world):
    await build_scenario(database, world)
    async with database.write() as session:
        await rollup.add(session, world.tenant_id, world.store_ids["c"], DAY1, {"orders": 7, "gmv_fen": 1})
        await rollup.add(session, world.tenant_id, world.store_ids["a"], DAY1, {"gmv_fen": 99})
    for _ in range(2):
        async with database.write() as session:
            result = await rebuild.rebuild(session, world.tenant_id)
        assert result.rows == 4
        async with database.read() as session:
            assert await rebuild.rollup_rows(session, world.tenant_id) == expected(world)


async def test_a_ranged_rebuild_touches_only_its_days(database, world):
    await build_scenario(database, world)
    async with database.write() as session:
        await rollup.add(session, world.tenant_id, world.store_ids["a"], DAY1, {"gmv_fen": 99})
        await rollup.add(session, world.tenant_id, world.store_ids["a"], DAY2, {"gmv_fen": 99})
        await rebuild.rebuild(session, world.tenant_id, DAY2, DAY2)
    async with database.read() as session:
        rows = await rebuild.rollup_rows(session, world.tenant_id)
    want = expected(world)
    assert rows[(world.store_ids["a"], DAY2)] == want[(world.store_ids["a"], DAY2)]
    assert rows[(world.store_ids["a"], DAY1)]["gmv_fen"] == want[(world.store_ids["a"], DAY1)]["gmv_fen"] + 99


async def test_rollup_equals_recomputation_after_a_random_mix(database, world):
    rng = random.Random(20261206)
    start = utc(2026, 4, 1, 0, 0)
    for n in range(24):
        store = rng.choice("abc")
        fulfilment = rng.choice(["SAME_CITY_DELIVERY", "STORE_PICKUP"])
        created = start + timedelta(hours=rng.randint(0, 72), minutes=rng.randint(0, 59))
        total = rng.randint(100, 20000)
        promise = created + timedelta(minutes=60)
        order_id = await new_order(database, world, store, total, fulfilment, created=created, promised_by=promise)
        at = created + timedelta(minutes=5)
        fate = rng.choice(["cancel", "paid", "complete", "partial", "partial_then_whole", "whole"])
        if fate == "cancel":
            await move(database, order_id, ("CANCELLED", at))
            continue
        await move(database, order_id, ("PAID", at))
        if fate in ("complete", "partial"):
            handover = "DELIVERING" if fulfilment == "SAME_CITY_DELIVERY" else "AWAITING_PICKUP"
            done = at + timedelta(minutes=rng.choice([20, 50, 90]))  # some on time, some late
            await move(database, order_id, ("PICKING", at + timedelta(minutes=1)), ("READY", at + timedelta(minutes=2)),
                       (handover, at + timedelta(minutes=3)), ("COMPLETED", done))
            at = done
        if fate in ("partial", "partial_then_whole"):
            at += timedelta(hours=rng.randint(1, 30))
            await partial_refund(database, order_id, rng.randint(1, total // 2 or 1), at)
        if fate in ("whole", "partial_then_whole"):
            await move(database, order_id, ("REFUNDED", at + timedelta(hours=rng.randint(1, 30))))
    async with database.read() as session:
        held = await rebuild.rollup_rows(session, world.tenant_id)
        assert held and held == await rebuild.recompute(session, world.tenant_id)
        orders = list(await session.scalars(select(Order.status).where(Order.tenant_id == world.tenant_id)))
    assert sum(r["orders"] for r in held.values()) == sum(1 for s in orders if s != "CANCELLED")


async def test_the_cli_rebuilds_a_tenant(database, database_url, world, monkeypatch, capsys):
    import qiandian_cli

    await build_scenario(database, world)
    async with database.write() as session:
        await rollup.add(session, world.tenant_id, world.store_ids["c"], DAY2, {"orders": 3})
    monkeypatch.setenv("DATABASE_URL", database_url)
    # asyncio.run inside the running test loop is not possible: run the command in a thread
    import asyncio

    code = await asyncio.to_thread(qiandian_cli.main, ["reports-rebuild", "--tenant", world.slug, "--from", "2026-03-02", "--to", "2026-03-02"])
    assert code == 0 and "rows=2" in capsys.readouterr().out
    async with database.read() as session:
        assert await rebuild.rollup_rows(session, world.tenant_id) == expected(world)
    assert await asyncio.to_thread(qiandian_cli.main, ["reports-rebuild", "--tenant", "no-such-brand"]) == 2
