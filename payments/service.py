"""Start payments, apply verified provider callbacks, refund.

A callback is applied at most once: the (provider, event_id) row is inserted first in the
same transaction, so a repeated or concurrent duplicate hits the unique key and is a no-op.
Money a provider took is never lost: it pays the order or the payment is marked
REFUND_REQUIRED for the refund job (see _apply for every case).
"""
from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce.order_status import ActorType, OrderStatus
from commerce.orders import apply_transition, load_order_for, transition_by
from core.errors import DomainError
from db.session import Database
from payments.errors import PaymentErrorCode
from payments.models import Payment, PaymentCallbackEvent
from payments.provider import CallbackEvent, PaymentIntent, PaymentProvider, request_refund
from payments.refunds import settle_refund
from payments.remote import ProviderRefused, ProviderUnavailable
from payments.registry import PaymentProviders

log = logging.getLogger(__name__)


async def start_payment(
    session: AsyncSession, principal: Principal, provider: PaymentProvider, order_id: int,
    *, channel: str | None = None, payer: str | None = None,
) -> tuple[Payment, PaymentIntent | None]:
    order = await load_order_for(session, principal, order_id, Permission.MANAGE_ORDERS)
    if order.status != OrderStatus.UNPAID.value:
        raise DomainError(PaymentErrorCode.ORDER_NOT_PAYABLE, f"the order is {order.status}", "orderId")
    pending = await session.scalar(
        select(Payment).where(Payment.order_id == order.id, Payment.status == "PENDING", Payment.provider == provider.name)
    )
    if getattr(provider, "remote", False):
        return await _start_remote(session, provider, order, pending, channel or "NATIVE", payer)
    if pending is not None:
        return pending, None  # the app reopens the same payment sheet
    # membership (issue #14): a split payment charges the provider what stored value did not pay.
    from membership.stored_value import prepaid_fen

    due = order.total_fen - await prepaid_fen(session, order.id)
    intent = provider.create_intent(order_number=order.number, amount_fen=due, currency=order.currency)
    payment = Payment(
        tenant_id=order.tenant_id,
        order_id=order.id,
        provider=provider.name,
        provider_ref=intent.provider_ref,
        amount_fen=due,
        currency=order.currency,
    )
    session.add(payment)
    await session.flush()
    return payment, intent


def out_trade_no(payment_id: int) -> str:
    """Our payment id names the trade at the provider (WeChat Pay 6..32, Alipay <= 64 chars)."""
    return f"QD{payment_id:012d}"


async def _start_remote(session: AsyncSession, provider, order, pending: Payment | None, channel: str, payer: str | None):
    """Idempotent create: one out_trade_no per payment (our id). A pending payment is ordered
    again with the same parameters, which the provider answers with the same prepay."""
    payment = pending
    if payment is None:
        payment = Payment(tenant_id=order.tenant_id, order_id=order.id, provider=provider.name,
                          provider_ref=f"new-{secrets.token_hex(8)}", amount_fen=order.total_fen, currency=order.currency)
        session.add(payment)
        await session.flush()
        payment.provider_ref = out_trade_no(payment.id)
        await session.flush()
    try:
        intent = await provider.create_intent(
            tenant_id=order.tenant_id, out_trade_no=payment.provider_ref, description=f"Order {order.number}",
            amount_fen=payment.amount_fen, currency=payment.currency, channel=channel, payer_openid=payer,
            expires_at=order.expires_at)
    except ProviderUnavailable as exc:
        raise DomainError(PaymentErrorCode.PROVIDER_NOT_AVAILABLE, "the payment provider did not answer; try again", "provider") from exc
    except ProviderRefused as exc:
        raise DomainError(PaymentErrorCode.PROVIDER_NOT_AVAILABLE, f"the payment provider refused ({exc.code})", "provider") from exc
    return payment, intent


async def apply_callback(database: Database, provider_name: str, event: CallbackEvent, now: datetime) -> str:
    """Returns the outcome recorded; 'DUPLICATE' if this event was already processed."""
    try:
        async with database.write() as session:
            record = PaymentCallbackEvent(provider=provider_name, event_id=event.event_id, outcome="PENDING", received_at=now)
            session.add(record)
            await session.flush()
            payment = await session.scalar(
                select(Payment)
                .where(Payment.provider == provider_name, Payment.provider_ref == event.provider_ref)
                .with_for_update()  # callbacks of one payment apply one at a time
            )
            if event.refund_ref is not None:  # a refund's result (its payment row is locked above)
                record.outcome = await settle_refund(session, event.refund_ref, event.status, now)
            elif payment is None:
                # membership (issue #14): a stored-value top-up shares the provider's callback.
                from membership.stored_value import apply_top_up_callback

                record.outcome = await apply_top_up_callback(session, provider_name, event, now) or "UNKNOWN_PAYMENT"
            else:
                record.outcome = await _apply(session, payment, event, now)
            record.payment_id = payment.id if payment is not None else None
            return record.outcome
    except IntegrityError:
        return "DUPLICATE"


CAPTURED = ("SUCCEEDED", "REFUND_REQUIRED", "REFUNDED")  # the provider holds (or held) our customer's money


async def _apply(session: AsyncSession, payment: Payment, event: CallbackEvent, now: datetime) -> str:
    """Money the provider took is always either applied to the order or queued for refund.

    A provider takes a payment (its provider_ref) at most once, so the first success is the
    money and later ones repeat it. A failure never undoes a success; a success after a
    failure is believed (the failure was premature: money moved). Money that cannot pay the
    order (wrong amount, order no longer UNPAID, or paid by another payment) is
    REFUND_REQUIRED, which refund_late_payments gives back in the amount taken."""
    if payment.status in CAPTURED:
        if event.status == "SUCCEEDED" and event.amount_fen != payment.captured_fen and payment.captured_fen is not None:
            log.warning("payment %s: success for %s fen after one for %s fen; the first stands",
                        payment.id, event.amount_fen, payment.captured_fen)
        return "IGNORED_" + payment.status
    if event.status == "FAILED":
        if payment.status == "PENDING":
            payment.status = "FAILED"
            return "FAILED"
        return "IGNORED_" + payment.status
    payment.captured_fen = event.amount_fen
    payment.updated_at = now
    if event.amount_fen != payment.amount_fen:
        payment.status = "REFUND_REQUIRED"  # not what we asked for: give it all back, the order stays payable
        return "AMOUNT_MISMATCH"
    from commerce.models import Order  # local: payments -> commerce only on this path

    # Locked: two payments of one order succeeding at once apply one after the other, and
    # the second sees the order PAID.
    order = await session.scalar(select(Order).where(Order.id == payment.order_id).with_for_update())
    if order.status != OrderStatus.UNPAID.value:
        payment.status = "REFUND_REQUIRED"  # after expiry, cancel, or another payment paid it
        return "REFUND_REQUIRED"
    try:
        async with session.begin_nested():
            await apply_transition(session, order, OrderStatus.PAID, actor=ActorType.SYSTEM, actor_id=None, now=now, reason="payment")
    except DomainError as exc:
        # The order could not take the payment (changed meanwhile): the money must not be lost.
        log.warning("payment %s could not pay order %s (%s); queued for refund", payment.id, order.id, exc)
        payment.status = "REFUND_REQUIRED"
        return "REFUND_REQUIRED"
    payment.status = "SUCCEEDED"
    return "PAID"


async def refund_order(
    session: AsyncSession, principal: Principal, providers: PaymentProviders, order_id: int, now: datetime, reason: str
):
    """Refund a paid order (customer before picking, staff at any later point) and restock.
    The money goes back through the provider that took it."""
    order = await transition_by(session, principal, order_id, OrderStatus.REFUNDED, now=now, reason=reason or "refund")
    payment = await session.scalar(
        select(Payment).where(Payment.order_id == order.id, Payment.status == "SUCCEEDED").with_for_update()
    )
    if payment is not None:
        provider = providers.get(payment.provider)
        if provider is None:
            # This process does not run that provider (any more): the refund sweep of one that does pays it.
            payment.status = "REFUND_REQUIRED"
        elif getattr(provider, "remote", False):
            payment.status = "REFUND_REQUIRED"  # sent after this commits, by the sweep (no HTTP inside the order's lock)
        else:
            provider.refund(provider_ref=payment.provider_ref, amount_fen=refund_amount(payment), refund_id=refund_id_of(payment))
            payment.status = "REFUNDED"
        payment.updated_at = now
    await session.flush()
    return order


def refund_amount(payment: Payment) -> int:
    """What the provider took (rows from before captured_fen took what was asked), less what
    partial refunds already gave back."""
    return (payment.amount_fen if payment.captured_fen is None else payment.captured_fen) - (payment.refunded_fen or 0)


def refund_id_of(payment: Payment) -> str:
    """One refund per payment, so the payment's id names it at the provider."""
    return f"refund-{payment.id}"


async def refund_late_payments(database: Database, providers: PaymentProviders, now: datetime, batch: int = 50) -> int:
    """Give back money that could not pay its order (REFUND_REQUIRED: it arrived after expiry
    or cancel, for an order another payment had paid, or in the wrong amount), through the
    provider that took it; run by the sweeper and `qiandian sweep-expired`. Each payment is
    refunded in its own transaction, locked (PostgreSQL: rows another process is refunding
    are skipped), and named by refund_id_of: if the provider refunded but our commit was
    lost, the next run's retry is recognised by the provider, not paid twice. A provider
    error leaves the payment REFUND_REQUIRED for the next run. Returns payments refunded."""
    async with database.read() as session:
        ids = list(await session.scalars(
            select(Payment.id).where(Payment.status == "REFUND_REQUIRED", Payment.provider.in_(providers.names))
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
                provider = providers.get(payment.provider)
                amount = refund_amount(payment)
                if amount > 0:
                    status = await request_refund(provider, tenant_id=payment.tenant_id, provider_ref=payment.provider_ref,
                                                  refund_id=refund_id_of(payment), amount_fen=amount,
                                                  total_fen=payment.captured_fen or payment.amount_fen, reason="refund")
                    if status == "FAILED":
                        raise ProviderRefused("REFUND_FAILED", "the provider did not refund")
                payment.status = "REFUNDED"
                payment.updated_at = now
                refunded += 1
        except Exception:  # noqa: BLE001 - one provider failure must not stop the others
            log.exception("refund of late payment %s failed; retried on the next run", payment_id)
    # Stored-value top-ups share the providers and the rule: money that could not be applied goes back.
    from membership.stored_value import refund_mismatched_top_ups  # local: payments -> membership only here

    return refunded + await refund_mismatched_top_ups(database, providers, now, batch)


async def reconcile_payments(database: Database, providers: PaymentProviders, now: datetime,
                             older_than: timedelta = timedelta(minutes=5), batch: int = 50) -> int:
    """Payments at a remote provider whose callback never came: PENDING ones older than
    `older_than` are queried. Paid -> applied like a callback (the order is paid, or the money
    is queued for refund when the order expired meanwhile). Unpaid and the order no longer
    payable (expired, cancelled) -> closed at the provider, then FAILED; a close the provider
    refuses because it was paid just now is queried again next run. Returns payments settled."""
    from commerce.models import Order  # local: payments -> commerce only on this path

    remote = [name for name in providers.names if getattr(providers.get(name), "remote", False)]
    async with database.read() as session:
        rows = list(await session.execute(
            select(Payment.id, Payment.provider, Payment.provider_ref, Payment.tenant_id, Order.status)
            .join(Order, Order.id == Payment.order_id)
            .where(Payment.status == "PENDING", Payment.provider.in_(remote), Payment.created_at <= now - older_than)
            .order_by(Payment.id).limit(batch)))
    settled = 0
    for payment_id, name, ref, tenant_id, order_status in rows:
        provider = providers.get(name)
        try:
            state = await provider.query(tenant_id=tenant_id, out_trade_no=ref)
            if state.state == "SUCCEEDED":
                event = CallbackEvent(f"query-{ref}-{state.transaction_id or ''}"[:128], ref, "SUCCEEDED", state.amount_fen)
                await apply_callback(database, name, event, now)
                settled += 1
            elif order_status != OrderStatus.UNPAID.value or state.state in ("CLOSED", "NOT_FOUND"):
                if state.state == "PENDING":
                    await provider.close(tenant_id=tenant_id, out_trade_no=ref)
                async with database.write() as session:
                    await session.execute(update(Payment).where(Payment.id == payment_id, Payment.status == "PENDING")
                                          .values(status="FAILED", updated_at=now))
                settled += 1
        except Exception:  # noqa: BLE001 - one provider failure must not stop the others
            log.exception("reconciling payment %s failed; next run", payment_id)
    return settled
