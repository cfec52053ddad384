"""Community-leader pickup points (issue 15 item 3).

* A LEADER salesperson registers a pickup point (name, address, location, opening hours) for
  their own serving store; it is PENDING until staff with MANAGE_DISTRIBUTION on that store
  (the store manager, its partner, HQ) approve or reject it, once.
* A customer bound to that leader (distribution.attribution) places a STORE_PICKUP order at the
  leader's store and chooses the point for it (orderPickupPointChoose, before the order is
  READY): the order records it (order_pickup_point). The store prepares the orders as usual
  and moves them to AWAITING_PICKUP when the drop reaches the point.
* The leader lists the orders waiting at their points and hands each over against the
  customer's pickup code (the same code the store would check, delivery.pickup_codes, with the
  same per-order guess budget): that completes the order (actor LEADER) and commission follows
  as for any completed order.
"""
from __future__ import annotations

import hmac
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce.models import Order
from commerce.order_status import ActorType, FulfilmentType, OrderStatus
from core.errors import DomainError
from distribution.errors import PickupPointErrorCode as Codes
from distribution.models import OrderAttribution, OrderPickupPoint, PickupPoint, Salesperson
from store_network.access import load_store, require_tenant

MAX_NAME, MAX_ADDRESS, MAX_HOURS = 64, 200, 100
CHOOSABLE = frozenset({OrderStatus.UNPAID.value, OrderStatus.PAID.value, OrderStatus.PICKING.value})
WAITING = (OrderStatus.PAID.value, OrderStatus.PICKING.value, OrderStatus.READY.value, OrderStatus.AWAITING_PICKUP.value)


def _customer(principal: Principal) -> tuple[int, int]:
    tenant_id = require_tenant(principal, Codes)
    if principal.customer_id is None:
        raise DomainError(Codes.UNAUTHENTICATED, "sign in as a customer first", None)
    return tenant_id, principal.customer_id


async def _leader(session: AsyncSession, principal: Principal) -> Salesperson:
    tenant_id, customer_id = _customer(principal)
    row = await session.scalar(select(Salesperson).where(Salesperson.tenant_id == tenant_id, Salesperson.customer_id == customer_id))
    if row is None or row.kind != "LEADER" or row.status != "ACTIVE":
        raise DomainError(Codes.NOT_A_LEADER, "only an active community leader has pickup points", None)
    return row


def _text(value: str, limit: int, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise DomainError(Codes.REQUIRED, f"{field} is required", field)
    if len(value) > limit:
        raise DomainError(Codes.INVALID, f"{field} is longer than {limit} characters", field)
    return value


async def register(session: AsyncSession, principal: Principal, *, name: str, address: str, lon: float, lat: float,
                   hours: str, now: datetime) -> PickupPoint:
    leader = await _leader(session, principal)
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise DomainError(Codes.INVALID, "location is out of range", "location")
    point = PickupPoint(tenant_id=leader.tenant_id, salesperson_id=leader.id, store_id=leader.store_id,
                        name=_text(name, MAX_NAME, "name"), address=_text(address, MAX_ADDRESS, "address"),
                        lon=lon, lat=lat, hours=_text(hours, MAX_HOURS, "hours"), status="PENDING", created_at=now)
    session.add(point)
    await session.flush()
    return point


async def decide(session: AsyncSession, principal: Principal, point_id: int, approve: bool) -> PickupPoint:
    """Staff of the serving store (or above) approve or reject a PENDING point, once (conditional UPDATE)."""
    tenant_id = require_tenant(principal, Codes)
    point = await session.get(PickupPoint, point_id)
    if point is None or point.tenant_id != tenant_id:
        raise DomainError(Codes.NOT_FOUND, "pickup point not found", "id")
    await load_store(session, principal, point.store_id, Codes, Permission.MANAGE_DISTRIBUTION, field="id")
    result = await session.execute(
        update(PickupPoint).where(PickupPoint.id == point.id, PickupPoint.status == "PENDING")
        .values(status="APPROVED" if approve else "REJECTED", decided_by=principal.staff_id or principal.api_key_id),
        execution_options={"synchronize_session": False})
    if result.rowcount != 1:
        raise DomainError(Codes.ALREADY_DECIDED, "this pickup point was already decided", "id")
    await session.refresh(point)
    return point


async def my_points(session: AsyncSession, principal: Principal) -> list[PickupPoint]:
    leader = await _leader(session, principal)
    return list(await session.scalars(select(PickupPoint).where(PickupPoint.salesperson_id == leader.id).order_by(PickupPoint.id)))


async def store_points(session: AsyncSession, principal: Principal, store_id: int) -> list[PickupPoint]:
    """Staff: every point served by the store (to approve them); customers: the approved points
    of the leader they are bound to, at this store."""
    from distribution.attribution import bound_salesperson
    from core.clock import utc_now

    tenant_id = require_tenant(principal, Codes)
    query = select(PickupPoint).where(PickupPoint.tenant_id == tenant_id, PickupPoint.store_id == store_id).order_by(PickupPoint.id)
    if principal.customer_id is not None:
        leader = await bound_salesperson(session, tenant_id, principal.customer_id, utc_now())
        if leader is None:
            return []
        query = query.where(PickupPoint.salesperson_id == leader.id, PickupPoint.status == "APPROVED")
    else:
        await load_store(session, principal, store_id, Codes, Permission.MANAGE_DISTRIBUTION)
    return list(await session.scalars(query))


async def choose(session: AsyncSession, principal: Principal, order_id: int, point_id: int) -> tuple[Order, PickupPoint]:
    """The customer sends their STORE_PICKUP order to their leader's approved point at the order's store."""
    tenant_id, customer_id = _customer(principal)
    order = await session.scalar(select(Order).where(Order.id == order_id, Order.tenant_id == tenant_id, Order.customer_id == customer_id))
    if order is None:
        raise DomainError(Codes.NOT_FOUND, "order not found", "orderId")
    if order.fulfilment_type != FulfilmentType.STORE_PICKUP.value or order.status not in CHOOSABLE:
        raise DomainError(Codes.NOT_PICKUP_ORDER, "only a pickup order not yet packed can go to a pickup point", "orderId")
    point = await session.get(PickupPoint, point_id)
    if point is None or point.tenant_id != tenant_id:
        raise DomainError(Codes.NOT_FOUND, "pickup point not found", "pickupPointId")
    seller = await session.scalar(select(OrderAttribution.salesperson_id).where(OrderAttribution.order_id == order.id))
    if point.status != "APPROVED" or point.store_id != order.store_id or seller != point.salesperson_id:
        raise DomainError(Codes.POINT_NOT_AVAILABLE, "choose an approved point of your own leader at this order's store", "pickupPointId")
    existing = await session.get(OrderPickupPoint, order.id)
    if existing is None:
        session.add(OrderPickupPoint(order_id=order.id, tenant_id=tenant_id, pickup_point_id=point.id))
    else:
        existing.pickup_point_id = point.id
    await session.flush()
    return order, point


async def waiting_orders(session: AsyncSession, principal: Principal) -> list[tuple[Order, OrderPickupPoint]]:
    """The leader's orders not yet handed over (paid, being prepared, or waiting at the point)."""
    leader = await _leader(session, principal)
    rows = await session.execute(
        select(Order, OrderPickupPoint).join(OrderPickupPoint, OrderPickupPoint.order_id == Order.id)
        .join(PickupPoint, PickupPoint.id == OrderPickupPoint.pickup_point_id)
        .where(PickupPoint.salesperson_id == leader.id, Order.status.in_(WAITING)).order_by(Order.id).limit(200))
    return [(o, p) for o, p in rows.all()]


async def hand_over(session: AsyncSession, principal: Principal, key: bytes, order_id: int, code: str, now: datetime):
    """Returns ((order, pickup point id), None) or (None, DomainError). A wrong code's attempt is returned, not
    raised, so the caller commits it: guesses count against the order's budget."""
    from commerce.orders import apply_transition
    from delivery.models import PickupCode
    from delivery.pickup_codes import _take_attempt, code_for

    leader = await _leader(session, principal)
    found = (await session.execute(
        select(Order, OrderPickupPoint).join(OrderPickupPoint, OrderPickupPoint.order_id == Order.id)
        .join(PickupPoint, PickupPoint.id == OrderPickupPoint.pickup_point_id)
        .where(Order.id == order_id, Order.tenant_id == leader.tenant_id, PickupPoint.salesperson_id == leader.id))).first()
    if found is None:
        raise DomainError(Codes.NOT_FOUND, "no order at your pickup points with this id", "orderId")
    order, link = found
    if order.status != OrderStatus.AWAITING_PICKUP.value:
        raise DomainError(Codes.ORDER_NOT_READY, f"the order is {order.status}, not waiting at your point", "orderId")
    row = await session.scalar(select(PickupCode).where(PickupCode.order_id == order.id))
    if row is None:
        raise DomainError(Codes.ORDER_NOT_READY, "this order has no pickup code", "orderId")
    refused = DomainError(Codes.CODE_REFUSED, "the pickup code was refused", "code")
    if not await _take_attempt(session, row, now) or not hmac.compare_digest(code_for(key, row.nonce), code or "") or row.used_at is not None:
        return None, refused
    used = await session.execute(update(PickupCode).where(PickupCode.id == row.id, PickupCode.used_at.is_(None)).values(used_at=now),
                                 execution_options={"synchronize_session": False})
    if used.rowcount != 1:
        return None, refused
    order = await apply_transition(session, order, OrderStatus.COMPLETED, actor=ActorType.LEADER, actor_id=leader.id, now=now,
                                   reason=f"handed over at pickup point {link.pickup_point_id}")
    link.handed_over_at = now
    await session.flush()
    return (order, link.pickup_point_id), None
