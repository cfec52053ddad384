"""Distance minimisation at a fixed fleet: SISR ruin-and-recreate with
simulated-annealing acceptance (Christiaens & Vanden Berghe 2020, "Slack
induction by string removals"), adapted to pickup-and-delivery.

* Ruin: around a random seed stop, remove strings (or split strings) of
  consecutive stops from the routes of its nearest stops; removing a stop
  removes its sibling (pickup <-> delivery) too.
* Recreate: re-insert the removed pairs one by one at their cheapest feasible
  position over all routes in use, with "blinks" (a candidate position is
  skipped with a small probability) and a random choice of the insertion
  order (random, large orders first, far from / near the depot first, tight
  windows first).  A pair that fits nowhere rejects the whole candidate: the
  fleet never grows.
* Acceptance: simulated annealing on total distance with a temperature that
  decays geometrically over the time budget, so the search is reproducible for
  a seed except for where the clock stops it.

Feasibility uses exactly the integer time tables of the OR-Tools model
(scaled_transit / scaled_window, via fleet_reduction._Tables): travel rounded
up, windows rounded inwards, so every route found here is feasible in double
precision as well.  Each route keeps its earliest start times `a`, latest
start times `z` (backward slack) and loads `q`; inserting a pair after
positions k <= m is checked by pushing times forward from k to m only and
comparing with `z[m+1]`, and positions whose distance cost cannot beat the
best found so far are skipped before any time arithmetic (distances obey the
triangle inequality, so an insertion costs at least its pickup's detour).
"""

from __future__ import annotations

import math
import random
import time as _time

NodeRoutes = list[list[int]]


class SearchRoute:
    """A route (start node, stops, end node) with its schedule summary."""

    __slots__ = ("v", "nodes", "a", "z", "q", "cost")

    def __init__(self, v: int, nodes: list[int]):
        self.v = v
        self.nodes = nodes
        self.a: list[int] = []
        self.z: list[int] = []
        self.q: list[int] = []
        self.cost = 0.0

    def copy(self) -> "SearchRoute":
        r = SearchRoute.__new__(SearchRoute)
        r.v, r.nodes, r.a, r.z, r.q, r.cost = self.v, self.nodes[:], self.a, self.z, self.q, self.cost
        return r


class Core:
    """Flat tables and the O(route) feasibility / insertion primitives."""

    def __init__(self, tb):
        self.tb = tb
        inst = tb.inst
        self.e, self.l, self.demand, self.D = tb.e, tb.l, tb.demand, tb.dist
        self.T = tb.T
        self.cap = tb.cap
        self.starts, self.ends = inst.starts, inst.ends
        self.start_load = inst.start_load
        n = len(inst.nodes)
        self.sibling = [-1] * n
        self.is_pickup = [False] * n
        for p, d in inst.pairs:
            self.sibling[p], self.sibling[d] = d, p
            self.is_pickup[p] = True
        self.allowed: list[frozenset[int] | None] = [
            None if nd.allowed is None else frozenset(nd.allowed) for nd in inst.nodes]
        self.pair_nodes = [i for i in range(n) if self.sibling[i] >= 0]
        D = self.D
        # Every removable stop's neighbours, nearest first (itself first).
        self.adj = {i: sorted(self.pair_nodes, key=D[i].__getitem__) for i in self.pair_nodes}

    def make_route(self, v: int, stops: list[int]) -> SearchRoute:
        r = SearchRoute(v, [self.starts[v], *stops, self.ends[v]])
        self.refresh(r)
        return r

    def refresh(self, r: SearchRoute) -> bool:
        """Recompute a, z, q, cost; True when the route is feasible."""
        nodes, T, e, l, dem, D = r.nodes, self.T[r.v], self.e, self.l, self.demand, self.D
        n = len(nodes)
        a = [0] * n
        q = [0] * n
        prev = nodes[0]
        t = a[0] = e[prev]
        load = q[0] = self.start_load[r.v]
        cost = 0.0
        ok = load <= self.cap[r.v]
        cap = self.cap[r.v]
        for i in range(1, n):
            cur = nodes[i]
            t += T[prev][cur]
            if t < e[cur]:
                t = e[cur]
            if t > l[cur]:
                ok = False
            a[i] = t
            load += dem[cur]
            if load > cap:
                ok = False
            q[i] = load
            cost += D[prev][cur]
            prev = cur
        z = [0] * n
        nxt = nodes[-1]
        t = z[-1] = l[nxt]
        for i in range(n - 2, -1, -1):
            cur = nodes[i]
            t -= T[cur][nxt]
            if t > l[cur]:
                t = l[cur]
            z[i] = t
            nxt = cur
        r.a, r.z, r.q, r.cost = a, z, q, cost
        return ok

    def best_insertion(self, r: SearchRoute, p: int, d: int, bound: float, rng: random.Random,
                       blink: float):
        """Cheapest feasible insertion of pair (p, d) into r costing less than
        `bound`: (delta, k, m) with p after position k and d after position m
        (m == k: right after p), or None."""
        nodes, a, z, q = r.nodes, r.a, r.z, r.q
        T, D, e, l = self.T[r.v], self.D, self.e, self.l
        size, cap = self.demand[p], self.cap[r.v]
        ep, lp, ed, ld = e[p], l[p], e[d], l[d]
        Dp, Dd, Tp, Td = D[p], D[d], T[p], T[d]
        Tpd, Dpd = Tp[d], Dp[d]
        rnd = rng.random
        best = None
        n = len(nodes) - 1
        for k in range(n):
            nk = nodes[k]
            if q[k] + size > cap:
                continue
            nk1 = nodes[k + 1]
            Dnk = D[nk]
            cp = Dnk[p] + Dp[nk1] - Dnk[nk1]
            tp = a[k] + T[nk][p]
            if tp < ep:
                tp = ep
            if tp > lp:
                break  # a[] only grows along the route
            if cp >= bound:
                continue  # the pickup's detour alone is too expensive (triangle inequality)
            td = tp + Tpd
            if td < ed:
                td = ed
            if td > ld:
                continue  # d cannot follow p in time, whatever comes between
            delta = Dnk[p] + Dpd + Dd[nk1] - Dnk[nk1]
            if delta < bound and td + Td[nk1] <= z[k + 1] and (not blink or rnd() >= blink):
                bound, best = delta, (delta, k, k)
            # d later: push the times of nodes k+1.. forward.
            t = tp + Tp[nk1]
            if t < e[nk1]:
                t = e[nk1]
            for m in range(k + 1, n):
                nm = nodes[m]
                if t > l[nm] or t > ld or q[m] + size > cap:
                    break
                nm1 = nodes[m + 1]
                Tnm = T[nm]
                Dnm = D[nm]
                delta = cp + Dnm[d] + Dd[nm1] - Dnm[nm1]
                if delta < bound:
                    td = t + Tnm[d]
                    if td < ed:
                        td = ed
                    if td <= ld and td + Td[nm1] <= z[m + 1] and (not blink or rnd() >= blink):
                        bound, best = delta, (delta, k, m)
                if t <= a[m]:
                    # No push left: the rest of the prefix is as before (feasible);
                    # only the delivery position still varies.
                    for m2 in range(m + 1, n):
                        nm = nodes[m2]
                        if a[m2] > ld or q[m2] + size > cap:
                            break
                        nm1 = nodes[m2 + 1]
                        Dnm = D[nm]
                        delta = cp + Dnm[d] + Dd[nm1] - Dnm[nm1]
                        if delta < bound:
                            td = a[m2] + T[nm][d]
                            if td < ed:
                                td = ed
                            if td <= ld and td + Td[nm1] <= z[m2 + 1] and (not blink or rnd() >= blink):
                                bound, best = delta, (delta, k, m2)
                    break
                t += Tnm[nm1]
                if t < e[nm1]:
                    t = e[nm1]
        return best

    @staticmethod
    def insert(r: SearchRoute, p: int, d: int, k: int, m: int) -> None:
        r.nodes.insert(m + 1, d)
        r.nodes.insert(k + 1, p)  # p before d; inserting p shifts d by one, as intended


class DistanceSearch:
    """SISR + simulated annealing over the routes of a fixed set of vehicles."""

    def __init__(self, core: Core, routes: NodeRoutes, seed: int = 0,
                 avg_removed: float = 10.0, max_string: int = 10, blink: float = 0.01,
                 t0_factor: float = 0.3, tf_factor: float = 0.003):
        self.core = core
        self.t0_factor, self.tf_factor = t0_factor, tf_factor
        self.rng = random.Random(seed)
        self.avg_removed, self.max_string, self.blink = avg_removed, max_string, blink
        self.n_vehicles = len(routes)
        self.vehicles = [v for v, r in enumerate(routes) if r]
        self.cur = {v: core.make_route(v, list(routes[v])) for v in self.vehicles}
        self.cur_cost = self.start_cost = sum(r.cost for r in self.cur.values())
        self.best = {v: r.nodes[1:-1] for v, r in self.cur.items()}
        self.best_cost = self.cur_cost
        self.owner = [-1] * len(core.e)
        for v, r in self.cur.items():
            for x in r.nodes[1:-1]:
                self.owner[x] = v
        self.iterations = 0
        self.accepted = 0

    def routes(self) -> NodeRoutes:
        out: NodeRoutes = [[] for _ in range(self.n_vehicles)]
        for v, stops in self.best.items():
            out[v] = list(stops)
        return out

    # ------------------------------------------------------------------ main loop

    def run(self, deadline: float, t_start: float | None = None, t_end: float | None = None,
            max_iterations: int | None = None) -> NodeRoutes:
        """Anneal until `deadline` (monotonic clock).  Temperatures default to
        a share of the mean edge length; they fall geometrically with time."""
        rng = self.rng
        n_stops = sum(len(r.nodes) - 2 for r in self.cur.values())
        if n_stops == 0:
            return self.routes()
        mean_edge = self.cur_cost / (n_stops + len(self.cur))
        t0 = mean_edge * self.t0_factor if t_start is None else t_start
        tf = mean_edge * self.tf_factor if t_end is None else t_end
        began = _time.monotonic()
        span = max(1e-6, deadline - began)
        log_ratio = math.log(tf / t0) if t0 > 0 and tf > 0 else 0.0
        now = began
        while now < deadline:
            if max_iterations is not None and self.iterations >= max_iterations:
                break
            temp = t0 * math.exp(log_ratio * (now - began) / span) if t0 > 0 else 0.0
            self.iterations += 1
            cand = self._ruin_recreate()
            if cand is not None:
                cost = self.cur_cost
                for v, r in cand.items():
                    cost += r.cost - self.cur[v].cost
                threshold = self.cur_cost - temp * math.log(1.0 - rng.random()) if temp > 0 else self.cur_cost
                if cost < threshold + 1e-9:
                    self.accepted += 1
                    for v, r in cand.items():
                        self.cur[v] = r
                        for x in r.nodes[1:-1]:
                            self.owner[x] = v
                    self.cur_cost = cost
                    if cost < self.best_cost - 1e-7:
                        self.best_cost = cost
                        self.best = {v: r.nodes[1:-1] for v, r in self.cur.items()}
            now = _time.monotonic()
        return self.routes()

    # ------------------------------------------------------------------ ruin

    def _ruin_recreate(self) -> dict[int, SearchRoute] | None:
        """A changed copy of the touched routes, or None if some pair fits nowhere."""
        core, rng, cur, owner = self.core, self.rng, self.cur, self.owner
        sib = core.sibling
        changed: dict[int, SearchRoute] = {}
        n_stops = sum(len(r.nodes) - 2 for r in cur.values())
        avg_len = n_stops / max(1, len(cur))
        ls_max = min(float(self.max_string), avg_len)
        ks_max = 4.0 * self.avg_removed / (1.0 + ls_max) - 1.0
        ks = int(rng.uniform(1.0, ks_max + 1.0))
        seed = core.pair_nodes[rng.randrange(len(core.pair_nodes))]
        removed: set[int] = set()
        ruined: set[int] = set()
        for c in core.adj[seed]:
            if len(ruined) >= ks:
                break
            v = owner[c]
            if v < 0 or v in ruined or c in removed:
                continue
            r = changed.get(v) or cur[v]
            stops = r.nodes[1:-1]
            ruined.add(v)
            l_max = min(len(stops), ls_max)
            length = int(rng.uniform(1.0, l_max + 1.0))
            pos = stops.index(c)
            if length < len(stops) and rng.random() < 0.5:
                # split string: keep m stops in the middle of a string of length + m
                m = 1
                while length + m < len(stops) and rng.random() < 0.5:
                    m += 1
                span = length + m
                lo = max(0, min(pos - rng.randint(0, span - 1), len(stops) - span))
                keep_from = lo + rng.randint(0, length)
                seg = stops[lo:keep_from] + stops[keep_from + m:lo + span]
            else:
                lo = max(0, min(pos - rng.randint(0, length - 1), len(stops) - length))
                seg = stops[lo:lo + length]
            for x in seg:
                if sib[x] >= 0:
                    removed.add(x)
                    removed.add(sib[x])
            if v not in changed:
                changed[v] = r.copy()
        if not removed:
            return None
        for v, r in changed.items():
            r.nodes = [x for x in r.nodes if x not in removed]
            core.refresh(r)
        pickups = [x for x in removed if core.is_pickup[x]]
        self._sort(pickups)
        return changed if self._recreate(changed, pickups) else None

    def _sort(self, pickups: list[int]) -> None:
        core, rng = self.core, self.rng
        pickups.sort()
        how = rng.random()
        depot = core.starts[self.vehicles[0]] if self.vehicles else 0
        D = core.D
        if how < 4 / 13:
            rng.shuffle(pickups)
        elif how < 8 / 13:
            pickups.sort(key=lambda p: -core.demand[p])
        elif how < 10 / 13:
            pickups.sort(key=lambda p: -D[depot][p] - D[depot][core.sibling[p]])
        elif how < 11 / 13:
            pickups.sort(key=lambda p: D[depot][p] + D[depot][core.sibling[p]])
        else:
            pickups.sort(key=lambda p: core.l[core.sibling[p]] - core.e[p])

    # ------------------------------------------------------------------ recreate

    def _recreate(self, changed: dict[int, SearchRoute], pickups: list[int]) -> bool:
        core, rng, cur, blink = self.core, self.rng, self.cur, self.blink
        sib, allowed = core.sibling, core.allowed
        for p in pickups:
            d = sib[p]
            ok_v = allowed[p]
            best, best_r = None, None
            bound = math.inf
            for v in self.vehicles:
                if ok_v is not None and v not in ok_v:
                    continue
                r = changed.get(v) or cur[v]
                ins = core.best_insertion(r, p, d, bound, rng, blink)
                if ins is not None:
                    best, best_r, bound = ins, r, ins[0]
            if best is None:
                return False
            v = best_r.v
            if v not in changed:
                best_r = changed[v] = best_r.copy()
            core.insert(best_r, p, d, best[1], best[2])
            core.refresh(best_r)
        return True


def improve_distance(tb, routes: NodeRoutes, deadline: float, seed: int = 0, **kw) -> NodeRoutes:
    """Shortest routes found before `deadline` on the vehicles used by `routes`
    (never more vehicles; a route may empty).  `tb` is a fleet_reduction._Tables."""
    search = DistanceSearch(Core(tb), routes, seed=seed, **kw)
    return search.run(deadline)
