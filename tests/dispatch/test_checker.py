"""The independent checker catches each kind of hand-made violation."""

from __future__ import annotations

import dataclasses

import pytest

from delivery.dispatch import DispatchOrder, Rider, RiderState, StopKind, Unassigned, UnassignedReason, check_plan
from tests.dispatch.helpers import grid_problem, hand_route, plan_of

P, D = StopKind.PICKUP, StopKind.DELIVERY


def _problem(**kw):
    points = [(0, 0), (100, 0), (200, 0), (300, 0)]
    riders = kw.pop("riders", None) or [Rider("a", 0, shift_end=10_000, capacity=2),
                                        Rider("b", 0, shift_end=10_000, capacity=2)]
    orders = kw.pop("orders", None) or [DispatchOrder("o1", 1, 2, 0, 1000), DispatchOrder("o2", 1, 3, 0, 1000)]
    return grid_problem(points, riders, orders, **kw)


def _kinds(problem, plan):
    return {v.kind for v in check_plan(problem, plan)}


def test_valid_plan_has_no_violation():
    problem = _problem()
    plan = plan_of(problem, {"a": [("o1", P), ("o2", P), ("o1", D), ("o2", D)]})
    assert check_plan(problem, plan) == []


@pytest.mark.parametrize("kind, routes, unassigned, problem_kw", [
    ("late", {"a": [("o1", P), ("o2", P), ("o2", D), ("o1", D)]}, (),
     {"orders": [DispatchOrder("o1", 1, 2, 0, 250), DispatchOrder("o2", 1, 3, 0, 1000)]}),
    ("pickup_late", {"a": [("o1", P), ("o1", D), ("o2", P), ("o2", D)]}, (),
     {"orders": [DispatchOrder("o1", 1, 2, 0, 1000), DispatchOrder("o2", 1, 3, 0, 1000, pickup_deadline=150)]}),
    ("capacity", {"a": [("o1", P), ("o2", P), ("o1", D), ("o2", D)]}, (),
     {"orders": [DispatchOrder("o1", 1, 2, 0, 1000, size=2), DispatchOrder("o2", 1, 3, 0, 1000)]}),
    ("pairing", {"a": [("o1", P), ("o2", P), ("o2", D)], "b": [("o1", D)]}, (), {}),
    ("precedence", {"a": [("o1", D), ("o1", P), ("o2", P), ("o2", D)]}, (), {}),
    ("missing", {"a": [("o1", P), ("o1", D)]}, (), {}),
    ("served_and_unassigned", {"a": [("o1", P), ("o1", D), ("o2", P), ("o2", D)]},
     (Unassigned("o2", UnassignedReason.HANDED_TO_COURIER),), {}),
    ("duplicate_stop", {"a": [("o1", P), ("o1", D), ("o2", P), ("o2", D), ("o2", D)]}, (), {}),
    ("shift_end", {"a": [("o1", P), ("o1", D), ("o2", P), ("o2", D)]}, (),
     {"riders": [Rider("a", 0, shift_end=300, capacity=2)]}),
    ("pin_ignored", {"a": [("o1", P), ("o1", D), ("o2", P), ("o2", D)]}, (),
     {"orders": [DispatchOrder("o1", 1, 2, 0, 1000, pinned_rider="b"), DispatchOrder("o2", 1, 3, 0, 1000)]}),
    ("not_accepting", {"a": [("o1", P), ("o1", D), ("o2", P), ("o2", D)]}, (),
     {"riders": [Rider("a", 0, shift_end=10_000, capacity=2, state=RiderState.NOT_ACCEPTING)]}),
    ("wrong_rider", {"a": [("o2", P), ("o2", D)], "b": [("o1", D)]}, (),
     {"riders": [Rider("a", 0, shift_end=10_000, capacity=2, on_board=("o1",)),
                 Rider("b", 0, shift_end=10_000, capacity=2)]}),
    ("pickup_on_board", {"a": [("o1", P), ("o1", D), ("o2", P), ("o2", D)]}, (),
     {"riders": [Rider("a", 0, shift_end=10_000, capacity=2, on_board=("o1",))]}),
    ("on_board_unassigned", {"a": [("o2", P), ("o2", D)]},
     (Unassigned("o1", UnassignedReason.HANDED_TO_COURIER),),
     {"riders": [Rider("a", 0, shift_end=10_000, capacity=2, on_board=("o1",))]}),
])
def test_each_violation_kind_is_caught(kind, routes, unassigned, problem_kw):
    problem = _problem(**problem_kw)
    plan = plan_of(problem, routes, unassigned)
    assert kind in _kinds(problem, plan)


def test_reported_times_and_distances_are_rechecked():
    problem = _problem()
    route = hand_route(problem, "a", [("o1", P), ("o1", D), ("o2", P), ("o2", D)])
    route.stops[1] = dataclasses.replace(route.stops[1], start=route.stops[1].start - 50)
    route.distance += 1.0
    plan = plan_of(problem, {})
    plan.routes[0] = route
    assert {"time_mismatch", "distance_mismatch"} <= _kinds(problem, plan)


def test_stop_at_the_wrong_place_is_caught():
    problem = _problem()
    plan = plan_of(problem, {"a": [("o1", P), ("o1", D), ("o2", P), ("o2", D)]})
    plan.routes[0].stops[0] = dataclasses.replace(plan.routes[0].stops[0], location=3)
    assert "wrong_location" in _kinds(problem, plan)
