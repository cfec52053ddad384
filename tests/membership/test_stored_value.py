"""Stored value: top-ups through the provider, paying orders, refunds in the right parts,
principal refunds to the original method, adjustments, and no overdraft under 50 concurrent
payments."""
from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import select

from commerce.order_status import ActorType, OrderStatus
from core.clock import utc_now
from core.errors import DomainError
from ledger.models import LedgerTransaction
from membership import stored_value
from membership.models import Member, StoredValueCharge, TopUp
from membership.order_payments import pay_order
from auth.roles import Principal
from tests.api import gql_documents as docs
from tests.api.helpers import send_callback
from tests.membership.helpers import balances, join, ledger_ok, move, order_row, pickup_order, sandbox, top_up


async def test_top_up_through_the_provider_callback_credits_principal_and_bonus_once(client, database, world):
    member_id = await join(world)
    provider = sandbox(world)
    async with database.write() as session:
        member = await session.get(Member, member_id)
        plan = await stored_value.add_plan(session, world.tenant_id, "pay 100 get 120", 10000, 2000, utc_now())
        top, intent = await stored_value.start_top_up(session, provider, member, plan.id, "k1", utc_now())
        again, no_intent = await stored_value.start_top_up(session, provider, member, plan.id, "k1", utc_now())
    assert again.id == top.id and no_intent is None and intent.client_payload["amount"] == 10000
    first = await send_callback(client, world, top.provider_ref, 10000, event_id="tu-1")
    second = await send_callback(client, world, top.provider_ref, 10000, event_id="tu-2")
    assert first.json()["outcome"] == "TOP_UP_CREDITED", first.text
    assert second.json()["outcome"] == "IGNORED_TOP_UP_SUCCEEDED"
    assert await balances(world, member_id) == (10000, 2000)
    assert await ledger_ok(world)


async def test_wrong_amount_credits_nothing(client, database, world):
    member_id = await join(world)
    async with database.write() as session:
        plan = await stored_value.add_plan(session, world.tenant_id, "p", 10000, 2000, utc_now())
        top, _ = await stored_value.start_top_up(session, sandbox(world), await session.get(Member, member_id), plan.id, "k", utc_now())
    assert (await send_callback(client, world, top.provider_ref, 1)).json()["outcome"] == "TOP_UP_AMOUNT_MISMATCH"
    assert await balances(world, member_id) == (0, 0)


async def _pay(world, order_id, key="pay-1"):
    async with world.services.database.write() as session:
        return await pay_order(session, Principal.customer(world.tenant_id, world.customer_ids["alice"]), order_id, key, utc_now())


async def test_pay_an_order_with_balance_and_refund_returns_the_same_parts(client, database, world):
    member_id = await join(world)
    await top_up(world, member_id, 10000, 2000)
    order_id = await pickup_order(client, world, {"bread": 3})  # 2700 fen
    paid = await _pay(world, order_id)
    again = await _pay(world, order_id)  # a retry with the same key: no second charge
    assert paid.status == again.status == "PAID"
    async with database.read() as session:
        charge = await session.scalar(select(StoredValueCharge).where(StoredValueCharge.order_id == order_id))
    # PROPORTIONAL (the default): 2700 x 2000/12000 = 450 bonus, 2250 principal.
    assert (charge.principal_fen, charge.bonus_fen) == (2250, 450)
    assert await balances(world, member_id) == (10000 - 2250, 2000 - 450)
    body = await world.gql(client, docs.REFUND, {"order": world.gid("Order", order_id)}, token=world.staff_token("manager_a"))
    assert body["data"]["orderRefund"]["order"]["status"] == "REFUNDED", body
    assert await balances(world, member_id) == (10000, 2000)
    assert await ledger_ok(world)


async def test_short_balance_charges_nothing_and_leaves_the_order_unpaid(client, database, world):
    member_id = await join(world)
    await top_up(world, member_id, 1000, 0)
    order_id = await pickup_order(client, world, {"bread": 2})
    with pytest.raises(DomainError) as error:
        await _pay(world, order_id)
    assert error.value.code.value == "INSUFFICIENT_BALANCE"
    assert (await order_row(world, order_id)).status == "UNPAID"
    assert await balances(world, member_id) == (1000, 0)


@pytest.mark.parametrize("rule,expected", [("PRINCIPAL_FIRST", (900, 0)), ("BONUS_FIRST", (400, 500)), ("PROPORTIONAL", (600, 300))])
async def test_spending_order_is_the_brand_rule(database, world, rule, expected):
    member_id = await join(world, spend_order=rule)
    await top_up(world, member_id, 1000, 500)
    async with database.write() as session:
        member = await session.get(Member, member_id)
        charge = await stored_value.spend(session, member, 900, store_id=world.store_ids["a"], order_id=None,
                                          idempotency_key="s", actor=("staff", 1), now=utc_now())
    assert (charge.principal_fen, charge.bonus_fen) == expected


async def test_partial_refunds_add_up_to_the_charge_exactly(database, world):
    member_id = await join(world)
    await top_up(world, member_id, 700, 300)
    async with database.write() as session:
        member = await session.get(Member, member_id)
        charge = await stored_value.spend(session, member, 999, store_id=world.store_ids["a"], order_id=None,
                                          idempotency_key="s", actor=("staff", 1), now=utc_now())
        parts = [await stored_value.refund_charge(session, charge, amount, actor=("staff", 1), now=utc_now()) for amount in (333, 1, 665)]
        with pytest.raises(DomainError):
            await stored_value.refund_charge(session, charge, 1, actor=("staff", 1), now=utc_now())
    assert sum(p for p, _ in parts) == charge.principal_fen and sum(b for _, b in parts) == charge.bonus_fen
    assert await balances(world, member_id) == (700, 300)
    assert await ledger_ok(world)


async def test_principal_refunds_go_to_the_provider_and_never_exceed_what_was_paid(database, world):
    member_id = await join(world)
    provider = sandbox(world)
    top_id = await top_up(world, member_id, 10000, 2000, provider)
    async with database.write() as session:
        top = await session.get(TopUp, top_id)
        await stored_value.refund_principal(session, provider, top, 6000, idempotency_key="r1", actor=("staff", 9), now=utc_now())
        await stored_value.refund_principal(session, provider, top, 6000, idempotency_key="r1", actor=("staff", 9), now=utc_now())  # retry
        with pytest.raises(DomainError) as error:
            await stored_value.refund_principal(session, provider, top, 4001, idempotency_key="r2", actor=("staff", 9), now=utc_now())
        assert error.value.code.value == "REFUND_EXCEEDS_PAID"
    assert list(provider.refunds.values()) == [(top.provider_ref, 6000)]
    assert await balances(world, member_id) == (4000, 2000)  # bonus is not paid out
    assert await ledger_ok(world)


async def test_adjustments_need_a_reason_and_record_the_actor(database, world):
    member_id = await join(world)
    async with database.write() as session:
        member = await session.get(Member, member_id)
        with pytest.raises(DomainError):
            await stored_value.adjust(session, member, "BONUS", 500, reason=" ", idempotency_key="a0", actor=("staff", 7), now=utc_now())
        await stored_value.adjust(session, member, "BONUS", 500, reason="goodwill", idempotency_key="a1", actor=("staff", 7), now=utc_now())
        with pytest.raises(DomainError) as error:
            await stored_value.adjust(session, member, "PRINCIPAL", -1, reason="x", idempotency_key="a2", actor=("staff", 7), now=utc_now())
        assert error.value.code.value == "INSUFFICIENT_BALANCE"
        tx = await session.scalar(select(LedgerTransaction).where(LedgerTransaction.tenant_id == world.tenant_id, LedgerTransaction.kind == "sv.adjustment"))
    assert (tx.actor_type, tx.actor_id, tx.memo) == ("staff", 7, "goodwill")
    assert await balances(world, member_id) == (0, 500)


async def test_fifty_concurrent_payments_never_overdraw(database, world, backend):
    """10,000 fen (8,000 principal + 2,000 bonus); 50 payments of 300 at once: exactly 33 go through."""
    member_id = await join(world)
    await top_up(world, member_id, 8000, 2000)

    async def pay(i: int) -> bool:
        try:
            async with database.write() as session:
                member = await session.get(Member, member_id)
                await stored_value.spend(session, member, 300, store_id=world.store_ids["a"], order_id=None,
                                         idempotency_key=f"c{i}", actor=("api_key", 1), now=utc_now())
            return True
        except DomainError as exc:
            assert exc.code.value == "INSUFFICIENT_BALANCE"
            return False

    results = await asyncio.gather(*(pay(i) for i in range(50)))
    principal, bonus = await balances(world, member_id)
    assert sum(results) == 33
    assert principal >= 0 and bonus >= 0 and principal + bonus == 10000 - 33 * 300
    async with database.read() as session:
        charges = (await session.scalars(select(StoredValueCharge).where(StoredValueCharge.member_id == member_id))).all()
    assert sum(c.principal_fen for c in charges) == 8000 - principal and sum(c.bonus_fen for c in charges) == 2000 - bonus
    assert await ledger_ok(world)
