"""Money a provider took is applied to its order or queued for refund, never dropped
(hardening issue, item 6): the cases the old rules lost, and two payments racing."""
from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import select

from commerce.models import Order
from core.clock import utc_now
from payments.models import Payment
from payments.provider import CallbackEvent
from payments.service import apply_callback, refund_id_of, refund_late_payments
from tests.api import gql_documents as docs
from tests.api.helpers import place_order, send_callback
from tests.worlds import build_world


async def _started(client, world) -> tuple[str, str, int]:
    order = (await place_order(client, world, {"bread": 2}, fulfilment="STORE_PICKUP"))["order"]
    body = await world.gql(client, docs.PAY, {"order": order["id"], "key": f"pay-{uuid.uuid4()}"}, token=world.customer_token())
    payload = body["data"]["orderPay"]["clientPayload"]
    return order["id"], payload["providerRef"], payload["amount"]


async def _payment(database, ref) -> Payment:
    async with database.read() as session:
        return await session.scalar(select(Payment).where(Payment.provider_ref == ref))


async def test_a_success_after_a_failure_pays_the_order(client, world, database):
    _, ref, amount = await _started(client, world)
    failed = await send_callback(client, world, ref, amount, status="FAILED")
    assert failed.json()["outcome"] == "FAILED"
    late_success = await send_callback(client, world, ref, amount)
    assert late_success.json()["outcome"] == "PAID"
    assert (await _payment(database, ref)).status == "SUCCEEDED"
    # and a failure notice after the money arrived does not undo it
    again = await send_callback(client, world, ref, amount, status="FAILED")
    assert again.json()["outcome"] == "IGNORED_SUCCEEDED"
    async with database.read() as session:
        status = await session.scalar(select(Order.status).join(Payment, Payment.order_id == Order.id).where(Payment.provider_ref == ref))
    assert status == "PAID"


async def test_money_taken_in_the_wrong_amount_is_refunded_in_full(client, world, database, services):
    _, ref, amount = await _started(client, world)
    wrong = await send_callback(client, world, ref, amount - 1)
    assert wrong.json()["outcome"] == "AMOUNT_MISMATCH"
    payment = await _payment(database, ref)
    assert (payment.status, payment.captured_fen) == ("REFUND_REQUIRED", amount - 1)
    await refund_late_payments(database, services.payments, utc_now())
    assert (await _payment(database, ref)).status == "REFUNDED"
    assert services.payments.get("SANDBOX").refunds[refund_id_of(payment)] == (ref, amount - 1)


async def test_two_payments_of_one_order_succeeding_at_once_pay_it_once_and_refund_the_other(client, database, services):
    world = await build_world(database, services, stock=100)
    for _ in range(8):  # several rounds, so the callbacks really interleave on PostgreSQL
        _, ref, amount = await _started(client, world)
        first = await _payment(database, ref)
        async with database.write() as session:
            second = Payment(tenant_id=first.tenant_id, order_id=first.order_id, provider=first.provider,
                             provider_ref=f"sbx_race_{uuid.uuid4().hex[:12]}", amount_fen=amount, currency=first.currency)
            session.add(second)
        events = [CallbackEvent(f"evt-{uuid.uuid4()}", r, "SUCCEEDED", amount) for r in (ref, second.provider_ref)]
        outcomes = await asyncio.wait_for(
            asyncio.gather(*(apply_callback(database, "SANDBOX", e, utc_now()) for e in events)), timeout=60
        )
        assert sorted(outcomes) == ["PAID", "REFUND_REQUIRED"]
        statuses = sorted([(await _payment(database, ref)).status, (await _payment(database, second.provider_ref)).status])
        assert statuses == ["REFUND_REQUIRED", "SUCCEEDED"]
