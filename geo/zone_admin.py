"""Staff create, update and delete delivery zones within their MANAGE_DELIVERY scope.

Tenant isolation and scope come from store_network.access.load_store: another brand's
store or zone is NOT_FOUND; a store outside the staff member's subtree is
PERMISSION_DENIED. Shape and fee input errors are GeoInputError with a field path into
the mutation input, in its names (``polygon.coordinates[0][3]``, ``feeRule.bands[1].upToMeters``).
The geo_index_version bump happens in the database trigger, in this same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from auth.roles import Permission, Principal
from core.errors import DomainError
from geo.coordinates import CoordinateSystem, LonLat
from geo.distance import haversine_m
from geo.errors import GeoErrorCode, GeoInputError
from geo.models import DeliveryZoneRow
from geo.zone_rules import fee_rule_to_json, parse_fee_rule
from geo.zones import RadiusShape, parse_geojson_polygon
from store_network.access import load_store, require_tenant
from store_network.models import Store

MAX_TIER = 9
# Same-city delivery in 30-60 minutes: no part of a zone may lie farther than this from its
# store. A polygon beyond it is almost always drawn around the wrong store or city, or in the
# wrong coordinate system (a BD-09 polygon sent as WGS-84 is off by a few hundred metres and
# passes; one pasted with lon/lat swapped lands thousands of km away and does not).
MAX_ZONE_REACH_M = 50_000.0


class ZoneErrorCode(str, Enum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    PERMISSION_DENIED = "PERMISSION_DENIED"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    COORDINATE_OUT_OF_RANGE = GeoErrorCode.COORDINATE_OUT_OF_RANGE.value
    INVALID_GEOJSON = GeoErrorCode.INVALID_GEOJSON.value
    RING_NOT_CLOSED = GeoErrorCode.RING_NOT_CLOSED.value
    TOO_FEW_POSITIONS = GeoErrorCode.TOO_FEW_POSITIONS.value
    SELF_INTERSECTING = GeoErrorCode.SELF_INTERSECTING.value
    INVALID_GEOMETRY = GeoErrorCode.INVALID_GEOMETRY.value
    ZONE_TOO_LARGE = GeoErrorCode.ZONE_TOO_LARGE.value
    ZONE_TOO_SMALL = GeoErrorCode.ZONE_TOO_SMALL.value
    TOO_MANY_VERTICES = GeoErrorCode.TOO_MANY_VERTICES.value
    ZONE_TOO_FAR_FROM_STORE = GeoErrorCode.ZONE_TOO_FAR_FROM_STORE.value
    INVALID_ZONE = GeoErrorCode.INVALID_ZONE.value


@dataclass
class ZoneInput:
    """Fields of a create (all that apply) or an update (None = unchanged)."""

    tier: int | None = None
    name: str | None = None
    radius_m: float | None = None
    polygon: Any = None  # GeoJSON object or string
    system: CoordinateSystem = CoordinateSystem.GCJ02
    fee_rule: dict | None = None
    express_allowed: bool | None = None


def _apply(row: DeliveryZoneRow, data: ZoneInput, creating: bool, store_location: LonLat) -> None:
    if data.radius_m is not None and data.polygon is not None:
        raise GeoInputError(GeoErrorCode.INVALID_ZONE, "radiusMeters", "give either radiusMeters or polygon, not both")
    if creating and data.radius_m is None and data.polygon is None:
        raise GeoInputError(GeoErrorCode.INVALID_ZONE, "radiusMeters", "a zone needs radiusMeters or polygon")
    if data.tier is not None:
        if isinstance(data.tier, bool) or not 1 <= data.tier <= MAX_TIER:
            raise GeoInputError(GeoErrorCode.INVALID_ZONE, "tier", f"tier must be 1-{MAX_TIER} (1 = innermost)")
        row.tier = data.tier
    elif creating:
        row.tier = 1
    if data.name is not None:
        name = data.name.strip()
        if not name or len(name) > 100:
            raise GeoInputError(GeoErrorCode.INVALID_ZONE, "name", "name must be 1-100 characters")
        row.name = name
    elif creating:
        row.name = f"tier {row.tier}"
    if data.radius_m is not None:
        try:
            RadiusShape(data.radius_m)  # validates range and area
        except GeoInputError as exc:
            raise GeoInputError(exc.code, "radiusMeters", exc.message) from None
        # The circle is around the store, so its system is irrelevant; store it plainly.
        row.kind, row.radius_m, row.polygon = "RADIUS", float(data.radius_m), None
    if data.polygon is not None:
        shape = parse_geojson_polygon(data.polygon, data.system, field="polygon")
        reach = max(haversine_m(store_location, LonLat(x, y)) for x, y in shape.geometry.exterior.coords)
        if reach > MAX_ZONE_REACH_M:
            raise GeoInputError(
                GeoErrorCode.ZONE_TOO_FAR_FROM_STORE, "polygon",
                f"the polygon reaches {reach / 1000:.1f} km from the store; at most {MAX_ZONE_REACH_M / 1000:.0f} km "
                "(check the store, the coordinate system and the longitude/latitude order)",
            )
        # Stored in WGS-84 whatever the client sent; PostGIS derives `area` from this JSON.
        row.kind, row.radius_m, row.polygon = "POLYGON", None, _plain(shape.to_geojson())
    if data.fee_rule is not None:
        row.fee_rule = fee_rule_to_json(parse_fee_rule(data.fee_rule, "feeRule"))
    elif creating:
        raise GeoInputError(GeoErrorCode.INVALID_ZONE, "feeRule", "feeRule is required")
    if data.express_allowed is not None:
        row.express_allowed = bool(data.express_allowed)
    elif creating:
        row.express_allowed = False


def _plain(value: Any) -> Any:
    """shapely's mapping() uses tuples; JSON columns should hold lists."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


async def create_zone(session: AsyncSession, principal: Principal, store_id: int, data: ZoneInput) -> DeliveryZoneRow:
    store, _ = await load_store(session, principal, store_id, ZoneErrorCode, Permission.MANAGE_DELIVERY)
    row = DeliveryZoneRow(tenant_id=store.tenant_id, store_id=store.id)
    _apply(row, data, creating=True, store_location=LonLat(store.lon, store.lat))
    session.add(row)
    await session.flush()
    return row


async def _load_zone(session: AsyncSession, principal: Principal, zone_id: int) -> tuple[DeliveryZoneRow, Store]:
    tenant_id = require_tenant(principal, ZoneErrorCode)
    row = await session.scalar(
        select(DeliveryZoneRow).where(DeliveryZoneRow.id == zone_id, DeliveryZoneRow.tenant_id == tenant_id)
    )
    if row is None:
        raise DomainError(ZoneErrorCode.NOT_FOUND, "delivery zone not found", "id")
    store, _ = await load_store(session, principal, row.store_id, ZoneErrorCode, Permission.MANAGE_DELIVERY, field="id")
    return row, store


async def update_zone(session: AsyncSession, principal: Principal, zone_id: int, data: ZoneInput) -> DeliveryZoneRow:
    row, store = await _load_zone(session, principal, zone_id)
    _apply(row, data, creating=False, store_location=LonLat(store.lon, store.lat))
    await session.flush()
    return row


async def delete_zone(session: AsyncSession, principal: Principal, zone_id: int) -> int:
    row, _ = await _load_zone(session, principal, zone_id)
    await session.delete(row)
    await session.flush()
    return zone_id
