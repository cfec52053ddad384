"""The chain's own riders as store managers see and edit them (delivery/riders.py)."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.types import Info

from schema.nodes import EncodedIdNode

from schema.delivery import DeliveryError
from schema.dispatch import RiderStatus


@strawberry.enum
class RiderVehicle(Enum):
    E_BIKE = "E_BIKE"
    BICYCLE = "BICYCLE"
    MOTORCYCLE = "MOTORCYCLE"
    CAR = "CAR"
    ON_FOOT = "ON_FOOT"


@strawberry.type(description="A rider of the chain's own fleet. AVAILABLE and BUSY follow the rider's shift and tasks.")
class Rider(EncodedIdNode):
    id: relay.NodeID[str]
    name: str
    mobile: str = strawberry.field(description="E.164 (+86...); the rider signs in with a code sent to it.")
    status: RiderStatus
    home_store_id: strawberry.ID
    capacity: int = strawberry.field(description="Orders the rider can carry at once.")
    vehicle: RiderVehicle
    created_at: datetime

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        from resolvers import nodes

        return await nodes.riders(info, node_ids)


@strawberry.input(description="Mobile numbers are normalised (+86...) and unique in the brand.")
class RiderCreateInput:
    home_store_id: strawberry.ID
    name: str
    mobile: str
    capacity: int = 6
    vehicle: RiderVehicle = RiderVehicle.E_BIKE


@strawberry.input(description="Omitted fields are unchanged. suspended: true takes the rider off dispatch (refused while they carry orders); false reinstates them.")
class RiderUpdateInput:
    id: strawberry.ID
    name: str | None = None
    mobile: str | None = None
    home_store_id: strawberry.ID | None = None
    capacity: int | None = None
    vehicle: RiderVehicle | None = None
    suspended: bool | None = None


@strawberry.type
class RiderPayload:
    rider: Rider | None = None
    errors: list[DeliveryError] = strawberry.field(default_factory=list)
