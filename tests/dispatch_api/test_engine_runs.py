"""Engine runs outside the request path: the advisory lock per partition, the background loop, the CLI."""
from __future__ import annotations

import asyncio

import pytest

from core.clock import utc_now
from delivery.board.engine import advisory_key, partition_lock, run_all, run_partition
from delivery.board.loop import dispatch_forever
from tests.dispatch_api.helpers import add_rider, delivery_order, partition_of, set_all_riders


async def test_only_one_process_plans_a_partition_at_a_time(client, world, backend, database_url):
    if backend != "postgresql":
        pytest.skip("advisory locks are PostgreSQL's; SQLite runs one process")
    from db.session import Database

    await delivery_order(client, world)
    partition = await partition_of(world)
    other_process = Database(database_url)  # its own engine and connections, like a second server
    try:
        async with partition_lock(other_process, partition) as held:
            assert held
            skipped = await run_partition(world.services.database, partition, utc_now(), trigger="test")
            assert skipped.status == "locked" and skipped.plan_id is None
            async with partition_lock(world.services.database, partition) as second:
                assert second is False
            # Another partition is not blocked.
            async with partition_lock(world.services.database, partition + "-elsewhere") as elsewhere:
                assert elsewhere
        ran = await run_partition(world.services.database, partition, utc_now(), trigger="test")
        assert ran.status == "committed"
        # Two runs racing: exactly one plans, the other skips.
        outcomes = await asyncio.gather(*(run_partition(db, partition, utc_now(), trigger="race") for db in (world.services.database, other_process)))
        assert sorted(o.status == "locked" for o in outcomes) == [False, True]
        # The lock is released afterwards (the connection went back to the pool unlocked).
        async with world.services.database.engine.connect() as conn:
            from sqlalchemy import text

            held = await conn.scalar(text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = (:k & 4294967295)"),
                                     {"k": advisory_key(partition)})
        assert held == 0
    finally:
        await other_process.dispose()


async def test_background_loop_assigns_due_orders(client, world):
    order = await delivery_order(client, world)
    await set_all_riders(world, "OFF_SHIFT")
    rider = await add_rider(world)
    # Express promise: due now, so the engine commits it at once (slot orders wait for their window).
    async with world.services.database.write() as session:
        from datetime import timedelta

        from commerce.models import Order
        from tests.dispatch_api.helpers import pk

        row = await session.get(Order, pk(order))
        row.promised_by = utc_now() + timedelta(minutes=25)
        row.slot_kind = "EXPRESS_30"
    stop = asyncio.Event()
    loop = asyncio.create_task(dispatch_forever(world.services.database, world.services.tracking, 0.2, stop))
    try:
        for _ in range(100):
            await asyncio.sleep(0.1)
            async with world.services.database.read() as session:
                from delivery.board.assignments import active_assignment

                task = await active_assignment(session, pk(order))
            if task is not None:
                break
    finally:
        stop.set()
        await loop
    assert task is not None and task.rider_id == rider and task.assigned_by == "ENGINE"
    outcomes = await run_all(world.services.database, utc_now(), trigger="test", tenant_id=world.tenant_id)
    assert [o.partition for o in outcomes] == [await partition_of(world)]


def test_cli_has_dispatch_once():
    from qiandian_cli import main

    with pytest.raises(SystemExit):
        main(["dispatch-once", "--help"])
