"""Delivery-promise mutations: settings, roster shifts, slot caps, pickup-code verification."""
from __future__ import annotations

import strawberry
from strawberry.types import Info

from core.clock import utc_now
from core.errors import DomainError
from delivery import admin, pickup_codes, roster
from delivery.errors import DeliveryErrorCode as Codes
from schema import ids
from resolvers.mutation_support import guarded, in_transaction
from resolvers.slot_queries import settings_of, shift_type
from schema import delivery as types
from schema.orders import Order

_SETTINGS_FIELDS = (
    "express_enabled", "express_tiers", "slot_minutes", "cutoff_minutes",
    "days_ahead", "deliveries_per_rider_hour", "pickup_orders_per_slot",
)


async def delivery_settings_set(info: Info, input: types.DeliverySettingsSetInput) -> types.DeliverySettingsPayload:
    principal = info.context.principal

    async def work(session):
        node_id = ids.decode(input.node_id, "NetworkNode", Codes, "nodeId")
        changes = {name: getattr(input, name) for name in _SETTINGS_FIELDS if getattr(input, name) is not strawberry.UNSET}
        if input.tier_weights is not strawberry.UNSET:
            weights = input.tier_weights
            if weights is not None and len({w.tier for w in weights}) != len(weights):
                raise DomainError(Codes.INVALID, "each tier appears once", "tierWeights")
            changes["tier_weights"] = None if weights is None else {w.tier: w.units for w in weights}
        if changes.get("express_tiers") is not None:
            changes["express_tiers"] = tuple(changes["express_tiers"])
        closures = None
        if input.closures is not strawberry.UNSET:
            closures = [(c.starts_on, c.ends_on, c.reason) for c in input.closures or []]
        node = await admin.set_node_settings(session, principal, node_id, changes, closures, utc_now())
        return {"settings": await settings_of(session, node)}

    return await in_transaction(info, types.DeliverySettingsPayload, types.DeliveryError, Codes, work)


async def rider_shift_add(info: Info, input: types.RiderShiftAddInput) -> types.RiderShiftPayload:
    principal = info.context.principal

    async def work(session):
        rider_id = ids.decode(input.rider_id, "Rider", Codes, "riderId")
        store_id = ids.decode(input.store_id, "Store", Codes, "storeId")
        shift = await roster.add_shift(session, principal, rider_id, store_id, input.starts_at, input.ends_at, utc_now())
        return {"shift": shift_type(shift)}

    return await in_transaction(info, types.RiderShiftPayload, types.DeliveryError, Codes, work)


async def rider_shift_remove(info: Info, input: types.RiderShiftRemoveInput) -> types.RiderShiftPayload:
    principal = info.context.principal

    async def work(session):
        shift_id = ids.decode(input.shift_id, "RiderShift", Codes, "shiftId")
        shift = await roster.remove_shift(session, principal, shift_id)
        return {"shift": shift_type(shift)}

    return await in_transaction(info, types.RiderShiftPayload, types.DeliveryError, Codes, work)


async def slot_cap_set(info: Info, input: types.SlotCapSetInput) -> types.SlotCapSetPayload:
    principal = info.context.principal

    async def work(session):
        await admin.set_slot_cap(session, principal, input.slot_id, input.max_units, utc_now())
        return {"slot_id": input.slot_id, "max_units": input.max_units}

    return await in_transaction(info, types.SlotCapSetPayload, types.DeliveryError, Codes, work)


async def pickup_code_verify(info: Info, input: types.PickupCodeVerifyInput) -> types.PickupCodeVerifyPayload:
    """Failed attempts are committed (audit row, per-order counter) and then reported."""
    principal = info.context.principal
    key = pickup_codes.pickup_key(info.context.services.settings.secret_key)

    async def run():
        store_id = ids.decode(input.store_id, "Store", Codes, "storeId")
        order_id = ids.decode_optional(input.order_id, "Order", Codes, "orderId")
        async with info.context.database.write() as session:
            order, error = await pickup_codes.verify(
                session, principal, key, store_id, order_id=order_id, code=input.code, qr=input.qr_payload, now=utc_now()
            )
        if error is not None:
            raise error
        return {"order": Order.from_row(order)}

    return await guarded(types.PickupCodeVerifyPayload, types.DeliveryError, Codes, run)
