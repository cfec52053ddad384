"""Applying order transitions: status, stock effect and audit event in one transaction."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal, PrincipalKind
from commerce import stock
from commerce.errors import OrderErrorCode
from commerce.models import Order, OrderEvent, OrderLine
from commerce.order_status import ActorType, FulfilmentType, OrderStatus, StockState, plan_transition
from core.clock import require_aware
from core.errors import DomainError
from events import emit, order_transitioned
from store_network.access import load_store

ACTOR_OF_KIND = {
    PrincipalKind.CUSTOMER: ActorType.CUSTOMER,
    PrincipalKind.STAFF: ActorType.STAFF,
    PrincipalKind.API_KEY: ActorType.API_KEY,
    PrincipalKind.RIDER: ActorType.RIDER,
}


async def load_order_for(session: AsyncSession, principal: Principal, order_id: int, permission: Permission) -> Order:
    """Customers see their own orders; staff see orders of stores in their subtree."""
    if principal.tenant_id is None:
        raise DomainError(OrderErrorCode.UNAUTHENTICATED, "sign in first", None)
    order = await session.scalar(select(Order).where(Order.id == order_id, Order.tenant_id == principal.tenant_id))
    if order is None:
        raise DomainError(OrderErrorCode.NOT_FOUND, "order not found", "orderId")
    if principal.kind is PrincipalKind.CUSTOMER:
        if order.customer_id != principal.customer_id:
            raise DomainError(OrderErrorCode.NOT_FOUND, "order not found", "orderId")
    elif principal.kind in (PrincipalKind.STAFF, PrincipalKind.API_KEY):
        await load_store(session, principal, order.store_id, OrderErrorCode, permission, field="orderId")
    else:
        raise DomainError(OrderErrorCode.UNAUTHENTICATED, "sign in first", None)
    return order


async def apply_transition(
    session: AsyncSession,
    order: Order,
    target: OrderStatus,
    *,
    actor: ActorType,
    actor_id: int | None,
    now: datetime,
    reason: str = "",
) -> Order:
    """Move the order; a concurrent change of the same order makes this raise CONCURRENT_UPDATE."""
    require_aware(now, "now")
    plan = plan_transition(
        OrderStatus(order.status),
        target,
        FulfilmentType(order.fulfilment_type),
        StockState(order.stock_state),
        actor,
    )
    # Compare-and-set on the status we planned from: two staff tapping at once cannot both win.
    changes = {"status": target.value, "stock_state": plan.stock_state_after.value, "updated_at": now}
    if target is OrderStatus.PAID:
        changes["paid_at"] = now
    result = await session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == plan.from_status.value)
        .values(**changes),
        execution_options={"synchronize_session": False},
    )
    if result.rowcount != 1:
        raise DomainError(OrderErrorCode.CONCURRENT_UPDATE, "the order changed meanwhile; reload it", "orderId")
    # The event's listeners (delivery: slot booking/release, pickup code, ending the rider's
    # task, live tracking) run before the stock rows are touched: checkout takes the slot row
    # before stock rows too, so both paths lock in the same order and cannot deadlock.
    await emit(session, order_transitioned(
        tenant_id=order.tenant_id, at=now, order_id=order.id, store_id=order.store_id,
        fulfilment_type=order.fulfilment_type, from_status=plan.from_status.value, to_status=target.value,
        actor_type=actor.value, actor_id=actor_id, reason=reason[:200],
    ))
    lines = (await session.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.sku_id))).all()
    for line in lines:
        if not await stock.apply_effect(session, plan.stock_effect, order.store_id, line.sku_id, line.quantity):
            # Only reachable if stock rows were edited outside these functions; refuse rather than lose count.
            raise DomainError(OrderErrorCode.INVALID, "stock for this order is inconsistent", "orderId")
    session.add(
        OrderEvent(
            order_id=order.id,
            from_status=plan.from_status.value,
            to_status=target.value,
            actor_type=actor.value,
            actor_id=actor_id,
            reason=reason[:200],
            created_at=now,
        )
    )
    await session.flush()
    await session.refresh(order)
    return order


async def transition_by(
    session: AsyncSession, principal: Principal, order_id: int, target: OrderStatus, *, now: datetime, reason: str = ""
) -> Order:
    order = await load_order_for(session, principal, order_id, Permission.MANAGE_ORDERS)
    actor = ACTOR_OF_KIND[principal.kind]
    actor_id = principal.customer_id or principal.staff_id or principal.api_key_id
    return await apply_transition(session, order, target, actor=actor, actor_id=actor_id, now=now, reason=reason)


async def expire_unpaid_orders(session: AsyncSession, now: datetime, limit: int = 500) -> int:
    """Cancel unpaid orders past their TTL and release their stock. Safe to run in several processes."""
    due = (
        await session.scalars(
            select(Order)
            .where(Order.status == OrderStatus.UNPAID.value, Order.expires_at <= now)
            .order_by(Order.id)
            .limit(limit)
        )
    ).all()
    cancelled = 0
    for order in due:
        try:
            async with session.begin_nested():
                await apply_transition(
                    session, order, OrderStatus.CANCELLED, actor=ActorType.SYSTEM, actor_id=None, now=now, reason="expired"
                )
                cancelled += 1
        except DomainError:
            continue  # paid or cancelled meanwhile by another process: nothing to do
    return cancelled
