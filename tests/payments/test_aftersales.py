"""After-sales through GraphQL: a customer asks to return some quantity with photos, staff
partially approve (refunded through WeChat Pay's simulator, restocked), approve a second,
reject a third; over-claims, double decisions and other brands are refused. Receipt:
confirmed by the customer once, or automatically after the configured time."""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from aftersales.models import ReceiptConfirmation
from aftersales.service import auto_confirm_receipts
from commerce.models import Order, Stock
from core.clock import utc_now
from events.models import DomainEventRecord
from tests.api import gql_documents as docs
from tests.payments.remote_env import remote_env
from tests.worlds import build_world

REQUEST = """
mutation($input: AfterSalesRequestInput!) {
  afterSalesRequest(input: $input) {
    afterSales { id status kind photos requested { amount } approved { amount } refundStatus lines { lineId quantity amount { amount } } }
    replayed errors { field code message }
  }
}"""

DECIDE = """
mutation($input: AfterSalesDecideInput!) {
  afterSalesDecide(input: $input) {
    afterSales { id status requested { amount } approved { amount } refundStatus }
    errors { field code message }
  }
}"""

CONFIRM = """
mutation($order: ID!) { orderConfirmReceipt(input: {orderId: $order}) { confirmed errors { field code message } } }"""


async def _paid(env, lines):
    order = await env.order(lines)
    ref = (await env.pay(order["id"], "WECHATPAY"))["clientPayload"]["providerRef"]
    env.wechat.pay(ref)
    await env.wechat.deliver()
    return order, ref


async def _move(env, order_id, *statuses):
    for status in statuses:
        body = await env.world.gql(env.api, docs.TRANSITION, {"order": order_id, "status": status}, token=env.world.staff_token("hq"))
        assert body["data"]["orderTransition"]["errors"] == [], body


async def test_return_partially_approved_refunded_and_restocked_then_limits(database, test_settings):
    async with remote_env(database, test_settings, ("WECHATPAY",)) as env:
        env.wechat.refund_status = "SUCCESS"
        world = env.world
        order, ref = await _paid(env, {"bread": 3})
        await _move(env, order["id"], "PICKING", "READY", "AWAITING_PICKUP")  # the goods left the shelf
        line = (await env.lines(order["id"]))["lines"][0]

        async def ask(quantity, key=None, photos=("https://img.example.com/a.jpg",), kind="RETURN"):
            body = await world.gql(env.api, REQUEST, {"input": {
                "orderId": order["id"], "idempotencyKey": key or str(uuid.uuid4()), "kind": kind, "reason": "mouldy",
                "photos": list(photos), "lines": [{"lineId": line["id"], "quantity": quantity}]}}, token=world.customer_token())
            return body["data"]["afterSalesRequest"]

        bad_photo = await ask(1, photos=("javascript:alert(1)",))
        assert [e["field"] for e in bad_photo["errors"]] == ["photos.0"]
        too_many = await ask(4)
        assert [e["code"] for e in too_many["errors"]] == ["INVALID"]
        first = await ask(1, key="as-1")
        assert first["errors"] == [] and first["afterSales"]["requested"]["amount"] == "9.00"
        assert (await ask(1, key="as-1"))["replayed"] is True
        # staff can't be customers here, and customers can't decide
        denied = (await world.gql(env.api, DECIDE, {"input": {"requestId": first["afterSales"]["id"], "approve": True}},
                                  token=world.customer_token()))["data"]["afterSalesDecide"]
        assert [e["code"] for e in denied["errors"]] == ["PERMISSION_DENIED"]
        # another brand's staff cannot see it
        other = await build_world(database, env.services)
        hidden = (await other.gql(env.api, DECIDE, {"input": {"requestId": first["afterSales"]["id"], "approve": True}},
                                  token=other.staff_token("hq")))["data"]["afterSalesDecide"]
        assert [e["code"] for e in hidden["errors"]] == ["NOT_FOUND"]

        async with database.read() as session:
            row = await session.get(Order, (await session.scalar(select(Order.id).where(Order.tenant_id == world.tenant_id, Order.number.is_not(None)).order_by(Order.id.desc()))))
            on_hand = await session.scalar(select(Stock.on_hand).where(Stock.store_id == row.store_id, Stock.sku_id == world.sku_ids["bread"]))
        decided = (await world.gql(env.api, DECIDE, {"input": {
            "requestId": first["afterSales"]["id"], "approve": True, "approvedAmount": {"amount": "5.00", "currency": "CNY"},
            "restock": True, "note": "half price, bread came back"}}, token=world.staff_token("manager_a")))["data"]["afterSalesDecide"]
        assert decided["errors"] == [], decided
        assert (decided["afterSales"]["status"], decided["afterSales"]["approved"]["amount"], decided["afterSales"]["refundStatus"]) == (
            "PARTIALLY_APPROVED", "5.00", "SUCCEEDED")
        assert env.wechat.trades[ref].refunded == 500
        async with database.read() as session:
            assert await session.scalar(select(Stock.on_hand).where(Stock.store_id == row.store_id, Stock.sku_id == world.sku_ids["bread"])) == on_hand + 1
        again = (await world.gql(env.api, DECIDE, {"input": {"requestId": first["afterSales"]["id"], "approve": False}},
                                 token=world.staff_token("hq")))["data"]["afterSalesDecide"]
        assert [e["code"] for e in again["errors"]] == ["CONCURRENT_UPDATE"]

        second = await ask(2, kind="REFUND")
        assert second["errors"] == []
        assert (await ask(1))["errors"][0]["code"] == "INVALID"  # all 3 claimed
        full = (await world.gql(env.api, DECIDE, {"input": {"requestId": second["afterSales"]["id"], "approve": True}},
                                token=world.staff_token("hq")))["data"]["afterSalesDecide"]
        assert full["afterSales"]["status"] == "APPROVED" and full["afterSales"]["refundStatus"] == "SUCCEEDED"
        assert env.wechat.trades[ref].refunded == 500 + 1800
        async with database.read() as session:
            events = await session.scalar(select(func.count()).select_from(DomainEventRecord).where(
                DomainEventRecord.type == "refund.succeeded", DomainEventRecord.tenant_id == world.tenant_id))
        assert events == 2


async def test_receipt_confirmed_by_customer_once_or_automatically(database, test_settings):
    async with remote_env(database, test_settings, ("WECHATPAY",)) as env:
        world = env.world
        early, _ = await _paid(env, {"bread": 1})
        not_yet = (await world.gql(env.api, CONFIRM, {"order": early["id"]}, token=world.customer_token()))["data"]["orderConfirmReceipt"]
        assert [e["code"] for e in not_yet["errors"]] == ["INVALID_TRANSITION"]
        await _move(env, early["id"], "PICKING", "READY", "AWAITING_PICKUP")
        for _ in range(2):
            done = (await world.gql(env.api, CONFIRM, {"order": early["id"]}, token=world.customer_token()))["data"]["orderConfirmReceipt"]
            assert done == {"confirmed": True, "errors": []}
        bob = (await world.gql(env.api, CONFIRM, {"order": early["id"]}, token=world.customer_token("bob")))["data"]["orderConfirmReceipt"]
        assert [e["code"] for e in bob["errors"]] == ["NOT_FOUND"]

        late, _ = await _paid(env, {"milk": 1})
        await _move(env, late["id"], "PICKING", "READY", "AWAITING_PICKUP")
        async with database.write() as session:
            await auto_confirm_receipts(session, utc_now(), timedelta(days=7))  # not due yet
        async with database.read() as session:
            assert await session.scalar(select(func.count()).select_from(ReceiptConfirmation).where(
                ReceiptConfirmation.tenant_id == world.tenant_id, ReceiptConfirmation.confirmed_by == "AUTO")) == 0
        async with database.write() as session:
            await auto_confirm_receipts(session, utc_now() + timedelta(days=8), timedelta(days=7))
        async with database.read() as session:
            rows = dict((await session.execute(select(ReceiptConfirmation.confirmed_by, func.count()).where(
                ReceiptConfirmation.tenant_id == world.tenant_id).group_by(ReceiptConfirmation.confirmed_by))).all())
            events = await session.scalar(select(func.count()).select_from(DomainEventRecord).where(
                DomainEventRecord.type == "order.receipt_confirmed", DomainEventRecord.tenant_id == world.tenant_id))
        assert rows == {"CUSTOMER": 1, "AUTO": 1} and events == 2
