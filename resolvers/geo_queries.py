"""LBS queries: nearby stores, delivery options, serving store. Thin: the input point goes to
WGS-84 in geo (geo.coordinates.input_point), the tenant's cached geo index answers
(geo.nearest_options / geo.nearby), and the result is translated to schema types."""
from __future__ import annotations

from sqlalchemy import select
from strawberry.types import Info

from commerce.addresses import address_point
from commerce.models import Stock
from core.clock import utc_now
from core.errors import CommonErrorCode, DomainError
from geo.coordinates import CoordinateSystem, LonLat, from_wgs84, input_point
from geo.delivery_options import CartLine, DeliveryOption, choose_serving_store, is_open_at
from geo.errors import GeoInputError
from geo.express_policy_cache import ExpressPolicies, policies_for_index
from geo.index_cache import StoreGeo, TenantGeoIndex, tenant_index
from delivery.promise import express_policies
from geo import zone_lookup
from geo.nearby import Ranked, nearby_page
from resolvers.errors import UserInputError, no_tenant_error
from schema.ids import decode
from resolvers.pagination import build_connection, decode_cursor
from store_network.lifecycle import takes_orders
from schema import geo as types
from schema.common import Connection, Money
from schema.enums import FulfilmentType
from schema.store import Location, Store

MAX_FIRST = 50


def location_in(lon_lat: tuple[float, float], system: CoordinateSystem) -> Location:
    point = from_wgs84(LonLat(*lon_lat), CoordinateSystem(system))
    return Location(longitude=point.lon, latitude=point.lat, system=system)


def polygon_in(polygon: dict | None, system: CoordinateSystem) -> dict | None:
    if polygon is None or CoordinateSystem(system) is CoordinateSystem.WGS84:
        return polygon
    rings = [[list(from_wgs84(LonLat(lon, lat), system).as_tuple()) for lon, lat, *_ in ring] for ring in polygon["coordinates"]]
    return {"type": "Polygon", "coordinates": rings}


def wgs84_point(location: types.LocationInput, field: str = "location") -> LonLat:
    try:
        return input_point(location.longitude, location.latitude, location.system, field)
    except GeoInputError as exc:
        raise UserInputError(exc.message) from None


def _tenant(info: Info) -> int:
    tenant_id = info.context.tenant_id
    if tenant_id is None:
        raise no_tenant_error(info)
    return tenant_id


def _first(first: int | None, default: int = 10) -> int:
    first = default if first is None else first
    if not 1 <= first <= MAX_FIRST:
        raise UserInputError(f"first must be between 1 and {MAX_FIRST}")
    return first


async def _index(info: Info, tenant_id: int) -> TenantGeoIndex:
    reader = info.context.reader
    async with reader.lock:  # the request's read session is shared by sibling resolvers
        return await tenant_index(await reader.session(), tenant_id)


async def _stores(info: Info, ids: list[int]) -> dict[int, Store]:
    rows = await info.context.loaders.store.load_many(ids)
    return {row.id: Store.from_row(row) for row in rows if row is not None}


def _open_now(store: StoreGeo, now) -> bool:
    return store.status == "OPEN" and is_open_at(store.business_hours, store.timezone, now)


async def nearby_stores(
    info: Info, location: types.LocationInput, first: int | None, after: str | None, filter: types.NearbyStoresFilter | None
) -> Connection[types.NearbyStore]:
    """Stores ranked by (estimated road distance, id), a page at a time. The cursor holds the
    last store's (road distance, id): the next page is what ranks after it for the same point."""
    tenant_id, limit = _tenant(info), _first(first)
    point = wgs84_point(location)
    after_key = tuple(decode_cursor(after, [float, int])) if after else None
    index = await _index(info, tenant_id)
    max_distance = None
    if filter and filter.max_distance_meters is not None:
        if not 0 <= filter.max_distance_meters <= 100_000:
            raise UserInputError("maxDistanceMeters must be between 0 and 100000")
        max_distance = float(filter.max_distance_meters)
    now = utc_now()

    def keep(store: StoreGeo) -> bool:
        if not takes_orders(store.status):  # OPENING_SOON, PAUSED and CLOSED stores are not offered
            return False
        if filter and filter.open_now and not _open_now(store, now):
            return False
        return not (filter and filter.fulfilment_type and filter.fulfilment_type.value not in store.fulfilment_types)

    ranked = nearby_page(index, point, limit, zone_lookup.road_provider(), after=after_key, max_distance_m=max_distance, keep=keep)
    page, more = ranked[:limit], ranked[limit:]
    stores = await _stores(info, [r.store.id for r in page])
    page = [r for r in page if r.store.id in stores]  # (a store deleted since the index was built)

    def node_of(row: Ranked) -> types.NearbyStore:
        s = row.store
        return types.NearbyStore(
            store=stores[s.id], distance_meters=round(row.distance_m, 1), road_distance_meters=round(row.key[0], 1),
            is_open_now=_open_now(s, now), fulfilment_types=[FulfilmentType(t) for t in s.fulfilment_types],
        )

    return build_connection(page + more, len(page), after, lambda row: list(row.key), node_of)


# A delivery-options screen shows a handful of stores; judging the nearest 30 (or 3 x
# `first`) keeps a dense metro (hundreds of covering zones per point) to ~100 us. A store
# beyond them can only win on a much shorter preparation time, which we accept.
NEAREST_FOR_OPTIONS = 30
NEAREST_FOR_SERVING = 100  # whole-cart stock can favour a farther store: look wider


async def _options(
    info: Info, location: types.LocationInput | None, address_id: str | None, nearest: int, limit: int | None = None
) -> tuple[TenantGeoIndex, list[DeliveryOption]]:
    """The nearest stores, each judged with the zones of its own that cover the point (none
    -> OUTSIDE_ZONE, so the client can say why rather than show nothing), best first; the
    first `limit` of them. Express follows the same delivery settings as the slot planner,
    so the two screens never disagree. The CPU work is geo.nearest_options (precomputed per
    index build; equal to geo.delivery_options over StoreCandidates, see its tests)."""
    tenant_id = _tenant(info)
    if (location is None) == (address_id is None):
        raise UserInputError("give exactly one of location or addressId")
    point = wgs84_point(location) if location is not None else await _address_point(info, address_id)
    index = await _index(info, tenant_id)
    policies = await _express_policies(info, tenant_id, index)
    engine = index.nearest_options
    near = engine.nearest(point, nearest)
    return index, engine.delivery_options(near, utc_now(), policies, road=zone_lookup.road_provider(), limit=limit)


async def _express_policies(info: Info, tenant_id: int, index: TenantGeoIndex) -> ExpressPolicies:
    """Express follows the same delivery settings as the slot planner; read once per index."""

    async def read() -> ExpressPolicies:
        async with info.context.reader.lock:
            return await express_policies(await info.context.reader.session(), tenant_id, None)

    return await policies_for_index(index, read)


async def _address_point(info: Info, address_id: str) -> LonLat:
    try:
        pk = decode(address_id, "Address", CommonErrorCode, "addressId")
        async with info.context.reader.lock:
            return await address_point(await info.context.reader.session(), info.context.principal, pk)
    except DomainError as exc:
        raise UserInputError(exc.message) from None


def _zone_name(index: TenantGeoIndex, option: DeliveryOption) -> str | None:
    if option.zone_id is None:
        return None
    for zone in index.zones_by_store.get(int(option.store_id), ()):
        if zone.id == option.zone_id:
            return zone.name
    return None


async def _to_types(info: Info, index: TenantGeoIndex, options: list[DeliveryOption]) -> list[types.DeliveryOption]:
    stores = await _stores(info, [int(o.store_id) for o in options])
    return [
        types.DeliveryOption(
            store=stores[int(o.store_id)], serviceable=o.serviceable, tier=o.tier, zone_name=_zone_name(index, o),
            fee=Money.of(o.fee_fen) if o.fee_fen is not None else None, eta_minutes=o.eta_minutes,
            express_possible=o.express_possible, distance_meters=round(o.distance_m, 1),
            road_distance_meters=round(o.road_distance_m, 1), reasons=list(o.reasons),
        )
        for o in options
        if int(o.store_id) in stores
    ]


async def delivery_options_query(info: Info, location: types.LocationInput | None, address_id: str | None, first: int | None) -> list[types.DeliveryOption]:
    limit = _first(first)
    index, options = await _options(info, location, address_id, max(NEAREST_FOR_OPTIONS, 3 * limit), limit)
    return await _to_types(info, index, options)


async def serving_store(info: Info, location: types.LocationInput | None, address_id: str | None, lines: list[types.ServingCartLineInput]) -> types.DeliveryOption | None:
    if not lines or len(lines) > 100:
        raise UserInputError("lines must hold 1-100 entries")
    wanted: list[tuple[int, int]] = []
    for i, line in enumerate(lines):
        try:
            sku = decode(line.sku_id, "Sku", CommonErrorCode, f"lines.{i}.skuId")
        except DomainError as exc:
            raise UserInputError(f"lines.{i}.skuId: {exc.message}") from None
        if not 0 < line.quantity <= 10_000_000:
            raise UserInputError(f"lines.{i}.quantity must be positive")
        wanted.append((sku, line.quantity))
    index, options = await _options(info, location, address_id, NEAREST_FOR_SERVING)
    serviceable = [int(o.store_id) for o in options if o.serviceable]
    stock: dict[str, dict[str, int]] = {}
    if serviceable:
        rows = await info.context.reader.execute(
            select(Stock.store_id, Stock.sku_id, Stock.on_hand - Stock.reserved).where(
                Stock.tenant_id == _tenant(info), Stock.store_id.in_(serviceable), Stock.sku_id.in_({s for s, _ in wanted})
            )
        )
        for store_id, sku_id, available in rows:
            stock.setdefault(str(store_id), {})[str(sku_id)] = int(available)
    best = choose_serving_store(options, [CartLine(str(s), q) for s, q in wanted], stock)
    if best is None:
        return None
    return (await _to_types(info, index, [best]))[0]
