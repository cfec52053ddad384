"""Issue #15 "done when": a store employee is invited, shares, earns on a friend's order, sees it
pending, withdrawable after the settlement window, and withdraws it; refunds take it back."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import utc_now
from core.errors import DomainError
from distribution import commission, enrolment, withdrawals
from distribution.models import CommissionAccrual, CommissionRule, OrderAttribution, Salesperson
from tests.api.helpers import pay, place_order
from tests.dispatch_api.helpers import pk
from tests.distribution.helpers import add_customer, bind, enrol, hq_principal, ledger_ok, move


async def _rule(world, **values):
    async with world.services.database.write() as session:
        session.add(CommissionRule(tenant_id=world.tenant_id, **values))


async def _earnings(world, salesperson_id):
    async with world.services.database.read() as session:
        return await commission.earnings(session, world.tenant_id, salesperson_id)


async def _friend_order(client, world, lines=None):
    placed = await place_order(client, world, lines or {"milk": 2}, customer="bob", fulfilment="STORE_PICKUP")
    assert placed["errors"] == [], placed
    order = placed["order"]["id"]
    await pay(client, world, order, customer="bob")
    return pk(order)


async def test_employee_earns_on_a_friends_order_and_withdraws_after_the_window(client, world):
    seller = await enrol(world)
    await _rule(world, mode="RATE", rate_bp=1000)  # 10% on everything
    await bind(world, seller)
    order_id = await _friend_order(client, world)  # 2 x 11.00 at store A
    async with world.services.database.read() as session:
        attribution = await session.get(OrderAttribution, order_id)
    assert (attribution.salesperson_id, attribution.store_id) == (seller, world.store_ids["a"])
    assert await _earnings(world, seller) == {"pending": 220, "withdrawable": 0, "withdrawing": 0, "withdrawn": 0}

    completed_at = utc_now()
    await move(world, order_id, "PICKING", "READY", "AWAITING_PICKUP", "COMPLETED", now=completed_at)
    async with world.services.database.write() as session:
        assert await commission.settle_due(session, world.tenant_id, completed_at + timedelta(days=6)) == 0
        assert await commission.settle_due(session, world.tenant_id, completed_at + timedelta(days=7, seconds=1)) == 1
    async with world.services.database.write() as session:  # the job run twice moves nothing more
        assert await commission.settle_due(session, world.tenant_id, completed_at + timedelta(days=8)) == 0
    assert await _earnings(world, seller) == {"pending": 0, "withdrawable": 220, "withdrawing": 0, "withdrawn": 0}

    async with world.services.database.write() as session:
        me = await session.get(Salesperson, seller)
        request = await withdrawals.request_withdrawal(session, me, 200, "w1")
        again = await withdrawals.request_withdrawal(session, me, 200, "w1")
        assert again.id == request.id
    assert await _earnings(world, seller) == {"pending": 0, "withdrawable": 20, "withdrawing": 200, "withdrawn": 0}
    async with world.services.database.write() as session:
        done = await withdrawals.decide_withdrawal(session, await hq_principal(session, world), request.id, approve=True)
        assert done.state == "PAID"
    assert await _earnings(world, seller) == {"pending": 0, "withdrawable": 20, "withdrawing": 0, "withdrawn": 200}
    await ledger_ok(world)


async def test_refund_before_settlement_takes_pending_back(client, world):
    seller = await enrol(world)
    await _rule(world, mode="RATE", rate_bp=500)
    await bind(world, seller)
    order_id = await _friend_order(client, world, {"bread": 3})  # 27.00
    assert (await _earnings(world, seller))["pending"] == 135
    await move(world, order_id, "REFUNDED")
    assert await _earnings(world, seller) == {"pending": 0, "withdrawable": 0, "withdrawing": 0, "withdrawn": 0}
    await ledger_ok(world)


async def test_refund_after_withdrawal_leaves_a_negative_balance_offset_later(client, world):
    seller = await enrol(world)
    await _rule(world, mode="RATE", rate_bp=1000)
    await bind(world, seller)
    first = await _friend_order(client, world, {"bread": 2})  # 18.00 -> 180
    now = utc_now()
    await move(world, first, "PICKING", "READY", "AWAITING_PICKUP", "COMPLETED", now=now)
    async with world.services.database.write() as session:
        await commission.settle_due(session, world.tenant_id, now + timedelta(days=8))
        await withdrawals.request_withdrawal(session, await session.get(Salesperson, seller), 180, "all")
    await move(world, first, "REFUNDED")  # after settlement and withdrawal: claw back 180
    assert (await _earnings(world, seller))["withdrawable"] == -180
    second = await _friend_order(client, world, {"bread": 3})  # 27.00 -> 270
    await move(world, second, "PICKING", "READY", "AWAITING_PICKUP", "COMPLETED", now=now)
    async with world.services.database.write() as session:
        await commission.settle_due(session, world.tenant_id, now + timedelta(days=8))
    assert (await _earnings(world, seller))["withdrawable"] == 90
    async with world.services.database.write() as session:
        with pytest.raises(DomainError) as refused:
            await withdrawals.request_withdrawal(session, await session.get(Salesperson, seller), 100, "too-much")
        assert refused.value.code.name == "INSUFFICIENT_BALANCE"
    await ledger_ok(world)


async def test_supply_price_upline_and_first_order_reward(client, world):
    async with world.services.database.write() as session:
        await enrolment.update_program(session, await hq_principal(session, world), upline_levels=2, upline1_rate_bp=300,
                                       upline2_rate_bp=200, first_order_reward_fen=1000, first_order_days=3)
    top = await enrol(world, "alice")
    carol = await add_customer(world, "carol", "+8613800000003")
    dave = await add_customer(world, "dave", "+8613800000004")
    async with world.services.database.write() as session:
        _, token = await enrolment.create_invite(session, _customer(world, "alice"), store_id=None, kind="DISTRIBUTOR", uses=2, ttl_hours=1)
        mid = (await enrolment.accept_invite(session, world.tenant_id, carol, token)).id
    async with world.services.database.write() as session:
        _, token = await enrolment.create_invite(session, _customer(world, "carol"), store_id=None, kind="DISTRIBUTOR", uses=1, ttl_hours=1)
        low = (await enrolment.accept_invite(session, world.tenant_id, dave, token)).id
    async with world.services.database.write() as session:  # a third level is refused
        with pytest.raises(DomainError) as deep:
            await enrolment.create_invite(session, _customer(world, "dave"), store_id=None, kind="DISTRIBUTOR", uses=1, ttl_hours=1)
        assert deep.value.code.name == "UPLINE_TOO_DEEP"
        with pytest.raises(DomainError) as cycle:
            await enrolment.set_upline(session, await hq_principal(session, world), top, low)
        assert cycle.value.code.name == "UPLINE_CYCLE"
    await _rule(world, product_id=world.product_ids["bread"], mode="SUPPLY", supply_price_fen=800)  # sale 9.00, supply 8.00
    await bind(world, low)
    await _friend_order(client, world, {"bread": 2})  # margin 200; uplines 3% and 2% of 1800 = 54 + 36
    async with world.services.database.read() as session:
        rows = {(r.salesperson_id, r.role): r.amount_fen for r in await session.scalars(select(CommissionAccrual))
                if r.tenant_id == world.tenant_id}
    assert rows == {(low, "SELLER"): 110, (mid, "UPLINE1"): 54, (top, "UPLINE2"): 36, (low, "FIRST_ORDER"): 1000}
    await ledger_ok(world)


def _customer(world, key):
    from auth.roles import Principal

    return Principal.customer(world.tenant_id, world.customer_ids[key])


async def test_single_use_invite_and_deactivated_salesperson(client, world):
    async with world.services.database.write() as session:
        _, token = await enrolment.create_invite(session, await hq_principal(session, world), store_id=world.store_ids["a"],
                                                 kind="EMPLOYEE", uses=1, ttl_hours=1)
        await enrolment.accept_invite(session, world.tenant_id, world.customer_ids["alice"], token)
    async with world.services.database.write() as session:
        with pytest.raises(DomainError) as used:
            await enrolment.accept_invite(session, world.tenant_id, world.customer_ids["bob"], token)
        assert used.value.code.name == "INVITE_INVALID"
    async with world.services.database.write() as session:  # a store manager of another store may not invite for A
        from auth.roles import Principal, RoleGrant
        from store_network.models import NetworkNode, Store

        store_c = await session.get(Store, world.store_ids["c"])
        node_c = await session.get(NetworkNode, store_c.node_id)
        other = Principal.staff(world.tenant_id, 999, (RoleGrant("STORE_MANAGER", node_c.id, node_c.path),))
        with pytest.raises(DomainError) as denied:
            await enrolment.create_invite(session, other, store_id=world.store_ids["a"], kind="EMPLOYEE", uses=1, ttl_hours=1)
        assert denied.value.code.name == "PERMISSION_DENIED"
    seller = (await _seller_of(world, "alice"))
    async with world.services.database.write() as session:
        await enrolment.set_status(session, await hq_principal(session, world), seller, active=False)
    with pytest.raises(DomainError) as inactive:
        await bind(world, seller)
    assert inactive.value.code.name == "SALESPERSON_INACTIVE"


async def _seller_of(world, key):
    async with world.services.database.read() as session:
        return await session.scalar(select(Salesperson.id).where(Salesperson.customer_id == world.customer_ids[key]))
