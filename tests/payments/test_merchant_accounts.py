"""paymentMerchantSet: HQ admins only, credentials sealed at rest, never returned; a brand
without an account cannot start a payment with that provider."""
from __future__ import annotations

from sqlalchemy import select

from payments.merchants import MerchantStore, PaymentMerchant
from payments.simulators.test_keys import MERCHANT_PRIVATE_PEM, PLATFORM_PUBLIC_PEM

SET = """
mutation($input: PaymentMerchantSetInput!) { paymentMerchantSet(input: $input) { configured errors { field code message } } }"""

API_V3_KEY = "abcdefghijklmnopqrstuvwxyz012345"


def _wechat(**changes):
    return {"mchid": "1900000009", "appid": "wxabc", "serialNo": "SERIAL9", "privateKeyPem": MERCHANT_PRIVATE_PEM,
            "platformKeyId": "PUB_KEY_ID_set_test", "platformPublicKeyPem": PLATFORM_PUBLIC_PEM, "apiV3Key": API_V3_KEY,
            "notifyUrl": "https://api.example.com/payments/wechatpay/callback", **changes}


async def test_hq_admin_sets_sealed_credentials_others_cannot(client, world, database, services):
    import uuid

    key_id = f"PUB_KEY_ID_{uuid.uuid4().hex[:10]}"
    denied = await world.gql(client, SET, {"input": {"wechatPay": _wechat(platformKeyId=key_id)}}, token=world.staff_token("manager_a"))
    assert [e["code"] for e in denied["data"]["paymentMerchantSet"]["errors"]] == ["PERMISSION_DENIED"]
    customer = await world.gql(client, SET, {"input": {"wechatPay": _wechat(platformKeyId=key_id)}}, token=world.customer_token())
    assert customer["data"]["paymentMerchantSet"]["errors"][0]["code"] == "PERMISSION_DENIED"
    bad = await world.gql(client, SET, {"input": {"wechatPay": _wechat(platformKeyId=key_id, privateKeyPem="nope")}},
                          token=world.staff_token("hq"))
    assert [e["field"] for e in bad["data"]["paymentMerchantSet"]["errors"]] == ["wechatPay.privateKeyPem"]
    short = await world.gql(client, SET, {"input": {"wechatPay": _wechat(platformKeyId=key_id, apiV3Key="short")}},
                            token=world.staff_token("hq"))
    assert [e["field"] for e in short["data"]["paymentMerchantSet"]["errors"]] == ["wechatPay.apiV3Key"]

    done = await world.gql(client, SET, {"input": {"wechatPay": _wechat(platformKeyId=key_id)}}, token=world.staff_token("hq"))
    assert done["data"]["paymentMerchantSet"] == {"configured": ["WECHATPAY"], "errors": []}
    async with database.read() as session:
        row = await session.scalar(select(PaymentMerchant).where(PaymentMerchant.tenant_id == world.tenant_id))
    assert row.lookup_key == key_id
    assert API_V3_KEY not in row.sealed and "PRIVATE KEY" not in row.sealed  # sealed at rest
    opened = await MerchantStore(database, services.secret_box).for_tenant("WECHATPAY", world.tenant_id)
    assert opened["api_v3_key"] == API_V3_KEY and API_V3_KEY not in repr(opened)
