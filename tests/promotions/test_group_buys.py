"""Group buys (拼团): the group forms on the N-th payment and not before (orders held until then);
a group that does not form in time refunds every paid member through the payment service and
releases the stock; concurrent joiners on the last place: exactly one gets it; share tokens
carry the group and are refused across tenants and when forged."""
from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from sqlalchemy import select

from auth.roles import Principal
from commerce.models import Customer, Order, Stock
from commerce.order_status import FulfilmentType
from core.clock import utc_now
from core.errors import DomainError
from payments.models import Payment
from payments.service import refund_id_of, refund_late_payments
from promotions import group_buys
from promotions.models import GroupBuyGroup
from tests.api.helpers import pay
from tests.promotions.helpers import window
from tests.worlds import build_world

E = "errors { field code message }"
CREATE = f"""mutation($input: GroupBuyCreateInput!) {{ groupBuyCreate(input: $input) {{
  groupBuy {{ id price {{ amount }} groupSize windowHours perCustomerLimit }} {E} }} }}"""
GROUP = "group { id status size paidMembers placesTaken remaining expiresAt shareToken }"
START = f"""mutation($g: ID!, $s: ID!) {{ groupBuyStart(input: {{groupBuyId: $g, storeId: $s, fulfilmentType: STORE_PICKUP}}) {{
  {GROUP} orderId total {{ amount }} {E} }} }}"""
JOIN = f"""mutation($t: String!) {{ groupBuyJoin(input: {{shareToken: $t, fulfilmentType: STORE_PICKUP}}) {{ {GROUP} orderId {E} }} }}"""
SHOW = "query($t: String!) { groupBuyGroup(shareToken: $t) { status size paidMembers remaining } }"
MOVE = f"""mutation($order: ID!) {{ orderTransition(input: {{orderId: $order, status: PICKING}}) {{ order {{ status }} {E} }} }}"""
LIST = "{ groupBuys(first: 10) { nodes { name groupSize } } }"


async def _campaign(client, world, size: int = 3, limit: int = 1, hours: int = 24) -> str:
    starts, ends = window(hours=48)
    variables = {"input": {
        "nodeId": world.gid("NetworkNode", world.hq_node_id), "skuId": world.sku("milk"), "name": "拼团 milk", "price": "6.00",
        "groupSize": size, "windowHours": hours, "perCustomerLimit": limit, "startsAt": starts, "endsAt": ends,
    }}
    body = await world.gql(client, CREATE, variables, token=world.staff_token("hq"))
    assert body["data"]["groupBuyCreate"]["errors"] == [], body
    return body["data"]["groupBuyCreate"]["groupBuy"]["id"]


async def _customers(database, services, world, count: int) -> list[tuple[int, str]]:
    async with database.write() as session:
        rows = [Customer(tenant_id=world.tenant_id, mobile=f"+86136{uuid.uuid4().int % 10**8:08d}", name=f"g{i}") for i in range(count)]
        session.add_all(rows)
        await session.flush()
        return [(c.id, services.signer.issue_pair(f"customer:{c.id}", world.tenant_id).access) for c in rows]


async def _reserved(database, world) -> int:
    async with database.read() as session:
        row = await session.scalar(select(Stock).where(Stock.store_id == world.store_ids["a"], Stock.sku_id == world.sku_ids["milk"]))
        return row.reserved


async def _status(database, order_gid: str, world) -> str:
    from schema import ids
    from commerce.errors import OrderErrorCode

    async with database.read() as session:
        return (await session.get(Order, ids.decode(order_gid, "Order", OrderErrorCode, "id"))).status


async def test_the_group_forms_on_the_nth_payment_and_its_orders_wait_until_then(client, database, services, world):
    campaign = await _campaign(client, world, size=3)
    listed = await world.gql(client, LIST, token=world.staff_token("hq"))
    assert listed["data"]["groupBuys"]["nodes"] == [{"name": "拼团 milk", "groupSize": 3}]
    started = (await world.gql(client, START, {"g": campaign, "s": world.store("a")}, token=world.customer_token("alice")))["data"]["groupBuyStart"]
    assert started["errors"] == [] and started["total"] == {"amount": "6.00"}
    assert started["group"] | {"id": None, "expiresAt": None, "shareToken": None} == {
        "id": None, "status": "OPEN", "size": 3, "paidMembers": 0, "placesTaken": 1, "remaining": 3, "expiresAt": None, "shareToken": None}
    token = started["group"]["shareToken"]
    await pay(client, world, started["orderId"], "alice")
    joined = (await world.gql(client, JOIN, {"t": token}, token=world.customer_token("bob")))["data"]["groupBuyJoin"]
    assert joined["errors"] == [] and joined["group"]["placesTaken"] == 2
    await pay(client, world, joined["orderId"], "bob")
    # Two of three paid: the paid orders are held (the store cannot start picking).
    held = (await world.gql(client, MOVE, {"order": started["orderId"]}, token=world.staff_token("hq")))["data"]["orderTransition"]
    assert [e["code"] for e in held["errors"]] == ["GROUP_BUY_NOT_FORMED"], held
    shown = (await world.gql(client, SHOW, {"t": token}, token=world.customer_token("bob")))["data"]["groupBuyGroup"]
    assert shown == {"status": "OPEN", "size": 3, "paidMembers": 2, "remaining": 1}
    (carol_id, carol), = await _customers(database, services, world, 1)
    third = (await world.gql(client, JOIN, {"t": token}, token=carol))["data"]["groupBuyJoin"]
    assert third["errors"] == []
    # A fourth customer finds no place left.
    (_, dave), = await _customers(database, services, world, 1)
    full = (await world.gql(client, JOIN, {"t": token}, token=dave))["data"]["groupBuyJoin"]
    assert [e["code"] for e in full["errors"]] == ["GROUP_FULL"] and full["orderId"] is None
    world.customer_ids["carol"] = carol_id
    body = await world.gql(client, "mutation($o: ID!, $k: String!) { orderPay(input: {orderId: $o, idempotencyKey: $k}) { clientPayload errors { code } } }",
                           {"o": third["orderId"], "k": "carol-pay"}, token=carol)
    from tests.api.helpers import send_callback

    payload = body["data"]["orderPay"]["clientPayload"]
    payload = payload if isinstance(payload, dict) else __import__("json").loads(payload)
    assert (await send_callback(client, world, payload["providerRef"], payload["amount"])).status_code == 200
    shown = (await world.gql(client, SHOW, {"t": token}, token=carol))["data"]["groupBuyGroup"]
    assert shown == {"status": "FORMED", "size": 3, "paidMembers": 3, "remaining": 0}
    picked = (await world.gql(client, MOVE, {"order": started["orderId"]}, token=world.staff_token("hq")))["data"]["orderTransition"]
    assert picked["errors"] == [] and picked["order"]["status"] == "PICKING"


async def test_a_group_that_does_not_form_in_time_refunds_every_paid_member_and_releases_stock(client, database, services, world):
    campaign = await _campaign(client, world, size=3, hours=2)
    before = await _reserved(database, world)
    started = (await world.gql(client, START, {"g": campaign, "s": world.store("a")}, token=world.customer_token("alice")))["data"]["groupBuyStart"]
    await pay(client, world, started["orderId"], "alice")
    joined = (await world.gql(client, JOIN, {"t": started["group"]["shareToken"]}, token=world.customer_token("bob")))["data"]["groupBuyJoin"]
    assert joined["errors"] == []  # bob never pays
    assert await _reserved(database, world) == before + 2
    assert await group_buys.expire_groups(database, utc_now()) == 0  # not yet
    later = utc_now() + timedelta(hours=3)
    assert await group_buys.expire_groups(database, later) == 1
    assert await group_buys.expire_groups(database, later) == 0  # a re-run changes nothing
    assert await _status(database, started["orderId"], world) == "REFUNDED"
    assert await _status(database, joined["orderId"], world) == "CANCELLED"
    assert await _reserved(database, world) == before
    async with database.read() as session:
        payment = await session.scalar(select(Payment).where(Payment.tenant_id == world.tenant_id, Payment.status == "REFUND_REQUIRED"))
        assert payment is not None and payment.amount_fen == 600
    # The payment service's refund sweep (same sweeper run) sends the money back, once.
    assert await refund_late_payments(database, services.payments, later) == 1
    assert await refund_late_payments(database, services.payments, later) == 0
    assert services.payments.get("SANDBOX").refunds[refund_id_of(payment)][1] == 600
    shown = (await world.gql(client, SHOW, {"t": started["group"]["shareToken"]}, token=world.customer_token("bob")))["data"]["groupBuyGroup"]
    assert shown["status"] == "FAILED"
    # A new group can be started afterwards: the expired one gave the places back.
    again = (await world.gql(client, START, {"g": campaign, "s": world.store("a")}, token=world.customer_token("alice")))["data"]["groupBuyStart"]
    assert again["errors"] == []


async def test_concurrent_joiners_on_the_last_place_exactly_one_gets_it(client, database, services, world):
    campaign = await _campaign(client, world, size=2)
    started = (await world.gql(client, START, {"g": campaign, "s": world.store("a")}, token=world.customer_token("alice")))["data"]["groupBuyStart"]
    async with database.read() as session:
        group_id = (await session.scalar(select(GroupBuyGroup.id).where(GroupBuyGroup.tenant_id == world.tenant_id)))
    joiners = await _customers(database, services, world, 8)

    async def attempt(customer_id: int) -> str:
        try:
            async with database.write() as session:
                await group_buys.join(session, Principal.customer(world.tenant_id, customer_id), group_id,
                                      group_buys.Placement(FulfilmentType.STORE_PICKUP), now=utc_now(), unpaid_ttl=timedelta(minutes=15))
            return "OK"
        except DomainError as exc:
            return exc.code.value

    outcomes = await asyncio.gather(*(attempt(cid) for cid, _ in joiners))
    assert sorted(outcomes) == ["GROUP_FULL"] * 7 + ["OK"], outcomes
    async with database.read() as session:
        group = await session.get(GroupBuyGroup, group_id)
        assert (group.seats, group.paid) == (2, 0)
    # A loser may start a new group.
    loser = next(tok for (cid, tok), out in zip(joiners, outcomes) if out == "GROUP_FULL")
    new = (await world.gql(client, START, {"g": campaign, "s": world.store("a")}, token=loser))["data"]["groupBuyStart"]
    assert new["errors"] == [] and new["group"]["shareToken"] != started["group"]["shareToken"]


async def test_the_per_customer_limit_and_a_cancelled_order_gives_the_place_back(client, database, world):
    campaign = await _campaign(client, world, size=2, limit=1)
    first = (await world.gql(client, START, {"g": campaign, "s": world.store("a")}, token=world.customer_token("alice")))["data"]["groupBuyStart"]
    second = (await world.gql(client, START, {"g": campaign, "s": world.store("a")}, token=world.customer_token("alice")))["data"]["groupBuyStart"]
    assert [e["code"] for e in second["errors"]] == ["GROUP_BUY_LIMIT_REACHED"]
    cancel = f"""mutation($o: ID!) {{ orderCancel(input: {{orderId: $o, reason: "no"}}) {{ order {{ status }} {E} }} }}"""
    body = await world.gql(client, cancel, {"o": first["orderId"]}, token=world.customer_token("alice"))
    assert body["data"]["orderCancel"]["errors"] == []
    shown = (await world.gql(client, SHOW, {"t": first["group"]["shareToken"]}, token=world.customer_token("alice")))["data"]["groupBuyGroup"]
    assert shown["remaining"] == 2
    third = (await world.gql(client, START, {"g": campaign, "s": world.store("a")}, token=world.customer_token("alice")))["data"]["groupBuyStart"]
    assert third["errors"] == []


async def test_a_payment_after_the_group_closed_is_refunded_not_counted(client, database, services, world):
    campaign = await _campaign(client, world, size=2, hours=1)
    started = (await world.gql(client, START, {"g": campaign, "s": world.store("a")}, token=world.customer_token("alice")))["data"]["groupBuyStart"]
    async with database.write() as session:  # the window passes before alice pays (the sweep has not run yet)
        group = await session.scalar(select(GroupBuyGroup).where(GroupBuyGroup.tenant_id == world.tenant_id))
        group.expires_at = utc_now() - timedelta(seconds=1)
    outcome = await pay(client, world, started["orderId"], "alice")
    assert outcome["outcome"] == "REFUND_REQUIRED", outcome
    assert await _status(database, started["orderId"], world) == "UNPAID"


async def test_share_tokens_are_refused_across_tenants_and_when_forged(client, database, services, world):
    campaign = await _campaign(client, world, size=2)
    started = (await world.gql(client, START, {"g": campaign, "s": world.store("a")}, token=world.customer_token("alice")))["data"]["groupBuyStart"]
    token = started["group"]["shareToken"]
    other = await build_world(database, services)
    foreign = (await other.gql(client, JOIN, {"t": token}, token=other.customer_token("bob")))["data"]["groupBuyJoin"]
    assert [e["code"] for e in foreign["errors"]] == ["NOT_FOUND"] and foreign["orderId"] is None
    assert (await other.gql(client, SHOW, {"t": token}, token=other.customer_token("bob")))["data"]["groupBuyGroup"] is None
    tenant, group_id, _mac = token.split(".")
    for forged in (f"{tenant}.{int(group_id) + 1}.{_mac}", f"{other.tenant_id}.{group_id}.{_mac}", "nonsense"):
        body = (await world.gql(client, JOIN, {"t": forged}, token=world.customer_token("bob")))["data"]["groupBuyJoin"]
        assert [e["code"] for e in body["errors"]] == ["SHARE_TOKEN_INVALID"], (forged, body)


async def test_the_sweeper_fails_the_expired_group_and_pays_the_money_back_in_one_run(client, database, services, world):
    from asgi import sweep_once

    campaign = await _campaign(client, world, size=2, hours=1)
    started = (await world.gql(client, START, {"g": campaign, "s": world.store("a")}, token=world.customer_token("alice")))["data"]["groupBuyStart"]
    await pay(client, world, started["orderId"], "alice")
    async with database.write() as session:
        group = await session.scalar(select(GroupBuyGroup).where(GroupBuyGroup.tenant_id == world.tenant_id))
        group.expires_at = utc_now() - timedelta(seconds=1)
    await sweep_once(services)
    assert await _status(database, started["orderId"], world) == "REFUNDED"
    async with database.read() as session:
        payment = await session.scalar(select(Payment).where(Payment.tenant_id == world.tenant_id))
        assert payment.status == "REFUNDED"
        assert (await session.scalar(select(GroupBuyGroup.status).where(GroupBuyGroup.tenant_id == world.tenant_id))) == "FAILED"


async def test_concurrent_payments_of_the_last_members_form_the_group_once(client, database, services, world):
    from commerce.order_status import ActorType, OrderStatus
    from commerce.orders import apply_transition

    campaign = await _campaign(client, world, size=3)
    started = (await world.gql(client, START, {"g": campaign, "s": world.store("a")}, token=world.customer_token("alice")))["data"]["groupBuyStart"]
    token = started["group"]["shareToken"]
    order_gids = [started["orderId"]]
    for _, customer in await _customers(database, services, world, 2):
        joined = (await world.gql(client, JOIN, {"t": token}, token=customer))["data"]["groupBuyJoin"]
        assert joined["errors"] == []
        order_gids.append(joined["orderId"])
    from schema import ids
    from commerce.errors import OrderErrorCode

    order_ids = [ids.decode(g, "Order", OrderErrorCode, "id") for g in order_gids]

    async def paid(order_id: int) -> None:
        async with database.write() as session:
            order = await session.get(Order, order_id)
            await apply_transition(session, order, OrderStatus.PAID, actor=ActorType.SYSTEM, actor_id=None, now=utc_now(), reason="payment")

    await asyncio.gather(*(paid(i) for i in order_ids))
    async with database.read() as session:
        group = await session.scalar(select(GroupBuyGroup).where(GroupBuyGroup.tenant_id == world.tenant_id))
        assert (group.status, group.paid, group.seats) == ("FORMED", 3, 3) and group.formed_at is not None
