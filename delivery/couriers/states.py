"""The one courier-delivery state machine every partner maps onto (pure: no I/O, no DB).

    CREATED -> DISPATCHING -> RIDER_ASSIGNED -> AT_PICKUP -> PICKED_UP -> AT_DROPOFF -> DELIVERED
                                                             PICKED_UP/AT_DROPOFF -> RETURNING -> RETURNED
    any non-terminal -> CANCELLED (who cancelled, fee deducted; flagged when after pickup)
    CREATED/DISPATCHING/RIDER_ASSIGNED/AT_PICKUP -> EXPIRED (no rider took it)
    CREATED/DISPATCHING -> CREATE_FAILED

Progress is monotonic by rank. The one legal move backwards is a rider reassignment
(RIDER_ASSIGNED/AT_PICKUP -> DISPATCHING), and only before pickup. Terminal states are sticky.
`exception` is a flag on the current state, not a state. An event the partner stamped
earlier than the last one applied never changes the state (partners such as Uber and
Lalamove do not deliver callbacks in order); equal stamps fall back to rank order.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum


class DeliveryState(str, Enum):
    CREATED = "CREATED"
    DISPATCHING = "DISPATCHING"
    RIDER_ASSIGNED = "RIDER_ASSIGNED"
    AT_PICKUP = "AT_PICKUP"
    PICKED_UP = "PICKED_UP"
    AT_DROPOFF = "AT_DROPOFF"
    RETURNING = "RETURNING"
    DELIVERED = "DELIVERED"
    RETURNED = "RETURNED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"
    CREATE_FAILED = "CREATE_FAILED"


class CancelledBy(str, Enum):
    MERCHANT = "MERCHANT"
    RIDER = "RIDER"
    PARTNER = "PARTNER"  # the courier's system or customer service
    CUSTOMER = "CUSTOMER"


S = DeliveryState
RANK = {
    S.CREATED: 0, S.DISPATCHING: 10, S.RIDER_ASSIGNED: 20, S.AT_PICKUP: 30, S.PICKED_UP: 40,
    S.AT_DROPOFF: 50, S.RETURNING: 55, S.DELIVERED: 60, S.RETURNED: 60, S.CANCELLED: 60, S.EXPIRED: 60,
    S.CREATE_FAILED: 60,
}
TERMINAL = frozenset({S.DELIVERED, S.RETURNED, S.CANCELLED, S.EXPIRED, S.CREATE_FAILED})
BEFORE_PICKUP = frozenset({S.CREATED, S.DISPATCHING, S.RIDER_ASSIGNED, S.AT_PICKUP})
# Where each state may be entered from (besides the rank rule).
_ALLOWED_FROM: dict[DeliveryState, frozenset[DeliveryState]] = {
    S.CREATED: frozenset(),  # nothing goes back to CREATED
    S.DISPATCHING: frozenset({S.CREATED, S.RIDER_ASSIGNED, S.AT_PICKUP}),
    S.RIDER_ASSIGNED: frozenset({S.CREATED, S.DISPATCHING}),
    S.AT_PICKUP: frozenset({S.CREATED, S.DISPATCHING, S.RIDER_ASSIGNED}),
    S.PICKED_UP: frozenset({S.CREATED, S.DISPATCHING, S.RIDER_ASSIGNED, S.AT_PICKUP}),
    S.AT_DROPOFF: frozenset({S.CREATED, S.DISPATCHING, S.RIDER_ASSIGNED, S.AT_PICKUP, S.PICKED_UP}),
    S.DELIVERED: frozenset({S.CREATED, S.DISPATCHING, S.RIDER_ASSIGNED, S.AT_PICKUP, S.PICKED_UP, S.AT_DROPOFF}),
    S.RETURNING: frozenset({S.PICKED_UP, S.AT_DROPOFF}),
    S.RETURNED: frozenset({S.PICKED_UP, S.AT_DROPOFF, S.RETURNING}),
    S.CANCELLED: frozenset({S.CREATED, S.DISPATCHING, S.RIDER_ASSIGNED, S.AT_PICKUP, S.PICKED_UP, S.AT_DROPOFF, S.RETURNING}),
    S.EXPIRED: frozenset(BEFORE_PICKUP),
    S.CREATE_FAILED: frozenset({S.CREATED, S.DISPATCHING}),
}


class Outcome(str, Enum):
    APPLIED = "APPLIED"
    SAME = "SAME"  # already there (rider details / flag may still refresh)
    STALE = "STALE"  # older than the last applied event, or a step backwards
    TERMINAL = "TERMINAL"  # the delivery already ended
    ILLEGAL = "ILLEGAL"  # e.g. reassignment after pickup


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    state: DeliveryState
    cancelled_after_pickup: bool = False

    @property
    def moves(self) -> bool:
        return self.outcome is Outcome.APPLIED


def decide(current: DeliveryState, incoming: DeliveryState, *, last_event_at: datetime | None = None,
           event_at: datetime | None = None) -> Decision:
    """What `incoming` (stamped `event_at` by the partner) does to a delivery in `current`."""
    current, incoming = DeliveryState(current), DeliveryState(incoming)
    if current in TERMINAL:
        return Decision(Outcome.TERMINAL, current)
    if incoming is current:
        return Decision(Outcome.SAME, current)
    if last_event_at is not None and event_at is not None and event_at < last_event_at:
        return Decision(Outcome.STALE, current)
    if current not in _ALLOWED_FROM[incoming]:
        # A reassignment after pickup is illegal (flagged); anything else not allowed is a step back.
        return Decision(Outcome.ILLEGAL if incoming is S.DISPATCHING else Outcome.STALE, current)
    return Decision(Outcome.APPLIED, incoming,
                    cancelled_after_pickup=incoming is S.CANCELLED and current not in BEFORE_PICKUP)


def is_terminal(state: DeliveryState | str) -> bool:
    return DeliveryState(state) in TERMINAL
