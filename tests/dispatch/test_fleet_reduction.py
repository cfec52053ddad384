"""Stopping rules of the vehicle reduction: the fleet lower bound and the stall rule."""

from __future__ import annotations

import random
import time

from delivery.dispatch import DispatchOrder, Rider, check_plan, solve
from delivery.dispatch.distance_search import Core
from delivery.dispatch.fleet_reduction import _Tables, fleet_lower_bound, reduce_fleet
from delivery.dispatch.lilim import benchmark_options
from delivery.dispatch.routing_model import build_instance
from tests.dispatch.helpers import grid_problem
from tests.dispatch.test_distance_search import feasible_routes, pdptw_problem


def clashing_problem(n_clash: int = 3, n_free: int = 3):
    """`n_clash` orders far apart in opposite corners, all due at the same short
    window (no vehicle can serve two of them), plus `n_free` easy orders near the depot."""
    corners = [(0.0, 0.0), (100.0, 100.0), (0.0, 100.0), (100.0, 0.0)]
    points = [(50.0, 50.0)]
    orders = []
    for j in range(n_clash):
        x, y = corners[j % len(corners)]
        points += [(x, y), (x + 1.0, y)]
        orders.append(DispatchOrder(f"c{j}", pickup=len(points) - 2, drop=len(points) - 1, ready_at=80.0,
                                    deadline=95.0, pickup_deadline=90.0, size=1))
    for j in range(n_free):
        points += [(50.0 + j, 52.0), (52.0, 50.0 + j)]
        orders.append(DispatchOrder(f"f{j}", pickup=len(points) - 2, drop=len(points) - 1, ready_at=0.0,
                                    deadline=1000.0, size=1))
    riders = [Rider(f"r{i}", 0, shift_end=1000.0, capacity=5, end_position=0) for i in range(n_clash + n_free)]
    return grid_problem(points, riders, orders)


def one_order_per_rider(inst):
    return [[p, d] for p, d in inst.pairs] + [[] for _ in range(len(inst.riders) - len(inst.pairs))]


def test_lower_bound_counts_pairwise_incompatible_orders():
    inst = build_instance(clashing_problem(3, 3))
    core = Core(_Tables(inst, 1000))
    assert fleet_lower_bound(core) == 3
    inst = build_instance(clashing_problem(1, 4))  # everything fits one vehicle
    assert fleet_lower_bound(Core(_Tables(inst, 1000))) == 1


def test_lower_bound_never_exceeds_a_feasible_fleet():
    for seed in range(4):
        problem = pdptw_problem(300 + seed, n_orders=15, n_riders=8)
        core = Core(_Tables(build_instance(problem), 1000))
        plan = solve(problem, benchmark_options(0.5))
        assert not plan.unassigned and check_plan(problem, plan) == []
        assert 1 <= fleet_lower_bound(core) <= plan.vehicles_used


def test_reduction_stops_at_the_floor_without_an_attempt():
    inst = build_instance(clashing_problem(3, 3))
    core = Core(_Tables(inst, 1000))
    routes = one_order_per_rider(inst)
    stats: list[dict] = []
    out = reduce_fleet(inst, routes, 1000, time.monotonic() + 5.0, core=core, floor=3, stats=stats)
    assert sum(1 for r in out if r) == 3
    assert sum(len(r) for r in out) == sum(len(r) for r in routes)
    assert len(stats) == 3 and all(s["success"] for s in stats)  # 6 -> 3, then stops: no failing attempt


def test_stalled_attempt_is_abandoned_long_before_its_deadline():
    inst = build_instance(clashing_problem(3, 3))
    core = Core(_Tables(inst, 1000))
    routes = one_order_per_rider(inst)
    stats: list[dict] = []
    started = time.monotonic()
    out = reduce_fleet(inst, routes, 1000, started + 20.0, 20.0, core=core, stall_iterations=40,
                       near_stall_iterations=80, stats=stats)
    assert time.monotonic() - started < 5.0
    assert sum(1 for r in out if r) == 3  # the easy orders still joined the others' routes
    assert sum(len(r) for r in out) == sum(len(r) for r in routes)
    last = stats[-1]
    assert not last["success"] and last["stalled"]
    # Near a removal (1-2 orders left out) the patience is the longer one.
    smallest, since = min((size, -it) for it, size in last["record"])
    assert smallest <= 2 and last["iterations"] + since == 80
    for v, r in enumerate(out):
        assert core.refresh(core.make_route(v, r))


def test_stall_rule_still_removes_routes_that_can_go():
    problem = pdptw_problem(42, n_orders=18, n_riders=8)
    inst = build_instance(problem)
    core = Core(_Tables(inst, 1000))
    start = feasible_routes(core, inst, random.Random(0))
    routes = [start[v].nodes[1:-1] for v in range(len(inst.riders))]
    out = reduce_fleet(inst, routes, 1000, time.monotonic() + 5.0, core=core, stall_iterations=200)
    assert sum(1 for r in out if r) < sum(1 for r in routes if r)
    assert sorted(x for r in out for x in r) == sorted(x for r in routes for x in r)
    assert all(core.refresh(core.make_route(v, r)) for v, r in enumerate(out))
