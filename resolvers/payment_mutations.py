"""Thin resolvers for partial refunds and merchant accounts (payments.refunds, payments.merchants)."""
from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import select
from strawberry.types import Info

from auth.roles import StaffRole
from core.clock import utc_now
from core.errors import DomainError
from core.money import MoneyError, parse_amount_to_fen
from payments import refunds
from payments.errors import PaymentErrorCode
from payments.merchants import PaymentMerchant, save_merchant
from payments.models import Payment
from resolvers.mutation_support import guarded, in_transaction
from schema import ids
from schema.common import Money, PaymentError
from schema.payments_root import OrderRefundPartialPayload, PaymentMerchantSetPayload, Refund
from webhooks.urls import check_url

MAX_LINES = 100


def _refund(row) -> Refund:
    return Refund(id=ids.encode("Refund", row.id), status=row.status, amount=Money.of(row.amount_fen), reason=row.reason)


async def order_refund_partial(info: Info, input) -> OrderRefundPartialPayload:
    principal = info.context.principal
    services = info.context.services

    async def run():
        order_id = ids.decode(input.order_id, "Order", PaymentErrorCode, "orderId")
        lines = None
        if input.lines is not None:
            if len(input.lines) > MAX_LINES:
                raise DomainError(PaymentErrorCode.INVALID, f"at most {MAX_LINES} lines", "lines")
            lines = [refunds.RefundLine(ids.decode(line.line_id, "OrderLine", PaymentErrorCode, f"lines.{i}.lineId"), line.quantity)
                     for i, line in enumerate(input.lines)]
        amount = None
        if input.amount is not None:
            if input.amount.currency.strip().upper() != "CNY":
                raise DomainError(PaymentErrorCode.INVALID, "refunds are in CNY", "amount.currency")
            try:
                amount = parse_amount_to_fen(input.amount.amount)
            except MoneyError as exc:
                raise DomainError(PaymentErrorCode.INVALID, str(exc), "amount.amount") from None
        async with info.context.database.write() as session:
            refund, created = await refunds.refund_partially(
                session, principal, order_id, key=input.idempotency_key, reason=input.reason[:200],
                amount_fen=amount, lines=lines, restock=input.restock)
            refund_id = refund.id
        await refunds.send_refund(info.context.database, services.payments, refund_id, utc_now())
        async with info.context.database.read() as session:
            row = await session.get(refunds.PaymentRefund, refund_id)
            payment = await session.get(Payment, row.payment_id)
        return {"refund": _refund(row), "refunded_total": Money.of(payment.refunded_fen, payment.currency),
                "replayed": not created}

    return await guarded(OrderRefundPartialPayload, PaymentError, PaymentErrorCode, run)


async def payment_merchant_set(info: Info, input) -> PaymentMerchantSetPayload:
    principal = info.context.principal
    box = info.context.services.secret_box

    async def work(session):
        if not principal.is_staff or not any(g.role is StaffRole.HQ_ADMIN for g in principal.grants):
            raise DomainError(PaymentErrorCode.PERMISSION_DENIED, "only an HQ admin sets merchant accounts", None)
        configured = []
        if input.wechat_pay is not None:
            creds = asdict(input.wechat_pay) if hasattr(input.wechat_pay, "__dataclass_fields__") else vars(input.wechat_pay)
            _check_pem(creds["private_key_pem"], "wechatPay.privateKeyPem", private=True)
            _check_pem(creds["platform_public_key_pem"], "wechatPay.platformPublicKeyPem", private=False)
            if len(creds["api_v3_key"].encode()) != 32:
                raise DomainError(PaymentErrorCode.INVALID, "the API v3 key is 32 bytes", "wechatPay.apiV3Key")
            await _check_merchant(session, principal.tenant_id, "WECHATPAY", creds["platform_key_id"], "wechatPay.platformKeyId",
                                  {"wechatPay.baseUrl": creds["base_url"], "wechatPay.notifyUrl": creds["notify_url"]},
                                  info.context.services.settings.is_production)
            await save_merchant(session, box, principal.tenant_id, "WECHATPAY", creds["platform_key_id"], dict(creds))
            configured.append("WECHATPAY")
        if input.alipay is not None:
            creds = asdict(input.alipay) if hasattr(input.alipay, "__dataclass_fields__") else vars(input.alipay)
            _check_pem(creds["app_private_key_pem"], "alipay.appPrivateKeyPem", private=True)
            _check_pem(creds["alipay_public_key_pem"], "alipay.alipayPublicKeyPem", private=False)
            await _check_merchant(session, principal.tenant_id, "ALIPAY", creds["app_id"], "alipay.appId",
                                  {"alipay.gatewayUrl": creds["gateway_url"], "alipay.notifyUrl": creds["notify_url"]},
                                  info.context.services.settings.is_production)
            await save_merchant(session, box, principal.tenant_id, "ALIPAY", creds["app_id"], dict(creds))
            configured.append("ALIPAY")
        return {"configured": configured}

    return await in_transaction(info, PaymentMerchantSetPayload, PaymentError, PaymentErrorCode, work)


async def _check_merchant(session, tenant_id: int, provider: str, lookup_key: str, key_field: str,
                          urls: dict[str, str], production: bool) -> None:
    """The key a callback names the merchant by fits its column and is not another brand's; the
    URLs the server will call (baseUrl, gatewayUrl) pass the webhook SSRF rules (in production:
    https and public addresses only), so a brand cannot point the server into its own network."""
    if not lookup_key or len(lookup_key) > 64:
        raise DomainError(PaymentErrorCode.INVALID, "give 1-64 characters", key_field)
    taken = await session.scalar(select(PaymentMerchant.tenant_id).where(
        PaymentMerchant.provider == provider, PaymentMerchant.lookup_key == lookup_key))
    if taken is not None and taken != tenant_id:
        raise DomainError(PaymentErrorCode.INVALID, "this key is registered to another merchant account", key_field)
    for field, url in urls.items():
        try:
            await check_url(url, production)
        except DomainError as exc:
            raise DomainError(PaymentErrorCode.INVALID, exc.message, field) from None


def _check_pem(pem: str, field: str, *, private: bool) -> None:
    from payments.wechatpay import load_private_key, load_public_key

    try:
        (load_private_key if private else load_public_key)(pem)
    except (ValueError, TypeError):
        raise DomainError(PaymentErrorCode.INVALID, "not a PEM RSA key", field) from None
