"""Simulated delivery day in one city: rolling-horizon engine vs greedy baseline.

    .venv/bin/python bench/city_sim.py [--stores 15 --riders 70 --orders 1000 --hours 10 --seed 7]
    .venv/bin/python bench/city_sim.py --burst     # planning latency at >= 500 open orders

Discrete-event simulation (no sleeping).  Times are seconds since the start of
the simulated day (the dispatcher's epoch), which opens at 10:00: lunch peak
11:00-13:00 and dinner peak 17:00-19:00 at `--peak-factor` x the base rate.

World: stores uniform in a square city; each order's door is uniform in a 3 km
disc around its store (road distance = 1.3 x straight line); doors within 2 km
straight line get the 30-minute EXPRESS promise half of the time, every other
order the one-hour promise.  Preparation: estimate 6 min (express) or 10 min,
actual = estimate x lognormal(0, 0.35), the dispatcher learns the real time
only when the store marks the order ready.  Travel: 5 m/s nominal x a
deterministic lognormal(0, 0.12) noise per (leg, 10-minute bucket) x 1.12 at
peak traffic; the engine plans with a `--plan-buffer` margin on the nominal
speed.  Pickup takes 60 s, a drop 120 s x lognormal(0, 0.2).  All randomness
comes from `--seed` and is identical for both policies (orders, preparation,
shifts, and the travel noise is a function of the leg, not of the policy).

Policies
* engine: delivery.dispatch.rolling.CityDispatcher, re-planning every 30 s and
  on events (new order, order ready, rider on/off shift, rider free), riders
  execute firm stops only; the courier partner takes what the engine hands off
  (arrives `courier lead` ~10 min after booking, then drives direct).  Every
  committed (sub-)plan is re-checked here with check_plan.  With
  `--charge-latency` (default on) a cycle's decisions reach the riders only
  after the cycle's measured wall-clock time.
* greedy: when an order is ready, the nearest idle on-shift rider within 6 km
  takes it; one order per trip; if nobody is idle within reach it waits (FIFO).
  No courier.

Metrics (key=value): on-time = delivery service starts by the promise (courier
deliveries count with their own simulated times); peak = orders created in a
peak window; orders_per_rider_hour = orders delivered by the fleet / rider busy
hours (a rider is busy from the moment it has a committed task until it has
none left: travelling, waiting at the store, handing over).  Also printed:
orders per shift hour (same fleet, so it differs only by courier share),
reassignments (a committed order moved to another rider), checker violations.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import math
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from delivery.dispatch.checker import check_plan  # noqa: E402
from delivery.dispatch.model import StopKind  # noqa: E402
from delivery.dispatch.rolling import (  # noqa: E402
    CityDispatcher,
    DispatcherConfig,
    OrderInfo,
    PlaneTravel,
    RiderInfo,
)

SPEED = 5.0  # m/s nominal
DETOUR = 1.3
PICKUP_S = 60.0
DROP_S = 120.0
REACH_M = 6000.0  # greedy: idle riders farther than this (road) are not considered
DAY_OPENS_H = 10.0
PEAKS_H = [(11.0, 13.0), (17.0, 19.0)]  # wall-clock hours


# --------------------------------------------------------------------------- world


@dataclass
class SimOrder:
    id: str
    created: float
    store: tuple[float, float]
    drop: tuple[float, float]
    express: bool
    deadline: float
    est_ready: float
    ready: float  # actual
    drop_service: float
    peak: bool
    # outcome
    delivered: float | None = None
    by_courier: bool = False
    rider: str | None = None


@dataclass
class Shift:
    id: str
    home: tuple[float, float]
    start: float
    end: float


@dataclass
class World:
    seed: int
    stores: list[tuple[float, float]]
    orders: list[SimOrder]
    shifts: list[Shift]
    horizon: float

    def travel(self, a, b, depart: float) -> float:
        """Actual travel seconds (noisy, deterministic in leg and time bucket)."""
        d = math.hypot(a[0] - b[0], a[1] - b[1]) * DETOUR
        if d == 0:
            return 0.0
        key = f"{self.seed}|{a[0]:.0f},{a[1]:.0f}|{b[0]:.0f},{b[1]:.0f}|{int(depart // 600)}".encode()
        u = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big") / 2**64
        z = statistics.NormalDist().inv_cdf(min(max(u, 1e-9), 1 - 1e-9))
        return d / SPEED * math.exp(0.12 * z) * traffic(depart)


def in_peak(t: float) -> bool:
    h = DAY_OPENS_H + t / 3600.0
    return any(a <= h < b for a, b in PEAKS_H)


def traffic(t: float) -> float:
    return 1.12 if in_peak(t) else 1.0


def build_world(stores: int, riders: int, orders: int, hours: float, seed: int, peak_factor: float,
                burst: bool = False) -> World:
    rng = random.Random(seed)
    side = math.sqrt(stores) * 2500.0
    store_pts = [(rng.uniform(0, side), rng.uniform(0, side)) for _ in range(stores)]
    horizon = hours * 3600.0
    # Order times: inverse-CDF sampling of the piecewise-constant rate profile.
    grid = [i * 60.0 for i in range(int(horizon // 60))]
    if burst:
        weights = [1.0 if 600 <= t < 1500 else 0.02 for t in grid]  # 15-minute burst after 10 min
    else:
        weights = [peak_factor if in_peak(t) else 1.0 for t in grid]
    times = sorted(rng.choices(grid, weights=weights, k=orders))
    out = []
    for i, t0 in enumerate(times):
        t = t0 + rng.uniform(0, 60)
        s = rng.randrange(stores)
        r = 3000.0 * math.sqrt(rng.random())
        a = rng.uniform(0, 2 * math.pi)
        sp = store_pts[s]
        drop = (sp[0] + r * math.cos(a), sp[1] + r * math.sin(a))
        express = (not burst) and r <= 2000.0 and rng.random() < 0.5
        est = 6 * 60.0 if express else 10 * 60.0
        actual = est * min(3.0, max(0.3, rng.lognormvariate(0, 0.35)))
        out.append(SimOrder(f"o{i}", t, sp, drop, express, t + (1800.0 if express else 3600.0), t + est, t + actual,
                            DROP_S * rng.lognormvariate(0, 0.2), in_peak(t)))
    shifts = []
    for j in range(riders):
        kind = j % 4
        if burst:
            start, end = 0.0, horizon + 7200
        elif kind in (0, 1):  # all day, staying one hour after the last order to finish
            start, end = 0.0, horizon + 3600
        elif kind == 2:  # lunch block 10:30-15:00
            start, end = 0.5 * 3600, min(horizon + 3600, 5.0 * 3600)
        else:  # dinner block 16:00 to one hour after the last order
            start, end = min(horizon, 6.0 * 3600), horizon + 3600
        shifts.append(Shift(f"r{j}", store_pts[rng.randrange(stores)], start, end))
    return World(seed, store_pts, out, shifts, horizon)


# --------------------------------------------------------------------------- rider bookkeeping


@dataclass
class SimRider:
    id: str
    pos: tuple[float, float]
    shift: Shift
    on_shift: bool = False
    # engine: stop sequence suggested by the last applied plan, committed orders, on board
    plan_seq: list[tuple[str, StopKind]] = field(default_factory=list)
    assigned: list[str] = field(default_factory=list)  # committed, not picked up (commit order)
    on_board: list[str] = field(default_factory=list)
    moving_to: tuple | None = None  # (order id, kind) of the leg in progress
    free_at: float = 0.0  # end of the current leg / service
    busy_since: float | None = None
    busy_total: float = 0.0
    epoch: int = 0  # invalidates stale arrival events

    def mark_busy(self, t: float) -> None:
        if self.busy_since is None:
            self.busy_since = t

    def mark_idle(self, t: float) -> None:
        if self.busy_since is not None:
            self.busy_total += t - self.busy_since
            self.busy_since = None


class Sim:
    """Event queue shared by both policies."""

    def __init__(self, world: World):
        self.world = world
        self.q: list = []
        self.seq = 0
        self.now = 0.0

    def at(self, t: float, kind: str, *data) -> None:
        self.seq += 1
        heapq.heappush(self.q, (t, self.seq, kind, data))

    def run(self, handler, until: float) -> None:
        while self.q:
            t, _, kind, data = heapq.heappop(self.q)
            if t > until:
                break
            self.now = t
            handler(kind, *data)


# --------------------------------------------------------------------------- greedy


def run_greedy(world: World) -> dict:
    orders = {o.id: o for o in world.orders}
    riders = {s.id: SimRider(s.id, s.home, s) for s in world.shifts}
    sim = Sim(world)
    waiting: list[str] = []  # ready, unassigned, FIFO
    idle: set[str] = set()

    for o in world.orders:
        sim.at(o.ready, "ready", o.id)
    for s in world.shifts:
        sim.at(s.start, "on", s.id)
        sim.at(s.end, "off", s.id)

    def dispatch():
        still = []
        for oid in waiting:
            o = orders[oid]
            best, best_d = None, REACH_M
            for rid in sorted(idle):  # sorted: ties (riders at one store) resolve the same every run
                r = riders[rid]
                d = math.hypot(r.pos[0] - o.store[0], r.pos[1] - o.store[1]) * DETOUR
                if d <= best_d:
                    best, best_d = rid, d
            if best is None:
                still.append(oid)
                continue
            idle.discard(best)
            r = riders[best]
            r.mark_busy(sim.now)
            o.rider = best
            arrive = sim.now + world.travel(r.pos, o.store, sim.now)
            start = max(arrive, o.ready)
            leave = start + PICKUP_S
            door = leave + world.travel(o.store, o.drop, leave)
            o.delivered = door
            r.pos = o.drop
            sim.at(door + o.drop_service, "free", best)
        waiting[:] = still

    def handle(kind, *data):
        if kind == "ready":
            waiting.append(data[0])
        elif kind == "on":
            riders[data[0]].on_shift = True
            idle.add(data[0])
        elif kind == "off":
            riders[data[0]].on_shift = False
            idle.discard(data[0])
        elif kind == "free":
            r = riders[data[0]]
            r.mark_idle(sim.now)
            if r.on_shift:
                idle.add(r.id)
        dispatch()

    sim.run(handle, world.horizon + 6 * 3600)
    for r in riders.values():
        r.mark_idle(sim.now)
    return metrics(world, orders, riders, {})


# --------------------------------------------------------------------------- engine


def run_engine(world: World, time_limit: float, plan_buffer: float, charge_latency: bool,
               period: float = 30.0) -> dict:
    orders = {o.id: o for o in world.orders}
    riders = {s.id: SimRider(s.id, s.home, s) for s in world.shifts}
    travel = PlaneTravel(speed_mps=SPEED, detour=DETOUR, buffer=plan_buffer)
    cfg = DispatcherConfig(period=period, min_event_gap=10.0, time_limit=time_limit)
    disp = CityDispatcher("sim-city", travel, cfg)
    sim = Sim(world)
    stats = {"violations": 0, "plans_checked": 0, "rejected": 0, "alerts": {}, "reassigned": set()}
    wall_ms: list[float] = []

    for o in world.orders:
        sim.at(o.created, "created", o.id)
        sim.at(o.ready, "ready", o.id)
    for s in world.shifts:
        sim.at(s.start, "on", s.id)
        sim.at(s.end, "off", s.id)
    t = 0.0
    while t <= world.horizon + 3 * 3600:
        sim.at(t, "tick")
        t += 5.0

    def report(r: SimRider):
        """Idle rider: the app reports where it is, free now."""
        disp.update_rider(r.id, position=r.pos, available_at=max(sim.now, r.free_at), now=sim.now)

    def next_stop(r: SimRider):
        ordered = [(oid, k) for oid, k in r.plan_seq
                   if (k is StopKind.PICKUP and oid in r.assigned) or (k is StopKind.DELIVERY and oid in r.on_board)]
        if ordered:
            return ordered[0]
        # Committed work the last plan did not sequence (should be rare): nearest first.
        cands = [(oid, StopKind.PICKUP) for oid in r.assigned] + [(oid, StopKind.DELIVERY) for oid in r.on_board]
        if not cands:
            return None

        def dist(c):
            o = orders[c[0]]
            p = o.store if c[1] is StopKind.PICKUP else o.drop
            return math.hypot(p[0] - r.pos[0], p[1] - r.pos[1])
        return min(cands, key=dist)

    def advance(r: SimRider):
        """Idle rider with work: start the next leg."""
        if r.moving_to is not None or sim.now < r.free_at - 1e-9:
            return
        nxt = next_stop(r)
        if nxt is None:
            if r.busy_since is not None:
                r.mark_idle(sim.now)
                report(r)
            return
        r.mark_busy(sim.now)
        o = orders[nxt[0]]
        dest = o.store if nxt[1] is StopKind.PICKUP else o.drop
        prev = r.pos
        arrive_t = sim.now + world.travel(prev, dest, sim.now)
        r.pos, r.moving_to, r.free_at = dest, nxt, arrive_t
        r.epoch += 1
        sim.at(arrive_t, "arrive", r.id, r.epoch)
        # The dispatcher only knows the planned estimate (nominal travel with its buffer).
        disp.update_rider(r.id, position=dest, available_at=sim.now + disp.travel.seconds(prev, dest), now=sim.now)

    def arrive(r: SimRider, epoch: int):
        if epoch != r.epoch or r.moving_to is None:
            return
        oid, kind = r.moving_to
        o = orders[oid]
        if kind is StopKind.PICKUP:
            if oid not in r.assigned:  # released while travelling (e.g. unpinned): just stop here
                r.moving_to = None
                advance(r)
                return
            start = max(sim.now, o.ready)
            r.free_at = start + PICKUP_S
            r.epoch += 1
            sim.at(start, "pickup", r.id, oid, r.epoch)
        else:
            r.moving_to = None
            r.on_board.remove(oid)
            o.delivered = sim.now
            o.rider = r.id
            disp.delivered(oid, sim.now)
            r.free_at = sim.now + o.drop_service
            disp.update_rider(r.id, position=r.pos, available_at=r.free_at, now=sim.now)
            sim.at(r.free_at, "free", r.id)

    def pickup(r: SimRider, oid: str, epoch: int):
        if epoch != r.epoch:
            return
        r.moving_to = None
        r.assigned.remove(oid)
        r.on_board.append(oid)
        disp.picked_up(oid, r.id, sim.now)
        disp.update_rider(r.id, position=r.pos, available_at=r.free_at, now=sim.now)
        sim.at(r.free_at, "free", r.id)

    def apply(res):
        for (problem, plan) in res.checked:
            stats["plans_checked"] += 1
            stats["violations"] += len(check_plan(problem, plan))
        if res.record.status == "rejected":
            stats["rejected"] += 1
        for a in res.alerts:
            stats["alerts"][a.kind] = stats["alerts"].get(a.kind, 0) + 1
        if res.plan is not None:
            for route in res.plan.routes:
                if route.rider_id in riders:
                    riders[route.rider_id].plan_seq = [(s.order_id, s.kind) for s in route.stops]
        for c in res.commitments:
            r = riders[c.rider_id]
            for other in riders.values():  # moved by staff / release: drop elsewhere
                if other is not r and c.order_id in other.assigned:
                    other.assigned.remove(c.order_id)
                    stats["reassigned"].add(c.order_id)
            if c.order_id not in r.assigned:
                r.assigned.append(c.order_id)
        for h in res.handoffs:
            o = orders[h.order_id]
            o.by_courier = True
            rng = random.Random(f"{world.seed}-courier-{o.id}")
            at_store = sim.now + 600.0 * rng.lognormvariate(0, 0.3)
            leave = max(at_store, o.ready) + PICKUP_S
            o.delivered = leave + world.travel(o.store, o.drop, leave)
        for r in riders.values():
            if r.id in disp.riders:
                advance(r)

    def handle(kind, *data):
        if kind == "created":
            o = orders[data[0]]
            disp.add_order(OrderInfo(o.id, o.store, o.drop, ready_at=o.est_ready, deadline=o.deadline,
                                     created_at=o.created, pickup_service=PICKUP_S, drop_service=DROP_S), sim.now)
        elif kind == "ready":
            if data[0] in disp.orders:
                disp.mark_ready(data[0], sim.now)
        elif kind == "on":
            r = riders[data[0]]
            r.on_shift = True
            disp.set_rider(RiderInfo(r.id, r.pos, r.shift.end, capacity=4, available_at=sim.now), sim.now)
        elif kind == "off":
            r = riders[data[0]]
            r.on_shift = False
            released = disp.rider_off_shift(r.id, sim.now)
            for oid in released:
                if oid in r.assigned:
                    r.assigned.remove(oid)
                    stats["reassigned"].add(oid)
        elif kind == "arrive":
            arrive(riders[data[0]], data[1])
        elif kind == "pickup":
            pickup(riders[data[0]], data[1], data[2])
        elif kind == "free":
            r = riders[data[0]]
            if sim.now >= r.free_at - 1e-9 and r.moving_to is None:
                advance(r)
        elif kind == "tick":
            # The ETA model knows rush hours (as a production one learns them).
            want = PlaneTravel(speed_mps=SPEED, detour=DETOUR, buffer=plan_buffer * traffic(sim.now))
            if want != disp.travel:
                disp.travel = want
            why = disp.due(sim.now)
            if why:
                w0 = time.perf_counter()
                res = disp.replan(sim.now, why)
                w = time.perf_counter() - w0
                if res.record.status != "skipped":
                    wall_ms.append(w * 1000)
                if charge_latency and w > 0.001:
                    sim.at(sim.now + w, "apply", res)
                else:
                    apply(res)
        elif kind == "apply":
            apply(data[0])

    sim.run(handle, world.horizon + 3 * 3600)
    for r in riders.values():
        r.mark_idle(sim.now)
    m = metrics(world, orders, riders, stats)
    recs = [r for r in disp.records if r.status != "skipped"]
    m["plan_p50_ms"] = pct(wall_ms, 50)
    m["plan_p95_ms"] = pct(wall_ms, 95)
    m["max_open_orders"] = max((r.open_orders for r in disp.records), default=0)
    m["max_free_orders"] = max((r.free_orders for r in recs), default=0)
    m["cycles"] = len(recs)
    m["max_subproblems"] = max((r.subproblems for r in recs), default=0)
    p95_big = [w for w, r in zip(wall_ms, recs) if r.open_orders >= 500]
    m["cycles_500_open"] = len(p95_big)
    m["plan_p95_ms_500_open"] = pct(p95_big, 95) if p95_big else float("nan")
    return m


def pct(xs, p):
    if not xs:
        return float("nan")
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def metrics(world: World, orders: dict[str, SimOrder], riders: dict[str, SimRider], stats: dict) -> dict:
    done = [o for o in orders.values() if o.delivered is not None]
    on_time = [o for o in done if o.delivered <= o.deadline + 1e-6]
    peak = [o for o in orders.values() if o.peak]
    peak_ok = [o for o in peak if o.delivered is not None and o.delivered <= o.deadline + 1e-6]
    fleet = [o for o in done if not o.by_courier]
    busy_h = sum(r.busy_total for r in riders.values()) / 3600
    shift_h = sum(s.end - s.start for s in world.shifts) / 3600
    n = len(orders)
    return {
        "orders": n,
        "undelivered": n - len(done),
        "on_time_pct": 100 * len(on_time) / n,
        "peak_on_time_pct": 100 * len(peak_ok) / max(1, len(peak)),
        "express_on_time_pct": 100 * sum(o in on_time for o in done if o.express) / max(
            1, sum(o.express for o in orders.values())),
        "mean_delivery_min": statistics.fmean((o.delivered - o.created) / 60 for o in done) if done else math.nan,
        "p95_late_min": pct([max(0.0, o.delivered - o.deadline) / 60 for o in done], 95),
        "orders_per_rider_hour": len(fleet) / busy_h if busy_h else math.nan,
        "orders_per_shift_hour": len(fleet) / shift_h,
        "courier_fallback_pct": 100 * sum(o.by_courier for o in orders.values()) / n,
        "late_fleet": sum(1 for o in done if not o.by_courier and o.delivered > o.deadline + 1e-6),
        "late_courier": sum(1 for o in done if o.by_courier and o.delivered > o.deadline + 1e-6),
        "late_prep_over_deadline_half": sum(1 for o in done if o.delivered > o.deadline + 1e-6
                                            and o.ready - o.created > (o.deadline - o.created) / 2),
        "reassign_pct": 100 * len(stats.get("reassigned", ())) / n,
        "checker_violations": stats.get("violations", 0),
        "plans_checked": stats.get("plans_checked", 0),
        "plans_rejected": stats.get("rejected", 0),
        "alerts": stats.get("alerts", {}),
    }


def fmt(v):
    if isinstance(v, float):
        return f"{v:.1f}" if abs(v) >= 10 or v == 0 else f"{v:.2f}"
    if isinstance(v, dict):
        return ",".join(f"{k}:{x}" for k, x in sorted(v.items())) or "none"
    return str(v)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stores", type=int, default=15)
    ap.add_argument("--riders", type=int, default=70)
    ap.add_argument("--orders", type=int, default=1000)
    ap.add_argument("--hours", type=float, default=10.0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--time-limit", type=float, default=1.0, help="engine budget per cycle, seconds")
    ap.add_argument("--peak-factor", type=float, default=3.0)
    ap.add_argument("--plan-buffer", type=float, default=1.1, help="engine's planning margin on travel time")
    ap.add_argument("--no-charge-latency", action="store_true",
                    help="apply decisions at the cycle's simulated time (default: after its wall-clock time)")
    ap.add_argument("--burst", action="store_true",
                    help="big-city burst instead of the day: 40 stores, 150 riders, 700 orders in 15 min, 1 h; "
                         "engine only (measures planning with >= 500 open orders)")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    if args.burst:
        stores = args.stores if args.stores != 15 else 40
        riders = args.riders if args.riders != 70 else 150
        n = args.orders if args.orders != 1000 else 700
        hours = args.hours if args.hours != 10.0 else 1.0
        world = build_world(stores, riders, n, hours, args.seed, args.peak_factor, burst=True)
        e = run_engine(world, args.time_limit, args.plan_buffer, not args.no_charge_latency)
        out = {"scenario": "burst", "orders": n, "riders": riders, "stores": stores,
               "on_time_pct": e["on_time_pct"], "courier_fallback_pct": e["courier_fallback_pct"],
               "max_open_orders": e["max_open_orders"], "max_free_orders": e["max_free_orders"],
               "cycles": e["cycles"], "cycles_500_open": e["cycles_500_open"],
               "max_subproblems": e["max_subproblems"], "plan_p50_ms": e["plan_p50_ms"],
               "plan_p95_ms": e["plan_p95_ms"], "plan_p95_ms_500_open": e["plan_p95_ms_500_open"],
               "checker_violations": e["checker_violations"], "plans_checked": e["plans_checked"],
               "plans_rejected": e["plans_rejected"]}
    else:
        world = build_world(args.stores, args.riders, args.orders, args.hours, args.seed, args.peak_factor)
        g = run_greedy(world)
        e = run_engine(world, args.time_limit, args.plan_buffer, not args.no_charge_latency)
        out = {
            "orders": len(world.orders), "riders": args.riders, "stores": args.stores,
            "on_time_pct": e["on_time_pct"], "greedy_on_time_pct": g["on_time_pct"],
            "peak_on_time_pct": e["peak_on_time_pct"], "greedy_peak_on_time_pct": g["peak_on_time_pct"],
            "express_on_time_pct": e["express_on_time_pct"],
            "greedy_express_on_time_pct": g["express_on_time_pct"],
            "mean_delivery_min": e["mean_delivery_min"], "greedy_mean_delivery_min": g["mean_delivery_min"],
            "p95_late_min": e["p95_late_min"], "greedy_p95_late_min": g["p95_late_min"],
            "orders_per_rider_hour": e["orders_per_rider_hour"],
            "greedy_orders_per_rider_hour": g["orders_per_rider_hour"],
            "orders_per_shift_hour": e["orders_per_shift_hour"],
            "greedy_orders_per_shift_hour": g["orders_per_shift_hour"],
            "courier_fallback_pct": e["courier_fallback_pct"], "reassign_pct": e["reassign_pct"],
            "late_fleet": e["late_fleet"], "late_courier": e["late_courier"],
            "late_slow_prep": e["late_prep_over_deadline_half"],
            "undelivered": e["undelivered"], "greedy_undelivered": g["undelivered"],
            "plan_p50_ms": e["plan_p50_ms"], "plan_p95_ms": e["plan_p95_ms"],
            "max_open_orders": e["max_open_orders"], "max_free_orders": e["max_free_orders"],
            "cycles": e["cycles"], "checker_violations": e["checker_violations"],
            "plans_checked": e["plans_checked"], "plans_rejected": e["plans_rejected"], "alerts": e["alerts"],
        }
    out["wall_s"] = time.perf_counter() - t0
    for k, v in out.items():
        print(f"{k}={fmt(v)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
