"""Property test of the stock arithmetic against the real database (both backends).

Random sequences of reserve / release / deduct / restock / count / adjust run against one
stock row and a plain-Python model; a refused movement must leave the row unchanged, and
the row must always satisfy 0 <= reserved <= on_hand.
"""
from __future__ import annotations


from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from commerce import stock
from commerce.models import Stock
from commerce.order_status import StockEffect

operations = st.lists(
    st.tuples(
        st.sampled_from(["reserve", "release", "deduct", "restock", "count", "adjust"]),
        st.integers(min_value=-30, max_value=30),
    ),
    min_size=1,
    max_size=30,
)


def model_apply(state, op, qty):
    on_hand, reserved = state
    if op == "reserve":
        ok = qty > 0 and on_hand - reserved >= qty
        return ((on_hand, reserved + qty) if ok else state), ok
    if op == "release":
        ok = qty > 0 and reserved >= qty
        return ((on_hand, reserved - qty) if ok else state), ok
    if op == "deduct":
        ok = qty > 0 and reserved >= qty and on_hand >= qty
        return ((on_hand - qty, reserved - qty) if ok else state), ok
    if op == "restock":
        ok = qty > 0
        return ((on_hand + qty, reserved) if ok else state), ok
    if op == "count":
        ok = qty >= reserved and qty >= 0
        return ((qty, reserved) if ok else state), ok
    ok = on_hand + qty >= reserved
    return ((on_hand + qty, reserved) if ok else state), ok


async def db_apply(session, store_id, sku_id, op, qty):
    if op == "reserve":
        return await stock.reserve(session, store_id, sku_id, qty) if qty > 0 else False
    if op in ("release", "deduct", "restock"):
        effect = {"release": StockEffect.RELEASE, "deduct": StockEffect.DEDUCT, "restock": StockEffect.RESTOCK}[op]
        return await stock.apply_effect(session, effect, store_id, sku_id, qty) if qty > 0 else False
    if op == "count":
        return await stock.set_on_hand(session, store_id, sku_id, qty) if qty >= 0 else False
    return await stock.adjust_on_hand(session, store_id, sku_id, qty)


@given(ops=operations)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
async def test_stock_movements_match_the_model(database, world, ops):
    # Async under hypothesis (pytest-asyncio runs each example on the session's loop): a sync test
    # driving the loop by hand broke once another test left no current loop in the main thread.
    store_id, sku_id = world.store_ids["c"], world.sku_ids["bread"]
    async with database.write() as session:
        await session.execute(
            Stock.__table__.update().where(Stock.store_id == store_id, Stock.sku_id == sku_id).values(reserved=0, on_hand=10)
        )
    state = (10, 0)
    for op, qty in ops:
        async with database.write() as session:
            ok = await db_apply(session, store_id, sku_id, op, qty)
        state, expected_ok = model_apply(state, op, qty)
        assert ok == expected_ok, (op, qty)
        async with database.read() as session:
            row = await session.scalar(select(Stock).where(Stock.store_id == store_id, Stock.sku_id == sku_id))
        assert (row.on_hand, row.reserved) == state
        assert 0 <= row.reserved <= row.on_hand
