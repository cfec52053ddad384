"""Checkout, payment and order-status mutations."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from strawberry.types import Info

from commerce import checkout, order_actions
from commerce.cart import require_customer
from commerce.errors import CheckoutErrorCode, OrderErrorCode
from commerce.idempotency import run_idempotent
from commerce.models import Order as OrderRow
from commerce.order_status import FulfilmentType, OrderStatus
from core.clock import utc_now
from core.errors import DomainError
from core.money import Money as MoneyValue
from core.money import MoneyError, parse_amount_to_fen
from payments import service as payment_service
from payments.errors import PaymentErrorCode
from payments.models import Payment as PaymentRow
from payments.registry import choose_provider
from schema import ids
from resolvers.mutation_support import guarded, in_transaction
from schema.common import CheckoutError, OrderError, PaymentError
from schema.inputs import (
    CheckoutCompleteInput,
    OrderCancelInput,
    OrderCompleteInput,
    OrderPayInput,
    OrderRefundInput,
    OrderTransitionInput,
)
from schema.orders import Order, Payment
from schema.payloads import CheckoutCompletePayload, OrderPayload, OrderPayPayload, OrderRefundPayload


def _principal_key(principal) -> str:
    return f"{principal.kind.value}:{principal.customer_id or principal.staff_id or principal.api_key_id}"


def _money(value, field: str) -> MoneyValue | None:
    if value is None:
        return None
    try:
        fen = parse_amount_to_fen(value.amount)
    except MoneyError as exc:
        raise DomainError(CheckoutErrorCode.AMOUNT_OUT_OF_RANGE, str(exc), f"{field}.amount") from None
    return MoneyValue(fen, value.currency.strip().upper())


async def checkout_complete(info: Info, input: CheckoutCompleteInput) -> CheckoutCompletePayload:
    principal = info.context.principal
    settings = info.context.services.settings

    async def run():
        require_customer(principal, CheckoutErrorCode)
        request = checkout.CheckoutRequest(
            store_id=ids.decode(input.store_id, "Store", CheckoutErrorCode, "storeId"),
            fulfilment_type=FulfilmentType(input.fulfilment_type.value),
            address_id=ids.decode_optional(input.address_id, "Address", CheckoutErrorCode, "addressId"),
            note=input.note,
            slot_id=input.slot_id,
            expected_total=_money(input.expected_total, "expectedTotal"),
            pickup_when_closed=settings.pickup_when_closed,
            coupon_ids=tuple(ids.decode(raw, "Coupon", CheckoutErrorCode, f"couponIds.{i}") for i, raw in enumerate(input.coupon_ids or [])),
            coupon_code=input.coupon_code,
        )

        async def work(session):
            order = await checkout.place_order(
                session, principal, request, now=utc_now(), unpaid_ttl=timedelta(seconds=settings.unpaid_order_ttl_s)
            )
            return {"order_id": order.id}

        result, replayed = await run_idempotent(
            info.context.database,
            tenant_id=principal.tenant_id,
            principal=_principal_key(principal),
            operation="checkoutComplete",
            key=input.idempotency_key,
            request=request.__dict__,
            codes=CheckoutErrorCode,
            work=work,
        )
        return {"order": await _order(info, result["order_id"]), "replayed": replayed}

    return await guarded(CheckoutCompletePayload, CheckoutError, CheckoutErrorCode, run)


async def _order(info: Info, order_id: int) -> Order:
    async with info.context.database.read() as session:
        row = await session.get(OrderRow, order_id)
    return Order.from_row(row)


async def order_pay(info: Info, input: OrderPayInput) -> OrderPayPayload:
    principal = info.context.principal
    providers = info.context.services.payments

    async def run():
        if principal.tenant_id is None:
            raise DomainError(PaymentErrorCode.UNAUTHENTICATED, "sign in first", None)
        order_id = ids.decode(input.order_id, "Order", PaymentErrorCode, "orderId")

        async def work(session):
            provider = await choose_provider(session, providers, principal.tenant_id, input.provider)
            payment, intent = await payment_service.start_payment(session, principal, provider, order_id,
                                                                  channel=input.channel, payer=input.payer_openid)
            return {"payment_id": payment.id, "client_payload": intent.client_payload if intent else None}

        result, replayed = await run_idempotent(
            info.context.database,
            tenant_id=principal.tenant_id,
            principal=_principal_key(principal),
            operation="orderPay",
            key=input.idempotency_key,
            # provider only when given: keys sent before the field existed still replay.
            request={"order_id": order_id} if input.provider is None else {"order_id": order_id, "provider": input.provider,
                                                                           **({"channel": input.channel} if input.channel else {})},
            codes=PaymentErrorCode,
            work=work,
        )
        async with info.context.database.read() as session:
            payment = await session.scalar(select(PaymentRow).where(PaymentRow.id == result["payment_id"]))
        return {
            "payment": Payment.from_row(payment),
            "client_payload": result["client_payload"],
            "replayed": replayed,
        }

    return await guarded(OrderPayPayload, PaymentError, PaymentErrorCode, run)


def _refund_with(provider):
    async def refund(session, principal, order_id, now, reason):
        return await payment_service.refund_order(session, principal, provider, order_id, now, reason)

    return refund


async def order_cancel(info: Info, input: OrderCancelInput) -> OrderRefundPayload:
    """Cancel an unpaid order, or refund a paid one the store has not started picking."""
    principal = info.context.principal
    refund = _refund_with(info.context.services.payments)

    async def work(session):
        order_id = ids.decode(input.order_id, "Order", PaymentErrorCode, "orderId")
        order = await order_actions.cancel(session, principal, order_id, now=utc_now(), reason=input.reason, refund=refund)
        return {"order": Order.from_row(order)}

    return await in_transaction(info, OrderRefundPayload, PaymentError, PaymentErrorCode, work)


async def order_transition(info: Info, input: OrderTransitionInput) -> OrderPayload:
    """Staff moves an order along its fulfilment (PICKING, READY, DELIVERING, ...)."""
    principal = info.context.principal

    async def work(session):
        order_id = ids.decode(input.order_id, "Order", OrderErrorCode, "orderId")
        target = OrderStatus(input.status.value)
        order = await order_actions.move_along(session, principal, order_id, target, now=utc_now(), reason=input.reason)
        return {"order": Order.from_row(order)}

    return await in_transaction(info, OrderPayload, OrderError, OrderErrorCode, work)


async def order_complete(info: Info, input: OrderCompleteInput) -> OrderPayload:
    """A store manager completes an order without its proof or pickup code, giving a reason."""
    principal = info.context.principal

    async def work(session):
        order_id = ids.decode(input.order_id, "Order", OrderErrorCode, "orderId")
        order = await order_actions.complete_without_code(session, principal, order_id, now=utc_now(), reason=input.reason)
        return {"order": Order.from_row(order)}

    return await in_transaction(info, OrderPayload, OrderError, OrderErrorCode, work)


async def order_refund(info: Info, input: OrderRefundInput) -> OrderRefundPayload:
    principal = info.context.principal
    refund = _refund_with(info.context.services.payments)

    async def work(session):
        order_id = ids.decode(input.order_id, "Order", PaymentErrorCode, "orderId")
        order = await order_actions.staff_refund(session, principal, order_id, now=utc_now(), reason=input.reason, refund=refund)
        return {"order": Order.from_row(order)}

    return await in_transaction(info, OrderRefundPayload, PaymentError, PaymentErrorCode, work)
