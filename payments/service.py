"""Start payments, apply verified provider callbacks, refund.

A callback is applied at most once: the (provider, event_id) row is inserted first in the
same transaction, so a repeated or concurrent duplicate hits the unique key and is a no-op.
A success for an order that expired meanwhile is never lost: the payment is marked
REFUND_REQUIRED for the refund job instead of silently ignored.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce.order_status import ActorType, OrderStatus
from commerce.orders import apply_transition, load_order_for, transition_by
from core.errors import DomainError
from db.session import Database
from payments.errors import PaymentErrorCode
from payments.models import Payment, PaymentCallbackEvent
from payments.provider import CallbackEvent, PaymentIntent, PaymentProvider

log = logging.getLogger(__name__)


async def start_payment(
    session: AsyncSession, principal: Principal, provider: PaymentProvider, order_id: int
) -> tuple[Payment, PaymentIntent | None]:
    order = await load_order_for(session, principal, order_id, Permission.MANAGE_ORDERS)
    if order.status != OrderStatus.UNPAID.value:
        raise DomainError(PaymentErrorCode.ORDER_NOT_PAYABLE, f"the order is {order.status}", "orderId")
    pending = await session.scalar(
        select(Payment).where(Payment.order_id == order.id, Payment.status == "PENDING", Payment.provider == provider.name)
    )
    if pending is not None:
        return pending, None  # the app reopens the same payment sheet
    intent = provider.create_intent(order_number=order.number, amount_fen=order.total_fen, currency=order.currency)
    payment = Payment(
        tenant_id=order.tenant_id,
        order_id=order.id,
        provider=provider.name,
        provider_ref=intent.provider_ref,
        amount_fen=order.total_fen,
        currency=order.currency,
    )
    session.add(payment)
    await session.flush()
    return payment, intent


async def apply_callback(database: Database, provider_name: str, event: CallbackEvent, now: datetime) -> str:
    """Returns the outcome recorded; 'DUPLICATE' if this event was already processed."""
    try:
        async with database.write() as session:
            record = PaymentCallbackEvent(provider=provider_name, event_id=event.event_id, outcome="PENDING", received_at=now)
            session.add(record)
            await session.flush()
            record.outcome = await _apply(session, provider_name, event, now)
            record_payment = await session.scalar(
                select(Payment.id).where(Payment.provider == provider_name, Payment.provider_ref == event.provider_ref)
            )
            record.payment_id = record_payment
            return record.outcome
    except IntegrityError:
        return "DUPLICATE"


async def _apply(session: AsyncSession, provider_name: str, event: CallbackEvent, now: datetime) -> str:
    payment = await session.scalar(
        select(Payment).where(Payment.provider == provider_name, Payment.provider_ref == event.provider_ref)
    )
    if payment is None:
        return "UNKNOWN_PAYMENT"
    if payment.status != "PENDING":
        return "IGNORED_" + payment.status
    if event.amount_fen != payment.amount_fen:
        payment.status = "FAILED"
        return "AMOUNT_MISMATCH"
    if event.status == "FAILED":
        payment.status = "FAILED"
        return "FAILED"
    from commerce.models import Order  # local: payments -> commerce only on this path

    order = await session.get(Order, payment.order_id)
    if order.status != OrderStatus.UNPAID.value:
        payment.status = "REFUND_REQUIRED"  # money arrived after expiry/cancel: give it back
        return "REFUND_REQUIRED"
    payment.status = "SUCCEEDED"
    await apply_transition(session, order, OrderStatus.PAID, actor=ActorType.SYSTEM, actor_id=None, now=now, reason="payment")
    return "PAID"


async def refund_order(
    session: AsyncSession, principal: Principal, provider: PaymentProvider, order_id: int, now: datetime, reason: str
):
    """Refund a paid order (customer before picking, staff at any later point) and restock."""
    order = await transition_by(session, principal, order_id, OrderStatus.REFUNDED, now=now, reason=reason or "refund")
    payment = await session.scalar(
        select(Payment).where(Payment.order_id == order.id, Payment.status == "SUCCEEDED")
    )
    if payment is not None:
        provider.refund(provider_ref=payment.provider_ref, amount_fen=payment.amount_fen, refund_id=refund_id_of(payment))
        payment.status = "REFUNDED"
    await session.flush()
    return order


def refund_id_of(payment: Payment) -> str:
    """One refund per payment, so the payment's id names it at the provider."""
    return f"refund-{payment.id}"


async def refund_late_payments(database: Database, provider: PaymentProvider, now: datetime, batch: int = 50) -> int:
    """Give back money that arrived for an order already expired or cancelled
    (REFUND_REQUIRED); run by the sweeper and `qiandian sweep-expired`. Each payment is
    refunded in its own transaction, locked (PostgreSQL: rows another process is refunding
    are skipped), and named by refund_id_of: if the provider refunded but our commit was
    lost, the next run's retry is recognised by the provider, not paid twice. A provider
    error leaves the payment REFUND_REQUIRED for the next run. Returns payments refunded."""
    async with database.read() as session:
        ids = list(await session.scalars(
            select(Payment.id).where(Payment.status == "REFUND_REQUIRED", Payment.provider == provider.name)
            .order_by(Payment.id).limit(batch)
        ))
    refunded = 0
    for payment_id in ids:
        try:
            async with database.write() as session:
                payment = await session.scalar(
                    select(Payment).where(Payment.id == payment_id, Payment.status == "REFUND_REQUIRED")
                    .with_for_update(skip_locked=True)
                )
                if payment is None:
                    continue  # refunded meanwhile, or being refunded by another process
                provider.refund(provider_ref=payment.provider_ref, amount_fen=payment.amount_fen, refund_id=refund_id_of(payment))
                payment.status = "REFUNDED"
                payment.updated_at = now
                refunded += 1
        except Exception:  # noqa: BLE001 - one provider failure must not stop the others
            log.exception("refund of late payment %s failed; retried on the next run", payment_id)
    return refunded
