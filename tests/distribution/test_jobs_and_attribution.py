"""First/last touch, counter binding expiry, the periodic jobs (settlement, audited level
upgrades), partial refunds pro rata, and team performance."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.clock import utc_now
from distribution import attribution, commission, enrolment, jobs, reports
from distribution.models import CommissionAccrual, CommissionRule, CustomerBinding, Salesperson
from events.models import DomainEventRecord
from tests.distribution.helpers import add_customer, bind, enrol, hq_principal, ledger_ok, move
from tests.distribution.test_ledger_properties import _make_order


async def _bound_to(world, customer="bob"):
    async with world.services.database.read() as session:
        return await session.scalar(select(CustomerBinding.salesperson_id).where(CustomerBinding.customer_id == world.customer_ids[customer]))


async def test_first_touch_holds_last_touch_replaces_and_expiry_frees(world):
    await add_customer(world, "carol", "+8613800000003")
    alice, carol = await enrol(world, "alice"), await enrol(world, "carol")
    now = utc_now()
    await bind(world, alice, now=now)
    await bind(world, carol, now=now + timedelta(days=1))
    assert await _bound_to(world) == alice  # first touch (default) holds for 30 days
    await bind(world, carol, now=now + timedelta(days=31))
    assert await _bound_to(world) == carol  # the first binding expired
    async with world.services.database.write() as session:
        await enrolment.update_program(session, await hq_principal(session, world), touch="LAST")
    await bind(world, alice, now=now + timedelta(days=32))
    assert await _bound_to(world) == alice
    async with world.services.database.read() as session:
        assert (await attribution.bound_salesperson(session, world.tenant_id, world.customer_ids["bob"], now + timedelta(days=100))) is None


async def test_jobs_settle_once_and_upgrade_with_an_audit_event(world):
    seller = await enrol(world)
    async with world.services.database.write() as session:
        session.add(CommissionRule(tenant_id=world.tenant_id, mode="RATE", rate_bp=1000))
        await enrolment.update_program(session, await hq_principal(session, world), upgrade_orders=2)
    async with world.services.database.write() as session:
        orders = [await _make_order(session, world, seller, 5000) for _ in range(2)]
        for order_id in orders:
            await commission.accrue_order(session, world.tenant_id, order_id, utc_now())
            await commission.schedule_settlement(session, world.tenant_id, order_id, utc_now() - timedelta(days=8))
    first = await jobs.run_once(world.services.database)
    second = await jobs.run_once(world.services.database)
    assert first["settled"] >= 2 and first["upgraded"] >= 1
    async with world.services.database.read() as session:
        assert (await commission.earnings(session, world.tenant_id, seller))["withdrawable"] == 1000
        assert (await session.get(Salesperson, seller)).level == 2
        audit = (await session.scalars(select(DomainEventRecord).where(
            DomainEventRecord.tenant_id == world.tenant_id, DomainEventRecord.type == "salesperson.level_changed"))).all()
    assert [(a.aggregate_id, a.payload["to_level"]) for a in audit] == [(seller, 2)]
    assert second["upgraded"] == 0 or second["upgraded"] < first["upgraded"]
    async with world.services.database.read() as session:  # the second run moved nothing of ours
        assert (await commission.earnings(session, world.tenant_id, seller))["withdrawable"] == 1000
    await ledger_ok(world)


async def test_partial_refunds_reverse_pro_rata_and_cumulatively(world):
    seller = await enrol(world)
    async with world.services.database.write() as session:
        session.add(CommissionRule(tenant_id=world.tenant_id, mode="RATE", rate_bp=1000))
    async with world.services.database.write() as session:
        order_id = await _make_order(session, world, seller, 9999)
        await commission.accrue_order(session, world.tenant_id, order_id, utc_now())  # 999 fen
        assert await commission.reverse_order_share(session, world.tenant_id, order_id, 3333, 9999, utc_now()) == 333
        assert await commission.reverse_order_share(session, world.tenant_id, order_id, 3333, 9999, utc_now()) == 0  # replay
        assert await commission.reverse_order_share(session, world.tenant_id, order_id, 9999, 9999, utc_now()) == 666
        row = await session.scalar(select(CommissionAccrual).where(CommissionAccrual.order_id == order_id))
        assert (row.reversed_fen, row.state) == (999, "REVERSED")
    await ledger_ok(world)


async def test_team_performance_counts_the_leader_and_downlines(world):
    async with world.services.database.write() as session:
        await enrolment.update_program(session, await hq_principal(session, world), upline_levels=2)
    leader = await enrol(world, "alice", kind="LEADER")
    carol = await add_customer(world, "carol", "+8613800000003")
    async with world.services.database.write() as session:
        from auth.roles import Principal

        _, token = await enrolment.create_invite(session, Principal.customer(world.tenant_id, world.customer_ids["alice"]), store_id=None,
                                                 kind="DISTRIBUTOR", uses=1, ttl_hours=1)
        member = (await enrolment.accept_invite(session, world.tenant_id, carol, token)).id
        await _make_order(session, world, leader, 1000)
        await _make_order(session, world, member, 3000)
        await _make_order(session, world, member, 2000)
    async with world.services.database.read() as session:
        me = Principal.customer(world.tenant_id, world.customer_ids["alice"])
        team = await reports.performance(session, me, utc_now() - timedelta(days=400), utc_now() + timedelta(days=1), leader_id=leader)
        assert (team.orders, team.gmv_fen, team.salespeople_with_sales, team.active_salespeople, team.revenue_per_active_fen) == (3, 6000, 2, 2, 3000)
        assert [(r.salesperson_id, r.orders) for r in team.ranking] == [(member, 2), (leader, 1)]
        bob = Principal.customer(world.tenant_id, world.customer_ids["bob"])
        try:
            await reports.performance(session, bob, utc_now() - timedelta(days=1), utc_now(), leader_id=leader)
            raise AssertionError("a stranger saw the team")
        except Exception as exc:  # noqa: BLE001
            assert getattr(exc, "code", None) is not None and exc.code.name == "PERMISSION_DENIED"
