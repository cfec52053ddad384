"""Dispatch reads: the staff board, the rider's own tasks, the customer's proof code, live tracking."""
from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from auth.roles import Permission, PrincipalKind
from commerce.models import Order as OrderRow
from core.clock import utc_now
from core.errors import DomainError
from delivery.board import board as board_service
from delivery.board import proof, riders
from delivery.board.errors import DispatchErrorCode as Codes
from delivery.dispatch_models import DeliveryAssignment, RiderPosition
from delivery.tracking import order_channel
from geo.coordinates import CoordinateSystem as DomainSystem
from geo.coordinates import LonLat, from_wgs84
from schema import ids
from resolvers.errors import UserInputError
from schema import dispatch as types
from schema.enums import OrderStatus
from schema.store import Location
from store_network.access import load_store
from store_network.models import Store

TERMINAL = ("COMPLETED", "CANCELLED", "REFUNDED")


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _gid(type_name: str, pk: int | None) -> strawberry.ID | None:
    return None if pk is None else strawberry.ID(ids.encode(type_name, pk))


def task_type(row: DeliveryAssignment, order_number: str) -> types.DeliveryTask:
    return types.DeliveryTask(
        id=strawberry.ID(ids.encode("DeliveryTask", row.id)),
        order_id=strawberry.ID(ids.encode("Order", row.order_id)),
        order_number=order_number,
        rider_id=_gid("Rider", row.rider_id),
        state=types.DeliveryTaskState(row.state),
        pinned=row.pinned,
        assigned_by=row.assigned_by,
        assigned_at=row.assigned_at,
        accepted_at=row.accepted_at,
        arrived_at=row.arrived_at,
        picked_up_at=row.picked_up_at,
        ended_at=row.ended_at,
        reason=row.reason,
    )


def rider_task_type(row: DeliveryAssignment, order: OrderRow, store: Store, now: datetime) -> types.RiderTask:
    address = order.shipping_address or {}
    return types.RiderTask(
        task=task_type(row, order.number),
        order_status=OrderStatus(order.status),
        promised_by=order.promised_by,
        seconds_left=int((order.promised_by - now).total_seconds()) if order.promised_by else None,
        store_name=store.name,
        store_address=store.address,
        store_lon_lat=(store.lon, store.lat),
        recipient=address.get("recipient"),
        recipient_mobile=address.get("mobile"),
        address_line=address.get("line"),
        drop_lon_lat=(address["lon"], address["lat"]) if "lon" in address else None,
    )


def position_type(row: RiderPosition | None) -> types.RiderPosition | None:
    if row is None or row.lon is None or row.at is None:
        return None
    return types.RiderPosition(lon_lat=(row.lon, row.lat), at=row.at, accuracy_meters=row.accuracy_m)


async def dispatch_board(info: Info, store_id: strawberry.ID) -> types.DispatchBoard | None:
    """Staff with DISPATCH_ORDERS on the store; anyone else (or another brand's store id) gets null."""
    principal = info.context.principal
    now = utc_now()
    try:
        pk = ids.decode(store_id, "Store", Codes, "storeId")
        async with info.context.database.read() as session:
            board = await board_service.load_board(session, principal, pk, now)
    except DomainError:
        return None
    numbers = {b.order.id: b.order.number for b in board.orders}
    orders = [
        types.BoardOrder(
            order_id=strawberry.ID(ids.encode("Order", b.order.id)),
            number=b.order.number,
            order_status=OrderStatus(b.order.status),
            dispatch_state=types.DispatchState(b.state),
            promised_by=b.order.promised_by,
            seconds_left=b.seconds_left,
            task=task_type(b.assignment, b.order.number) if b.assignment is not None else None,
            suggested_rider_id=_gid("Rider", b.suggested_rider_id),
            suggested_pickup_at=_dt(b.suggested_pickup_at),
            suggested_delivery_at=_dt(b.suggested_delivery_at),
            order_pk=b.order.id,
        )
        for b in board.orders
    ]
    orders.sort(key=lambda o: (o.seconds_left is None, o.seconds_left if o.seconds_left is not None else 0))
    await _attach_couriers(info, orders)
    lanes = [
        types.BoardLane(state=state, orders=[o for o in orders if o.dispatch_state is state])
        for state in types.DispatchState
    ]
    riders_out = [
        types.BoardRider(
            id=strawberry.ID(ids.encode("Rider", r.rider.id)),
            name=r.rider.name,
            mobile=r.rider.mobile,
            status=types.RiderStatus(r.rider.status),
            capacity=r.rider.capacity,
            position=position_type(r.position),
            route=[task_type(a, o.number) for a, o in r.tasks],
            suggested_route=[
                types.RouteStop(
                    order_id=strawberry.ID(ids.encode("Order", s["order"])),
                    order_number=numbers.get(s["order"]),
                    kind=types.RouteStopKind(s["kind"]),
                    eta=_dt(s.get("at")),
                )
                for s in r.suggested
            ],
        )
        for r in board.riders
    ]
    plan = board.plan
    suggestion = None
    if plan is not None:
        suggestion = types.DispatchSuggestion(
            planned_at=plan.created_at, status=plan.status, objective=plan.objective, solve_ms=plan.solve_ms,
            open_orders=plan.open_orders, committed=plan.committed, handed_off=plan.handed_off,
            unassigned=[types.SuggestedHandoff(order_id=strawberry.ID(ids.encode("Order", u["order"])), reason=u["reason"])
                        for u in board.unassigned],
        )
    return types.DispatchBoard(
        store_id=strawberry.ID(ids.encode("Store", board.store.id)), generated_at=now, partition=board.partition,
        orders=orders, lanes=lanes, riders=riders_out, suggestion=suggestion,
    )


async def rider_tasks(info: Info, include_finished: bool = True) -> list[types.RiderTask]:
    """The signed-in rider's own tasks (active, and those ended in the last 12 hours); [] for anyone else."""
    principal = info.context.principal
    if principal.kind is not PrincipalKind.RIDER:
        return []
    now = utc_now()
    async with info.context.database.read() as session:
        rows = await riders.my_tasks(session, principal, now, include_finished)
        store_ids = {o.store_id for _, o in rows} or {-1}
        stores = {s.id: s for s in (await session.scalars(select(Store).where(Store.id.in_(store_ids)))).all()}
    return [rider_task_type(a, o, stores[o.store_id], now) for a, o in rows]


async def delivery_proof_of(info: Info, order_id: int, customer_id: int | None) -> types.DeliveryProof | None:
    """Only the order's own customer sees the code: the rider must get it at the door."""
    principal = info.context.principal
    if principal.kind is not PrincipalKind.CUSTOMER or principal.customer_id != customer_id:
        return None
    row = await info.context.loaders.order.load(order_id)
    if row is None or not proof.shows_code(row):
        return None
    key = proof.proof_key(info.context.services.settings.secret_key)
    async with info.context.database.read() as session:
        used = await proof.used_at(session, row.id)
    return types.DeliveryProof(code=proof.code_for(key, row), used_at=used)


# --------------------------------------------------------------------------- tracking


def _location(lon: float, lat: float, system) -> Location:
    point = from_wgs84(LonLat(lon, lat), DomainSystem(system))
    return Location(longitude=point.lon, latitude=point.lat, system=system)


async def _tracked_order(info: Info, order_id: strawberry.ID) -> OrderRow:
    principal = info.context.principal
    try:
        pk = ids.decode(order_id, "Order", Codes, "orderId")
    except DomainError as exc:
        raise UserInputError(exc.message) from None
    if principal.tenant_id is None or principal.kind in (PrincipalKind.ANONYMOUS, PrincipalKind.RIDER):
        raise UserInputError("order not found")
    async with info.context.database.read() as session:
        order = await session.scalar(select(OrderRow).where(OrderRow.id == pk, OrderRow.tenant_id == principal.tenant_id))
        if order is None:
            raise UserInputError("order not found")
        if principal.kind is PrincipalKind.CUSTOMER:
            if order.customer_id != principal.customer_id:
                raise UserInputError("order not found")
        else:
            try:
                await load_store(session, principal, order.store_id, Codes, Permission.VIEW_ORDERS, field="orderId")
            except DomainError:
                raise UserInputError("order not found") from None
    return order


async def _snapshot(info: Info, order_id: int, system) -> types.TrackingEvent:
    now = utc_now()
    async with info.context.database.read() as session:
        order = await session.get(OrderRow, order_id)
        task = await session.scalar(
            select(DeliveryAssignment).where(DeliveryAssignment.order_id == order_id).order_by(DeliveryAssignment.id.desc()).limit(1)
        )
        position = None
        if task is not None and task.rider_id is not None and task.state in riders.TRACKED:
            position = await session.scalar(select(RiderPosition).where(RiderPosition.rider_id == task.rider_id))
    return types.TrackingEvent(
        kind=types.TrackingEventKind.SNAPSHOT,
        order_id=strawberry.ID(ids.encode("Order", order_id)),
        order_status=OrderStatus(order.status),
        task_state=types.DeliveryTaskState(task.state) if task is not None else None,
        rider_id=_gid("Rider", task.rider_id) if task is not None and task.state in riders.TRACKED else None,
        position=_location(position.lon, position.lat, system) if position is not None and position.lon is not None else None,
        at=position.at if position is not None and position.at is not None else now,
    )


async def _attach_couriers(info: Info, orders: list) -> None:
    """Each board order's latest courier partner booking, in two queries for the whole board."""
    from delivery.couriers.models import CourierDelivery
    from resolvers.couriers import delivery_types

    if not orders:
        return
    by_order = {o.order_pk: o for o in orders}
    async with info.context.database.read() as session:
        rows = (await session.scalars(select(CourierDelivery).where(
            CourierDelivery.tenant_id == info.context.principal.tenant_id, CourierDelivery.order_id.in_(list(by_order)),
        ).order_by(CourierDelivery.id))).all()
    latest = {row.order_id: row for row in rows}
    for row, typed in zip(latest.values(), await delivery_types(info, list(latest.values()))):
        by_order[row.order_id].courier = typed


def _event(message: dict, system) -> types.TrackingEvent | None:
    try:
        at = datetime.fromisoformat(message["at"])
        order_id = strawberry.ID(ids.encode("Order", int(message["orderId"])))
        rider_id = _gid("Rider", message.get("riderId"))
        if message["type"] == "POSITION":
            return types.TrackingEvent(kind=types.TrackingEventKind.POSITION, order_id=order_id, order_status=None, task_state=None,
                                       rider_id=rider_id, position=_location(message["lon"], message["lat"], system), at=at)
        if message["type"] == "STATUS":
            state = message.get("taskState")
            return types.TrackingEvent(kind=types.TrackingEventKind.STATUS, order_id=order_id,
                                       order_status=OrderStatus(message["orderStatus"]),
                                       task_state=types.DeliveryTaskState(state) if state else None,
                                       rider_id=rider_id, position=None, at=at)
    except (KeyError, TypeError, ValueError):
        return None
    return None


async def order_tracking(info: Info, order_id: strawberry.ID, system) -> AsyncGenerator[types.TrackingEvent, None]:
    """The order's customer, or staff who may view the store's orders: a SNAPSHOT, then live
    POSITION and STATUS events until the order completes (or is cancelled or refunded)."""
    order = await _tracked_order(info, order_id)
    hub = info.context.services.tracking
    async with hub.subscribe(order_channel(order.tenant_id, order.id)) as messages:
        snapshot = await _snapshot(info, order.id, system)  # after subscribing: nothing falls in between
        yield snapshot
        if snapshot.order_status is not None and snapshot.order_status.value in TERMINAL:
            return
        async for message in messages:
            event = _event(message, system)
            if event is None:
                continue
            yield event
            if event.kind is types.TrackingEventKind.STATUS and (event.order_status.value in TERMINAL or message.get("final")):
                # a terminal order, or a partner courier's delivery ended (delivered/cancelled)
                return
