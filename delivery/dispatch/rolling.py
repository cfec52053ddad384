"""Rolling-horizon dispatch: one `CityDispatcher` per city partition.

Plain Python, no database or GraphQL: the API layer (delivery/board/engine.py) feeds events in and
reads commitments, handoffs, alerts and plan records out.

Time
----
Every time is a float number of **seconds since the partition's epoch**.  The
epoch is chosen by the caller and stored on the dispatcher (`epoch`, an aware
datetime or None); the API layer should use local midnight of the business day
in the city's time zone (so 11:30 is 41 400.0) or, equivalently for the engine,
the Unix epoch.  The dispatcher never reads a clock: every call takes `now`.
The simulation (bench/city_sim.py) uses 0.0 = start of the simulated day.

Places
------
Points are `(x, y)` tuples handed to a `TravelModel`, which turns a list of
points into dense distance (metres) and travel-time (seconds) matrices.
`PlaneTravel` works on local metric coordinates; `LonLatTravel` on
(longitude, latitude) with an equirectangular projection and the geo module's
road detour factor.  Each solve renumbers only the points it needs.

Cycle (`replan(now)`)
---------------------
1. snapshot the open orders and the riders (under the lock);
2. build one `Problem` (or, for a large partition, one per cluster of stores,
   each with its nearest riders: this bounds the size of every OR-Tools model
   and acts as "candidate riders per order by distance");
   * firm orders (committed, not yet picked up) are pinned to their rider with
     a prohibitive handoff cost, orders on board are delivery-only stops;
   * free orders carry their courier quote as the handoff (drop) penalty;
   * the solver aims `deadline_margin` (4 min) before each promise; lateness
     past that is penalised per minute, the hard cap is promise + max_lateness;
3. warm start (insertion.py): the previous plan repaired, new orders added by
   cheapest feasible insertion; then OR-Tools guided local search under a
   wall-clock budget (`time_limit`, scaled down for small cycles; a
   sub-problem gets at least what building its model takes);
4. `check_plan` on every sub-plan: a plan with any violation is discarded and
   logged, nothing from it is committed, the previous commitments stand;
5. commit only what must be committed now: a free order becomes FIRM on its
   planned rider when the latest useful departure towards its pickup (pickup
   start minus the travel leg to it) falls within `commit_horizon` (default 1.5
   periods, since a cycle may start late).  A free order that two plans in a
   row hand off goes to the courier when the courier must be booked now;
   orders that cannot make their promise are reported at once (and handed to
   the courier when enabled); orders planned past the promise are reported
   (alert `planned_late`), never silently late;
6. record a `PlanRecord` (objective, timings, counts, decisions).

A firm assignment is never moved by the engine.  Only staff (`pin`, `unpin`),
a rider rejection or a rider leaving the shift can release it.

Threading: events and the commit step take `self._lock`; the solve runs outside
it on a snapshot, and the commit step reconciles (an order that changed state
during the solve is not committed from the stale plan).  `DispatchService`
(delivery/dispatch/partitions.py) runs cycles outside the request path and shares
partitions between processes. Types live in rolling_state.py, travel models in travel.py.
"""

from __future__ import annotations

import collections
import logging
import math
import threading
import time as _time
from collections.abc import Iterable
from datetime import datetime

import numpy as np

from delivery.dispatch.checker import Violation, check_plan
from delivery.dispatch.insertion import construct
from delivery.dispatch.model import (
    DispatchOrder,
    Plan,
    Problem,
    Rider,
    RiderState,
    Route,
    Stop,
    StopKind,
    Unassigned,
    UnassignedReason,
)
from delivery.dispatch.rolling_state import (  # noqa: F401  (the dispatcher's vocabulary, imported from here by callers)
    ACTIVE,
    Alert,
    Commitment,
    CycleResult,
    DispatcherConfig,
    Handoff,
    OrderInfo,
    OrderStatus,
    PlanRecord,
    RiderInfo,
)
from delivery.dispatch.routing_model import CostSettings
from delivery.dispatch.solver import InfeasibleError, SolverOptions, solve
from delivery.dispatch.travel import LonLatTravel, PlaneTravel, Point, TravelModel  # noqa: F401

log = logging.getLogger(__name__)

# Handoff cost that keeps a firm order with its rider (the solver may not drop it
# unless no schedule exists at all; then the dispatcher alerts and keeps it firm).
FIRM_HANDOFF_COST = 1e9


# --------------------------------------------------------------------------- dispatcher


class CityDispatcher:
    def __init__(self, partition: str, travel: TravelModel | None = None,
                 config: DispatcherConfig | None = None, epoch: datetime | None = None):
        self.partition = partition
        self.travel = travel or PlaneTravel()
        self.config = config or DispatcherConfig()
        self.epoch = epoch
        self.orders: dict[str, OrderInfo] = {}
        self.riders: dict[str, RiderInfo] = {}
        self.records: collections.deque[PlanRecord] = collections.deque(maxlen=2000)
        self.alerts: list[Alert] = []
        self.plan: Plan | None = None  # last committed merged plan (warm start, staff board)
        self._lock = threading.RLock()
        self._dirty: str | None = "start"
        self._changed = True  # anything changed since the last committed plan
        self._last_run: float | None = None
        self._last_event: float = -math.inf
        self._cycle = 0
        self.last_error: tuple[Problem | None, Exception] | None = None
        self._solve = self.config.solver or solve

    # ----------------------------------------------------------------- events

    def _touch(self, why: str, now: float | None = None) -> None:
        """Record a change; events in `config.event_triggers` make a cycle due
        (after `min_event_gap`), the others wait for the periodic cycle."""
        self._changed = True
        if why in self.config.event_triggers:
            self._dirty = self._dirty or why
        if now is not None:
            self._last_event = now

    def add_order(self, order: OrderInfo, now: float | None = None) -> None:
        with self._lock:
            if order.id in self.orders:
                raise ValueError(f"order {order.id} already known")
            self.orders[order.id] = order
            self._touch("new_order", now)

    def update_order(self, order_id: str, *, ready_at: float | None = None, deadline: float | None = None) -> None:
        with self._lock:
            o = self.orders[order_id]
            if ready_at is not None:
                o.ready_at = ready_at
            if deadline is not None:
                o.deadline = deadline
            self._touch("order_update")

    def mark_ready(self, order_id: str, now: float) -> None:
        with self._lock:
            o = self.orders[order_id]
            o.ready, o.ready_at = True, min(o.ready_at, now) if o.ready else now
            self._touch("ready", now)

    def cancel_order(self, order_id: str, now: float | None = None) -> None:
        with self._lock:
            o = self.orders[order_id]
            if o.status is OrderStatus.ON_BOARD:
                raise ValueError("order already picked up")
            o.status, o.rider = OrderStatus.CANCELLED, None
            self._touch("cancel", now)

    def set_rider(self, rider: RiderInfo, now: float | None = None) -> None:
        """Rider comes on shift or its whole record changes."""
        with self._lock:
            self.riders[rider.id] = rider
            self._touch("rider", now)

    def update_rider(self, rider_id: str, *, position: Point | None = None, available_at: float | None = None,
                     accepting: bool | None = None, now: float | None = None) -> None:
        """Position report ("at / heading to `position`, free there at `available_at`")
        or acceptance change.  A position report alone does not trigger a re-plan
        (they arrive every few seconds); a status change does."""
        with self._lock:
            r = self.riders[rider_id]
            if position is not None:
                was_free = r.available_at is None or (now is not None and r.available_at <= now)
                moved = tuple(position) != tuple(r.position)
                r.position = position
                r.available_at = available_at
                if moved and was_free and now is not None and (available_at is None or available_at <= now):
                    self._touch("rider_position", now)  # a free rider moved: its best orders may change
            if accepting is not None and accepting != r.accepting:
                r.accepting = accepting
                self._touch("rider_status", now)

    def rider_off_shift(self, rider_id: str, now: float) -> list[str]:
        """Rider leaves: firm orders not yet picked up are released (reported).
        Orders on board stay with the rider until delivered."""
        with self._lock:
            r = self.riders[rider_id]
            r.on_shift = False
            r.accepting = False
            released = [o.id for o in self.orders.values() if o.status is OrderStatus.FIRM and o.rider == rider_id]
            for oid in released:
                self._release(oid, now, "rider off shift")
            self._touch("rider_status", now)
            return released

    def picked_up(self, order_id: str, rider_id: str, now: float) -> None:
        with self._lock:
            o = self.orders[order_id]
            if o.status is OrderStatus.FIRM and o.rider != rider_id:
                o.reassignments += 1
            o.status, o.rider = OrderStatus.ON_BOARD, rider_id
            o.ready, o.ready_at = True, min(o.ready_at, now)
            self._touch("pickup", now)

    def delivered(self, order_id: str, now: float) -> None:
        with self._lock:
            o = self.orders.pop(order_id)
            o.status = OrderStatus.DELIVERED
            self._touch("delivered", now)

    def rider_rejected(self, order_id: str, rider_id: str, now: float) -> None:
        with self._lock:
            o = self.orders[order_id]
            if o.status is OrderStatus.FIRM and o.rider == rider_id:
                self._release(order_id, now, f"rejected by {rider_id}")

    # ----------------------------------------------------------------- staff overrides

    def pin(self, order_id: str, rider_id: str, now: float) -> Commitment:
        """Manual assignment: the order is firm on this rider at once; the engine
        plans around it and never moves it (the rider's acceptance state is
        overridden, as for a dispatcher's phone call)."""
        with self._lock:
            o = self.orders[order_id]
            if o.status not in (OrderStatus.OPEN, OrderStatus.FIRM):
                raise ValueError(f"order {order_id} is {o.status.value}; cannot pin")
            if rider_id not in self.riders:
                raise KeyError(rider_id)
            if o.status is OrderStatus.FIRM and o.rider != rider_id:
                o.reassignments += 1
            o.status, o.rider, o.staff_pinned, o.firm_at = OrderStatus.FIRM, rider_id, True, now
            self._touch("pin", now)
            return Commitment(order_id, rider_id, now, now, math.nan, math.nan, manual=True)

    def unpin(self, order_id: str, now: float) -> None:
        """Staff releases a firm order (manual or engine commitment) back to the engine."""
        with self._lock:
            o = self.orders[order_id]
            if o.status is not OrderStatus.FIRM:
                raise ValueError(f"order {order_id} is {o.status.value}; only firm orders can be unpinned")
            self._release(order_id, now, "unpinned by staff")

    def _release(self, order_id: str, now: float, why: str) -> None:
        o = self.orders[order_id]
        o.status, o.rider, o.staff_pinned, o.firm_at = OrderStatus.OPEN, None, False, None
        o.reassignments += 1
        self._alert(Alert(order_id, "released", now, why))
        self._touch("release", now)

    def _alert(self, alert: Alert, sink: list[Alert] | None = None) -> None:
        self.alerts.append(alert)
        if sink is not None:
            sink.append(alert)
        log.info("dispatch %s: %s %s %s", self.partition, alert.kind, alert.order_id, alert.detail)

    # ----------------------------------------------------------------- scheduling

    def due(self, now: float) -> str | None:
        """Why a cycle should run now (None: not yet)."""
        with self._lock:
            if self._last_run is None:
                return "period"
            if self._dirty and now - self._last_run >= self.config.min_event_gap:
                return "event"
            if now - self._last_run >= self.config.period:
                return "period"
            return None

    def tick(self, now: float) -> CycleResult | None:
        why = self.due(now)
        return self.replan(now, why) if why else None

    def open_orders(self) -> list[OrderInfo]:
        with self._lock:
            return [o for o in self.orders.values() if o.status in ACTIVE]

    # ----------------------------------------------------------------- the cycle

    def replan(self, now: float, trigger: str = "forced") -> CycleResult:
        t0 = _time.perf_counter()
        cfg = self.config
        with self._lock:
            self._cycle += 1
            self._last_run = now
            self._dirty = None
            changed, self._changed = self._changed, False
            snap_orders = {oid: _copy_order(o) for oid, o in self.orders.items() if o.status in ACTIVE}
            snap_riders = {rid: _copy_rider(r) for rid, r in self.riders.items()}
            prev_plan = self.plan
        rec = PlanRecord(self.partition, self._cycle, now, trigger, "skipped")
        result = CycleResult(rec)
        holding = {o.rider for o in snap_orders.values()}
        active_riders = {rid: r for rid, r in snap_riders.items() if r.on_shift or rid in holding}
        rec.riders = len(active_riders)
        rec.open_orders = len(snap_orders)
        free = [o for o in snap_orders.values() if o.status is OrderStatus.OPEN]
        rec.free_orders = len(free)
        rec.firm_orders = sum(o.status is OrderStatus.FIRM for o in snap_orders.values())
        rec.on_board = sum(o.status is OrderStatus.ON_BOARD for o in snap_orders.values())
        if not free and not changed:
            # Nothing to decide and nothing moved: firm and on-board work is already the riders'.
            rec.total_ms = (_time.perf_counter() - t0) * 1000
            self.records.append(rec)
            return result

        groups = self._groups(free, snap_orders, active_riders, now)
        rec.subproblems = len(groups)
        budget = min(cfg.time_limit, max(cfg.min_solve_time, cfg.solve_time_per_free_order * len(free)))
        deadline_wall = t0 + budget
        sub_plans: list[tuple[Problem, Plan, dict[str, str]]] = []
        try:
            for gi, (g_riders, g_orders) in enumerate(groups):
                tb = _time.perf_counter()
                problem, ids = self._problem(g_riders, g_orders, now)
                start = construct(problem, prev_plan, late_penalty_per_minute=cfg.late_penalty_per_minute,
                                  handoff_penalty=cfg.courier_quote, candidates=cfg.insertion_candidates)
                rec.build_ms += (_time.perf_counter() - tb) * 1000
                remaining = deadline_wall - _time.perf_counter()
                floor = cfg.min_solve_time + cfg.model_seconds_per_node_sq * _model_nodes(g_riders, g_orders) ** 2
                share = max(floor, remaining / (len(groups) - gi) * 0.9)
                costs = CostSettings(handoff_penalty=cfg.courier_quote,
                                     late_penalty_per_minute=cfg.late_penalty_per_minute)
                ts = _time.perf_counter()
                if not problem.riders:
                    # Never hand OR-Tools a model without vehicles (it aborts the process).
                    plan = Plan([], [Unassigned(o.id, UnassignedReason.NO_ELIGIBLE_RIDER) for o in problem.orders])
                else:
                    try:
                        plan = self._solve(problem, SolverOptions(time_limit=share, costs=costs, warm_start=start))
                    except InfeasibleError:
                        # OR-Tools' first-solution heuristics can fail to place the mandatory
                        # on-board drops among many optional orders (seen in the city
                        # simulation); start instead from a plan that is feasible by
                        # construction: each rider only delivers what it carries.
                        rec.retries += 1
                        rest = max(floor, deadline_wall - _time.perf_counter())
                        plan = self._solve(problem, SolverOptions(time_limit=rest, costs=costs,
                                                                  warm_start=_safe_start(problem)))
                rec.solve_ms += (_time.perf_counter() - ts) * 1000
                tc = _time.perf_counter()
                violations = check_plan(problem, plan)
                violations += _dispatcher_violations(problem, plan, g_orders)
                rec.check_ms += (_time.perf_counter() - tc) * 1000
                if violations:
                    rec.violations = [f"{v.kind}: {v.message} ({v.order_id}, {v.rider_id})" for v in violations]
                    raise _Rejected()
                sub_plans.append((problem, plan, ids))
        except _Rejected:
            rec.status = "rejected"
            log.error("dispatch %s cycle %d: plan rejected by the checker, nothing committed: %s",
                      self.partition, self._cycle, rec.violations[:5])
            self._alert(Alert(None, "plan_rejected", now, "; ".join(rec.violations[:3])), result.alerts)
        except Exception as exc:  # a solver crash must not take the dispatcher down
            self.last_error = (locals().get("problem"), exc)
            rec.status = "error"
            rec.violations = [repr(exc)]
            log.exception("dispatch %s cycle %d: solve failed; previous commitments stand",
                          self.partition, self._cycle)
        if rec.status in ("rejected", "error"):
            with self._lock:
                self._changed = True  # try again next cycle
            rec.total_ms = (_time.perf_counter() - t0) * 1000
            self.records.append(rec)
            return result

        merged = Plan([], [], 0)
        for problem, plan, ids in sub_plans:
            merged.routes += plan.routes
            merged.unassigned += plan.unassigned
            merged.objective += plan.objective
            rec.late_planned += len(_late_vs_promise(plan, snap_orders))
        rec.objective = merged.objective
        with self._lock:
            self._commit(merged, sub_plans, now, result)
            self.plan = merged
        result.plan = merged
        result.checked = [(p, pl) for p, pl, _ in sub_plans]
        rec.status = "committed"
        rec.committed = len(result.commitments)
        rec.handed_off = len(result.handoffs)
        rec.total_ms = (_time.perf_counter() - t0) * 1000
        self.records.append(rec)
        return result

    # ----------------------------------------------------------------- decomposition

    def _groups(self, free: list[OrderInfo], orders: dict[str, OrderInfo], riders: dict[str, RiderInfo],
                now: float) -> list[tuple[list[RiderInfo], list[OrderInfo]]]:
        """One group, or clusters of stores with their nearest riders when the
        partition has more free orders than one solve should take."""
        cfg = self.config
        held = [o for o in orders.values() if o.status is not OrderStatus.OPEN]
        # A rider's firm / on-board orders travel with it.
        rlist = list(riders.values())
        nodes = _model_nodes(rlist, orders.values())
        k = max(math.ceil(len(free) / cfg.max_free_per_solve), math.ceil(nodes / cfg.max_nodes_per_solve))
        k = min(k, len(free))
        if k <= 1:
            return [(rlist, list(orders.values()))]
        stores = np.asarray([o.store for o in free], dtype=float)
        centres = _kmeans(stores, k)
        label = np.argmin(((stores[:, None, :] - centres[None, :, :]) ** 2).sum(-1), axis=1)
        g_orders: list[list[OrderInfo]] = [[] for _ in range(k)]
        for o, lab in zip(free, label):
            g_orders[int(lab)].append(o)
        # Riders: quota per cluster proportional to its free orders, nearest first.
        pos = np.asarray([r.position for r in rlist], dtype=float).reshape(-1, 2)
        d2 = ((pos[:, None, :] - centres[None, :, :]) ** 2).sum(-1) if len(rlist) else np.zeros((0, k))
        quota = [math.ceil(len(rlist) * len(g) / len(free)) + cfg.riders_per_cluster_slack for g in g_orders]
        g_riders: list[list[RiderInfo]] = [[] for _ in range(k)]
        assigned: set[int] = set()
        for flat in np.argsort(d2, axis=None, kind="stable"):
            ri, c = divmod(int(flat), k)
            if ri in assigned or quota[c] <= 0:
                continue
            assigned.add(ri)
            quota[c] -= 1
            g_riders[c].append(rlist[ri])
        for ri, r in enumerate(rlist):  # leftovers (quotas exhausted): nearest cluster
            if ri not in assigned:
                g_riders[int(np.argmin(d2[ri]))].append(r)
        cluster_of = {r.id: c for c in range(k) for r in g_riders[c]}
        for o in held:
            c = cluster_of.get(o.rider)
            if c is not None:
                g_orders[c].append(o)
        return [(g_riders[c], g_orders[c]) for c in range(k) if g_orders[c] or g_riders[c]]

    # ----------------------------------------------------------------- problem

    def _problem(self, riders: list[RiderInfo], orders: list[OrderInfo], now: float
                 ) -> tuple[Problem, dict[str, str]]:
        """A solver Problem over these riders and orders, with local location
        indices.  Returns it and {problem id -> order id} (identity here)."""
        cfg = self.config
        points: list[Point] = []
        index: dict[Point, int] = {}

        def loc(p: Point) -> int:
            p = (float(p[0]), float(p[1]))
            if p not in index:
                index[p] = len(points)
                points.append(p)
            return index[p]

        rider_ids = {r.id for r in riders}
        on_board: dict[str, list[str]] = collections.defaultdict(list)
        d_orders = []
        for o in orders:
            if o.status is OrderStatus.ON_BOARD:
                if o.rider not in rider_ids:
                    continue
                on_board[o.rider].append(o.id)
            if o.status is OrderStatus.FIRM and o.rider not in rider_ids:
                continue
            ready = o.ready_at
            if not o.ready and ready < now + cfg.unready_grace and o.status is not OrderStatus.ON_BOARD:
                ready = now + cfg.unready_grace  # late preparation: not ready yet, assume soon
            firm = o.status is OrderStatus.FIRM
            quote = o.courier_quote if o.courier_quote is not None else cfg.courier_quote
            d_orders.append(DispatchOrder(
                o.id, pickup=loc(o.store), drop=loc(o.drop), ready_at=ready,
                deadline=o.deadline - cfg.deadline_margin,
                pickup_service=o.pickup_service, drop_service=o.drop_service, size=o.size,
                pinned_rider=o.rider if firm else None,
                handoff_cost=FIRM_HANDOFF_COST if firm else (quote if cfg.courier_enabled else FIRM_HANDOFF_COST)))
        rider_locs = [loc(r.position) for r in riders]
        dist, tt = self.travel.matrices(points) if points else ([], [])
        by_id = {o.id: o for o in d_orders}
        d_riders = []
        for r, here in zip(riders, rider_locs):
            avail = max(now, r.available_at) if r.available_at is not None else now
            accepting = r.accepting and r.on_shift and r.shift_end > now
            shift_end = r.shift_end
            board = tuple(on_board.get(r.id, ()))
            firm = [o for o in d_orders if o.pinned_rider == r.id]
            if board or firm:
                # A rider who cannot finish what it carries and what it was promised before
                # its shift ends takes nothing new, and its shift is stretched to cover that
                # work (plus whole seconds per leg, as the integer model rounds them up): the
                # model stays feasible and keeps the firm stops in the rider's route.
                finish = _nearest_neighbour_finish(here, avail, [by_id[i] for i in board], firm, tt)
                if finish > shift_end:
                    accepting, shift_end = False, finish + 2.0 * (len(board) + 2 * len(firm) + 1)
            d_riders.append(Rider(
                r.id, position=here, shift_end=shift_end, capacity=r.capacity, on_board=board,
                available_at=avail, state=RiderState.ACCEPTING if accepting else RiderState.NOT_ACCEPTING))
        # The solver aims `deadline_margin` before the promise (penalised past it);
        # the hard cap stays promise + max_lateness.
        problem = Problem(d_riders, d_orders, dist, tt, now=now,
                          max_lateness=cfg.max_lateness + cfg.deadline_margin)
        return problem, {o.id: o.id for o in d_orders}  # ids are global: sub-plans merge as they are

    # ----------------------------------------------------------------- commit

    def _commit(self, merged: Plan, sub_plans, now: float, out: CycleResult) -> None:
        cfg = self.config
        horizon = cfg.commit_horizon if cfg.commit_horizon is not None else 1.5 * cfg.period
        for problem, plan, _ in sub_plans:
            riders = {r.id: r for r in problem.riders}
            tt = problem.travel_time
            for route in plan.routes:
                rider = riders[route.rider_id]
                live = self.riders.get(route.rider_id)
                prev_loc = rider.position
                drops = {s.order_id: s.start for s in route.stops if s.kind is StopKind.DELIVERY}
                for stop in route.stops:
                    if stop.kind is StopKind.PICKUP:
                        o = self.orders.get(stop.order_id)
                        if o is not None:
                            o.planned_rider, o.unplanned_cycles = route.rider_id, 0
                            o.planned_pickup, o.planned_delivery = stop.start, drops.get(o.id)
                            depart_by = stop.start - tt[prev_loc][stop.location]
                            if (o.status is OrderStatus.OPEN and depart_by <= now + horizon
                                    and live is not None and live.on_shift and live.accepting):
                                o.status, o.rider, o.firm_at = OrderStatus.FIRM, route.rider_id, now
                                out.commitments.append(Commitment(
                                    o.id, route.rider_id, now, max(now, depart_by), stop.start,
                                    drops.get(o.id, math.nan)))
                    else:
                        o = self.orders.get(stop.order_id)
                        if o is not None:
                            o.planned_delivery = stop.start
                    prev_loc = stop.location
            for oid, late in _late_vs_promise(plan, self.orders).items():
                o = self.orders.get(oid)
                if o is not None and "planned_late" not in o.reported:
                    o.reported.add("planned_late")
                    self._alert(Alert(oid, "planned_late", now, f"planned {late / 60:.1f} min past the promise",
                                      late / 60.0), out.alerts)
            for u in plan.unassigned:
                o = self.orders.get(u.order_id)
                if o is None:
                    continue
                if o.status is OrderStatus.FIRM:
                    if "firm_at_risk" not in o.reported:
                        o.reported.add("firm_at_risk")
                        self._alert(Alert(o.id, "firm_at_risk", now,
                                          f"firm on {o.rider} but no feasible schedule ({u.reason.value})"),
                                    out.alerts)
                    continue
                if o.status is not OrderStatus.OPEN:
                    continue  # changed during the solve
                o.planned_rider = None
                if u.reason is UnassignedReason.CANNOT_MAKE_PROMISE and "cannot_make_promise" not in o.reported:
                    o.reported.add("cannot_make_promise")
                    self._alert(Alert(o.id, "cannot_make_promise", now,
                                      f"no rider reaches the door by promise + {cfg.max_lateness / 60:.0f} min "
                                      f"(promise {o.deadline:.0f})"), out.alerts)
                o.unplanned_cycles += 1
                # Book the courier only when it must be booked now, and only for an order
                # that two plans in a row left out (one short search can miss an insertion);
                # an order no rider can bring in time goes at once.
                urgent = u.reason is UnassignedReason.CANNOT_MAKE_PROMISE or (
                    o.ready_at - cfg.courier_lead <= now + horizon and o.unplanned_cycles >= 2)
                if cfg.courier_enabled and urgent:
                    quote = o.courier_quote if o.courier_quote is not None else cfg.courier_quote
                    o.status, o.handoff_reason = OrderStatus.COURIER, u.reason
                    out.handoffs.append(Handoff(o.id, u.reason, quote, now))
                    self.orders.pop(o.id, None)


class _Rejected(Exception):
    pass


def _dispatcher_violations(problem: Problem, plan: Plan, orders: list[OrderInfo]) -> list[Violation]:
    """Rules the generic checker does not know: a firm order stays on its rider."""
    out = []
    firm = {o.id: o.rider for o in orders if o.status is OrderStatus.FIRM}
    for route in plan.routes:
        for s in route.stops:
            if s.order_id in firm and firm[s.order_id] != route.rider_id:
                out.append(Violation("firm_moved", f"firm on {firm[s.order_id]}", s.order_id, route.rider_id))
    return out


def _copy_order(o: OrderInfo) -> OrderInfo:
    c = OrderInfo(**{k: getattr(o, k) for k in o.__dataclass_fields__})
    c.reported = set(o.reported)
    return c


def _copy_rider(r: RiderInfo) -> RiderInfo:
    return RiderInfo(**{k: getattr(r, k) for k in r.__dataclass_fields__})


def _model_nodes(riders: Iterable[RiderInfo], orders: Iterable[OrderInfo]) -> int:
    n = 2 * sum(1 for _ in riders)
    for o in orders:
        n += 1 if o.status is OrderStatus.ON_BOARD else 2
    return n


def _late_vs_promise(plan: Plan, orders: dict[str, OrderInfo]) -> dict[str, float]:
    """Seconds past the promise (not the solver's margin-shifted target) per late order."""
    out = {}
    for route in plan.routes:
        for s in route.stops:
            o = orders.get(s.order_id)
            if s.kind is StopKind.DELIVERY and o is not None and s.start > o.deadline:
                out[s.order_id] = s.start - o.deadline
    return out


def _nearest_neighbour_finish(here: int, t: float, board: list[DispatchOrder], firm: list[DispatchOrder],
                              tt) -> float:
    """When a rider is done with what it carries and its firm orders, visiting
    the nearest open stop first (a pickup opens its drop): a quick estimate."""
    stops = [(o, False) for o in board] + [(o, True) for o in firm]
    while stops:
        o, is_pickup = min(stops, key=lambda s: tt[here][s[0].pickup if s[1] else s[0].drop])
        stops.remove((o, is_pickup))
        loc = o.pickup if is_pickup else o.drop
        t += tt[here][loc]
        if is_pickup:
            t = max(t, o.ready_at) + o.pickup_service
            stops.append((o, False))
        else:
            t += o.drop_service
        here = loc
    return t


def _safe_start(problem: Problem) -> Plan:
    """Warm start feasible by construction: every rider delivers what it has on
    board, nearest drop first, and takes nothing new (times are recomputed by
    the solver; only the stop order is read)."""
    orders = {o.id: o for o in problem.orders}
    tt = problem.travel_time
    routes = []
    for r in problem.riders:
        here, todo, stops = r.position, list(r.on_board), []
        while todo:
            nxt = min(todo, key=lambda oid: tt[here][orders[oid].drop])
            todo.remove(nxt)
            here = orders[nxt].drop
            stops.append(Stop(nxt, StopKind.DELIVERY, here, 0.0, 0.0, 0.0))
        routes.append(Route(r.id, stops))
    return Plan(routes)


def _kmeans(points: np.ndarray, k: int, iters: int = 8) -> np.ndarray:
    """Deterministic k-means (farthest-point seeding) on a few hundred points."""
    centres = [points[0]]
    for _ in range(1, k):
        d = np.min(((points[:, None, :] - np.asarray(centres)[None]) ** 2).sum(-1), axis=1)
        centres.append(points[int(np.argmax(d))])
    c = np.asarray(centres, dtype=float)
    for _ in range(iters):
        lab = np.argmin(((points[:, None, :] - c[None]) ** 2).sum(-1), axis=1)
        for j in range(k):
            m = points[lab == j]
            if len(m):
                c[j] = m.mean(0)
    return c
