"""Membership test flows: members, top-ups through the sandbox provider, orders moved by staff."""
from __future__ import annotations

import uuid

from sqlalchemy import select

from commerce.models import Order
from commerce.order_status import ActorType, OrderStatus
from commerce.orders import apply_transition
from core.clock import utc_now
from ledger.checks import verify
from membership import members, points, stored_value
from membership.models import Member
from payments.provider import SandboxProvider
from tests.api.helpers import place_order
from tests.dispatch_api.helpers import pk
from tests.worlds import World


def sandbox(world: World) -> SandboxProvider:
    return SandboxProvider(world.services.settings.payment_callback_secret)


async def join(world: World, customer: str = "alice", **program) -> int:
    async with world.services.database.write() as session:
        if program:
            await members.set_program(session, world.tenant_id, utc_now(), **program)
        member = await members.join(session, world.tenant_id, world.customer_ids[customer], "EXPLICIT", utc_now())
        return member.id


async def top_up(world: World, member_id: int, pay_fen: int, bonus_fen: int, provider: SandboxProvider | None = None) -> int:
    """A plan, a top-up started through the sandbox and its success callback applied."""
    provider = provider or sandbox(world)
    async with world.services.database.write() as session:
        member = await session.get(Member, member_id)
        plan = await stored_value.add_plan(session, world.tenant_id, f"pay {pay_fen} get {pay_fen + bonus_fen}", pay_fen, bonus_fen, utc_now())
        top, _ = await stored_value.start_top_up(session, provider, member, plan.id, f"tu-{uuid.uuid4()}", utc_now())
    from payments.provider import CallbackEvent

    async with world.services.database.write() as session:
        outcome = await stored_value.apply_top_up_callback(
            session, provider.name, CallbackEvent(f"e-{uuid.uuid4()}", top.provider_ref, "SUCCEEDED", pay_fen), utc_now())
        assert outcome == "TOP_UP_CREDITED"
    return top.id


async def balances(world: World, member_id: int) -> tuple[int, int]:
    async with world.services.database.read() as session:
        return await stored_value.balances(session, world.tenant_id, member_id)


async def points_of(world: World, member_id: int) -> tuple[int, int]:
    """(ledger balance, sum of lot remaining): always equal."""
    async with world.services.database.read() as session:
        member = await session.get(Member, member_id)
        return await points.points_balance(session, member), await points.lots_total(session, member_id)


async def ledger_ok(world: World) -> bool:
    async with world.services.database.read() as session:
        return (await verify(session, world.tenant_id)).ok


async def pickup_order(client, world: World, lines: dict[str, int], customer: str = "alice") -> int:
    placed = await place_order(client, world, lines, fulfilment="STORE_PICKUP", customer=customer)
    assert placed["errors"] == [], placed
    return pk(placed["order"]["id"])


async def move(world: World, order_id: int, *statuses: OrderStatus, actor=ActorType.STAFF) -> None:
    for status in statuses:
        async with world.services.database.write() as session:
            order = await session.scalar(select(Order).where(Order.id == order_id))
            await apply_transition(session, order, status, actor=actor, actor_id=None, now=utc_now(), reason="test")


async def order_row(world: World, order_id: int) -> Order:
    async with world.services.database.read() as session:
        return await session.get(Order, order_id)


COMPLETE_PICKUP = (OrderStatus.PICKING, OrderStatus.READY, OrderStatus.AWAITING_PICKUP, OrderStatus.COMPLETED)
