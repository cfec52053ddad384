from __future__ import annotations

from enum import Enum


class SyncErrorCode(str, Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    IDEMPOTENCY_KEY_INVALID = "IDEMPOTENCY_KEY_INVALID"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    PRICE_LOCKED_BY_HQ = "PRICE_LOCKED_BY_HQ"
    STOCK_LOCKED_BY_HQ = "STOCK_LOCKED_BY_HQ"  # a row refused under strong stock control
    PRICE_OUT_OF_BAND = "PRICE_OUT_OF_BAND"  # a row's price outside the node's price band (store_network.bands)
    LISTING_LOCKED_BY_HQ = "LISTING_LOCKED_BY_HQ"  # re-listing under strong assortment control (assortment.rules)
    PRODUCT_MANDATORY = "PRODUCT_MANDATORY"  # de-listing a product HQ or a partner made mandatory (assortment.rules)
    # Row outcomes
    UNKNOWN_SKU = "UNKNOWN_SKU"
    DUPLICATE_ROW = "DUPLICATE_ROW"
    STALE_VERSION = "STALE_VERSION"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    BELOW_RESERVED = "BELOW_RESERVED"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    NOT_MULTIPLE_OF_STEP = "NOT_MULTIPLE_OF_STEP"
    FREE_PRICE_NOT_ALLOWED = "FREE_PRICE_NOT_ALLOWED"
