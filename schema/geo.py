"""LBS types: coordinate systems, locations, nearby stores, delivery options and zones.

Coordinate systems: every location input says which system it is in (`system`), and the
default for *inputs* is GCJ02, because that is what our main clients send (WeChat
mini-programs with `type: 'gcj02'`, Amap and Tencent SDKs). Outputs are WGS84 unless a
`system` argument asks otherwise, and always say which system they are in. Storage is
WGS-84; conversion happens once, at this edge (geo.coordinates).
"""
from __future__ import annotations

from collections.abc import Iterable

import strawberry
from strawberry import relay
from strawberry.types import Info

from schema.nodes import EncodedIdNode
from strawberry.scalars import JSON

from geo.coordinates import CoordinateSystem as DomainCoordinateSystem
from geo.delivery_options import UnavailableReason
from geo.zone_admin import ZoneErrorCode as DomainZoneErrorCode
from schema.common import Money, _error_type
from schema.coordinates import CoordinateSystem
from schema.enums import FulfilmentType
from schema.store import Store

DeliveryUnavailableReason = strawberry.enum(UnavailableReason, name="DeliveryUnavailableReason")
ZoneErrorCode = strawberry.enum(DomainZoneErrorCode, name="ZoneErrorCode")
ZoneError = _error_type("ZoneError", ZoneErrorCode)


@strawberry.input(description="A point. `system` defaults to GCJ02, what mini-programs and Amap/Tencent SDKs send.")
class LocationInput:
    longitude: float
    latitude: float
    system: CoordinateSystem = DomainCoordinateSystem.GCJ02


@strawberry.input
class NearbyStoresFilter:
    open_now: bool | None = strawberry.field(default=None, description="Only stores open at this moment.")
    fulfilment_type: FulfilmentType | None = None
    max_distance_meters: int | None = strawberry.field(default=None, description="Straight-line limit.")


@strawberry.input
class ServingCartLineInput:
    sku_id: strawberry.ID
    quantity: int


@strawberry.type
class NearbyStore:
    store: Store
    distance_meters: float = strawberry.field(description="Straight line (great circle).")
    road_distance_meters: float = strawberry.field(description="Estimated road distance: straight line x the city's detour factor.")
    is_open_now: bool
    fulfilment_types: list[FulfilmentType]


@strawberry.type
class DeliveryOption:
    store: Store
    serviceable: bool
    tier: int | None
    zone_name: str | None
    fee: Money | None
    eta_minutes: int | None = strawberry.field(description="Promise (p90): preparation + ride at the city's hourly speed + pad.")
    express_possible: bool = strawberry.field(description="30-minute express can be promised.")
    distance_meters: float
    road_distance_meters: float
    reasons: list[DeliveryUnavailableReason] = strawberry.field(
        description="Why it cannot deliver (OUTSIDE_ZONE, STORE_CLOSED, ...) or why express is not possible."
    )


@strawberry.type
class FeeBand:
    up_to_meters: int | None = strawberry.field(description="Inclusive; null = no limit.")
    fee: Money


@strawberry.type(description="Fee on the estimated road distance: distance bands, or base plus every started km beyond includedMeters.")
class FeeRule:
    kind: str = strawberry.field(description="DISTANCE_BANDS or BASE_PLUS_PER_KM")
    bands: list[FeeBand] | None = None
    base: Money | None = None
    included_meters: int | None = None
    per_km: Money | None = None
    max_distance_meters: int | None = None


@strawberry.input
class FeeBandInput:
    up_to_meters: int | None = strawberry.field(default=None, description="Inclusive; null = no limit (last band only).")
    fee: str = strawberry.field(description="Decimal yuan, e.g. \"4.00\".")


@strawberry.input(description="Give `bands`, or `base` and `perKm` (with includedMeters, optional maxDistanceMeters).")
class FeeRuleInput:
    bands: list[FeeBandInput] | None = None
    base: str | None = None
    included_meters: int = 0
    per_km: str | None = None
    max_distance_meters: int | None = None


@strawberry.type
class DeliveryZone(EncodedIdNode):
    id: relay.NodeID[str]
    store_id: strawberry.ID
    tier: int
    name: str
    kind: str = strawberry.field(description="RADIUS or POLYGON")
    radius_meters: float | None
    fee_rule: FeeRule
    express_allowed: bool
    polygon_wgs84: strawberry.Private[dict | None]

    @strawberry.field(description="GeoJSON Polygon in the requested system (null for radius zones).")
    def polygon(self, system: CoordinateSystem = DomainCoordinateSystem.WGS84) -> JSON | None:
        from resolvers.geo_queries import polygon_in

        return polygon_in(self.polygon_wgs84, system)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        from resolvers import nodes

        return await nodes.delivery_zones(info, node_ids)


@strawberry.input(description="A radius (metres around the store) or a GeoJSON Polygon in `system` (default GCJ02).")
class DeliveryZoneCreateInput:
    store_id: strawberry.ID
    tier: int = 1
    name: str | None = None
    radius_meters: float | None = None
    polygon: JSON | None = None
    system: CoordinateSystem = DomainCoordinateSystem.GCJ02
    fee_rule: FeeRuleInput
    express_allowed: bool = False


@strawberry.input
class DeliveryZoneUpdateInput:
    id: strawberry.ID
    tier: int | None = None
    name: str | None = None
    radius_meters: float | None = None
    polygon: JSON | None = None
    system: CoordinateSystem = DomainCoordinateSystem.GCJ02
    fee_rule: FeeRuleInput | None = None
    express_allowed: bool | None = None


@strawberry.input
class DeliveryZoneDeleteInput:
    id: strawberry.ID


@strawberry.type
class DeliveryZonePayload:
    zone: DeliveryZone | None = None
    errors: list[ZoneError] = strawberry.field(default_factory=list)


@strawberry.type
class DeliveryZoneDeletePayload:
    deleted_id: strawberry.ID | None = None
    errors: list[ZoneError] = strawberry.field(default_factory=list)
