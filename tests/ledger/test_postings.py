"""The shared ledger: balanced postings, no overdraft under concurrency, idempotency, reversals."""
from __future__ import annotations

import asyncio
import uuid

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from ledger import InsufficientFunds, Leg, UnbalancedTransaction, account, balance, post, reverse
from ledger.checks import verify
from ledger.errors import IdempotencyConflict


async def _accounts(session, tenant_id, owner_id=None):
    owner_id = owner_id or uuid.uuid4().int % 10**9
    cash = await account(session, tenant_id, "test.cash", "brand", tenant_id, allow_negative=True)
    wallet = await account(session, tenant_id, "test.wallet", "member", owner_id)
    return cash, wallet


async def test_posting_moves_balances_and_records_entries(database, world):
    async with database.write() as session:
        cash, wallet = await _accounts(session, world.tenant_id)
        await post(session, world.tenant_id, "topup", [Leg(cash, -12000), Leg(wallet, 12000)], idempotency_key="t1")
        await post(session, world.tenant_id, "spend", [Leg(wallet, -4550), Leg(cash, 4550)], idempotency_key="s1")
    async with database.read() as session:
        assert await balance(session, wallet) == 7450
        assert await balance(session, cash) == -7450
        assert (await verify(session, world.tenant_id)).ok


async def test_unbalanced_and_non_integer_legs_are_refused(database, world):
    async with database.write() as session:
        cash, wallet = await _accounts(session, world.tenant_id)
        with pytest.raises(UnbalancedTransaction):
            await post(session, world.tenant_id, "x", [Leg(cash, -100), Leg(wallet, 99)], idempotency_key="u1")
        with pytest.raises(UnbalancedTransaction):
            await post(session, world.tenant_id, "x", [Leg(cash, -1.5), Leg(wallet, 1.5)], idempotency_key="u2")
        with pytest.raises(UnbalancedTransaction):
            await post(session, world.tenant_id, "x", [], idempotency_key="u3")


async def test_overdraft_is_refused_and_nothing_moves(database, world):
    async with database.write() as session:
        cash, wallet = await _accounts(session, world.tenant_id)
        await post(session, world.tenant_id, "topup", [Leg(cash, -100), Leg(wallet, 100)], idempotency_key="o1")
    with pytest.raises(InsufficientFunds):
        async with database.write() as session:
            await post(session, world.tenant_id, "spend", [Leg(wallet, -101), Leg(cash, 101)], idempotency_key="o2")
    async with database.read() as session:
        assert await balance(session, wallet) == 100
        assert (await verify(session, world.tenant_id)).ok


async def test_same_key_returns_the_first_posting_and_other_legs_conflict(database, world):
    async with database.write() as session:
        cash, wallet = await _accounts(session, world.tenant_id)
        first = await post(session, world.tenant_id, "topup", [Leg(cash, -500), Leg(wallet, 500)], idempotency_key="k")
        again = await post(session, world.tenant_id, "topup", [Leg(cash, -500), Leg(wallet, 500)], idempotency_key="k")
        assert again.id == first.id
        with pytest.raises(IdempotencyConflict):
            await post(session, world.tenant_id, "topup", [Leg(cash, -501), Leg(wallet, 501)], idempotency_key="k")
        assert await balance(session, wallet) == 500


async def test_reversal_is_a_new_transaction_and_happens_once(database, world):
    async with database.write() as session:
        cash, wallet = await _accounts(session, world.tenant_id)
        tx = await post(session, world.tenant_id, "topup", [Leg(cash, -300), Leg(wallet, 300)], idempotency_key="r1")
        back = await reverse(session, world.tenant_id, tx.id, idempotency_key="r1-back")
        assert back.id != tx.id and back.reverses_id == tx.id
        assert await balance(session, wallet) == 0
    with pytest.raises(Exception):  # unique reverses_id: a second reversal under another key is refused
        async with database.write() as session:
            await reverse(session, world.tenant_id, tx.id, idempotency_key="r1-back-again")


async def test_accounts_of_another_tenant_cannot_be_posted_to(database, world, services):
    from tests.worlds import build_world

    other = await build_world(database, services)
    async with database.write() as session:
        cash, _ = await _accounts(session, world.tenant_id)
        _, foreign_wallet = await _accounts(session, other.tenant_id)
        with pytest.raises(UnbalancedTransaction):
            await post(session, world.tenant_id, "steal", [Leg(cash, -1), Leg(foreign_wallet, 1)], idempotency_key="x")


async def test_fifty_concurrent_spends_never_overdraw(database, world, backend):
    """50 callers each spend 300 fen from a 10,000 fen wallet at once: exactly 33 succeed."""
    async with database.write() as session:
        cash, wallet = await _accounts(session, world.tenant_id)
        await post(session, world.tenant_id, "topup", [Leg(cash, -10000), Leg(wallet, 10000)], idempotency_key="c0")

    async def spend(i: int) -> bool:
        try:
            async with database.write() as session:
                await post(session, world.tenant_id, "spend", [Leg(wallet, -300), Leg(cash, 300)], idempotency_key=f"c{i + 1}")
            return True
        except InsufficientFunds:
            return False

    results = await asyncio.gather(*(spend(i) for i in range(50)))
    assert sum(results) == 33
    async with database.read() as session:
        assert await balance(session, wallet) == 10000 - 33 * 300
        assert (await verify(session, world.tenant_id)).ok


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(moves=st.lists(st.integers(min_value=-5000, max_value=5000).filter(bool), min_size=1, max_size=15))
async def test_balance_always_equals_the_sum_of_entries(database, world, moves):
    owner = uuid.uuid4().int % 10**9
    accepted = 0
    for i, amount in enumerate(moves):
        try:
            async with database.write() as session:
                cash, wallet = await _accounts(session, world.tenant_id, owner)
                await post(session, world.tenant_id, "move", [Leg(wallet, amount), Leg(cash, -amount)], idempotency_key=f"p{owner}-{i}")
            accepted += amount
        except InsufficientFunds:
            assert accepted + amount < 0
    async with database.read() as session:
        cash, wallet = await _accounts(session, world.tenant_id, owner)
        assert await balance(session, wallet) == accepted >= 0
        assert (await verify(session, world.tenant_id)).ok
