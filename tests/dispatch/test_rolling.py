"""Rolling-horizon dispatcher: commitments, pins, events, reports, safety, partitions."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from delivery.dispatch import Plan, StopKind, UnassignedReason, check_plan
from delivery.dispatch.rolling import (
    CityDispatcher,
    DispatcherConfig,
    OrderInfo,
    OrderStatus,
    PlaneTravel,
    RiderInfo,
)
from delivery.dispatch.partitions import DispatchService, partition_owner
from delivery.dispatch.solver import solve

TRAVEL = PlaneTravel(speed_mps=5.0, detour=1.0)  # 300 m per minute, straight lines


def make(partition="city", **cfg) -> CityDispatcher:
    base = dict(time_limit=0.3, min_solve_time=0.05, solve_time_per_free_order=0.05)
    base.update(cfg)
    return CityDispatcher(partition, TRAVEL, DispatcherConfig(**base))


def order(oid, store=(0.0, 0.0), drop=(1500.0, 0.0), ready=0.0, deadline=1800.0, **kw) -> OrderInfo:
    return OrderInfo(oid, store, drop, ready_at=ready, deadline=deadline, pickup_service=60.0,
                     drop_service=60.0, **kw)


def rider(rid, pos=(0.0, 0.0), shift_end=4 * 3600.0, **kw) -> RiderInfo:
    return RiderInfo(rid, pos, shift_end, **kw)


def route_orders(plan: Plan, rider_id: str) -> list[str]:
    route = plan.route_of(rider_id)
    return [s.order_id for s in route.stops if s.kind is StopKind.PICKUP] if route else []


def test_new_order_triggers_a_replan_that_includes_it():
    d = make()
    d.set_rider(rider("r1"), now=0.0)
    d.tick(0.0)  # first cycle: nothing to plan
    assert d.due(1.0) is None
    d.replan(1.0)
    d.add_order(order("o1", ready=1200.0, deadline=3600.0), now=1.5)
    assert d.due(2.0) is None  # rate-limited: min_event_gap (2 s) after the last cycle
    assert d.due(3.0) == "event"
    res = d.tick(3.0)
    assert res is not None and res.record.status == "committed" and res.record.free_orders == 1
    assert route_orders(res.plan, "r1") == ["o1"]
    assert d.orders["o1"].planned_rider == "r1"
    # ready in 20 min, rider at the store: nothing needs committing yet
    assert d.orders["o1"].status is OrderStatus.OPEN and res.commitments == []


def test_commits_only_when_the_rider_must_leave_soon():
    d = make()
    d.set_rider(rider("r1", pos=(3000.0, 0.0)), now=0.0)  # 10 min from the store
    d.add_order(order("o1", ready=1500.0, deadline=3600.0), now=0.0)
    res = d.replan(0.0)
    assert res.commitments == [] and d.orders["o1"].status is OrderStatus.OPEN
    # must leave at 1500 - 600 = 900; the commit horizon is 1.5 periods (45 s)
    assert d.replan(800.0).commitments == []
    res = d.replan(870.0)
    assert [(c.order_id, c.rider_id) for c in res.commitments] == [("o1", "r1")]
    c = res.commitments[0]
    assert c.depart_by == pytest.approx(900.0, abs=2.0) and c.pickup_eta == pytest.approx(1500.0)
    assert d.orders["o1"].status is OrderStatus.FIRM


def test_firm_assignment_is_not_moved_until_staff_unpins_it():
    d = make()
    d.set_rider(rider("far", pos=(2400.0, 0.0)), now=0.0)
    d.add_order(order("o1", ready=480.0, deadline=2400.0), now=0.0)
    res = d.replan(0.0)
    assert [c.rider_id for c in res.commitments] == ["far"]  # must leave now
    # A rider appears right at the store: better, but the order is firm on "far".
    d.set_rider(rider("near", pos=(0.0, 0.0)), now=10.0)
    for t in (12.0, 40.0, 70.0):
        d.update_rider("near", position=(0.0, 10.0 + t), available_at=t, accepting=True, now=t)  # wanders
        res = d.replan(t)
        assert res.record.status == "committed"
        assert route_orders(res.plan, "far") == ["o1"] and route_orders(res.plan, "near") == []
        assert d.orders["o1"].rider == "far"
    d.unpin("o1", now=80.0)
    assert d.orders["o1"].status is OrderStatus.OPEN
    assert any(a.kind == "released" and a.order_id == "o1" for a in d.alerts)
    res = d.replan(82.0)
    assert route_orders(res.plan, "near") == ["o1"]


def test_manual_pin_is_respected_and_overrides_acceptance():
    d = make()
    d.set_rider(rider("near"), now=0.0)
    d.set_rider(rider("paused", pos=(1800.0, 0.0), accepting=False), now=0.0)
    d.add_order(order("o1", ready=600.0, deadline=3000.0), now=0.0)
    c = d.pin("o1", "paused", now=1.0)
    assert c.manual and d.orders["o1"].status is OrderStatus.FIRM and d.orders["o1"].staff_pinned
    for t in (2.0, 30.0, 60.0):
        res = d.replan(t)
        assert res.record.status in ("committed", "skipped")  # skipped: nothing changed, nothing free
        assert route_orders(d.plan, "paused") == ["o1"] and route_orders(d.plan, "near") == []
    # the engine never moves a firm order; a new unpinned order may go to "near"
    d.add_order(order("o2", ready=600.0, deadline=3000.0), now=61.0)
    res = d.replan(63.0)
    assert "o2" in route_orders(res.plan, "near") and route_orders(res.plan, "paused") == ["o1"]


def test_order_that_cannot_make_its_promise_is_reported_and_handed_off():
    d = make(max_lateness=300.0)
    d.set_rider(rider("r1"), now=0.0)
    # 9 km from the store to the door: 30 min ride, promised in 15 min (+5 tolerated)
    d.add_order(order("o1", drop=(9000.0, 0.0), ready=0.0, deadline=900.0), now=0.0)
    res = d.replan(0.0)
    assert [(a.order_id, a.kind) for a in res.alerts] == [("o1", "cannot_make_promise")]
    assert [(h.order_id, h.reason) for h in res.handoffs] == [("o1", UnassignedReason.CANNOT_MAKE_PROMISE)]
    assert "o1" not in d.orders  # the courier has it now


def test_without_courier_a_hopeless_order_is_reported_not_silently_kept():
    d = make(max_lateness=300.0, courier_enabled=False)
    d.set_rider(rider("r1"), now=0.0)
    d.add_order(order("o1", drop=(9000.0, 0.0), ready=0.0, deadline=900.0), now=0.0)
    res = d.replan(0.0)
    assert [(a.order_id, a.kind) for a in res.alerts] == [("o1", "cannot_make_promise")]
    assert res.handoffs == [] and d.orders["o1"].status is OrderStatus.OPEN
    assert d.replan(30.0).alerts == []  # reported once


def test_planned_lateness_is_reported():
    d = make(max_lateness=1200.0)
    d.set_rider(rider("r1"), now=0.0)
    # 3 km ride = 10 min + 2 min service: promised in 7 min, 5 min late is within tolerance
    d.add_order(order("o1", drop=(3000.0, 0.0), ready=0.0, deadline=420.0, courier_quote=10**9), now=0.0)
    d.mark_ready("o1", now=0.0)
    res = d.replan(0.0)
    late = [a for a in res.alerts if a.kind == "planned_late"]
    assert [a.order_id for a in late] == ["o1"] and late[0].minutes_late == pytest.approx(4.0, abs=0.2)
    assert res.record.late_planned == 1


def test_handoff_to_courier_when_the_quote_is_cheaper():
    d = make()
    d.set_rider(rider("r1"), now=0.0)
    # 8 km out of the rider's way, the courier asks the price of 500 m of riding
    d.add_order(order("cheap", store=(0.0, 8000.0), drop=(0.0, 9000.0), ready=0.0, deadline=3600.0,
                      courier_quote=500.0), now=0.0)
    d.add_order(order("dear", store=(100.0, 0.0), ready=0.0, deadline=3600.0, courier_quote=10**7), now=0.0)
    first = d.replan(0.0)
    assert first.handoffs == []  # not on the first plan that leaves it out
    assert d.orders["cheap"].planned_rider is None
    second = d.replan(30.0)
    assert [(h.order_id, h.reason, h.quote) for h in second.handoffs] == [
        ("cheap", UnassignedReason.HANDED_TO_COURIER, 500.0)]
    assert route_orders(second.plan, "r1") == ["dear"]


class BrokenSolver:
    """Returns the real plan, then corrupts it (moves a pickup to a wrong time)."""

    def __init__(self):
        self.broken = False

    def __call__(self, problem, options):
        plan = solve(problem, options)
        if self.broken:
            for route in plan.routes:
                if route.stops:
                    s = route.stops[0]
                    route.stops[0] = dataclasses.replace(s, start=s.start - 500.0, arrival=s.arrival - 500.0)
        return plan


def test_invalid_plan_is_never_committed_and_previous_commitments_stand():
    solver = BrokenSolver()
    d = make(solver=solver)
    d.set_rider(rider("r1", pos=(2400.0, 0.0)), now=0.0)
    d.set_rider(rider("r2", pos=(0.0, 2400.0)), now=0.0)
    d.add_order(order("o1", ready=480.0, deadline=2400.0), now=0.0)
    first = d.replan(0.0)
    assert len(first.commitments) == 1
    firm_rider = first.commitments[0].rider_id
    before = d.plan
    solver.broken = True
    d.add_order(order("o2", ready=480.0, deadline=2400.0), now=5.0)
    res = d.replan(10.0)
    assert res.record.status == "rejected" and res.record.violations
    assert res.commitments == [] and res.plan is None and d.plan is before
    assert d.orders["o2"].status is OrderStatus.OPEN
    assert d.orders["o1"].status is OrderStatus.FIRM and d.orders["o1"].rider == firm_rider
    assert any(a.kind == "plan_rejected" for a in res.alerts)
    solver.broken = False
    res = d.replan(12.0)
    assert res.record.status == "committed"
    for problem, plan in res.checked:
        assert check_plan(problem, plan) == []


def test_orders_without_any_rider_are_reported_not_crashed():
    d = make()
    d.add_order(order("o1", ready=0.0), now=0.0)
    res = d.replan(0.0)  # OR-Tools aborts the process on a model without vehicles: never built
    assert res.record.status == "committed" and res.record.riders == 0
    assert d.replan(30.0).handoffs[0].reason is UnassignedReason.NO_ELIGIBLE_RIDER


def test_solver_crash_keeps_commitments():
    def crash(problem, options):
        raise RuntimeError("boom")

    d = make(solver=crash)
    d.set_rider(rider("r1"), now=0.0)
    d.add_order(order("o1"), now=0.0)
    res = d.replan(0.0)
    assert res.record.status == "error" and res.commitments == [] and d.orders["o1"].status is OrderStatus.OPEN


def test_rider_going_off_shift_releases_firm_orders_and_reports():
    d = make()
    d.set_rider(rider("r1", pos=(2400.0, 0.0)), now=0.0)
    d.add_order(order("o1", ready=480.0, deadline=2400.0), now=0.0)
    assert len(d.replan(0.0).commitments) == 1
    released = d.rider_off_shift("r1", now=20.0)
    assert released == ["o1"] and d.orders["o1"].status is OrderStatus.OPEN
    assert d.orders["o1"].reassignments == 1
    d.set_rider(rider("r2"), now=21.0)
    res = d.replan(25.0)
    assert route_orders(res.plan, "r2") == ["o1"] and route_orders(res.plan, "r1") == []


def test_on_board_orders_stay_with_their_rider():
    d = make()
    d.set_rider(rider("r1"), now=0.0)
    d.set_rider(rider("r2", pos=(1500.0, 0.0)), now=0.0)
    d.add_order(order("o1", ready=0.0), now=0.0)
    d.pin("o1", "r1", now=0.0)
    d.picked_up("o1", "r1", now=60.0)
    d.add_order(order("o2", ready=900.0, deadline=3600.0), now=61.0)
    res = d.replan(62.0)
    assert "o1" in [s.order_id for s in res.plan.route_of("r1").stops if s.kind is StopKind.DELIVERY]
    assert "o1" not in [s.order_id for s in res.plan.route_of("r2").stops]
    d.delivered("o1", now=400.0)
    assert "o1" not in d.orders


def test_large_partition_is_split_into_bounded_subproblems():
    d = make(max_free_per_solve=4, time_limit=1.0)
    for i, x in enumerate((0.0, 20000.0)):
        for j in range(2):
            d.set_rider(rider(f"r{i}{j}", pos=(x, 100.0 * j)), now=0.0)
        for k in range(4):
            d.add_order(order(f"o{i}{k}", store=(x, 0.0), drop=(x + 500.0 * (k + 1), 300.0),
                              ready=1200.0, deadline=3600.0), now=0.0)
    res = d.replan(0.0)
    assert res.record.status == "committed" and res.record.subproblems == 2
    for problem, plan in res.checked:
        assert check_plan(problem, plan) == []
    # each city half served by its own riders
    for i in range(2):
        planned = {d.orders[f"o{i}{k}"].planned_rider for k in range(4)}
        assert planned <= {f"r{i}0", f"r{i}1"} and None not in planned


def test_partitions_are_independent():
    crashed = CityDispatcher("b", TRAVEL, DispatcherConfig(time_limit=0.2, solver=lambda p, o: 1 / 0))
    svc = DispatchService(lambda key: crashed if key == "b" else make(key))
    a, b = svc.dispatcher("a"), svc.dispatcher("b")
    for disp in (a, b):
        disp.set_rider(rider("r1"), now=0.0)
        disp.add_order(order("o1", ready=1200.0, deadline=3600.0), now=0.0)
    out = svc.run_due(0.0)
    assert out["a"].record.status == "committed" and out["b"].record.status == "error"
    assert a.orders["o1"].planned_rider == "r1" and b.orders["o1"].planned_rider is None
    # an event in one partition makes only that one due
    a.add_order(order("o2", ready=1200.0, deadline=3600.0), now=10.0)
    assert a.due(12.5) == "event" and b.due(12.5) is None
    assert set(svc.run_due(12.5)) == {"a"}
    assert "o2" not in b.orders


def test_partition_ownership_is_stable_and_covers_every_key():
    keys = [f"city-{i}" for i in range(50)]
    owners = [partition_owner(k, 3) for k in keys]
    assert owners == [partition_owner(k, 3) for k in keys] and set(owners) == {0, 1, 2}
    svc = DispatchService(workers=3, worker_index=owners[0])
    svc.dispatcher(keys[0])
    other = next(k for k, o in zip(keys, owners) if o != owners[0])
    with pytest.raises(KeyError):
        svc.dispatcher(other)


async def test_service_runs_cycles_off_the_event_loop():
    svc = DispatchService(make)
    d = svc.dispatcher("a")
    d.set_rider(rider("r1"), now=0.0)
    d.add_order(order("o1", ready=1200.0, deadline=3600.0), now=0.0)
    ticks = 0

    async def heartbeat():
        nonlocal ticks
        for _ in range(5):
            await asyncio.sleep(0.01)
            ticks += 1

    results, _ = await asyncio.gather(svc.cycle_once(0.0), heartbeat())
    assert results["a"].record.status == "committed" and ticks == 5
