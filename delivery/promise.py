"""DB side of the delivery promise: gather schedule, settings, roster, caps and usage for the
pure planner, answer the slots query, and hold a slot at checkout."""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from delivery import holds
from delivery.errors import SlotErrorCode, SlotKind, SlotReason
from delivery.models import DeliveryClosure, DeliverySettingsRow, Rider, RiderShift, SlotCap, SlotUsage
from delivery.slots import settings as cfg
from delivery.slots import slot_id
from delivery.slots.capacity import EXPRESS_MINUTES, Shift
from delivery.slots.generate import StoreSchedule
from delivery.slots.planner import Fleet, SlotOffer, ZoneFit, find_offer, plan_slots
from geo.coordinates import LonLat
from geo.zone_lookup import zones_for
from store_network.control import ancestor_ids
from store_network.models import NetworkNode, Store

UNAVAILABLE_RIDER_STATUSES = ("BUSY", "SUSPENDED")


async def node_settings(session: AsyncSession, tenant_id: int, node_path: str) -> tuple[cfg.DeliverySettings, tuple]:
    """Effective settings for a node and the closures of it and its ancestors."""
    chain = ancestor_ids(node_path)
    rows = (
        await session.scalars(
            select(DeliverySettingsRow).where(DeliverySettingsRow.tenant_id == tenant_id, DeliverySettingsRow.node_id.in_(chain))
        )
    ).all()
    by_node = {r.node_id: r for r in rows}
    settings = cfg.effective([cfg.from_row(by_node.get(node_id)) for node_id in chain])
    closures = (
        await session.execute(
            select(DeliveryClosure.starts_on, DeliveryClosure.ends_on).where(
                DeliveryClosure.tenant_id == tenant_id, DeliveryClosure.node_id.in_(chain)
            )
        )
    ).all()
    return settings, tuple((a, b) for a, b in closures)


async def store_context(session: AsyncSession, store: Store, path: str) -> tuple[StoreSchedule, cfg.DeliverySettings]:
    settings, closures = await node_settings(session, store.tenant_id, path)
    settings = replace(settings, prep_minutes=store.prep_minutes)  # the store's own picking time
    schedule = StoreSchedule(
        timezone=store.timezone,
        business_hours=store.business_hours,
        status=store.status,
        closures=closures,
        fulfilment_types=frozenset(store.fulfilment_types or ()),
    )
    return schedule, settings


async def load_fleet(session: AsyncSession, store_id: int, start: datetime, end: datetime) -> Fleet:
    """Shifts overlapping [start, end), and caps and usage of slots starting in it."""
    shift_rows = (
        await session.execute(
            select(RiderShift, Rider.status)
            .join(Rider, Rider.id == RiderShift.rider_id)
            .where(RiderShift.store_id == store_id, RiderShift.starts_at < end, RiderShift.ends_at > start)
        )
    ).all()
    # A suspended rider's rostered hours are no capacity: they will not ride them.
    shifts = tuple(
        Shift(s.rider_id, s.starts_at, s.ends_at, status not in UNAVAILABLE_RIDER_STATUSES)
        for s, status in shift_rows
        if status != "SUSPENDED"
    )
    caps = (
        await session.execute(
            select(SlotCap.kind, SlotCap.starts_at, SlotCap.max_units).where(
                SlotCap.store_id == store_id, SlotCap.starts_at >= start, SlotCap.starts_at < end
            )
        )
    ).all()
    used = (
        await session.execute(
            select(SlotUsage.kind, SlotUsage.starts_at, SlotUsage.used_units).where(
                SlotUsage.store_id == store_id, SlotUsage.starts_at >= start, SlotUsage.starts_at < end
            )
        )
    ).all()
    return Fleet(
        shifts=shifts,
        caps={(SlotKind(k), at): n for k, at, n in caps},
        used={(SlotKind(k), at): n for k, at, n in used},
    )


def _fleet_span(now: datetime, window_from: datetime | None, settings: cfg.DeliverySettings) -> tuple[datetime, datetime]:
    # From the current express bucket (it started up to 30 min ago) to the booking horizon.
    start = min(now, window_from or now) - timedelta(minutes=EXPRESS_MINUTES)
    return start, now + timedelta(days=settings.days_ahead + 1)


async def zone_fit(session: AsyncSession, store: Store, point: LonLat | None) -> ZoneFit | None:
    if point is None:
        return None
    match = (await zones_for(session, store.tenant_id, [store.id], point)).get(store.id)
    return ZoneFit(match.tier, match.fee_fen, match.express_allowed) if match else None


async def offers_for(
    session: AsyncSession, store: Store, path: str, kind: SlotKind, point: LonLat | None,
    now: datetime, window_from: datetime | None, days: int | None,
) -> list[SlotOffer]:
    schedule, settings = await store_context(session, store, path)
    fleet = await load_fleet(session, store.id, *_fleet_span(now, window_from, settings))
    zone = await zone_fit(session, store, point) if kind is not SlotKind.PICKUP_60 else None
    return plan_slots(schedule, settings, kind, zone, fleet, now, window_from, days)


@dataclass(frozen=True)
class Hold:
    kind: SlotKind
    key: datetime
    starts_at: datetime
    ends_at: datetime
    units: int
    promised_by: datetime

    def order_fields(self) -> dict:
        return {
            "slot_kind": self.kind.value, "slot_starts_at": self.key, "slot_ends_at": self.ends_at,
            "slot_units": self.units, "slot_state": "HELD", "promised_by": self.promised_by,
        }


_KINDS_FOR = {
    "SAME_CITY_DELIVERY": (SlotKind.EXPRESS_30, SlotKind.SLOT_60),
    "STORE_PICKUP": (SlotKind.PICKUP_60,),
    "EXPRESS_PARCEL": (),
}
_CODE_OF_REASON = {
    SlotReason.CUTOFF_PASSED: SlotErrorCode.SLOT_EXPIRED,
    SlotReason.FULL: SlotErrorCode.SLOT_FULL,
    SlotReason.NO_RIDERS: SlotErrorCode.SLOT_FULL,
}


async def hold_for_checkout(
    session: AsyncSession, store: Store, path: str, fulfilment: str, raw_slot: str | None, point: LonLat | None, now: datetime
) -> Hold | None:
    """Validate the requested slot against the checkout and reserve its units; raises
    DomainError (rolling the checkout back) for anything that does not fit."""
    if raw_slot is None:
        if fulfilment == "SAME_CITY_DELIVERY":
            raise DomainError(SlotErrorCode.SLOT_REQUIRED, "same-city delivery needs a delivery slot", "slotId")
        return None
    ref = slot_id.decode(raw_slot)
    if ref.store_id != store.id:
        # Another store, possibly another tenant's: the same answer either way, so it reveals nothing.
        raise DomainError(SlotErrorCode.SLOT_WRONG_STORE, "this slot belongs to another store", "slotId")
    if ref.kind not in _KINDS_FOR[fulfilment]:
        raise DomainError(SlotErrorCode.SLOT_KIND_MISMATCH, f"a {ref.kind.value} slot cannot be used for {fulfilment}", "slotId")
    if ref.kind is SlotKind.EXPRESS_30:
        # An express offer is good for the half hour it was shown in and the next (grace for
        # a customer who saw it at :29); older ones are stale.
        if not now - timedelta(minutes=2 * EXPRESS_MINUTES) < ref.key <= now:
            raise DomainError(SlotErrorCode.SLOT_EXPIRED, "this express offer has expired; load the slots again", "slotId")
    elif ref.key <= now:
        raise DomainError(SlotErrorCode.SLOT_EXPIRED, "this slot has already started", "slotId")
    schedule, settings = await store_context(session, store, path)
    fleet = await load_fleet(session, store.id, *_fleet_span(now, ref.key, settings))
    zone = await zone_fit(session, store, point) if fulfilment == "SAME_CITY_DELIVERY" else None
    offer = find_offer(schedule, settings, ref.kind, ref.key, zone, fleet, now)
    if offer is None:
        raise DomainError(SlotErrorCode.SLOT_INVALID, "this store offers no such slot", "slotId")
    if offer.reason is SlotReason.OUTSIDE_ZONE:
        raise DomainError(SlotErrorCode.OUTSIDE_DELIVERY_ZONE, "this store does not deliver to the address", "addressId")
    if offer.reason is not None:
        code = _CODE_OF_REASON.get(offer.reason, SlotErrorCode.SLOT_UNAVAILABLE)
        raise DomainError(code, f"this slot cannot be booked: {offer.reason.value}", "slotId")
    if not await holds.reserve(session, store.tenant_id, store.id, offer.kind, offer.key, offer.units, offer.capacity):
        raise DomainError(SlotErrorCode.SLOT_FULL, "this slot has just been fully booked", "slotId")
    if offer.kind is SlotKind.EXPRESS_30:
        promised = now + timedelta(minutes=EXPRESS_MINUTES)  # moved to payment time when paid
        return Hold(offer.kind, offer.key, offer.starts_at, promised, offer.units, promised)
    return Hold(offer.kind, offer.key, offer.starts_at, offer.ends_at, offer.units, offer.ends_at)


async def express_policies(
    session: AsyncSession, tenant_id: int, store_ids: list[int] | None
) -> dict[int, tuple[bool, frozenset[int]]]:
    """Per store (`store_ids`, or None: every store of the tenant): may it promise 30-minute
    express at all, and for which zone tiers.

    The same rule the slot planner applies (settings, tiers, preparation time), batched for a
    delivery-options screen: one query for the stores' paths, one for the settings rows.
    Every input of it bumps geo_index_version (migrations 0002, 0005), which is what lets
    deliveryOptions cache the answer for all stores with the tenant's geo index.
    """
    if store_ids is not None and not store_ids:
        return {}
    query = (
        select(Store.id, Store.prep_minutes, NetworkNode.path)
        .join(NetworkNode, NetworkNode.id == Store.node_id)
        .where(Store.tenant_id == tenant_id)
    )
    if store_ids is not None:
        query = query.where(Store.id.in_(store_ids))
    stores = (await session.execute(query)).all()
    node_ids = {node_id for _, _, path in stores for node_id in ancestor_ids(path)}
    # Only the two express columns, as plain rows (no ORM entities: this runs on every
    # deliveryOptions request). cfg.effective's rule for these two fields: the nearest node
    # that sets a value wins, else DEFAULTS.
    rows = (
        await session.execute(
            select(DeliverySettingsRow.node_id, DeliverySettingsRow.express_enabled, DeliverySettingsRow.express_tiers).where(
                DeliverySettingsRow.tenant_id == tenant_id, DeliverySettingsRow.node_id.in_(node_ids)
            )
        )
    ).all()
    by_node = {node_id: (enabled, tiers) for node_id, enabled, tiers in rows}
    policies = {}
    for store_id, prep_minutes, path in stores:
        express_enabled, express_tiers = cfg.DEFAULTS.express_enabled, cfg.DEFAULTS.express_tiers
        for node_id in ancestor_ids(path):  # root first: later (nearer) nodes override
            own = by_node.get(node_id)
            if own is not None:
                if own[0] is not None:
                    express_enabled = own[0]
                if own[1] is not None:
                    express_tiers = tuple(own[1])  # cfg.from_row
        enabled = bool(express_enabled) and prep_minutes < EXPRESS_MINUTES
        policies[store_id] = (enabled, frozenset(express_tiers or ()))
    return policies
