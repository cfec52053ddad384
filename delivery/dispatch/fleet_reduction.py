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
forward earliest times and backward latest times.
"""

from __future__ import annotations

import random
import time as _time

from delivery.dispatch.routing_model import Instance, scaled_horizon, scaled_transit, scaled_window

NodeRoutes = list[list[int]]


class _Tables:
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
        self.sibling = {}
        for p, d in inst.pairs:
            self.sibling[p], self.sibling[d] = d, p
        self.pickups = {p for p, _ in inst.pairs}
        # One time table per distinct speed (all riders share it in benchmarks).
        by_speed: dict[float, list[list[int]]] = {}
        self.T = []
        for v, r in enumerate(inst.riders):
            key = r.speed if inst.problem.travel_time is None else 0.0
            if key not in by_speed:
                by_speed[key] = scaled_transit(inst, v, list(range(n)), ts)
            self.T.append(by_speed[key])
        self.cap = [r.capacity for r in inst.riders]
        stops = [i for i, nd in enumerate(inst.nodes) if nd.kind not in ("start", "end") and nd.optional]
        self.near = {i: sorted(stops, key=lambda j: self.dist[i][j])[1:30] for i in stops}


class _Route:
    """A route with its earliest start times, latest start times and loads."""

    def __init__(self, tb: _Tables, v: int, stops: list[int]):
        self.tb, self.v = tb, v
        self.nodes = [tb.inst.starts[v], *stops, tb.inst.ends[v]]
        self.refresh()

    def refresh(self) -> bool:
        tb, nodes, T = self.tb, self.nodes, self.tb.T[self.v]
        a = [tb.e[nodes[0]]]
        q = [tb.inst.start_load[self.v]]
        for prev, cur in zip(nodes, nodes[1:]):
            a.append(max(tb.e[cur], a[-1] + T[prev][cur]))
            q.append(q[-1] + tb.demand[cur])
        z = [0] * len(nodes)
        z[-1] = tb.l[nodes[-1]]
        for k in range(len(nodes) - 2, -1, -1):
            z[k] = min(tb.l[nodes[k]], z[k + 1] - T[nodes[k]][nodes[k + 1]])
        self.a, self.z, self.q = a, z, q
        return all(x <= tb.l[n] for x, n in zip(a, nodes))

    def best_insertion(self, p: int, d: int, rng: random.Random, blink: float):
        """Cheapest feasible (delta, k, m): p after position k, d after m (m >= k; m == k
        means right after p)."""
        tb, nodes, T, D = self.tb, self.nodes, self.tb.T[self.v], self.tb.dist
        a, z, q, e, l = self.a, self.z, self.q, tb.e, tb.l
        size, cap = tb.demand[p], tb.cap[self.v]
        best = None
        for k in range(len(nodes) - 1):
            nk, nk1 = nodes[k], nodes[k + 1]
            tp = max(e[p], a[k] + T[nk][p])
            if tp > l[p]:
                break  # a[] only grows along the route
            if q[k] + size > cap:
                continue
            base = D[nk][p] - D[nk][nk1]
            td = max(e[d], tp + T[p][d])
            if td <= l[d] and td + T[d][nk1] <= z[k + 1]:
                delta = base + D[p][d] + D[d][nk1]
                if (best is None or delta < best[0]) and rng.random() >= blink:
                    best = (delta, k, k)
            # d later: push the times of nodes k+1.. forward, stop when infeasible.
            t, prev = tp, p
            for m in range(k + 1, len(nodes) - 1):
                nm = nodes[m]
                t = max(e[nm], t + T[prev][nm])
                if t > l[nm] or q[m] + size > cap:
                    break
                nm1 = nodes[m + 1]
                td = max(e[d], t + T[nm][d])
                if td <= l[d] and td + T[d][nm1] <= z[m + 1]:
                    delta = base + D[p][nk1] + D[nm][d] + D[d][nm1] - D[nm][nm1]
                    if (best is None or delta < best[0]) and rng.random() >= blink:
                        best = (delta, k, m)
                prev = nm
        return best

    def insert(self, p: int, d: int, k: int, m: int) -> None:
        self.nodes.insert(m + 1, d)
        self.nodes.insert(k + 1, p)  # p before d; inserting p shifts d by one, as intended
        self.refresh()

    def remove(self, doomed: set[int]) -> None:
        self.nodes = [n for n in self.nodes if n not in doomed]
        self.refresh()

    @property
    def stops(self) -> list[int]:
        return self.nodes[1:-1]


def reduce_fleet(inst: Instance, routes: NodeRoutes, time_scale: int, deadline: float,
                 attempt_seconds: float = float("inf"), seed: int = 0) -> NodeRoutes:
    """Fewest-vehicle feasible routes found before `deadline` (monotonic clock);
    returns the input unchanged if no route can be removed.  Gives up once one
    removal has run `attempt_seconds` without success, so the time left goes
    to distance (the fleet is then most likely at its floor)."""
    rng = random.Random(seed)
    tb = _Tables(inst, time_scale)
    best = [list(r) for r in routes]
    absences: dict[int, int] = {}
    while _time.monotonic() < deadline:
        used = [v for v, r in enumerate(best) if r]
        if len(used) <= 1:
            break
        victim = min(used, key=lambda v: (len(best[v]), sum(absences.get(n, 0) for n in best[v])))
        current = {v: _Route(tb, v, best[v]) for v in used if v != victim}
        pool = [n for n in best[victim] if n in tb.pickups]
        result = _empty_pool(tb, current, pool, absences, rng,
                             min(deadline, _time.monotonic() + attempt_seconds))
        if result is None:
            break
        best = [[] for _ in best]
        for v, r in result.items():
            best[v] = r.stops
    return best


def _empty_pool(tb: _Tables, routes: dict[int, _Route], pool: list[int], absences: dict[int, int],
                rng: random.Random, deadline: float) -> dict[int, _Route] | None:
    """Ruin-and-recreate until every pooled pickup is routed, or None at the deadline."""
    pool = _recreate(tb, routes, list(pool), rng)
    while pool:
        if _time.monotonic() >= deadline:
            return None
        for p in pool:
            absences[p] = absences.get(p, 0) + 1
        cand = {v: _Route(tb, v, r.stops) for v, r in routes.items()}
        target = rng.choice(pool)
        removed = _ruin(tb, cand, target, rng)
        _sort_for_recreate(tb, removed, rng)
        # The pooled orders go first, while the ruin has made room near them.
        new_pool = _recreate(tb, cand, [target] + [p for p in pool if p != target] + removed, rng)
        if len(new_pool) < len(pool) or (
                sum(absences.get(p, 0) for p in new_pool) < sum(absences.get(p, 0) for p in pool)):
            routes, pool = cand, new_pool
    return routes


def _ruin(tb: _Tables, routes: dict[int, _Route], seed: int, rng: random.Random) -> list[int]:
    """Remove strings of consecutive stops (whole pairs) from routes near `seed`."""
    where = {n: v for v, r in routes.items() for n in r.stops}
    n_strings = rng.randint(1, 3)
    max_len = 8
    touched, doomed = set(), set()
    for n in tb.near[seed]:
        if len(touched) >= n_strings:
            break
        v = where.get(n)
        if v is None or v in touched:
            continue
        touched.add(v)
        stops = routes[v].stops
        length = rng.randint(1, min(max_len, len(stops)))
        i = stops.index(n)
        lo = max(0, min(i - rng.randint(0, length - 1), len(stops) - length))
        for x in stops[lo:lo + length]:
            doomed.add(x)
            doomed.add(tb.sibling[x])
    for v in {where[x] for x in doomed if x in where}:
        routes[v].remove(doomed)
    return [x for x in doomed if x in tb.pickups]


def _sort_for_recreate(tb: _Tables, pickups: list[int], rng: random.Random) -> None:
    how = rng.random()
    if how < 0.4:
        rng.shuffle(pickups)
    elif how < 0.7:  # tight windows first
        pickups.sort(key=lambda p: tb.l[tb.sibling[p]] - tb.e[p])
    else:  # large orders first
        pickups.sort(key=lambda p: -tb.demand[p])


def _recreate(tb: _Tables, routes: dict[int, _Route], pickups: list[int], rng: random.Random) -> list[int]:
    """Greedy cheapest insertion with blinks; returns the pickups left out."""
    left = []
    for p in pickups:
        d = tb.sibling[p]
        best = None
        for r in routes.values():
            ins = r.best_insertion(p, d, rng, 0.01)
            if ins is not None and (best is None or ins[0] < best[0][0]):
                best = (ins, r)
        if best is None:
            left.append(p)
        else:
            (_, k, m), r = best
            r.insert(p, d, k, m)
    return left
