"""The README walk-through over GraphQL: HQ sets up levels and a plan, a customer joins, tops
up through the provider, pays an order with stored value and earns points; a store counter
finds the same member by code and charges them. Plus permissions and tenant isolation."""
from __future__ import annotations

import uuid

from commerce.order_status import OrderStatus
from tests.api.helpers import send_callback
from tests.membership.helpers import COMPLETE_PICKUP, move, pickup_order
from tests.worlds import build_world

LEVEL = """mutation($in: MemberLevelCreateInput!) { memberLevelCreate(input: $in) { id errors { field code message } } }"""
PLAN = """mutation($in: TopUpPlanCreateInput!) { topUpPlanCreate(input: $in) { id errors { field code message } } }"""
JOIN = """mutation { membershipJoin { membership { id level { code discountPercent } } errors { code } } }"""
PLANS = """{ topUpPlans { id name pay { amount } bonus { amount } } }"""
TOP_UP = """mutation($in: TopUpStartInput!) { topUpStart(input: $in) { topUpId clientPayload errors { field code message } } }"""
MINE = """{ myMembership { level { code } points balance { principal { amount } bonus { amount } total { amount } }
  pointsHistory { kind amount } balanceHistory { kind amount memo } } }"""
PAY = """mutation($in: StoredValuePayInput!) { storedValuePay(input: $in) { orderStatus principalSpent { amount } bonusSpent { amount } errors { code message } } }"""
CODE = """mutation { memberCodeCreate { code expiresAt errors { code } } }"""
LOOKUP = """mutation($in: MemberLookupInput!) { memberLookup(input: $in) { member { id name mobile points balance { total { amount } } } errors { field code message } } }"""
CHARGE = """mutation($in: CounterChargeInput!) { counterCharge(input: $in) { member { balance { total { amount } } } errors { field code message } } }"""
ADJUST = """mutation($in: MemberAdjustInput!) { memberAdjust(input: $in) { id errors { field code message } } }"""
REPORT = """{ membershipReport(days: 30) { members activeMembers topUps { amount } topUpCount balanceOutstanding { amount }
  byStore { storeId topUps { amount } storedValueSpent { amount } } } }"""


async def test_customer_journey_and_store_counter(client, world):
    hq, alice = world.staff_token("hq"), world.customer_token()
    level = await world.gql(client, LEVEL, {"in": {"code": "SILVER", "name": "Silver", "rank": 1, "discountPercent": 95}}, token=hq)
    assert level["data"]["memberLevelCreate"]["errors"] == [], level
    plan = await world.gql(client, PLAN, {"in": {"name": "Pay 100 get 120", "pay": "100", "bonus": "20"}}, token=hq)
    assert plan["data"]["topUpPlanCreate"]["errors"] == []
    joined = await world.gql(client, JOIN, token=alice)
    assert joined["data"]["membershipJoin"]["membership"]["level"] == {"code": "SILVER", "discountPercent": 95}
    plans = (await world.gql(client, PLANS))["data"]["topUpPlans"]
    assert [(p["pay"]["amount"], p["bonus"]["amount"]) for p in plans] == [("100.00", "20.00")]
    started = await world.gql(client, TOP_UP, {"in": {"planId": plans[0]["id"], "idempotencyKey": "tu-1"}}, token=alice)
    payload = started["data"]["topUpStart"]
    assert payload["errors"] == [], payload
    callback = await send_callback(client, world, payload["clientPayload"]["providerRef"], payload["clientPayload"]["amount"])
    assert callback.json()["outcome"] == "TOP_UP_CREDITED"

    order_id = await pickup_order(client, world, {"bread": 2})  # 2 x 9.00 less 5% = 17.10
    paid = await world.gql(client, PAY, {"in": {"orderId": world.gid("Order", order_id), "idempotencyKey": "p-1"}}, token=alice)
    assert paid["data"]["storedValuePay"] == {
        "orderStatus": "PAID", "principalSpent": {"amount": "14.25"}, "bonusSpent": {"amount": "2.85"}, "errors": []}
    await move(world, order_id, *COMPLETE_PICKUP)
    mine = (await world.gql(client, MINE, token=alice))["data"]["myMembership"]
    assert mine["points"] == 17 and mine["balance"]["total"]["amount"] == "102.90"
    assert [line["kind"] for line in mine["balanceHistory"]] == ["sv.spend", "sv.top_up"]
    assert mine["pointsHistory"] == [{"kind": "points.earn", "amount": 17}]

    # At the counter of store A: the member shows a code, the clerk finds them and charges 20.00.
    code = (await world.gql(client, CODE, token=alice))["data"]["memberCodeCreate"]["code"]
    clerk = world.staff_token("clerk_a")
    found = await world.gql(client, LOOKUP, {"in": {"storeId": world.store("a"), "code": code}}, token=clerk)
    member = found["data"]["memberLookup"]["member"]
    assert member["mobile"] == "+86138****0001" and member["balance"]["total"]["amount"] == "102.90"
    charged = await world.gql(client, CHARGE, {"in": {"storeId": world.store("a"), "memberId": member["id"], "amount": "20",
                                                      "idempotencyKey": "pos-1"}}, token=clerk)
    assert charged["data"]["counterCharge"]["member"]["balance"]["total"]["amount"] == "82.90"
    report = (await world.gql(client, REPORT, token=hq))["data"]["membershipReport"]
    assert (report["members"], report["activeMembers"], report["topUps"]["amount"], report["balanceOutstanding"]["amount"]) == (
        1, 1, "100.00", "82.90")
    assert report["byStore"] == [{"storeId": world.store("a"), "topUps": {"amount": "0.00"}, "storedValueSpent": {"amount": "37.10"}}]


async def test_a_wrong_code_spends_an_attempt_and_other_tenants_members_are_not_found(client, database, world, services):
    alice = world.customer_token()
    member_id = (await world.gql(client, JOIN, token=alice))["data"]["membershipJoin"]["membership"]["id"]
    clerk = world.staff_token("clerk_a")
    wrong = await world.gql(client, LOOKUP, {"in": {"storeId": world.store("a"), "code": "0" * 18}}, token=clerk)
    assert wrong["data"]["memberLookup"]["errors"][0]["code"] == "CODE_INVALID"
    from sqlalchemy import select

    from membership.models import MemberLookupBudget

    async with database.read() as session:
        attempts = await session.scalar(select(MemberLookupBudget.attempts).where(MemberLookupBudget.tenant_id == world.tenant_id))
    assert attempts == 1
    other = await build_world(database, services)
    foreign = await other.gql(client, CHARGE, {"in": {"storeId": other.store("a"), "memberId": member_id, "amount": "1",
                                                      "idempotencyKey": "x"}}, token=other.staff_token("clerk_a"))
    assert foreign["data"]["counterCharge"]["errors"][0]["code"] == "NOT_FOUND"
    adjust = {"in": {"memberId": member_id, "part": "BONUS", "amount": "5", "reason": "goodwill", "idempotencyKey": str(uuid.uuid4())}}
    assert (await other.gql(client, ADJUST, adjust, token=other.staff_token("hq")))["data"]["memberAdjust"]["errors"][0]["code"] == "NOT_FOUND"
    assert (await world.gql(client, ADJUST, adjust, token=world.staff_token("manager_a")))["data"]["memberAdjust"]["errors"][0]["code"] == "PERMISSION_DENIED"
    assert (await world.gql(client, ADJUST, adjust, token=alice))["data"]["memberAdjust"]["errors"][0]["code"] in ("PERMISSION_DENIED", "UNAUTHENTICATED")
    assert (await world.gql(client, ADJUST, adjust, token=world.staff_token("hq")))["data"]["memberAdjust"]["errors"] == []


SPLIT = """mutation($in: StoredValuePayInput!) { storedValuePay(input: $in) { orderStatus amountDue { amount } principalSpent { amount } errors { code message } } }"""


async def test_split_payment_stored_value_then_provider_and_refund_returns_both(client, world):
    from tests.api.helpers import pay
    from tests.membership.helpers import balances, join, ledger_ok, order_row, top_up

    member_id = await join(world)
    await top_up(world, member_id, 1000, 0)
    order_id = await pickup_order(client, world, {"bread": 2})  # 18.00
    gid = world.gid("Order", order_id)
    part = await world.gql(client, SPLIT, {"in": {"orderId": gid, "idempotencyKey": "sv-1", "amount": "10.00"}}, token=world.customer_token())
    assert part["data"]["storedValuePay"] == {"orderStatus": "UNPAID", "amountDue": {"amount": "8.00"}, "principalSpent": {"amount": "10.00"}, "errors": []}
    assert (await pay(client, world, gid))["outcome"] == "PAID"  # the provider is asked for 8.00 and it pays the order
    assert (await order_row(world, order_id)).status == "PAID"
    from payments.models import Payment
    from sqlalchemy import select

    async with world.services.database.read() as session:
        payment = await session.scalar(select(Payment).where(Payment.order_id == order_id))
    assert (payment.amount_fen, payment.status) == (800, "SUCCEEDED")
    body = await world.gql(client, docs_refund(), {"order": gid}, token=world.staff_token("manager_a"))
    assert body["data"]["orderRefund"]["order"]["status"] == "REFUNDED", body
    assert await balances(world, member_id) == (1000, 0)
    assert world.services.payments.get("SANDBOX").refunds[f"refund-{payment.id}"] == (payment.provider_ref, 800)
    assert await ledger_ok(world)


async def test_a_cancelled_split_order_gives_the_stored_value_back(client, world):
    from tests.membership.helpers import balances, join, top_up

    member_id = await join(world)
    await top_up(world, member_id, 1000, 0)
    order_id = await pickup_order(client, world, {"bread": 2})
    gid = world.gid("Order", order_id)
    await world.gql(client, SPLIT, {"in": {"orderId": gid, "idempotencyKey": "sv-1", "amount": "3.00"}}, token=world.customer_token())
    assert await balances(world, member_id) == (700, 0)
    from tests.api import gql_documents as docs

    body = await world.gql(client, docs.CANCEL, {"order": gid}, token=world.customer_token())
    assert body["data"]["orderCancel"]["order"]["status"] == "CANCELLED", body
    assert await balances(world, member_id) == (1000, 0)


def docs_refund():
    from tests.api import gql_documents as docs

    return docs.REFUND
