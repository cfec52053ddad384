"""GraphQL documents and small helpers shared by the promotions tests."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

E = "errors { field code message }"
CREATE = f"""mutation($input: PromotionCreateInput!) {{ promotionCreate(input: $input) {{
  promotion {{ id name version kind conditions {{ code args {{ name value }} }} actions {{ code args {{ name value }} }} }} {E} }} }}"""
UPDATE = f"""mutation($input: PromotionUpdateInput!) {{ promotionUpdate(input: $input) {{ promotion {{ id version status }} {E} }} }}"""
POLICY = f"""mutation($p: Int!) {{ promotionPolicySet(input: {{maxPartnerDiscountPercent: $p}}) {{ maxPartnerDiscountPercent {E} }} }}"""
ISSUE = f"""mutation($p: ID!, $c: [ID!]!) {{ couponIssue(input: {{promotionId: $p, customerIds: $c}}) {{ issued {E} }} }}"""
CLAIM = f"""mutation($p: ID, $code: String) {{ couponClaim(input: {{promotionId: $p, code: $code}}) {{ coupon {{ id name status }} {E} }} }}"""
FLASH = f"""mutation($input: FlashSaleCreateInput!) {{ flashSaleCreate(input: $input) {{ flashSale {{ id price {{ amount }} quota sold }} {E} }} }}"""
BREAKDOWN = """query($store: ID!, $coupons: [ID!]) { priceBreakdown(storeId: $store, couponIds: $coupons) {
  subtotal { amount } discount { amount } total { amount }
  lines { skuId quantity unitPrice { amount } priceSource lineTotal { amount } discount { amount } net { amount } promotions { name amount { amount } } }
  applied { name version amount { amount } couponId }
  hints { name message missing { amount } reward { amount } }
  coupons { coupon { id name } applicable discount { amount } reason }
  suggestedCoupon { id name } } }"""
CHECKOUT = f"""mutation($store: ID!, $key: String!, $coupons: [ID!], $code: String, $expected: MoneyInput) {{
  checkoutComplete(input: {{storeId: $store, fulfilmentType: STORE_PICKUP, idempotencyKey: $key, couponIds: $coupons, couponCode: $code, expectedTotal: $expected}}) {{
    order {{ id status subtotal {{ amount }} discount {{ amount }} total {{ amount }} appliedPromotions {{ name version amount {{ amount }} }} }} {E} }} }}"""
ADD = f"""mutation($store: ID!, $lines: [CartLineInput!]!) {{ cartLinesAdd(input: {{storeId: $store, lines: $lines}}) {{ {E} }} }}"""
MY_COUPONS = "{ myCoupons { id name status } }"
CANCEL = f"""mutation($order: ID!) {{ orderCancel(input: {{orderId: $order, reason: "changed my mind"}}) {{ order {{ status }} {E} }} }}"""


def window(hours: int = 2) -> tuple[str, str]:
    now = datetime.now(timezone.utc)
    return (now - timedelta(minutes=5)).isoformat(), (now + timedelta(hours=hours)).isoformat()


def rule(code: str, **args) -> dict:
    return {"code": code, "arguments": [{"name": k, "value": str(v)} for k, v in args.items()]}


def promotion_input(world, name: str, actions: list, conditions: list = (), node_id: int | None = None, **extra) -> dict:
    starts, ends = window()
    return {
        "nodeId": world.gid("NetworkNode", node_id or world.hq_node_id), "kind": extra.pop("kind", "AUTOMATIC"), "name": name,
        "actions": list(actions), "conditions": list(conditions), "startsAt": starts, "endsAt": ends, **extra,
    }


async def create(client, world, staff: str = "hq", **kwargs) -> dict:
    body = await world.gql(client, CREATE, {"input": promotion_input(world, **kwargs)}, token=world.staff_token(staff))
    return body["data"]["promotionCreate"]


async def add_to_cart(client, world, store: str, customer: str = "alice", **quantities) -> None:
    lines = [{"skuId": world.sku(k), "quantity": q} for k, q in quantities.items()]
    body = await world.gql(client, ADD, {"store": world.store(store), "lines": lines}, token=world.customer_token(customer))
    assert body["data"]["cartLinesAdd"]["errors"] == [], body


async def checkout(client, world, store: str, customer: str = "alice", **variables) -> dict:
    body = await world.gql(
        client, CHECKOUT, {"store": world.store(store), "key": f"k-{uuid.uuid4()}", **variables}, token=world.customer_token(customer)
    )
    assert "errors" not in body, body
    return body["data"]["checkoutComplete"]
