"""The Alipay simulator and the merchant account pointing at it (tests)."""
from __future__ import annotations

import uuid

from payments.simulators.alipay import AlipaySimulator
from payments.simulators.test_keys import MERCHANT_PRIVATE_PEM, MERCHANT_PUBLIC_PEM, PLATFORM_PRIVATE_PEM, PLATFORM_PUBLIC_PEM


def alipay_simulator() -> AlipaySimulator:
    return AlipaySimulator(app_id=f"2021{uuid.uuid4().int % 10**12:012d}", app_public_key_pem=MERCHANT_PUBLIC_PEM,
                           alipay_private_key_pem=PLATFORM_PRIVATE_PEM)


def alipay_merchant(sim: AlipaySimulator, api_url: str, sim_url: str) -> dict:
    return {"app_id": sim.app_id, "app_private_key_pem": MERCHANT_PRIVATE_PEM, "alipay_public_key_pem": PLATFORM_PUBLIC_PEM,
            "notify_url": f"{api_url}/payments/alipay/callback", "seller_id": sim.seller_id, "gateway_url": f"{sim_url}/gateway.do"}
