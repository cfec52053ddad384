"""The staff dispatch board of one store, and dispatchNow.

Read model only: orders waiting or on the way with the time left on their promise, the
store's riders with position, status and current route, and the latest engine suggestion
of the store's city partition (filtered to this store).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce.models import Order
from core.errors import DomainError
from db.session import Database
from delivery.board import assignments as tasks
from delivery.board.courier import CourierAdapter
from delivery.board.engine import partition_key, run_partition
from delivery.board.errors import DispatchErrorCode as Codes
from delivery.dispatch_models import ACTIVE_STATES, DeliveryAssignment, DispatchPlanRecord, RiderPosition
from delivery.models import Rider
from delivery.tracking import TrackingHub
from store_network.access import load_store
from store_network.models import Store

BOARD_STATUSES = ("PAID", "PICKING", "READY", "DELIVERING")
STATE_ORDER = ("UNASSIGNED", "ASSIGNED", "ACCEPTED", "AT_STORE", "PICKED_UP", "HANDED_TO_COURIER")


@dataclass
class BoardOrder:
    order: Order
    state: str  # one of STATE_ORDER
    seconds_left: int | None  # promise minus now; negative when late
    assignment: DeliveryAssignment | None  # active one, or the courier hand-off
    suggested_rider_id: int | None = None
    suggested_pickup_at: str | None = None
    suggested_delivery_at: str | None = None


@dataclass
class BoardRider:
    rider: Rider
    position: RiderPosition | None
    tasks: list[tuple[DeliveryAssignment, Order]]  # current route: active tasks, oldest first
    suggested: list[dict] = field(default_factory=list)  # [{"order", "kind", "at"}] from the plan


@dataclass
class Board:
    store: Store
    now: datetime
    partition: str
    orders: list[BoardOrder]
    riders: list[BoardRider]
    plan: DispatchPlanRecord | None
    unassigned: list[dict] = field(default_factory=list)  # the plan's hand-offs of this store's orders


async def load_board(session: AsyncSession, principal: Principal, store_id: int, now: datetime) -> Board:
    store, _ = await load_store(session, principal, store_id, Codes, Permission.DISPATCH_ORDERS)
    partition = partition_key(store.tenant_id, store.city)
    orders = (
        await session.scalars(
            select(Order)
            .where(Order.store_id == store.id, Order.fulfilment_type == "SAME_CITY_DELIVERY", Order.status.in_(BOARD_STATUSES))
            .order_by(Order.promised_by, Order.id)
        )
    ).all()
    order_ids = [o.id for o in orders] or [-1]
    rows = (
        await session.scalars(
            select(DeliveryAssignment)
            .where(DeliveryAssignment.order_id.in_(order_ids))
            .order_by(DeliveryAssignment.id)
        )
    ).all()
    active = {a.order_id: a for a in rows if a.state in ACTIVE_STATES}
    latest = {a.order_id: a for a in rows}
    plan = await session.scalar(
        select(DispatchPlanRecord)
        .where(DispatchPlanRecord.tenant_id == store.tenant_id, DispatchPlanRecord.partition == partition)
        .order_by(DispatchPlanRecord.created_at.desc(), DispatchPlanRecord.id.desc())
        .limit(1)
    )
    suggestion = plan.suggestion if plan is not None else {}
    planned: dict[int, dict] = {}
    for rider_key, stops in (suggestion.get("routes") or {}).items():
        for stop in stops:
            entry = planned.setdefault(stop["order"], {"rider": int(rider_key)})
            entry["pickup" if stop["kind"] == "PICKUP" else "delivery"] = stop["at"]
    board_orders = []
    for o in orders:
        a = active.get(o.id)
        if a is not None:
            state = a.state
        elif o.id in latest and latest[o.id].state == "HANDED_TO_COURIER" and o.status != "DELIVERING":
            state, a = "HANDED_TO_COURIER", latest[o.id]
        elif o.status == "DELIVERING":
            continue  # delivered by other means (staff moved it along by hand): not the board's business
        else:
            state = "UNASSIGNED"
        left = int((o.promised_by - now).total_seconds()) if o.promised_by else None
        p = planned.get(o.id, {})
        board_orders.append(BoardOrder(o, state, left, a, p.get("rider"), p.get("pickup"), p.get("delivery")))
    holders = {a.rider_id for a in active.values() if a.rider_id}
    riders = (
        await session.scalars(
            select(Rider)
            .where(
                Rider.tenant_id == store.tenant_id,
                or_((Rider.home_store_id == store.id) & Rider.status.in_(tasks.ON_SHIFT), Rider.id.in_(list(holders) or [-1])),
            )
            .order_by(Rider.name, Rider.id)
        )
    ).all()
    rider_ids = [r.id for r in riders] or [-1]
    positions = {p.rider_id: p for p in (await session.scalars(select(RiderPosition).where(RiderPosition.rider_id.in_(rider_ids)))).all()}
    route_rows = (
        await session.execute(
            select(DeliveryAssignment, Order)
            .join(Order, Order.id == DeliveryAssignment.order_id)
            .where(DeliveryAssignment.rider_id.in_(rider_ids), DeliveryAssignment.state.in_(ACTIVE_STATES))
            .order_by(DeliveryAssignment.assigned_at, DeliveryAssignment.id)
        )
    ).all()
    routes: dict[int, list] = {}
    for a, o in route_rows:
        routes.setdefault(a.rider_id, []).append((a, o))
    routes_suggested = suggestion.get("routes") or {}
    board_riders = [
        BoardRider(r, positions.get(r.id), routes.get(r.id, []), list(routes_suggested.get(str(r.id), [])))
        for r in riders
    ]
    own = {o.id for o in orders}
    unassigned = [u for u in suggestion.get("unassigned") or [] if u.get("order") in own]
    return Board(store, now, partition, board_orders, board_riders, plan, unassigned)


async def dispatch_now(database: Database, principal: Principal, order_id: int, now: datetime, *,
                       hub: TrackingHub | None = None, courier: CourierAdapter | None = None) -> DeliveryAssignment:
    """Run the engine for the order's city now and commit this order to the rider it plans
    (or record the courier hand-off it decides). An order that has a rider already is
    answered as it is (a retry is a no-op)."""
    async with database.read() as session:
        order = await tasks.staff_order(session, principal, order_id, lock=False)
        current = await tasks.active_assignment(session, order.id)
        if current is not None:
            return current
        tasks.require_dispatchable(order)
        store = await session.get(Store, order.store_id)
    await run_partition(database, partition_key(order.tenant_id, store.city), now, trigger="dispatch_now", hub=hub,
                        courier=courier, force_order=order.id, lock=False)
    async with database.read() as session:
        row = await tasks.latest_assignment(session, order.id)
    if row is None or (row.state not in ACTIVE_STATES and row.state != "HANDED_TO_COURIER"):
        raise DomainError(Codes.NO_RIDER_AVAILABLE, "no rider on shift can take this order now", "orderId")
    return row
