"""Property tests over random sequences, on both backends: for stored value (top-ups,
payments, split refunds, principal refunds, adjustments) and for points (credits,
redemptions, restorations, reversals, expiries, adjustments), every balance equals the sum of
its entries, every transaction sums to zero (nothing created or lost), no member balance goes
negative, principal refunds never exceed the principal paid in, and points lots agree with
the points ledger."""
from __future__ import annotations

import uuid
from datetime import timedelta

from hypothesis import HealthCheck, example, given, settings, strategies as st
from sqlalchemy import func, select

from commerce.models import Customer
from core.clock import utc_now
from core.errors import DomainError
from ledger.checks import verify
from ledger.models import LedgerAccount
from membership import members, points, stored_value
from membership.models import Member, StoredValueCharge, TopUp
from tests.membership.helpers import sandbox

PROPERTY = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

sv_ops = st.lists(
    st.one_of(
        st.tuples(st.just("top_up"), st.integers(1, 20000), st.integers(0, 5000)),
        st.tuples(st.just("spend"), st.integers(1, 15000), st.just(0)),
        st.tuples(st.just("refund"), st.integers(0, 10), st.integers(1, 100)),  # charge index, percent of what is left
        st.tuples(st.just("principal_refund"), st.integers(0, 10), st.integers(1, 12000)),
        st.tuples(st.just("adjust"), st.sampled_from(["PRINCIPAL", "BONUS"]), st.integers(-3000, 3000).filter(bool)),
    ),
    min_size=1, max_size=12,
)


async def _fresh_member(world, **program) -> int:
    async with world.services.database.write() as session:
        if program:
            await members.set_program(session, world.tenant_id, utc_now(), **program)
        customer = Customer(tenant_id=world.tenant_id, mobile=f"+86139{uuid.uuid4().int % 10**8:08d}", name="p")
        session.add(customer)
        await session.flush()
        return (await members.join(session, world.tenant_id, customer.id, "EXPLICIT", utc_now())).id


async def _sum_zero(session, tenant_id, currency) -> bool:
    total = await session.scalar(
        select(func.coalesce(func.sum(LedgerAccount.balance_fen), 0)).where(LedgerAccount.tenant_id == tenant_id, LedgerAccount.currency == currency)
    )
    return total == 0


@PROPERTY
@given(ops=sv_ops, rule=st.sampled_from(["PROPORTIONAL", "PRINCIPAL_FIRST", "BONUS_FIRST"]))
@example(ops=[("top_up", 10000, 2000), ("spend", 2999, 0), ("refund", 0, 33), ("principal_refund", 0, 5000),
              ("adjust", "BONUS", -100), ("spend", 5000, 0), ("refund", 1, 100), ("principal_refund", 0, 6000)], rule="PROPORTIONAL")
async def test_stored_value_ledger_holds_over_random_sequences(database, world, ops, rule):
    member_id = await _fresh_member(world, spend_order=rule)
    provider = sandbox(world)
    paid_in = {"principal": 0, "bonus": 0}
    principal_refunded = 0
    for i, (op, a, b) in enumerate(ops):
        try:
            async with database.write() as session:
                member = await session.get(Member, member_id)
                now = utc_now()
                if op == "top_up":
                    plan = await stored_value.add_plan(session, world.tenant_id, "p", a, b, now)
                    top, _ = await stored_value.start_top_up(session, provider, member, plan.id, f"{member_id}-{i}", now)
                    await stored_value.credit_top_up(session, top, now)
                    paid_in["principal"] += a
                    paid_in["bonus"] += b
                elif op == "spend":
                    await stored_value.spend(session, member, a, store_id=world.store_ids["a"], order_id=None,
                                             idempotency_key=f"{member_id}-{i}", actor=("staff", 1), now=now)
                elif op == "refund":
                    charges = (await session.scalars(select(StoredValueCharge).where(StoredValueCharge.member_id == member_id).order_by(StoredValueCharge.id))).all()
                    if charges:
                        charge = charges[a % len(charges)]
                        left = charge.amount_fen - charge.refunded_principal_fen - charge.refunded_bonus_fen
                        if left:
                            await stored_value.refund_charge(session, charge, max(1, left * b // 100), actor=("staff", 1), now=now)
                elif op == "principal_refund":
                    tops = (await session.scalars(select(TopUp).where(TopUp.member_id == member_id).order_by(TopUp.id))).all()
                    if tops:
                        await stored_value.refund_principal(session, provider, tops[a % len(tops)], b, idempotency_key=str(i),
                                                            actor=("staff", 1), now=now)
                        principal_refunded += b
                else:
                    await stored_value.adjust(session, member, a, b, reason="property", idempotency_key=f"{member_id}-{i}",
                                              actor=("staff", 1), now=now)
                    paid_in["principal" if a == "PRINCIPAL" else "bonus"] += b
        except DomainError as exc:
            assert exc.code.value in ("INSUFFICIENT_BALANCE", "REFUND_EXCEEDS_PAID"), exc
    async with database.read() as session:
        principal, bonus = await stored_value.balances(session, world.tenant_id, member_id)
        charges = (await session.scalars(select(StoredValueCharge).where(StoredValueCharge.member_id == member_id))).all()
        tops = (await session.scalars(select(TopUp).where(TopUp.member_id == member_id))).all()
        assert (await verify(session, world.tenant_id)).ok
        assert await _sum_zero(session, world.tenant_id, "CNY")
    spent_p = sum(c.principal_fen - c.refunded_principal_fen for c in charges)
    spent_b = sum(c.bonus_fen - c.refunded_bonus_fen for c in charges)
    assert principal >= 0 and bonus >= 0
    assert principal == paid_in["principal"] - spent_p - principal_refunded
    assert bonus == paid_in["bonus"] - spent_b
    assert all(t.principal_refunded_fen <= t.pay_fen for t in tops)
    assert principal_refunded == sum(t.principal_refunded_fen for t in tops) <= sum(t.pay_fen for t in tops)


pts_ops = st.lists(
    st.one_of(
        st.tuples(st.just("credit"), st.integers(1, 500), st.integers(1, 90)),  # points, days to expiry
        st.tuples(st.just("redeem"), st.integers(1, 600), st.just(0)),
        st.tuples(st.just("restore"), st.integers(0, 10), st.just(0)),
        st.tuples(st.just("reverse"), st.integers(0, 10), st.integers(1, 100)),  # earn index, percent refunded
        st.tuples(st.just("expire"), st.integers(1, 60), st.just(0)),  # days the clock moves on
        st.tuples(st.just("adjust"), st.integers(-300, 300).filter(bool), st.just(0)),
    ),
    min_size=1, max_size=14,
)


@PROPERTY
@given(ops=pts_ops)
@example(ops=[("credit", 100, 30), ("credit", 50, 5), ("redeem", 120, 0), ("expire", 10, 0), ("restore", 0, 0),
              ("reverse", 1, 60), ("adjust", -20, 0), ("expire", 40, 0)])
async def test_points_ledger_and_lots_agree_over_random_sequences(database, world, ops):
    member_id = await _fresh_member(world)
    clock = utc_now()
    earned: list[str] = []
    redeemed: list[str] = []
    for i, (op, a, b) in enumerate(ops):
        try:
            async with database.write() as session:
                member = await session.get(Member, member_id)
                if op == "credit":
                    ref = f"p{member_id}:{i}"
                    await points.credit(session, member, a, source="t", reference=ref, now=clock, expires_at=clock + timedelta(days=b))
                    earned.append(ref)
                elif op == "redeem":
                    ref = f"r{member_id}:{i}"
                    await points.redeem(session, member, a, reference=ref, cap_fen=10**9, now=clock)
                    redeemed.append(ref)
                elif op == "restore" and redeemed:
                    await points.restore_redeemed(session, world.tenant_id, redeemed[a % len(redeemed)], now=clock)
                elif op == "reverse" and earned:
                    await points.reverse_earned(session, world.tenant_id, earned[a % len(earned)], (b, 100), now=clock)
                elif op == "expire":
                    clock += timedelta(days=a)
                    await points.expire(session, world.tenant_id, clock)
                elif op == "adjust":
                    await points.adjust(session, member, a, reason="property", idempotency_key=f"{member_id}-{i}", actor=("staff", 1), now=clock)
        except DomainError as exc:
            assert exc.code.value == "INSUFFICIENT_POINTS", exc
        async with database.read() as session:
            member = await session.get(Member, member_id)
            ledger_balance, lots = await points.points_balance(session, member), await points.lots_total(session, member_id)
            assert ledger_balance == lots >= 0, (op, ledger_balance, lots)
    async with database.read() as session:
        assert (await verify(session, world.tenant_id)).ok
        assert await _sum_zero(session, world.tenant_id, "PTS")
