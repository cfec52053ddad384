"""Li & Lim PDPTW benchmark files -> dispatch Problem.

SINTEF conventions: Euclidean distance in double precision, travel time equals
distance, waiting allowed, vehicles start and end at the depot (task 0), time
windows are hard, objective vehicles first then distance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from delivery.dispatch.model import DispatchOrder, Problem, Rider
from delivery.dispatch.routing_model import CostSettings
from delivery.dispatch.solver import SolverOptions


@dataclass(frozen=True)
class Task:
    index: int
    x: float
    y: float
    demand: int
    earliest: float
    latest: float
    service: float
    pickup_sibling: int
    delivery_sibling: int


def read_tasks(path: str | Path) -> tuple[int, int, list[Task]]:
    lines = [ln.split() for ln in Path(path).read_text().splitlines() if ln.strip()]
    vehicles, capacity = int(lines[0][0]), int(lines[0][1])
    tasks = []
    for f in lines[1:]:
        tasks.append(Task(int(f[0]), float(f[1]), float(f[2]), int(f[3]), float(f[4]), float(f[5]),
                          float(f[6]), int(f[7]), int(f[8])))
    for i, t in enumerate(tasks):
        if t.index != i:
            raise ValueError(f"{path}: task {t.index} on line {i + 2}, expected {i}")
    return vehicles, capacity, tasks


def load_problem(path: str | Path) -> Problem:
    """One rider per available vehicle, one order per pickup/delivery pair.

    Location indices are task indices; order ids are the pickup task index as text.
    """
    vehicles, capacity, tasks = read_tasks(path)
    depot = tasks[0]
    dist = [[math.hypot(a.x - b.x, a.y - b.y) for b in tasks] for a in tasks]
    riders = [Rider(id=f"v{k}", position=0, shift_end=depot.latest, capacity=capacity, end_position=0)
              for k in range(vehicles)]
    orders = []
    for t in tasks[1:]:
        if t.demand <= 0:
            continue
        d = tasks[t.delivery_sibling]
        if d.pickup_sibling != t.index:
            raise ValueError(f"{path}: pickup {t.index} and delivery {d.index} disagree")
        orders.append(DispatchOrder(
            id=str(t.index), pickup=t.index, drop=d.index, ready_at=t.earliest, deadline=d.latest,
            pickup_service=t.service, drop_service=d.service, size=t.demand,
            pickup_deadline=t.latest, drop_earliest=d.earliest))
    return Problem(riders=riders, orders=orders, distance=dist, now=depot.earliest, max_lateness=0.0)


def benchmark_options(time_limit: float) -> SolverOptions:
    """Hierarchical vehicles-then-distance search with x1000 integer scaling."""
    costs = CostSettings(distance_scale=1000, time_scale=1000, handoff_penalty=None,
                         late_penalty_per_minute=0.0)
    return SolverOptions(time_limit=time_limit, costs=costs, minimise_vehicles=True)
