"""Travel models for the rolling dispatcher: points in, distance and time matrices out."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

Point = tuple[float, float]


class TravelModel(Protocol):
    def matrices(self, points: Sequence[Point]) -> tuple[list[list[float]], list[list[float]]]:
        """(distance metres, travel seconds), both [from][to] over `points`."""
        ...


@dataclass(frozen=True)
class PlaneTravel:
    """Local metric plane: road distance = straight line x detour, constant speed. The
    detour is the caller's (the board engine passes the city's factor from the one road
    provider, geo.zone_lookup): the dispatcher keeps no road model of its own."""

    speed_mps: float = 5.0  # 18 km/h, an e-bike in city traffic
    detour: float = 1.0
    buffer: float = 1.0  # planning multiplier on travel time (> 1: safety margin)

    def _dist(self, points: Sequence[Point]) -> np.ndarray:
        a = np.asarray(points, dtype=float).reshape(-1, 2)
        return np.hypot(a[:, None, 0] - a[None, :, 0], a[:, None, 1] - a[None, :, 1]) * self.detour

    def matrices(self, points):
        d = self._dist(points)
        return d.tolist(), (d * (self.buffer / self.speed_mps)).tolist()

    def distance(self, a: Point, b: Point) -> float:
        return math.hypot(a[0] - b[0], a[1] - b[1]) * self.detour

    def seconds(self, a: Point, b: Point) -> float:
        return self.distance(a, b) * self.buffer / self.speed_mps


@dataclass(frozen=True)
class LonLatTravel(PlaneTravel):
    """(longitude, latitude) points, equirectangular projection around the points'
    mean latitude (error < 0.1 % inside a city), then as PlaneTravel."""

    def _dist(self, points):
        a = np.asarray(points, dtype=float).reshape(-1, 2)
        lat0 = math.radians(float(a[:, 1].mean())) if len(a) else 0.0
        r = 6371008.8  # geo.distance.EARTH_RADIUS_M
        xy = np.column_stack([np.radians(a[:, 0]) * r * math.cos(lat0), np.radians(a[:, 1]) * r])
        return PlaneTravel._dist(self, xy)

    def distance(self, a, b):
        return self._dist([a, b])[0, 1]


@dataclass(frozen=True)
class RoadTravel:
    """Road metres from a function of two (longitude, latitude) points (a routing provider
    that is not a detour factor), constant speed. One call per ordered pair."""

    distance: Callable[[Point, Point], float]
    speed_mps: float = 5.0
    buffer: float = 1.0

    def matrices(self, points):
        d = [[0.0 if i == j else float(self.distance(a, b)) for j, b in enumerate(points)] for i, a in enumerate(points)]
        per_metre = self.buffer / self.speed_mps
        return d, [[x * per_metre for x in row] for row in d]
