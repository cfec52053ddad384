"""The README walkthrough through GraphQL: invite, share, bind, order, pending, settle,
withdrawable, withdraw, approve; plus permissions and tenant isolation."""
from __future__ import annotations

from tests.api import gql_documents as docs
from tests.api.helpers import pay, place_order
from tests.worlds import build_world

PROGRAM = """mutation($input: DistributionProgramUpdateInput!) { distributionProgramUpdate(input: $input) {
  program { settleDays upline1RateBp } errors { field code message } } }"""
RULE = """mutation($input: CommissionRuleSetInput!) { commissionRuleSet(input: $input) {
  rule { id mode rateBp } errors { field code message } } }"""
INVITE = """mutation($input: DistributionInviteCreateInput!) { distributionInviteCreate(input: $input) {
  token invite { usesLeft expiresAt } errors { field code message } } }"""
ACCEPT = """mutation($token: String!) { distributionInviteAccept(input: {token: $token}) {
  salesperson { id kind active storeId } errors { field code message } } }"""
MY = """{ myDistribution { salesperson { id } shareLink { token }
  earnings { pending { amount } withdrawable { amount } withdrawing { amount } withdrawn { amount } }
  orders { number commission { amount } } customers { customerId }
  entries(first: 10) { account kind signedAmountFen } } }"""
PAGE = """query($t: String!) { distributorPage(shareToken: $t) { kind storeId products(first: 5) { nodes { name } } } }"""
BIND = """mutation($t: String!) { distributionBind(input: {shareToken: $t}) { salespersonId boundUntil errors { code } } }"""
SETTLE = """mutation { commissionSettle(input: {}) { settled errors { code } } }"""
WITHDRAW = """mutation($a: String!, $k: String!) { commissionWithdrawalRequest(input: {amount: $a, idempotencyKey: $k}) {
  withdrawal { id state amount { amount } } earnings { withdrawable { amount } withdrawing { amount } } errors { field code } } }"""
DECIDE = """mutation($id: ID!, $ok: Boolean!) { commissionWithdrawalDecide(input: {id: $id, approve: $ok}) {
  withdrawal { state providerReference } earnings { withdrawn { amount } } errors { field code } } }"""
PERFORMANCE = """query($s: DateTime!, $e: DateTime!) { distributionPerformance(input: {start: $s, end: $e}) {
  orders gmv { amount } salespeopleWithSales activeSalespeople revenuePerActiveSalesperson { amount } ranking { salespersonId orders gmv { amount } } } }"""


async def test_store_employee_walkthrough(client, world):
    hq = world.staff_token("hq")
    body = await world.gql(client, PROGRAM, {"input": {"settleDays": 0}}, token=hq)
    assert body["data"]["distributionProgramUpdate"]["errors"] == []
    body = await world.gql(client, RULE, {"input": {"mode": "RATE", "rateBp": 1000}}, token=hq)
    assert body["data"]["commissionRuleSet"]["errors"] == []
    invite = (await world.gql(client, INVITE, {"input": {"kind": "EMPLOYEE", "storeId": world.store("a")}}, token=world.staff_token("manager_a")))
    token = invite["data"]["distributionInviteCreate"]["token"]
    assert token and invite["data"]["distributionInviteCreate"]["errors"] == []
    accepted = await world.gql(client, ACCEPT, {"token": token}, token=world.customer_token("alice"))
    assert accepted["data"]["distributionInviteAccept"]["salesperson"]["kind"] == "EMPLOYEE"
    again = await world.gql(client, ACCEPT, {"token": token}, token=world.customer_token("bob"))
    assert again["data"]["distributionInviteAccept"]["errors"][0]["code"] == "INVITE_INVALID"

    share = (await world.gql(client, MY, token=world.customer_token("alice")))["data"]["myDistribution"]["shareLink"]["token"]
    page = (await world.gql(client, PAGE, {"t": share}))["data"]["distributorPage"]
    assert page["storeId"] == world.store("a") and {"Milk", "Bread"} <= {p["name"] for p in page["products"]["nodes"]}
    assert (await world.gql(client, PAGE, {"t": share[:-2] + "xx"}))["data"]["distributorPage"] is None
    bound = await world.gql(client, BIND, {"t": share}, token=world.customer_token("bob"))
    assert bound["data"]["distributionBind"]["errors"] == []

    placed = await place_order(client, world, {"milk": 2}, customer="bob", fulfilment="STORE_PICKUP")
    order = placed["order"]["id"]
    await pay(client, world, order, customer="bob")
    mine = (await world.gql(client, MY, token=world.customer_token("alice")))["data"]["myDistribution"]
    assert mine["earnings"]["pending"]["amount"] == "2.20"
    assert mine["orders"][0]["commission"]["amount"] == "2.20"
    assert mine["entries"][0] == {"account": "commission.pending", "kind": "commission.accrue", "signedAmountFen": 220}

    manager = world.staff_token("manager_a")
    for status in ("PICKING", "READY", "AWAITING_PICKUP"):
        moved = await world.gql(client, docs.TRANSITION, {"order": order, "status": status}, token=manager)
        assert moved["data"]["orderTransition"]["errors"] == [], moved
    done = await world.gql(client, docs.COMPLETE, {"order": order, "reason": "collected"}, token=manager)
    assert done["data"]["orderComplete"]["errors"] == [], done
    assert (await world.gql(client, SETTLE, token=hq))["data"]["commissionSettle"]["settled"] == 1
    assert (await world.gql(client, SETTLE, token=hq))["data"]["commissionSettle"]["settled"] == 0

    alice = world.customer_token("alice")
    too_much = (await world.gql(client, WITHDRAW, {"a": "2.21", "k": "x"}, token=alice))["data"]["commissionWithdrawalRequest"]
    assert too_much["errors"][0]["code"] == "INSUFFICIENT_BALANCE"
    asked = (await world.gql(client, WITHDRAW, {"a": "2.20", "k": "w-1"}, token=alice))["data"]["commissionWithdrawalRequest"]
    assert asked["earnings"] == {"withdrawable": {"amount": "0.00"}, "withdrawing": {"amount": "2.20"}}
    clerk = await world.gql(client, DECIDE, {"id": asked["withdrawal"]["id"], "ok": True}, token=world.staff_token("clerk_a"))
    assert clerk["data"]["commissionWithdrawalDecide"]["errors"][0]["code"] == "PERMISSION_DENIED"
    paid = (await world.gql(client, DECIDE, {"id": asked["withdrawal"]["id"], "ok": True}, token=hq))["data"]["commissionWithdrawalDecide"]
    assert paid["withdrawal"]["state"] == "PAID" and paid["earnings"]["withdrawn"]["amount"] == "2.20"

    report = (await world.gql(client, PERFORMANCE, {"s": "2000-01-01T00:00:00Z", "e": "2100-01-01T00:00:00Z"}, token=hq))["data"]["distributionPerformance"]
    assert (report["orders"], report["gmv"]["amount"], report["salespeopleWithSales"], report["activeSalespeople"]) == (1, "22.00", 1, 1)
    assert report["ranking"][0]["salespersonId"] == mine["salesperson"]["id"]


async def test_permissions_and_tenant_isolation(client, world, database, services):
    assert (await world.gql(client, RULE, {"input": {"rateBp": 10}}, token=world.staff_token("west")))["data"]["commissionRuleSet"]["errors"][0]["code"] == "PERMISSION_DENIED"
    assert (await world.gql(client, RULE, {"input": {"rateBp": 10001}}, token=world.staff_token("hq")))["data"]["commissionRuleSet"]["errors"][0]["code"] == "INVALID"
    other = await build_world(database, services)
    foreign = await world.gql(client, INVITE, {"input": {"kind": "EMPLOYEE", "storeId": other.store("a")}}, token=world.staff_token("hq"))
    assert foreign["data"]["distributionInviteCreate"]["errors"][0]["code"] == "NOT_FOUND"
    deep = await world.gql(client, PROGRAM, {"input": {"uplineLevels": 3}}, token=world.staff_token("hq"))
    assert deep["data"]["distributionProgramUpdate"]["errors"][0]["field"] == "uplineLevels"
    assert (await world.gql(client, MY, token=world.customer_token("alice")))["data"]["myDistribution"] is None
    stranger = await world.gql(client, PERFORMANCE, {"s": "2000-01-01T00:00:00Z", "e": "2100-01-01T00:00:00Z"}, token=world.customer_token("bob"))
    assert stranger["data"] is None and stranger["errors"][0]["message"].startswith("PERMISSION_DENIED")
    clerk = await world.gql(client, PERFORMANCE, {"s": "2000-01-01T00:00:00Z", "e": "2100-01-01T00:00:00Z"}, token=world.staff_token("clerk_a"))
    assert clerk["errors"][0]["message"].startswith("PERMISSION_DENIED")  # VIEW_ORDERS at store A only, not HQ-wide
    bad = await world.gql(client, BIND, {"t": "1.2.3"}, token=world.customer_token("bob"))
    assert bad["data"]["distributionBind"]["errors"][0]["code"] == "SHARE_TOKEN_INVALID"
