"""Item 6: for any sequence of paid orders, completions, partial and full refunds, settlement
runs and withdrawals, every account balances, no fen is created or lost, withdrawable never
holds pending money, and commission never exceeds the margin under a supply-price rule.
Item 4: concurrent withdrawals never overdraw (PostgreSQL and SQLite)."""
from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import func, select

from commerce.models import Customer, Order, OrderLine
from core.clock import utc_now
from core.errors import DomainError
from distribution import commission, withdrawals
from distribution.commission import DEBT, PENDING, WITHDRAWABLE, WITHDRAWING, WITHDRAWN, LineFacts, Rule, split_line
from distribution.models import CommissionAccrual, CommissionRule, OrderAttribution, Salesperson
from ledger import Leg, account, post
from ledger.checks import verify
from tests.distribution.helpers import enrol, hq_principal

T0 = utc_now()


@given(
    paid=st.integers(0, 10**7), quantity=st.integers(1, 5000), per=st.integers(1, 500), supply=st.integers(0, 10**6),
    ups=st.lists(st.integers(0, 10000), max_size=2),
)
def test_supply_rule_commission_never_exceeds_the_margin(paid, quantity, per, supply, ups):
    line = LineFacts(1, 1, paid, quantity, per)
    shares = split_line(line, Rule("SUPPLY", supply_price_fen=supply), ups)
    margin = max(0, paid - (-(-supply * quantity // per)))
    assert all(s >= 0 and type(s) is int for s in shares)
    assert sum(shares) <= margin


async def _make_order(session, world, seller_id, total):
    """An order row attributed to the seller (lines: one bread line of `total`)."""
    order = Order(
        tenant_id=world.tenant_id, number=uuid.uuid4().hex[:12], customer_id=world.customer_ids["bob"], store_id=world.store_ids["a"],
        status="PAID", fulfilment_type="STORE_PICKUP", currency="CNY", subtotal_fen=total, total_fen=total, paid_at=T0,
    )
    session.add(order)
    await session.flush()
    session.add(OrderLine(order_id=order.id, sku_id=world.sku_ids["bread"], product_name="Bread", sku_code="SKU-bread", quantity=1,
                          unit_price_fen=total, price_per_quantity=1, line_total_fen=total))
    session.add(OrderAttribution(order_id=order.id, tenant_id=world.tenant_id, store_id=world.store_ids["a"], salesperson_id=seller_id,
                                 customer_id=world.customer_ids["bob"]))
    await session.flush()
    return order.id


step = st.one_of(
    st.tuples(st.just("order"), st.integers(1, 50_000)),
    st.tuples(st.just("complete"), st.integers(0, 20)),
    st.tuples(st.just("refund"), st.integers(0, 20), st.integers(1, 100)),  # percent of the order refunded so far
    st.tuples(st.just("settle"), st.integers(0, 20)),
    st.tuples(st.just("withdraw"), st.integers(1, 20_000)),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=st.lists(step, min_size=1, max_size=25))
async def test_any_sequence_keeps_the_ledger_whole(database, world, steps):
    async with database.write() as session:
        mobile = "+86139" + str(uuid.uuid4().int % 10**8).zfill(8)
        customer = Customer(tenant_id=world.tenant_id, mobile=mobile, name="p")
        session.add(customer)
        await session.flush()
        key = f"p{customer.id}"
        world.customer_ids[key] = customer.id
        if not await session.scalar(select(CommissionRule.id).where(CommissionRule.tenant_id == world.tenant_id)):
            session.add(CommissionRule(tenant_id=world.tenant_id, mode="RATE", rate_bp=777))
    seller = await enrol(world, key)
    orders: list[tuple[int, int]] = []
    refunded: dict[int, int] = {}
    day = 0
    for i, move in enumerate(steps):
        day += 1
        now = T0 + timedelta(days=day)
        async with database.write() as session:
            kind = move[0]
            if kind == "order":
                order_id = await _make_order(session, world, seller, move[1])
                await commission.accrue_order(session, world.tenant_id, order_id, now)
                orders.append((order_id, move[1]))
            elif kind == "complete" and orders:
                await commission.schedule_settlement(session, world.tenant_id, orders[move[1] % len(orders)][0], now)
            elif kind == "refund" and orders:
                order_id, total = orders[move[1] % len(orders)]
                refunded[order_id] = max(refunded.get(order_id, 0), total * move[2] // 100)
                await commission.reverse_order_share(session, world.tenant_id, order_id, refunded[order_id], total, now)
            elif kind == "settle":
                await commission.settle_due(session, world.tenant_id, now + timedelta(days=move[1]))
            elif kind == "withdraw":
                try:
                    async with session.begin_nested():
                        request = await withdrawals.request_withdrawal(session, await session.get(Salesperson, seller), move[1], f"w{i}")
                    if move[1] % 2:
                        await withdrawals.decide_withdrawal(session, await hq_principal(session, world), request.id, approve=move[1] % 3 != 0)
                except DomainError as exc:
                    assert exc.code.name in ("INSUFFICIENT_BALANCE", "BELOW_MINIMUM")
        async with database.read() as session:
            await _check(session, world.tenant_id, seller)


async def _check(session, tenant_id, seller):
    assert (await verify(session, tenant_id)).ok  # every transaction sums to 0, balances = entries
    bal = {}
    for kind in (PENDING, WITHDRAWABLE, DEBT, WITHDRAWING, WITHDRAWN):
        bal[kind] = await session.scalar(select(func.coalesce(func.sum(LedgerBalance.balance_fen), 0)).where(
            LedgerBalance.tenant_id == tenant_id, LedgerBalance.kind == kind, LedgerBalance.owner_id == seller, LedgerBalance.owner_type == "salesperson"))
    rows = list(await session.scalars(select(CommissionAccrual).where(CommissionAccrual.salesperson_id == seller)))
    pending = sum(r.amount_fen - r.reversed_fen for r in rows if r.state == "PENDING")
    settled = sum(r.amount_fen - r.reversed_fen for r in rows if r.settled_at is not None)
    # Pending money is exactly the unsettled accruals: none of it reached withdrawable.
    assert bal[PENDING] == pending
    # Settled money less claw-backs is withdrawable + debt + held + paid out, to the fen.
    assert bal[WITHDRAWABLE] + bal[DEBT] + bal[WITHDRAWING] + bal[WITHDRAWN] == settled
    assert bal[WITHDRAWABLE] >= 0 and bal[DEBT] <= 0 and bal[WITHDRAWING] >= 0 and bal[WITHDRAWN] >= 0
    # Every fen the salespeople hold came out of the brand's commission expense.
    held = await session.scalar(select(func.coalesce(func.sum(LedgerBalance.balance_fen), 0)).where(
        LedgerBalance.tenant_id == tenant_id, LedgerBalance.owner_type == "salesperson"))
    expense = await session.scalar(select(LedgerBalance.balance_fen).where(
        LedgerBalance.tenant_id == tenant_id, LedgerBalance.kind == commission.EXPENSE))
    assert held + (expense or 0) == 0

from ledger.models import LedgerAccount as LedgerBalance  # noqa: E402


async def test_concurrent_withdrawals_never_overdraw(database, world):
    """30 requests of 300 fen against 5,000 withdrawable at once: exactly 16 succeed."""
    seller = await enrol(world)
    async with database.write() as session:
        expense = await commission.expense_account(session, world.tenant_id)
        target = await account(session, world.tenant_id, WITHDRAWABLE, "salesperson", seller)
        await post(session, world.tenant_id, "test.seed", [Leg(expense, -5000), Leg(target, 5000)], idempotency_key=f"seed{seller}")

    async def request(i: int) -> bool:
        try:
            async with database.write() as session:
                await withdrawals.request_withdrawal(session, await session.get(Salesperson, seller), 300, f"c{i}")
            return True
        except DomainError as exc:
            assert exc.code.name == "INSUFFICIENT_BALANCE"
            return False

    results = await asyncio.gather(*(request(i) for i in range(30)))
    assert sum(results) == 16
    async with database.read() as session:
        assert await commission.earnings(session, world.tenant_id, seller) == {
            "pending": 0, "withdrawable": 5000 - 16 * 300, "withdrawing": 16 * 300, "withdrawn": 0}
        assert (await verify(session, world.tenant_id)).ok


async def test_a_three_use_invite_accepted_by_eight_at_once_enrols_three(database, world):
    from distribution import enrolment
    from tests.distribution.helpers import add_customer

    people = [await add_customer(world, f"r{i}", f"+861370000{i:04d}") for i in range(8)]
    async with database.write() as session:
        _, token = await enrolment.create_invite(session, await hq_principal(session, world), store_id=world.store_ids["a"],
                                                 kind="EMPLOYEE", uses=3, ttl_hours=1)

    async def accept(customer_id: int) -> bool:
        try:
            async with database.write() as session:
                await enrolment.accept_invite(session, world.tenant_id, customer_id, token)
            return True
        except DomainError as exc:
            assert exc.code.name == "INVITE_INVALID"
            return False

    assert sum(await asyncio.gather(*(accept(c) for c in people))) == 3
