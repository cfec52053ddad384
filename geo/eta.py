"""Delivery ETA: prep + pickup wait + road distance / courier speed + pad.

This is the "promise" number shown before checkout, so it should be a p90, not a mean:
callers pass the store's p90 prep time and a pad that absorbs the tail (Meituan adds a
similar "补时" from distance and model variance). The result is rounded *up* to whole
minutes because an early arrival costs nothing and a late one costs a refund.

Default speeds (km/h of road distance, door to door, e-bike couriers): 18 off-peak,
14 around lunch and dinner, 12 in the morning/evening rush, 20 at night. These are
starting assumptions, not measurements; calibrate per city from delivered orders.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


def _default_hours() -> tuple[float, ...]:
    speeds = [18.0] * 24
    for hour in (22, 23, 0, 1, 2, 3, 4, 5):
        speeds[hour] = 20.0  # empty roads, but kept modest: fewer couriers on shift
    for hour in (11, 12, 18, 19):
        speeds[hour] = 14.0  # meal peaks: couriers batch orders, lifts and lobbies are busy
    for hour in (7, 8, 17):
        speeds[hour] = 12.0  # commuter rush
    return tuple(speeds)


@dataclass(frozen=True)
class CitySpeedProfile:
    """Courier speed by local hour of day (index 0-23), km/h."""

    city: str
    kmh_by_hour: Sequence[float]

    def __post_init__(self) -> None:
        speeds = tuple(float(v) for v in self.kmh_by_hour)
        if len(speeds) != 24:
            raise ValueError("kmh_by_hour needs exactly 24 values (hours 0-23)")
        if any(not math.isfinite(v) or not 1.0 <= v <= 80.0 for v in speeds):
            raise ValueError("courier speeds must be within [1, 80] km/h")
        object.__setattr__(self, "kmh_by_hour", speeds)

    def speed_kmh(self, hour: int) -> float:
        if not 0 <= hour <= 23:
            raise ValueError(f"hour must be within 0-23, got {hour}")
        return self.kmh_by_hour[hour]


DEFAULT_SPEED_PROFILE = CitySpeedProfile("default", _default_hours())


def speed_kmh_for(
    city: str | None, hour: int, profiles: Mapping[str, CitySpeedProfile] | None = None
) -> float:
    """Courier speed in `city` at local `hour`; unknown cities use DEFAULT_SPEED_PROFILE."""
    profile = (profiles or {}).get(city or "", DEFAULT_SPEED_PROFILE)
    return profile.speed_kmh(hour)


def estimate_eta(
    prep_minutes: float,
    road_distance_m: float,
    speed_kmh: float,
    pad_minutes: float = 0.0,
    pickup_wait_minutes: float = 0.0,
) -> int:
    """Minutes from order to doorstep, rounded up."""
    for name, value in (
        ("prep_minutes", prep_minutes),
        ("road_distance_m", road_distance_m),
        ("pad_minutes", pad_minutes),
        ("pickup_wait_minutes", pickup_wait_minutes),
    ):
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be finite and non-negative, got {value!r}")
    if not math.isfinite(speed_kmh) or speed_kmh <= 0:
        raise ValueError(f"speed_kmh must be positive, got {speed_kmh!r}")
    ride_minutes = road_distance_m / 1000.0 / speed_kmh * 60.0
    total = prep_minutes + pickup_wait_minutes + ride_minutes + pad_minutes
    # Subtract a micro-minute before ceil so 30.000000000001 (float noise) stays 30.
    return max(0, math.ceil(total - 1e-9))
