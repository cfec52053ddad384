"""Who may do what to an order, beyond the state machine: the rules behind orderTransition,
orderComplete, orderCancel and orderRefund. The resolvers only map input and errors.

Completion of an order whose hand-over is proven by a code (same-city: the rider's delivery
proof code; pickup: the customer's pickup code) goes through that code (riderDeliver,
pickupCodeVerify). Staff without the code use orderComplete: it needs OVERRIDE_COMPLETION
(store managers and above) and a reason, both recorded in the order's events.
"""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce.errors import OrderErrorCode
from commerce.models import Order
from commerce.order_status import FulfilmentType, OrderStatus
from commerce.orders import ACTOR_OF_KIND, apply_transition, load_order_for, transition_by
from core.errors import DomainError
from store_network.access import load_store
from store_network.control import ControlledAttribute
from store_network.policies import require_may_change

# Hand-overs proven by a code; an express parcel has none (the carrier's tracking is the proof).
CODE_PROVEN = frozenset({FulfilmentType.SAME_CITY_DELIVERY.value, FulfilmentType.STORE_PICKUP.value})
MAX_OVERRIDE_REASON = 180  # OrderEvent.reason holds 200, with the "override: " prefix

# payments.service.refund_order, bound to the provider by the caller: money is payments' business.
Refund = Callable[[AsyncSession, Principal, int, datetime, str], Awaitable[Order]]


def _require_staff(principal: Principal, message: str, field: str) -> None:
    if not principal.grants:  # staff, or an API key acting for a store
        raise DomainError(OrderErrorCode.PERMISSION_DENIED, message, field)


async def require_order_control(session: AsyncSession, principal: Principal, order: Order, permission: Permission, field: str) -> None:
    """Staff order handling follows the network's ORDERS control: under STRONG only the deciding
    node or those above it (HQ, a partner holding the lock) handle the store's orders. A
    customer's own actions, riders, payment callbacks and sweeps never come through here."""
    if not principal.grants:
        return
    _, path = await load_store(session, principal, order.store_id, OrderErrorCode, permission, field="orderId")
    await require_may_change(session, principal, order.tenant_id, path, ControlledAttribute.ORDERS, permission, field)


async def move_along(
    session: AsyncSession, principal: Principal, order_id: int, target: OrderStatus, *, now: datetime, reason: str = ""
) -> Order:
    """orderTransition: staff move an order along its fulfilment (PICKING, READY, DELIVERING, ...)."""
    _require_staff(principal, "only store staff move orders along", "status")
    if target in (OrderStatus.PAID, OrderStatus.REFUNDED, OrderStatus.CANCELLED):
        raise DomainError(OrderErrorCode.INVALID_TRANSITION, "use orderPay, orderRefund or orderCancel for this status", "status")
    order = await load_order_for(session, principal, order_id, Permission.MANAGE_ORDERS)
    await require_order_control(session, principal, order, Permission.MANAGE_ORDERS, "status")
    if target is OrderStatus.COMPLETED and order.fulfilment_type in CODE_PROVEN:
        how = "the rider's delivery code" if order.fulfilment_type == FulfilmentType.SAME_CITY_DELIVERY.value else "the pickup code"
        raise DomainError(
            OrderErrorCode.PROOF_REQUIRED,
            f"this order is completed with {how}; without it, a store manager uses orderComplete with a reason",
            "status",
        )
    return await transition_by(session, principal, order_id, target, now=now, reason=reason)


async def complete_without_code(session: AsyncSession, principal: Principal, order_id: int, *, now: datetime, reason: str) -> Order:
    """orderComplete: the audited override. The order's events record the actor and the reason;
    the rider's task, if any, ends as delivered and the rider is freed (delivery.order_listeners)."""
    _require_staff(principal, "only store managers complete orders without their code", "orderId")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(OrderErrorCode.REQUIRED, "say why the order is completed without its code", "reason")
    if len(reason) > MAX_OVERRIDE_REASON:
        raise DomainError(OrderErrorCode.INVALID, f"the reason is longer than {MAX_OVERRIDE_REASON} characters", "reason")
    order = await load_order_for(session, principal, order_id, Permission.OVERRIDE_COMPLETION)
    await require_order_control(session, principal, order, Permission.OVERRIDE_COMPLETION, "orderId")
    return await apply_transition(
        session, order, OrderStatus.COMPLETED, actor=ACTOR_OF_KIND[principal.kind],
        actor_id=principal.staff_id or principal.api_key_id, now=now, reason=f"override: {reason}",
    )


async def cancel(
    session: AsyncSession, principal: Principal, order_id: int, *, now: datetime, reason: str, refund: Refund
) -> Order:
    """orderCancel: an unpaid order is cancelled (stock and slot released); a paid one is refunded,
    which the state machine allows a customer only before the store starts picking."""
    order = await load_order_for(session, principal, order_id, Permission.MANAGE_ORDERS)
    await require_order_control(session, principal, order, Permission.MANAGE_ORDERS, "orderId")
    if order.status == OrderStatus.UNPAID.value:
        return await transition_by(session, principal, order_id, OrderStatus.CANCELLED, now=now, reason=reason or "cancelled")
    return await refund(session, principal, order_id, now, reason)


async def staff_refund(
    session: AsyncSession, principal: Principal, order_id: int, *, now: datetime, reason: str, refund: Refund
) -> Order:
    """orderRefund is staff's (at any point from payment on); customers use orderCancel."""
    _require_staff(principal, "customers use orderCancel", "orderId")
    order = await load_order_for(session, principal, order_id, Permission.MANAGE_ORDERS)
    await require_order_control(session, principal, order, Permission.MANAGE_ORDERS, "orderId")
    return await refund(session, principal, order_id, now, reason)
