"""The rider's side: shift on/off, accept or reject a task, arrive, pick up, deliver, report position.

A rider principal (auth.roles.PrincipalKind.RIDER) only ever reaches its own tasks: every
lookup is by (tenant, order, this rider). Retries are safe: repeating a step that already
happened answers the task unchanged (never a second transition); a step that no longer
applies (the task was reassigned) is a clear TASK_NOT_ACTIVE.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Principal, PrincipalKind
from commerce.models import Order
from commerce.order_status import ActorType, OrderStatus
from commerce.orders import apply_transition
from core.errors import DomainError
from delivery.board import assignments as tasks
from delivery.board import proof
from delivery.board.errors import DispatchErrorCode as Codes
from delivery.board.events import Outbox
from delivery.dispatch_models import ACTIVE_STATES, DeliveryAssignment, RiderPosition
from delivery.models import Rider
from geo.coordinates import CoordinateSystem, LonLat, to_wgs84
from geo.errors import GeoInputError

MAX_POSITIONS = 50
MIN_BATCH_INTERVAL = timedelta(seconds=2)
MAX_FIX_AGE = timedelta(hours=1)
MAX_CLOCK_SKEW = timedelta(minutes=1)
RECENT = timedelta(hours=12)  # riderTasks also lists tasks that ended this recently
TRACKED = ("ACCEPTED", "AT_STORE", "PICKED_UP")  # customers see the rider from acceptance on


def require_rider(principal: Principal) -> tuple[int, int]:
    if principal.kind is not PrincipalKind.RIDER or principal.rider_id is None or principal.tenant_id is None:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in as a rider (riderLogin)", None)
    return principal.tenant_id, principal.rider_id


async def me(session: AsyncSession, principal: Principal, lock: bool = False) -> Rider:
    tenant_id, rider_id = require_rider(principal)
    return await tasks.rider_in_tenant(session, tenant_id, rider_id, field=None, lock=lock)


# --------------------------------------------------------------------------- shift


async def shift_start(session: AsyncSession, principal: Principal, now: datetime) -> Rider:
    rider = await me(session, principal, lock=True)
    if rider.status == "SUSPENDED":
        raise DomainError(Codes.RIDER_SUSPENDED, "your account is suspended; call your station", None)
    if rider.status == "OFF_SHIFT":
        rider.status = "AVAILABLE"
        await session.flush()
        await tasks.refresh_rider_status(session, rider.id)
        await session.refresh(rider)
    return rider


async def shift_end(session: AsyncSession, principal: Principal, now: datetime, outbox: Outbox) -> Rider:
    """Off shift: tasks not yet picked up go back to the engine; goods on board must be delivered first."""
    rider = await me(session, principal, lock=True)
    active = (
        await session.scalars(
            select(DeliveryAssignment).where(DeliveryAssignment.rider_id == rider.id, DeliveryAssignment.state.in_(ACTIVE_STATES))
        )
    ).all()
    if any(a.state == "PICKED_UP" for a in active):
        raise DomainError(Codes.HAS_ORDERS_ON_BOARD, "deliver the orders you carry before going off shift", None)
    for a in active:
        order = await tasks.lock_order(session, rider.tenant_id, a.order_id)
        await tasks.end_assignment(session, a, "RELEASED", by="RIDER", by_id=rider.id, reason="rider went off shift", now=now)
        outbox.status(order, None, now)
    if rider.status in tasks.ON_SHIFT:
        rider.status = "OFF_SHIFT"
        await session.flush()
    return rider


# --------------------------------------------------------------------------- tasks


async def _task(session: AsyncSession, principal: Principal, order_id: int) -> tuple[Order, DeliveryAssignment, bool]:
    """(order, this rider's task for it, whether that task is the order's active one). The order
    row is locked, so a staff reassignment and this step cannot interleave."""
    tenant_id, rider_id = require_rider(principal)
    order = await tasks.lock_order(session, tenant_id, order_id)
    row = await session.scalar(
        select(DeliveryAssignment)
        .where(DeliveryAssignment.order_id == order.id, DeliveryAssignment.rider_id == rider_id)
        .order_by(DeliveryAssignment.id.desc())
        .limit(1)
    )
    if row is None:
        raise DomainError(Codes.NOT_FOUND, "order not found", "orderId")  # not yours: indistinguishable from absent
    return order, row, row.state in ACTIVE_STATES


def _inactive(row: DeliveryAssignment) -> DomainError:
    return DomainError(Codes.TASK_NOT_ACTIVE, f"this task is {row.state.lower().replace('_', ' ')}; it is no longer yours", "orderId")


async def _move(session: AsyncSession, row: DeliveryAssignment, state: str, now: datetime, **stamps) -> DeliveryAssignment:
    result = await session.execute(
        update(DeliveryAssignment)
        .where(DeliveryAssignment.id == row.id, DeliveryAssignment.state == row.state)
        .values(state=state, updated_at=now, **stamps),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        raise DomainError(Codes.CONCURRENT_UPDATE, "the task changed meanwhile; reload it", "orderId")
    await session.refresh(row)
    await tasks.emit_task_event(session, row, by="RIDER", by_id=row.rider_id, now=now)
    return row


async def accept(session: AsyncSession, principal: Principal, order_id: int, now: datetime, outbox: Outbox) -> DeliveryAssignment:
    order, row, active = await _task(session, principal, order_id)
    if not active:
        if row.state == "DELIVERED":
            return row
        raise _inactive(row)
    if row.state != "ASSIGNED":
        return row  # accepted already (retry)
    row = await _move(session, row, "ACCEPTED", now, accepted_at=now)
    outbox.status(order, row.state, now, row.rider_id)
    return row


async def reject(session: AsyncSession, principal: Principal, order_id: int, reason: str, now: datetime,
                 outbox: Outbox) -> DeliveryAssignment:
    order, row, active = await _task(session, principal, order_id)
    if not active:
        if row.state == "REJECTED":
            return row  # rejected already (retry)
        raise _inactive(row)
    if row.state == "PICKED_UP":
        raise DomainError(Codes.ALREADY_PICKED_UP, "you carry this order: deliver it, or call the store", "orderId")
    row = await tasks.end_assignment(session, row, "REJECTED", by="RIDER", by_id=row.rider_id,
                                     reason=(reason or "rejected by rider").strip() or "rejected by rider", now=now)
    outbox.status(order, None, now)
    return row


async def arrive(session: AsyncSession, principal: Principal, order_id: int, now: datetime, outbox: Outbox) -> DeliveryAssignment:
    order, row, active = await _task(session, principal, order_id)
    if not active:
        if row.state == "DELIVERED":
            return row
        raise _inactive(row)
    if row.state == "ASSIGNED":
        raise DomainError(Codes.TASK_NOT_ACCEPTED, "accept the task first", "orderId")
    if row.state != "ACCEPTED":
        return row  # at the store already, or picked up (retry)
    row = await _move(session, row, "AT_STORE", now, arrived_at=now)
    outbox.status(order, row.state, now, row.rider_id)
    return row


async def pick_up(session: AsyncSession, principal: Principal, order_id: int, now: datetime, outbox: Outbox) -> DeliveryAssignment:
    """The rider has the goods: the task is PICKED_UP and the order DELIVERING, in one transaction."""
    order, row, active = await _task(session, principal, order_id)
    if not active:
        if row.state == "DELIVERED":
            return row
        raise _inactive(row)
    if row.state == "PICKED_UP":
        return row  # retry
    if row.state == "ASSIGNED":
        raise DomainError(Codes.TASK_NOT_ACCEPTED, "accept the task first", "orderId")
    if order.status != OrderStatus.READY.value:
        raise DomainError(Codes.ORDER_NOT_READY, f"the order is {order.status}, not packed yet", "orderId")
    row = await _move(session, row, "PICKED_UP", now, picked_up_at=now, arrived_at=row.arrived_at or now)
    # The transition's event publishes the STATUS message (delivery.order_listeners).
    await apply_transition(session, order, OrderStatus.DELIVERING, actor=ActorType.RIDER, actor_id=row.rider_id, now=now,
                           reason="picked up by rider")
    return row


async def deliver(session: AsyncSession, principal: Principal, key: bytes, order_id: int, code: str, now: datetime,
                  outbox: Outbox) -> tuple[DeliveryAssignment | None, DomainError | None]:
    """Handed over against the customer's proof code: task DELIVERED, order COMPLETED. A wrong code
    is *returned* (its attempt counted) so the caller commits the count and then reports it."""
    order, row, active = await _task(session, principal, order_id)
    if not active:
        if row.state == "DELIVERED":
            return row, None  # retry after a lost answer: already done
        raise _inactive(row)
    if row.state != "PICKED_UP":
        raise DomainError(Codes.NOT_PICKED_UP, "pick the order up first", "orderId")
    if not isinstance(code, str) or not code.strip():
        raise DomainError(Codes.REQUIRED, "ask the customer for the delivery code", "proofCode")
    error = await proof.check(session, key, order, code, row.rider_id, now)
    if error is not None:
        return None, error
    row = await _move(session, row, "DELIVERED", now, ended_at=now, ended_by="RIDER", ended_by_id=row.rider_id)
    await apply_transition(session, order, OrderStatus.COMPLETED, actor=ActorType.RIDER, actor_id=row.rider_id, now=now,
                           reason="delivered (proof code)")
    await tasks.refresh_rider_status(session, row.rider_id)
    return row, None


async def my_tasks(session: AsyncSession, principal: Principal, now: datetime, include_finished: bool = True
                   ) -> list[tuple[DeliveryAssignment, Order]]:
    tenant_id, rider_id = require_rider(principal)
    query = select(DeliveryAssignment, Order).join(Order, Order.id == DeliveryAssignment.order_id).where(
        DeliveryAssignment.tenant_id == tenant_id, DeliveryAssignment.rider_id == rider_id
    )
    if include_finished:
        query = query.where(DeliveryAssignment.state.in_(ACTIVE_STATES) | (DeliveryAssignment.updated_at >= now - RECENT))
    else:
        query = query.where(DeliveryAssignment.state.in_(ACTIVE_STATES))
    rows = (await session.execute(query.order_by(DeliveryAssignment.assigned_at, DeliveryAssignment.id))).all()
    return [(a, o) for a, o in rows]


# --------------------------------------------------------------------------- positions


@dataclass(frozen=True)
class Fix:
    longitude: float
    latitude: float
    system: CoordinateSystem
    at: datetime | None = None
    accuracy_m: float | None = None


def _validate(fixes: list[Fix], now: datetime) -> list[tuple[LonLat, datetime, float | None]]:
    if not fixes:
        raise DomainError(Codes.REQUIRED, "send at least one position", "positions")
    if len(fixes) > MAX_POSITIONS:
        raise DomainError(Codes.TOO_MANY_POSITIONS, f"at most {MAX_POSITIONS} positions per batch", "positions")
    out = []
    for i, fix in enumerate(fixes):
        try:
            point = to_wgs84(LonLat(fix.longitude, fix.latitude), CoordinateSystem(fix.system))
        except GeoInputError as exc:
            name = "latitude" if str(exc.field or "").endswith("lat") else "longitude"
            raise DomainError(Codes.COORDINATE_OUT_OF_RANGE, exc.message, f"positions.{i}.{name}") from None
        at = fix.at or now
        if at.tzinfo is None or at.utcoffset() is None:
            raise DomainError(Codes.INVALID, "at needs a timezone offset", f"positions.{i}.at")
        if at > now + MAX_CLOCK_SKEW:
            raise DomainError(Codes.INVALID, "this position is from the future; check the device clock", f"positions.{i}.at")
        if at < now - MAX_FIX_AGE:
            raise DomainError(Codes.INVALID, "this position is more than an hour old", f"positions.{i}.at")
        if fix.accuracy_m is not None and not 0 <= fix.accuracy_m <= 100_000:
            raise DomainError(Codes.INVALID, "accuracy must be between 0 and 100000 metres", f"positions.{i}.accuracyMeters")
        out.append((point, at, fix.accuracy_m))
    return sorted(out, key=lambda item: item[1])


async def report_positions(session: AsyncSession, principal: Principal, fixes: list[Fix], now: datetime, outbox: Outbox,
                           min_interval: timedelta = MIN_BATCH_INTERVAL) -> int:
    """Store the newest fix (WGS-84) and publish every fix to the orders the rider is serving.
    One batch per rider per `min_interval`: a conditional UPDATE, so it holds across processes."""
    checked = _validate(fixes, now)
    rider = await me(session, principal)
    if rider.status not in tasks.ON_SHIFT:
        raise DomainError(Codes.RIDER_NOT_ON_SHIFT, "positions are only taken on shift", None)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(RiderPosition).values(tenant_id=rider.tenant_id, rider_id=rider.id).on_conflict_do_nothing(index_elements=["rider_id"])
    )
    taken = await session.execute(
        update(RiderPosition)
        .where(
            RiderPosition.rider_id == rider.id,
            RiderPosition.last_batch_at.is_(None) | (RiderPosition.last_batch_at <= now - min_interval),
        )
        .values(last_batch_at=now),
        execution_options={"synchronize_session": False},
    )
    if taken.rowcount != 1:
        raise DomainError(Codes.RATE_LIMITED, f"one batch every {min_interval.total_seconds():g} s; batch your positions", "positions")
    point, at, accuracy = checked[-1]
    await session.execute(
        update(RiderPosition)
        .where(RiderPosition.rider_id == rider.id, RiderPosition.at.is_(None) | (RiderPosition.at <= at))
        .values(lon=point.lon, lat=point.lat, at=at, accuracy_m=accuracy),
        execution_options={"synchronize_session": False},
    )
    serving = (
        await session.scalars(
            select(DeliveryAssignment.order_id).where(DeliveryAssignment.rider_id == rider.id, DeliveryAssignment.state.in_(TRACKED))
        )
    ).all()
    for order_id in serving:
        for point, at, _ in checked:
            outbox.position(rider.tenant_id, order_id, rider.id, point.lon, point.lat, at)
    return len(checked)
