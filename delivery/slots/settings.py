"""Delivery settings per network node, inherited HQ -> partner -> store.

Each node may set any field; None inherits from the nearest ancestor that sets it, and
fields nobody sets fall back to DEFAULTS. Same rule as store_network.control, applied
field by field, so a partner can switch express off for its region while HQ keeps the
slot length for everyone.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date

from core.errors import DomainError
from delivery.errors import DeliveryErrorCode


@dataclass(frozen=True)
class DeliverySettings:
    express_enabled: bool | None = None
    express_tiers: tuple[int, ...] | None = None  # zone tiers whose customers may get 30-minute express
    slot_minutes: int | None = None
    prep_minutes: int | None = None
    cutoff_minutes: int | None = None  # orders for a slot close this long before it starts
    days_ahead: int | None = None  # today counts as day 1
    deliveries_per_rider_hour: int | None = None
    tier_weights: Mapping[int, int] | None = None  # capacity units one order of a tier consumes
    pickup_orders_per_slot: int | None = None  # counter staff throughput for STORE_PICKUP slots


# What a brand gets before anyone configures anything: hourly slots a week ahead, express
# for the innermost tier, and far tiers costing a rider proportionally more of the hour.
DEFAULTS = DeliverySettings(
    express_enabled=True,
    express_tiers=(1,),
    slot_minutes=60,
    prep_minutes=10,
    cutoff_minutes=30,
    days_ahead=7,
    deliveries_per_rider_hour=4,
    tier_weights={1: 1, 2: 2, 3: 3},
    pickup_orders_per_slot=20,
)

FIELD_NAMES = tuple(f.name for f in fields(DeliverySettings))
# Preparation time is the store's own (Store.prep_minutes, set by storeUpdate): one value for
# slots, express and delivery-option ETAs. It is not stored on the settings rows.
STORED_FIELD_NAMES = tuple(name for name in FIELD_NAMES if name != "prep_minutes")


def effective(chain_root_to_node: Sequence[DeliverySettings]) -> DeliverySettings:
    """Field by field: the nearest node (store first, then up) that sets it, else DEFAULTS."""
    values = {}
    for name in FIELD_NAMES:
        value = getattr(DEFAULTS, name)
        for node in chain_root_to_node:
            own = getattr(node, name)
            if own is not None:
                value = own
        values[name] = value
    return DeliverySettings(**values)


def units_for_tier(settings: DeliverySettings, tier: int) -> int:
    """Capacity units an order of this tier consumes; an unlisted tier costs its own number
    (tier 4 = 4 units) so a newly drawn outer ring is never cheaper than the inner ones."""
    weights = settings.tier_weights or {}
    return int(weights.get(tier, weights.get(str(tier), tier)))  # JSON keys come back as strings


_RANGES = {
    "slot_minutes": (15, 240),
    "prep_minutes": (0, 240),
    "cutoff_minutes": (0, 24 * 60),
    "days_ahead": (1, 30),
    "deliveries_per_rider_hour": (1, 30),
    "pickup_orders_per_slot": (0, 1000),
}


def validate(settings: DeliverySettings) -> None:
    """Raise DomainError(INVALID) naming the field; None (inherit) is always valid."""
    for name, (low, high) in _RANGES.items():
        value = getattr(settings, name)
        if value is not None and not (low <= value <= high):
            raise DomainError(DeliveryErrorCode.INVALID, f"{name} must be between {low} and {high}", _camel(name))
    if settings.slot_minutes is not None and settings.slot_minutes % 15:
        raise DomainError(DeliveryErrorCode.INVALID, "slot length must be a multiple of 15 minutes", "slotMinutes")
    if settings.express_tiers is not None:
        if len(settings.express_tiers) > 10 or any(not 1 <= t <= 10 for t in settings.express_tiers):
            raise DomainError(DeliveryErrorCode.INVALID, "express tiers are zone tiers 1..10", "expressTiers")
    if settings.tier_weights is not None:
        if len(settings.tier_weights) > 10:
            raise DomainError(DeliveryErrorCode.INVALID, "at most 10 tier weights", "tierWeights")
        for index, (tier, weight) in enumerate(sorted(settings.tier_weights.items())):
            if not 1 <= int(tier) <= 10 or not 1 <= weight <= 20:
                raise DomainError(
                    DeliveryErrorCode.INVALID, "a tier weight is tier 1..10 and weight 1..20", f"tierWeights.{index}"
                )


def validate_closures(closures: Sequence[tuple[date, date]]) -> None:
    if len(closures) > 100:
        raise DomainError(DeliveryErrorCode.INVALID, "at most 100 closures per node", "closures")
    for index, (starts_on, ends_on) in enumerate(closures):
        if ends_on < starts_on:
            raise DomainError(DeliveryErrorCode.INVALID, "a closure ends on or after the day it starts", f"closures.{index}.endsOn")
        if (ends_on - starts_on).days > 366:
            raise DomainError(DeliveryErrorCode.INVALID, "a closure lasts at most a year", f"closures.{index}.endsOn")


def to_row_values(settings: DeliverySettings) -> dict:
    """Column values for the delivery_settings row (JSON-friendly)."""
    values = {name: getattr(settings, name) for name in STORED_FIELD_NAMES}
    if settings.express_tiers is not None:
        values["express_tiers"] = sorted(set(settings.express_tiers))
    if settings.tier_weights is not None:
        values["tier_weights"] = {str(k): v for k, v in settings.tier_weights.items()}
    return values


def from_row(row) -> DeliverySettings:
    if row is None:
        return DeliverySettings()
    weights = row.tier_weights
    return DeliverySettings(
        express_enabled=row.express_enabled,
        express_tiers=tuple(row.express_tiers) if row.express_tiers is not None else None,
        slot_minutes=row.slot_minutes,
        cutoff_minutes=row.cutoff_minutes,
        days_ahead=row.days_ahead,
        deliveries_per_rider_hour=row.deliveries_per_rider_hour,
        tier_weights={int(k): int(v) for k, v in weights.items()} if weights is not None else None,
        pickup_orders_per_slot=row.pickup_orders_per_slot,
    )


def merge(current: DeliverySettings, changes: Mapping[str, object]) -> DeliverySettings:
    """Apply a partial update: keys present replace (None = inherit again), absent keys stay."""
    return replace(current, **{k: v for k, v in changes.items() if k in FIELD_NAMES})


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
