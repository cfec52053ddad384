"""Thin resolvers for after-sales (aftersales.service)."""
from __future__ import annotations

from strawberry.types import Info

from aftersales import service
from aftersales.models import AfterSalesRequest
from core.clock import utc_now
from core.errors import DomainError
from core.money import MoneyError, parse_amount_to_fen
from payments import refunds
from payments.errors import PaymentErrorCode
from payments.models import PaymentRefund
from resolvers.mutation_support import guarded, in_transaction
from schema import ids
from schema.aftersales_root import AfterSales, AfterSalesKind, AfterSalesLine, AfterSalesPayload, OrderConfirmReceiptPayload
from schema.common import Money, PaymentError


async def _view(info: Info, request_id: int) -> AfterSales:
    async with info.context.database.read() as session:
        row = await session.get(AfterSalesRequest, request_id)
        refund = await session.get(PaymentRefund, row.refund_id) if row.refund_id else None
    return AfterSales(
        id=ids.encode("AfterSales", row.id), kind=AfterSalesKind(row.kind), status=row.status, reason=row.reason,
        photos=list(row.photos or []), requested=Money.of(row.requested_fen), approved=Money.of(row.approved_fen),
        lines=[AfterSalesLine(line_id=ids.encode("OrderLine", line["line_id"]), quantity=line["quantity"],
                              amount=Money.of(line["amount_fen"])) for line in row.lines],
        refund_status=refund.status if refund else None, created_at=row.created_at)


async def after_sales_request(info: Info, input) -> AfterSalesPayload:
    principal = info.context.principal

    async def run():
        order_id = ids.decode(input.order_id, "Order", PaymentErrorCode, "orderId")
        if len(input.lines) > service.MAX_LINES:
            raise DomainError(PaymentErrorCode.INVALID, f"at most {service.MAX_LINES} lines", "lines")
        lines = [refunds.RefundLine(ids.decode(line.line_id, "OrderLine", PaymentErrorCode, f"lines.{i}.lineId"), line.quantity)
                 for i, line in enumerate(input.lines)]
        async with info.context.database.write() as session:
            row, created = await service.request_after_sales(
                session, principal, order_id, kind=input.kind.value, lines=lines, reason=input.reason,
                photos=input.photos, key=input.idempotency_key, now=utc_now())
            request_id = row.id
        return {"after_sales": await _view(info, request_id), "replayed": not created}

    return await guarded(AfterSalesPayload, PaymentError, PaymentErrorCode, run)


async def after_sales_decide(info: Info, input) -> AfterSalesPayload:
    principal = info.context.principal
    services = info.context.services

    async def run():
        request_id = ids.decode(input.request_id, "AfterSales", PaymentErrorCode, "requestId")
        approved = None
        if input.approved_amount is not None:
            if input.approved_amount.currency.strip().upper() != "CNY":
                raise DomainError(PaymentErrorCode.INVALID, "amounts are in CNY", "approvedAmount.currency")
            try:
                approved = parse_amount_to_fen(input.approved_amount.amount)
            except MoneyError as exc:
                raise DomainError(PaymentErrorCode.INVALID, str(exc), "approvedAmount.amount") from None
        async with info.context.database.write() as session:
            row = await service.decide_after_sales(session, principal, request_id, approve=input.approve, approved_fen=approved,
                                                   restock=input.restock, note=input.note, now=utc_now())
            refund_id = row.refund_id
        if refund_id is not None:  # after commit: the money goes back through the original provider
            await refunds.send_refund(info.context.database, services.payments, refund_id, utc_now())
        return {"after_sales": await _view(info, request_id)}

    return await guarded(AfterSalesPayload, PaymentError, PaymentErrorCode, run)


async def order_confirm_receipt(info: Info, input) -> OrderConfirmReceiptPayload:
    principal = info.context.principal

    async def work(session):
        order_id = ids.decode(input.order_id, "Order", PaymentErrorCode, "orderId")
        await service.confirm_receipt(session, principal, order_id, utc_now())
        return {"confirmed": True}

    return await in_transaction(info, OrderConfirmReceiptPayload, PaymentError, PaymentErrorCode, work)
