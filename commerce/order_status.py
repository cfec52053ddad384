"""The order state machine: which status may follow which, who may move it, and what it does to stock.

Pure functions on plain values so the rules are testable (and property-tested) without a database.

    UNPAID -> PAID -> PICKING -> READY -> DELIVERING      -> COMPLETED
                                       \\-> AWAITING_PICKUP -/
    UNPAID -> CANCELLED (customer, staff, or expiry; releases the reservation)
    PAID..COMPLETED -> REFUNDED (money back; stock is released or restocked)
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from commerce.errors import OrderErrorCode
from core.errors import DomainError


class OrderStatus(str, Enum):
    UNPAID = "UNPAID"
    PAID = "PAID"
    PICKING = "PICKING"
    READY = "READY"
    DELIVERING = "DELIVERING"
    AWAITING_PICKUP = "AWAITING_PICKUP"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    REFUNDED = "REFUNDED"


class FulfilmentType(str, Enum):
    SAME_CITY_DELIVERY = "SAME_CITY_DELIVERY"
    STORE_PICKUP = "STORE_PICKUP"
    EXPRESS_PARCEL = "EXPRESS_PARCEL"


class ActorType(str, Enum):
    CUSTOMER = "CUSTOMER"
    STAFF = "STAFF"
    SYSTEM = "SYSTEM"  # payment callbacks, the expiry sweeper
    API_KEY = "API_KEY"
    RIDER = "RIDER"  # the fleet rider carrying the order (delivery.board)
    LEADER = "LEADER"  # a community leader handing an order over at their pickup point (distribution.pickup_points)


class StockState(str, Enum):
    RESERVED = "RESERVED"  # held against on-hand stock, not yet taken off the shelf
    DEDUCTED = "DEDUCTED"  # packed: on-hand stock went down
    RELEASED = "RELEASED"  # reservation given back before packing
    RESTOCKED = "RESTOCKED"  # packed goods put back on the shelf


class StockEffect(str, Enum):
    NONE = "NONE"
    RELEASE = "RELEASE"
    DEDUCT = "DEDUCT"
    RESTOCK = "RESTOCK"


TERMINAL = frozenset({OrderStatus.CANCELLED, OrderStatus.REFUNDED})
_HANDOVER = {
    FulfilmentType.SAME_CITY_DELIVERY: OrderStatus.DELIVERING,
    FulfilmentType.EXPRESS_PARCEL: OrderStatus.DELIVERING,
    FulfilmentType.STORE_PICKUP: OrderStatus.AWAITING_PICKUP,
}
_REFUNDABLE = frozenset(
    {
        OrderStatus.PAID,
        OrderStatus.PICKING,
        OrderStatus.READY,
        OrderStatus.DELIVERING,
        OrderStatus.AWAITING_PICKUP,
        OrderStatus.COMPLETED,
    }
)


def allowed_next(status: OrderStatus, fulfilment: FulfilmentType) -> frozenset[OrderStatus]:
    nxt: set[OrderStatus] = set()
    if status is OrderStatus.UNPAID:
        nxt |= {OrderStatus.PAID, OrderStatus.CANCELLED}
    elif status is OrderStatus.PAID:
        nxt.add(OrderStatus.PICKING)
    elif status is OrderStatus.PICKING:
        nxt.add(OrderStatus.READY)
    elif status is OrderStatus.READY:
        nxt.add(_HANDOVER[fulfilment])
    elif status in (OrderStatus.DELIVERING, OrderStatus.AWAITING_PICKUP):
        nxt.add(OrderStatus.COMPLETED)
    if status in _REFUNDABLE:
        nxt.add(OrderStatus.REFUNDED)
    return frozenset(nxt)


def _actor_may(actor: ActorType, current: OrderStatus, target: OrderStatus) -> bool:
    if target is OrderStatus.PAID:
        return actor is ActorType.SYSTEM  # only a verified payment callback marks an order paid
    if actor is ActorType.SYSTEM:
        return target in (OrderStatus.CANCELLED, OrderStatus.REFUNDED)
    if actor is ActorType.CUSTOMER:
        # A customer may cancel before paying, or get a refund before the store starts picking.
        return (current, target) in {
            (OrderStatus.UNPAID, OrderStatus.CANCELLED),
            (OrderStatus.PAID, OrderStatus.REFUNDED),
        }
    if actor is ActorType.RIDER:
        # A rider takes a packed order out of the store and hands it over at the door, nothing else.
        return (current, target) in {
            (OrderStatus.READY, OrderStatus.DELIVERING),
            (OrderStatus.DELIVERING, OrderStatus.COMPLETED),
        }
    if actor is ActorType.LEADER:
        # A community leader only hands a collected order over at their pickup point.
        return (current, target) == (OrderStatus.AWAITING_PICKUP, OrderStatus.COMPLETED)
    return True  # staff and API keys; their node-level permission is checked by the caller


def stock_effect(stock_state: StockState, target: OrderStatus) -> StockEffect:
    if target is OrderStatus.READY and stock_state is StockState.RESERVED:
        return StockEffect.DEDUCT
    if target in TERMINAL:
        if stock_state is StockState.RESERVED:
            return StockEffect.RELEASE
        if stock_state is StockState.DEDUCTED:
            return StockEffect.RESTOCK
    return StockEffect.NONE


STOCK_STATE_AFTER = {
    StockEffect.DEDUCT: StockState.DEDUCTED,
    StockEffect.RELEASE: StockState.RELEASED,
    StockEffect.RESTOCK: StockState.RESTOCKED,
}


@dataclass(frozen=True)
class TransitionPlan:
    from_status: OrderStatus
    to_status: OrderStatus
    stock_effect: StockEffect
    stock_state_after: StockState


def plan_transition(
    current: OrderStatus,
    target: OrderStatus,
    fulfilment: FulfilmentType,
    stock_state: StockState,
    actor: ActorType,
) -> TransitionPlan:
    """Validate a status change and say what it does to stock; raises DomainError if not allowed."""
    if target not in allowed_next(current, fulfilment):
        raise DomainError(
            OrderErrorCode.INVALID_TRANSITION,
            f"an order in {current.value} cannot move to {target.value}",
            field="status",
        )
    if not _actor_may(actor, current, target):
        raise DomainError(
            OrderErrorCode.PERMISSION_DENIED,
            f"{actor.value.lower()} may not move an order from {current.value} to {target.value}",
            field="status",
        )
    effect = stock_effect(stock_state, target)
    return TransitionPlan(current, target, effect, STOCK_STATE_AFTER.get(effect, stock_state))
