"""Independent plan checker.

Recomputes every schedule from the Problem alone, in double precision, with
its own code (nothing from the solver or its model), so a solver bug cannot
hide itself.  Returns a list of violations; an empty list means feasible.

Contract checked:
* every order is either served (pickup then delivery on one rider; delivery
  only, by its rider, when already on board) or listed unassigned with a
  reason — never both, never neither; on-board orders are never unassigned;
* pickups start no earlier than ready_at and no later than pickup_deadline;
  deliveries no earlier than drop_earliest and no later than the hard cap
  (deadline + max_lateness) — except on-board orders, whose lateness is
  unavoidable and only penalised;
* load (starting with what is on board) never exceeds capacity;
* the route ends by shift_end, unless the rider is only finishing on-board
  orders (no pickups);
* manual pins and the riders' acceptance state are respected;
* the plan's reported times and distances match the recomputation.
"""

from __future__ import annotations

from dataclasses import dataclass

from delivery.dispatch.model import Plan, Problem, RiderState, StopKind

TOL = 1e-6


@dataclass(frozen=True)
class Violation:
    kind: str
    message: str
    order_id: str | None = None
    rider_id: str | None = None


def _table(table):
    return table if callable(table) else (lambda a, b: table[a][b])


def route_distance(problem: Problem, rider, locations: list[int]) -> float:
    """Double-precision length of a rider's path through these locations."""
    dist = _table(problem.distance)
    path = [rider.position, *locations]
    if locations and rider.end_position is not None:
        path.append(rider.end_position)
    return sum(dist(a, b) for a, b in zip(path, path[1:]))


def plan_distance(problem: Problem, plan: Plan) -> float:
    riders = {r.id: r for r in problem.riders}
    return sum(route_distance(problem, riders[route.rider_id], [s.location for s in route.stops])
               for route in plan.routes if route.rider_id in riders)


def check_plan(problem: Problem, plan: Plan) -> list[Violation]:
    out: list[Violation] = []
    orders = {o.id: o for o in problem.orders}
    riders = {r.id: r for r in problem.riders}
    on_board_rider = {oid: r.id for r in problem.riders for oid in r.on_board}
    dist = _table(problem.distance)
    seen_stops: dict[tuple[str, StopKind], str] = {}
    seen_riders: set[str] = set()

    for route in plan.routes:
        rider = riders.get(route.rider_id)
        if rider is None:
            out.append(Violation("unknown_rider", f"route for unknown rider {route.rider_id}", rider_id=route.rider_id))
            continue
        if rider.id in seen_riders:
            out.append(Violation("duplicate_route", "rider has two routes", rider_id=rider.id))
        seen_riders.add(rider.id)
        if problem.travel_time is not None:
            travel = _table(problem.travel_time)
        else:
            travel = (lambda a, b, _s=rider.speed: dist(a, b) / _s)
        t = max(problem.now, rider.available_at if rider.available_at is not None else problem.now)
        here, service = rider.position, 0.0
        load = sum(orders[o].size for o in rider.on_board if o in orders)
        picked: set[str] = set()
        has_pickup = False
        for stop in route.stops:
            order = orders.get(stop.order_id)
            if order is None:
                out.append(Violation("unknown_order", f"stop for unknown order {stop.order_id}",
                                     stop.order_id, rider.id))
                continue
            key = (order.id, stop.kind)
            if key in seen_stops:
                out.append(Violation("duplicate_stop", f"{stop.kind.value} visited twice", order.id, rider.id))
            seen_stops[key] = rider.id
            expected_loc = order.pickup if stop.kind is StopKind.PICKUP else order.drop
            if stop.location != expected_loc:
                out.append(Violation("wrong_location", f"{stop.kind.value} at {stop.location}, "
                                     f"expected {expected_loc}", order.id, rider.id))
            arrival = t + service + travel(here, expected_loc)
            if stop.kind is StopKind.PICKUP:
                has_pickup = True
                if order.id in on_board_rider:
                    out.append(Violation("pickup_on_board", "order already on board picked up again",
                                         order.id, rider.id))
                if order.pinned_rider is not None and order.pinned_rider != rider.id:
                    out.append(Violation("pin_ignored", f"pinned to {order.pinned_rider}", order.id, rider.id))
                elif order.pinned_rider is None and rider.state is not RiderState.ACCEPTING:
                    out.append(Violation("not_accepting", "new order given to a rider not accepting",
                                         order.id, rider.id))
                start = max(arrival, order.ready_at)
                if order.pickup_deadline is not None and start > order.pickup_deadline + TOL:
                    out.append(Violation("pickup_late", f"pickup starts {start:.6f} > "
                                         f"{order.pickup_deadline}", order.id, rider.id))
                load += order.size
                picked.add(order.id)
                service = order.pickup_service
            else:
                if order.id in on_board_rider:
                    if on_board_rider[order.id] != rider.id:
                        out.append(Violation("wrong_rider", f"on board with {on_board_rider[order.id]}",
                                             order.id, rider.id))
                elif order.id not in picked:
                    out.append(Violation("precedence", "delivered before (or without) its pickup on this route",
                                         order.id, rider.id))
                start = max(arrival, order.drop_earliest if order.drop_earliest is not None else arrival)
                cap = order.deadline + problem.max_lateness
                if order.id not in on_board_rider and start > cap + TOL:
                    out.append(Violation("late", f"delivery starts {start:.6f} > hard cap {cap}",
                                         order.id, rider.id))
                load -= order.size
                service = order.drop_service
            if load > rider.capacity:
                out.append(Violation("capacity", f"load {load} > {rider.capacity}", order.id, rider.id))
            if abs(stop.start - start) > 1e-3 or abs(stop.arrival - arrival) > 1e-3:
                out.append(Violation("time_mismatch", f"plan says start {stop.start:.3f}, "
                                     f"recomputed {start:.3f}", order.id, rider.id))
            t, here = start, expected_loc
        for oid in picked:
            if (oid, StopKind.DELIVERY) not in seen_stops or seen_stops[(oid, StopKind.DELIVERY)] != rider.id:
                out.append(Violation("pairing", "picked up but not delivered by the same rider", oid, rider.id))
        end = t + service
        if route.stops and rider.end_position is not None:
            end += travel(here, rider.end_position)
        if route.stops and end > rider.shift_end + TOL and has_pickup:
            out.append(Violation("shift_end", f"route ends {end:.6f} > shift end {rider.shift_end}",
                                 rider_id=rider.id))
        length = route_distance(problem, rider, [s.location for s in route.stops])
        if abs(length - route.distance) > 1e-6 * max(1.0, length):
            out.append(Violation("distance_mismatch", f"plan says {route.distance}, recomputed {length}",
                                 rider_id=rider.id))

    unassigned = {}
    for u in plan.unassigned:
        if u.order_id in unassigned:
            out.append(Violation("duplicate_unassigned", "listed unassigned twice", u.order_id))
        unassigned[u.order_id] = u.reason
    for oid, order in orders.items():
        delivered = (oid, StopKind.DELIVERY) in seen_stops
        if oid in unassigned:
            if oid in on_board_rider:
                out.append(Violation("on_board_unassigned", "an order on board cannot be handed off", oid))
            if delivered or (oid, StopKind.PICKUP) in seen_stops:
                out.append(Violation("served_and_unassigned", "both routed and unassigned", oid))
        elif not delivered:
            out.append(Violation("missing", "neither served nor handed off", oid))
    for oid in unassigned:
        if oid not in orders:
            out.append(Violation("unknown_order", "unassigned order not in problem", oid))
    return out
