"""The API served over real HTTP on loopback with the remote providers on, beside the platform
simulators (also on loopback), and a world whose brand has merchant accounts at them."""
from __future__ import annotations

import contextlib
import dataclasses
import json
import uuid

import httpx

from app.services import build_services
from auth.sms import MemorySmsSender
from payments.merchants import save_merchant
from payments.registry import set_tenant_providers
from payments.simulators.serve import serving
from payments.simulators.test_keys import MERCHANT_PRIVATE_PEM, MERCHANT_PUBLIC_PEM, PLATFORM_PRIVATE_PEM, PLATFORM_PUBLIC_PEM
from payments.simulators.wechat import WeChatSimulator
from payments.wechatpay import load_private_key, load_public_key
from tests.api import gql_documents as docs
from tests.api.helpers import place_order
from tests.worlds import build_world

API_V3_KEY = "0123456789abcdef0123456789ABCDEF"

PAY = """
mutation($order: ID!, $key: String!, $provider: String, $channel: String, $openid: String) {
  orderPay(input: {orderId: $order, idempotencyKey: $key, provider: $provider, channel: $channel, payerOpenid: $openid}) {
    payment { id status amount { amount } } clientPayload replayed
    errors { field code message }
  }
}"""

REFUND = """
mutation($input: OrderRefundPartialInput!) {
  orderRefundPartial(input: $input) {
    refund { id status amount { amount } } refundedTotal { amount } replayed
    errors { field code message }
  }
}"""

ORDER_LINES = """
query($id: ID!) { node(id: $id) { ... on Order { status lines { id quantity total { amount } } } } }"""


@dataclasses.dataclass
class RemoteEnv:
    services: object
    api: httpx.AsyncClient
    api_url: str
    world: object
    wechat: WeChatSimulator
    alipay: object | None

    async def order(self, lines=None) -> dict:
        return (await place_order(self.api, self.world, lines or {"bread": 3, "milk": 2}, fulfilment="STORE_PICKUP"))["order"]

    async def pay(self, order_id: str, provider: str, **extra) -> dict:
        body = await self.world.gql(self.api, PAY, {"order": order_id, "key": f"pay-{uuid.uuid4()}", "provider": provider, **extra},
                                    token=self.world.customer_token())
        payload = body["data"]["orderPay"]
        if isinstance(payload.get("clientPayload"), str):
            payload["clientPayload"] = json.loads(payload["clientPayload"])
        return payload

    async def refund(self, order_id: str, key: str, *, amount: str | None = None, lines=None, restock=False, staff="hq") -> dict:
        variables = {"orderId": order_id, "idempotencyKey": key, "reason": "spoiled", "restock": restock}
        if amount is not None:
            variables["amount"] = {"amount": amount, "currency": "CNY"}
        if lines is not None:
            variables["lines"] = lines
        body = await self.world.gql(self.api, REFUND, {"input": variables}, token=self.world.staff_token(staff))
        return body["data"]["orderRefundPartial"]

    async def lines(self, order_id: str) -> dict:
        return (await self.world.gql(self.api, ORDER_LINES, {"id": order_id}, token=self.world.staff_token("hq")))["data"]["node"]


def wechat_simulator() -> WeChatSimulator:
    return WeChatSimulator(mchid="1900000001", merchant_serial="MERCHANTSERIAL01", appid="wxsimappid000001",
                           merchant_public_key=load_public_key(MERCHANT_PUBLIC_PEM),
                           platform_private_key=load_private_key(PLATFORM_PRIVATE_PEM),
                           platform_key_id=f"PUB_KEY_ID_{uuid.uuid4().hex[:12]}", api_v3_key=API_V3_KEY)


@contextlib.asynccontextmanager
async def remote_env(database, test_settings, providers=("WECHATPAY", "ALIPAY")):
    settings = dataclasses.replace(test_settings, remote_payment_providers=tuple(providers), payment_http_timeout_s=5.0)
    services = build_services(settings, database=database, sms=MemorySmsSender())
    from asgi import create_app

    app = create_app(settings, services)
    wechat = wechat_simulator()
    alipay = None
    if "ALIPAY" in providers:
        from tests.payments.alipay_env import alipay_simulator

        alipay = alipay_simulator()
    async with contextlib.AsyncExitStack() as stack:
        api_url = await stack.enter_async_context(serving(app))
        wechat_url = await stack.enter_async_context(serving(wechat.app()))
        alipay_url = await stack.enter_async_context(serving(alipay.app())) if alipay else None
        world = await build_world(database, services)
        async with database.write() as session:
            await set_tenant_providers(session, world.tenant_id, list(providers))
            await save_merchant(session, services.secret_box, world.tenant_id, "WECHATPAY", wechat.platform_key_id, {
                "mchid": wechat.mchid, "appid": wechat.appid, "serial_no": wechat.merchant_serial,
                "private_key_pem": MERCHANT_PRIVATE_PEM, "platform_key_id": wechat.platform_key_id,
                "platform_public_key_pem": PLATFORM_PUBLIC_PEM, "api_v3_key": API_V3_KEY,
                "notify_url": f"{api_url}/payments/wechatpay/callback", "base_url": wechat_url})
            if alipay:
                from tests.payments.alipay_env import alipay_merchant

                await save_merchant(session, services.secret_box, world.tenant_id, "ALIPAY", alipay.app_id,
                                    alipay_merchant(alipay, api_url, alipay_url))
        api = await stack.enter_async_context(httpx.AsyncClient(base_url=api_url, timeout=30))
        yield RemoteEnv(services, api, api_url, world, wechat, alipay)
