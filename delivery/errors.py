"""Error codes and slot-unavailability reasons of the delivery promise."""
from __future__ import annotations

from enum import Enum


class DeliveryErrorCode(str, Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    SHIFT_OVERLAPS = "SHIFT_OVERLAPS"
    # rider management
    MOBILE_TAKEN = "MOBILE_TAKEN"
    RIDER_HAS_ACTIVE_TASKS = "RIDER_HAS_ACTIVE_TASKS"
    SLOT_NOT_FOUND = "SLOT_NOT_FOUND"
    # pickup-code verification
    CODE_INVALID = "CODE_INVALID"
    CODE_ALREADY_USED = "CODE_ALREADY_USED"
    WRONG_STORE = "WRONG_STORE"
    ORDER_NOT_READY = "ORDER_NOT_READY"
    RATE_LIMITED = "RATE_LIMITED"


class SlotErrorCode(str, Enum):
    """Checkout errors about the slot (the values are also members of CheckoutErrorCode)."""

    SLOT_REQUIRED = "SLOT_REQUIRED"
    SLOT_INVALID = "SLOT_INVALID"
    SLOT_WRONG_STORE = "SLOT_WRONG_STORE"
    SLOT_KIND_MISMATCH = "SLOT_KIND_MISMATCH"
    SLOT_EXPIRED = "SLOT_EXPIRED"
    SLOT_UNAVAILABLE = "SLOT_UNAVAILABLE"
    SLOT_FULL = "SLOT_FULL"
    OUTSIDE_DELIVERY_ZONE = "OUTSIDE_DELIVERY_ZONE"


class SlotKind(str, Enum):
    EXPRESS_30 = "EXPRESS_30"  # delivered within 30 minutes of payment
    SLOT_60 = "SLOT_60"  # delivered inside a booked window (length: slot_minutes)
    PICKUP_60 = "PICKUP_60"  # ready for collection inside a booked window


class SlotReason(str, Enum):
    """Why a slot cannot be booked, most fundamental first; a slot reports only the first."""

    STORE_CLOSED = "STORE_CLOSED"  # suspended/closed store, closure day, or outside business hours
    DELIVERY_NOT_OFFERED = "DELIVERY_NOT_OFFERED"  # the store lacks this fulfilment type
    OUTSIDE_ZONE = "OUTSIDE_ZONE"
    EXPRESS_NOT_OFFERED = "EXPRESS_NOT_OFFERED"  # switched off, or not for this zone tier
    CUTOFF_PASSED = "CUTOFF_PASSED"
    NO_RIDERS = "NO_RIDERS"  # nobody rostered: capacity is zero, not used up
    FULL = "FULL"
