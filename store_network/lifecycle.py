"""The store lifecycle: which status may follow which. Pure functions on plain values.

    OPENING_SOON -> OPEN <-> PAUSED
         |           |         |
         +-----------+---------+--> CLOSED (terminal)

Only OPEN trades: nearbyStores, servingStore and slots offer no other store and checkout
refuses it. PAUSED is a temporary stop (a refit, a stock-take, a compliance hold: what the
platform used to call SUSPENDED); CLOSED is for good, so it is never left again.
"""
from __future__ import annotations

from enum import Enum

from core.errors import DomainError
from store_network.errors import NetworkErrorCode as Codes


class StoreStatus(str, Enum):
    OPENING_SOON = "OPENING_SOON"
    OPEN = "OPEN"
    PAUSED = "PAUSED"
    CLOSED = "CLOSED"


_NEXT: dict[StoreStatus, frozenset[StoreStatus]] = {
    StoreStatus.OPENING_SOON: frozenset({StoreStatus.OPEN, StoreStatus.CLOSED}),
    StoreStatus.OPEN: frozenset({StoreStatus.PAUSED, StoreStatus.CLOSED}),
    StoreStatus.PAUSED: frozenset({StoreStatus.OPEN, StoreStatus.CLOSED}),
    StoreStatus.CLOSED: frozenset(),
}
# A new store (storeCreate, storesImport) may start in any state but CLOSED.
INITIAL = frozenset({StoreStatus.OPENING_SOON, StoreStatus.OPEN, StoreStatus.PAUSED})


def allowed_next(status: StoreStatus | str) -> frozenset[StoreStatus]:
    return _NEXT[StoreStatus(status)]


def takes_orders(status: StoreStatus | str) -> bool:
    return StoreStatus(status) is StoreStatus.OPEN


def parse_status(raw: str, field: str = "status") -> StoreStatus:
    try:
        return StoreStatus(raw.strip().upper() if isinstance(raw, str) else raw)
    except ValueError:
        raise DomainError(Codes.INVALID, f"status must be one of {', '.join(s.value for s in StoreStatus)}", field) from None


def check_transition(current: StoreStatus | str, target: StoreStatus | str, field: str = "status") -> StoreStatus:
    """The target if `current -> target` is allowed (the same status again is a no-op, so a
    retried request succeeds), else INVALID_STATUS_TRANSITION."""
    current, target = StoreStatus(current), StoreStatus(target)
    if target is current or target in _NEXT[current]:
        return target
    allowed = ", ".join(sorted(s.value for s in _NEXT[current])) or "none: CLOSED is final"
    raise DomainError(Codes.INVALID_STATUS_TRANSITION, f"a {current.value} store cannot become {target.value} (allowed: {allowed})", field)
