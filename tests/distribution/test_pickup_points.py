"""Community-leader pickup points (issue 15 item 3): a leader registers a point, the store
approves it, the leader's customer sends a pickup order there, the leader hands it over with
the customer's code, which completes the order (and commission follows as for any order)."""
from __future__ import annotations

from sqlalchemy import select

from delivery.models import PickupCode
from delivery.pickup_codes import code_for, pickup_key
from distribution.models import OrderPickupPoint
from tests.api import gql_documents as docs
from tests.api.helpers import pay, place_order
from tests.distribution.helpers import bind, enrol

REGISTER = """mutation($i: PickupPointRegisterInput!) { pickupPointRegister(input: $i) {
  pickupPoint { id status storeId name hours } errors { field code } } }"""
DECIDE = """mutation($id: ID!, $ok: Boolean!) { pickupPointDecide(input: {id: $id, approve: $ok}) {
  pickupPoint { id status } errors { field code } } }"""
POINTS = """query($s: ID!) { pickupPoints(storeId: $s) { id name status } }"""
CHOOSE = """mutation($o: ID!, $p: ID!) { orderPickupPointChoose(input: {orderId: $o, pickupPointId: $p}) {
  pickupOrder { orderId pickupPointId } errors { field code } } }"""
WAITING = """{ myPickupOrders { orderId number status pickupPointId } }"""
HAND_OVER = """mutation($o: ID!, $c: String!) { pickupHandOver(input: {orderId: $o, code: $c}) {
  pickupOrder { orderId status } errors { field code } } }"""
POINT = {"name": "Lakeside Gate 3", "address": "Building 3, Lakeside Garden", "longitude": 120.15, "latitude": 30.28, "hours": "daily 16:00-20:00"}


async def _code(world, order_gid: str) -> str:
    async with world.services.database.read() as session:
        row = await session.scalar(select(PickupCode).where(PickupCode.order_id == world_pk(order_gid)))
    return code_for(pickup_key(world.services.settings.secret_key), row.nonce)


def world_pk(gid: str) -> int:
    import base64

    return int(base64.b64decode(gid).decode().split(":")[1])


async def test_leader_point_approved_chosen_and_handed_over(client, world, database):
    leader = await enrol(world, "alice", kind="LEADER")
    await bind(world, leader, "bob")
    leader_token, bob = world.customer_token("alice"), world.customer_token("bob")

    registered = (await world.gql(client, REGISTER, {"i": POINT}, token=leader_token))["data"]["pickupPointRegister"]
    assert registered["errors"] == [] and registered["pickupPoint"]["status"] == "PENDING"
    assert registered["pickupPoint"]["storeId"] == world.store("a")
    point = registered["pickupPoint"]["id"]
    assert (await world.gql(client, POINTS, {"s": world.store("a")}, token=bob))["data"]["pickupPoints"] == []  # not approved yet
    denied = (await world.gql(client, DECIDE, {"id": point, "ok": True}, token=world.staff_token("clerk_a")))["data"]["pickupPointDecide"]
    assert denied["errors"][0]["code"] == "PERMISSION_DENIED"
    approved = (await world.gql(client, DECIDE, {"id": point, "ok": True}, token=world.staff_token("manager_a")))["data"]["pickupPointDecide"]
    assert approved["errors"] == [] and approved["pickupPoint"]["status"] == "APPROVED"
    again = (await world.gql(client, DECIDE, {"id": point, "ok": False}, token=world.staff_token("hq")))["data"]["pickupPointDecide"]
    assert again["errors"][0]["code"] == "ALREADY_DECIDED"
    assert [p["id"] for p in (await world.gql(client, POINTS, {"s": world.store("a")}, token=bob))["data"]["pickupPoints"]] == [point]

    order = (await place_order(client, world, {"milk": 1}, customer="bob", fulfilment="STORE_PICKUP"))["order"]["id"]
    chosen = (await world.gql(client, CHOOSE, {"o": order, "p": point}, token=bob))["data"]["orderPickupPointChoose"]
    assert chosen["errors"] == [] and chosen["pickupOrder"] == {"orderId": order, "pickupPointId": point}
    await pay(client, world, order, customer="bob")
    waiting = (await world.gql(client, WAITING, token=leader_token))["data"]["myPickupOrders"]
    assert [(w["orderId"], w["status"], w["pickupPointId"]) for w in waiting] == [(order, "PAID", point)]
    early = (await world.gql(client, HAND_OVER, {"o": order, "c": "000000"}, token=leader_token))["data"]["pickupHandOver"]
    assert early["errors"][0]["code"] == "ORDER_NOT_READY"
    for status in ("PICKING", "READY", "AWAITING_PICKUP"):  # the store packs and drops it at the point
        moved = await world.gql(client, docs.TRANSITION, {"order": order, "status": status}, token=world.staff_token("hq"))
        assert moved["data"]["orderTransition"]["errors"] == [], moved
    code = await _code(world, order)
    wrong = (await world.gql(client, HAND_OVER, {"o": order, "c": "999999" if code != "999999" else "000000"}, token=leader_token))
    assert wrong["data"]["pickupHandOver"]["errors"][0]["code"] == "CODE_REFUSED"
    stranger = (await world.gql(client, HAND_OVER, {"o": order, "c": code}, token=bob))["data"]["pickupHandOver"]
    assert stranger["errors"][0]["code"] == "NOT_A_LEADER"
    done = (await world.gql(client, HAND_OVER, {"o": order, "c": code}, token=leader_token))["data"]["pickupHandOver"]
    assert done["errors"] == [] and done["pickupOrder"]["status"] == "COMPLETED"
    assert (await world.gql(client, WAITING, token=leader_token))["data"]["myPickupOrders"] == []
    twice = (await world.gql(client, HAND_OVER, {"o": order, "c": code}, token=leader_token))["data"]["pickupHandOver"]
    assert twice["errors"][0]["code"] == "ORDER_NOT_READY"
    async with database.read() as session:
        link = await session.get(OrderPickupPoint, world_pk(order))
    assert link.handed_over_at is not None


async def test_only_leaders_register_and_only_their_customers_choose(client, world):
    employee = await enrol(world, "alice", kind="EMPLOYEE")
    refused = (await world.gql(client, REGISTER, {"i": POINT}, token=world.customer_token("alice")))["data"]["pickupPointRegister"]
    assert refused["errors"][0]["code"] == "NOT_A_LEADER"
    blank = (await world.gql(client, REGISTER, {"i": {**POINT, "hours": " "}}, token=world.customer_token("alice")))["data"]["pickupPointRegister"]
    assert blank["errors"][0]["code"] == "NOT_A_LEADER"
    from tests.distribution.helpers import add_customer

    await add_customer(world, "carol", "+8613800000077")
    leader = await enrol(world, "carol", kind="LEADER")
    carol = world.customer_token("carol")
    blank = (await world.gql(client, REGISTER, {"i": {**POINT, "hours": " "}}, token=carol))["data"]["pickupPointRegister"]
    assert blank["errors"] == [{"field": "hours", "code": "REQUIRED"}]
    point = (await world.gql(client, REGISTER, {"i": POINT}, token=carol))["data"]["pickupPointRegister"]["pickupPoint"]["id"]
    assert (await world.gql(client, DECIDE, {"id": point, "ok": True}, token=world.staff_token("hq")))["data"]["pickupPointDecide"]["errors"] == []
    await bind(world, employee, "bob")  # bob belongs to another salesperson, not carol
    order = (await place_order(client, world, {"milk": 1}, customer="bob", fulfilment="STORE_PICKUP"))["order"]["id"]
    not_mine = (await world.gql(client, CHOOSE, {"o": order, "p": point}, token=world.customer_token("bob")))["data"]["orderPickupPointChoose"]
    assert not_mine["errors"][0]["code"] == "POINT_NOT_AVAILABLE"
    delivery = (await place_order(client, world, {"milk": 1}, customer="bob"))["order"]["id"]
    wrong_kind = (await world.gql(client, CHOOSE, {"o": delivery, "p": point}, token=world.customer_token("bob")))["data"]["orderPickupPointChoose"]
    assert wrong_kind["errors"][0]["code"] == "NOT_PICKUP_ORDER"
    other = (await world.gql(client, CHOOSE, {"o": order, "p": point}, token=world.customer_token("alice")))["data"]["orderPickupPointChoose"]
    assert other["errors"][0]["code"] == "NOT_FOUND"  # not alice's order
    _ = leader


async def test_two_staff_deciding_one_point_at_once_one_wins(world, database):
    import asyncio

    from core.errors import DomainError
    from distribution import pickup_points
    from tests.distribution.helpers import hq_principal

    from auth.roles import Principal
    from core.clock import utc_now

    leader = await enrol(world, "alice", kind="LEADER")
    async with database.write() as session:
        point = await pickup_points.register(session, Principal.customer(world.tenant_id, world.customer_ids["alice"]), now=utc_now(),
                                             name="Gate", address="Gate 1", lon=120.1, lat=30.2, hours="daily")
    assert point.salesperson_id == leader

    async def decide(approve: bool):
        async with database.write() as session:
            staff = await hq_principal(session, world)
            try:
                return (await pickup_points.decide(session, staff, point.id, approve)).status
            except DomainError as exc:
                return exc.code.value

    outcomes = await asyncio.gather(decide(True), decide(False))
    assert sorted(outcomes) in (["ALREADY_DECIDED", "APPROVED"], ["ALREADY_DECIDED", "REJECTED"]), outcomes
