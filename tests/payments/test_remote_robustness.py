"""Robustness against a real provider (WeChat Pay simulator over loopback): a callback that
never comes (reconciliation by query), an unpaid order that expires (closed at the provider),
a success after close (REFUND_REQUIRED, refunded by the sweep), a refund whose answer was lost
(queried before any retry: refunded once)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from commerce.models import Order
from commerce.orders import expire_unpaid_orders
from core.clock import utc_now
from payments.models import Payment, PaymentRefund
from payments.refunds import retry_pending_refunds
from payments.service import reconcile_payments, refund_late_payments
from tests.payments.remote_env import remote_env


async def _payment(database, ref) -> Payment:
    async with database.read() as session:
        return await session.scalar(select(Payment).where(Payment.provider_ref == ref))


async def _order_status(database, payment) -> str:
    async with database.read() as session:
        return await session.scalar(select(Order.status).where(Order.id == payment.order_id))


async def test_a_payment_whose_callback_never_came_is_found_by_query(database, test_settings):
    async with remote_env(database, test_settings, ("WECHATPAY",)) as env:
        order = await env.order({"bread": 1})
        ref = (await env.pay(order["id"], "WECHATPAY"))["clientPayload"]["providerRef"]
        env.wechat.pay(ref)
        env.wechat.outbox.clear()  # the notification is lost
        assert await reconcile_payments(database, env.services.payments, utc_now(), older_than=timedelta(0)) >= 1
        payment = await _payment(database, ref)
        assert payment.status == "SUCCEEDED" and await _order_status(database, payment) == "PAID"


async def test_expired_order_is_closed_at_the_provider_and_a_late_success_is_refunded(database, test_settings):
    async with remote_env(database, test_settings, ("WECHATPAY",)) as env:
        order = await env.order({"bread": 1})
        ref = (await env.pay(order["id"], "WECHATPAY"))["clientPayload"]["providerRef"]
        async with database.write() as session:
            await expire_unpaid_orders(session, utc_now() + timedelta(hours=2))
        await reconcile_payments(database, env.services.payments, utc_now(), older_than=timedelta(0))
        assert env.wechat.trades[ref].state == "CLOSED"
        payment = await _payment(database, ref)
        assert payment.status == "FAILED" and await _order_status(database, payment) == "CANCELLED"
        # the customer's payment was already in flight: money arrives after close
        env.wechat.pay(ref)
        await env.wechat.deliver()
        payment = await _payment(database, ref)
        assert (payment.status, payment.captured_fen) == ("REFUND_REQUIRED", 900)
        assert await refund_late_payments(database, env.services.payments, utc_now()) >= 1  # other tests' rows too
        assert (await _payment(database, ref)).status == "REFUNDED"
        assert env.wechat.trades[ref].refunded == 900
        # running the sweep again refunds nothing more
        await refund_late_payments(database, env.services.payments, utc_now())
        assert env.wechat.trades[ref].refunded == 900


async def test_a_refund_whose_answer_was_lost_is_queried_not_sent_twice(database, test_settings):
    async with remote_env(database, test_settings, ("WECHATPAY",)) as env:
        order = await env.order({"bread": 2})
        ref = (await env.pay(order["id"], "WECHATPAY"))["clientPayload"]["providerRef"]
        env.wechat.pay(ref)
        await env.wechat.deliver()
        env.wechat.lose_refund_answers = 1
        env.wechat.outbox.clear()
        answer = await env.refund(order["id"], "lost-1", amount="5.00")
        assert answer["errors"] == [] and answer["refund"]["status"] == "PENDING"  # outcome unknown
        env.wechat.outbox.clear()  # and its callback never comes either
        assert await retry_pending_refunds(database, env.services.payments, utc_now(), older_than=timedelta(0)) >= 1
        async with database.read() as session:
            row = await session.scalar(select(PaymentRefund).join(Payment, Payment.id == PaymentRefund.payment_id)
                                       .where(Payment.provider_ref == ref))
        assert row.status == "SUCCEEDED"
        assert len(env.wechat.refunds) == 1 and env.wechat.trades[ref].refunded == 500


async def test_a_refund_the_provider_never_saw_is_sent_again_with_the_same_number(database, test_settings):
    async with remote_env(database, test_settings, ("WECHATPAY",)) as env:
        env.wechat.refund_status = "SUCCESS"
        order = await env.order({"bread": 2})
        ref = (await env.pay(order["id"], "WECHATPAY"))["clientPayload"]["providerRef"]
        env.wechat.pay(ref)
        await env.wechat.deliver()
        merchant_url = (await env.services.payments.get("WECHATPAY")._merchant(env.world.tenant_id)).base_url
        # the platform is down when staff refund
        from payments.merchants import save_merchant
        from payments.merchants import MerchantStore

        sealed = await MerchantStore(database, env.services.secret_box).for_tenant("WECHATPAY", env.world.tenant_id)
        down = dict(sealed.values, base_url="http://127.0.0.1:9")  # nothing listens on the discard port
        async with database.write() as session:
            await save_merchant(session, env.services.secret_box, env.world.tenant_id, "WECHATPAY", down["platform_key_id"], down)
        answer = await env.refund(order["id"], "down-1", amount="3.00")
        assert answer["refund"]["status"] == "PENDING" and env.wechat.refunds == {}
        async with database.write() as session:
            await save_merchant(session, env.services.secret_box, env.world.tenant_id, "WECHATPAY", down["platform_key_id"],
                                dict(down, base_url=merchant_url))
        assert await retry_pending_refunds(database, env.services.payments, utc_now(), older_than=timedelta(0)) >= 1
        assert [r["amount"]["refund"] for r in env.wechat.refunds.values()] == [300]
