from __future__ import annotations

from enum import Enum


class AssortmentErrorCode(str, Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    TOO_MANY = "TOO_MANY"
    # Re-listing under strong assortment control: the same code as the POS listing sync.
    LISTING_LOCKED_BY_HQ = "LISTING_LOCKED_BY_HQ"
    # HQ or a partner marked the product mandatory for the store's part of the network.
    PRODUCT_MANDATORY = "PRODUCT_MANDATORY"
