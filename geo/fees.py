"""Delivery fee rules. Money is integer fen; floats never touch a fee.

The distance passed in is the *road* distance estimate (what a courier rides), in metres.
It is rounded to the nearest whole metre before any comparison so that float noise in a
distance estimate (4000.0000001 m) cannot push a customer into the next band or km.

A rule returns None for a distance it does not price (beyond the last band); the caller
reports that as "not serviceable" rather than guessing a fee.

ETA lives in `geo.eta` and is re-exported here for callers that expect it next to fees.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from geo.eta import DEFAULT_SPEED_PROFILE, CitySpeedProfile, estimate_eta, speed_kmh_for

__all__ = [
    "FeeRule",
    "DistanceBandFee",
    "BasePlusPerKmFee",
    "whole_metres",
    "CitySpeedProfile",
    "DEFAULT_SPEED_PROFILE",
    "estimate_eta",
    "speed_kmh_for",
]


def whole_metres(distance_m: float) -> int:
    if isinstance(distance_m, bool) or not isinstance(distance_m, (int, float)):
        raise TypeError("distance must be a number of metres")
    if not math.isfinite(distance_m) or distance_m < 0:
        raise ValueError(f"distance must be a finite, non-negative number of metres, got {distance_m!r}")
    return int(math.floor(distance_m + 0.5))  # half-up, unlike round()'s banker's rounding


def _check_fen(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int number of fen, got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


@runtime_checkable
class FeeRule(Protocol):
    def fee_fen(self, road_distance_m: float) -> int | None: ...


@dataclass(frozen=True)
class DistanceBandFee:
    """Flat fee per distance band.

    `bands` is ((up_to_m, fee_fen), ...) with strictly increasing up_to_m; a distance d
    falls in the first band with d <= up_to_m (upper bound inclusive: exactly 2,000 m is
    the 0-2 km band). The last up_to_m may be None for "no upper limit".
    Example: ((2000, 0), (4000, 200), (None, 500)).
    """

    bands: Sequence[tuple[int | None, int]]

    def __post_init__(self) -> None:
        bands = tuple(tuple(b) for b in self.bands)
        if not bands:
            raise ValueError("at least one band is required")
        previous = -1
        for index, band in enumerate(bands):
            if len(band) != 2:
                raise ValueError(f"band {index} must be (up_to_m, fee_fen)")
            up_to, fee = band
            _check_fen(fee, f"bands[{index}].fee_fen")
            if up_to is None:
                if index != len(bands) - 1:
                    raise ValueError("only the last band may be unbounded (None)")
                continue
            if isinstance(up_to, bool) or not isinstance(up_to, int) or up_to <= previous:
                raise ValueError(f"bands[{index}].up_to_m must be an int greater than the previous band's")
            previous = up_to
        object.__setattr__(self, "bands", bands)

    def fee_fen(self, road_distance_m: float) -> int | None:
        d = whole_metres(road_distance_m)
        for up_to, fee in self.bands:
            if up_to is None or d <= up_to:
                return fee
        return None


@dataclass(frozen=True)
class BasePlusPerKmFee:
    """fee = base_fen + per_km_fen * ceil((d - included_m) / 1000) when d > included_m.

    Every started kilometre beyond the included distance is charged (3,001 m with 3,000
    included costs one extra km), matching the "B + C*ceil(d - D0)" schedules in the
    research notes. Optional max_distance_m: beyond it the rule prices nothing (None).
    """

    base_fen: int
    included_m: int
    per_km_fen: int
    max_distance_m: int | None = None

    def __post_init__(self) -> None:
        _check_fen(self.base_fen, "base_fen")
        _check_fen(self.per_km_fen, "per_km_fen")
        for name in ("included_m", "max_distance_m"):
            value = getattr(self, name)
            if value is None and name == "max_distance_m":
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a non-negative int number of metres")

    def fee_fen(self, road_distance_m: float) -> int | None:
        d = whole_metres(road_distance_m)
        if self.max_distance_m is not None and d > self.max_distance_m:
            return None
        if d <= self.included_m:
            return self.base_fen
        extra_km = -(-(d - self.included_m) // 1000)  # integer ceil, no float on the money path
        return self.base_fen + self.per_km_fen * extra_km
