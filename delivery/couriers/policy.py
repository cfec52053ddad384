"""The courier calling policy per store, inherited down the network like delivery settings.

mode       OFF (staff phone couriers themselves: the engine's hand-off is only recorded),
           OWN_FIRST (own riders first; when the engine hands an order off, a courier is called),
           COURIER_ONLY (the engine never tries our riders: it hands the store's waiting orders
           straight off, `PolicyCourier.courier_only_stores`, and the courier loop books them)
providers  the enabled partners, in order of preference
choose     PREFERENCE (first partner that quotes under the cap), CHEAPEST or FASTEST by live quotes
cascade_after_s  a delivery with no rider this long after the call is cancelled and the next
           partner called
fee_cap_fen  quotes above it are not booked

The engine's hand-off (`PolicyCourier.book`, inside the engine's transaction) does no I/O: it
returns a reference and `call_handed_off` (the courier loop) books after the commit, so the
hand-off is durable (the assignment row) and no partner call holds a database transaction.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update

from db.session import Database
from delivery.board.courier import CourierRequest
from delivery.couriers.models import CourierAccount, CourierDelivery, CourierPolicyRow
from delivery.couriers.protocol import CourierError, CourierRefused, DeliveryRequest, Quote, Stop
from delivery.couriers.service import (
    CourierPartners, account_for_store, book, cancel, get_delivery, merchant_order_id,
)
from delivery.couriers.states import TERMINAL, DeliveryState
from geo.coordinates import LonLat
from store_network.control import ancestor_ids
from store_network.models import NetworkNode, Store

log = logging.getLogger("qiandian.couriers")

MODES = ("OFF", "OWN_FIRST", "COURIER_ONLY")
CHOICES = ("PREFERENCE", "CHEAPEST", "FASTEST")


@dataclass(frozen=True)
class CourierPolicy:
    mode: str = "OWN_FIRST"
    providers: tuple[str, ...] = ()
    choose: str = "PREFERENCE"
    cascade_after_s: int = 600
    fee_cap_fen: int | None = None


def effective(rows: list[CourierPolicyRow | None]) -> CourierPolicy:
    """Root first: each non-NULL column of a deeper node overrides."""
    values: dict = {}
    for row in rows:
        if row is None:
            continue
        for name in ("mode", "choose", "cascade_after_s", "fee_cap_fen"):
            if getattr(row, name) is not None:
                values[name] = getattr(row, name)
        if row.providers is not None:
            values["providers"] = tuple(row.providers)
    return CourierPolicy(**values)


async def policy_for_store(session, tenant_id: int, store_id: int) -> CourierPolicy:
    store = await session.get(Store, store_id)
    node = await session.get(NetworkNode, store.node_id)
    chain = ancestor_ids(node.path)
    rows = (await session.scalars(select(CourierPolicyRow).where(
        CourierPolicyRow.tenant_id == tenant_id, CourierPolicyRow.node_id.in_(chain)))).all()
    by_node = {row.node_id: row for row in rows}
    return effective([by_node.get(node_id) for node_id in chain])


async def set_policy(session, tenant_id: int, node_id: int, **values) -> CourierPolicyRow:
    """Set (or clear with None) one node's own policy columns."""
    if values.get("mode") is not None and values["mode"] not in MODES:
        raise CourierRefused(f"mode must be one of {', '.join(MODES)}")
    if values.get("choose") is not None and values["choose"] not in CHOICES:
        raise CourierRefused(f"choose must be one of {', '.join(CHOICES)}")
    row = await session.scalar(select(CourierPolicyRow).where(CourierPolicyRow.node_id == node_id))
    if row is None:
        row = CourierPolicyRow(tenant_id=tenant_id, node_id=node_id)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, list(value) if name == "providers" and value is not None else value)
    await session.flush()
    return row


# --- quoting and calling --------------------------------------------------------------------

@dataclass(frozen=True)
class Job:
    tenant_id: int
    order_id: int
    store_id: int
    pickup: Stop
    dropoff: Stop
    goods_value_fen: int
    currency: str


async def load_job(database: Database, tenant_id: int, order_id: int) -> Job:
    from commerce.models import Order

    async with database.read() as session:
        order = await session.get(Order, order_id)
        if order is None or order.tenant_id != tenant_id:
            raise CourierRefused("order not found")
        address = order.shipping_address or {}
        if address.get("lon") is None or address.get("lat") is None:
            raise CourierRefused("the order has no delivery address")
        store = await session.get(Store, order.store_id)
    return Job(tenant_id, order.id, store.id,
               Stop(store.name, "", store.address, LonLat(store.lon, store.lat), store.city),
               Stop(address.get("recipient") or "", address.get("mobile") or "", address.get("line") or "",
                    LonLat(float(address["lon"]), float(address["lat"])), store.city),
               order.subtotal_fen, order.currency)


@dataclass
class QuoteLine:
    provider: str
    quote: Quote | None = None
    error: str | None = None
    over_cap: bool = False


async def _attempt(database: Database, tenant_id: int, order_id: int) -> int:
    async with database.read() as session:
        rows = (await session.scalars(select(CourierDelivery.id).where(
            CourierDelivery.tenant_id == tenant_id, CourierDelivery.order_id == order_id))).all()
    return len(rows) + 1


def _request(job: Job, merchant_id: str, tip_fen: int = 0, quote_token: str | None = None) -> DeliveryRequest:
    return DeliveryRequest(merchant_id, job.pickup, job.dropoff, job.goods_value_fen, tip_fen=tip_fen,
                           currency=job.currency, quote_token=quote_token)


async def quote_all(database: Database, partners: CourierPartners, tenant_id: int, order_id: int,
                    providers: tuple[str, ...] | None = None) -> list[QuoteLine]:
    """Live quotes from every enabled partner with an account, side by side (in parallel)."""
    job = await load_job(database, tenant_id, order_id)
    async with database.read() as session:
        policy = await policy_for_store(session, tenant_id, job.store_id)
        names = providers if providers is not None else policy.providers
        accounts = [(name, await account_for_store(session, tenant_id, job.store_id, name)) for name in names]
    merchant_id = merchant_order_id(tenant_id, order_id, await _attempt(database, tenant_id, order_id))

    async def one(name: str, account: CourierAccount | None) -> QuoteLine:
        if account is None:
            return QuoteLine(name, error="NO_ACCOUNT")
        try:
            quote = await partners.adapter(account).quote(_request(job, merchant_id))
        except CourierError as exc:
            return QuoteLine(name, error=f"{exc.code}: {str(exc)[:200]}")
        over = policy.fee_cap_fen is not None and quote.fee_fen > policy.fee_cap_fen
        return QuoteLine(name, quote, over_cap=over)

    return list(await asyncio.gather(*(one(name, account) for name, account in accounts)))


def pick(lines: list[QuoteLine], choose: str) -> list[QuoteLine]:
    """Bookable quotes in the order the policy tries them."""
    usable = [line for line in lines if line.quote is not None and not line.over_cap]
    if choose == "CHEAPEST":
        return sorted(usable, key=lambda line: line.quote.fee_fen)
    if choose == "FASTEST":
        return sorted(usable, key=lambda line: (line.quote.eta_s is None, line.quote.eta_s or 0, line.quote.fee_fen))
    return usable  # PREFERENCE: policy order


async def _active(database: Database, tenant_id: int, order_id: int) -> CourierDelivery | None:
    async with database.read() as session:
        return await session.scalar(select(CourierDelivery).where(
            CourierDelivery.tenant_id == tenant_id, CourierDelivery.order_id == order_id,
            CourierDelivery.state.not_in([s.value for s in TERMINAL])).limit(1))


async def call_courier(database: Database, partners: CourierPartners, tenant_id: int, order_id: int, now: datetime,
                       *, provider: str | None = None, tip_fen: int = 0, exclude: tuple[str, ...] = ()) -> CourierDelivery:
    """Call one partner (one click), or let the policy choose from live quotes. Raises
    CourierRefused when the order already has a live courier or nobody can take it."""
    if tip_fen < 0:
        raise CourierRefused("a tip cannot be negative")
    if await _active(database, tenant_id, order_id) is not None:
        raise CourierRefused("the order already has a courier on the way")
    job = await load_job(database, tenant_id, order_id)
    async with database.read() as session:
        policy = await policy_for_store(session, tenant_id, job.store_id)
    names = (provider,) if provider else tuple(p for p in policy.providers if p not in exclude)
    lines = await quote_all(database, partners, tenant_id, order_id, names)
    candidates = pick(lines, policy.choose)
    if not candidates:
        reasons = ", ".join(f"{line.provider}: {'OVER_FEE_CAP' if line.over_cap else line.error}" for line in lines)
        raise CourierRefused(f"no courier can take the order ({reasons or 'no partner enabled'})")
    for line in candidates:
        async with database.read() as session:
            account = await account_for_store(session, tenant_id, job.store_id, line.provider)
        merchant_id = merchant_order_id(tenant_id, order_id, await _attempt(database, tenant_id, order_id))
        delivery = await book(database, partners, account, None, order_id=order_id, store_id=job.store_id,
                              request=_request(job, merchant_id, tip_fen, line.quote.quote_token),
                              quote_fen=line.quote.fee_fen, now=now)
        if delivery.state != DeliveryState.CREATE_FAILED.value:
            return delivery
    raise CourierRefused("every partner refused the order")


# --- the engine's hand-off, the cascade ----------------------------------------------------

class PolicyCourier:
    """The dispatch engine's courier adapter: the hand-off goes through the store's policy.

    `book` runs inside the engine's transaction, so it only decides; `call_handed_off` books.
    With mode OFF (or no partner enabled) it behaves like the record-only adapter."""

    name = "policy"

    async def book(self, request: CourierRequest) -> str | None:
        return "policy"

    async def cancel(self, tenant_id: int, order_id: int, reference: str | None) -> None:
        return None

    async def courier_only_stores(self, session, tenant_id: int, store_ids: list[int]) -> set[int]:
        """Stores whose policy is COURIER_ONLY with a partner enabled: the engine hands their
        orders straight off (our riders are not tried) and `call_handed_off` books them."""
        out = set()
        for store_id in store_ids:
            policy = await policy_for_store(session, tenant_id, store_id)
            if policy.mode == "COURIER_ONLY" and policy.providers:
                out.add(store_id)
        return out


async def call_handed_off(database: Database, partners: CourierPartners, now: datetime, limit: int = 50) -> int:
    """Book a courier for orders the engine handed off that have none yet (per their policy).

    Fair paging: hand-offs are visited oldest first from a cursor kept on `partners` (one per
    process) that moves past what each pass looked at and wraps around at the end, so orders
    that cannot be booked (tenants without a policy or partner) never hide the others however
    many there are; only orders still waiting for a rider are looked at."""
    from commerce.models import Order
    from delivery.dispatch_models import DeliveryAssignment

    async with database.read() as session:
        rows = (await session.execute(select(DeliveryAssignment.id, DeliveryAssignment.tenant_id, DeliveryAssignment.order_id,
                                             DeliveryAssignment.store_id).join(
            Order, Order.id == DeliveryAssignment.order_id).where(
            DeliveryAssignment.state == "HANDED_TO_COURIER", DeliveryAssignment.courier_ref == "policy",
            DeliveryAssignment.id > partners.handoff_cursor, Order.status.in_(("PAID", "PICKING", "READY")),
            ~select(CourierDelivery.id).where(CourierDelivery.tenant_id == DeliveryAssignment.tenant_id,
                                              CourierDelivery.order_id == DeliveryAssignment.order_id).exists(),
        ).order_by(DeliveryAssignment.id).limit(limit))).all()
    partners.handoff_cursor = rows[-1][0] if len(rows) == limit else 0  # a short page: the next pass starts over
    booked = 0
    for _, tenant_id, order_id, store_id in rows:
        async with database.read() as session:
            policy = await policy_for_store(session, tenant_id, store_id)
        if policy.mode == "OFF" or not policy.providers:
            continue
        try:
            await call_courier(database, partners, tenant_id, order_id, now)
            booked += 1
        except CourierError as exc:
            log.warning("order %s: courier hand-off not booked: %s", order_id, exc)
    return booked


async def cascade(database: Database, partners: CourierPartners, now: datetime, limit: int = 50) -> int:
    """Deliveries still without a rider `cascade_after_s` after the call: cancel, call the next partner."""
    waiting = (DeliveryState.CREATED.value, DeliveryState.DISPATCHING.value)
    async with database.read() as session:
        rows = (await session.scalars(select(CourierDelivery).where(
            CourierDelivery.state.in_(waiting), CourierDelivery.created_at < now - timedelta(seconds=60),
        ).order_by(CourierDelivery.created_at).limit(limit))).all()
    moved = 0
    for row in rows:
        async with database.read() as session:
            policy = await policy_for_store(session, row.tenant_id, row.store_id)
            tried = tuple((await session.scalars(select(CourierDelivery.provider).where(
                CourierDelivery.tenant_id == row.tenant_id, CourierDelivery.order_id == row.order_id))).all())
        if row.created_at > now - timedelta(seconds=policy.cascade_after_s):
            continue
        nxt = [p for p in policy.providers if p not in tried]
        if not nxt:
            continue
        try:
            await cancel(database, partners, row.id, row.tenant_id, "no rider accepted in time", now, keeps_tracking=True)
            await call_courier(database, partners, row.tenant_id, row.order_id, now, exclude=tried)
            moved += 1
        except CourierError as exc:
            log.warning("courier delivery %s: cascade failed: %s", row.id, exc)
    return moved


async def courier_jobs(database: Database, partners: CourierPartners, now: datetime, reconcile_after_s: int) -> dict:
    """One pass of the courier loop: book handed-off orders, cascade, reconcile quiet deliveries."""
    from delivery.couriers.service import poll_positions, reconcile

    out = {"booked": await call_handed_off(database, partners, now), "cascaded": await cascade(database, partners, now),
           "positions": await poll_positions(database, partners, now)}
    if reconcile_after_s > 0:
        out["reconciled"] = await reconcile(database, partners, now, timedelta(seconds=reconcile_after_s))
    return out


async def check_staff_hand_off(database: Database, tenant_id: int, order_id: int) -> None:
    """Before a staff call: a same-city order waiting for a rider, not held by one of ours."""
    from delivery.board import assignments as tasks

    from commerce.models import Order

    async with database.read() as session:
        order = await session.get(Order, order_id)
        if order is None or order.tenant_id != tenant_id:
            raise CourierRefused("order not found")
        tasks.require_dispatchable(order)
        if await tasks.active_assignment(session, order.id) is not None:
            raise CourierRefused("the order is with one of our riders: unassign it first")


async def record_staff_hand_off(database: Database, tenant_id: int, order_id: int, provider: str | None, now: datetime):
    """After a staff call: put the order in the board's HANDED_TO_COURIER lane (the engine then
    leaves it alone). If our engine gave it to a rider meanwhile, the courier delivery is flagged
    (exception) for staff to cancel one of the two. Returns the row id, or None."""
    from delivery.board import assignments as tasks
    from delivery.dispatch_models import DeliveryAssignment

    async with database.write() as session:
        order = await tasks.lock_order(session, tenant_id, order_id)
        tasks.require_dispatchable(order)
        if await tasks.active_assignment(session, order.id) is not None:
            await session.execute(update(CourierDelivery).where(
                CourierDelivery.tenant_id == tenant_id, CourierDelivery.order_id == order.id,
                CourierDelivery.state.not_in([s.value for s in TERMINAL])).values(
                exception=True, reason="our engine assigned a rider while the courier was being called"))
            return None
        latest = await tasks.latest_assignment(session, order.id)
        if latest is not None and latest.state == "HANDED_TO_COURIER":
            return None
        row = DeliveryAssignment(
            tenant_id=tenant_id, order_id=order.id, store_id=order.store_id, rider_id=None, state="HANDED_TO_COURIER",
            pinned=False, assigned_by="STAFF", assigned_by_id=None, plan_id=None,
            reason=f"courier called by staff ({provider or 'policy'})"[:200], courier_ref="courier",
            assigned_at=now, updated_at=now, ended_at=now, ended_by="STAFF",
        )
        session.add(row)
        await session.flush()
        await tasks.emit_task_event(session, row, by="STAFF", by_id=None, now=now)
        return row.id
