"""Distribution test helpers: enrol a salesperson, bind a friend, move an order along."""
from __future__ import annotations

from datetime import datetime

from auth.roles import Principal, RoleGrant
from commerce.models import Order
from commerce.order_status import ActorType, OrderStatus
from commerce.orders import apply_transition
from core.clock import utc_now
from distribution import attribution, enrolment
from ledger.checks import verify
from store_network.models import NetworkNode
from tests.worlds import World


async def hq_principal(session, world: World) -> Principal:
    hq = await session.get(NetworkNode, world.hq_node_id)
    return Principal.staff(world.tenant_id, world.staff_ids["hq"], (RoleGrant("HQ_ADMIN", hq.id, hq.path),))


async def enrol(world: World, customer: str = "alice", *, kind: str = "EMPLOYEE", store: str = "a", now: datetime | None = None):
    """HQ invites; the customer accepts. Returns the salesperson id."""
    async with world.services.database.write() as session:
        staff = await hq_principal(session, world)
        _, token = await enrolment.create_invite(session, staff, store_id=world.store_ids[store], kind=kind, uses=1, ttl_hours=24, now=now)
        row = await enrolment.accept_invite(session, world.tenant_id, world.customer_ids[customer], token, now=now)
        return row.id


async def bind(world: World, salesperson_id: int, customer: str = "bob", now: datetime | None = None) -> None:
    secret = world.services.settings.secret_key
    token, _ = attribution.share_token(secret, world.tenant_id, salesperson_id, now)
    async with world.services.database.write() as session:
        await attribution.bind_customer(session, secret, world.tenant_id, world.customer_ids[customer], token, now)


async def move(world: World, order_id: int, *statuses: str, now: datetime | None = None) -> None:
    for status in statuses:
        async with world.services.database.write() as session:
            order = await session.get(Order, order_id)
            await apply_transition(session, order, OrderStatus(status), actor=ActorType.STAFF, actor_id=world.staff_ids["hq"], now=now or utc_now())


async def ledger_ok(world: World) -> None:
    async with world.services.database.read() as session:
        report = await verify(session, world.tenant_id)
    assert report.ok, report


async def add_customer(world: World, key: str, mobile: str) -> int:
    from commerce.models import Customer

    async with world.services.database.write() as session:
        row = Customer(tenant_id=world.tenant_id, mobile=mobile, name=key)
        session.add(row)
        await session.flush()
        world.customer_ids[key] = row.id
        return row.id
