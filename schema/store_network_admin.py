"""GraphQL types of store network administration: partners, node moves, stores, lifecycle, import."""
from __future__ import annotations

from enum import Enum

import strawberry

from schema.enums import FulfilmentType, StoreStatus
from schema.geo import LocationInput
from schema.store import NetworkNode, Store
from store_network.errors import NetworkErrorCode as DomainNetworkErrorCode

NetworkErrorCode = strawberry.enum(DomainNetworkErrorCode, name="NetworkErrorCode")


@strawberry.type(description="A problem with the input of a store-network mutation.")
class NetworkError:
    field: str | None
    code: NetworkErrorCode
    message: str


@strawberry.enum(description="Kinds of network node.")
class NetworkNodeKind(Enum):
    HQ = "HQ"
    PARTNER = "PARTNER"
    STORE = "STORE"


@strawberry.input
class OpeningHoursInput:
    weekday: int = strawberry.field(description="0 = Monday ... 6 = Sunday")
    opens: str = strawberry.field(description="HH:MM")
    closes: str = strawberry.field(description="HH:MM, or 24:00; before `opens`: the next day")


@strawberry.input
class PartnerCreateInput:
    parent_id: strawberry.ID = strawberry.field(description="HQ or a partner you manage.")
    name: str


@strawberry.input
class PartnerUpdateInput:
    id: strawberry.ID
    name: str


@strawberry.input
class NodeMoveInput:
    node_id: strawberry.ID = strawberry.field(description="A partner (with all below it) or a store.")
    new_parent_id: strawberry.ID = strawberry.field(description="HQ or a partner; you must manage both ends.")


@strawberry.input
class StoreCreateInput:
    parent_id: strawberry.ID = strawberry.field(description="HQ or a partner you manage.")
    code: str
    name: str
    city: str
    address: str
    location: LocationInput = strawberry.field(description="In the system it names (GCJ02 by default); stored as WGS84.")
    district: str = ""
    timezone: str | None = strawberry.field(default=None, description="IANA name; default the brand's.")
    opening_hours: list[OpeningHoursInput] | None = strawberry.field(default=None, description="Give this or `hours`.")
    hours: str | None = strawberry.field(default=None, description='Text form, e.g. "mon-fri 08:00-22:00; sat,sun 09:00-23:00".')
    prep_minutes: int = 10
    delivery_radius_meters: int = 3000
    fulfilment_types: list[FulfilmentType] | None = strawberry.field(default=None, description="Default: all.")
    status: StoreStatus = strawberry.field(default=StoreStatus.OPENING_SOON, description="OPENING_SOON, OPEN or PAUSED.")


@strawberry.input
class StoreStatusSetInput:
    store_id: strawberry.ID
    status: StoreStatus
    expected_status: StoreStatus | None = strawberry.field(
        default=None, description="Compare-and-set: apply only if the store is still in this status (else STATUS_CHANGED)."
    )


@strawberry.input
class StoresImportInput:
    parent_id: strawberry.ID = strawberry.field(description="HQ or a partner you manage: the new stores' parent.")
    csv: str = strawberry.field(
        description="Header code,name,city,district,address,lon,lat,coord_system,timezone,prep_minutes,delivery_radius_m,hours,status "
        "(+ optional fulfilment_types, '|'-separated); at most 5000 rows."
    )


@strawberry.input
class NetworkNodesFilter:
    parent_id: strawberry.ID | None = strawberry.field(default=None, description="Only the direct children of this node.")
    kind: NetworkNodeKind | None = None


@strawberry.input
class ManagedStoresFilter:
    parent_id: strawberry.ID | None = strawberry.field(default=None, description="Only stores anywhere below this node.")
    status: StoreStatus | None = None


@strawberry.type
class PartnerPayload:
    node: NetworkNode | None = None
    errors: list[NetworkError] = strawberry.field(default_factory=list)


@strawberry.type
class NodeMovePayload:
    node: NetworkNode | None = None
    errors: list[NetworkError] = strawberry.field(default_factory=list)


@strawberry.type
class StoreCreatePayload:
    store: Store | None = None
    node: NetworkNode | None = None
    errors: list[NetworkError] = strawberry.field(default_factory=list)


@strawberry.type
class StoreStatusSetPayload:
    store: Store | None = None
    changed: bool | None = strawberry.field(default=None, description="False: the store already had this status (a retry).")
    errors: list[NetworkError] = strawberry.field(default_factory=list)


@strawberry.type(description="One problem on one row of an import (row 1 = the first row after the header).")
class StoreImportRowError:
    row: int
    field: str
    code: NetworkErrorCode
    message: str


@strawberry.type
class StoresImportPayload:
    created: int = 0
    stores: list[Store] = strawberry.field(default_factory=list, description="The first 100 stores created.")
    row_errors: list[StoreImportRowError] = strawberry.field(default_factory=list, description="Nothing is created while there is one.")
    errors: list[NetworkError] = strawberry.field(default_factory=list)
