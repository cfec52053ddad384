"""Run the WeChat Pay and Alipay simulators beside the API (development, the demo).

    python -m payments.simulators.run [--tenant SLUG] [--api http://127.0.0.1:8000]

Starts both platforms on loopback (ports QIANDIAN_SIM_WECHAT_PORT=8101, QIANDIAN_SIM_ALIPAY_PORT=8102)
with the fixed test keys in payments/simulators/test_keys.py, and seals merchant accounts
pointing at them for the brand `--tenant` (default: the demo chain, qianxian) in the API's database
(DATABASE_URL, QIANDIAN_SECRET_KEY: the same environment as the API). Notifications are
sent at once (auto_notify). Pay an order the API started with:

    curl -XPOST 127.0.0.1:8101/sim/pay -d '{"out_trade_no":"QD000000000001"}'   # WeChat Pay
    curl -XPOST 127.0.0.1:8102/sim/pay -d '{"out_trade_no":"QD000000000001"}'   # Alipay
"""
from __future__ import annotations

import argparse
import asyncio
import os

API_V3_KEY = "demo-api-v3-key-0123456789abcdef"  # 32 bytes; test only


async def configure(tenant_slug: str, api: str, wechat, alipay, wechat_url: str, alipay_url: str) -> None:
    from sqlalchemy import select

    from core.secret_box import SecretBox
    from core.settings import load_settings
    from db.session import Database
    from payments.merchants import save_merchant
    from payments.registry import set_tenant_providers
    from payments.simulators.test_keys import MERCHANT_PRIVATE_PEM, PLATFORM_PUBLIC_PEM
    from store_network.models import Tenant

    settings = load_settings()
    database = Database(settings.database_url)
    box = SecretBox(settings.secret_key, settings.previous_secret_keys)
    try:
        async with database.write() as session:
            tenant_id = await session.scalar(select(Tenant.id).where(Tenant.slug == tenant_slug))
            if tenant_id is None:
                raise SystemExit(f"no brand {tenant_slug!r}; load the demo chain first (qiandian seed-demo)")
            await set_tenant_providers(session, tenant_id, ["SANDBOX", "WECHATPAY", "ALIPAY"])
            await save_merchant(session, box, tenant_id, "WECHATPAY", wechat.platform_key_id, {
                "mchid": wechat.mchid, "appid": wechat.appid, "serial_no": wechat.merchant_serial,
                "private_key_pem": MERCHANT_PRIVATE_PEM, "platform_key_id": wechat.platform_key_id,
                "platform_public_key_pem": PLATFORM_PUBLIC_PEM, "api_v3_key": API_V3_KEY,
                "notify_url": f"{api}/payments/wechatpay/callback", "base_url": wechat_url})
            await save_merchant(session, box, tenant_id, "ALIPAY", alipay.app_id, {
                "app_id": alipay.app_id, "app_private_key_pem": MERCHANT_PRIVATE_PEM, "alipay_public_key_pem": PLATFORM_PUBLIC_PEM,
                "notify_url": f"{api}/payments/alipay/callback", "seller_id": alipay.seller_id,
                "gateway_url": f"{alipay_url}/gateway.do"})
    finally:
        await database.dispose()
    print(f"brand {tenant_slug}: WECHATPAY -> {wechat_url}, ALIPAY -> {alipay_url} (merchant accounts sealed)", flush=True)


def simulators():
    from payments.simulators.alipay import AlipaySimulator
    from payments.simulators.test_keys import MERCHANT_PUBLIC_PEM, PLATFORM_PRIVATE_PEM
    from payments.simulators.wechat import WeChatSimulator
    from payments.wechatpay import load_private_key, load_public_key

    wechat = WeChatSimulator(mchid="1900000001", merchant_serial="DEMOMERCHANTSERIAL", appid="wxdemo0000000001",
                             merchant_public_key=load_public_key(MERCHANT_PUBLIC_PEM),
                             platform_private_key=load_private_key(PLATFORM_PRIVATE_PEM),
                             platform_key_id="PUB_KEY_ID_DEMO_SIMULATOR", api_v3_key=API_V3_KEY, auto_notify=True)
    alipay = AlipaySimulator(app_id="2021000000000001", app_public_key_pem=MERCHANT_PUBLIC_PEM,
                             alipay_private_key_pem=PLATFORM_PRIVATE_PEM, auto_notify=True)
    return wechat, alipay


async def main(args) -> None:
    from payments.simulators.serve import serving

    wechat, alipay = simulators()
    async with serving(wechat.app(), args.wechat_port) as wechat_url, serving(alipay.app(), args.alipay_port) as alipay_url:
        if args.tenant:
            await configure(args.tenant, args.api, wechat, alipay, wechat_url, alipay_url)
        print(f"WeChat Pay simulator {wechat_url}; Alipay simulator {alipay_url}", flush=True)
        await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenant", default=os.environ.get("QIANDIAN_SIM_TENANT", "qianxian"))
    parser.add_argument("--api", default=os.environ.get("QIANDIAN_SIM_API", "http://127.0.0.1:8000"))
    parser.add_argument("--wechat-port", type=int, default=int(os.environ.get("QIANDIAN_SIM_WECHAT_PORT", 8101)))
    parser.add_argument("--alipay-port", type=int, default=int(os.environ.get("QIANDIAN_SIM_ALIPAY_PORT", 8102)))
    asyncio.run(main(parser.parse_args()))
