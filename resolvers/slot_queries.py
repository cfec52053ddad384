"""Delivery-promise queries: slots for a store and location, settings, roster; Order fields."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from auth.roles import Permission, PrincipalKind
from commerce.addresses import address_point
from core.clock import utc_now
from core.errors import DomainError
from delivery import pickup_codes, promise, roster
from delivery.errors import DeliveryErrorCode as Codes
from delivery.errors import SlotKind
from delivery.models import PickupCode as PickupCodeRow
from delivery.slots import settings as cfg
from delivery.slots import slot_id
from geo.coordinates import LonLat, input_point
from geo.errors import GeoInputError
from schema import ids
from resolvers.errors import UserInputError, payload_errors
from schema import delivery as types
from schema.common import Money
from store_network.access import load_node, load_store
from store_network.models import Tenant

MAX_DAYS = 30


async def delivery_slots(
    info: Info, store_id: strawberry.ID, fulfilment_type, location, address_id, from_, days
) -> types.DeliverySlotList:
    principal = info.context.principal
    try:
        if from_ is not None and (from_.tzinfo is None or from_.utcoffset() is None):
            raise DomainError(Codes.INVALID, "from needs a timezone offset", "from")
        if days is not None and not 1 <= days <= MAX_DAYS:
            raise DomainError(Codes.INVALID, f"days must be between 1 and {MAX_DAYS}", "days")
        pickup = fulfilment_type.value == "STORE_PICKUP"
        if fulfilment_type.value == "EXPRESS_PARCEL":
            raise DomainError(Codes.INVALID, "express parcels are not booked in slots", "fulfilmentType")
        if not pickup and (location is None) == (address_id is None):
            raise DomainError(Codes.INVALID, "give exactly one of location or addressId", "location")
        store_pk = ids.decode(store_id, "Store", Codes, "storeId")
        async with info.context.database.read() as session:
            store, path = await load_store(session, principal, store_pk, Codes)
            point = None
            if not pickup:
                point = await _point(session, principal, location, address_id)
            now = utc_now()
            kind = SlotKind.PICKUP_60 if pickup else SlotKind.SLOT_60
            offers = await promise.offers_for(session, store, path, kind, point, now, from_, days)
            currency = await session.scalar(select(Tenant.currency).where(Tenant.id == store.tenant_id))
    except DomainError as exc:
        return types.DeliverySlotList(errors=payload_errors(exc, types.DeliveryError, Codes))
    zone = ZoneInfo(store.timezone)
    return types.DeliverySlotList(
        timezone=store.timezone,
        slots=[
            types.DeliverySlot(
                id=strawberry.ID(slot_id.encode(store.id, o.kind, o.key)),
                kind=o.kind,
                starts_at=o.starts_at.astimezone(zone),
                ends_at=o.ends_at.astimezone(zone),
                cutoff_at=o.cutoff_at.astimezone(zone) if o.cutoff_at else None,
                fee=Money.of(o.fee_fen, currency),
                capacity=o.capacity,
                remaining_capacity=o.remaining,
                units_required=o.units,
                available=o.available,
                reason=o.reason,
            )
            for o in offers
        ],
    )


async def _point(session, principal, location, address_id) -> LonLat:
    if location is not None:
        try:
            return input_point(location.longitude, location.latitude, location.system, "location")
        except GeoInputError as exc:
            raise DomainError(Codes.INVALID, exc.message, "location") from None
    return await address_point(session, principal, ids.decode(address_id, "Address", Codes, "addressId"))


def _values(s: cfg.DeliverySettings) -> types.DeliverySettingsValues:
    weights = None if s.tier_weights is None else [types.TierWeight(tier=int(t), units=u) for t, u in sorted(s.tier_weights.items())]
    return types.DeliverySettingsValues(
        express_enabled=s.express_enabled,
        express_tiers=list(s.express_tiers) if s.express_tiers is not None else None,
        slot_minutes=s.slot_minutes,
        cutoff_minutes=s.cutoff_minutes,
        days_ahead=s.days_ahead,
        deliveries_per_rider_hour=s.deliveries_per_rider_hour,
        tier_weights=weights,
        pickup_orders_per_slot=s.pickup_orders_per_slot,
    )


async def settings_of(session, node) -> types.DeliverySettings:
    from delivery.models import DeliveryClosure, DeliverySettingsRow

    own = await session.scalar(select(DeliverySettingsRow).where(DeliverySettingsRow.node_id == node.id))
    effective, _ = await promise.node_settings(session, node.tenant_id, node.path)
    from store_network.control import ancestor_ids

    closures = (
        await session.scalars(
            select(DeliveryClosure)
            .where(DeliveryClosure.tenant_id == node.tenant_id, DeliveryClosure.node_id.in_(ancestor_ids(node.path)))
            .order_by(DeliveryClosure.starts_on, DeliveryClosure.id)
        )
    ).all()
    return types.DeliverySettings(
        node_id=strawberry.ID(ids.encode("NetworkNode", node.id)),
        own=_values(cfg.from_row(own)),
        effective=_values(effective),
        closures=[types.DeliveryClosure(starts_on=c.starts_on, ends_on=c.ends_on, reason=c.reason) for c in closures],
    )


async def delivery_settings(info: Info, node_id: strawberry.ID) -> types.DeliverySettings | None:
    """Staff with MANAGE_DELIVERY over the node; anyone else sees null."""
    principal = info.context.principal
    try:
        pk = ids.decode(node_id, "NetworkNode", Codes, "nodeId")
        async with info.context.database.read() as session:
            node = await load_node(session, principal, pk, Codes, "nodeId")
            if not principal.can(Permission.MANAGE_DELIVERY, node.path):
                return None
            return await settings_of(session, node)
    except DomainError:
        return None


def shift_type(row) -> types.RiderShift:
    return types.RiderShift(
        id=strawberry.ID(ids.encode("RiderShift", row.id)),
        rider_id=strawberry.ID(ids.encode("Rider", row.rider_id)),
        store_id=strawberry.ID(ids.encode("Store", row.store_id)),
        starts_at=row.starts_at,
        ends_at=row.ends_at,
    )


async def rider_shifts(info: Info, store_id: strawberry.ID, from_: datetime | None, days: int | None) -> list[types.RiderShift]:
    principal = info.context.principal
    try:
        pk = ids.decode(store_id, "Store", Codes, "storeId")
        start = from_ or utc_now()
        if start.tzinfo is None:
            raise UserInputError("from needs a timezone offset")
        async with info.context.database.read() as session:
            await load_store(session, principal, pk, Codes, Permission.MANAGE_DELIVERY)
            rows = await roster.shifts_for_store(session, pk, start, start + timedelta(days=min(max(days or 7, 1), MAX_DAYS)))
    except DomainError:
        return []
    return [shift_type(r) for r in rows]


async def pickup_code_of(info: Info, order_id: int, customer_id: int) -> types.PickupCode | None:
    """Only the order's own customer sees the code: staff must get it from the customer."""
    principal = info.context.principal
    if principal.kind is not PrincipalKind.CUSTOMER or principal.customer_id != customer_id:
        return None
    async with info.context.database.read() as session:
        row = await session.scalar(select(PickupCodeRow).where(PickupCodeRow.order_id == order_id))
    if row is None:
        return None
    key = pickup_codes.pickup_key(info.context.services.settings.secret_key)
    code = pickup_codes.code_for(key, row.nonce)
    return types.PickupCode(
        code=code, qr_payload=pickup_codes.qr_payload(key, row.order_id, row.store_id, code), issued_at=row.issued_at, used_at=row.used_at
    )
