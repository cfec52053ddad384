"""Error codes of courier operations (one enum for the area; the GraphQL payloads expose it)."""
from __future__ import annotations

from enum import Enum


class CourierErrorCode(str, Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    UNKNOWN_PROVIDER = "UNKNOWN_PROVIDER"
    COURIER_REFUSED = "COURIER_REFUSED"  # the partner said no (out of range, not cancellable, ...)
    COURIER_TIMEOUT = "COURIER_TIMEOUT"  # no answer; the delivery is re-queried, never re-created
    ALREADY_CALLED = "ALREADY_CALLED"  # the order already has a live courier
    NO_COURIER = "NO_COURIER"  # no enabled partner could take it (no account, over the fee cap, refused)
    ALREADY_FINISHED = "ALREADY_FINISHED"
    TIP_UNSUPPORTED = "TIP_UNSUPPORTED"
    NOT_DISPATCHABLE = "NOT_DISPATCHABLE"  # not a same-city delivery order waiting for a rider
