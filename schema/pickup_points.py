"""GraphQL types of community-leader pickup points (distribution.pickup_points)."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from distribution.errors import PickupPointErrorCode as DomainPickupPointErrorCode
from schema.common import _error_type

PickupPointErrorCode = strawberry.enum(DomainPickupPointErrorCode, name="PickupPointErrorCode")
PickupPointError = _error_type("PickupPointError", PickupPointErrorCode)


@strawberry.enum
class PickupPointStatus(Enum):
    PENDING = "PENDING"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"


@strawberry.type(description="A community leader's pickup point: the leader's customers collect their orders here.")
class PickupPoint:
    id: strawberry.ID
    store_id: strawberry.ID = strawberry.field(description="The serving store (the leader's).")
    salesperson_id: strawberry.ID = strawberry.field(description="The leader.")
    name: str
    address: str
    longitude: float = strawberry.field(description="WGS-84.")
    latitude: float
    hours: str
    status: PickupPointStatus


@strawberry.type(description="An order sent to one of your pickup points, waiting to be handed over.")
class PickupOrder:
    order_id: strawberry.ID
    number: str
    status: str
    pickup_point_id: strawberry.ID
    created_at: datetime


@strawberry.input
class PickupPointRegisterInput:
    name: str
    address: str
    longitude: float = strawberry.field(description="WGS-84.")
    latitude: float
    hours: str = strawberry.field(description="When customers can collect, as shown to them, e.g. \"daily 16:00-20:00\".")


@strawberry.input
class PickupPointDecideInput:
    id: strawberry.ID
    approve: bool


@strawberry.input
class OrderPickupPointChooseInput:
    order_id: strawberry.ID
    pickup_point_id: strawberry.ID


@strawberry.input
class PickupHandOverInput:
    order_id: strawberry.ID
    code: str = strawberry.field(description="The customer's 6-digit pickup code.")


@strawberry.type
class PickupPointPayload:
    pickup_point: PickupPoint | None = None
    errors: list[PickupPointError] = strawberry.field(default_factory=list)


@strawberry.type
class PickupOrderPayload:
    pickup_order: PickupOrder | None = None
    errors: list[PickupPointError] = strawberry.field(default_factory=list)
