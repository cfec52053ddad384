"""Vehicle reduction by ruin-and-recreate with absence counters.

OR-Tools' local search is good at distance but weak at emptying a route: every
order of the route has to find room elsewhere at once, which no single move
does.  This follows the fleet-minimisation scheme of SISR (Christiaens &
Vanden Berghe 2020): empty a route, put its orders in a pool, then repeatedly
ruin strings of stops around a pooled order and re-insert greedily; a candidate
is accepted when it leaves fewer orders out, or out orders that have been out
less often (absence counters).  When the pool empties, a route is gone and the
next one is tried.

Feasibility uses exactly the integer time tables of the OR-Tools model
(scaled_transit / scaled_window), so the result reads back into it unchanged.
Insertion of a pair is checked in O(route length^2) total per route with
forward earliest times and backward latest times (distance_search.Core, which
also prunes positions that cannot beat the best insertion found so far).
"""

from __future__ import annotations

import logging
import math
import random
import time as _time

from delivery.dispatch.distance_search import Core, SearchRoute
from delivery.dispatch.routing_model import Instance, scaled_horizon, scaled_transit, scaled_window

NodeRoutes = list[list[int]]
log = logging.getLogger(__name__)
NEAR_POOL = 2  # at most this many orders left out: a removal is close, be patient
FAR_POOL = 5  # more than this many left out: a removal is far, give up 8x sooner


class _Tables:
    """Integer time tables shared with the OR-Tools model (same rounding)."""

    def __init__(self, inst: Instance, ts: int):
        self.inst = inst
        n = len(inst.nodes)
        horizon = scaled_horizon(inst, ts)
        win = [scaled_window(nd, ts, horizon) for nd in inst.nodes]
        self.e = [w[0] for w in win]
        self.l = [w[1] for w in win]
        for v in range(len(inst.riders)):
            start, end = inst.starts[v], inst.ends[v]
            self.e[start] = self.l[start] = int(-(-inst.start_time[v] * ts // 1))
            self.e[end], self.l[end] = 0, max(self.e[start], int(inst.end_limit[v] * ts))
        self.demand = [nd.demand for nd in inst.nodes]
        self.dist = inst.dist
        # One time table per distinct speed (all riders share it in benchmarks).
        by_speed: dict[float, list[list[int]]] = {}
        self.T = []
        for v, r in enumerate(inst.riders):
            key = r.speed if inst.problem.travel_time is None else 0.0
            if key not in by_speed:
                by_speed[key] = scaled_transit(inst, v, list(range(n)), ts)
            self.T.append(by_speed[key])
        self.cap = [r.capacity for r in inst.riders]


def reduce_fleet(inst: Instance, routes: NodeRoutes, time_scale: int, deadline: float,
                 attempt_seconds: float = float("inf"), seed: int = 0, core: Core | None = None,
                 floor: int = 1, stall_iterations: int | None = None, near_stall_iterations: int | None = None,
                 stats: list[dict] | None = None) -> NodeRoutes:
    """Fewest-vehicle feasible routes found before `deadline` (monotonic clock);
    returns the input unchanged if no route can be removed.  Gives up once one
    removal has run `attempt_seconds` without success, so the time left goes
    to distance (the fleet is then most likely at its floor).

    Also stops at `floor` vehicles (a proven lower bound, see
    fleet_lower_bound) and, when `stall_iterations` is set, abandons an
    attempt whose set of unplaced orders has stopped shrinking (see
    _empty_pool).  `stats`, when given, receives one dict per attempt
    (vehicles, success, seconds, iterations, stalled, record of new smallest
    pools as (iteration, size))."""
    rng = random.Random(seed)
    core = core or Core(_Tables(inst, time_scale))
    best = [list(r) for r in routes]
    absences: dict[int, int] = {}
    while _time.monotonic() < deadline:
        used = [v for v, r in enumerate(best) if r]
        if len(used) <= max(1, floor):
            break
        # A route with drops of orders already on board cannot be emptied.
        emptiable = [v for v in used if all(core.sibling[n] >= 0 for n in best[v])]
        if not emptiable:
            break
        victim = min(emptiable, key=lambda v: (len(best[v]), sum(absences.get(n, 0) for n in best[v])))
        current = {v: core.make_route(v, best[v]) for v in used if v != victim}
        pool = [n for n in best[victim] if core.is_pickup[n]]
        t_attempt = _time.monotonic()
        info: dict = {"vehicles": len(used)}
        result = _empty_pool(core, current, pool, absences, rng,
                             min(deadline, _time.monotonic() + attempt_seconds), stall_iterations,
                             near_stall_iterations, info)
        info["success"] = result is not None
        info["seconds"] = _time.monotonic() - t_attempt
        if stats is not None:
            stats.append(info)
        if result is None:
            log.debug("route removal abandoned at %d vehicles after %.2f s, %d iterations%s", len(used),
                      info["seconds"], info["iterations"], " (stalled)" if info["stalled"] else "")
            break
        log.debug("route removed: %d vehicles left, attempt took %.2f s", len(used) - 1,
                  _time.monotonic() - t_attempt)
        best = [[] for _ in best]
        for v, r in result.items():
            best[v] = r.nodes[1:-1]
    return best


def _empty_pool(core: Core, routes: dict[int, SearchRoute], pool: list[int], absences: dict[int, int],
                rng: random.Random, deadline: float, stall_iterations: int | None = None,
                near_stall_iterations: int | None = None, info: dict | None = None) -> dict[int, SearchRoute] | None:
    """Ruin-and-recreate until every pooled pickup is routed, or None at the
    deadline or (with `stall_iterations`) once the pool has stopped shrinking:
    no new smallest pool for `stall_iterations` iterations, for
    `near_stall_iterations` (default 2x) once the smallest pool is down to
    NEAR_POOL orders or fewer, and for an eighth of `stall_iterations` while it
    is above FAR_POOL.  Measured on Li & Lim 100: successful removals sit at
    6+ left-out orders for at most ~50 iterations, at 3-5 for at most ~700, at
    1-2 for up to ~2600, while hopeless attempts stall for thousands (class 1)
    or creep down from 10-25 left-out orders (class 2, slow iterations)."""
    info = {} if info is None else info
    info["iterations"], info["stalled"] = 0, False
    pool = _recreate(core, routes, list(pool), rng)
    smallest, since = len(pool), 0  # smallest pool so far and the iteration that reached it
    info["record"] = [(0, smallest)]
    it = 0
    while pool:
        if _time.monotonic() >= deadline:
            return None
        if stall_iterations is not None:
            near = near_stall_iterations if near_stall_iterations is not None else 2 * stall_iterations
            limit = near if smallest <= NEAR_POOL else stall_iterations if smallest <= FAR_POOL else stall_iterations // 8
            if it - since >= limit:
                info["stalled"] = True
                return None
        it += 1
        info["iterations"] = it
        for p in pool:
            absences[p] = absences.get(p, 0) + 1
        cand = dict(routes)
        target = rng.choice(pool)
        removed = _ruin(core, cand, target, rng)
        _sort_for_recreate(core, removed, rng)
        # The pooled orders go first, while the ruin has made room near them.
        new_pool = _recreate(core, cand, [target] + [p for p in pool if p != target] + removed, rng)
        if len(new_pool) < len(pool) or (
                sum(absences.get(p, 0) for p in new_pool) < sum(absences.get(p, 0) for p in pool)):
            routes, pool = cand, new_pool
            if len(pool) < smallest:
                smallest, since = len(pool), it
                info["record"].append((it, smallest))
    return routes


def _ruin(core: Core, routes: dict[int, SearchRoute], seed: int, rng: random.Random) -> list[int]:
    """Remove strings of consecutive stops (whole pairs) from routes near `seed`
    (copy-on-write: a touched route is replaced by a changed copy)."""
    where = {n: v for v, r in routes.items() for n in r.nodes[1:-1]}
    sib = core.sibling
    n_strings = rng.randint(1, 3)
    max_len = 8
    touched, doomed = set(), set()
    for n in core.adj[seed][1:30]:
        if len(touched) >= n_strings:
            break
        v = where.get(n)
        if v is None or v in touched:
            continue
        touched.add(v)
        stops = routes[v].nodes[1:-1]
        length = rng.randint(1, min(max_len, len(stops)))
        i = stops.index(n)
        lo = max(0, min(i - rng.randint(0, length - 1), len(stops) - length))
        for x in stops[lo:lo + length]:
            if sib[x] >= 0:
                doomed.add(x)
                doomed.add(sib[x])
    for v in touched:
        r = routes[v] = routes[v].copy()
        r.nodes = [x for x in r.nodes if x not in doomed]
        core.refresh(r)
    return [x for x in doomed if core.is_pickup[x]]


def _sort_for_recreate(core: Core, pickups: list[int], rng: random.Random) -> None:
    pickups.sort()
    how = rng.random()
    if how < 0.4:
        rng.shuffle(pickups)
    elif how < 0.7:  # tight windows first
        pickups.sort(key=lambda p: core.l[core.sibling[p]] - core.e[p])
    else:  # large orders first
        pickups.sort(key=lambda p: -core.demand[p])


def _recreate(core: Core, routes: dict[int, SearchRoute], pickups: list[int], rng: random.Random) -> list[int]:
    """Greedy cheapest insertion with blinks (copy-on-write); returns the pickups left out."""
    left = []
    fresh: set[int] = set()  # routes already copied in this call
    allowed = core.allowed
    for p in pickups:
        d = core.sibling[p]
        ok_v = allowed[p]
        best, best_v, bound = None, -1, math.inf
        for v, r in routes.items():
            if ok_v is not None and v not in ok_v:
                continue
            ins = core.best_insertion(r, p, d, bound, rng, 0.01)
            if ins is not None:
                best, best_v, bound = ins, v, ins[0]
        if best is None:
            left.append(p)
        else:
            r = routes[best_v]
            if best_v not in fresh:
                r = routes[best_v] = r.copy()
                fresh.add(best_v)
            core.insert(r, p, d, best[1], best[2])
            core.refresh(r)
    return left


def fleet_lower_bound(core: Core, vehicles: list[int] | None = None) -> int:
    """A lower bound on the vehicles any feasible plan of `core`'s pairs needs:
    the size of a clique of pairwise incompatible orders, where two orders are
    incompatible when no vehicle can serve both in one route, whichever way
    their four stops are interleaved (time windows and capacity, on the same
    integer tables as the search).  Such orders all need distinct vehicles.

    Greedy cliques (from every order), so not the best bound, but a valid one.
    0 when it does not apply: orders already on board or restricted to some
    riders (live dispatch), or an order no vehicle can serve alone.  Note that
    ceil(total demand / capacity) is *not* a bound for pickup and delivery: a
    vehicle's load goes down at each drop."""
    vehicles = list(range(len(core.cap))) if vehicles is None else vehicles
    pairs = [(p, core.sibling[p]) for p in core.pair_nodes if core.is_pickup[p]]
    if not vehicles or not pairs or any(core.start_load[v] for v in vehicles) or any(
            core.allowed[p] is not None or core.allowed[d] is not None for p, d in pairs):
        return 0
    # One representative per kind of vehicle (same tables, capacity, depot windows and travel times).
    kinds: dict[tuple, int] = {}
    for v in vehicles:
        s, t, T = core.starts[v], core.ends[v], core.T[v]
        key = (id(T), core.cap[v], core.e[s], core.l[t], tuple(T[s]), tuple(row[t] for row in T))
        kinds.setdefault(key, v)
    reps = list(kinds.values())

    def feasible(stops: list[int]) -> bool:
        return any(core.refresh(core.make_route(v, stops)) for v in reps)

    for p, d in pairs:
        if not feasible([p, d]):
            return 0
    orders = (lambda p1, d1, p2, d2: ([p1, d1, p2, d2], [p1, p2, d1, d2], [p1, p2, d2, d1],
                                      [p2, d2, p1, d1], [p2, p1, d2, d1], [p2, p1, d1, d2]))
    n = len(pairs)
    clash = [set() for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            if not any(feasible(o) for o in orders(*pairs[i], *pairs[j])):
                clash[i].add(j)
                clash[j].add(i)
    best = 1
    for i in range(n):
        clique, cand = [i], set(clash[i])
        while cand:
            k = max(cand, key=lambda c: (len(clash[c] & cand), -c))
            clique.append(k)
            cand &= clash[k]
        best = max(best, len(clique))
    return best
