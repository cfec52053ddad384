"""Small hand-made dispatch problems for the tests (plane coordinates, speed 1)."""

from __future__ import annotations

import math

from delivery.dispatch import DispatchOrder, Plan, Problem, Rider, Route, Stop, StopKind


def grid_problem(points: list[tuple[float, float]], riders: list[Rider], orders: list[DispatchOrder],
                 now: float = 0.0, max_lateness: float = 0.0) -> Problem:
    dist = [[math.hypot(a[0] - b[0], a[1] - b[1]) for b in points] for a in points]
    return Problem(riders=riders, orders=orders, distance=dist, now=now, max_lateness=max_lateness)


def hand_route(problem: Problem, rider_id: str, visits: list[tuple[str, StopKind]]) -> Route:
    """A route with earliest-start times, computed here (not by the solver)."""
    rider = next(r for r in problem.riders if r.id == rider_id)
    orders = {o.id: o for o in problem.orders}
    d = problem.distance
    here, t, service, stops, length = rider.position, problem.now, 0.0, [], 0.0
    for oid, kind in visits:
        o = orders[oid]
        loc = o.pickup if kind is StopKind.PICKUP else o.drop
        arrival = t + service + d[here][loc] / rider.speed
        length += d[here][loc]
        if kind is StopKind.PICKUP:
            start, service = max(arrival, o.ready_at), o.pickup_service
        else:
            start, service = max(arrival, o.drop_earliest or arrival), o.drop_service
        stops.append(Stop(oid, kind, loc, arrival, start, start + service))
        here, t = loc, start
    if stops and rider.end_position is not None:
        length += d[here][rider.end_position]
    return Route(rider_id, stops, length, t + service)


def plan_of(problem: Problem, routes: dict[str, list[tuple[str, StopKind]]], unassigned=()) -> Plan:
    return Plan([hand_route(problem, r.id, routes.get(r.id, [])) for r in problem.riders], list(unassigned))
