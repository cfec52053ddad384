"""A merchant URL is checked again at connect time, by the rule it was saved under: a
production deployment does not call a base/gateway URL on loopback even if the row holds one
(saved under the development rule, or its host re-pointed inward since); nothing is sent and
the call is 'unavailable' (retried, never a wrong final state). Development still reaches the
loopback simulators."""
from __future__ import annotations

import pytest

from payments.alipay_provider import AlipayProvider
from payments.remote import MerchantUrlRefused, ProviderUnavailable
from payments.wechatpay_provider import WeChatPayProvider
from tests.payments.remote_env import remote_env


async def test_production_refuses_loopback_merchant_urls_at_connect_time(database, test_settings):
    async with remote_env(database, test_settings) as env:
        tenant = env.world.tenant_id
        merchants = env.services.payments.get("WECHATPAY")._merchants
        # development (the saved rule): the simulators answer
        assert (await env.services.payments.get("WECHATPAY").query(tenant_id=tenant, out_trade_no="nope")).state == "NOT_FOUND"
        assert (await env.services.payments.get("ALIPAY").query(tenant_id=tenant, out_trade_no="nope")).state == "NOT_FOUND"
        for provider in (WeChatPayProvider(merchants, production=True), AlipayProvider(merchants, production=True)):
            with pytest.raises(MerchantUrlRefused) as refused:
                await provider.query(tenant_id=tenant, out_trade_no="nope")
            assert isinstance(refused.value, ProviderUnavailable) and "merchant URL refused" in str(refused.value)
            with pytest.raises(MerchantUrlRefused):
                await provider.refund(tenant_id=tenant, out_trade_no="nope", out_refund_no="r-1", amount_fen=100,
                                      total_fen=100, reason="test")
