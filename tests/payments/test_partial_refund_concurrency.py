"""Ten partial refunds racing on one payment never reserve more than was captured (the
conditional UPDATE on payment.refunded_fen is the check), and ten racing with one key make one refund."""
from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import func, select

from core.errors import DomainError
from payments.models import Payment, PaymentRefund
from payments.refunds import reserve_refund
from tests.api.helpers import pay, place_order


async def _captured_payment(client, world, database) -> Payment:
    order = (await place_order(client, world, {"bread": 3}, fulfilment="STORE_PICKUP"))["order"]
    await pay(client, world, order["id"])
    async with database.read() as session:
        return await session.scalar(select(Payment).where(Payment.tenant_id == world.tenant_id, Payment.status == "SUCCEEDED")
                                    .order_by(Payment.id.desc()))


async def _try(database, payment_id: int, key: str, amount: int) -> str:
    try:
        async with database.write() as session:
            payment = await session.get(Payment, payment_id)
            _, created = await reserve_refund(session, payment, key=key, amount_fen=amount, reason="race")
            return "CREATED" if created else "REPLAYED"
    except DomainError as exc:
        return exc.code.value


async def test_ten_concurrent_partial_refunds_never_exceed_what_was_paid(client, world, database):
    payment = await _captured_payment(client, world, database)
    assert payment.captured_fen == 2700
    amount = 700  # ten of these would be 7000: at most three fit in 2700
    outcomes = await asyncio.wait_for(asyncio.gather(
        *(_try(database, payment.id, f"race-{uuid.uuid4()}", amount) for _ in range(10))), timeout=60)
    assert sorted(outcomes) == ["CREATED"] * 3 + ["ORDER_NOT_REFUNDABLE"] * 7
    async with database.read() as session:
        refunded = await session.scalar(select(Payment.refunded_fen).where(Payment.id == payment.id))
        rows = await session.scalar(select(func.sum(PaymentRefund.amount_fen)).where(PaymentRefund.payment_id == payment.id))
    assert refunded == rows == 2100 <= payment.captured_fen


async def test_ten_concurrent_refunds_with_one_key_make_one_refund(client, world, database):
    payment = await _captured_payment(client, world, database)
    outcomes = await asyncio.wait_for(asyncio.gather(*(_try(database, payment.id, "same-key", 500) for _ in range(10))), timeout=60)
    assert sorted(outcomes) == ["CREATED"] + ["REPLAYED"] * 9
    async with database.read() as session:
        assert await session.scalar(select(Payment.refunded_fen).where(Payment.id == payment.id)) == 500
        assert await session.scalar(select(func.count()).select_from(PaymentRefund).where(PaymentRefund.payment_id == payment.id)) == 1
    # the same key for another amount is refused, not a second refund
    assert await _try(database, payment.id, "same-key", 600) == "IDEMPOTENCY_KEY_REUSED"
