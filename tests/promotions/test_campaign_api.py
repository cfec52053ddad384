"""A campaign from creation to a discounted checkout, through GraphQL, on both backends."""
from __future__ import annotations

from sqlalchemy import func, select

from promotions.models import OrderLineDiscount, OrderPromotion
from tests.promotions.helpers import (
    BREAKDOWN, CANCEL, CLAIM, ISSUE, MY_COUPONS, POLICY, UPDATE, add_to_cart, checkout, create, rule,
)


async def test_spend_and_save_priced_the_same_in_breakdown_and_checkout_and_recorded_with_its_version(client, world, database):
    made = await create(client, world, name="满50减10", actions=[rule("amount_off", amount="10.00")], conditions=[rule("min_subtotal", amount="50.00")])
    assert made["errors"] == [] and made["promotion"]["version"] == 1
    assert made["promotion"]["conditions"] == [{"code": "min_subtotal", "args": [{"name": "amount", "value": "50.00"}]}]
    token = world.customer_token("alice")
    # Store B: milk 12.50 x 3 = 37.50 -> 12.50 short of the threshold.
    await add_to_cart(client, world, "b", milk=3)
    body = (await world.gql(client, BREAKDOWN, {"store": world.store("b")}, token=token))["data"]["priceBreakdown"]
    assert body["discount"] == {"amount": "0.00"} and body["applied"] == []
    assert body["hints"] == [{"name": "满50减10", "message": "add 12.50 more for 10.00 off", "missing": {"amount": "12.50"}, "reward": {"amount": "10.00"}}]
    await add_to_cart(client, world, "b", bread=2)  # + 18.00 = 55.50
    body = (await world.gql(client, BREAKDOWN, {"store": world.store("b")}, token=token))["data"]["priceBreakdown"]
    assert (body["subtotal"], body["discount"], body["total"]) == ({"amount": "55.50"}, {"amount": "10.00"}, {"amount": "45.50"})
    shares = [line["discount"]["amount"] for line in body["lines"]]
    assert shares == ["6.76", "3.24"]  # 37.50 and 18.00 of 55.50, largest remainder: sums to 10.00 exactly
    # The promotion changes after the customer looked: the order keeps what it was placed under.
    placed = await checkout(client, world, "b", expected={"amount": "45.50", "currency": "CNY"})
    assert placed["errors"] == []
    order = placed["order"]
    assert (order["subtotal"], order["discount"], order["total"]) == ({"amount": "55.50"}, {"amount": "10.00"}, {"amount": "45.50"})
    assert order["appliedPromotions"] == [{"name": "满50减10", "version": 1, "amount": {"amount": "10.00"}}]
    edited = await world.gql(client, UPDATE, {"input": {"id": made["promotion"]["id"], "actions": [rule("amount_off", amount="20.00")]}}, token=world.staff_token("hq"))
    assert edited["data"]["promotionUpdate"]["promotion"]["version"] == 2
    async with database.read() as session:
        rows = (await session.execute(select(OrderPromotion.promotion_version, OrderPromotion.discount_fen, OrderPromotion.snapshot))).all()
        mine = [r for r in rows if r.snapshot.get("actions") == [{"code": "amount_off", "args": {"amount": 1000}}]]
        assert mine and all(r.promotion_version == 1 and r.discount_fen == 1000 for r in mine)


async def test_coupon_claimed_suggested_with_reasons_used_once_and_given_back_when_the_unpaid_order_is_cancelled(client, world):
    big = await create(client, world, name="满100减30", kind="COUPON", actions=[rule("amount_off", amount="30.00")], conditions=[rule("min_subtotal", amount="100.00")], code="BIG30")
    small = await create(client, world, name="9折券", kind="COUPON", actions=[rule("percent_off", percent=10, max="5.00")], totalQuota=1)
    assert big["errors"] == [] and small["errors"] == []
    token = world.customer_token("alice")
    claimed = await world.gql(client, CLAIM, {"code": "big30"}, token=token)
    assert claimed["data"]["couponClaim"]["errors"] == []
    again = await world.gql(client, CLAIM, {"code": "BIG30"}, token=token)
    assert again["data"]["couponClaim"]["errors"][0]["code"] == "COUPON_LIMIT_REACHED"
    issued = await world.gql(client, ISSUE, {"p": small["promotion"]["id"], "c": [world.gid("Customer", world.customer_ids["alice"]), world.gid("Customer", world.customer_ids["bob"])]}, token=world.staff_token("hq"))
    assert issued["data"]["couponIssue"]["errors"][0]["code"] == "COUPON_SOLD_OUT"  # quota 1: nothing issued at all
    issued = await world.gql(client, ISSUE, {"p": small["promotion"]["id"], "c": [world.gid("Customer", world.customer_ids["alice"])]}, token=world.staff_token("hq"))
    assert issued["data"]["couponIssue"] == {"issued": 1, "errors": []}

    await add_to_cart(client, world, "b", milk=4)  # 50.00
    body = (await world.gql(client, BREAKDOWN, {"store": world.store("b")}, token=token))["data"]["priceBreakdown"]
    options = {o["coupon"]["name"]: o for o in body["coupons"]}
    assert options["9折券"]["applicable"] and options["9折券"]["discount"] == {"amount": "5.00"}
    assert not options["满100减30"]["applicable"] and options["满100减30"]["reason"] == "add 50.00 more for 30.00 off"
    assert body["suggestedCoupon"]["name"] == "9折券"
    both = [o["coupon"]["id"] for o in body["coupons"]]
    refused = await checkout(client, world, "b", coupons=both)
    assert refused["errors"][0]["code"] == "COUPON_NOT_STACKABLE" and refused["order"] is None
    refused = await checkout(client, world, "b", coupons=[options["满100减30"]["coupon"]["id"]])
    assert refused["errors"][0]["code"] == "COUPON_NOT_APPLICABLE"
    assert "add 50.00 more" in refused["errors"][0]["message"]

    placed = await checkout(client, world, "b", coupons=[body["suggestedCoupon"]["id"]])
    assert placed["errors"] == [] and placed["order"]["total"] == {"amount": "45.00"}
    names = {c["name"] for c in (await world.gql(client, MY_COUPONS, token=token))["data"]["myCoupons"]}
    assert names == {"满100减30"}  # the used one is gone
    cancelled = await world.gql(client, CANCEL, {"order": placed["order"]["id"]}, token=token)
    assert cancelled["data"]["orderCancel"]["errors"] == []
    names = {c["name"] for c in (await world.gql(client, MY_COUPONS, token=token))["data"]["myCoupons"]}
    assert names == {"满100减30", "9折券"}  # back after the unpaid order was cancelled


async def test_partner_campaigns_only_where_policy_is_weak_and_within_hq_limit(client, world):
    west = world.partner_ids["west"]
    locked = await create(client, world, "west", name="West 20%", node_id=west, actions=[rule("percent_off", percent=20)])
    assert locked["errors"][0]["code"] == "PROMOTIONS_LOCKED_BY_HQ" and locked["errors"][0]["field"] == "nodeId"
    weak = await world.gql(client, """mutation($id: ID!) { networkNodeControlSet(input: {nodeId: $id, promotions: WEAK}) { errors { code } } }""",
                           {"id": world.gid("NetworkNode", world.hq_node_id)}, token=world.staff_token("hq"))
    assert weak["data"]["networkNodeControlSet"]["errors"] == []
    policy = await world.gql(client, POLICY, {"p": 15}, token=world.staff_token("west"))
    assert policy["data"]["promotionPolicySet"]["errors"][0]["code"] == "PERMISSION_DENIED"
    policy = await world.gql(client, POLICY, {"p": 15}, token=world.staff_token("hq"))
    assert policy["data"]["promotionPolicySet"] == {"maxPartnerDiscountPercent": 15, "errors": []}
    too_much = await create(client, world, "west", name="West 20%", node_id=west, actions=[rule("percent_off", percent=20)])
    assert too_much["errors"] == [{"field": "actions.0.args.percent", "code": "DISCOUNT_ABOVE_HQ_LIMIT", "message": "HQ allows at most 15% off"}]
    ok = await create(client, world, "west", name="West 10%", node_id=west, actions=[rule("percent_off", percent=10)])
    assert ok["errors"] == []
    # Applies in West's stores (A, B), not in East's (C).
    token = world.customer_token("alice")
    await add_to_cart(client, world, "b", bread=2)
    await add_to_cart(client, world, "c", bread=2)
    b = (await world.gql(client, BREAKDOWN, {"store": world.store("b")}, token=token))["data"]["priceBreakdown"]
    c = (await world.gql(client, BREAKDOWN, {"store": world.store("c")}, token=token))["data"]["priceBreakdown"]
    assert b["discount"] == {"amount": "1.80"} and c["discount"] == {"amount": "0.00"}


async def test_bad_arguments_are_typed_errors_naming_the_field(client, world):
    cases = [
        ([rule("amount_off", amount="abc")], [], "actions.0.args.amount", "INVALID_ARGUMENT"),
        ([rule("percent_off", percent=101)], [], "actions.0.args.percent", "INVALID_ARGUMENT"),
        ([rule("no_such_action")], [], "actions.0.code", "UNKNOWN_ACTION"),
        ([rule("amount_off")], [], "actions.0.args.amount", "REQUIRED"),
        ([rule("amount_off", amount="1.00", extra=1)], [], "actions.0.args.extra", "INVALID_ARGUMENT"),
        ([rule("tiered_amount_off", tiers="100:20,50:30")], [], "actions.0.args.tiers", "INVALID_ARGUMENT"),
        ([rule("amount_off", amount="1.00")], [rule("min_subtotal", amount="-1")], "conditions.0.args.amount", "INVALID_ARGUMENT"),
        ([rule("amount_off", amount="1.00")], [rule("nope")], "conditions.0.code", "UNKNOWN_CONDITION"),
    ]
    for actions, conditions, field, code in cases:
        made = await create(client, world, name="bad", actions=actions, conditions=conditions)
        assert made["promotion"] is None and made["errors"][0]["field"] == field and made["errors"][0]["code"] == code, (field, made)
    # A store manager (no grant above the store) cannot run HQ-wide campaigns; another tenant's node is NOT_FOUND.
    denied = await create(client, world, "manager_a", name="x", actions=[rule("amount_off", amount="1.00")])
    assert denied["errors"] == [{"field": "nodeId", "code": "PERMISSION_DENIED", "message": "you may not run promotions for this node"}]


async def test_another_tenants_promotions_are_not_found(client, world, database, services):
    from tests.worlds import build_world

    other = await build_world(database, services)
    made = await create(client, world, name="mine", kind="COUPON", actions=[rule("amount_off", amount="1.00")])
    foreign_node = await create(client, other, name="x", actions=[rule("amount_off", amount="1.00")], node_id=world.hq_node_id)
    assert foreign_node["errors"][0]["code"] == "NOT_FOUND"
    edited = await other.gql(client, UPDATE, {"input": {"id": made["promotion"]["id"], "name": "stolen"}}, token=other.staff_token("hq"))
    assert edited["data"]["promotionUpdate"]["errors"][0]["code"] == "NOT_FOUND"
    claimed = await other.gql(client, CLAIM, {"p": made["promotion"]["id"]}, token=other.customer_token("alice"))
    assert claimed["data"]["couponClaim"]["errors"][0]["code"] == "NOT_FOUND"


async def test_a_retried_issue_or_claim_with_the_same_key_acts_once(client, world, database):
    template = await create(client, world, name="retry", kind="COUPON", actions=[rule("amount_off", amount="1.00")], perCustomerLimit=5)
    doc = """mutation($p: ID!, $c: [ID!]!, $k: String) { couponIssue(input: {promotionId: $p, customerIds: $c, idempotencyKey: $k}) {
      issued errors { code } } }"""
    variables = {"p": template["promotion"]["id"], "c": [world.gid("Customer", world.customer_ids["bob"])], "k": "issue-retry-0001"}
    first = await world.gql(client, doc, variables, token=world.staff_token("hq"))
    again = await world.gql(client, doc, variables, token=world.staff_token("hq"))
    assert first["data"]["couponIssue"] == again["data"]["couponIssue"] == {"issued": 1, "errors": []}
    other = await world.gql(client, doc, {**variables, "c": [world.gid("Customer", world.customer_ids["alice"])]}, token=world.staff_token("hq"))
    assert other["data"]["couponIssue"]["errors"] == [{"code": "IDEMPOTENCY_KEY_REUSED"}]
    claim = """mutation($p: ID, $k: String) { couponClaim(input: {promotionId: $p, idempotencyKey: $k}) { coupon { id } errors { code } } }"""
    token = world.customer_token("bob")
    a = await world.gql(client, claim, {"p": template["promotion"]["id"], "k": "claim-retry-0001"}, token=token)
    b = await world.gql(client, claim, {"p": template["promotion"]["id"], "k": "claim-retry-0001"}, token=token)
    assert a["data"]["couponClaim"]["coupon"]["id"] == b["data"]["couponClaim"]["coupon"]["id"]
    held = (await world.gql(client, MY_COUPONS, token=token))["data"]["myCoupons"]
    assert len(held) == 2  # one issued, one claimed: the retry added nothing
