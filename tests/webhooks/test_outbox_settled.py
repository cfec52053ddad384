"""The settled outbox reader never passes an event that a slower transaction is still committing."""
from __future__ import annotations

import asyncio

import pytest

from core.clock import utc_now
from events import StockChanged, emit
from events.outbox import START, position, read_after, read_settled


def _event(world, on_hand: int) -> StockChanged:
    return StockChanged(tenant_id=world.tenant_id, at=utc_now(), store_id=world.store_ids["a"], sku_id=world.sku_ids["milk"],
                        on_hand=on_hand, reserved=0, actor_id=None)


async def settled_when_ready(database, world, count: int) -> list:
    """Read until `count` events are settled. xids are cluster-wide, so a transaction still open in
    another database on the same server (other test runs) holds events back for a while, never loses them."""
    for _ in range(600):
        async with database.read() as session:
            settled = await read_settled(session, world.tenant_id, START, types=("stock.changed",))
        if len(settled) >= count:
            return settled
        await asyncio.sleep(0.05)
    return settled


async def test_interleaved_transactions_are_not_skipped(backend, database, world):
    if backend != "postgresql":
        pytest.skip("SQLite has one writer: ids commit in order")
    slow_inserted, fast_done, release = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def slow():  # takes the lower id, commits last
        async with database.write() as session:
            await emit(session, _event(world, 1))
            await session.flush()
            slow_inserted.set()
            await release.wait()

    async def fast():  # takes the higher id, commits first
        await slow_inserted.wait()
        async with database.write() as session:
            await emit(session, _event(world, 2))
        fast_done.set()

    tasks = [asyncio.create_task(slow()), asyncio.create_task(fast())]
    await fast_done.wait()
    async with database.read() as session:
        naive = await read_after(session, world.tenant_id, 0, types=("stock.changed",))
        settled = await read_settled(session, world.tenant_id, START, types=("stock.changed",))
    # The id reader sees only the later event: a cursor moved past it would never see the first.
    assert [e.payload["on_hand"] for e in naive] == [2]
    assert settled == []  # nothing is settled while an older transaction is still open
    release.set()
    await asyncio.gather(*tasks)
    settled = await settled_when_ready(database, world, 2)
    async with database.read() as session:
        assert sorted(e.payload["on_hand"] for e in settled) == [1, 2]
        assert await read_settled(session, world.tenant_id, position(settled[-1]), types=("stock.changed",)) == []
        assert await read_after(session, world.tenant_id, naive[0].id, types=("stock.changed",)) == []  # the gap


async def test_settled_reader_pages_in_order_without_gaps(database, world):
    async with database.write() as session:
        for i in range(5):
            await emit(session, _event(world, i))
    await settled_when_ready(database, world, 5)
    seen, after = [], START
    async with database.read() as session:
        while page := await read_settled(session, world.tenant_id, after, limit=2, types=("stock.changed",)):
            seen += [e.payload["on_hand"] for e in page]
            after = position(page[-1])
    assert seen == [0, 1, 2, 3, 4]
