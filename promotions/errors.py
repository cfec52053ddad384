"""Typed error codes of promotions (the GraphQL PromotionErrorCode enum)."""
from __future__ import annotations

from enum import Enum


class PromotionErrorCode(str, Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    UNKNOWN_CONDITION = "UNKNOWN_CONDITION"
    UNKNOWN_ACTION = "UNKNOWN_ACTION"
    INVALID_ARGUMENT = "INVALID_ARGUMENT"
    PROMOTIONS_LOCKED_BY_HQ = "PROMOTIONS_LOCKED_BY_HQ"  # the promotions policy is STRONG above this node
    DISCOUNT_ABOVE_HQ_LIMIT = "DISCOUNT_ABOVE_HQ_LIMIT"  # a partner/store campaign exceeds HQ's max discount %
    COUPON_NOT_AVAILABLE = "COUPON_NOT_AVAILABLE"  # unknown code, used, expired, or not yours
    COUPON_NOT_APPLICABLE = "COUPON_NOT_APPLICABLE"  # the cart does not meet the coupon's conditions
    COUPON_NOT_STACKABLE = "COUPON_NOT_STACKABLE"
    COUPON_LIMIT_REACHED = "COUPON_LIMIT_REACHED"  # per-customer limit
    COUPON_SOLD_OUT = "COUPON_SOLD_OUT"  # total quota issued
    FLASH_SALE_SOLD_OUT = "FLASH_SALE_SOLD_OUT"
    FLASH_SALE_LIMIT_REACHED = "FLASH_SALE_LIMIT_REACHED"  # per-customer limit
    GROUP_FULL = "GROUP_FULL"  # group buys: every place of this group is taken; start a new group
    GROUP_CLOSED = "GROUP_CLOSED"  # group buys: the group formed, failed or expired
    GROUP_BUY_LIMIT_REACHED = "GROUP_BUY_LIMIT_REACHED"  # group buys: per-customer limit of places
    GROUP_BUY_NOT_RUNNING = "GROUP_BUY_NOT_RUNNING"  # group buys: outside the campaign's validity
    SHARE_TOKEN_INVALID = "SHARE_TOKEN_INVALID"  # group buys: not a share token we signed
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    IDEMPOTENCY_KEY_INVALID = "IDEMPOTENCY_KEY_INVALID"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"  # same key, different input
