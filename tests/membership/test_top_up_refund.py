"""A top-up paid in the wrong amount: nothing is credited, and the sweep gives back exactly
what the provider took, once, under a stable refund id (money received is applied or
refunded, never dropped)."""
from __future__ import annotations

from asgi import sweep_once
from core.clock import utc_now
from membership import stored_value
from membership.models import Member, TopUp
from tests.api.helpers import send_callback
from tests.membership.helpers import balances, join, sandbox


async def _mismatched_top_up(client, world) -> TopUp:
    member_id = await join(world)
    async with world.services.database.write() as session:
        plan = await stored_value.add_plan(session, world.tenant_id, "p", 10000, 2000, utc_now())
        top, _ = await stored_value.start_top_up(session, sandbox(world), await session.get(Member, member_id), plan.id, "k", utc_now())
    answer = await send_callback(client, world, top.provider_ref, 9990)  # ten fen short of the plan's price
    assert answer.json()["outcome"] == "TOP_UP_AMOUNT_MISMATCH"
    assert await balances(world, member_id) == (0, 0)
    return top


async def _row(world, top_id) -> TopUp:
    async with world.services.database.read() as session:
        return await session.get(TopUp, top_id)


async def test_the_sweep_refunds_a_mismatched_top_up_once_through_its_provider(client, database, world):
    top = await _mismatched_top_up(client, world)
    provider = world.services.payments.get("SANDBOX")
    calls = []
    real_refund = provider.refund
    provider.refund = lambda **kw: (calls.append(kw), real_refund(**kw))[1]
    try:
        await sweep_once(world.services)
        row = await _row(world, top.id)
        assert (row.status, row.captured_fen) == ("REFUNDED", 9990) and row.refunded_at is not None
        mine = [c for c in calls if c["provider_ref"] == top.provider_ref]
        assert mine == [{"provider_ref": top.provider_ref, "amount_fen": 9990, "refund_id": f"topup-refund-{top.id}"}]
        assert provider.refunds[f"topup-refund-{top.id}"] == (top.provider_ref, 9990)
        await sweep_once(world.services)  # the second sweep finds nothing to do for it
        assert [c for c in calls if c["provider_ref"] == top.provider_ref] == mine
    finally:
        del provider.refund


async def test_a_provider_failure_leaves_the_top_up_for_the_next_sweep(client, database, world):
    top = await _mismatched_top_up(client, world)
    provider = world.services.payments.get("SANDBOX")

    def refuse(**kw):
        raise RuntimeError("provider down")

    provider.refund = refuse
    try:
        await sweep_once(world.services)
    finally:
        del provider.refund
    assert (await _row(world, top.id)).status == "REFUND_REQUIRED"
    await sweep_once(world.services)
    assert (await _row(world, top.id)).status == "REFUNDED"
    assert provider.refunds[f"topup-refund-{top.id}"] == (top.provider_ref, 9990)
