"""Members join explicitly or on their first order; levels give member prices (the MEMBER step
of the one price owner), free delivery and are re-evaluated by an audited job."""
from __future__ import annotations

from sqlalchemy import select

from commerce import pricing
from commerce.models import OrderLine
from core.clock import utc_now
from membership import members
from membership.models import Member, MemberLevelChange, MemberPrice
from tests.api.helpers import place_order
from tests.dispatch_api.helpers import pk
from tests.membership.helpers import COMPLETE_PICKUP, join, move, order_row, pickup_order


async def _levels(world, **gold):
    async with world.services.database.write() as session:
        silver = await members.add_level(session, world.tenant_id, code="SILVER", name="Silver", rank=1, threshold=0)
        gold = await members.add_level(session, world.tenant_id, code="GOLD", name="Gold", rank=2, threshold=1000,
                                       discount_percent=gold.get("discount", 90), free_delivery_min_fen=gold.get("free_from"),
                                       points_multiplier_pct=200)
        return silver.id, gold.id


async def _set_level(world, customer, level_id):
    async with world.services.database.write() as session:
        member = await members.member_of(session, world.tenant_id, world.customer_ids[customer])
        await members.set_level(session, member, level_id, reason="test", now=utc_now())


async def _prices(world, customer):
    async with world.services.database.read() as session:
        context = pricing.PriceContext(world.tenant_id, world.store_ids["a"], world.customer_ids.get(customer), utc_now())
        return await pricing.price_skus(session, context, world.sku_ids.values())


async def test_joining_is_explicit_and_idempotent(database, world):
    first = await join(world)
    again = await join(world)
    assert first == again
    async with database.read() as session:
        assert await members.member_of(session, world.tenant_id, world.customer_ids["bob"]) is None


async def test_first_order_joins_when_the_brand_says_so(client, database, world):
    await pickup_order(client, world, {"bread": 1}, customer="bob")
    async with database.read() as session:
        assert await members.member_of(session, world.tenant_id, world.customer_ids["bob"]) is None
    async with database.write() as session:
        await members.set_program(session, world.tenant_id, utc_now(), auto_join=True)
    await pickup_order(client, world, {"bread": 1}, customer="bob")
    async with database.read() as session:
        member = await members.member_of(session, world.tenant_id, world.customer_ids["bob"])
        assert member is not None and member.joined_via == "FIRST_ORDER"


async def test_level_discount_and_member_price_are_the_member_step(client, database, world):
    _, gold = await _levels(world)
    await join(world)
    await _set_level(world, "alice", gold)
    mine, anonymous = await _prices(world, "alice"), await _prices(world, None)
    milk, bread = world.sku_ids["milk"], world.sku_ids["bread"]
    assert anonymous[milk].fen == 1100 and anonymous[milk].source is pricing.PriceSource.STORE
    assert mine[milk].fen == 990 and mine[milk].source is pricing.PriceSource.MEMBER  # store price less 10%
    assert [c.source.value for c in mine[milk].breakdown] == ["HQ", "STORE", "MEMBER"]
    assert mine[bread].fen == 810
    async with database.write() as session:
        session.add(MemberPrice(tenant_id=world.tenant_id, sku_id=bread, level_id=None, price_fen=700))
    assert (await _prices(world, "alice"))[bread].fen == 700
    assert (await _prices(world, "bob"))[bread].fen == 900  # not a member
    # Checkout charges the member price.
    order_id = await pickup_order(client, world, {"bread": 2})
    async with database.read() as session:
        line = await session.scalar(select(OrderLine).where(OrderLine.order_id == order_id))
    assert (line.unit_price_fen, line.line_total_fen) == (700, 1400)


async def test_level_free_delivery_threshold(client, database, world):
    _, gold = await _levels(world, free_from=1500)
    await join(world)
    await _set_level(world, "alice", gold)
    small = await place_order(client, world, {"bread": 1})
    big = await place_order(client, world, {"bread": 3})
    assert (await order_row(world, pk(small["order"]["id"]))).delivery_fee_fen > 0
    assert (await order_row(world, pk(big["order"]["id"]))).delivery_fee_fen == 0


async def test_level_job_moves_members_by_spend_and_audits(client, database, world):
    silver, gold = await _levels(world)
    alice, bob = await join(world, "alice"), await join(world, "bob")
    order_id = await pickup_order(client, world, {"bread": 2})  # 1800 fen at the SILVER price
    from commerce.order_status import ActorType, OrderStatus
    await move(world, order_id, OrderStatus.PAID, actor=ActorType.SYSTEM)
    await move(world, order_id, *COMPLETE_PICKUP)
    async with database.write() as session:
        assert await members.evaluate_levels(session, world.tenant_id, utc_now()) == 1
        assert await members.evaluate_levels(session, world.tenant_id, utc_now()) == 0  # stable
    async with database.read() as session:
        levels = dict((await session.execute(select(Member.id, Member.level_id).where(Member.tenant_id == world.tenant_id))).all())
        audit = (await session.scalars(select(MemberLevelChange).where(MemberLevelChange.member_id == alice))).all()
    assert levels == {alice: gold, bob: silver}
    assert [(a.from_level_id, a.to_level_id, a.basis_value) for a in audit] == [(silver, gold, 1800)]
    assert (await order_row(world, order_id)).status == "COMPLETED"
