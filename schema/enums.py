"""GraphQL enums. Domain enums are wrapped, not redefined, so the two cannot drift."""
from __future__ import annotations

from enum import Enum

import strawberry

from auth.roles import StaffRole as DomainStaffRole
from auth.service import AccountErrorCode as DomainAccountErrorCode
from commerce import errors as commerce_errors
from commerce.order_status import FulfilmentType as DomainFulfilmentType
from commerce.order_status import OrderStatus as DomainOrderStatus
from commerce.pricing import PriceSource as DomainPriceSource
from payments.errors import PaymentErrorCode as DomainPaymentErrorCode
from store_network.control import ControlLevel as DomainControlLevel

OrderStatus = strawberry.enum(DomainOrderStatus, name="OrderStatus")
FulfilmentType = strawberry.enum(DomainFulfilmentType, name="FulfilmentType")
StaffRole = strawberry.enum(DomainStaffRole, name="StaffRole")
ControlLevel = strawberry.enum(DomainControlLevel, name="ControlLevel")
PriceSource = strawberry.enum(
    DomainPriceSource,
    name="PriceSource",
    description=(
        "Which pricing step set a price: HQ (the SKU's base price), PARTNER (the nearest partner's price), STORE (the store's"
        " own price), TIME (a time price active now), MEMBER (a member price or level discount), PROMOTION (a flash-sale price)."
    ),
)
AccountErrorCode = strawberry.enum(DomainAccountErrorCode, name="AccountErrorCode")
CatalogErrorCode = strawberry.enum(commerce_errors.CatalogErrorCode, name="CatalogErrorCode")
CartErrorCode = strawberry.enum(commerce_errors.CartErrorCode, name="CartErrorCode")
CheckoutErrorCode = strawberry.enum(commerce_errors.CheckoutErrorCode, name="CheckoutErrorCode")
OrderErrorCode = strawberry.enum(commerce_errors.OrderErrorCode, name="OrderErrorCode")
PaymentErrorCode = strawberry.enum(DomainPaymentErrorCode, name="PaymentErrorCode")


@strawberry.enum
class SoldBy(Enum):
    UNIT = "UNIT"
    WEIGHT = "WEIGHT"


@strawberry.enum(description="Store lifecycle (storeStatusSet): OPENING_SOON -> OPEN <-> PAUSED, any -> CLOSED (final). Only OPEN trades.")
class StoreStatus(Enum):
    OPENING_SOON = "OPENING_SOON"
    OPEN = "OPEN"
    PAUSED = "PAUSED"
    CLOSED = "CLOSED"


@strawberry.enum
class ProductStatus(Enum):
    ACTIVE = "ACTIVE"
    ARCHIVED = "ARCHIVED"


@strawberry.enum
class ProductSortField(Enum):
    NAME = "NAME"
    CREATED_AT = "CREATED_AT"


@strawberry.enum
class SortDirection(Enum):
    ASC = "ASC"
    DESC = "DESC"


@strawberry.enum
class PaymentStatus(Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    REFUNDED = "REFUNDED"
    REFUND_REQUIRED = "REFUND_REQUIRED"
