"""Delivery promise types: slots, settings, roster shifts, slot caps, pickup codes."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.types import Info

from schema.nodes import EncodedIdNode

from delivery import errors as delivery_errors
from schema.common import Money, _error_type

if TYPE_CHECKING:
    from schema.orders import Order

SlotKind = strawberry.enum(delivery_errors.SlotKind, name="SlotKind", description="EXPRESS_30: within 30 minutes of payment. SLOT_60: inside a booked delivery window. PICKUP_60: ready for collection inside a booked window.")
SlotUnavailableReason = strawberry.enum(delivery_errors.SlotReason, name="SlotUnavailableReason")
DeliveryErrorCode = strawberry.enum(delivery_errors.DeliveryErrorCode, name="DeliveryErrorCode")
DeliveryError = _error_type("DeliveryError", DeliveryErrorCode)


@strawberry.type(description="A bookable promise. Times carry the store's UTC offset (two slots may share a wall-clock hour on a DST night).")
class DeliverySlot:
    id: strawberry.ID = strawberry.field(description="Opaque; pass to checkoutComplete(slotId:).")
    kind: SlotKind
    starts_at: datetime
    ends_at: datetime = strawberry.field(description="EXPRESS_30: now + 30 minutes; the promise runs from payment.")
    cutoff_at: datetime | None = strawberry.field(description="Last moment to order for this slot (inclusive).")
    fee: Money
    capacity: int = strawberry.field(description="Capacity units: rider-hours x deliveries per rider-hour, capped by staff.")
    remaining_capacity: int
    units_required: int = strawberry.field(description="Units this location's order consumes (far zone tiers take more).")
    available: bool
    reason: SlotUnavailableReason | None


@strawberry.type
class DeliverySlotList:
    slots: list[DeliverySlot] = strawberry.field(default_factory=list)
    timezone: str | None = None
    errors: list[DeliveryError] = strawberry.field(default_factory=list)


@strawberry.type
class TierWeight:
    tier: int
    units: int


@strawberry.type(description="Closed for delivery and pickup on these dates (store-local, inclusive).")
class DeliveryClosure:
    starts_on: date
    ends_on: date
    reason: str


@strawberry.type(description="Delivery settings. In `own`, null means inherited from the parent node.")
class DeliverySettingsValues:
    express_enabled: bool | None
    express_tiers: list[int] | None
    slot_minutes: int | None
    cutoff_minutes: int | None
    days_ahead: int | None
    deliveries_per_rider_hour: int | None
    tier_weights: list[TierWeight] | None
    pickup_orders_per_slot: int | None


@strawberry.type
class DeliverySettings:
    node_id: strawberry.ID
    own: DeliverySettingsValues
    effective: DeliverySettingsValues = strawberry.field(description="After inheritance and defaults.")
    closures: list[DeliveryClosure] = strawberry.field(description="This node's and its ancestors' closures.")


@strawberry.type
class RiderShift(EncodedIdNode):
    id: relay.NodeID[str]
    rider_id: strawberry.ID
    store_id: strawberry.ID
    starts_at: datetime
    ends_at: datetime

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        from resolvers import nodes

        return await nodes.rider_shifts(info, node_ids)


@strawberry.type(description="Show it at the counter. Visible to the order's customer only.")
class PickupCode:
    code: str
    qr_payload: str
    issued_at: datetime
    used_at: datetime | None


@strawberry.type(description="The booked slot of an order.")
class OrderSlot:
    kind: SlotKind
    starts_at: datetime
    ends_at: datetime


# --- inputs and payloads -------------------------------------------------------------------


@strawberry.input
class TierWeightInput:
    tier: int
    units: int


@strawberry.input
class DeliveryClosureInput:
    starts_on: date
    ends_on: date
    reason: str = ""


@strawberry.input(description="Omitted fields are unchanged; an explicit null inherits from the parent node again.")
class DeliverySettingsSetInput:
    node_id: strawberry.ID
    express_enabled: bool | None = strawberry.UNSET
    express_tiers: list[int] | None = strawberry.UNSET
    slot_minutes: int | None = strawberry.UNSET
    cutoff_minutes: int | None = strawberry.UNSET
    days_ahead: int | None = strawberry.UNSET
    deliveries_per_rider_hour: int | None = strawberry.UNSET
    tier_weights: list[TierWeightInput] | None = strawberry.UNSET
    pickup_orders_per_slot: int | None = strawberry.UNSET
    closures: list[DeliveryClosureInput] | None = strawberry.field(
        default=strawberry.UNSET, description="Replaces this node's closures (null or [] removes them)."
    )


@strawberry.input
class RiderShiftAddInput:
    rider_id: strawberry.ID
    store_id: strawberry.ID
    starts_at: datetime
    ends_at: datetime


@strawberry.input
class RiderShiftRemoveInput:
    shift_id: strawberry.ID


@strawberry.input
class SlotCapSetInput:
    slot_id: strawberry.ID
    max_units: int | None = strawberry.field(description="null removes the cap.")


@strawberry.input(description="Either qrPayload (scanned), or orderId and the 6-digit code.")
class PickupCodeVerifyInput:
    store_id: strawberry.ID
    order_id: strawberry.ID | None = None
    code: str | None = None
    qr_payload: str | None = None


@strawberry.type
class DeliverySettingsPayload:
    settings: DeliverySettings | None = None
    errors: list[DeliveryError] = strawberry.field(default_factory=list)


@strawberry.type
class RiderShiftPayload:
    shift: RiderShift | None = None
    errors: list[DeliveryError] = strawberry.field(default_factory=list)


@strawberry.type
class SlotCapSetPayload:
    slot_id: strawberry.ID | None = None
    max_units: int | None = None
    errors: list[DeliveryError] = strawberry.field(default_factory=list)


@strawberry.type
class PickupCodeVerifyPayload:
    order: Annotated["Order", strawberry.lazy("schema.orders")] | None = None
    errors: list[DeliveryError] = strawberry.field(default_factory=list)
