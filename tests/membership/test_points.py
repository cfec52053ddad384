"""Points: earned on completion under rules and level multipliers, redeemed as money off
within the limit, expiring FIFO in lots, reversed on refund; ledger balance = sum of lots."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from auth.roles import Principal
from commerce.order_status import ActorType, OrderStatus
from core.clock import utc_now
from core.errors import DomainError
from membership import members, points
from membership.models import Member, PointsAward, PointsRule
from tests.api import gql_documents as docs
from tests.membership.helpers import COMPLETE_PICKUP, join, ledger_ok, move, order_row, pickup_order, points_of


async def _credit(world, member_id, amount, reference, days=365):
    async with world.services.database.write() as session:
        member = await session.get(Member, member_id)
        await points.credit(session, member, amount, source="test", reference=reference, now=utc_now(),
                            expires_at=utc_now() + timedelta(days=days))


async def test_completion_earns_by_rules_and_level_multiplier(client, database, world):
    member_id = await join(world, points_per_yuan=2)
    async with database.write() as session:
        gold = await members.add_level(session, world.tenant_id, code="G", name="Gold", rank=1, threshold=0, points_multiplier_pct=150)
        await members.set_level(session, await session.get(Member, member_id), gold.id, reason="t", now=utc_now())
        session.add(PointsRule(tenant_id=world.tenant_id, name="fruit week", category_id=world.category_id, multiplier_pct=300,
                               starts_at=utc_now() - timedelta(days=1), ends_at=utc_now() + timedelta(days=1)))
        session.add(PointsRule(tenant_id=world.tenant_id, name="other store", store_id=world.store_ids["b"], multiplier_pct=1000))
    order_id = await pickup_order(client, world, {"bread": 1})  # 900 fen
    await move(world, order_id, OrderStatus.PAID, actor=ActorType.SYSTEM)
    await move(world, order_id, *COMPLETE_PICKUP[:-1])
    assert await points_of(world, member_id) == (0, 0)  # nothing before completion
    await move(world, order_id, OrderStatus.COMPLETED)
    # 9 yuan x 2 points x 300% (campaign) x 150% (level) = 81; the other store's rule does not apply.
    assert await points_of(world, member_id) == (81, 81)
    # Refund after completion takes them back.
    body = await world.gql(client, docs.REFUND, {"order": world.gid("Order", order_id)}, token=world.staff_token("manager_a"))
    assert body["data"]["orderRefund"]["order"]["status"] == "REFUNDED", body
    assert await points_of(world, member_id) == (0, 0)
    assert await ledger_ok(world)


async def test_partial_refund_reverses_pro_rata(database, world):
    member_id = await join(world)
    await _credit(world, member_id, 100, "order:x")
    async with database.write() as session:
        assert await points.reverse_earned(session, world.tenant_id, "order:x", (250, 1000), now=utc_now()) == 25
        assert await points.reverse_earned(session, world.tenant_id, "order:x", (250, 1000), now=utc_now()) == 0  # same refund again
        assert await points.reverse_earned(session, world.tenant_id, "order:x", (1000, 1000), now=utc_now()) == 75
    assert await points_of(world, member_id) == (0, 0)


async def test_redeem_takes_oldest_lots_first_and_expiry_takes_the_rest(database, world):
    member_id = await join(world)
    await _credit(world, member_id, 100, "late", days=60)
    await _credit(world, member_id, 50, "early", days=10)
    async with database.write() as session:
        member = await session.get(Member, member_id)
        award = await points.redeem(session, member, 70, reference="r1", cap_fen=10**6, now=utc_now())
    lots = award.lots
    assert [taken for _, taken in lots] == [50, 20]  # the lot expiring first is used up first
    assert await points_of(world, member_id) == (80, 80)
    async with database.write() as session:
        assert await points.expire(session, world.tenant_id, utc_now() + timedelta(days=30)) == 0  # early lot is empty
        assert await points.expire(session, world.tenant_id, utc_now() + timedelta(days=61)) == 80
    assert await points_of(world, member_id) == (0, 0)
    assert await ledger_ok(world)


async def test_redeem_at_checkout_within_the_limit_and_restore_on_cancel(client, database, world):
    member_id = await join(world, point_value_fen=1, redeem_max_percent=50)
    await _credit(world, member_id, 2000, "gift")
    order_id = await pickup_order(client, world, {"bread": 2})  # 1800 fen
    alice = Principal.customer(world.tenant_id, world.customer_ids["alice"])
    async with database.write() as session:
        with pytest.raises(DomainError) as error:
            await points.redeem_for_order(session, alice, order_id, 901, utc_now())
        assert error.value.code.value == "REDEEM_LIMIT_EXCEEDED"
    async with database.write() as session:
        order, award = await points.redeem_for_order(session, alice, order_id, 900, utc_now())
    assert (order.total_fen, award.fen) == (900, 900)
    assert await points_of(world, member_id) == (1100, 1100)
    body = await world.gql(client, docs.CANCEL, {"order": world.gid("Order", order_id)}, token=world.customer_token())
    assert body["data"]["orderCancel"]["order"]["status"] == "CANCELLED", body
    assert await points_of(world, member_id) == (2000, 2000)
    assert await ledger_ok(world)


async def test_points_earned_on_a_redeemed_order_are_on_what_was_paid(client, database, world):
    member_id = await join(world)
    await _credit(world, member_id, 500, "gift")
    order_id = await pickup_order(client, world, {"bread": 2})  # 1800
    async with database.write() as session:
        await points.redeem_for_order(session, Principal.customer(world.tenant_id, world.customer_ids["alice"]), order_id, 500, utc_now())
    await move(world, order_id, OrderStatus.PAID, actor=ActorType.SYSTEM)
    await move(world, order_id, *COMPLETE_PICKUP)
    async with database.read() as session:
        earned = await session.scalar(select(PointsAward).where(PointsAward.order_id == order_id, PointsAward.kind == "EARN"))
    assert (earned.fen, earned.points) == (1300, 13)
    assert (await order_row(world, order_id)).total_fen == 1300


async def test_nightly_job_expires_lots_and_evaluates_levels(database, world):
    from membership.jobs import nightly

    member_id = await join(world, level_basis="POINTS")
    async with database.write() as session:
        gold = await members.add_level(session, world.tenant_id, code="G", name="Gold", rank=1, threshold=100)
    await _credit(world, member_id, 150, "order:n", days=3)
    lines = await nightly(database, utc_now())
    assert f"tenant={world.tenant_id} points_expired=0 levels_changed=1" in lines
    async with database.read() as session:
        assert (await session.get(Member, member_id)).level_id == gold.id
    assert f"tenant={world.tenant_id} points_expired=150 levels_changed=0" in await nightly(database, utc_now() + timedelta(days=4))
    assert await points_of(world, member_id) == (0, 0)


async def test_concurrent_redemptions_never_take_a_point_twice(database, world, backend):
    """1,000 points in three lots; 30 redemptions of 50 at once: exactly 20 go through."""
    import asyncio

    member_id = await join(world)
    for i, (amount, days) in enumerate(((300, 5), (500, 10), (200, 20))):
        await _credit(world, member_id, amount, f"lot-{i}", days=days)

    async def redeem(i: int) -> bool:
        try:
            async with database.write() as session:
                member = await session.get(Member, member_id)
                await points.redeem(session, member, 50, reference=f"c{i}", cap_fen=10**6, now=utc_now())
            return True
        except DomainError as exc:
            assert exc.code.value == "INSUFFICIENT_POINTS"
            return False

    results = await asyncio.gather(*(redeem(i) for i in range(30)))
    assert sum(results) == 20
    assert await points_of(world, member_id) == (0, 0)
    assert await ledger_ok(world)
