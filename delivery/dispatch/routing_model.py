"""Turns a dispatch Problem into node tables and an OR-Tools routing model.

Node layout (manager node numbers): one start and one end node per rider, then
one node per stop to make (pickup + delivery for a new order, delivery only for
an order already on board).  Open routes use an end node with no location:
every arc into it is free, so a route "ends anywhere".

Scaling: OR-Tools needs integers.  Costs are distance * distance_scale
(rounded), times are seconds * time_scale.  Travel times are rounded *up* and
window ends *down*, so a schedule that fits in integers also fits in double
precision (never the reverse surprise).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ortools.constraint_solver import pywrapcp

from delivery.dispatch.model import (
    DispatchOrder,
    Problem,
    Rider,
    RiderState,
    StopKind,
    UnassignedReason,
    table_lookup,
)


@dataclass
class CostSettings:
    distance_scale: int = 1  # integer cost units per distance unit
    time_scale: int = 1  # integer ticks per second
    handoff_penalty: float | None = 100_000.0  # distance units per handed-off order; None: mandatory
    late_penalty_per_minute: float = 1_000.0  # distance units per minute past the promise
    vehicle_fixed_cost: float = 0.0  # distance units per rider used


@dataclass
class Node:
    location: int | None  # None: dummy open-route end
    kind: str  # "start" | "end" | StopKind value
    order: DispatchOrder | None = None
    earliest: float = 0.0  # seconds relative to problem.now
    latest: float = math.inf  # hard
    soft_deadline: float | None = None
    service: float = 0.0
    demand: int = 0
    allowed: list[int] | None = None  # vehicle indices; None: any
    optional: bool = True


@dataclass
class Instance:
    """Solver-side view of a Problem: nodes, tables, and pre-rejected orders."""

    problem: Problem
    nodes: list[Node]
    starts: list[int]
    ends: list[int]
    pairs: list[tuple[int, int]]  # (pickup node, delivery node) of new orders
    node_of: dict[tuple[str, StopKind], int]
    rejected: dict[str, UnassignedReason]
    start_time: list[float]  # per vehicle, relative to now
    end_limit: list[float]  # per vehicle, relative to now
    start_load: list[int]
    dist: list[list[float]] = field(default_factory=list)  # node x node, double precision

    @property
    def riders(self) -> list[Rider]:
        return self.problem.riders

    def travel(self, vehicle: int, a: int, b: int) -> float:
        """Travel seconds from node a to node b for this vehicle (double precision)."""
        la, lb = self.nodes[a].location, self.nodes[b].location
        if la is None or lb is None:
            return 0.0
        if self.problem.travel_time is not None:
            return table_lookup(self.problem.travel_time)(la, lb)
        return self.dist[a][b] / self.riders[vehicle].speed


def _solo_trip_ok(problem: Problem, rider: Rider, order: DispatchOrder, hard_cap: float) -> bool:
    """Can this rider, with nothing else to do, pick up and deliver in time?"""
    dist = table_lookup(problem.distance)
    tt = table_lookup(problem.travel_time) if problem.travel_time is not None else (
        lambda a, b: dist(a, b) / rider.speed)
    t = max(problem.now, rider.available_at if rider.available_at is not None else problem.now)
    t = max(t + tt(rider.position, order.pickup), order.ready_at)
    if order.pickup_deadline is not None and t > order.pickup_deadline:
        return False
    t = t + order.pickup_service + tt(order.pickup, order.drop)
    if order.drop_earliest is not None:
        t = max(t, order.drop_earliest)
    if t > hard_cap:
        return False
    t += order.drop_service
    if rider.end_position is not None:
        t += tt(order.drop, rider.end_position)
    return t <= rider.shift_end


def build_instance(problem: Problem) -> Instance:
    now = problem.now
    riders = problem.riders
    orders = {o.id: o for o in problem.orders}
    rider_index = {r.id: v for v, r in enumerate(riders)}
    on_board_of = {oid: v for v, r in enumerate(riders) for oid in r.on_board}
    nodes: list[Node] = []
    for r in riders:
        avail = r.available_at if r.available_at is not None else now
        nodes.append(Node(r.position, "start", earliest=max(0.0, avail - now), optional=False))
    for r in riders:
        nodes.append(Node(r.end_position, "end", optional=False))
    starts = list(range(len(riders)))
    ends = [len(riders) + v for v in range(len(riders))]
    start_time = [nodes[s].earliest for s in starts]
    start_load = [0] * len(riders)
    pairs, node_of, rejected = [], {}, {}
    accepting = [v for v, r in enumerate(riders) if r.state is RiderState.ACCEPTING]
    overrun: set[int] = set()

    # On-board drops first: they decide whether a rider can take new work.
    for order in problem.orders:
        if order.id in on_board_of:
            # Already picked up: must be delivered by that rider whatever it
            # costs, so the promise is soft only (lateness is penalised).
            v = on_board_of[order.id]
            start_load[v] += order.size
            node_of[(order.id, StopKind.DELIVERY)] = len(nodes)
            nodes.append(Node(order.drop, StopKind.DELIVERY.value, order,
                              earliest=max(0.0, (order.drop_earliest or now) - now),
                              soft_deadline=order.deadline - now, service=order.drop_service,
                              demand=-order.size, allowed=[v], optional=False))
    dist_fn = table_lookup(problem.distance)
    partial = Instance(problem, nodes, starts, ends, [], node_of, rejected, start_time, [], start_load,
                       _distances(dist_fn, nodes))
    end_limit = []
    for v, r in enumerate(riders):
        finish = _on_board_finish(partial, v)
        end_limit.append(max(r.shift_end - now, finish))
        if finish > r.shift_end - now:
            overrun.add(v)  # only finishes what is on board, takes nothing new

    for order in problem.orders:
        if order.id in on_board_of:
            continue
        hard_cap = order.deadline + problem.max_lateness - now
        if order.pinned_rider is not None:
            v = rider_index.get(order.pinned_rider)
            eligible = [] if v is None else [v]  # a manual pin overrides the acceptance state
        else:
            eligible = list(accepting)
        eligible = [v for v in eligible if riders[v].capacity >= order.size and v not in overrun]
        if not eligible:
            rejected[order.id] = UnassignedReason.NO_ELIGIBLE_RIDER
            continue
        eligible = [v for v in eligible if _solo_trip_ok(problem, riders[v], order, hard_cap + now)]
        if not eligible:
            rejected[order.id] = UnassignedReason.CANNOT_MAKE_PROMISE
            continue
        pickup_latest = hard_cap if order.pickup_deadline is None else min(hard_cap, order.pickup_deadline - now)
        soft = order.deadline - now if problem.max_lateness > 0 else None
        allowed = None if len(eligible) == len(riders) else eligible
        p, d = len(nodes), len(nodes) + 1
        nodes.append(Node(order.pickup, StopKind.PICKUP.value, order, earliest=max(0.0, order.ready_at - now),
                          latest=pickup_latest, service=order.pickup_service, demand=order.size, allowed=allowed))
        nodes.append(Node(order.drop, StopKind.DELIVERY.value, order,
                          earliest=max(0.0, (order.drop_earliest or now) - now), latest=hard_cap,
                          soft_deadline=soft, service=order.drop_service, demand=-order.size, allowed=allowed))
        node_of[(order.id, StopKind.PICKUP)] = p
        node_of[(order.id, StopKind.DELIVERY)] = d
        pairs.append((p, d))

    unknown = [oid for oid in on_board_of if oid not in orders]
    if unknown:
        raise ValueError(f"orders on board but missing from problem.orders: {unknown}")

    return Instance(problem, nodes, starts, ends, pairs, node_of, rejected, start_time, end_limit,
                    start_load, _distances(dist_fn, nodes))


def _distances(dist_fn, nodes: list[Node]) -> list[list[float]]:
    locs = [n.location for n in nodes]
    return [[0.0 if (a is None or b is None) else float(dist_fn(a, b)) for b in locs] for a in locs]


def _on_board_finish(inst: Instance, v: int) -> float:
    """Time a nearest-neighbour tour of the rider's on-board drops would end.

    On-board orders cannot be dropped, so the shift end is relaxed to at least
    this, which keeps the model feasible even for a rider who is running late.
    """
    todo = [i for i, n in enumerate(inst.nodes) if n.allowed == [v] and not n.optional]
    here, t = inst.starts[v], inst.start_time[v]
    while todo:
        nxt = min(todo, key=lambda i: inst.travel(v, here, i))
        t = max(t + inst.nodes[here].service + inst.travel(v, here, nxt), inst.nodes[nxt].earliest)
        here = nxt
        todo.remove(nxt)
    t += inst.nodes[here].service + inst.travel(v, here, inst.ends[v])
    return t


def scaled_transit(inst: Instance, v: int, nodes: list[int], ts: int) -> list[list[int]]:
    """Integer time from each node to each other (service at origin + travel),
    rounded up.  Shared by the OR-Tools model and the fleet-reduction heuristic
    so both agree exactly on feasibility."""
    return [[math.ceil((inst.nodes[a].service + inst.travel(v, a, b)) * ts - 1e-9) for b in nodes] for a in nodes]


def scaled_horizon(inst: Instance, ts: int) -> int:
    finite = [x for x in (*inst.end_limit, *(nd.latest for nd in inst.nodes)) if math.isfinite(x)]
    return int(math.ceil(max(finite, default=0.0) * ts)) + 1


def scaled_window(nd: Node, ts: int, horizon: int) -> tuple[int, int]:
    lo = int(math.ceil(nd.earliest * ts))
    hi = horizon if not math.isfinite(nd.latest) else int(math.floor(nd.latest * ts))
    return lo, max(lo, hi)


@dataclass
class RoutingModel:
    """An OR-Tools model over a subset of the riders.

    `nodes[i]` is the Instance node behind model node i; `vehicles[k]` is the
    rider index behind model vehicle k.
    """

    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time: pywrapcp.RoutingDimension
    nodes: list[int]
    vehicles: list[int]

    def index(self, inst_node: int) -> int:
        return self.manager.NodeToIndex(self._local[inst_node])

    def inst_node(self, index: int) -> int:
        return self.nodes[self.manager.IndexToNode(index)]

    def __post_init__(self):
        self._local = {node: i for i, node in enumerate(self.nodes)}


def build_routing(inst: Instance, costs: CostSettings, vehicles: list[int] | None = None,
                  drop_penalty: float | None = None) -> RoutingModel:
    """OR-Tools PDPTW model restricted to `vehicles` (rider indices; default all,
    riders with orders on board are always kept).  `drop_penalty` overrides
    every new order's handoff cost."""
    if vehicles is None:
        vehicles = list(range(len(inst.riders)))
    vehicles = sorted(set(vehicles) | {v for v in range(len(inst.riders)) if inst.start_load[v]})
    k = len(vehicles)
    stop_nodes = [i for i, nd in enumerate(inst.nodes) if nd.kind not in ("start", "end")]
    mnodes = [inst.starts[v] for v in vehicles] + [inst.ends[v] for v in vehicles] + stop_nodes
    n = len(mnodes)
    ds, ts = costs.distance_scale, costs.time_scale
    manager = pywrapcp.RoutingIndexManager(n, k, list(range(k)), list(range(k, 2 * k)))
    routing = pywrapcp.RoutingModel(manager)
    rm = RoutingModel(manager, routing, None, mnodes, vehicles)

    cost_matrix = [[int(round(inst.dist[a][b] * ds)) for b in mnodes] for a in mnodes]
    # Arcs into a dummy end are free (dist is 0 there already); starts are never entered.
    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitMatrix(cost_matrix))
    if costs.vehicle_fixed_cost:
        routing.SetFixedCostOfAllVehicles(int(round(costs.vehicle_fixed_cost * ds)))

    # Time: service at the origin + travel, one transit matrix per distinct speed.
    by_speed: dict[float, int] = {}
    vehicle_cb = []
    for v in vehicles:
        key = inst.riders[v].speed if inst.problem.travel_time is None else 0.0
        if key not in by_speed:
            by_speed[key] = routing.RegisterTransitMatrix(scaled_transit(inst, v, mnodes, ts))
        vehicle_cb.append(by_speed[key])
    horizon = scaled_horizon(inst, ts)
    routing.AddDimensionWithVehicleTransits(vehicle_cb, horizon, horizon, False, "Time")
    time = rm.time = routing.GetDimensionOrDie("Time")

    demand_cb = routing.RegisterUnaryTransitVector([inst.nodes[a].demand for a in mnodes])
    routing.AddDimensionWithVehicleCapacity(demand_cb, 0, [inst.riders[v].capacity for v in vehicles],
                                            False, "Load")
    load = routing.GetDimensionOrDie("Load")

    late_coeff = 0
    if costs.late_penalty_per_minute > 0:
        late_coeff = max(1, int(round(costs.late_penalty_per_minute * ds / (60.0 * ts))))
    for mv, v in enumerate(vehicles):
        t0 = int(math.ceil(inst.start_time[v] * ts))
        time.CumulVar(routing.Start(mv)).SetValue(t0)
        time.CumulVar(routing.End(mv)).SetMax(max(t0, int(math.floor(inst.end_limit[v] * ts))))
        load.CumulVar(routing.Start(mv)).SetValue(inst.start_load[v])

    for node_id in stop_nodes:
        nd = inst.nodes[node_id]
        idx = rm.index(node_id)
        time.CumulVar(idx).SetRange(*scaled_window(nd, ts, horizon))
        if nd.soft_deadline is not None and late_coeff:
            time.SetCumulVarSoftUpperBound(idx, max(0, int(math.floor(nd.soft_deadline * ts))), late_coeff)
        if nd.allowed is not None:
            # (SetAllowedVehiclesForIndex does not accept a list in these Python bindings.)
            allowed = [mv for mv, v in enumerate(vehicles) if v in nd.allowed]
            routing.VehicleVar(idx).SetValues(([-1] if nd.optional else []) + allowed)

    solver = routing.solver()
    for p, d in inst.pairs:
        pi, di = rm.index(p), rm.index(d)
        routing.AddPickupAndDelivery(pi, di)
        solver.Add(routing.VehicleVar(pi) == routing.VehicleVar(di))
        solver.Add(time.CumulVar(pi) <= time.CumulVar(di))
        order = inst.nodes[p].order
        penalty = drop_penalty
        if penalty is None:
            penalty = order.handoff_cost if order.handoff_cost is not None else costs.handoff_penalty
        if penalty is not None:
            # One disjunction over the pair, both or neither (google/or-tools#1211),
            # paid once per order rather than per node.
            routing.AddDisjunction([pi, di], int(round(penalty * ds)), 2, routing.PENALIZE_ONCE)
    for mv in range(k):
        routing.AddVariableMinimizedByFinalizer(time.CumulVar(routing.End(mv)))
    return rm
