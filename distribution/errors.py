"""Distribution error codes (the GraphQL enum DistributionErrorCode mirrors them)."""
from __future__ import annotations

from enum import Enum


class DistributionErrorCode(str, Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    INVITE_INVALID = "INVITE_INVALID"  # unknown, expired or used up (one code: no probing)
    ALREADY_ENROLLED = "ALREADY_ENROLLED"
    UPLINE_TOO_DEEP = "UPLINE_TOO_DEEP"
    UPLINE_CYCLE = "UPLINE_CYCLE"
    NOT_A_SALESPERSON = "NOT_A_SALESPERSON"
    SALESPERSON_INACTIVE = "SALESPERSON_INACTIVE"
    SHARE_TOKEN_INVALID = "SHARE_TOKEN_INVALID"
    SELF_REFERRAL = "SELF_REFERRAL"
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    BELOW_MINIMUM = "BELOW_MINIMUM"
    WITHDRAWAL_NOT_PENDING = "WITHDRAWAL_NOT_PENDING"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"


class PickupPointErrorCode(str, Enum):
    """Community-leader pickup points (distribution.pickup_points)."""

    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    NOT_A_LEADER = "NOT_A_LEADER"  # only an active LEADER salesperson registers and serves a point
    ALREADY_DECIDED = "ALREADY_DECIDED"
    POINT_NOT_AVAILABLE = "POINT_NOT_AVAILABLE"  # not approved, another store's, or not your leader's
    NOT_PICKUP_ORDER = "NOT_PICKUP_ORDER"  # the order is not a STORE_PICKUP order, or too far along to change
    ORDER_NOT_READY = "ORDER_NOT_READY"  # not yet AWAITING_PICKUP (the drop has not reached the point)
    CODE_REFUSED = "CODE_REFUSED"  # wrong, used or rate-limited pickup code (one answer)
