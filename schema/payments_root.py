"""GraphQL for real payments (issue 20): partial refunds, merchant accounts per brand."""
from __future__ import annotations

import strawberry

from schema.common import Money, PaymentError
from schema.inputs import MoneyInput


@strawberry.input
class RefundLineInput:
    line_id: strawberry.ID
    quantity: int = strawberry.field(description="Units (or weight units for weighed goods) of the line to refund.")


@strawberry.input
class OrderRefundPartialInput:
    order_id: strawberry.ID
    idempotency_key: str = strawberry.field(description="Names this refund at the provider (out_refund_no): a retry refunds once.")
    lines: list[RefundLineInput] | None = strawberry.field(default=None, description="Lines and quantities, priced pro rata (max 100).")
    amount: MoneyInput | None = strawberry.field(default=None, description="An amount; with lines it may not exceed what they cost.")
    reason: str = ""
    restock: bool = strawberry.field(default=False, description="The goods came back: put the lines' quantities on hand again.")


@strawberry.type
class Refund:
    id: strawberry.ID
    status: str  # PENDING, SUCCEEDED, FAILED
    amount: Money
    reason: str


@strawberry.type
class OrderRefundPartialPayload:
    refund: Refund | None = None
    refunded_total: Money | None = None
    replayed: bool = False
    errors: list[PaymentError] = strawberry.field(default_factory=list)


@strawberry.input
class WeChatPayMerchantInput:
    mchid: str
    appid: str
    serial_no: str = strawberry.field(description="Merchant API certificate serial number.")
    private_key_pem: str = strawberry.field(description="apiclient_key.pem (sealed at rest, never returned).")
    platform_key_id: str = strawberry.field(description="PUB_KEY_ID_... of the WeChat Pay public key.")
    platform_public_key_pem: str
    api_v3_key: str = strawberry.field(description="The 32-byte API v3 key (decrypts callbacks).")
    notify_url: str
    base_url: str = "https://api.mch.weixin.qq.com"


@strawberry.input
class AlipayMerchantInput:
    app_id: str
    app_private_key_pem: str = strawberry.field(description="The app private key (sealed at rest, never returned).")
    alipay_public_key_pem: str = strawberry.field(description="The Alipay public key (not the app public key).")
    notify_url: str
    seller_id: str = ""
    gateway_url: str = "https://openapi.alipay.com/gateway.do"


@strawberry.input
class PaymentMerchantSetInput:
    wechat_pay: WeChatPayMerchantInput | None = None
    alipay: AlipayMerchantInput | None = None


@strawberry.type
class PaymentMerchantSetPayload:
    configured: list[str] = strawberry.field(default_factory=list, description="Providers now configured (names only).")
    errors: list[PaymentError] = strawberry.field(default_factory=list)


@strawberry.type
class PaymentsMutation:
    @strawberry.mutation(description="Staff: refund part of a paid order through the provider that took it.")
    async def order_refund_partial(self, info: strawberry.Info, input: OrderRefundPartialInput) -> OrderRefundPartialPayload:
        from resolvers import payment_mutations

        return await payment_mutations.order_refund_partial(info, input)

    @strawberry.mutation(description="HQ admin: the brand's WeChat Pay / Alipay merchant account (sealed; never readable).")
    async def payment_merchant_set(self, info: strawberry.Info, input: PaymentMerchantSetInput) -> PaymentMerchantSetPayload:
        from resolvers import payment_mutations

        return await payment_mutations.payment_merchant_set(info, input)
