"""Engine runs per city partition: database snapshot -> CityDispatcher -> solve in a thread -> write back.

A partition is one tenant's city (`"<tenant id>:<city>"`). Each run:

1. reads a snapshot in one read session: the partition's stores, its same-city orders that
   wait for a rider or are on the way (PAID/PICKING/READY with a promise inside the
   planning horizon, DELIVERING with a picked-up task), their active assignments, and the
   riders on shift with their last position and shift end;
2. rebuilds a `delivery.dispatch.rolling.CityDispatcher` from it (times are seconds from the
   run's `now`): assignments not yet picked up are FIRM on their rider (staff pins included,
   so the solver gets them as pinned), picked-up ones are ON_BOARD, the rest OPEN;
3. `replan` runs in a worker thread (`asyncio.to_thread`), never on the event loop and never
   inside a database transaction; the plan is checked by `check_plan` inside rolling;
4. writes, in one transaction: the plan record with its suggestion, an ASSIGNED task for
   every commitment whose order is still free (order row locked, state re-checked: a change
   during the solve wins over the stale plan), and HANDED_TO_COURIER for hand-offs through
   the courier seam (`delivery.board.courier`);
5. publishes STATUS tracking events after the commit.

The database is the only state shared between processes: a run in any process sees what
the others committed. `partition_lock` (a PostgreSQL advisory lock per partition) keeps two
processes from planning one partition at once; on SQLite (one process) an asyncio lock.
"""
from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from commerce.models import Order
from core.errors import DomainError
from db.session import Database
from delivery.board import assignments as tasks
from delivery.board.courier import CourierAdapter, CourierRegistry, CourierRequest
from delivery.board.events import Outbox
from delivery.dispatch.rolling import (
    CityDispatcher,
    CycleResult,
    DispatcherConfig,
    LonLatTravel,
    OrderInfo,
    RiderInfo,
)
from delivery.dispatch.rolling import OrderStatus as EngineStatus
from delivery.dispatch_models import ACTIVE_STATES, DeliveryAssignment, DispatchPlanRecord, RiderPosition
from delivery.models import Rider, RiderShift
from delivery.tracking import TrackingHub
from delivery.dispatch.travel import RoadTravel, TravelModel
from geo import zone_lookup
from geo.coordinates import LonLat
from geo.distance import RoadDistanceProvider
from store_network.models import Store

log = logging.getLogger(__name__)

# Orders promised later than this wait for a later run. The next bookable hourly slot can
# end up to 2.5 h from now (30 min cut-off), so anything shorter would skip it.
HORIZON = timedelta(hours=3)
POSITION_FRESH = timedelta(minutes=10)  # older fixes are ignored: the rider is assumed at its home store
UNROSTERED_SHIFT = timedelta(hours=4)  # a rider on shift without a rostered shift is planned this far ahead
SLOT_LEAD = timedelta(minutes=20)  # window orders are not picked up earlier than this before the window
DEFAULT_COURIERS = CourierRegistry()  # record-only for every tenant: callers without the app's registry
WAITING = ("PAID", "PICKING", "READY")


def partition_key(tenant_id: int, city: str) -> str:
    return f"{tenant_id}:{city}"


def split_partition(key: str) -> tuple[int, str]:
    tenant, _, city = key.partition(":")
    return int(tenant), city


# --------------------------------------------------------------------------- locking

_local_locks: dict[str, asyncio.Lock] = {}


def advisory_key(partition: str) -> int:
    """A stable signed 64-bit key per partition (PostgreSQL advisory locks take a bigint)."""
    return int.from_bytes(hashlib.sha1(b"qiandian-dispatch:" + partition.encode()).digest()[:8], "big", signed=True)


@contextlib.asynccontextmanager
async def partition_lock(database: Database, partition: str):
    """Yields True if this process may plan the partition now (and holds it until exit), else False.

    PostgreSQL: a session-level advisory lock on a dedicated connection (released on exit, or
    by the server if the process dies with it). SQLite: one process, an asyncio lock."""
    if database.is_sqlite:
        lock = _local_locks.setdefault(partition, asyncio.Lock())
        if lock.locked():
            yield False
            return
        async with lock:
            yield True
        return
    key = advisory_key(partition)
    async with database.engine.connect() as conn:
        got = bool(await conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
        await conn.commit()
        try:
            yield got
        finally:
            if got:
                await conn.scalar(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                await conn.commit()


# --------------------------------------------------------------------------- snapshot


@dataclass
class Snapshot:
    now: datetime
    tenant_id: int
    city: str
    stores: dict[int, Store]
    orders: dict[int, Order]
    active: dict[int, DeliveryAssignment]  # order id -> active assignment
    riders: dict[int, Rider]
    positions: dict[int, RiderPosition]
    shift_end: dict[int, datetime]
    stale: list[int] = field(default_factory=list)  # orders that ended but still hold an active task


async def partitions(session: AsyncSession, tenant_id: int | None = None) -> list[str]:
    """Partitions with work: a same-city order waiting or on the way, in any tenant (or one)."""
    query = (
        select(Store.tenant_id, Store.city)
        .join(Order, Order.store_id == Store.id)
        .where(Order.fulfilment_type == "SAME_CITY_DELIVERY", Order.status.in_(WAITING + ("DELIVERING",)))
        .distinct()
    )
    if tenant_id is not None:
        query = query.where(Store.tenant_id == tenant_id)
    return sorted(partition_key(t, c) for t, c in (await session.execute(query)).all())


async def load_snapshot(session: AsyncSession, tenant_id: int, city: str, now: datetime, include: int | None = None) -> Snapshot:
    stores = {s.id: s for s in (await session.scalars(select(Store).where(Store.tenant_id == tenant_id, Store.city == city))).all()}
    store_ids = list(stores) or [-1]
    active_rows = (
        await session.scalars(
            select(DeliveryAssignment).where(
                DeliveryAssignment.tenant_id == tenant_id, DeliveryAssignment.store_id.in_(store_ids),
                DeliveryAssignment.state.in_(ACTIVE_STATES),
            )
        )
    ).all()
    active = {a.order_id: a for a in active_rows}
    orders = {
        o.id: o
        for o in (
            await session.scalars(
                select(Order).where(
                    Order.tenant_id == tenant_id, Order.store_id.in_(store_ids), Order.fulfilment_type == "SAME_CITY_DELIVERY",
                    Order.status.in_(WAITING + ("DELIVERING",)),
                )
            )
        ).all()
    }
    stale = [oid for oid in active if oid not in orders]
    # Waiting orders already handed to a courier stay with the courier.
    handed = set(
        (
            await session.scalars(
                select(DeliveryAssignment.order_id).where(
                    DeliveryAssignment.order_id.in_(list(orders) or [-1]), DeliveryAssignment.state == "HANDED_TO_COURIER"
                )
            )
        ).all()
    )
    keep = {}
    for oid, o in orders.items():
        a = active.get(oid)
        if o.status == "DELIVERING":
            if a is not None and a.state == "PICKED_UP":
                keep[oid] = o
        elif a is not None or oid == include or (oid not in handed and (o.promised_by is None or o.promised_by <= now + HORIZON)):
            keep[oid] = o
    holders = {a.rider_id for a in active.values() if a.order_id in keep}
    rider_rows = (
        await session.scalars(
            select(Rider).where(
                Rider.tenant_id == tenant_id,
                (Rider.home_store_id.in_(store_ids) & Rider.status.in_(tasks.ON_SHIFT)) | Rider.id.in_(list(holders) or [-1]),
            )
        )
    ).all()
    riders = {r.id: r for r in rider_rows}
    rider_ids = list(riders) or [-1]
    positions = {p.rider_id: p for p in (await session.scalars(select(RiderPosition).where(RiderPosition.rider_id.in_(rider_ids)))).all()}
    shift_end: dict[int, datetime] = {}
    for s in (
        await session.scalars(
            select(RiderShift).where(RiderShift.rider_id.in_(rider_ids), RiderShift.starts_at <= now, RiderShift.ends_at > now)
        )
    ).all():
        shift_end[s.rider_id] = max(s.ends_at, shift_end.get(s.rider_id, s.ends_at))
    return Snapshot(now, tenant_id, city, stores, keep, {k: v for k, v in active.items() if k in keep}, riders, positions, shift_end, stale)


def _secs(value: datetime, now: datetime) -> float:
    return (value - now).total_seconds()


def city_travel(road: RoadDistanceProvider, city: str) -> TravelModel:
    """The dispatcher's travel model for `city` from the road provider that prices fees and
    ETAs, so a plan rides the same roads the customer was quoted: a detour factor becomes
    vectorised matrices, any other provider is asked per pair of points."""
    factor = road.detour_factor(city)
    if factor is not None:
        return LonLatTravel(detour=factor)
    return RoadTravel(lambda a, b: road.road_distance_m(LonLat(*a), LonLat(*b), city))


def build_dispatcher(snap: Snapshot, config: DispatcherConfig | None = None, road: RoadDistanceProvider | None = None) -> CityDispatcher:
    """The snapshot as a rolling-horizon dispatcher whose epoch is the snapshot's `now`;
    `road` defaults to the process's provider (geo.zone_lookup)."""
    now = snap.now
    travel = city_travel(road or zone_lookup.road_provider(), snap.city)
    dispatcher = CityDispatcher(partition_key(snap.tenant_id, snap.city), travel, config or DispatcherConfig(), epoch=now)
    for r in snap.riders.values():
        home = snap.stores.get(r.home_store_id)
        pos = snap.positions.get(r.id)
        if pos is not None and pos.at is not None and pos.lon is not None and pos.at >= now - POSITION_FRESH:
            point = (pos.lon, pos.lat)
        elif home is not None:
            point = (home.lon, home.lat)
        else:
            continue  # a rider of another city holding an order here: no usable position
        end = snap.shift_end.get(r.id, now + UNROSTERED_SHIFT)
        on_shift = r.status in tasks.ON_SHIFT
        dispatcher.set_rider(RiderInfo(str(r.id), point, _secs(end, now), capacity=r.capacity, accepting=on_shift, on_shift=on_shift))
    for o in snap.orders.values():
        store = snap.stores[o.store_id]
        address = o.shipping_address or {}
        if "lon" not in address:
            continue
        a = snap.active.get(o.id)
        base = o.paid_at or o.created_at
        ready_at = _secs(base + timedelta(minutes=store.prep_minutes or 10), now)
        if o.slot_kind == "SLOT_60" and o.slot_starts_at is not None:
            ready_at = max(ready_at, _secs(o.slot_starts_at - SLOT_LEAD, now))
        deadline = _secs(o.promised_by, now) if o.promised_by else ready_at + 3600
        info = OrderInfo(str(o.id), (store.lon, store.lat), (address["lon"], address["lat"]), ready_at=ready_at, deadline=deadline,
                         created_at=_secs(o.created_at, now))
        if o.status == "READY":
            info.ready, info.ready_at = True, min(ready_at, 0.0)
        if a is not None and str(a.rider_id) in dispatcher.riders:
            info.rider = str(a.rider_id)
            if a.state == "PICKED_UP":
                info.status = EngineStatus.ON_BOARD
            else:
                info.status, info.staff_pinned, info.firm_at = EngineStatus.FIRM, a.pinned, _secs(a.assigned_at, now)
        elif a is not None:
            continue  # held by a rider the engine cannot place: leave it alone
        dispatcher.add_order(info)
    return dispatcher


def suggestion_of(result: CycleResult, now: datetime) -> dict:
    """The plan as JSON for the board: per rider its stops with times, the hand-offs, the alerts."""

    def at(seconds: float) -> str | None:
        return None if seconds is None or not math.isfinite(seconds) else (now + timedelta(seconds=seconds)).isoformat()

    routes = {}
    if result.plan is not None:
        for route in result.plan.routes:
            if route.stops:
                routes[route.rider_id] = [{"order": int(s.order_id), "kind": s.kind.name, "at": at(s.start)} for s in route.stops]
    return {
        "now": now.isoformat(),
        "routes": routes,
        "unassigned": [{"order": int(u.order_id), "reason": u.reason.name} for u in (result.plan.unassigned if result.plan else [])],
        "alerts": [{"order": int(a.order_id) if a.order_id else None, "kind": a.kind, "detail": a.detail[:200]} for a in result.alerts][:100],
    }


# --------------------------------------------------------------------------- the run


@dataclass
class RunOutcome:
    partition: str
    status: str  # committed | rejected | skipped | error | locked | idle
    plan_id: int | None = None
    assigned: dict[int, int] = field(default_factory=dict)  # order id -> rider id, committed by this run
    handed_off: dict[int, str] = field(default_factory=dict)  # order id -> reason
    planned: dict[int, int] = field(default_factory=dict)  # order id -> suggested rider id (not committed)
    solve_ms: float = 0.0
    open_orders: int = 0


async def run_partition(
    database: Database,
    partition: str,
    now: datetime,
    *,
    trigger: str = "period",
    hub: TrackingHub | None = None,
    courier: CourierAdapter | None = None,
    force_order: int | None = None,
    config: DispatcherConfig | None = None,
    lock: bool = True,
    couriers: CourierRegistry | None = None,
) -> RunOutcome:
    """One engine run for the partition. `force_order` is committed to its planned rider now
    (dispatchNow), whatever the commit horizon says. With `lock`, a partition being planned by
    another process (or task) is skipped and reported as "locked". Hand-offs go to `courier`
    if given, else to the tenant's adapter in `couriers` (default: record-only)."""
    tenant_id, _ = split_partition(partition)
    courier = courier or (couriers or DEFAULT_COURIERS).for_tenant(tenant_id)
    if lock:
        async with partition_lock(database, partition) as got:
            if not got:
                return RunOutcome(partition, "locked")
            return await _run(database, partition, now, trigger, hub, courier, force_order, config)
    return await _run(database, partition, now, trigger, hub, courier, force_order, config)


async def _run(database, partition, now, trigger, hub, courier: CourierAdapter, force_order, config) -> RunOutcome:
    tenant_id, city = split_partition(partition)
    async with database.read() as session:
        snap = await load_snapshot(session, tenant_id, city, now, force_order)
    outbox = Outbox()
    if snap.stale:
        async with database.write() as session:
            for oid in snap.stale:
                order = await session.get(Order, oid)
                await tasks.cancel_for_order(session, order, now)
    direct = await _courier_only(database, courier, snap, now, outbox)
    if not snap.orders:
        await outbox.flush(hub)
        return RunOutcome(partition, "idle", handed_off=direct)
    dispatcher = build_dispatcher(snap, config)
    if not dispatcher.riders:
        # Nobody on shift: nothing to plan (and OR-Tools aborts the process on a model with no
        # vehicles). The orders wait, visible as UNASSIGNED on the board.
        await outbox.flush(hub)
        return RunOutcome(partition, "no_riders", open_orders=len(dispatcher.orders), handed_off=direct)
    result = await asyncio.to_thread(dispatcher.replan, 0.0, trigger)
    rec = result.record
    outcome = RunOutcome(partition, rec.status, solve_ms=rec.solve_ms, open_orders=rec.open_orders, handed_off=dict(direct))
    for oid, info in dispatcher.orders.items():
        if info.planned_rider is not None:
            outcome.planned[int(oid)] = int(info.planned_rider)
    commits = {int(c.order_id): int(c.rider_id) for c in result.commitments}
    if force_order is not None and force_order not in commits and force_order in outcome.planned and force_order not in snap.active:
        commits[force_order] = outcome.planned[force_order]
    async with database.write() as session:
        plan = DispatchPlanRecord(
            tenant_id=tenant_id, partition=partition, trigger=trigger[:16], status=rec.status, objective=int(rec.objective),
            solve_ms=rec.solve_ms, total_ms=rec.total_ms, riders=rec.riders, open_orders=rec.open_orders,
            free_orders=rec.free_orders, committed=0, handed_off=0, late_planned=rec.late_planned,
            suggestion=suggestion_of(result, now), created_at=now,
        )
        session.add(plan)
        await session.flush()
        outcome.plan_id = plan.id
        for order_id, rider_id in commits.items():
            try:
                async with session.begin_nested():
                    if await _commit_one(session, snap, order_id, rider_id, now, plan.id, outbox):
                        outcome.assigned[order_id] = rider_id
            except DomainError as exc:
                log.info("dispatch %s: not committing order %s: %s", partition, order_id, exc.message)
        for handoff in result.handoffs:
            order_id = int(handoff.order_id)
            async with session.begin_nested():
                if await _hand_off(session, courier, snap, order_id, handoff.reason.name, handoff.quote, now, plan.id, outbox):
                    outcome.handed_off[order_id] = handoff.reason.name
        plan.committed, plan.handed_off = len(outcome.assigned), len(outcome.handed_off)
    await outbox.flush(hub)
    return outcome


async def _courier_only(database, courier: CourierAdapter, snap: Snapshot, now, outbox: Outbox) -> dict[int, str]:
    """Waiting orders of stores whose courier policy is courier-only go straight to the courier
    (the adapter's optional `courier_only_stores`), before the solver ever sees them: our riders
    are never tried. They leave `snap.orders`; returns order id -> reason of those handed off."""
    which = getattr(courier, "courier_only_stores", None)
    if which is None:
        return {}
    waiting = [o for oid, o in snap.orders.items() if oid not in snap.active and o.status in WAITING]
    if not waiting:
        return {}
    async with database.read() as session:
        stores = await which(session, snap.tenant_id, sorted({o.store_id for o in waiting}))
    direct = [o.id for o in waiting if o.store_id in stores]
    handed: dict[int, str] = {}
    if not direct:
        return handed
    async with database.write() as session:
        for order_id in direct:
            async with session.begin_nested():
                if await _hand_off(session, courier, snap, order_id, "COURIER_ONLY", 0.0, now, None, outbox):
                    handed[order_id] = "COURIER_ONLY"
    for order_id in direct:
        snap.orders.pop(order_id, None)
    return handed


async def _commit_one(session, snap: Snapshot, order_id: int, rider_id: int, now, plan_id, outbox: Outbox) -> bool:
    order = await tasks.lock_order(session, snap.tenant_id, order_id)
    if order.status not in tasks.DISPATCHABLE or await tasks.active_assignment(session, order.id) is not None:
        return False  # changed during the solve: the stale plan loses
    rider = await session.get(Rider, rider_id)
    if rider is None or rider.status not in tasks.ON_SHIFT:
        return False
    row = await tasks.create_assignment(session, order, rider_id, by="ENGINE", by_id=None, pinned=False, now=now, plan_id=plan_id)
    outbox.status(order, row.state, now, rider_id)
    return True


async def _hand_off(session, courier: CourierAdapter, snap: Snapshot, order_id: int, reason: str, quote: float, now, plan_id,
                    outbox: Outbox) -> bool:
    order = await tasks.lock_order(session, snap.tenant_id, order_id)
    if order.status not in tasks.DISPATCHABLE or await tasks.active_assignment(session, order.id) is not None:
        return False
    reference = await courier.book(CourierRequest(order.tenant_id, order.id, order.store_id, reason, quote))
    if reference is None:
        return False  # the courier refused: the engine keeps trying
    row = DeliveryAssignment(
        tenant_id=order.tenant_id, order_id=order.id, store_id=order.store_id, rider_id=None, state="HANDED_TO_COURIER",
        pinned=False, assigned_by="ENGINE", assigned_by_id=None, plan_id=plan_id, reason=f"{reason} ({courier.name})"[:200],
        courier_ref=reference or None, assigned_at=now, updated_at=now, ended_at=now, ended_by="ENGINE",
    )
    session.add(row)
    await session.flush()
    await tasks.emit_task_event(session, row, by="ENGINE", by_id=None, now=now)
    outbox.status(order, "HANDED_TO_COURIER", now)
    return True


async def run_all(database: Database, now: datetime, *, trigger: str = "period", hub: TrackingHub | None = None,
                  courier: CourierAdapter | None = None, tenant_id: int | None = None,
                  config: DispatcherConfig | None = None, couriers: CourierRegistry | None = None) -> list[RunOutcome]:
    async with database.read() as session:
        keys = await partitions(session, tenant_id)
    outcomes = []
    for key in keys:
        try:
            outcomes.append(await run_partition(database, key, now, trigger=trigger, hub=hub, courier=courier, config=config,
                                                     couriers=couriers))
        except Exception:  # noqa: BLE001 - one partition's failure must not stop the others
            log.exception("dispatch run for %s failed", key)
            outcomes.append(RunOutcome(key, "error"))
    return outcomes
