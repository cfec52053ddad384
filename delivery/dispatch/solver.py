"""Dispatch solver: OR-Tools pickup-and-delivery with time windows.

Two modes share one model (see routing_model.py):

* live dispatch (default): riders start where they are, routes are open, each
  order may be handed to a courier for its handoff cost, lateness past the
  promise is penalised per minute up to a hard cap.  Warm-started from the
  previous plan when given.
* benchmark / fleet mode (`minimise_vehicles=True`): hierarchical objective,
  vehicles first then distance.  Construction, then vehicle reduction (empty
  the smallest route, forbid its vehicle, and let guided local search try to
  re-insert its orders under a large drop penalty; keep if it succeeds), then
  distance optimisation on the reduced fleet.
"""

from __future__ import annotations

import logging
import time as _time
from dataclasses import dataclass

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from delivery.dispatch.model import Plan, Problem, Route, Stop, StopKind, Unassigned, UnassignedReason
from delivery.dispatch.fleet_reduction import reduce_fleet
from delivery.dispatch.routing_model import CostSettings, Instance, RoutingModel, build_instance, build_routing

log = logging.getLogger(__name__)

NodeRoutes = list[list[int]]  # per vehicle, manager node ids of its stops in order


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
    reduction_method: str = "gls"  # "gls" | "ils_sa" | "ils_abs"
    distance_method: str = "gls"


def solve(problem: Problem, options: SolverOptions | None = None) -> Plan:
    options = options or SolverOptions()
    t_end = _time.monotonic() + options.time_limit
    costs = options.costs or CostSettings()
    inst = build_instance(problem)
    if options.minimise_vehicles:
        routes = _solve_fleet(inst, costs, options, t_end)
        rm = None
    else:
        rm = build_routing(inst, costs)
        initial = _routes_from_plan(inst, options.warm_start) if options.warm_start else None
        routes = _search(rm, options, t_end - _time.monotonic(), initial, len(inst.riders))
    return to_plan(inst, routes)


# --------------------------------------------------------------------------- search


def _params(options: SolverOptions, seconds: float, method: str = "gls"):
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, options.first_solution)
    if method == "gls":
        params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    else:
        _set_ruin_recreate(params, method)
    params.time_limit.FromMilliseconds(max(10, int(seconds * 1000)))
    params.log_search = options.log_search
    return params


def _set_ruin_recreate(params, method: str) -> None:
    """Iterated local search with SISR ruin-and-recreate (Christiaens & Vanden
    Berghe 2020): removes geographically close strings of visits from a few
    neighbouring routes, which is what frees room for a whole extra order."""
    params.use_iterated_local_search = True
    ils = params.iterated_local_search_parameters
    rr = ils.ruin_recreate_parameters
    del rr.ruin_strategies[:]
    sisr = rr.ruin_strategies.add().sisr
    sisr.max_removed_sequence_size = 10
    sisr.avg_num_removed_visits = 10
    sisr.bypass_factor = 0.01
    rr.recreate_strategy.heuristic = routing_enums_pb2.FirstSolutionStrategy.LOCAL_CHEAPEST_INSERTION
    ils.improve_perturbed_solution = True
    ref = ils.reference_solution_acceptance_strategy
    if method == "ils_abs":
        ref.absences_based.remove_route_with_lowest_absences = False
    else:
        ref.simulated_annealing.cooling_schedule_strategy = 1  # EXPONENTIAL
        ref.simulated_annealing.automatic_temperatures = True
    ils.best_solution_acceptance_strategy.greedy_descent.SetInParent()


def _search(rm: RoutingModel, options: SolverOptions, seconds: float, initial: NodeRoutes | None,
            n_riders: int, stop_when_all_performed: bool = False, method: str = "gls",
            initial_required: bool = False) -> NodeRoutes | None:
    routing, manager = rm.routing, rm.manager
    params = _params(options, seconds, method)
    routing.CloseModelWithParameters(params)
    if stop_when_all_performed:
        # Vehicle reduction only needs *a* solution serving everything.
        big = routing.GetDisjunctionPenalty(0) if routing.GetNumberOfDisjunctions() else None

        def _check():
            if big is not None and routing.CostVar().Max() < big:
                routing.solver().FinishCurrentSearch()
        routing.AddAtSolutionCallback(_check)
    solution = None
    if initial is not None:
        start = routing.ReadAssignmentFromRoutes([[rm.index(n) for n in initial[v]] for v in rm.vehicles], True)
        if start is not None:
            solution = routing.SolveFromAssignmentWithParameters(start, params)
    if solution is None and not (initial is not None and (stop_when_all_performed or initial_required)):
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


def _route_length(inst: Instance, v: int, route: list[int]) -> float:
    path = [inst.starts[v], *route, inst.ends[v]]
    return sum(inst.dist[a][b] for a, b in zip(path, path[1:]))


def _solve_fleet(inst: Instance, costs: CostSettings, options: SolverOptions, t_end: float) -> NodeRoutes:
    budget = options.time_limit
    must_serve = 1000.0 * (1.0 + sum(max(row) for row in inst.dist))  # dwarfs any distance
    fleet_costs = CostSettings(costs.distance_scale, costs.time_scale, must_serve,
                               costs.late_penalty_per_minute, must_serve / 100.0)
    # 1. construction with a fixed cost per vehicle (fewer vehicles first).
    rm = build_routing(inst, fleet_costs)
    initial = _routes_from_plan(inst, options.warm_start) if options.warm_start else None
    best = _search(rm, options, budget * options.construction_share, initial, len(inst.riders))
    if best is None:
        return [[] for _ in inst.riders]
    n_stops = _served(best)
    log.debug("construction: %d vehicles", sum(1 for r in best if r))
    # 2. vehicle reduction (our own ruin-and-recreate, see fleet_reduction.py).
    reduction_end = min(t_end, _time.monotonic() + budget * options.reduction_share)
    reduced = reduce_fleet(inst, best, costs.time_scale, reduction_end)
    log.debug("reduction: %d vehicles", sum(1 for r in reduced if r))
    distance_costs = CostSettings(costs.distance_scale, costs.time_scale, must_serve,
                                  costs.late_penalty_per_minute, 0.0)
    # 3. distance on the reduced fleet (unused vehicles disabled, no fixed cost).
    remaining = t_end - _time.monotonic()
    if remaining <= 0.05:
        return reduced
    if True:
        rm = build_routing(inst, distance_costs, [v for v, r in enumerate(reduced) if r])
        result = _search(rm, options, remaining, reduced, len(best), method=options.distance_method,
                         initial_required=True)
        if result is not None and _served(result) == n_stops:
            best = result
        else:
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
