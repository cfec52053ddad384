"""The store counter (member code or mobile, charge, earn, redeem; guesses bounded) and the
member-base import (all rows or none, idempotent)."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from auth.roles import Principal
from core.clock import utc_now
from core.errors import DomainError
from membership import counter, members
from membership.importer import import_members
from membership.models import Member
from tests.membership.helpers import balances, join, ledger_ok, points_of, top_up

PEPPER = b"test-pepper"


async def _principal(database, world, key="clerk_a") -> Principal:
    from auth.roles import RoleGrant
    from store_network.models import NetworkNode, StaffRoleGrant

    async with database.read() as session:
        rows = (await session.execute(
            select(StaffRoleGrant.role, NetworkNode.id, NetworkNode.path)
            .join(NetworkNode, NetworkNode.id == StaffRoleGrant.node_id)
            .where(StaffRoleGrant.staff_id == world.staff_ids[key])
        )).all()
    return Principal.staff(world.tenant_id, world.staff_ids[key], tuple(RoleGrant(role, node, path) for role, node, path in rows))


async def test_counter_finds_the_member_by_code_once_and_charges(database, world):
    member_id = await join(world)
    await top_up(world, member_id, 5000, 1000)
    clerk = await _principal(database, world)
    async with database.write() as session:
        code, _ = await counter.issue_code(session, await session.get(Member, member_id), PEPPER, utc_now())
    async with database.write() as session:
        found = await counter.lookup_by_code(session, clerk, world.store_ids["a"], code, PEPPER, utc_now())
        assert found.id == member_id
    async with database.write() as session:
        with pytest.raises(DomainError) as error:  # single use
            await counter.lookup_by_code(session, clerk, world.store_ids["a"], code, PEPPER, utc_now())
        assert error.value.code.value == "CODE_INVALID"
        by_mobile = await counter.lookup_by_mobile(session, clerk, world.store_ids["a"], "138 0000 0001")
        assert by_mobile.id == member_id
        charge = await counter.charge(session, clerk, world.store_ids["a"], member_id, 1200, "pos-1", utc_now())
        assert charge.order_id is None and charge.actor_type == "staff"
        award = await counter.earn(session, clerk, world.store_ids["a"], member_id, [(world.category_id, 1200)], "pos-1", utc_now())
        assert award.points == 12
        redeemed = await counter.redeem(session, clerk, world.store_ids["a"], member_id, 10, 1000, "pos-2", utc_now())
        assert redeemed.fen == 10
    assert await balances(world, member_id) == (5000 - 1000, 1000 - 200)
    assert await points_of(world, member_id) == (2, 2)
    assert await ledger_ok(world)


async def test_staff_of_another_store_cannot_use_the_counter(database, world):
    member_id = await join(world)
    clerk = await _principal(database, world)
    async with database.write() as session:
        with pytest.raises(DomainError) as error:
            await counter.charge(session, clerk, world.store_ids["c"], member_id, 100, "x", utc_now())
        assert error.value.code.value == "PERMISSION_DENIED"
        with pytest.raises(DomainError):
            await counter.charge(session, Principal.customer(world.tenant_id, world.customer_ids["alice"]), world.store_ids["a"], member_id, 100, "y", utc_now())


async def test_code_guessing_is_bounded_even_for_the_right_code(database, world):
    member_id = await join(world)
    clerk = await _principal(database, world)
    for i in range(counter.LOOKUP_LIMIT):
        async with database.write() as session:
            with pytest.raises(DomainError):
                await counter.lookup_by_code(session, clerk, world.store_ids["a"], f"{i:018d}", PEPPER, utc_now())
    async with database.write() as session:
        code, _ = await counter.issue_code(session, await session.get(Member, member_id), PEPPER, utc_now())
    async with database.write() as session:
        with pytest.raises(DomainError) as error:
            await counter.lookup_by_code(session, clerk, world.store_ids["a"], code, PEPPER, utc_now())
        assert error.value.code.value == "TOO_MANY_ATTEMPTS"


CSV_OK = "mobile,name,level,points,balance\n13900000001,Wang,GOLD,120,88.50\n13900000002,Li,,0,0\n+8613800000001,alice,,5,1\n"


async def test_import_is_all_or_nothing_and_idempotent(database, world):
    async with database.write() as session:
        await members.add_level(session, world.tenant_id, code="GOLD", name="Gold", rank=1, threshold=5000)
    bad = CSV_OK + "12345,Bad,PLATINUM,-1,1.234\n13900000001,Dup,,0,0\n"
    async with database.write() as session:
        result = await import_members(session, world.tenant_id, bad, actor=("staff", 1), now=utc_now())
    assert result.imported == 0
    assert {(e.row, e.field) for e in result.errors} == {(4, "mobile"), (4, "level"), (4, "points"), (4, "balance"), (5, "mobile")}
    async with database.read() as session:
        assert await session.scalar(select(func.count()).select_from(Member).where(Member.tenant_id == world.tenant_id)) == 0
    for attempt in range(2):
        async with database.write() as session:
            result = await import_members(session, world.tenant_id, CSV_OK, actor=("staff", 1), now=utc_now())
        assert (result.imported, result.already_imported) == ((3, False) if attempt == 0 else (0, True))
    async with database.read() as session:
        wang = await counter.lookup_by_mobile(session, await _principal(database, world), world.store_ids["a"], "13900000001")
        alice = await members.member_of(session, world.tenant_id, world.customer_ids["alice"])
        assert (await members.level_of(session, wang)).code == "GOLD"
    assert await balances(world, wang.id) == (8850, 0)
    assert await points_of(world, wang.id) == (120, 120)
    assert await balances(world, alice.id) == (100, 0)
    assert await ledger_ok(world)


async def test_a_counter_charge_replayed_from_another_store_is_refused(database, world):
    member_id = await join(world)
    await top_up(world, member_id, 5000, 0)
    hq = await _principal(database, world, "hq")  # may take orders at every store
    async with database.write() as session:
        first = await counter.charge(session, hq, world.store_ids["a"], member_id, 1200, "till-7", utc_now())
    async with database.write() as session:  # the same till retrying: the same charge
        assert (await counter.charge(session, hq, world.store_ids["a"], member_id, 1200, "till-7", utc_now())).id == first.id
    async with database.write() as session:
        with pytest.raises(DomainError) as error:
            await counter.charge(session, hq, world.store_ids["c"], member_id, 1200, "till-7", utc_now())
        assert error.value.code.value == "IDEMPOTENCY_CONFLICT"
    assert await balances(world, member_id) == (5000 - 1200, 0)


async def test_counter_points_replayed_from_another_store_are_refused(database, world):
    member_id = await join(world)
    hq = await _principal(database, world, "hq")
    a, c = world.store_ids["a"], world.store_ids["c"]
    async with database.write() as session:
        earned = await counter.earn(session, hq, a, member_id, [(world.category_id, 5000)], "till-8", utc_now())
        assert (await counter.earn(session, hq, a, member_id, [(world.category_id, 5000)], "till-8", utc_now())).id == earned.id
        redeemed = await counter.redeem(session, hq, a, member_id, 10, 5000, "till-9", utc_now())
        assert (await counter.redeem(session, hq, a, member_id, 10, 5000, "till-9", utc_now())).id == redeemed.id
    for call in (lambda s: counter.earn(s, hq, c, member_id, [(world.category_id, 5000)], "till-8", utc_now()),
                 lambda s: counter.redeem(s, hq, c, member_id, 10, 5000, "till-9", utc_now())):
        async with database.write() as session:
            with pytest.raises(DomainError) as error:
                await call(session)
            assert error.value.code.value == "IDEMPOTENCY_CONFLICT"
    assert await points_of(world, member_id) == (40, 40)
