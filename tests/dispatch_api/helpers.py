"""Riders, paid delivery orders and GraphQL documents for the dispatch API tests."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from commerce.models import Order
from core.clock import utc_now
from core.errors import CommonErrorCode
from delivery.models import Rider, RiderShift
from schema.ids import decode
from tests.api import gql_documents as docs
from tests.api.helpers import pay, place_order
from tests.worlds import World

E = "errors { field code message }"
TASK = "task { id orderId state riderId pinned assignedBy reason }"
RTASK = f"task {{ task {{ id state orderId }} orderStatus secondsLeft storeName recipient dropLocation {{ longitude latitude system }} }} {E}"

DISPATCH_NOW = f"mutation($o: ID!) {{ dispatchNow(input: {{orderId: $o}}) {{ {TASK} {E} }} }}"
ASSIGN = f"mutation($o: ID!, $r: ID!) {{ dispatchAssign(input: {{orderId: $o, riderId: $r}}) {{ {TASK} {E} }} }}"
UNASSIGN = f"mutation($o: ID!) {{ dispatchUnassign(input: {{orderId: $o}}) {{ {TASK} {E} }} }}"
ACCEPT = f"mutation($o: ID!) {{ riderTaskAccept(input: {{orderId: $o}}) {{ {RTASK} }} }}"
REJECT = f"mutation($o: ID!) {{ riderTaskReject(input: {{orderId: $o, reason: \"flat tyre\"}}) {{ {RTASK} }} }}"
ARRIVE = f"mutation($o: ID!) {{ riderArriveAtStore(input: {{orderId: $o}}) {{ {RTASK} }} }}"
PICK_UP = f"mutation($o: ID!) {{ riderPickUp(input: {{orderId: $o}}) {{ {RTASK} }} }}"
DELIVER = f"mutation($o: ID!, $c: String!) {{ riderDeliver(input: {{orderId: $o, proofCode: $c}}) {{ {RTASK} }} }}"
SHIFT_START = f"mutation {{ riderShiftStart {{ rider {{ id status }} {E} }} }}"
SHIFT_END = f"mutation {{ riderShiftEnd {{ rider {{ id status }} {E} }} }}"
POSITIONS = f"mutation($p: [RiderPositionInput!]!) {{ riderPositionReport(input: {{positions: $p}}) {{ accepted {E} }} }}"
TASKS = "query { riderTasks { task { orderId state } orderStatus } }"
BOARD = """query($s: ID!) { dispatchBoard(storeId: $s) {
  partition generatedAt
  orders { orderId number orderStatus dispatchState promisedBy secondsLeft suggestedRiderId task { state riderId pinned } }
  lanes { state orders { orderId } }
  riders { id name status capacity position { at location(system: WGS84) { longitude latitude } } route { orderId state } suggestedRoute { orderId kind eta } }
  suggestion { plannedAt status openOrders committed handedOff unassigned { orderId reason } }
} }"""
PROOF = "query($o: ID!) { node(id: $o) { ... on Order { status deliveryProof { code usedAt } } } }"


def rider_token(world: World, rider_id: int) -> str:
    return world.services.signer.issue_pair(f"rider:{rider_id}", world.tenant_id).access


async def add_rider(world: World, store: str = "a", *, status: str = "AVAILABLE", shift: bool = True, capacity: int = 6) -> int:
    async with world.services.database.write() as session:
        count = len((await session.scalars(select(Rider.id).where(Rider.tenant_id == world.tenant_id))).all())
        rider = Rider(tenant_id=world.tenant_id, home_store_id=world.store_ids[store], name=f"rider{count}",
                      mobile=f"+86139{count:08d}", status=status, capacity=capacity)
        session.add(rider)
        await session.flush()
        if shift:
            start = utc_now() - timedelta(hours=1)
            session.add(RiderShift(tenant_id=world.tenant_id, rider_id=rider.id, store_id=world.store_ids[store], starts_at=start,
                                   ends_at=start + timedelta(hours=8)))
        return rider.id


async def set_all_riders(world: World, status: str) -> None:
    from sqlalchemy import update

    async with world.services.database.write() as session:
        await session.execute(update(Rider).where(Rider.tenant_id == world.tenant_id).values(status=status))


async def delivery_order(client, world: World, *, status: str = "READY", customer: str = "alice", store: str = "a") -> str:
    """A paid same-city order of `customer`, moved along by staff to `status` (PAID, PICKING or READY)."""
    placed = await place_order(client, world, {"bread": 1}, store=store, customer=customer)
    assert placed["errors"] == [], placed
    order = placed["order"]["id"]
    await pay(client, world, order, customer=customer)
    for step in ("PICKING", "READY"):
        if status == "PAID" or (status == "PICKING" and step == "READY"):
            break
        moved = await world.gql(client, docs.TRANSITION, {"order": order, "status": step}, token=world.staff_token("hq"))
        assert moved["data"]["orderTransition"]["errors"] == [], moved
    return order


def pk(order_gid: str) -> int:
    return decode(order_gid, "Order", CommonErrorCode, "id")


async def order_row(world: World, order_gid: str) -> Order:
    async with world.services.database.read() as session:
        return await session.get(Order, pk(order_gid))


def rid(world: World, rider_id: int) -> str:
    return world.gid("Rider", rider_id)


async def partition_of(world: World, store: str = "a") -> str:
    from delivery.board.engine import partition_key
    from store_network.models import Store

    async with world.services.database.read() as session:
        city = (await session.get(Store, world.store_ids[store])).city
    return partition_key(world.tenant_id, city)
