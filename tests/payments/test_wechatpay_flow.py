"""Pay -> partial refund -> second partial refund -> over-refund refused, through the WeChat
Pay simulator over real HTTP on loopback (our signed requests, its signed + encrypted
callbacks), on both databases. Bad callbacks change nothing."""
from __future__ import annotations

import json
import time

from sqlalchemy import select

from commerce.models import Order, Stock
from events.models import DomainEventRecord
from payments.models import Payment, PaymentRefund
from tests.payments.remote_env import remote_env


async def _payment(database, ref) -> Payment:
    async with database.read() as session:
        return await session.scalar(select(Payment).where(Payment.provider_ref == ref))


async def test_pay_then_two_partial_refunds_then_over_refund_refused(database, test_settings):
    async with remote_env(database, test_settings, ("WECHATPAY",)) as env:
        order = await env.order({"bread": 3, "milk": 2})  # 3 x 9.00 + 2 x 11.00 = 49.00
        paid = await env.pay(order["id"], "WECHATPAY")
        assert paid["errors"] == [], paid
        intent = paid["clientPayload"]
        assert intent["codeUrl"].startswith("weixin://") and intent["amount"] == 4900
        ref = intent["providerRef"]
        assert env.wechat.trades[ref].amount == 4900 and env.wechat.refused == []
        # paying again re-sends the same order (idempotent create), same out_trade_no
        again = await env.pay(order["id"], "WECHATPAY")
        assert again["clientPayload"]["providerRef"] == ref and len(env.wechat.trades) == 1

        env.wechat.pay(ref)
        answers = await env.wechat.deliver(times=2)  # a duplicate notification
        assert [a.status_code for a in answers] == [200, 200]
        assert answers[0].json() == {"code": "SUCCESS", "message": "成功"}
        payment = await _payment(database, ref)
        assert (payment.status, payment.captured_fen) == ("SUCCEEDED", 4900)
        assert (await env.lines(order["id"]))["status"] == "PAID"

        lines = (await env.lines(order["id"]))["lines"]
        bread = next(line for line in lines if line["quantity"] == 3)
        first = await env.refund(order["id"], "rf-1", lines=[{"lineId": bread["id"], "quantity": 1}])
        assert first["errors"] == [] and first["refund"]["amount"]["amount"] == "9.00"
        assert first["refund"]["status"] == "PENDING"  # PROCESSING at WeChat: the refund callback settles it
        await env.wechat.deliver()
        second = await env.refund(order["id"], "rf-2", amount="30.00")
        assert second["errors"] == [] and second["refundedTotal"]["amount"] == "39.00"
        # the same key again: the same refund, not a second one
        replay = await env.refund(order["id"], "rf-2", amount="30.00")
        assert replay["replayed"] is True and replay["refundedTotal"]["amount"] == "39.00"
        over = await env.refund(order["id"], "rf-3", amount="10.01")
        assert [e["code"] for e in over["errors"]] == ["ORDER_NOT_REFUNDABLE"]
        await env.wechat.deliver(reverse=True)
        async with database.read() as session:
            refunds = list(await session.scalars(select(PaymentRefund).where(PaymentRefund.payment_id == payment.id)
                                                 .order_by(PaymentRefund.id)))
            events = list(await session.scalars(select(DomainEventRecord).where(
                DomainEventRecord.type == "refund.succeeded", DomainEventRecord.aggregate_id == payment.order_id)))
        assert [(r.amount_fen, r.status) for r in refunds] == [(900, "SUCCEEDED"), (3000, "SUCCEEDED")]
        assert sorted(e.payload["amount_fen"] for e in events) == [900, 3000]
        assert (await _payment(database, ref)).refunded_fen == 3900
        # WeChat saw each out_refund_no once, 39.00 in all
        assert sum(r["amount"]["refund"] for r in env.wechat.refunds.values()) == 3900 and len(env.wechat.refunds) == 2


async def test_bad_callbacks_are_refused_and_change_nothing(database, test_settings):
    async with remote_env(database, test_settings, ("WECHATPAY",)) as env:
        order = await env.order({"bread": 1})
        ref = (await env.pay(order["id"], "WECHATPAY"))["clientPayload"]["providerRef"]
        env.wechat.pay(ref)
        url, body, _ = env.wechat.outbox.pop()
        envelope = json.loads(body)
        ciphertext = envelope["resource"]["ciphertext"]
        flipped = ("B" if ciphertext[0] == "A" else "A") + ciphertext[1:]  # one changed byte, never the same text
        tampered = dict(envelope, resource=dict(envelope["resource"], ciphertext=flipped))
        tampered_body = json.dumps(tampered).encode()
        cases = {
            "stale": (body, env.wechat.signed(body, timestamp=int(time.time()) - 301)),
            "bad signature": (body, {**env.wechat.signed(body), "Wechatpay-Signature": env.wechat.signed(b"other")["Wechatpay-Signature"]}),
            "tampered ciphertext": (tampered_body, env.wechat.signed(tampered_body)),  # signed, but the GCM tag fails
            "unknown serial": (body, {**env.wechat.signed(body), "Wechatpay-Serial": "PUB_KEY_ID_nobody"}),
            "probe": (body, {**env.wechat.signed(body), "Wechatpay-Signature": "WECHATPAY/SIGNTEST/abc"}),
        }
        for name, (raw, headers) in cases.items():
            answer = await env.api.post(url.replace(env.api_url, ""), content=raw, headers={"Content-Type": "application/json", **headers})
            assert answer.status_code == 401, (name, answer.text)
            assert answer.json()["code"] == "FAIL"
        payment = await _payment(database, ref)
        assert (payment.status, payment.captured_fen) == ("PENDING", None)
        async with database.read() as session:
            assert await session.scalar(select(Order.status).where(Order.id == payment.order_id)) == "UNPAID"
        # the genuine one still works afterwards
        answer = await env.api.post(url.replace(env.api_url, ""), content=body,
                                    headers={"Content-Type": "application/json", **env.wechat.signed(body)})
        assert answer.status_code == 200
        assert (await _payment(database, ref)).status == "SUCCEEDED"


async def test_our_requests_are_signed_and_a_forged_one_is_refused_by_the_platform(database, test_settings):
    import httpx

    async with remote_env(database, test_settings, ("WECHATPAY",)) as env:
        order = await env.order({"bread": 1})
        await env.pay(order["id"], "WECHATPAY")
        assert env.wechat.refused == []
        merchant_url = next(iter(env.wechat.trades.values())).notify_url
        assert merchant_url.endswith("/payments/wechatpay/callback")
        # someone without the merchant key cannot order at the platform
        from payments.simulators.serve import serving

        async with serving(env.wechat.app()) as url, httpx.AsyncClient(base_url=url) as http:
            answer = await http.post("/v3/pay/transactions/native", content=b"{}", headers={
                "Authorization": 'WECHATPAY2-SHA256-RSA2048 mchid="1900000001",nonce_str="x",signature="AAAA",'
                                 f'timestamp="{int(time.time())}",serial_no="MERCHANTSERIAL01"'})
        assert answer.status_code == 401 and env.wechat.refused == ["signature does not verify"]


async def test_lines_refund_with_restock_puts_goods_back_when_they_had_left(database, test_settings):
    async with remote_env(database, test_settings, ("WECHATPAY",)) as env:
        env.wechat.refund_status = "SUCCESS"  # refunded at once, no callback needed
        order = await env.order({"bread": 2})
        ref = (await env.pay(order["id"], "WECHATPAY"))["clientPayload"]["providerRef"]
        env.wechat.pay(ref)
        await env.wechat.deliver()
        payment = await _payment(database, ref)
        async with database.write() as session:  # the goods left the store (picked and handed over)
            row = await session.get(Order, payment.order_id)
            row.stock_state = "DEDUCTED"
            stock = await session.scalar(select(Stock).where(Stock.store_id == row.store_id, Stock.sku_id == env.world.sku_ids["bread"]))
            on_hand = stock.on_hand
        line = (await env.lines(order["id"]))["lines"][0]
        done = await env.refund(order["id"], "rf-back", lines=[{"lineId": line["id"], "quantity": 1}], restock=True)
        assert done["errors"] == [] and done["refund"]["status"] == "SUCCEEDED"
        async with database.read() as session:
            after = await session.scalar(select(Stock.on_hand).where(Stock.store_id == row.store_id, Stock.sku_id == env.world.sku_ids["bread"]))
        assert after == on_hand + 1


async def test_jsapi_mini_program_payment_gets_a_signed_pay_sheet(database, test_settings):
    from payments.simulators.test_keys import MERCHANT_PUBLIC_PEM
    from payments.wechatpay import load_public_key, rsa_verify

    async with remote_env(database, test_settings, ("WECHATPAY",)) as env:
        order = await env.order({"bread": 1})
        no_openid = await env.pay(order["id"], "WECHATPAY", channel="JSAPI")
        assert [e["code"] for e in no_openid["errors"]] == ["PROVIDER_NOT_AVAILABLE"]
        paid = await env.pay(order["id"], "WECHATPAY", channel="JSAPI", openid="oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
        sheet = paid["clientPayload"]
        assert paid["errors"] == [] and sheet["package"].startswith("prepay_id=wx_sim_") and sheet["signType"] == "RSA"
        message = f"{sheet['appId']}\n{sheet['timeStamp']}\n{sheet['nonceStr']}\n{sheet['package']}\n".encode()
        assert rsa_verify(load_public_key(MERCHANT_PUBLIC_PEM), message, sheet["paySign"])
