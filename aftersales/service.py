"""Requests, decisions, receipt confirmation. The money moves through payments.refunds:
an approval reserves a partial refund (never above what was paid, its own idempotency key)
in the decision's transaction; the caller sends it after commit (refunds.send_refund)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from aftersales.models import AfterSalesRequest, ReceiptConfirmation
from auth.roles import Permission, PrincipalKind
from commerce.models import Order
from commerce.order_status import OrderStatus
from commerce.orders import load_order_for
from core.errors import DomainError
from events import emit
from events.types import OrderReceiptConfirmed
from payments.errors import PaymentErrorCode
from payments.models import Payment
from payments.refunds import RefundLine, lines_amount, reserve_refund

MAX_PHOTOS = 9
MAX_LINES = 100
_NO_SYNC = {"synchronize_session": False}
_AFTER_PAYMENT = {OrderStatus.PAID, OrderStatus.PICKING, OrderStatus.READY, OrderStatus.DELIVERING,
                  OrderStatus.AWAITING_PICKUP, OrderStatus.COMPLETED}
_RECEIVABLE = {OrderStatus.DELIVERING, OrderStatus.AWAITING_PICKUP, OrderStatus.COMPLETED}


def _customer(principal) -> None:
    if principal.kind is not PrincipalKind.CUSTOMER:
        raise DomainError(PaymentErrorCode.PERMISSION_DENIED, "customers ask for after-sales on their own orders", None)


def _check_photos(photos: list[str]) -> list[str]:
    if len(photos) > MAX_PHOTOS:
        raise DomainError(PaymentErrorCode.INVALID, f"at most {MAX_PHOTOS} photos", "photos")
    for index, url in enumerate(photos):
        if not (isinstance(url, str) and url.startswith("https://") and len(url) <= 500 and " " not in url):
            raise DomainError(PaymentErrorCode.INVALID, "photos are https URLs of at most 500 characters", f"photos.{index}")
    return list(photos)


async def request_after_sales(session: AsyncSession, principal, order_id: int, *, kind: str, lines: list[RefundLine],
                              reason: str, photos: list[str], key: str, now: datetime) -> tuple[AfterSalesRequest, bool]:
    """A customer asks for money back (REFUND) or to send goods back (RETURN) for some quantity
    of some lines (grams for weighed goods: the line's own unit). Returns (request, created)."""
    _customer(principal)
    if kind not in ("REFUND", "RETURN"):
        raise DomainError(PaymentErrorCode.INVALID, "kind is REFUND or RETURN", "kind")
    if not (isinstance(key, str) and 0 < len(key) <= 128):
        raise DomainError(PaymentErrorCode.IDEMPOTENCY_KEY_INVALID, "an idempotency key of 1..128 characters", "idempotencyKey")
    if not lines or len(lines) > MAX_LINES:
        raise DomainError(PaymentErrorCode.REQUIRED, f"1..{MAX_LINES} lines", "lines")
    photos = _check_photos(photos)
    order = await load_order_for(session, principal, order_id, Permission.VIEW_ORDERS)
    existing = await session.scalar(select(AfterSalesRequest).where(
        AfterSalesRequest.order_id == order.id, AfterSalesRequest.idempotency_key == key))
    if existing is not None:
        if existing.kind != kind or [(d["line_id"], d["quantity"]) for d in existing.lines] != [(l.line_id, l.quantity) for l in lines]:
            raise DomainError(PaymentErrorCode.IDEMPOTENCY_KEY_REUSED, "this key was used for another request", "idempotencyKey")
        return existing, False
    if OrderStatus(order.status) not in _AFTER_PAYMENT:
        raise DomainError(PaymentErrorCode.ORDER_NOT_REFUNDABLE, f"the order is {order.status}", "orderId")
    # One request at a time per order: the quantity check below reads then writes.
    await session.execute(select(Order.id).where(Order.id == order.id).with_for_update())
    amount, stored = await lines_amount(session, order.id, lines)
    open_requests = await session.scalars(select(AfterSalesRequest).where(
        AfterSalesRequest.order_id == order.id, AfterSalesRequest.status != "REJECTED"))
    taken: dict[int, int] = {}
    for request in open_requests:
        for line in request.lines:
            taken[line["line_id"]] = taken.get(line["line_id"], 0) + line["quantity"]
    from commerce.models import OrderLine

    quantities = dict((await session.execute(select(OrderLine.id, OrderLine.quantity).where(OrderLine.order_id == order.id))).all())
    for index, line in enumerate(stored):
        if taken.get(line["line_id"], 0) + line["quantity"] > quantities[line["line_id"]]:
            raise DomainError(PaymentErrorCode.INVALID, "more than the line has left to claim", f"lines.{index}.quantity")
    if amount <= 0:
        raise DomainError(PaymentErrorCode.INVALID, "those quantities are worth nothing", "lines")
    request = AfterSalesRequest(tenant_id=order.tenant_id, order_id=order.id, customer_id=order.customer_id,
                                idempotency_key=key, kind=kind, reason=reason[:500], photos=photos, lines=stored,
                                requested_fen=amount, created_at=now)
    try:
        async with session.begin_nested():
            session.add(request)
            await session.flush()
    except IntegrityError:
        request = await session.scalar(select(AfterSalesRequest).where(
            AfterSalesRequest.order_id == order.id, AfterSalesRequest.idempotency_key == key))
        return request, False
    return request, True


async def decide_after_sales(session: AsyncSession, principal, request_id: int, *, approve: bool,
                             approved_fen: int | None, restock: bool, note: str, now: datetime) -> AfterSalesRequest:
    """Staff approve (all, or `approved_fen` of it: partially) or reject, once (compare-and-set
    on REQUESTED). An approval reserves the refund through the payment that took the money."""
    if principal.kind not in (PrincipalKind.STAFF, PrincipalKind.API_KEY):
        raise DomainError(PaymentErrorCode.PERMISSION_DENIED, "staff decide after-sales requests", None)
    request = await session.scalar(select(AfterSalesRequest).where(
        AfterSalesRequest.id == request_id, AfterSalesRequest.tenant_id == principal.tenant_id))
    if request is None:
        raise DomainError(PaymentErrorCode.NOT_FOUND, "after-sales request not found", "requestId")
    try:
        await load_order_for(session, principal, request.order_id, Permission.MANAGE_ORDERS)
    except DomainError:
        raise DomainError(PaymentErrorCode.NOT_FOUND, "after-sales request not found", "requestId") from None
    amount = 0
    status = "REJECTED"
    if approve:
        amount = request.requested_fen if approved_fen is None else approved_fen
        if not 0 < amount <= request.requested_fen:
            raise DomainError(PaymentErrorCode.INVALID, f"approve 0.01..{request.requested_fen / 100:.2f}", "approvedAmount")
        status = "APPROVED" if amount == request.requested_fen else "PARTIALLY_APPROVED"
    result = await session.execute(
        update(AfterSalesRequest).where(AfterSalesRequest.id == request.id, AfterSalesRequest.status == "REQUESTED")
        .values(status=status, approved_fen=amount, decided_by=principal.staff_id, decided_at=now, decision_note=note[:500]),
        execution_options=_NO_SYNC)
    if result.rowcount != 1:
        raise DomainError(PaymentErrorCode.CONCURRENT_UPDATE, "this request was already decided", "requestId")
    if approve:
        payment = await session.scalar(select(Payment).where(Payment.order_id == request.order_id, Payment.status == "SUCCEEDED")
                                       .order_by(Payment.id))
        if payment is None:
            raise DomainError(PaymentErrorCode.ORDER_NOT_REFUNDABLE, "the order has no captured payment", "requestId")
        refund, _ = await reserve_refund(session, payment, key=f"after-sales-{request.id}", amount_fen=amount,
                                         reason=f"after-sales {request.kind.lower()}: {request.reason}"[:200],
                                         lines=request.lines, restock=restock and request.kind == "RETURN")
        await session.execute(update(AfterSalesRequest).where(AfterSalesRequest.id == request.id)
                              .values(refund_id=refund.id), execution_options=_NO_SYNC)
    await session.refresh(request)
    return request


async def confirm_receipt(session: AsyncSession, principal, order_id: int, now: datetime) -> bool:
    """The customer has the goods. Returns False if receipt was already confirmed (idempotent)."""
    _customer(principal)
    order = await load_order_for(session, principal, order_id, Permission.VIEW_ORDERS)
    if OrderStatus(order.status) not in _RECEIVABLE:
        raise DomainError(PaymentErrorCode.INVALID_TRANSITION, f"the order is {order.status}", "orderId")
    return await _confirm(session, order, "CUSTOMER", now)


async def _confirm(session: AsyncSession, order: Order, by: str, now: datetime) -> bool:
    try:
        async with session.begin_nested():
            session.add(ReceiptConfirmation(tenant_id=order.tenant_id, order_id=order.id, confirmed_by=by, confirmed_at=now))
            await session.flush()
    except IntegrityError:
        return False
    await emit(session, OrderReceiptConfirmed(tenant_id=order.tenant_id, at=now, order_id=order.id, confirmed_by=by))
    return True


async def auto_confirm_receipts(session: AsyncSession, now: datetime, after: timedelta, limit: int = 500) -> int:
    """Sweep: orders handed over (DELIVERING / AWAITING_PICKUP) or COMPLETED for `after` without
    a confirmation are confirmed AUTO. Returns how many."""
    due = (await session.scalars(
        select(Order).outerjoin(ReceiptConfirmation, ReceiptConfirmation.order_id == Order.id)
        .where(Order.status.in_([s.value for s in _RECEIVABLE]), Order.updated_at <= now - after,
               ReceiptConfirmation.id.is_(None))
        .order_by(Order.id).limit(limit))).all()
    return sum([await _confirm(session, order, "AUTO", now) for order in due])
