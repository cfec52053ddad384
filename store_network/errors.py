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
