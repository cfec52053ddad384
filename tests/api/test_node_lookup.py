"""node(id:) resolves every type that has a global id, for whoever may see it (issue 18);
another brand's id, a missing id and an id the caller may not see are all null."""
from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from delivery.dispatch_models import DeliveryAssignment
from delivery.models import RiderShift
from geo.models import DeliveryZoneRow
from payments.models import Payment
from tests.api import gql_documents as docs
from tests.dispatch_api.helpers import ASSIGN, add_rider, delivery_order, pk, rider_token
from tests.worlds import build_world

ROOT = Path(__file__).resolve().parents[2]
NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"


async def _node(client, world, gid, token=None):
    body = await world.gql(client, NODE, {"id": gid}, token=token)
    assert "errors" not in body, body
    return body["data"]["node"]


def test_every_type_with_a_global_id_implements_node():
    from core.settings import Settings
    from schema.root import build_schema

    sdl = build_schema(Settings()).as_str()
    object_types = dict(re.findall(r"^type (\w+)( implements [^{]*)?\{", sdl, re.M))
    encoded = set()
    for folder in ("schema", "resolvers"):
        for path in (ROOT / folder).glob("*.py"):
            encoded |= set(re.findall(r"encode\(\"([A-Z]\w+)\"", path.read_text()))
    with_a_type = {name for name in encoded if name in object_types}
    # Customer, Staff and ApiKey ids name no GraphQL type of that name (StaffMember, ApiKeyInfo).
    assert with_a_type >= {"Address", "Cart", "DeliveryTask", "DeliveryZone", "Order", "Payment", "Rider", "RiderShift", "Store"}
    missing = sorted(name for name in with_a_type if "Node" not in (object_types[name] or ""))
    assert missing == []


async def test_address_and_cart_only_for_their_customer(client, world, database, services):
    alice = world.gid("Address", world.address_ids["alice"])
    assert await _node(client, world, alice, world.customer_token("alice")) == {"__typename": "Address", "id": alice}
    assert await _node(client, world, alice, world.customer_token("bob")) is None
    assert await _node(client, world, alice, world.staff_token("hq")) is None
    assert await _node(client, world, alice) is None  # anonymous
    other = await build_world(database, services)
    assert await _node(client, other, alice, other.customer_token("alice")) is None  # another brand

    added = await world.gql(client, docs.ADD_LINES, {"store": world.store("a"), "lines": [{"skuId": world.sku("milk"), "quantity": 1}]},
                            token=world.customer_token("alice"))
    assert added["data"]["cartLinesAdd"]["errors"] == []
    cart = await world.gql(client, "query($s: ID!) { cart(storeId: $s) { id } }", {"s": world.store("a")}, token=world.customer_token("alice"))
    cart_id = cart["data"]["cart"]["id"]
    assert (await _node(client, world, cart_id, world.customer_token("alice")))["__typename"] == "Cart"
    assert await _node(client, world, cart_id, world.customer_token("bob")) is None


async def test_rider_shift_and_zone_for_the_staff_who_manage_them(client, world, database, services):
    rider_id = await add_rider(world, "a")
    rider = world.gid("Rider", rider_id)
    async with database.read() as session:
        shift_id = await session.scalar(select(RiderShift.id).where(RiderShift.rider_id == rider_id))
    shift = world.gid("RiderShift", shift_id)
    async with database.write() as session:
        zone = DeliveryZoneRow(tenant_id=world.tenant_id, store_id=world.store_ids["a"], tier=1, name="near", kind="RADIUS",
                               radius_m=1000.0, fee_rule={"type": "DISTANCE_BANDS", "bands": [[None, 500]]}, express_allowed=True)
        session.add(zone)
        await session.flush()
        zone_gid = world.gid("DeliveryZone", zone.id)

    for staff in ("hq", "west", "manager_a"):
        token = world.staff_token(staff)
        assert await _node(client, world, rider, token) == {"__typename": "Rider", "id": rider}
        assert await _node(client, world, shift, token) == {"__typename": "RiderShift", "id": shift}
        assert await _node(client, world, zone_gid, token) == {"__typename": "DeliveryZone", "id": zone_gid}
    clerk = world.staff_token("clerk_a")  # dispatches (sees riders), does not manage delivery
    assert (await _node(client, world, rider, clerk))["__typename"] == "Rider"
    assert await _node(client, world, shift, clerk) is None
    # Dispatching staff see the zones they dispatch into (Store.deliveryZones, the console's map).
    assert await _node(client, world, zone_gid, clerk) == {"__typename": "DeliveryZone", "id": zone_gid}
    assert await _node(client, world, rider, rider_token(world, rider_id)) == {"__typename": "Rider", "id": rider}
    assert await _node(client, world, shift, rider_token(world, rider_id)) is not None
    for token in (world.customer_token("alice"), None):
        assert await _node(client, world, rider, token) is None
        assert await _node(client, world, zone_gid, token) is None
    other = await build_world(database, services)
    assert await _node(client, other, rider, other.staff_token("hq")) is None
    assert await _node(client, other, zone_gid, other.staff_token("hq")) is None
    body = await world.gql(client, NODES, {"ids": [rider, shift, zone_gid, "UmlkZXI6OTk5OTk5OTk5"]}, token=world.staff_token("hq"))
    assert [n and n["__typename"] for n in body["data"]["nodes"]] == ["Rider", "RiderShift", "DeliveryZone", None]


async def test_delivery_task_and_payment_follow_their_order(client, world, database, services):
    order = await delivery_order(client, world)
    rider_id = await add_rider(world, "a")
    assigned = await world.gql(client, ASSIGN, {"o": order, "r": world.gid("Rider", rider_id)}, token=world.staff_token("hq"))
    task = assigned["data"]["dispatchAssign"]["task"]["id"]
    async with database.read() as session:
        assert await session.scalar(select(DeliveryAssignment.id).where(DeliveryAssignment.order_id == pk(order))) is not None
        payment = world.gid("Payment", await session.scalar(select(Payment.id).where(Payment.order_id == pk(order))))
    assert (await _node(client, world, task, world.staff_token("clerk_a")))["__typename"] == "DeliveryTask"
    assert (await _node(client, world, task, rider_token(world, rider_id)))["__typename"] == "DeliveryTask"
    other_rider = await add_rider(world, "a")
    assert await _node(client, world, task, rider_token(world, other_rider)) is None
    assert await _node(client, world, task, world.customer_token("alice")) is None
    assert (await _node(client, world, payment, world.customer_token("alice")))["__typename"] == "Payment"
    assert (await _node(client, world, payment, world.staff_token("manager_a")))["__typename"] == "Payment"
    assert await _node(client, world, payment, world.customer_token("bob")) is None
    other = await build_world(database, services)
    assert await _node(client, other, payment, other.staff_token("hq")) is None
    assert await _node(client, other, task, other.staff_token("hq")) is None
