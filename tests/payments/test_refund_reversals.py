"""Partial refunds (payments.refunds, event RefundSucceeded) reach the other domains through
listeners: points earned are taken back and points redeemed restored pro rata, commission is
reversed pro rata (pending, or into debt after settlement), stored value stays for the full
refund, voucher lines void that many unused vouchers, and a line refunds its NET price. Each
step is cumulative (integer fen / points, rounded down until the whole order is refunded, so
the partials add up to the full reversal) and a redelivered event changes nothing."""
from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from auth.roles import Principal
from commerce.models import Order, OrderLine
from commerce.order_status import OrderStatus
from core.clock import utc_now
from core.errors import DomainError
from distribution import commission
from distribution.models import CommissionAccrual, CommissionRule, Salesperson
from events.models import DomainEventRecord
from events.registry import listeners_for
from events.types import RefundSucceeded
from membership import points
from membership.models import Member, PointsAward, StoredValueCharge
from payments.models import Payment
from payments.refunds import RefundLine, lines_amount, refund_partially, settle_refund
from tests.api.helpers import pay, place_order
from tests.dispatch_api.helpers import pk
from tests.distribution.helpers import bind, enrol, hq_principal, ledger_ok
from tests.membership.helpers import COMPLETE_PICKUP, balances, join, move, points_of, top_up


async def _refund(world, order_id: int, *, amount: int | None = None, lines: list[RefundLine] | None = None) -> RefundSucceeded:
    """A staff partial refund, reserved then answered SUCCEEDED by the provider; returns the event."""
    async with world.services.database.write() as session:
        staff = await hq_principal(session, world)
        refund, created = await refund_partially(session, staff, order_id, key=f"r-{uuid.uuid4()}", reason="test",
                                                 amount_fen=amount, lines=lines)
        assert created
    async with world.services.database.write() as session:
        assert await settle_refund(session, refund.out_refund_no, "SUCCEEDED", utc_now()) == "REFUNDED"
    async with world.services.database.read() as session:
        record = await session.scalar(select(DomainEventRecord).where(DomainEventRecord.type == "refund.succeeded")
                                      .order_by(DomainEventRecord.id.desc()).limit(1))
    assert record.payload["refund_id"] == refund.id
    return RefundSucceeded(tenant_id=world.tenant_id, at=record.created_at, **record.payload)


async def _redeliver(world, event: RefundSucceeded) -> None:
    async with world.services.database.write() as session:
        for listener in listeners_for(event):
            await listener(session, event)


async def _earn_and_redeemed(world, order_id: int) -> tuple[PointsAward, PointsAward]:
    async with world.services.database.read() as session:
        rows = {a.kind: a for a in await session.scalars(select(PointsAward).where(PointsAward.reference == f"order:{order_id}"))}
    return rows["EARN"], rows["REDEEM"]


async def _commission(world, order_id: int) -> tuple[int, int]:
    async with world.services.database.read() as session:
        rows = list(await session.scalars(select(CommissionAccrual).where(CommissionAccrual.order_id == order_id)))
    return sum(r.amount_fen for r in rows), sum(r.reversed_fen for r in rows)


async def _earnings(world, seller):
    async with world.services.database.read() as session:
        return await commission.earnings(session, world.tenant_id, seller)


async def test_two_partial_refunds_reverse_points_and_settled_commission_pro_rata_then_all(client, world):
    seller = await enrol(world)  # alice sells; bob buys through her link
    async with world.services.database.write() as session:
        session.add(CommissionRule(tenant_id=world.tenant_id, mode="RATE", rate_bp=1000))
    await bind(world, seller)
    member_id = await join(world, "bob", point_value_fen=1, redeem_max_percent=50, points_per_yuan=7)
    async with world.services.database.write() as session:
        await points.credit(session, await session.get(Member, member_id), 1000, source="gift", reference="gift", now=utc_now())
    placed = await place_order(client, world, {"milk": 3}, customer="bob", fulfilment="STORE_PICKUP")  # 3 x 11.00
    order_id = pk(placed["order"]["id"])
    async with world.services.database.write() as session:
        await points.redeem_for_order(session, Principal.customer(world.tenant_id, world.customer_ids["bob"]), order_id, 333, utc_now())
    await pay(client, world, placed["order"]["id"], customer="bob")
    total = 3300 - 333
    completed = utc_now()
    await move(world, order_id, *COMPLETE_PICKUP)
    async with world.services.database.write() as session:
        assert await commission.settle_due(session, world.tenant_id, completed + timedelta(days=8)) == 1
    earned, redeemed = await _earn_and_redeemed(world, order_id)
    accrued, _ = await _commission(world, order_id)
    assert (earned.points, redeemed.points, accrued) == (total * 7 // 100, 333, 330)  # points on what was paid; commission on the goods
    start_points = (await points_of(world, member_id))[0]
    assert (await _earnings(world, seller))["withdrawable"] == accrued

    first = await _refund(world, order_id, amount=1000)
    earned, redeemed = await _earn_and_redeemed(world, order_id)
    assert earned.reversed_points == earned.points * 1000 // total
    assert redeemed.reversed_points == 333 * 1000 // total
    assert await _commission(world, order_id) == (accrued, accrued * 1000 // total)
    assert (await _earnings(world, seller))["withdrawable"] == accrued - accrued * 1000 // total  # settled: debt nets it
    after_first = await points_of(world, member_id)
    assert after_first == (start_points - earned.reversed_points + redeemed.reversed_points,) * 2

    await _redeliver(world, first)  # the same event again changes nothing
    assert await points_of(world, member_id) == after_first
    assert await _commission(world, order_id) == (accrued, accrued * 1000 // total)

    second = await _refund(world, order_id, amount=700)
    earned, redeemed = await _earn_and_redeemed(world, order_id)
    assert earned.reversed_points == earned.points * 1700 // total
    assert redeemed.reversed_points == 333 * 1700 // total
    assert await _commission(world, order_id) == (accrued, accrued * 1700 // total)
    await _redeliver(world, first)  # an older event after a newer one: nothing either
    await _redeliver(world, second)
    assert (await _earn_and_redeemed(world, order_id))[0].reversed_points == earned.points * 1700 // total

    await _refund(world, order_id, amount=total - 1700)  # the rest: everything is back, exactly
    earned, redeemed = await _earn_and_redeemed(world, order_id)
    assert (earned.reversed_points, redeemed.reversed_points) == (earned.points, 333)
    assert await _commission(world, order_id) == (accrued, accrued)
    assert await points_of(world, member_id) == (start_points - earned.points + 333,) * 2
    assert (await _earnings(world, seller))["withdrawable"] == 0
    await ledger_ok(world)


async def test_refund_before_completion_shrinks_the_points_earned_later_and_full_refund_takes_the_rest(client, world):
    member_id = await join(world, "alice", points_per_yuan=10)
    placed = await place_order(client, world, {"bread": 3}, fulfilment="STORE_PICKUP")  # 2700
    order_id = pk(placed["order"]["id"])
    await pay(client, world, placed["order"]["id"])
    await _refund(world, order_id, amount=900)
    await move(world, order_id, *COMPLETE_PICKUP)
    async with world.services.database.read() as session:
        earned = await session.scalar(select(PointsAward).where(PointsAward.reference == f"order:{order_id}", PointsAward.kind == "EARN"))
    assert (earned.points, earned.reversed_points) == (270, 90)
    assert await points_of(world, member_id) == (180, 180)
    await move(world, order_id, OrderStatus.REFUNDED)  # the full refund takes back what is left
    assert await points_of(world, member_id) == (0, 0)
    assert await ledger_ok_bool(world)


async def ledger_ok_bool(world) -> bool:
    from ledger.checks import verify

    async with world.services.database.read() as session:
        return (await verify(session, world.tenant_id)).ok


async def test_partial_refunds_of_a_split_order_leave_stored_value_for_the_full_refund(client, world):
    """Policy: a partial refund is provider money; the stored-value part returns on the full refund."""
    from membership.order_payments import pay_order

    member_id = await join(world, "alice", points_per_yuan=0)
    await top_up(world, member_id, 1000, 200)
    placed = await place_order(client, world, {"bread": 3}, fulfilment="STORE_PICKUP")  # 2700
    order_id = pk(placed["order"]["id"])
    async with world.services.database.write() as session:
        await pay_order(session, Principal.customer(world.tenant_id, world.customer_ids["alice"]), order_id, "sv-1", utc_now(), amount_fen=600)
    before = await balances(world, member_id)
    await pay(client, world, placed["order"]["id"])  # the provider takes the other 2100
    async with world.services.database.read() as session:
        assert (await session.scalar(select(Payment).where(Payment.order_id == order_id, Payment.status == "SUCCEEDED"))).captured_fen == 2100
    await _refund(world, order_id, amount=1000)
    await _refund(world, order_id, amount=1100)
    assert await balances(world, member_id) == before  # untouched by the provider's partial refunds
    async with world.services.database.write() as session:  # the provider part is all given back now
        staff = await hq_principal(session, world)
        with pytest.raises(DomainError) as refused:
            await refund_partially(session, staff, order_id, key="more", reason="x", amount_fen=1)
        assert refused.value.code.value == "ORDER_NOT_REFUNDABLE"
    await move(world, order_id, OrderStatus.REFUNDED)
    async with world.services.database.read() as session:
        charge = await session.scalar(select(StoredValueCharge).where(StoredValueCharge.order_id == order_id))
    assert charge.refunded_principal_fen + charge.refunded_bonus_fen == 600
    assert sum(await balances(world, member_id)) == sum(before) + 600
    assert await ledger_ok_bool(world)


async def test_a_line_refunds_its_net_price_unit_by_unit_and_never_more_than_the_line(client, world):
    """An order promotion's discount allocated to a line at placement comes off its refund."""
    from promotions.models import OrderLineDiscount, OrderPromotion

    placed = await place_order(client, world, {"bread": 3}, fulfilment="STORE_PICKUP")  # 3 x 900
    order_id = pk(placed["order"]["id"])
    async with world.services.database.write() as session:
        line = await session.scalar(select(OrderLine).where(OrderLine.order_id == order_id))
        promo = await _order_promotion(session, world, order_id, OrderPromotion)
        session.add(OrderLineDiscount(order_id=order_id, order_line_id=line.id, order_promotion_id=promo, amount_fen=301))
        line_id = line.id
    await pay(client, world, placed["order"]["id"])
    async with world.services.database.read() as session:
        amount, _ = await lines_amount(session, order_id, [RefundLine(line_id, 1)])
    assert amount == (2700 - 301) // 3  # 799, not the list price 900
    events = [await _refund(world, order_id, lines=[RefundLine(line_id, 1)]) for _ in range(2)]
    last = await _refund(world, order_id, lines=[RefundLine(line_id, 1)])
    assert [e.amount_fen for e in events + [last]] == [799, 800, 800]  # together exactly the net 2399
    async with world.services.database.write() as session:
        staff = await hq_principal(session, world)
        with pytest.raises(DomainError) as refused:
            await refund_partially(session, staff, order_id, key="fourth", reason="x", lines=[RefundLine(line_id, 1)])
        assert refused.value.field == "lines.0.quantity"


async def _order_promotion(session, world, order_id, OrderPromotion) -> int:
    """An order_promotion row for the discount to hang on (what promotions writes at checkout)."""
    row = OrderPromotion(order_id=order_id, promotion_version=1, name="test", snapshot={}, discount_fen=301, shipping_discount_fen=0)
    session.add(row)
    await session.flush()
    return row.id


async def test_refunding_voucher_units_voids_that_many_unused_vouchers_and_refuses_used_ones(client, world):
    from tests.vouchers.test_vouchers import MINE, REDEEM, balances as voucher_balances, buy, redeem_input, voucher_sku
    from vouchers.models import Voucher

    await voucher_sku(client, world, partial=True)
    order_gid = await buy(client, world, quantity=3)
    order_id = pk(order_gid)
    async with world.services.database.read() as session:
        line_id = await session.scalar(select(OrderLine.id).where(OrderLine.order_id == order_id))

    async def statuses():
        async with world.services.database.read() as session:
            return [v.status for v in await session.scalars(select(Voucher).where(Voucher.order_id == order_id).order_by(Voucher.unit_index))]

    event = await _refund(world, order_id, lines=[RefundLine(line_id, 1)])
    assert await statuses() == ["ACTIVE", "ACTIVE", "REFUNDED"]
    await _redeliver(world, event)  # the same event again voids nothing more
    assert await statuses() == ["ACTIVE", "ACTIVE", "REFUNDED"]

    code = next(v["code"] for v in (await world.gql(client, MINE, token=world.customer_token()))["data"]["myVouchers"] if v["status"] == "ACTIVE")
    used = await world.gql(client, REDEEM, redeem_input(world, code=code, amount="1.00"), token=world.staff_token("clerk_a"))
    assert used["data"]["voucherRedeem"]["errors"] == [], used
    async with world.services.database.write() as session:  # two units left on the line, but only one voucher unused
        staff = await hq_principal(session, world)
        with pytest.raises(DomainError) as refused:
            await refund_partially(session, staff, order_id, key="two-more", reason="x", lines=[RefundLine(line_id, 2)])
        assert (refused.value.code.value, refused.value.field) == ("VOUCHER_USED", "lines.0.quantity")
    await _refund(world, order_id, lines=[RefundLine(line_id, 1)])
    assert sorted(await statuses()) == ["ACTIVE", "REFUNDED", "REFUNDED"]
    after = await voucher_balances(world)  # ledger verified; the used voucher's liability is what is left on it
    assert after[("voucher.liability", "voucher")] == 100000 - 100


async def _seller_for_bob(world) -> int:
    """Once per world (hypothesis reuses it across examples): alice sells at 7.77%, bob is bound."""
    async with world.services.database.read() as session:
        existing = await session.scalar(select(Salesperson.id).where(Salesperson.tenant_id == world.tenant_id))
    if existing is not None:
        return existing
    seller = await enrol(world)
    async with world.services.database.write() as session:
        session.add(CommissionRule(tenant_id=world.tenant_id, mode="RATE", rate_bp=777))
    await bind(world, seller)
    return seller


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(parts=st.lists(st.integers(1, 2000), min_size=1, max_size=4), finish=st.booleans(), quantity=st.integers(1, 3))
async def test_random_partial_refund_sequences_never_exceed_and_end_at_the_full_reversal(client, world, parts, finish, quantity):
    await _seller_for_bob(world)
    await join(world, "bob", points_per_yuan=13)
    placed = await place_order(client, world, {"milk": quantity}, customer="bob", fulfilment="STORE_PICKUP")
    order_id = pk(placed["order"]["id"])
    await pay(client, world, placed["order"]["id"], customer="bob")
    await move(world, order_id, *COMPLETE_PICKUP)
    total = 1100 * quantity
    earned, _ = await _earn_and_redeemed_or_none(world, order_id)
    accrued, _ = await _commission(world, order_id)
    assert earned.points > 0 and accrued > 0
    refunded = 0
    amounts = [p for p in parts]
    if finish:
        amounts.append(total)  # whatever is left, below
    for amount in amounts:
        amount = min(amount, total - refunded)
        if amount <= 0:
            break
        event = await _refund(world, order_id, amount=amount)
        refunded += amount
        await _redeliver(world, event)
        earned, _ = await _earn_and_redeemed_or_none(world, order_id)
        commission_back = (await _commission(world, order_id))[1]
        # exactly the cumulative pro-rata share, never above the full reversal
        assert earned.reversed_points == earned.points * refunded // total <= earned.points
        assert commission_back == accrued * refunded // total <= accrued
    if finish:
        assert refunded == total
        assert (earned.reversed_points, commission_back) == (earned.points, accrued)
    assert await ledger_ok_bool(world)


async def _earn_and_redeemed_or_none(world, order_id: int):
    async with world.services.database.read() as session:
        rows = {a.kind: a for a in await session.scalars(select(PointsAward).where(PointsAward.reference == f"order:{order_id}")
                                                         .execution_options(populate_existing=True))}
    return rows.get("EARN"), rows.get("REDEEM")


async def test_two_refunds_settling_at_once_reverse_their_sum(client, world, backend, monkeypatch):
    """Each listener reverses to the refunds SUCCEEDED so far; settlement locks the order so the
    second sees the first (without it PostgreSQL would reverse only the larger of the two). To make
    the two overlap, each settlement waits at `emit` for the other (up to a second: with the lock
    the other is blocked before it and never arrives)."""
    import asyncio

    import payments.refunds as refunds_module

    arrived, both = [0], asyncio.Event()
    real_emit = refunds_module.emit

    async def emit_together(session, event):
        arrived[0] += 1
        if arrived[0] == 2:
            both.set()
        try:
            await asyncio.wait_for(both.wait(), timeout=1)
        except asyncio.TimeoutError:
            pass
        await real_emit(session, event)

    monkeypatch.setattr(refunds_module, "emit", emit_together)

    await join(world, "alice", points_per_yuan=10)
    placed = await place_order(client, world, {"bread": 3}, fulfilment="STORE_PICKUP")  # 2700 -> 270 points
    order_id = pk(placed["order"]["id"])
    await pay(client, world, placed["order"]["id"])
    await move(world, order_id, *COMPLETE_PICKUP)
    numbers = []
    for amount in (900, 1350):
        async with world.services.database.write() as session:
            refund, _ = await refund_partially(session, await hq_principal(session, world), order_id, key=f"c-{amount}", reason="x", amount_fen=amount)
            numbers.append(refund.out_refund_no)

    async def settle(number):
        async with world.services.database.write() as session:
            return await settle_refund(session, number, "SUCCEEDED", utc_now())

    assert await asyncio.wait_for(asyncio.gather(*(settle(n) for n in numbers)), timeout=60) == ["REFUNDED", "REFUNDED"]
    earned, _ = await _earn_and_redeemed_or_none(world, order_id)
    assert earned.reversed_points == 270 * 2250 // 2700
    assert await ledger_ok_bool(world)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(lots=st.lists(st.integers(1, 400), min_size=1, max_size=4), share=st.integers(1, 100),
       parts=st.lists(st.integers(1, 5000), min_size=1, max_size=5), paid=st.integers(1, 5000))
async def test_redeemed_points_come_back_pro_rata_into_their_lots(world, lots, share, parts, paid):
    """Random redemptions over several lots, then random partial refunds of what was paid: the
    points restored are exactly floor(redeemed x refunded / paid), each lot gets back no more than
    was taken from it, the ledger agrees with the lots, and a full refund restores every lot."""
    from commerce.models import Customer
    from membership import members
    from membership.models import PointsLot

    async with world.services.database.write() as session:
        customer = Customer(tenant_id=world.tenant_id, mobile=f"+86139{uuid.uuid4().int % 10**8:08d}", name="p")
        session.add(customer)
        await session.flush()
        member_id = (await members.join(session, world.tenant_id, customer.id, "EXPLICIT", utc_now())).id
    reference = f"order:prop-{uuid.uuid4()}"
    now = utc_now()
    async with world.services.database.write() as session:
        member = await session.get(Member, member_id)
        for index, amount in enumerate(lots):
            await points.credit(session, member, amount, source="gift", reference=f"{reference}:gift{index}", now=now,
                                expires_at=now + timedelta(days=10 + index))
        redeemed = max(1, sum(lots) * share // 100)
        await points.redeem(session, member, redeemed, reference=reference, cap_fen=10**9, now=now)
    refunded = 0
    for part in parts + [paid]:
        refunded = min(paid, refunded + part)
        async with world.services.database.write() as session:
            await points.restore_redeemed(session, world.tenant_id, reference, (refunded, paid), now=now)
            assert await points.restore_redeemed(session, world.tenant_id, reference, (refunded, paid), now=now) == 0  # redelivered
        async with world.services.database.read() as session:
            award = await session.scalar(select(PointsAward).where(PointsAward.reference == reference, PointsAward.kind == "REDEEM"))
            remaining = list(await session.scalars(select(PointsLot.remaining).where(PointsLot.member_id == member_id).order_by(PointsLot.id)))
        assert award.reversed_points == redeemed * refunded // paid <= redeemed
        assert all(0 <= left <= original for left, original in zip(remaining, lots))
        assert sum(remaining) == sum(lots) - redeemed + award.reversed_points == (await points_of(world, member_id))[0]
    assert remaining == lots  # the whole order refunded: every lot as it was
