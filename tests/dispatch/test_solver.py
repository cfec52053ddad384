"""Dispatch solver behaviour on small live-dispatch problems."""

from __future__ import annotations

import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from delivery.dispatch import (
    CostSettings,
    DispatchOrder,
    Rider,
    RiderState,
    SolverOptions,
    StopKind,
    UnassignedReason,
    check_plan,
    solve,
)
from tests.dispatch.helpers import grid_problem

P = PICKUP = StopKind.PICKUP
D = DELIVERY = StopKind.DELIVERY
FAST = SolverOptions(time_limit=0.3)


def _stops(plan, rider_id):
    return [(s.order_id, s.kind) for s in plan.route_of(rider_id).stops]


@st.composite
def small_problems(draw):
    n_points = draw(st.integers(3, 8))
    points = [(draw(st.integers(0, 20)) * 60.0, draw(st.integers(0, 20)) * 60.0) for _ in range(n_points)]
    loc = st.integers(0, n_points - 1)
    riders = []
    for i in range(draw(st.integers(1, 3))):
        riders.append(Rider(f"r{i}", position=draw(loc), shift_end=draw(st.sampled_from([2400.0, 7200.0])),
                            capacity=draw(st.integers(1, 4)), speed=draw(st.sampled_from([4.0, 8.0])),
                            state=draw(st.sampled_from(list(RiderState)))))
    orders = []
    for j in range(draw(st.integers(0, 6))):
        ready = draw(st.integers(0, 1200)) * 1.0
        orders.append(DispatchOrder(
            f"o{j}", pickup=draw(loc), drop=draw(loc), ready_at=ready,
            deadline=ready + draw(st.sampled_from([600.0, 1800.0, 3600.0])),
            pickup_service=draw(st.sampled_from([0.0, 60.0])), drop_service=draw(st.sampled_from([0.0, 120.0])),
            size=draw(st.integers(1, 3)),
            pinned_rider=draw(st.one_of(st.none(), st.sampled_from([r.id for r in riders] + ["ghost"])))))
    # Put some orders on board of a rider with room for them.
    for r_i, rider in enumerate(riders):
        room = rider.capacity
        board = []
        for o in orders:
            if o.size <= room and draw(st.booleans()) and not any(o.id in x.on_board for x in riders):
                board.append(o.id)
                room -= o.size
        riders[r_i] = Rider(rider.id, rider.position, rider.shift_end, rider.capacity, rider.speed,
                            tuple(board[:2]), rider.state)
    return grid_problem(points, riders, orders, max_lateness=draw(st.sampled_from([0.0, 300.0])))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_problems())
def test_generated_plans_pass_the_checker(problem):
    plan = solve(problem, SolverOptions(time_limit=0.2))
    assert check_plan(problem, plan) == []


def _two_riders(**order_kw):
    points = [(0, 0), (100, 0), (200, 0), (5000, 0)]
    riders = [Rider("near", 0, shift_end=10_000, capacity=3), Rider("far", 3, shift_end=10_000, capacity=3)]
    order = DispatchOrder("o1", pickup=1, drop=2, ready_at=0, deadline=1000, **order_kw)
    return points, riders, order


def test_on_board_order_stays_with_its_rider_and_is_delivered():
    points, riders, order = _two_riders()
    riders[1] = Rider("far", 3, shift_end=10_000, capacity=3, on_board=("o1",))
    problem = grid_problem(points, riders, [order], max_lateness=10_000)
    plan = solve(problem, FAST)
    assert check_plan(problem, plan) == []
    assert _stops(plan, "far") == [("o1", D)]  # delivery only, no second pickup
    assert _stops(plan, "near") == []


def test_on_board_order_is_delivered_even_when_late():
    points, riders, order = _two_riders()
    riders[1] = Rider("far", 3, shift_end=100, capacity=3, on_board=("o1",))  # late already
    problem = grid_problem(points, riders, [order])
    plan = solve(problem, FAST)
    assert check_plan(problem, plan) == []
    assert _stops(plan, "far") == [("o1", D)]
    assert plan.lateness(problem)["o1"] > 0  # reported late, never dropped


def test_manual_pin_is_respected_even_if_another_rider_is_closer():
    points, riders, order = _two_riders(pinned_rider="far")
    problem = grid_problem(points, riders, [order], max_lateness=10_000)
    plan = solve(problem, FAST)
    assert check_plan(problem, plan) == []
    assert _stops(plan, "far") == [("o1", P), ("o1", D)]


def test_unreachable_promise_is_reported_not_planned_late():
    points, riders, order = _two_riders()
    riders = [riders[1]]  # only the far rider: 4.9 km away, deadline in 1000 s
    problem = grid_problem(points, riders, [order], max_lateness=120)
    plan = solve(problem, FAST)
    assert check_plan(problem, plan) == []
    assert [(u.order_id, u.reason) for u in plan.unassigned] == [("o1", UnassignedReason.CANNOT_MAKE_PROMISE)]
    assert plan.vehicles_used == 0


def test_lateness_within_the_cap_is_planned_and_reported():
    points, riders, order = _two_riders()
    problem = grid_problem(points, [riders[1]], [order], max_lateness=10_000)
    plan = solve(problem, FAST)
    assert check_plan(problem, plan) == []
    assert "o1" in plan.lateness(problem)


def test_cheap_courier_quote_hands_the_order_off():
    points, riders, order = _two_riders(handoff_cost=10.0)  # courier cheaper than a 5 km detour
    problem = grid_problem(points, [riders[1]], [order], max_lateness=10_000)
    plan = solve(problem, FAST)
    assert check_plan(problem, plan) == []
    assert [(u.order_id, u.reason) for u in plan.unassigned] == [("o1", UnassignedReason.HANDED_TO_COURIER)]


def test_rider_not_accepting_gets_no_new_order():
    points, riders, order = _two_riders()
    riders[0] = Rider("near", 0, shift_end=10_000, capacity=3, state=RiderState.NOT_ACCEPTING)
    problem = grid_problem(points, riders, [order], max_lateness=10_000)
    plan = solve(problem, FAST)
    assert check_plan(problem, plan) == []
    assert _stops(plan, "near") == []
    assert _stops(plan, "far") == [("o1", P), ("o1", D)]


def test_capacity_forces_two_trips_or_two_riders():
    points = [(0, 0), (100, 0), (200, 0), (300, 0)]
    riders = [Rider("a", 0, shift_end=10_000, capacity=2), Rider("b", 0, shift_end=10_000, capacity=2)]
    orders = [DispatchOrder(f"o{i}", pickup=1, drop=2 + i % 2, ready_at=0, deadline=5000, size=2)
              for i in range(3)]
    problem = grid_problem(points, riders, orders)
    plan = solve(problem, FAST)
    assert check_plan(problem, plan) == []
    assert not plan.unassigned


def test_warm_start_keeps_plan_and_adds_new_order():
    points = [(0, 0), (100, 0), (200, 0), (300, 100), (50, 400)]
    riders = [Rider("a", 0, shift_end=10_000, capacity=4), Rider("b", 4, shift_end=10_000, capacity=4)]
    orders = [DispatchOrder("o1", 1, 2, 0, 3000), DispatchOrder("o2", 1, 3, 0, 3000)]
    problem = grid_problem(points, riders, orders)
    first = solve(problem, FAST)
    problem.orders.append(DispatchOrder("o3", 2, 4, 0, 3000))
    second = solve(problem, SolverOptions(time_limit=0.3, warm_start=first))
    assert check_plan(problem, second) == []
    assert not second.unassigned


def test_open_route_ends_at_last_drop():
    points = [(0, 0), (100, 0), (200, 0)]
    problem = grid_problem(points, [Rider("a", 0, shift_end=10_000, capacity=1)],
                           [DispatchOrder("o1", 1, 2, 0, 3000)])
    plan = solve(problem, FAST)
    assert math.isclose(plan.total_distance, 200.0)


def test_scaled_costs_keep_double_precision_schedule():
    points = [(0, 0), (0.3, 0.4), (1.1, 2.7)]
    problem = grid_problem(points, [Rider("a", 0, shift_end=100, capacity=1)],
                           [DispatchOrder("o1", 1, 2, 0, 0.5 + math.hypot(0.8, 2.3) + 1e-3)])
    plan = solve(problem, SolverOptions(time_limit=0.2, costs=CostSettings(distance_scale=1000, time_scale=1000)))
    assert check_plan(problem, plan) == []
    assert not plan.unassigned


def test_no_riders_leaves_every_order_unassigned_instead_of_crashing():
    points, _riders, order = _two_riders()
    plan = solve(grid_problem(points, [], [order]), SolverOptions(time_limit=0.2))
    assert plan.routes == []
    assert [(u.order_id, u.reason) for u in plan.unassigned] == [("o1", UnassignedReason.NO_ELIGIBLE_RIDER)]
