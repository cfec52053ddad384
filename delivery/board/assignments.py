"""Assignments: give an order to a rider (engine or staff), release it, and the staff overrides.

Every write locks the order row first (SELECT .. FOR UPDATE on PostgreSQL; SQLite has one
writer), then checks the active assignment, so two dispatchers cannot give one order to two
riders; the partial unique index on active assignments is the backstop.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal, PrincipalKind
from commerce.models import Order
from core.errors import DomainError
from delivery.board.errors import DispatchErrorCode as Codes
from delivery.board.events import Outbox
from delivery.dispatch_models import ACTIVE_STATES, DeliveryAssignment
from delivery.models import Rider
from events import DeliveryTaskChanged, emit
from store_network.access import load_store

DISPATCHABLE = ("PAID", "PICKING", "READY")  # order statuses an assignment may start from
ON_SHIFT = ("AVAILABLE", "BUSY")


async def lock_order(session: AsyncSession, tenant_id: int, order_id: int, field: str = "orderId") -> Order:
    order = await session.scalar(
        select(Order).where(Order.id == order_id, Order.tenant_id == tenant_id).with_for_update()
    )
    if order is None:
        raise DomainError(Codes.NOT_FOUND, "order not found", field)
    return order


async def staff_order(session: AsyncSession, principal: Principal, order_id: int, *, lock: bool) -> Order:
    """The order, if the caller may dispatch its store (tenant first: another brand's id is NOT_FOUND)."""
    if principal.tenant_id is None or not principal.is_authenticated:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in first", None)
    if lock:
        order = await lock_order(session, principal.tenant_id, order_id)
    else:
        order = await session.scalar(select(Order).where(Order.id == order_id, Order.tenant_id == principal.tenant_id))
        if order is None:
            raise DomainError(Codes.NOT_FOUND, "order not found", "orderId")
    if principal.kind not in (PrincipalKind.STAFF, PrincipalKind.API_KEY):
        if principal.kind is PrincipalKind.CUSTOMER and order.customer_id != principal.customer_id:
            raise DomainError(Codes.NOT_FOUND, "order not found", "orderId")
        raise DomainError(Codes.PERMISSION_DENIED, "only store staff dispatch orders", "orderId")
    await load_store(session, principal, order.store_id, Codes, Permission.DISPATCH_ORDERS, field="orderId")
    return order


def require_dispatchable(order: Order) -> None:
    if order.fulfilment_type != "SAME_CITY_DELIVERY":
        raise DomainError(Codes.NOT_DISPATCHABLE, "only same-city delivery orders are dispatched to riders", "orderId")
    if order.status not in DISPATCHABLE:
        raise DomainError(Codes.NOT_DISPATCHABLE, f"the order is {order.status}; nothing to dispatch", "orderId")


async def active_assignment(session: AsyncSession, order_id: int) -> DeliveryAssignment | None:
    return await session.scalar(
        select(DeliveryAssignment).where(DeliveryAssignment.order_id == order_id, DeliveryAssignment.state.in_(ACTIVE_STATES))
    )


async def latest_assignment(session: AsyncSession, order_id: int) -> DeliveryAssignment | None:
    return await session.scalar(
        select(DeliveryAssignment).where(DeliveryAssignment.order_id == order_id).order_by(DeliveryAssignment.id.desc()).limit(1)
    )


async def rider_in_tenant(session: AsyncSession, tenant_id: int, rider_id: int, field: str = "riderId", lock: bool = False) -> Rider:
    query = select(Rider).where(Rider.id == rider_id, Rider.tenant_id == tenant_id)
    rider = await session.scalar(query.with_for_update() if lock else query)
    if rider is None:
        raise DomainError(Codes.NOT_FOUND, "rider not found", field)
    return rider


async def refresh_rider_status(session: AsyncSession, rider_id: int) -> None:
    """AVAILABLE <-> BUSY follows whether the on-shift rider holds active tasks (express capacity counts AVAILABLE)."""
    busy = await session.scalar(
        select(func.count(DeliveryAssignment.id)).where(
            DeliveryAssignment.rider_id == rider_id, DeliveryAssignment.state.in_(ACTIVE_STATES)
        )
    )
    await session.execute(
        update(Rider)
        .where(Rider.id == rider_id, Rider.status.in_(ON_SHIFT))
        .values(status="BUSY" if busy else "AVAILABLE"),
        execution_options={"synchronize_session": False},
    )


async def create_assignment(
    session: AsyncSession, order: Order, rider_id: int, *, by: str, by_id: int | None, pinned: bool, now: datetime,
    plan_id: int | None = None,
) -> DeliveryAssignment:
    row = DeliveryAssignment(
        tenant_id=order.tenant_id, order_id=order.id, store_id=order.store_id, rider_id=rider_id, state="ASSIGNED",
        pinned=pinned, assigned_by=by, assigned_by_id=by_id, plan_id=plan_id, reason="", assigned_at=now, updated_at=now,
    )
    session.add(row)
    await session.flush()
    await refresh_rider_status(session, rider_id)
    await emit_task_event(session, row, by=by, by_id=by_id, now=now)
    return row


async def emit_task_event(session: AsyncSession, row: DeliveryAssignment, *, by: str, by_id: int | None, now: datetime) -> None:
    """The task's new state, for the outbox (courier sync, webhooks)."""
    await emit(session, DeliveryTaskChanged(
        tenant_id=row.tenant_id, at=now, task_id=row.id, order_id=row.order_id, store_id=row.store_id,
        rider_id=row.rider_id, state=row.state, by=by, by_id=by_id, reason=row.reason or "",
    ))


async def end_assignment(
    session: AsyncSession, row: DeliveryAssignment, state: str, *, by: str, by_id: int | None, reason: str, now: datetime
) -> DeliveryAssignment:
    """Compare-and-set from the state we read: a concurrent change makes this CONCURRENT_UPDATE."""
    result = await session.execute(
        update(DeliveryAssignment)
        .where(DeliveryAssignment.id == row.id, DeliveryAssignment.state == row.state)
        .values(state=state, ended_at=now, ended_by=by, ended_by_id=by_id, reason=reason[:200], updated_at=now),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        raise DomainError(Codes.CONCURRENT_UPDATE, "the task changed meanwhile; reload it", "orderId")
    await session.refresh(row)
    if row.rider_id is not None:
        await refresh_rider_status(session, row.rider_id)
    await emit_task_event(session, row, by=by, by_id=by_id, now=now)
    return row


def _actor(principal: Principal) -> tuple[str, int | None]:
    if principal.kind is PrincipalKind.API_KEY:
        return "API_KEY", principal.api_key_id
    return "STAFF", principal.staff_id


async def assign(
    session: AsyncSession, principal: Principal, order_id: int, rider_id: int, now: datetime, outbox: Outbox
) -> DeliveryAssignment:
    """Staff's manual assignment: a pin the engine plans around and never moves."""
    order = await staff_order(session, principal, order_id, lock=True)
    rider = await rider_in_tenant(session, order.tenant_id, rider_id)
    require_dispatchable(order)
    if rider.status == "SUSPENDED":
        raise DomainError(Codes.RIDER_SUSPENDED, "this rider is suspended", "riderId")
    if rider.status not in ON_SHIFT:
        raise DomainError(Codes.RIDER_NOT_ON_SHIFT, "this rider is not on shift", "riderId")
    by, by_id = _actor(principal)
    current = await active_assignment(session, order.id)
    if current is not None:
        if current.state == "PICKED_UP":
            raise DomainError(Codes.ALREADY_PICKED_UP, "the rider already has the goods", "orderId")
        if current.rider_id == rider.id:
            if not current.pinned:
                current.pinned, current.assigned_by, current.assigned_by_id, current.updated_at = True, by, by_id, now
                await session.flush()
            return current  # the same pin again: no-op
        await end_assignment(session, current, "RELEASED", by=by, by_id=by_id, reason="reassigned by staff", now=now)
    row = await create_assignment(session, order, rider.id, by=by, by_id=by_id, pinned=True, now=now)
    outbox.status(order, row.state, now, rider.id)
    return row


async def unassign(session: AsyncSession, principal: Principal, order_id: int, now: datetime, outbox: Outbox) -> DeliveryAssignment:
    """Take the order back from its rider (and its pin): the engine plans it freely again."""
    order = await staff_order(session, principal, order_id, lock=True)
    current = await active_assignment(session, order.id)
    if current is None:
        raise DomainError(Codes.NOT_ASSIGNED, "the order has no rider", "orderId")
    if current.state == "PICKED_UP":
        raise DomainError(Codes.ALREADY_PICKED_UP, "the rider already has the goods", "orderId")
    by, by_id = _actor(principal)
    row = await end_assignment(session, current, "RELEASED", by=by, by_id=by_id, reason="unassigned by staff", now=now)
    outbox.status(order, None, now)
    return row


async def cancel_for_order(session: AsyncSession, order: Order, now: datetime) -> None:
    """The order ended outside dispatch (refund): its task, if any, is cancelled."""
    current = await active_assignment(session, order.id)
    if current is not None:
        await end_assignment(session, current, "CANCELLED", by="SYSTEM", by_id=None, reason=f"order {order.status}", now=now)


async def end_for_terminal_order(
    session: AsyncSession, order_id: int, status: str, *, by: str, by_id: int | None, reason: str, now: datetime
) -> DeliveryAssignment | None:
    """The order reached a terminal status (completed, cancelled, refunded) by any path: its
    active task ends and the rider is freed (BUSY -> AVAILABLE if nothing else is on board).
    A completion that did not go through riderDeliver (a staff override) counts as delivered;
    anything else cancels the task. The order row is already locked by the transition's
    compare-and-set."""
    current = await active_assignment(session, order_id)
    if current is None:
        return None
    state = "DELIVERED" if status == "COMPLETED" else "CANCELLED"
    return await end_assignment(session, current, state, by=by, by_id=by_id, reason=f"order {status}: {reason}", now=now)
