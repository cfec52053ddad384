from __future__ import annotations

from enum import Enum


class PricingErrorCode(str, Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    AMOUNT_OUT_OF_RANGE = "AMOUNT_OUT_OF_RANGE"
    PRICE_LOCKED_BY_HQ = "PRICE_LOCKED_BY_HQ"
    PRICE_OUT_OF_BAND = "PRICE_OUT_OF_BAND"  # a store/partner price outside the band around HQ's price
    BAND_WIDER_THAN_PARENT = "BAND_WIDER_THAN_PARENT"  # a band may only narrow what a node above set
    NOT_A_PARTNER = "NOT_A_PARTNER"  # partner prices live on partner nodes
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    TOO_LARGE = "TOO_LARGE"
    UNKNOWN_STORE = "UNKNOWN_STORE"
    UNKNOWN_NODE = "UNKNOWN_NODE"
    UNKNOWN_SKU = "UNKNOWN_SKU"
    DUPLICATE_ROW = "DUPLICATE_ROW"
    INVALID_TIME = "INVALID_TIME"
