"""Pickup codes (one use, own store, rate-limited, audited) and delivery settings inheritance."""
from __future__ import annotations

from sqlalchemy import select

from delivery.models import PickupVerification
from tests.api import gql_documents as docs
from tests.api.helpers import pay, place_order
from tests.slots.helpers import slots

E = "errors { field code message }"
VERIFY = f"""mutation($s: ID!, $o: ID, $c: String, $q: String) {{
  pickupCodeVerify(input: {{storeId: $s, orderId: $o, code: $c, qrPayload: $q}}) {{ order {{ status }} {E} }} }}"""
CODE = "query($id: ID!) { node(id: $id) { ... on Order { status pickupCode { code qrPayload usedAt } } } }"
SETTINGS_SET = f"""mutation($id: ID!, $express: Boolean, $cutoff: Int, $closures: [DeliveryClosureInput!]) {{
  deliverySettingsSet(input: {{nodeId: $id, expressEnabled: $express, cutoffMinutes: $cutoff, closures: $closures}}) {{
    settings {{ own {{ expressEnabled cutoffMinutes }} effective {{ expressEnabled cutoffMinutes slotMinutes }} closures {{ startsOn }} }} {E} }} }}"""
CUTOFF_ONLY = f"""mutation($id: ID!, $cutoff: Int) {{ deliverySettingsSet(input: {{nodeId: $id, cutoffMinutes: $cutoff}}) {{
    settings {{ own {{ cutoffMinutes expressEnabled }} effective {{ cutoffMinutes expressEnabled }} }} {E} }} }}"""


async def ready_pickup(client, world, store="a") -> tuple[str, dict]:
    order = (await place_order(client, world, {"bread": 1}, store=store, fulfilment="STORE_PICKUP"))["order"]["id"]
    before = await world.gql(client, CODE, {"id": order}, token=world.customer_token())
    assert before["data"]["node"]["pickupCode"] is None  # issued when paid, not before
    await pay(client, world, order)
    for status in ("PICKING", "READY"):
        moved = await world.gql(client, docs.TRANSITION, {"order": order, "status": status}, token=world.staff_token("hq"))
        assert moved["data"]["orderTransition"]["errors"] == []
    code = (await world.gql(client, CODE, {"id": order}, token=world.customer_token()))["data"]["node"]["pickupCode"]
    assert code["code"].isdigit() and len(code["code"]) == 6 and code["usedAt"] is None
    return order, code


async def verify(client, world, staff="clerk_a", store="a", **variables) -> dict:
    body = await world.gql(client, VERIFY, {"s": world.store(store), **variables}, token=world.staff_token(staff))
    return body["data"]["pickupCodeVerify"]


def codes(payload) -> list[str]:
    return [e["code"] for e in payload["errors"]]


async def test_a_pickup_code_is_verified_once_at_its_own_store_when_ready(client, world, database):
    order, code = await ready_pickup(client, world)
    staff_view = await world.gql(client, CODE, {"id": order}, token=world.staff_token("hq"))
    assert staff_view["data"]["node"]["pickupCode"] is None  # staff get the code from the customer, not the API
    assert codes(await verify(client, world, o=order, c=code["code"])) == ["ORDER_NOT_READY"]  # still READY
    await world.gql(client, docs.TRANSITION, {"order": order, "status": "AWAITING_PICKUP"}, token=world.staff_token("hq"))
    wrong = "000000" if code["code"] != "000000" else "111111"
    assert codes(await verify(client, world, o=order, c=wrong)) == ["CODE_INVALID"]
    assert codes(await verify(client, world, "hq", "b", o=order, c=code["code"])) == ["WRONG_STORE"]
    assert codes(await verify(client, world, "clerk_a", "b", o=order, c=code["code"])) == ["PERMISSION_DENIED"]
    done = await verify(client, world, o=order, c=code["code"])
    assert done == {"order": {"status": "COMPLETED"}, "errors": []}
    # A used code is refused like a wrong one; the audit keeps the real reason.
    assert codes(await verify(client, world, o=order, c=code["code"])) == ["CODE_INVALID"]
    assert codes(await verify(client, world, q=code["qrPayload"])) == ["CODE_INVALID"]
    async with database.read() as session:
        audit = (await session.execute(
            select(PickupVerification.store_id, PickupVerification.outcome).where(PickupVerification.tenant_id == world.tenant_id)
            .order_by(PickupVerification.id))).all()
    a, b = world.store_ids["a"], world.store_ids["b"]
    assert audit == [(a, "ORDER_NOT_READY"), (a, "CODE_INVALID"), (b, "WRONG_STORE"), (b, "PERMISSION_DENIED"),
                     (a, "SUCCESS"), (a, "CODE_ALREADY_USED"), (a, "CODE_ALREADY_USED")]


async def test_the_signed_qr_works_and_a_tampered_one_does_not(client, world):
    order, code = await ready_pickup(client, world)
    await world.gql(client, docs.TRANSITION, {"order": order, "status": "AWAITING_PICKUP"}, token=world.staff_token("hq"))
    prefix, order_pk, store_pk, digits, sig = code["qrPayload"].split(".")
    forged = ".".join([prefix, order_pk, store_pk, "123456" if digits != "123456" else "654321", sig])
    assert codes(await verify(client, world, q=forged)) == ["CODE_INVALID"]
    assert codes(await verify(client, world, q="not a qr")) == ["CODE_INVALID"]
    assert codes(await verify(client, world, c="123456")) == ["INVALID"]  # a code without its order
    assert (await verify(client, world, q=code["qrPayload"]))["order"] == {"status": "COMPLETED"}


async def test_guessing_is_rate_limited_per_order(client, world):
    order, code = await ready_pickup(client, world)
    await world.gql(client, docs.TRANSITION, {"order": order, "status": "AWAITING_PICKUP"}, token=world.staff_token("hq"))
    wrong = [f"{i}{i}{i}{i}{i}{i}" for i in range(10) if f"{i}" * 6 != code["code"]][:5]
    for guess in wrong:
        assert codes(await verify(client, world, o=order, c=guess)) == ["CODE_INVALID"]
    # Even the right code is refused now (otherwise the sixth guess could still win), with the
    # same answer as a wrong code.
    assert codes(await verify(client, world, o=order, c=code["code"])) == ["CODE_INVALID"]
    body = await world.gql(client, CODE, {"id": order}, token=world.customer_token())
    assert body["data"]["node"]["status"] == "AWAITING_PICKUP"


async def test_guessing_is_rate_limited_per_store(client, world, database):
    from datetime import timedelta

    from core.clock import utc_now

    order, code = await ready_pickup(client, world)
    await world.gql(client, docs.TRANSITION, {"order": order, "status": "AWAITING_PICKUP"}, token=world.staff_token("hq"))
    async with database.write() as session:  # 30 failures across many orders in the last minutes
        session.add_all(PickupVerification(tenant_id=world.tenant_id, store_id=world.store_ids["a"], method="CODE", outcome="CODE_INVALID",
                                           actor_type="STAFF", created_at=utc_now() - timedelta(minutes=5)) for _ in range(30))
    assert codes(await verify(client, world, o=order, c=code["code"])) == ["RATE_LIMITED"]
    assert (await verify(client, world, "hq", "b", o=order, c=code["code"]))["errors"][0]["code"] == "WRONG_STORE"  # other stores unaffected


async def test_customers_cannot_verify_pickup_codes(client, world):
    order, code = await ready_pickup(client, world)
    body = await world.gql(client, VERIFY, {"s": world.store("a"), "o": order, "c": code["code"]}, token=world.customer_token())
    assert codes(body["data"]["pickupCodeVerify"]) == ["PERMISSION_DENIED"]


async def test_settings_inherit_down_the_network_and_null_inherits_again(client, world):
    partner = world.gid("NetworkNode", world.partner_ids["west"])
    body = await world.gql(client, SETTINGS_SET, {"id": partner, "express": False, "cutoff": 45,
                                                  "closures": [{"startsOn": "2031-02-10", "endsOn": "2031-02-12", "reason": "Spring Festival"}]},
                           token=world.staff_token("west"))
    payload = body["data"]["deliverySettingsSet"]
    assert payload["errors"] == [] and payload["settings"]["effective"] == {"expressEnabled": False, "cutoffMinutes": 45, "slotMinutes": 60}
    async with world.services.database.read() as session:
        from store_network.models import Store

        store_node = await session.scalar(select(Store.node_id).where(Store.id == world.store_ids["a"]))
    store = world.gid("NetworkNode", store_node)
    own = await world.gql(client, CUTOFF_ONLY, {"id": store, "cutoff": 20}, token=world.staff_token("manager_a"))
    assert own["data"]["deliverySettingsSet"]["settings"] == {
        "own": {"cutoffMinutes": 20, "expressEnabled": None}, "effective": {"cutoffMinutes": 20, "expressEnabled": False}}
    reset = await world.gql(client, CUTOFF_ONLY, {"id": store, "cutoff": None}, token=world.staff_token("manager_a"))
    assert reset["data"]["deliverySettingsSet"]["settings"]["effective"]["cutoffMinutes"] == 45
    listing = await slots(client, world)
    assert listing["slots"][0]["reason"] == "EXPRESS_NOT_OFFERED"  # inherited from the partner
    # A clerk may not, a manager may not touch the partner, and bad values are typed errors.
    assert codes((await world.gql(client, CUTOFF_ONLY, {"id": store, "cutoff": 10}, token=world.staff_token("clerk_a")))["data"]["deliverySettingsSet"]) == ["PERMISSION_DENIED"]
    assert codes((await world.gql(client, CUTOFF_ONLY, {"id": partner, "cutoff": 10}, token=world.staff_token("manager_a")))["data"]["deliverySettingsSet"]) == ["PERMISSION_DENIED"]
    bad = (await world.gql(client, CUTOFF_ONLY, {"id": store, "cutoff": -5}, token=world.staff_token("manager_a")))["data"]["deliverySettingsSet"]
    assert [(e["code"], e["field"]) for e in bad["errors"]] == [("INVALID", "cutoffMinutes")]


async def test_slots_query_reports_typed_errors(client, world, services):
    listing = await slots(client, world, customer=None, location={"longitude": 120.16, "latitude": 30.28, "system": "WGS84"})
    assert listing["errors"] == [] and listing["slots"]
    far = await slots(client, world, customer=None, location={"longitude": 121.5, "latitude": 31.2, "system": "WGS84"})
    assert {s["reason"] for s in far["slots"]} == {"OUTSIDE_ZONE"}
    bad = await slots(client, world, customer=None, location={"longitude": 999, "latitude": 30.28, "system": "WGS84"})
    assert [e["code"] for e in bad["errors"]] == ["INVALID"]
    past_days = await slots(client, world, days=99)
    assert [(e["code"], e["field"]) for e in past_days["errors"]] == [("INVALID", "days")]
    pickup = await slots(client, world, fulfilment="STORE_PICKUP")
    assert pickup["slots"] and {s["kind"] for s in pickup["slots"]} == {"PICKUP_60"}
