"""Paying an order with stored value (the whole total or part of it), and what order events do to
membership: auto-join on the first order, stored value and redeemed points back on refund
or cancel, points earned on completion and reversed on refund. The listeners are registered
from events.wiring and run inside the transaction that moved the order."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from commerce.models import Order
from commerce.order_status import ActorType, OrderStatus
from commerce.orders import ACTOR_OF_KIND, apply_transition, load_order_for
from core.errors import DomainError
from events import OrderCancelled, OrderCreated, OrderRefunded, OrderStatusChanged, register
from events.types import RefundSucceeded
from membership import points, stored_value
from membership.errors import MembershipErrorCode
from membership.members import join, program, require_member
from membership.models import StoredValueCharge
from payments.models import Payment


async def pay_order(
    session: AsyncSession, principal: Principal, order_id: int, idempotency_key: str, now: datetime, amount_fen: int | None = None,
) -> Order:
    """Pay an UNPAID order from the customer's stored value, in one transaction: the whole total
    (`amount_fen` None; the order becomes PAID), or part of it (a split payment: the order stays
    UNPAID and orderPay charges the provider the rest). One stored-value payment per order; a
    split is refused while a provider payment of the order is pending (it was asked for the
    whole total). A retry with the same key returns the order."""
    order = await load_order_for(session, principal, order_id, Permission.MANAGE_ORDERS)
    member = await require_member(session, order.tenant_id, order.customer_id)
    existing = await session.scalar(select(StoredValueCharge).where(StoredValueCharge.order_id == order.id))
    if existing is not None and existing.idempotency_key == idempotency_key:
        return order
    if order.status != OrderStatus.UNPAID.value:
        raise DomainError(MembershipErrorCode.ORDER_NOT_PAYABLE, f"the order is {order.status}", "orderId")
    if existing is not None:
        raise DomainError(MembershipErrorCode.ORDER_NOT_PAYABLE, "stored value already paid part of this order", "orderId")
    amount = order.total_fen if amount_fen is None else amount_fen
    if not 0 < amount <= order.total_fen:
        raise DomainError(MembershipErrorCode.AMOUNT_OUT_OF_RANGE, "between 0.01 and the order's total", "amount")
    if await session.scalar(select(Payment.id).where(Payment.order_id == order.id, Payment.status == "PENDING")):
        raise DomainError(MembershipErrorCode.ORDER_NOT_PAYABLE, "a payment of this order is under way", "orderId")
    actor = ACTOR_OF_KIND[principal.kind]
    actor_id = principal.customer_id or principal.staff_id or principal.api_key_id
    await stored_value.spend(session, member, amount, store_id=order.store_id, order_id=order.id,
                             idempotency_key=idempotency_key, actor=(actor.value.lower(), actor_id), now=now)
    if amount == order.total_fen:
        # Only the system marks an order paid (commerce.order_status): the charge above is the proof.
        await apply_transition(session, order, OrderStatus.PAID, actor=ActorType.SYSTEM, actor_id=None, now=now, reason="stored value")
    await session.refresh(order)
    return order


async def _refund_left(session: AsyncSession, event, reason: str) -> None:
    charge = await session.scalar(select(StoredValueCharge).where(StoredValueCharge.order_id == event.order_id))
    if charge is not None:
        left = charge.amount_fen - charge.refunded_principal_fen - charge.refunded_bonus_fen
        if left > 0:
            await stored_value.refund_charge(session, charge, left, actor=(event.actor_type.lower(), event.actor_id), now=event.at,
                                             reason=event.reason or reason)


async def on_order_created(session: AsyncSession, event: OrderCreated) -> None:
    if (await program(session, event.tenant_id)).auto_join:
        await join(session, event.tenant_id, event.customer_id, "FIRST_ORDER", event.at)


async def on_order_refunded(session: AsyncSession, event: OrderRefunded) -> None:
    """A full refund: stored value back in the parts it was taken, points earned taken back,
    points redeemed restored (what partial refunds did not already move)."""
    await _refund_left(session, event, "order refunded")
    await points.reverse_earned(session, event.tenant_id, f"order:{event.order_id}", None, now=event.at)
    await points.restore_redeemed(session, event.tenant_id, f"order:{event.order_id}", now=event.at)


async def on_order_cancelled(session: AsyncSession, event: OrderCancelled) -> None:
    """An unpaid order cancelled or expired: the stored-value part of a split goes back, and redeemed points."""
    await _refund_left(session, event, "order cancelled")
    await points.restore_redeemed(session, event.tenant_id, f"order:{event.order_id}", now=event.at)


async def _refunded_share(session: AsyncSession, order_id: int) -> tuple[int, int]:
    """(fen refunded so far by partial refunds, fen the order was paid): the pro-rata basis."""
    from payments.refunds import refunded_fen_of_order

    order = await session.get(Order, order_id)
    return await refunded_fen_of_order(session, order_id), order.total_fen


async def on_refund_succeeded(session: AsyncSession, event: RefundSucceeded) -> None:
    """A partial refund (payments.refunds): points earned on the order are taken back and
    points redeemed on it restored, pro rata to the money refunded so far over what the order
    was paid (cumulative, so the partials of a whole order add up to the full reversal, and a
    redelivered event moves nothing: reversed_points is compared-and-set to the new target).

    Stored value is NOT touched: a partial refund is money the provider gives back, up to what
    the provider captured. An order paid partly by stored value gets its stored-value part back
    on the full refund (orderRefund -> on_order_refunded returns what is left of the charge)."""
    share = await _refunded_share(session, event.order_id)
    reference = f"order:{event.order_id}"
    await points.reverse_earned(session, event.tenant_id, reference, share, now=event.at)
    await points.restore_redeemed(session, event.tenant_id, reference, share, now=event.at)


async def on_order_status_changed(session: AsyncSession, event: OrderStatusChanged) -> None:
    if event.to_status == OrderStatus.COMPLETED.value:
        await points.earn_for_order(session, event.tenant_id, event.order_id, now=event.at)
        share = await _refunded_share(session, event.order_id)
        if share[0] > 0:  # partly refunded before it completed: the points earned shrink the same way
            await points.reverse_earned(session, event.tenant_id, f"order:{event.order_id}", share, now=event.at)


def register_listeners() -> None:
    from commerce import pricing
    from membership.pricing import MemberStep

    pricing.add_step(MemberStep(pricing.PriceSource.MEMBER))  # member prices: after STORE, before PROMOTION
    register(OrderCreated, on_order_created)
    register(OrderRefunded, on_order_refunded)
    register(RefundSucceeded, on_refund_succeeded)
    register(OrderCancelled, on_order_cancelled)
    register(OrderStatusChanged, on_order_status_changed)
