"""The distance search (SISR + annealing) and its insertion primitive on generated instances."""

from __future__ import annotations

import itertools
import math
import random
import time

import pytest

from delivery.dispatch import DispatchOrder, Rider, SolverOptions, check_plan, plan_distance, solve
from delivery.dispatch.distance_search import Core, DistanceSearch
from delivery.dispatch.fleet_reduction import _Tables, reduce_fleet
from delivery.dispatch.lilim import benchmark_options
from delivery.dispatch.routing_model import build_instance
from delivery.dispatch.solver import to_plan
from tests.dispatch.helpers import grid_problem


def pdptw_problem(seed: int, n_orders: int = 12, n_riders: int = 4, capacity: int = 3, tight: bool = True):
    """Li & Lim-like: riders start and end at a depot, hard windows on both ends."""
    rng = random.Random(seed)
    points = [(50.0, 50.0)] + [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(2 * n_orders)]
    horizon = 600.0
    orders = []
    for j in range(n_orders):
        p, d = 1 + 2 * j, 2 + 2 * j
        direct = math.dist(points[0], points[p])
        ready = rng.uniform(0, horizon / 2) if tight else 0.0
        width = rng.uniform(30, 150) if tight else horizon
        ride = math.dist(points[p], points[d])
        drop_open = ready + direct + ride if tight else 0.0
        orders.append(DispatchOrder(
            f"o{j}", pickup=p, drop=d, ready_at=ready, deadline=min(horizon, drop_open + width + ride),
            pickup_service=10.0, drop_service=10.0, size=rng.randint(1, 2),
            pickup_deadline=max(ready + direct, ready + width), drop_earliest=drop_open * 0.8))
    riders = [Rider(f"r{i}", 0, shift_end=horizon + 200, capacity=capacity, end_position=0)
              for i in range(n_riders)]
    return grid_problem(points, riders, orders)


def feasible_routes(core: Core, inst, rng: random.Random):
    """Random feasible routes built by random-order cheapest insertion."""
    routes = {v: core.make_route(v, []) for v in range(len(inst.riders))}
    pairs = list(inst.pairs)
    rng.shuffle(pairs)
    for p, d in pairs:
        options = [(ins, r) for r in routes.values() if (ins := core.best_insertion(r, p, d, math.inf, rng, 0.0))]
        if options:
            (_, k, m), r = rng.choice(options)
            core.insert(r, p, d, k, m)
            assert core.refresh(r)
    return routes


def _brute_force(core: Core, r, p: int, d: int):
    """Every insertion position, checked by recomputing the whole route."""
    best = None
    n = len(r.nodes) - 1
    for k in range(n):
        for m in range(k, n):
            trial = core.make_route(r.v, r.nodes[1:-1])
            core.insert(trial, p, d, k, m)
            if core.refresh(trial):
                delta = trial.cost - r.cost
                if best is None or delta < best - 1e-9:
                    best = delta
    return best


@pytest.mark.parametrize("seed", range(12))
def test_best_insertion_is_feasible_and_cheapest(seed):
    problem = pdptw_problem(seed)
    inst = build_instance(problem)
    core = Core(_Tables(inst, 1000))
    rng = random.Random(seed)
    routes = feasible_routes(core, inst, rng)
    for r in routes.values():
        stops = r.nodes[1:-1]
        for p, d in inst.pairs:
            if p in stops:
                continue
            ins = core.best_insertion(r, p, d, math.inf, rng, 0.0)
            expected = _brute_force(core, r, p, d)
            if ins is None:
                assert expected is None
                continue
            trial = core.make_route(r.v, stops)
            core.insert(trial, p, d, ins[1], ins[2])
            assert core.refresh(trial), "an insertion made a feasible route infeasible"
            assert trial.cost - r.cost == pytest.approx(ins[0], abs=1e-6)
            assert ins[0] == pytest.approx(expected, abs=1e-6)


def test_refresh_flags_broken_windows_and_capacity():
    problem = pdptw_problem(3, n_orders=6, n_riders=1, capacity=2, tight=False)
    inst = build_instance(problem)
    core = Core(_Tables(inst, 1000))
    (p1, d1), (p2, d2) = inst.pairs[:2]
    assert core.refresh(core.make_route(0, [p1, d1, p2, d2]))
    sizes = core.demand[p1] + core.demand[p2]
    assert core.refresh(core.make_route(0, [p1, p2, d1, d2])) == (sizes <= 2)
    late = core.make_route(0, [p1, d1])
    late.nodes[1:1] = [p2, d2] * 20  # a very long detour first
    assert not core.refresh(late)


@pytest.mark.parametrize("seed", range(6))
def test_search_keeps_every_order_and_never_adds_vehicles(seed):
    problem = pdptw_problem(100 + seed, n_orders=15, n_riders=6)
    inst = build_instance(problem)
    core = Core(_Tables(inst, 1000))
    start = feasible_routes(core, inst, random.Random(seed))
    routes = [start[v].nodes[1:-1] for v in range(len(inst.riders))]
    search = DistanceSearch(core, routes, seed=seed)
    out = search.run(time.monotonic() + 5.0, max_iterations=300)
    assert sorted(x for r in out for x in r) == sorted(x for r in routes for x in r)
    assert {v for v, r in enumerate(out) if r} <= {v for v, r in enumerate(routes) if r}
    assert all(core.refresh(core.make_route(v, r)) for v, r in enumerate(out))
    assert sum(core.make_route(v, r).cost for v, r in enumerate(out)) <= search.start_cost + 1e-9
    plan = to_plan(inst, out)
    assert check_plan(problem, plan) == []
    assert not plan.unassigned


def test_search_repeats_for_a_seed():
    problem = pdptw_problem(7, n_orders=15, n_riders=6)
    inst = build_instance(problem)
    core = Core(_Tables(inst, 1000))
    start = feasible_routes(core, inst, random.Random(1))
    routes = [start[v].nodes[1:-1] for v in range(len(inst.riders))]
    runs = [DistanceSearch(core, routes, seed=5).run(time.monotonic() + 30.0, max_iterations=200) for _ in range(2)]
    assert runs[0] == runs[1]


@pytest.mark.parametrize("seed", range(4))
def test_fleet_mode_plans_pass_the_checker(seed):
    problem = pdptw_problem(200 + seed, n_orders=20, n_riders=8)
    options = benchmark_options(1.0)
    plan = solve(problem, options)
    assert check_plan(problem, plan) == []
    assert not plan.unassigned
    assert plan.vehicles_used <= len(problem.riders)
    assert plan_distance(problem, plan) == pytest.approx(plan.total_distance)


def test_reduction_then_search_on_generated_instance():
    problem = pdptw_problem(42, n_orders=18, n_riders=8)
    inst = build_instance(problem)
    core = Core(_Tables(inst, 1000))
    start = feasible_routes(core, inst, random.Random(0))
    routes = [start[v].nodes[1:-1] for v in range(len(inst.riders))]
    served = sum(len(r) for r in routes)
    reduced = reduce_fleet(inst, routes, 1000, time.monotonic() + 0.5, 0.3, core=core)
    assert sum(len(r) for r in reduced) == served
    assert sum(1 for r in reduced if r) <= sum(1 for r in routes if r)
    out = DistanceSearch(core, reduced).run(time.monotonic() + 0.3)
    assert check_plan(problem, to_plan(inst, out)) == []
    assert sum(1 for r in out if r) <= sum(1 for r in reduced if r)


def test_live_mode_still_fast_and_feasible():
    problem = pdptw_problem(9, n_orders=8, n_riders=3)
    started = time.monotonic()
    plan = solve(problem, SolverOptions(time_limit=0.5))
    assert time.monotonic() - started < 1.5
    assert check_plan(problem, plan) == []


def test_permutations_of_tiny_route_agree_with_brute_force():
    problem = pdptw_problem(11, n_orders=4, n_riders=1, capacity=4, tight=False)
    inst = build_instance(problem)
    core = Core(_Tables(inst, 1000))
    (p1, d1), (p2, d2), (p3, d3) = inst.pairs[:3]
    base = core.make_route(0, [p1, p2, d1, d2])
    assert core.refresh(base)
    ins = core.best_insertion(base, p3, d3, math.inf, random.Random(0), 0.0)
    cheapest = min(
        core.make_route(0, list(order)).cost
        for order in itertools.permutations([p1, p2, d1, d2, p3, d3])
        if [x for x in order if x != p3 and x != d3] == [p1, p2, d1, d2]
        and order.index(p3) < order.index(d3) and core.refresh(core.make_route(0, list(order))))
    assert base.cost + ins[0] == pytest.approx(cheapest)
