"""Dispatch solver: OR-Tools pickup-and-delivery with time windows.

Two modes share one model (see routing_model.py):

* live dispatch (default): riders start where they are, routes are open, each
  order may be handed to a courier for its handoff cost, lateness past the
  promise is penalised per minute up to a hard cap.  Warm-started from the
  previous plan when given.
* benchmark / fleet mode (`minimise_vehicles=True`): hierarchical objective,
  vehicles first then distance, in three phases:
  1. construction: parallel cheapest insertion + guided local search with a
     fixed cost per vehicle far above any distance;
  2. vehicle reduction: our own ruin-and-recreate (fleet_reduction.py) empties
     the smallest route and re-inserts its orders elsewhere, route after
     route.  (OR-Tools' own local search, GLS or its ILS with SISR ruin, could
     not re-insert a removed route's orders on the hard instances: measured);
  3. distance: our SISR ruin-and-recreate with simulated annealing at the
     reduced fleet (distance_search.py; same integer tables, so its routes are
     feasible for the model and in double precision).  OR-Tools' guided local
     search is the fallback when lateness is penalised (soft promises).
"""

from __future__ import annotations

import logging
import time as _time
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from delivery.dispatch.model import Plan, Problem, Route, Stop, StopKind, Unassigned, UnassignedReason
from delivery.dispatch.distance_search import Core, DistanceSearch
from delivery.dispatch.fleet_reduction import _Tables, fleet_lower_bound, reduce_fleet
from delivery.dispatch.routing_model import CostSettings, Instance, RoutingModel, build_instance, build_routing

log = logging.getLogger(__name__)

NodeRoutes = list[list[int]]  # per rider, Instance node ids of its stops in order


@dataclass
class SolverOptions:
    time_limit: float = 1.0  # wall-clock seconds for the whole solve
    costs: CostSettings | None = None  # None: CostSettings() defaults
    minimise_vehicles: bool = False  # hierarchical vehicles-then-distance (benchmarks)
    warm_start: Plan | None = None
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    log_search: bool = False
    # Fleet mode: share of the budget for construction and for vehicle reduction.
    construction_share: float = 0.15
    reduction_share: float = 0.6
    # Give up removing one more route after this share (0.25 measured: 409 vehicles / +8.2 % distance
    # vs 406 / +8.9 % without a cap, Li & Lim 100 at 10 s; vehicles come first).
    reduction_attempt_share: float = 0.6
    # Abandon a route-removal attempt once its left-out orders stop shrinking: no new smallest
    # pool for this many iterations (2x when only 1-2 orders are left out, 1/8 when 6+); None: off.
    # The attempt that fails (the last one) otherwise ran to the cap above, ~6 of the 10 s.
    reduction_stall_iterations: int | None = 2000
    reduction_near_stall_iterations: int | None = 4000
    # Skip reduction at a proven floor (pairwise-incompatible orders, fleet_lower_bound).
    fleet_floor: bool = True
    # Fleet mode: distance phase by our SISR + simulated annealing (distance_search.py) instead
    # of OR-Tools' guided local search (used anyway when lateness is penalised).
    distance_search: bool = True
    # Optional interleave, as shares of the time left after reduction: annealing warm-up, then one
    # more route-removal attempt, then annealing to the end.  Off (0): with reduction 0.45 / attempt
    # 0.35 it measured 406 vehicles / +1.33 % / 46 BKS vs 403 / +2.30 % / 48 without (Li & Lim 100, 10 s).
    warmup_share: float = 0.35
    # Annealing start temperature as a share of the mean edge length (DistanceSearch.t0_factor).
    # 1.0 instead of the search's 0.3: with the longer distance phase it escapes local optima
    # such as lc104's (Li & Lim 100 at 10 s: lc104 +17.6 % -> 0, lrc208 +19.9 % -> 0, lr209 +9.4 % -> 0).
    distance_t0_factor: float = 1.0
    second_reduction_share: float = 0.0
    seed: int = 0  # fixed seeds: runs repeat except where the clock stops a search
    finish_margin: float = 0.02  # seconds kept for building the plan


def solve(problem: Problem, options: SolverOptions | None = None) -> Plan:
    options = options or SolverOptions()
    if not problem.riders:
        # OR-Tools aborts the whole process (not an exception) on a model with no vehicles.
        if options.costs is not None and options.costs.handoff_penalty is None and problem.orders:
            raise InfeasibleError("no riders for mandatory orders")
        return Plan(
            routes=[],
            unassigned=[Unassigned(o.id, UnassignedReason.NO_ELIGIBLE_RIDER) for o in problem.orders],
            objective=0,
        )
    t_end = _time.monotonic() + options.time_limit
    costs = options.costs or CostSettings()
    inst = build_instance(problem)
    if options.minimise_vehicles:
        routes = _solve_fleet(inst, costs, options, t_end)
    else:
        rm = build_routing(inst, costs)
        initial = _routes_from_plan(inst, options.warm_start) if options.warm_start else None
        routes = _search(rm, options, t_end - _time.monotonic(), initial, len(inst.riders))
        if routes is None:  # only possible when some orders are mandatory (handoff_penalty=None)
            raise InfeasibleError("no plan serves every mandatory order; allow handoff or add riders")
    return to_plan(inst, routes)


class InfeasibleError(RuntimeError):
    pass


# --------------------------------------------------------------------------- search


def _params(options: SolverOptions, seconds: float):
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, options.first_solution)
    # GLS never stops by itself: the time limit is what ends it.
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(max(10, int(seconds * 1000)))
    params.log_search = options.log_search
    return params


def _search(rm: RoutingModel, options: SolverOptions, seconds: float, initial: NodeRoutes | None,
            n_riders: int, initial_required: bool = False) -> NodeRoutes | None:
    """Best routes found in `seconds`, from `initial` when it is feasible in this
    model (else from the first-solution strategy, unless `initial_required`)."""
    routing = rm.routing
    params = _params(options, seconds)
    routing.CloseModelWithParameters(params)
    solution = None
    if initial is not None:
        start = routing.ReadAssignmentFromRoutes([[rm.index(n) for n in initial[v]] for v in rm.vehicles], True)
        if start is not None:
            solution = routing.SolveFromAssignmentWithParameters(start, params)
        else:
            log.info("warm start does not fit the model any more; solving from scratch")
    if solution is None and not (initial is not None and initial_required):
        solution = routing.SolveWithParameters(params)
    if solution is None:
        return None
    return _routes_of(rm, solution, n_riders)


def _routes_of(rm: RoutingModel, solution, n_riders: int) -> NodeRoutes:
    routing = rm.routing
    routes: NodeRoutes = [[] for _ in range(n_riders)]
    for mv, v in enumerate(rm.vehicles):
        idx = solution.Value(routing.NextVar(routing.Start(mv)))
        while not routing.IsEnd(idx):
            routes[v].append(rm.inst_node(idx))
            idx = solution.Value(routing.NextVar(idx))
    return routes


def _served(routes: NodeRoutes) -> int:
    return sum(len(r) for r in routes)


def _solve_fleet(inst: Instance, costs: CostSettings, options: SolverOptions, t_end: float) -> NodeRoutes:
    budget = options.time_limit
    must_serve = 1000.0 * (1.0 + sum(max(row) for row in inst.dist))  # dwarfs any distance
    fleet_costs = CostSettings(costs.distance_scale, costs.time_scale, must_serve,
                               costs.late_penalty_per_minute, must_serve / 100.0)
    # 1. construction with a fixed cost per vehicle (fewer vehicles first).
    rm = build_routing(inst, fleet_costs)
    initial = _routes_from_plan(inst, options.warm_start) if options.warm_start else None
    best = _search(rm, options, budget * options.construction_share, initial, len(inst.riders))
    if best is None:  # cannot happen: every order may be dropped at a (huge) price
        return [[] for _ in inst.riders]
    n_stops = _served(best)
    log.debug("construction: %d vehicles", sum(1 for r in best if r))
    # 2. vehicle reduction (our own ruin-and-recreate, see fleet_reduction.py).
    reduction_end = min(t_end, _time.monotonic() + budget * options.reduction_share)
    core = Core(_Tables(inst, costs.time_scale))
    floor = fleet_lower_bound(core) if options.fleet_floor else 0
    reduced = reduce_fleet(inst, best, costs.time_scale, reduction_end, budget * options.reduction_attempt_share,
                           seed=options.seed, core=core, floor=floor,
                           stall_iterations=options.reduction_stall_iterations,
                           near_stall_iterations=options.reduction_near_stall_iterations)
    log.debug("reduction: %d vehicles", sum(1 for r in reduced if r))
    if options.distance_search and (costs.late_penalty_per_minute <= 0
                                    or all(nd.soft_deadline is None for nd in inst.nodes)):
        # 3. distance: our SISR + simulated annealing at the reduced fleet (distance_search.py).
        routes = reduced
        if options.second_reduction_share > 0:
            # Anneal a while, then try once more to empty a route: the shorter,
            # better-shaped routes often have the room the first attempt lacked.
            left = t_end - _time.monotonic()
            routes = DistanceSearch(core, routes, seed=options.seed, t0_factor=options.distance_t0_factor).run(
                _time.monotonic() + left * options.warmup_share)
            left = t_end - _time.monotonic()
            again = reduce_fleet(inst, routes, costs.time_scale,
                                 _time.monotonic() + left * options.second_reduction_share, seed=options.seed + 1,
                                 core=core)
            if sum(1 for r in again if r) < sum(1 for r in routes if r):
                log.debug("second reduction: %d vehicles", sum(1 for r in again if r))
                routes = again
        search = DistanceSearch(core, routes, seed=options.seed, t0_factor=options.distance_t0_factor)
        routes = search.run(t_end - options.finish_margin)
        log.debug("distance search: %d iterations, %d accepted, %.2f -> %.2f", search.iterations,
                  search.accepted, search.start_cost, search.best_cost)
        if _served(routes) == n_stops and all(core.refresh(core.make_route(v, r)) for v, r in enumerate(routes) if r):
            return routes
        log.warning("distance search returned an inconsistent plan; keeping the reduced routes")
        return reduced
    distance_costs = CostSettings(costs.distance_scale, costs.time_scale, must_serve,
                                  costs.late_penalty_per_minute, 0.0)
    # 3. distance on the reduced fleet (unused vehicles disabled, no fixed cost).
    remaining = t_end - _time.monotonic()
    if remaining <= 0.05:
        return reduced
    rm = build_routing(inst, distance_costs, [v for v, r in enumerate(reduced) if r])
    result = _search(rm, options, remaining, reduced, len(best), initial_required=True)
    if result is not None and _served(result) == n_stops:
        return result
    # Cannot happen while both sides share the integer tables; keep the safe answer.
    log.warning("reduced routes rejected by the model; keeping %d vehicles", sum(1 for r in best if r))
    return best


# --------------------------------------------------------------------------- plans


def _routes_from_plan(inst: Instance, plan: Plan) -> NodeRoutes:
    """Previous plan -> node routes, skipping stops that no longer exist
    (delivered, cancelled, now on board) and half pairs."""
    vehicle_of = {r.id: v for v, r in enumerate(inst.riders)}
    routes: NodeRoutes = [[] for _ in inst.riders]
    for route in plan.routes:
        v = vehicle_of.get(route.rider_id)
        if v is None:
            continue
        for stop in route.stops:
            node = inst.node_of.get((stop.order_id, stop.kind))
            if node is not None:
                routes[v].append(node)
    placed = {n for r in routes for n in r}
    for p, d in inst.pairs:
        if (p in placed) != (d in placed):
            for r in routes:
                for n in (p, d):
                    if n in r:
                        r.remove(n)
    for v, r in enumerate(routes):  # an on-board drop can only be on its own rider
        routes[v] = [n for n in r if inst.nodes[n].allowed is None or v in inst.nodes[n].allowed]
    return routes


def to_plan(inst: Instance, routes: NodeRoutes) -> Plan:
    """Node routes -> Plan with double-precision schedule (earliest service)."""
    now = inst.problem.now
    plan_routes, served = [], set()
    for v, rider in enumerate(inst.riders):
        here, t = inst.starts[v], inst.start_time[v]
        stops, dist = [], 0.0
        for node_id in routes[v]:
            nd = inst.nodes[node_id]
            arrival = t + inst.nodes[here].service + inst.travel(v, here, node_id)
            start = max(arrival, nd.earliest)
            stops.append(Stop(nd.order.id, StopKind(nd.kind), nd.location, arrival + now, start + now,
                              start + nd.service + now))
            dist += inst.dist[here][node_id]
            here, t = node_id, start
            served.add(nd.order.id)
        end = t + inst.nodes[here].service + inst.travel(v, here, inst.ends[v]) if stops else t
        dist += inst.dist[here][inst.ends[v]] if stops else 0.0
        plan_routes.append(Route(rider.id, stops, dist, end + now))
    unassigned = [Unassigned(oid, reason) for oid, reason in inst.rejected.items()]
    unassigned += [Unassigned(inst.nodes[p].order.id, UnassignedReason.HANDED_TO_COURIER)
                   for p, _ in inst.pairs if inst.nodes[p].order.id not in served]
    return Plan(plan_routes, unassigned)
