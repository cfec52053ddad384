"""Dispatch types: the staff board, delivery tasks, the rider's side, live tracking."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from schema.nodes import EncodedIdNode

from delivery.board import errors as board_errors
from geo.coordinates import CoordinateSystem as DomainCoordinateSystem
from schema.common import _error_type
from schema.coordinates import CoordinateSystem
from schema.enums import OrderStatus
from schema.store import Location

if TYPE_CHECKING:
    from schema.orders import Order

DispatchErrorCode = strawberry.enum(board_errors.DispatchErrorCode, name="DispatchErrorCode")
DispatchError = _error_type("DispatchError", DispatchErrorCode)


@strawberry.enum(description="Where an order is in dispatch. UNASSIGNED: waiting for a rider (the engine or staff will "
                 "assign one). HANDED_TO_COURIER: the engine gave it to a courier partner.")
class DispatchState(Enum):
    UNASSIGNED = "UNASSIGNED"
    ASSIGNED = "ASSIGNED"
    ACCEPTED = "ACCEPTED"
    AT_STORE = "AT_STORE"
    PICKED_UP = "PICKED_UP"
    HANDED_TO_COURIER = "HANDED_TO_COURIER"


@strawberry.enum(description="A delivery task's state, from the rider's assignment to the door.")
class DeliveryTaskState(Enum):
    ASSIGNED = "ASSIGNED"
    ACCEPTED = "ACCEPTED"
    AT_STORE = "AT_STORE"
    PICKED_UP = "PICKED_UP"
    DELIVERED = "DELIVERED"
    REJECTED = "REJECTED"
    RELEASED = "RELEASED"
    CANCELLED = "CANCELLED"
    HANDED_TO_COURIER = "HANDED_TO_COURIER"


@strawberry.enum
class RiderStatus(Enum):
    OFF_SHIFT = "OFF_SHIFT"
    AVAILABLE = "AVAILABLE"
    BUSY = "BUSY"
    SUSPENDED = "SUSPENDED"


@strawberry.enum
class RouteStopKind(Enum):
    PICKUP = "PICKUP"
    DELIVERY = "DELIVERY"


@strawberry.enum
class TrackingEventKind(Enum):
    SNAPSHOT = "SNAPSHOT"
    POSITION = "POSITION"
    STATUS = "STATUS"


@strawberry.type(description="A rider's last reported position (stored WGS-84; shown in the system asked for).")
class RiderPosition:
    lon_lat: strawberry.Private[tuple[float, float]]
    at: datetime
    accuracy_meters: float | None

    @strawberry.field
    def location(self, system: CoordinateSystem = DomainCoordinateSystem.WGS84) -> Location:
        from resolvers.geo_queries import location_in

        return location_in(self.lon_lat, system)


@strawberry.type(description="One rider's assignment of one order (or the engine's courier hand-off).")
class DeliveryTask(EncodedIdNode):
    id: relay.NodeID[str]
    order_id: strawberry.ID
    order_number: str
    rider_id: strawberry.ID | None
    state: DeliveryTaskState
    pinned: bool = strawberry.field(description="Assigned by staff: the engine plans around it and never moves it.")
    assigned_by: str = strawberry.field(description="ENGINE, STAFF or API_KEY")
    assigned_at: datetime
    accepted_at: datetime | None
    arrived_at: datetime | None
    picked_up_at: datetime | None
    ended_at: datetime | None
    reason: str

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        from resolvers import nodes

        return await nodes.delivery_tasks(info, node_ids)


@strawberry.type
class RouteStop:
    order_id: strawberry.ID
    order_number: str | None
    kind: RouteStopKind
    eta: datetime | None


@strawberry.type
class BoardOrder:
    order_id: strawberry.ID
    number: str
    order_status: OrderStatus
    dispatch_state: DispatchState
    promised_by: datetime | None
    seconds_left: int | None = strawberry.field(description="Seconds until the promise; negative once late.")
    task: DeliveryTask | None
    suggested_rider_id: strawberry.ID | None = strawberry.field(description="The engine's latest plan for this order.")
    suggested_pickup_at: datetime | None
    suggested_delivery_at: datetime | None
    order_pk: strawberry.Private[int]

    @strawberry.field
    async def order(self, info: strawberry.Info) -> Annotated["Order", strawberry.lazy("schema.orders")] | None:
        from resolvers.orders import visible_orders

        return (await visible_orders(info, [self.order_pk]))[0]


@strawberry.type
class BoardLane:
    state: DispatchState
    orders: list[BoardOrder]


@strawberry.type
class BoardRider:
    id: strawberry.ID
    name: str
    mobile: str
    status: RiderStatus
    capacity: int
    position: RiderPosition | None
    route: list[DeliveryTask] = strawberry.field(description="Current route: the rider's active tasks, oldest first.")
    suggested_route: list[RouteStop] = strawberry.field(description="The engine's latest plan for this rider.")


@strawberry.type
class SuggestedHandoff:
    order_id: strawberry.ID
    reason: str


@strawberry.type(description="The latest engine run of the store's city partition.")
class DispatchSuggestion:
    planned_at: datetime
    status: str
    objective: int
    solve_ms: float
    open_orders: int
    committed: int
    handed_off: int
    unassigned: list[SuggestedHandoff] = strawberry.field(description="This store's orders the plan would hand to a courier.")


@strawberry.type
class DispatchBoard:
    store_id: strawberry.ID
    generated_at: datetime
    partition: str
    orders: list[BoardOrder] = strawberry.field(description="Waiting and on-the-way orders, most urgent promise first.")
    lanes: list[BoardLane] = strawberry.field(description="The same orders grouped by dispatch state.")
    riders: list[BoardRider]
    suggestion: DispatchSuggestion | None


@strawberry.type(description="A task as its rider sees it: where to collect and where to deliver.")
class RiderTask:
    task: DeliveryTask
    order_status: OrderStatus
    promised_by: datetime | None
    seconds_left: int | None
    store_name: str
    store_address: str
    store_lon_lat: strawberry.Private[tuple[float, float]]
    recipient: str | None
    recipient_mobile: str | None
    address_line: str | None
    drop_lon_lat: strawberry.Private[tuple[float, float] | None]

    @strawberry.field
    def store_location(self, system: CoordinateSystem = DomainCoordinateSystem.GCJ02) -> Location:
        from resolvers.geo_queries import location_in

        return location_in(self.store_lon_lat, system)

    @strawberry.field
    def drop_location(self, system: CoordinateSystem = DomainCoordinateSystem.GCJ02) -> Location | None:
        from resolvers.geo_queries import location_in

        return location_in(self.drop_lon_lat, system) if self.drop_lon_lat else None


@strawberry.type
class RiderSelf:
    id: strawberry.ID
    name: str
    status: RiderStatus


@strawberry.type(description="The customer's code for the rider at the door. Visible to the order's customer only.")
class DeliveryProof:
    code: str
    used_at: datetime | None


@strawberry.type(description="Live tracking of one order: first a SNAPSHOT, then POSITION and STATUS events.")
class TrackingEvent:
    kind: TrackingEventKind
    order_id: strawberry.ID
    order_status: OrderStatus | None
    task_state: DeliveryTaskState | None
    rider_id: strawberry.ID | None
    position: Location | None = strawberry.field(description="In the coordinate system asked for (default GCJ02).")
    at: datetime


# --- inputs and payloads -------------------------------------------------------------------


@strawberry.input
class DispatchNowInput:
    order_id: strawberry.ID


@strawberry.input
class DispatchAssignInput:
    order_id: strawberry.ID
    rider_id: strawberry.ID


@strawberry.input
class DispatchUnassignInput:
    order_id: strawberry.ID


@strawberry.input
class RiderLoginInput:
    mobile: str
    code: str


@strawberry.input
class RiderTaskInput:
    order_id: strawberry.ID


@strawberry.input
class RiderTaskRejectInput:
    order_id: strawberry.ID
    reason: str = ""


@strawberry.input
class RiderDeliverInput:
    order_id: strawberry.ID
    proof_code: str


@strawberry.input(description="One GPS fix. `system` defaults to GCJ02 like every location input; `at` defaults to now.")
class RiderPositionInput:
    longitude: float
    latitude: float
    system: CoordinateSystem = DomainCoordinateSystem.GCJ02
    at: datetime | None = None
    accuracy_meters: float | None = None


@strawberry.input(description="Up to 50 fixes, at most one batch every 2 seconds per rider.")
class RiderPositionReportInput:
    positions: list[RiderPositionInput]


@strawberry.input
class RiderShiftInput:
    note: str = ""


@strawberry.type
class DispatchTaskPayload:
    task: DeliveryTask | None = None
    errors: list[DispatchError] = strawberry.field(default_factory=list)


@strawberry.type
class RiderTaskPayload:
    task: RiderTask | None = None
    errors: list[DispatchError] = strawberry.field(default_factory=list)


@strawberry.type
class RiderShiftStatusPayload:
    rider: RiderSelf | None = None
    errors: list[DispatchError] = strawberry.field(default_factory=list)


@strawberry.type
class RiderPositionReportPayload:
    accepted: int = 0
    errors: list[DispatchError] = strawberry.field(default_factory=list)
