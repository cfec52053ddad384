"""The rider's side: sign-in, accept -> arrive -> pick up -> deliver with the proof code, own tasks
only, retries that never transition twice, and position batches."""
from __future__ import annotations

from sqlalchemy import select

from commerce.models import OrderEvent
from delivery.dispatch_models import RiderPosition
from geo.coordinates import CoordinateSystem, LonLat, to_wgs84
from tests.dispatch_api.helpers import (
    ACCEPT, ARRIVE, ASSIGN, DELIVER, PICK_UP, POSITIONS, PROOF, REJECT, SHIFT_END, SHIFT_START, TASKS, add_rider,
    delivery_order, pk, rid, rider_token,
)


def _payload(body, name):
    assert "errors" not in body, body
    return body["data"][name]


def _codes(payload):
    return [e["code"] for e in payload["errors"]]


async def _assign(client, world, order, rider):
    payload = _payload(await world.gql(client, ASSIGN, {"o": order, "r": rid(world, rider)}, token=world.staff_token("clerk_a")), "dispatchAssign")
    assert payload["errors"] == [], payload


async def test_accept_arrive_pick_up_deliver_with_the_customers_proof_code(client, world):
    order = await delivery_order(client, world, status="PICKING")
    rider = await add_rider(world)
    token = rider_token(world, rider)
    await _assign(client, world, order, rider)
    # Steps out of order are clear errors.
    assert _codes(_payload(await world.gql(client, ARRIVE, {"o": order}, token=token), "riderArriveAtStore")) == ["TASK_NOT_ACCEPTED"]
    for _ in range(2):  # the second accept is a retry: no-op
        accepted = _payload(await world.gql(client, ACCEPT, {"o": order}, token=token), "riderTaskAccept")
        assert accepted["errors"] == [] and accepted["task"]["task"]["state"] == "ACCEPTED"
    assert accepted["task"]["storeName"] == "Store A" and accepted["task"]["recipient"] == "alice"
    assert accepted["task"]["dropLocation"]["system"] == "GCJ02"
    arrived = _payload(await world.gql(client, ARRIVE, {"o": order}, token=token), "riderArriveAtStore")
    assert arrived["task"]["task"]["state"] == "AT_STORE"
    not_ready = _payload(await world.gql(client, PICK_UP, {"o": order}, token=token), "riderPickUp")
    assert _codes(not_ready) == ["ORDER_NOT_READY"]
    await world.gql(client, "mutation($o: ID!) { orderTransition(input: {orderId: $o, status: READY}) { errors { code } } }",
                    {"o": order}, token=world.staff_token("clerk_a"))
    for _ in range(2):
        picked = _payload(await world.gql(client, PICK_UP, {"o": order}, token=token), "riderPickUp")
        assert picked["errors"] == [] and picked["task"]["task"]["state"] == "PICKED_UP" and picked["task"]["orderStatus"] == "DELIVERING"
    # The customer (only) sees the proof code.
    proof = (await world.gql(client, PROOF, {"o": order}, token=world.customer_token()))["data"]["node"]["deliveryProof"]
    assert len(proof["code"]) == 6 and proof["usedAt"] is None
    staff_view = (await world.gql(client, PROOF, {"o": order}, token=world.staff_token("clerk_a")))["data"]["node"]
    assert staff_view["deliveryProof"] is None
    wrong = "000000" if proof["code"] != "000000" else "111111"
    refused = _payload(await world.gql(client, DELIVER, {"o": order, "c": wrong}, token=token), "riderDeliver")
    assert _codes(refused) == ["CODE_INVALID"] and refused["task"] is None
    for _ in range(2):  # a retry after delivery answers the delivered task
        done = _payload(await world.gql(client, DELIVER, {"o": order, "c": proof["code"]}, token=token), "riderDeliver")
        assert done["errors"] == [] and done["task"]["task"]["state"] == "DELIVERED" and done["task"]["orderStatus"] == "COMPLETED"
    after = (await world.gql(client, PROOF, {"o": order}, token=world.customer_token()))["data"]["node"]
    assert after["status"] == "COMPLETED" and after["deliveryProof"]["usedAt"] is not None
    async with world.services.database.read() as session:
        events = (await session.scalars(select(OrderEvent).where(OrderEvent.order_id == pk(order)).order_by(OrderEvent.id))).all()
    assert [(e.to_status, e.actor_type) for e in events if e.to_status in ("DELIVERING", "COMPLETED")] == [
        ("DELIVERING", "RIDER"), ("COMPLETED", "RIDER")]  # exactly one of each, despite the retries


async def test_wrong_codes_are_limited_per_order(client, world):
    order = await delivery_order(client, world)
    rider = await add_rider(world)
    token = rider_token(world, rider)
    await _assign(client, world, order, rider)
    for doc, name in ((ACCEPT, "riderTaskAccept"), (PICK_UP, "riderPickUp")):
        assert _payload(await world.gql(client, doc, {"o": order}, token=token), name)["errors"] == []
    proof = (await world.gql(client, PROOF, {"o": order}, token=world.customer_token()))["data"]["node"]["deliveryProof"]["code"]
    wrong = f"{(int(proof) + 1) % 1000000:06d}"
    codes = [_codes(_payload(await world.gql(client, DELIVER, {"o": order, "c": wrong}, token=token), "riderDeliver"))[0] for _ in range(6)]
    assert codes == ["CODE_INVALID"] * 6  # the sixth is refused untried, with the same answer
    blocked = _payload(await world.gql(client, DELIVER, {"o": order, "c": proof}, token=token), "riderDeliver")
    assert _codes(blocked) == ["CODE_INVALID"] and blocked["task"] is None


async def test_riders_see_and_move_only_their_own_tasks(client, world):
    order = await delivery_order(client, world)
    mine, other = await add_rider(world), await add_rider(world)
    await _assign(client, world, order, mine)
    tasks = (await world.gql(client, TASKS, token=rider_token(world, mine)))["data"]["riderTasks"]
    assert [(t["task"]["orderId"], t["task"]["state"]) for t in tasks] == [(order, "ASSIGNED")]
    assert (await world.gql(client, TASKS, token=rider_token(world, other)))["data"]["riderTasks"] == []
    assert (await world.gql(client, TASKS, token=world.staff_token("hq")))["data"]["riderTasks"] == []
    for doc, name in ((ACCEPT, "riderTaskAccept"), (REJECT, "riderTaskReject"), (PICK_UP, "riderPickUp")):
        assert _codes(_payload(await world.gql(client, doc, {"o": order}, token=rider_token(world, other)), name)) == ["NOT_FOUND"]
        assert _codes(_payload(await world.gql(client, doc, {"o": order}, token=world.customer_token()), name)) == ["UNAUTHENTICATED"]
    # Orders are not visible to riders through the order API either.
    assert (await world.gql(client, PROOF, {"o": order}, token=rider_token(world, mine)))["data"]["node"] is None
    # Rejecting hands the order back; a retry is a no-op, and the task is no longer the rider's to move.
    for _ in range(2):
        rejected = _payload(await world.gql(client, REJECT, {"o": order}, token=rider_token(world, mine)), "riderTaskReject")
        assert rejected["errors"] == [] and rejected["task"]["task"]["state"] == "REJECTED"
    late = _payload(await world.gql(client, ACCEPT, {"o": order}, token=rider_token(world, mine)), "riderTaskAccept")
    assert _codes(late) == ["TASK_NOT_ACTIVE"]


async def test_shift_start_and_end(client, world):
    order = await delivery_order(client, world)
    rider = await add_rider(world, status="OFF_SHIFT")
    token = rider_token(world, rider)
    started = _payload(await world.gql(client, SHIFT_START, token=token), "riderShiftStart")
    assert started["rider"]["status"] == "AVAILABLE"
    await _assign(client, world, order, rider)
    assert _payload(await world.gql(client, SHIFT_START, token=token), "riderShiftStart")["rider"]["status"] == "BUSY"
    for doc, name in ((ACCEPT, "riderTaskAccept"), (PICK_UP, "riderPickUp")):
        assert _payload(await world.gql(client, doc, {"o": order}, token=token), name)["errors"] == []
    assert _codes(_payload(await world.gql(client, SHIFT_END, token=token), "riderShiftEnd")) == ["HAS_ORDERS_ON_BOARD"]
    other = await delivery_order(client, world, customer="bob")
    second = await add_rider(world)
    await _assign(client, world, other, second)
    ended = _payload(await world.gql(client, SHIFT_END, token=rider_token(world, second)), "riderShiftEnd")
    assert ended["errors"] == [] and ended["rider"]["status"] == "OFF_SHIFT"
    tasks = (await world.gql(client, TASKS, token=rider_token(world, second)))["data"]["riderTasks"]
    assert [t["task"]["state"] for t in tasks] == ["RELEASED"]  # handed back to the engine


async def test_position_batches_are_validated_and_rate_limited(client, world):
    rider = await add_rider(world)
    token = rider_token(world, rider)
    point = {"longitude": 120.16, "latitude": 30.28}
    too_many = _payload(await world.gql(client, POSITIONS, {"p": [point] * 51}, token=token), "riderPositionReport")
    assert [(e["code"], e["field"]) for e in too_many["errors"]] == [("TOO_MANY_POSITIONS", "positions")]
    bad = _payload(await world.gql(client, POSITIONS, {"p": [point, {"longitude": 120.16, "latitude": 95.0}]}, token=token), "riderPositionReport")
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("COORDINATE_OUT_OF_RANGE", "positions.1.latitude")]
    future = _payload(await world.gql(client, POSITIONS, {"p": [{**point, "at": "2999-01-01T00:00:00+08:00"}]}, token=token), "riderPositionReport")
    assert [(e["code"], e["field"]) for e in future["errors"]] == [("INVALID", "positions.0.at")]
    empty = _payload(await world.gql(client, POSITIONS, {"p": []}, token=token), "riderPositionReport")
    assert _codes(empty) == ["REQUIRED"]
    ok = _payload(await world.gql(client, POSITIONS, {"p": [point] * 50}, token=token), "riderPositionReport")
    assert ok == {"accepted": 50, "errors": []}
    fast = _payload(await world.gql(client, POSITIONS, {"p": [point]}, token=token), "riderPositionReport")
    assert _codes(fast) == ["RATE_LIMITED"] and fast["accepted"] == 0
    async with world.services.database.read() as session:
        stored = await session.scalar(select(RiderPosition).where(RiderPosition.rider_id == rider))
    expected = to_wgs84(LonLat(120.16, 30.28), CoordinateSystem.GCJ02)  # inputs default to GCJ02; storage is WGS-84
    assert abs(stored.lon - expected.lon) < 1e-9 and abs(stored.lat - expected.lat) < 1e-9
    off = await add_rider(world, status="OFF_SHIFT")
    refused = _payload(await world.gql(client, POSITIONS, {"p": [point]}, token=rider_token(world, off)), "riderPositionReport")
    assert _codes(refused) == ["RIDER_NOT_ON_SHIFT"]
    anonymous = _payload(await world.gql(client, POSITIONS, {"p": [point]}), "riderPositionReport")
    assert _codes(anonymous) == ["UNAUTHENTICATED"]


async def test_rider_signs_in_with_mobile_and_one_time_code(client, world):
    rider = await add_rider(world)
    async with world.services.database.read() as session:
        from delivery.models import Rider

        mobile = (await session.get(Rider, rider)).mobile
    sent = await world.gql(client, "mutation($m: String!) { requestLoginCode(input: {mobile: $m}) { sent } }", {"m": mobile})
    assert sent["data"]["requestLoginCode"]["sent"] is True
    code = world.services.sms.last_code(mobile)
    login = "mutation($m: String!, $c: String!) { riderLogin(input: {mobile: $m, code: $c}) { tokens { accessToken } errors { code } } }"
    wrong = await world.gql(client, login, {"m": mobile, "c": "000000" if code != "000000" else "111111"})
    assert [e["code"] for e in wrong["data"]["riderLogin"]["errors"]] == ["CODE_INVALID"]
    body = await world.gql(client, login, {"m": mobile, "c": code})
    token = body["data"]["riderLogin"]["tokens"]["accessToken"]
    assert world.services.signer.verify_access(token).subject == f"rider:{rider}"
    viewer = await world.gql(client, "{ viewer { kind } riderTasks { task { id } } }", token=token)
    assert viewer["data"] == {"viewer": {"kind": "RIDER"}, "riderTasks": []}
    # A customer's mobile that is no rider's gets no rider token.
    sent = await world.gql(client, "mutation($m: String!) { requestLoginCode(input: {mobile: $m}) { sent } }", {"m": "+8613800000002"})
    code = world.services.sms.last_code("+8613800000002")
    refused = await world.gql(client, login, {"m": "+8613800000002", "c": code})
    assert refused["data"]["riderLogin"]["errors"] == wrong["data"]["riderLogin"]["errors"]  # same as a wrong code
