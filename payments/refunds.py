"""Partial refunds: several per payment, per line / quantity / amount, never above what was captured.

1. reserve_refund (one transaction): a conditional UPDATE adds the amount to
   payment.refunded_fen only WHERE refunded_fen + amount <= captured_fen (the WHERE clause is
   the check: concurrent refunds cannot overshoot), and inserts the payment_refund row whose
   out_refund_no is derived from the caller's idempotency key (a repeat finds it).
2. send_refund (after commit): asks the provider with that out_refund_no. SUCCEEDED marks it
   done (event RefundSucceeded, restock); PENDING waits for the refund callback or the sweep's
   query; FAILED gives the reservation back; a timeout leaves it PENDING for the sweep, which
   queries before it re-sends (re-sending the same number refunds once anyway).
"""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from db.session import Database
from events import emit
from events.types import RefundSucceeded
from payments.errors import PaymentErrorCode
from payments.models import Payment, PaymentRefund
from payments.provider import request_refund
from payments.registry import PaymentProviders
from payments.remote import ProviderRefused, ProviderUnavailable

log = logging.getLogger(__name__)
_NO_SYNC = {"synchronize_session": False}


LineCheck = Callable[[AsyncSession, int, list[dict]], Awaitable[None]]
_LINE_CHECKS: list[LineCheck] = []


def add_line_check(check: LineCheck) -> None:
    """A domain that must refuse some line refunds before any money moves (vouchers: a used
    voucher cannot be refunded) registers `check(session, order_id, lines)`, raising DomainError.
    Registering the same function again changes nothing."""
    if check not in _LINE_CHECKS:
        _LINE_CHECKS.append(check)


@dataclass(frozen=True)
class RefundLine:
    line_id: int
    quantity: int  # units (or grams/weight units for weighed goods, as the line's quantity is)


def out_refund_no(payment_id: int, key: str) -> str:
    """<= 32 chars of [A-Za-z0-9_], fits WeChat Pay and Alipay; the same key names the same refund."""
    return f"R{payment_id}_" + hashlib.sha256(key.encode()).hexdigest()[: 30 - len(str(payment_id))]


async def lines_amount(session: AsyncSession, order_id: int, lines: list[RefundLine]) -> tuple[int, list[dict]]:
    """The money of some quantity of some lines: those units' share of what the line was PAID,
    its total less the order promotions' discount allocated to it at placement
    (promotions.service.line_refund_fen), cumulative over the line's earlier refunds (pending or
    succeeded), so refunding a line unit by unit returns exactly its net and never its list price.
    Returns (fen, the lines as stored). Raises DomainError on a line not in the order or a
    quantity above what is left of the line."""
    from commerce.models import OrderLine  # local: payments -> commerce only here
    from promotions.service import line_refund_fen

    rows = {row.id: row for row in await session.scalars(select(OrderLine).where(OrderLine.order_id == order_id))}
    done: dict[int, int] = {}  # line id -> units already refunded or being refunded
    for earlier in await session.scalars(select(PaymentRefund.lines).where(PaymentRefund.order_id == order_id,
                                                                             PaymentRefund.status != "FAILED")):
        for line in earlier or []:
            done[line["line_id"]] = done.get(line["line_id"], 0) + int(line["quantity"])
    total, stored, seen = 0, [], set()
    for index, line in enumerate(lines):
        row = rows.get(line.line_id)
        if row is None:
            raise DomainError(PaymentErrorCode.NOT_FOUND, "no such line in this order", f"lines.{index}.lineId")
        if row.id in seen:  # twice 2 of a 3-unit line would claim (and restock) 4
            raise DomainError(PaymentErrorCode.INVALID, "name each line once", f"lines.{index}.lineId")
        seen.add(row.id)
        left = row.quantity - done.get(row.id, 0)
        if not 0 < line.quantity <= left:
            raise DomainError(PaymentErrorCode.INVALID, f"quantity must be 1..{left} (what is left of the line)", f"lines.{index}.quantity")
        amount = await line_refund_fen(session, row.id, row.line_total_fen, row.quantity, line.quantity, done.get(row.id, 0))
        done[row.id] = done.get(row.id, 0) + line.quantity
        total += amount
        stored.append({"line_id": row.id, "sku_id": row.sku_id, "quantity": line.quantity, "amount_fen": amount})
    for check in _LINE_CHECKS:
        await check(session, order_id, stored)
    return total, stored


async def refunded_fen_of_order(session: AsyncSession, order_id: int) -> int:
    """What the order's partial refunds have given back so far (SUCCEEDED only: a pending one
    may still fail). Listeners on RefundSucceeded reverse pro rata to this cumulative figure, so a
    redelivered event (the same figure) or an older one (smaller) reverses nothing more."""
    from sqlalchemy import func

    return int(await session.scalar(select(func.coalesce(func.sum(PaymentRefund.amount_fen), 0))
                                    .where(PaymentRefund.order_id == order_id, PaymentRefund.status == "SUCCEEDED")))


async def reserve_refund(session: AsyncSession, payment: Payment, *, key: str, amount_fen: int, reason: str,
                         lines: list[dict] | None = None, restock: bool = False) -> tuple[PaymentRefund, bool]:
    """Returns (refund, created). A repeat of `key` returns the first refund (created False) if
    it asked the same amount, else IDEMPOTENCY_KEY_REUSED. Over-refund: ORDER_NOT_REFUNDABLE."""
    if not (isinstance(key, str) and 0 < len(key) <= 128):
        raise DomainError(PaymentErrorCode.IDEMPOTENCY_KEY_INVALID, "an idempotency key of 1..128 characters", "idempotencyKey")
    if not 0 < amount_fen <= 10**12:
        raise DomainError(PaymentErrorCode.INVALID, "the amount must be positive", "amount")
    number = out_refund_no(payment.id, key)
    existing = await session.scalar(select(PaymentRefund).where(PaymentRefund.out_refund_no == number))
    if existing is not None:
        return _replay(existing, amount_fen), False
    result = await session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == "SUCCEEDED", Payment.captured_fen.is_not(None),
               Payment.refunded_fen + amount_fen <= Payment.captured_fen)
        .values(refunded_fen=Payment.refunded_fen + amount_fen),
        execution_options=_NO_SYNC,
    )
    if result.rowcount != 1:
        raise DomainError(PaymentErrorCode.ORDER_NOT_REFUNDABLE,
                          "this would refund more than was paid, or the payment is not refundable", "amount")
    refund = PaymentRefund(tenant_id=payment.tenant_id, payment_id=payment.id, order_id=payment.order_id,
                           out_refund_no=number, amount_fen=amount_fen, reason=reason[:200], lines=lines, restock=restock)
    try:
        async with session.begin_nested():
            session.add(refund)
            await session.flush()
    except IntegrityError:
        # The same key raced us: undo our reservation, answer with theirs.
        await session.execute(update(Payment).where(Payment.id == payment.id)
                              .values(refunded_fen=Payment.refunded_fen - amount_fen), execution_options=_NO_SYNC)
        existing = await session.scalar(select(PaymentRefund).where(PaymentRefund.out_refund_no == number))
        return _replay(existing, amount_fen), False
    return refund, True


def _replay(existing: PaymentRefund, amount_fen: int) -> PaymentRefund:
    if existing.amount_fen != amount_fen:
        raise DomainError(PaymentErrorCode.IDEMPOTENCY_KEY_REUSED, "this key was used for another refund", "idempotencyKey")
    return existing


async def send_refund(database: Database, providers: PaymentProviders, refund_id: int, now: datetime) -> str:
    """Ask the provider for a reserved refund; returns the refund's status afterwards."""
    async with database.read() as session:
        refund = await session.get(PaymentRefund, refund_id)
        payment = await session.get(Payment, refund.payment_id)
    if refund.status != "PENDING":
        return refund.status
    provider = providers.get(payment.provider)
    if provider is None:
        return "PENDING"  # a process that runs this provider sends it
    try:
        status = await request_refund(provider, tenant_id=payment.tenant_id, provider_ref=payment.provider_ref,
                                      refund_id=refund.out_refund_no, amount_fen=refund.amount_fen,
                                      total_fen=payment.captured_fen, reason=refund.reason)
    except ProviderUnavailable as exc:
        log.warning("refund %s: outcome unknown (%s); the sweep queries it", refund.id, exc)
        status = "PENDING"
    except ProviderRefused as exc:
        log.warning("refund %s refused by %s: %s", refund.id, payment.provider, exc.code)
        status = "FAILED"
    if status in ("SUCCEEDED", "FAILED"):
        async with database.write() as session:
            return await settle_refund(session, refund.out_refund_no, status, now)
    async with database.write() as session:
        await session.execute(update(PaymentRefund).where(PaymentRefund.id == refund.id)
                              .values(attempts=PaymentRefund.attempts + 1, updated_at=now), execution_options=_NO_SYNC)
    return "PENDING"


async def settle_refund(session: AsyncSession, number: str, status: str, now: datetime) -> str:
    """Mark a PENDING refund SUCCEEDED (event, restock) or FAILED (reservation given back), once:
    the compare-and-set on status makes a second answer (callback after query) a no-op."""
    refund = await session.scalar(select(PaymentRefund).where(PaymentRefund.out_refund_no == number))
    if refund is None:
        return "UNKNOWN_REFUND"
    result = await session.execute(
        update(PaymentRefund).where(PaymentRefund.id == refund.id, PaymentRefund.status == "PENDING")
        .values(status=status, updated_at=now), execution_options=_NO_SYNC)
    if result.rowcount != 1:
        return "IGNORED_" + refund.status
    if status == "FAILED":
        await session.execute(update(Payment).where(Payment.id == refund.payment_id, Payment.refunded_fen >= refund.amount_fen)
                              .values(refunded_fen=Payment.refunded_fen - refund.amount_fen), execution_options=_NO_SYNC)
        return "REFUND_FAILED"
    payment = await session.get(Payment, refund.payment_id, populate_existing=True)
    # One settlement per order at a time: the listeners reverse pro rata to the refunds SUCCEEDED
    # so far, so a second refund settling concurrently must see this one once it commits.
    from commerce.models import Order

    await session.execute(select(Order.id).where(Order.id == refund.order_id).with_for_update())
    restocked = await _restock(session, refund) if refund.restock else False
    await emit(session, RefundSucceeded(
        tenant_id=refund.tenant_id, at=now, order_id=refund.order_id, payment_id=payment.id, refund_id=refund.id,
        out_refund_no=refund.out_refund_no, amount_fen=refund.amount_fen, refunded_total_fen=payment.refunded_fen,
        captured_fen=payment.captured_fen or 0, lines=list(refund.lines or []), restocked=restocked, reason=refund.reason,
    ))
    return "REFUNDED"


async def _restock(session: AsyncSession, refund: PaymentRefund) -> bool:
    """Goods that came back go on hand again. Only when the order's stock was deducted (picked):
    before that the goods never left the shelf."""
    from commerce import stock
    from commerce.models import Order
    from commerce.order_status import StockEffect

    order = await session.get(Order, refund.order_id)
    if order.stock_state != "DEDUCTED":
        return False
    for line in refund.lines or []:
        await stock.apply_effect(session, StockEffect.RESTOCK, order.store_id, line["sku_id"], line["quantity"])
    return True


async def retry_pending_refunds(database: Database, providers: PaymentProviders, now: datetime,
                                older_than: timedelta = timedelta(minutes=1), batch: int = 50) -> int:
    """Sweep: refunds still PENDING (timeout, no callback). Query first; only a refund the
    provider never saw is re-sent (same out_refund_no). Returns refunds settled."""
    async with database.read() as session:
        rows = list(await session.execute(
            select(PaymentRefund.id, PaymentRefund.out_refund_no, Payment.provider, Payment.tenant_id, Payment.provider_ref)
            .join(Payment, Payment.id == PaymentRefund.payment_id)
            .where(PaymentRefund.status == "PENDING", PaymentRefund.updated_at <= now - older_than,
                   Payment.provider.in_(providers.names))
            .order_by(PaymentRefund.id).limit(batch)))
    settled = 0
    for refund_id, number, provider_name, tenant_id, trade_no in rows:
        provider = providers.get(provider_name)
        try:
            if getattr(provider, "remote", False):
                state = await provider.query_refund(tenant_id=tenant_id, out_refund_no=number, out_trade_no=trade_no)
                if state.status in ("SUCCEEDED", "FAILED"):
                    async with database.write() as session:
                        await settle_refund(session, number, state.status, now)
                    settled += 1
                    continue
                if state.status == "PENDING":
                    continue
            if await send_refund(database, providers, refund_id, now) != "PENDING":
                settled += 1
        except Exception:  # noqa: BLE001 - one provider failure must not stop the others
            log.exception("pending refund %s: retry failed; next run", refund_id)
    return settled


async def refund_partially(session: AsyncSession, principal, order_id: int, *, key: str, reason: str,
                           amount_fen: int | None = None, lines: list[RefundLine] | None = None,
                           restock: bool = False) -> tuple[PaymentRefund, bool]:
    """Staff refund some money of a paid order: `lines` (quantities of order lines, priced pro
    rata) or an `amount_fen`, or both (the amount then caps what the lines cost). Reserved here;
    the caller sends it after commit (send_refund). Customers cannot (after-sales is their path)."""
    from auth.roles import Permission, PrincipalKind
    from commerce.orders import load_order_for

    if principal.kind is PrincipalKind.CUSTOMER:
        raise DomainError(PaymentErrorCode.PERMISSION_DENIED, "staff refund; customers ask through after-sales", None)
    order = await load_order_for(session, principal, order_id, Permission.MANAGE_ORDERS)
    from commerce.order_actions import require_order_control

    await require_order_control(session, principal, order, Permission.MANAGE_ORDERS, "orderId")  # strong orders control
    stored = None
    if lines:
        lines_fen, stored = await lines_amount(session, order.id, lines)
        amount_fen = lines_fen if amount_fen is None else amount_fen
        if amount_fen > lines_fen:
            raise DomainError(PaymentErrorCode.INVALID, "more than those lines cost", "amount")
    if amount_fen is None:
        raise DomainError(PaymentErrorCode.REQUIRED, "give lines or an amount", "amount")
    payment = await session.scalar(select(Payment).where(Payment.order_id == order.id, Payment.status == "SUCCEEDED")
                                   .order_by(Payment.id))
    if payment is None:
        raise DomainError(PaymentErrorCode.ORDER_NOT_REFUNDABLE, "the order has no captured payment", "orderId")
    return await reserve_refund(session, payment, key=key, amount_fen=amount_fen, reason=reason,
                                lines=stored, restock=restock and bool(stored))
