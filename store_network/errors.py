"""Error codes of the store network (stores, nodes, control policies, staff).

store_network sits below commerce and imports nothing from it, so it has its own enum; the
GraphQL layer reports these by name in the payload's enum (CatalogErrorCode carries every
member below).
"""
from __future__ import annotations

from enum import Enum


class NetworkErrorCode(str, Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    DUPLICATE = "DUPLICATE"
    # One code per controlled attribute: a client must be able to tell which lock refused it.
    PRICE_LOCKED_BY_HQ = "PRICE_LOCKED_BY_HQ"
    STOREFRONT_LOCKED_BY_HQ = "STOREFRONT_LOCKED_BY_HQ"
    PROMOTIONS_LOCKED_BY_HQ = "PROMOTIONS_LOCKED_BY_HQ"
    ASSORTMENT_LOCKED_BY_HQ = "ASSORTMENT_LOCKED_BY_HQ"
    STOCK_LOCKED_BY_HQ = "STOCK_LOCKED_BY_HQ"
    ORDERS_LOCKED_BY_HQ = "ORDERS_LOCKED_BY_HQ"
    # Store administration (store_network.admin, lifecycle, store_import).
    STORE_CODE_TAKEN = "STORE_CODE_TAKEN"
    INVALID_TIMEZONE = "INVALID_TIMEZONE"
    INVALID_LOCATION = "INVALID_LOCATION"
    INVALID_HOURS = "INVALID_HOURS"
    CANNOT_MOVE_UNDER_DESCENDANT = "CANNOT_MOVE_UNDER_DESCENDANT"
    INVALID_STATUS_TRANSITION = "INVALID_STATUS_TRANSITION"
    STATUS_CHANGED = "STATUS_CHANGED"  # storeStatusSet's expected status is no longer the current one
    TOO_MANY_ROWS = "TOO_MANY_ROWS"
    CSV_TOO_LARGE = "CSV_TOO_LARGE"
    INVALID_CSV = "INVALID_CSV"
