"""Attack: every order of signed payment callbacks a provider (or someone replaying one) can
send, mixed with the order expiring or being cancelled, for an order with two payments.

The invariant, checked after every step: money a provider took (a SUCCEEDED callback) is
either the order's applied payment or a payment queued for refund (REFUND_REQUIRED, or
REFUNDED once given back), never both and never neither; and after the refund sweep every
queued payment was given back exactly what was taken.
"""
from __future__ import annotations

import itertools
import random
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select, update

from commerce.models import Order
from commerce.orders import expire_unpaid_orders
from core.clock import utc_now
from payments.models import Payment
from payments.service import refund_id_of, refund_late_payments
from tests.api import gql_documents as docs
from tests.api.helpers import place_order, send_callback
from tests.worlds import build_world

# S: success for the right amount, W: success for a wrong amount, F: failure; 1 and 2 name
# the order's two payments. DUP resends the previous callback (same event id), EXPIRE lets the
# unpaid-order sweep run past the order's TTL, CANCEL is the customer's orderCancel.
STEPS = ("S1", "W1", "F1", "S2", "W2", "F2", "DUP", "EXPIRE", "CANCEL")
PAID_STATUSES = {"PAID", "PICKING", "READY", "DELIVERING", "AWAITING_PICKUP", "COMPLETED"}


def sequences() -> list[tuple[str, ...]]:
    every_pair = list(itertools.product(STEPS, repeat=2))  # invariant checked after each step: covers singles too
    rng = random.Random(20261206)  # fixed: a failure names a sequence that reproduces
    longer = [tuple(rng.choice(STEPS) for _ in range(rng.randint(3, 5))) for _ in range(20)]
    return every_pair + longer


@dataclass
class Scenario:
    order_gid: str
    order_id: int
    amount: int
    refs: dict[str, str]  # "1"/"2" -> provider_ref
    taken: dict[str, int] = field(default_factory=dict)  # payment -> amount of its first success
    last: tuple | None = None


async def _scenario(client, world, database) -> Scenario:
    order = (await place_order(client, world, {"bread": 1}, fulfilment="STORE_PICKUP"))["order"]
    body = await world.gql(client, docs.PAY, {"order": order["id"], "key": f"pay-{uuid.uuid4()}"}, token=world.customer_token())
    payload = body["data"]["orderPay"]
    assert payload["errors"] == [], payload
    ref1, amount = payload["clientPayload"]["providerRef"], payload["clientPayload"]["amount"]
    async with database.write() as session:
        first = await session.scalar(select(Payment).where(Payment.provider_ref == ref1))
        # A second payment of the same order, as orderPay makes after a failed attempt or
        # through a second provider; both may end up taking money.
        second = Payment(
            tenant_id=first.tenant_id, order_id=first.order_id, provider=first.provider,
            provider_ref=f"sbx_second_{uuid.uuid4().hex[:12]}", amount_fen=amount, currency=first.currency,
        )
        session.add(second)
        await session.flush()
        return Scenario(order["id"], first.order_id, amount, {"1": ref1, "2": second.provider_ref})


async def _step(client, world, database, scenario: Scenario, step: str) -> None:
    if step == "EXPIRE":
        async with database.write() as session:
            await session.execute(update(Order).where(Order.id == scenario.order_id).values(expires_at=utc_now() - timedelta(seconds=1)))
            await expire_unpaid_orders(session, utc_now())
        return
    if step == "CANCEL":
        await world.gql(client, docs.CANCEL, {"order": scenario.order_gid}, token=world.customer_token())
        return
    if step == "DUP":
        if scenario.last is None:
            return
        ref, amount, status, event_id = scenario.last
    else:
        kind, which = step[0], step[1]
        ref = scenario.refs[which]
        amount = scenario.amount + 1 if kind == "W" else scenario.amount
        status = "FAILED" if kind == "F" else "SUCCEEDED"
        event_id = f"evt-{uuid.uuid4()}"
        if status == "SUCCEEDED":
            scenario.taken.setdefault(which, amount)  # a provider takes a payment at most once
    response = await send_callback(client, world, ref, amount, event_id=event_id, status=status)
    assert response.status_code == 200, response.text  # a 5xx would leave the money to the provider's retries
    scenario.last = (ref, amount, status, event_id)


async def _check(database, refunds: dict, scenario: Scenario, sequence, *, swept: bool) -> None:
    async with database.read() as session:
        order = await session.get(Order, scenario.order_id)
        payments = {which: await session.scalar(select(Payment).where(Payment.provider_ref == ref)) for which, ref in scenario.refs.items()}
    where = f"after {sequence}: order {order.status}, payments " + ", ".join(f"{w}={p.status}" for w, p in payments.items())
    applied = [w for w, p in payments.items() if p.status == "SUCCEEDED"]
    assert len(applied) == (1 if order.status in PAID_STATUSES else 0), where
    for which, payment in payments.items():
        refunded = refunds.get(refund_id_of(payment))
        if which not in scenario.taken:
            assert payment.status in ("PENDING", "FAILED") and refunded is None, where
            continue
        taken = scenario.taken[which]
        assert payment.captured_fen == taken, where
        if payment.status == "SUCCEEDED":  # applied: paid the order, for its total, and not refunded
            assert taken == order.total_fen and order.status in PAID_STATUSES and refunded is None, where
        else:  # queued for refund or refunded: never also the order's payment
            assert payment.status in (("REFUNDED",) if swept else ("REFUND_REQUIRED", "REFUNDED")), where
            if payment.status == "REFUNDED":
                assert refunded == (payment.provider_ref, taken), where


async def test_every_callback_sequence_applies_or_queues_the_money(client, database, services):
    world = await build_world(database, services, stock=500)
    sandbox = services.payments.get("SANDBOX")
    for sequence in sequences():
        scenario = await _scenario(client, world, database)
        for done, step in enumerate(sequence, start=1):
            await _step(client, world, database, scenario, step)
            await _check(database, sandbox.refunds, scenario, sequence[:done], swept=False)
        while await refund_late_payments(database, services.payments, utc_now()):
            pass  # the sweep, until nothing is due
        await _check(database, sandbox.refunds, scenario, sequence, swept=True)
