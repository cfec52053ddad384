"""Pay -> partial refund -> second partial refund -> over-refund refused through the Alipay
simulator over real HTTP on loopback, on both databases; a forged notify changes nothing."""
from __future__ import annotations

from urllib.parse import urlencode

from sqlalchemy import select

from payments.models import Payment, PaymentRefund
from tests.payments.remote_env import remote_env


async def _payment(database, ref) -> Payment:
    async with database.read() as session:
        return await session.scalar(select(Payment).where(Payment.provider_ref == ref))


async def test_alipay_pay_then_two_partial_refunds_then_over_refund_refused(database, test_settings):
    async with remote_env(database, test_settings, ("ALIPAY",)) as env:
        sim = env.alipay
        order = await env.order({"bread": 3, "milk": 2})  # 49.00
        paid = await env.pay(order["id"], "ALIPAY")
        assert paid["errors"] == [], paid
        intent = paid["clientPayload"]
        ref = intent["providerRef"]
        assert intent["qrCode"].startswith("https://qr.alipay.com/") and sim.trades[ref]["amount"] == 4900
        assert sim.refused == []

        sim.pay(ref)
        answers = await sim.deliver(times=2)  # duplicate
        assert [a.text for a in answers] == ["success", "success"]
        payment = await _payment(database, ref)
        assert (payment.status, payment.captured_fen) == ("SUCCEEDED", 4900)

        first = await env.refund(order["id"], "ali-1", amount="0.01")
        assert first["errors"] == [] and first["refund"]["status"] == "SUCCEEDED"  # fund_change=Y
        second = await env.refund(order["id"], "ali-2", amount="48.98")
        assert second["errors"] == [] and second["refundedTotal"]["amount"] == "48.99"
        over = await env.refund(order["id"], "ali-3", amount="0.02")
        assert [e["code"] for e in over["errors"]] == ["ORDER_NOT_REFUNDABLE"]
        # the refund notifications arrive afterwards, out of order: no-ops, acknowledged
        assert [a.text for a in await sim.deliver(reverse=True)] == ["success", "success"]
        async with database.read() as session:
            rows = list(await session.scalars(select(PaymentRefund).where(PaymentRefund.payment_id == payment.id).order_by(PaymentRefund.id)))
        assert [(r.amount_fen, r.status) for r in rows] == [(1, "SUCCEEDED"), (4898, "SUCCEEDED")]
        assert sim.trades[ref]["refunded"] == 4899 and len(sim.refunds) == 2


async def test_forged_or_tampered_alipay_notify_is_refused_and_changes_nothing(database, test_settings):
    async with remote_env(database, test_settings, ("ALIPAY",)) as env:
        sim = env.alipay
        order = await env.order({"bread": 1})
        ref = (await env.pay(order["id"], "ALIPAY"))["clientPayload"]["providerRef"]
        sim.pay(ref)
        url, params = sim.outbox.pop()
        path = url.replace(env.api_url, "")
        for bad in ({**params, "total_amount": "0.01"}, {**params, "sign": params["sign"][:-4] + "AAAA"},
                    {**params, "app_id": "2021999999999999"}):
            answer = await env.api.post(path, content=urlencode(bad).encode(),
                                        headers={"Content-Type": "application/x-www-form-urlencoded"})
            assert answer.status_code == 401 and answer.text != "success"
        assert (await _payment(database, ref)).status == "PENDING"
        answer = await env.api.post(path, content=urlencode(params).encode(), headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert answer.text == "success"
        assert (await _payment(database, ref)).status == "SUCCEEDED"
