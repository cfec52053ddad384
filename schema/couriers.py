"""GraphQL types of courier partners: quotes, deliveries, their timelines, accounts, policy."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from delivery.couriers.states import DeliveryState
from collections.abc import Iterable
from strawberry import relay
from strawberry.types import Info

from delivery.couriers.errors import CourierErrorCode as DomainCourierErrorCode
from schema.common import Money
from schema.coordinates import CoordinateSystem
from schema.nodes import EncodedIdNode
from schema.store import Location
from geo.coordinates import CoordinateSystem as DomainCoordinateSystem

CourierErrorCode = strawberry.enum(DomainCourierErrorCode, name="CourierErrorCode")


@strawberry.enum
class CourierProvider(Enum):
    DADA = "dada"
    FENGNIAO = "fengniao"
    SF = "sf"
    SHANSONG = "shansong"
    UU = "uu"
    UBER = "uber"
    DOORDASH = "doordash"
    LALAMOVE = "lalamove"
    MEITUAN = "meituan"


# The domain's state machine states, exposed as they are (one list, not a copy to keep in step).
CourierDeliveryState = strawberry.enum(DeliveryState, name="CourierDeliveryState")


@strawberry.enum
class CourierCallMode(Enum):
    OFF = "OFF"
    OWN_FIRST = "OWN_FIRST"
    COURIER_ONLY = "COURIER_ONLY"


@strawberry.enum
class CourierChoice(Enum):
    PREFERENCE = "PREFERENCE"
    CHEAPEST = "CHEAPEST"
    FASTEST = "FASTEST"


@strawberry.type
class CourierError:
    field: str | None
    code: CourierErrorCode
    message: str


@strawberry.type(description="One partner's live quote for an order (fee, ETA, distance), or why there is none.")
class CourierQuote:
    provider: CourierProvider
    fee: Money | None
    eta_seconds: int | None
    distance_meters: int | None
    over_fee_cap: bool
    error: str | None


@strawberry.type(description="One step of a courier delivery: a partner callback, a status poll, or our own action.")
class CourierTimelineEntry:
    source: str = strawberry.field(description="CALLBACK, POLL or MERCHANT")
    partner_code: str
    state: CourierDeliveryState | None
    outcome: str = strawberry.field(description="APPLIED, SAME, STALE, TERMINAL, ILLEGAL, INFO, UNKNOWN_STATUS, TIP, ...")
    occurred_at: datetime | None
    received_at: datetime


@strawberry.type(description="A booking with a courier partner for one order. Fees in the order's currency.")
class CourierDelivery(EncodedIdNode):
    id: relay.NodeID[str]
    order_id: strawberry.ID
    provider: CourierProvider
    state: CourierDeliveryState
    exception: bool = strawberry.field(description="The partner reported a problem, or a cancel/reassignment came after pickup.")
    cancelled_by: str | None
    cancelled_after_pickup: bool
    reason: str
    quote: Money | None
    fee: Money | None
    tip: Money
    cancellation_fee: Money | None = strawberry.field(description="What the partner deducted for the cancellation.")
    rider_name: str | None
    rider_lon_lat: strawberry.Private[tuple[float, float] | None]
    created_at: datetime
    updated_at: datetime
    timeline: list[CourierTimelineEntry]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        from resolvers import couriers

        return await couriers.courier_delivery_nodes(info, node_ids)

    @strawberry.field(description="The partner rider's last position (stored WGS-84; shown in the system asked for).")
    def rider_location(self, system: CoordinateSystem = DomainCoordinateSystem.GCJ02) -> Location | None:
        if self.rider_lon_lat is None:
            return None
        from resolvers.geo_queries import location_in

        return location_in(self.rider_lon_lat, system)


@strawberry.input
class CourierCallInput:
    order_id: strawberry.ID
    provider: CourierProvider | None = strawberry.field(default=None, description="One click on this partner; omit to let the store's policy choose.")
    tip_fen: int = 0


@strawberry.input
class CourierCancelInput:
    delivery_id: strawberry.ID
    reason: str = "merchant cancelled"


@strawberry.input
class CourierTipInput:
    delivery_id: strawberry.ID
    tip_fen: int
    idempotency_key: str


@strawberry.input
class CourierCredentialInput:
    key: str
    value: str


@strawberry.input
class CourierAccountAddInput:
    provider: CourierProvider
    credentials: list[CourierCredentialInput] = strawberry.field(description="The partner's keys (at most 12), sealed at rest, never returned.")
    store_id: strawberry.ID | None = strawberry.field(default=None, description="A store's own contract; omit for the brand's.")


@strawberry.input
class CourierPolicySetInput:
    node_id: strawberry.ID
    mode: CourierCallMode | None = None
    providers: list[CourierProvider] | None = strawberry.field(default=None, description="Enabled partners in order of preference (at most 8).")
    choose: CourierChoice | None = None
    cascade_after_seconds: int | None = None
    fee_cap_fen: int | None = None


@strawberry.type
class CourierDeliveryPayload:
    delivery: CourierDelivery | None = None
    errors: list[CourierError] = strawberry.field(default_factory=list)


@strawberry.type
class CourierAccountAddPayload:
    account_id: strawberry.ID | None = None
    webhook_url: str | None = strawberry.field(default=None, description="Give this URL to the partner. Shown once: it holds the account's secret token.")
    errors: list[CourierError] = strawberry.field(default_factory=list)


@strawberry.type
class CourierPolicy:
    mode: CourierCallMode
    providers: list[CourierProvider]
    choose: CourierChoice
    cascade_after_seconds: int
    fee_cap: Money | None


@strawberry.type
class CourierPolicySetPayload:
    policy: CourierPolicy | None = None
    errors: list[CourierError] = strawberry.field(default_factory=list)
