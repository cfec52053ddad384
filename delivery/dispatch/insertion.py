"""Warm start for the rolling horizon: repair the previous plan, then insert
new orders by cheapest feasible insertion (plain Python).

The OR-Tools search starts from this assignment instead of building one from
scratch, so a 0.1-0.5 s re-plan spends its budget improving rather than
constructing, and every order already planned keeps its place unless the
search finds better.  Feasibility is checked here in double precision with a
`margin` per leg (the OR-Tools model rounds every leg up to a whole tick, so a
margin of >= 1 s keeps this start feasible in the integer model too).

Only the order of the stops matters to the solver (it recomputes times).
"""

from __future__ import annotations

import math

from delivery.dispatch.model import Plan, Problem, RiderState, Route, Stop, StopKind

P, D = StopKind.PICKUP, StopKind.DELIVERY


def construct(problem: Problem, previous: Plan | None, *, late_penalty_per_minute: float,
              handoff_penalty: float, candidates: int = 8, margin: float = 1.0) -> Plan:
    orders = {o.id: o for o in problem.orders}
    tt, dist = problem.travel_time, problem.distance
    now = problem.now
    on_board_of = {oid: r.id for r in problem.riders for oid in r.on_board}
    late_per_s = late_penalty_per_minute / 60.0

    def cap(oid):
        return orders[oid].deadline + problem.max_lateness

    def evaluate(rider, seq):
        """(feasible, cost) of a rider following `seq` [(order id, kind)]."""
        t = max(now, rider.available_at if rider.available_at is not None else now)
        here, service = rider.position, 0.0
        load = sum(orders[o].size for o in rider.on_board)
        cost, has_pickup = 0.0, False
        for oid, kind in seq:
            o = orders[oid]
            loc = o.pickup if kind is P else o.drop
            arr = t + service + tt[here][loc] + (margin if loc != here else 0.0)
            cost += dist[here][loc]
            if kind is P:
                has_pickup = True
                start = max(arr, o.ready_at)
                if start > cap(oid):
                    return False, math.inf
                load += o.size
                if load > rider.capacity:
                    return False, math.inf
                service = o.pickup_service
            else:
                start = arr
                if oid not in on_board_of and start > cap(oid):
                    return False, math.inf
                if start > o.deadline:
                    cost += (start - o.deadline) * late_per_s
                load -= o.size
                service = o.drop_service
            t, here = start, loc
        if has_pickup and t + service > rider.shift_end:
            return False, math.inf
        return True, cost

    def eligible(rider, oid):
        o = orders[oid]
        if o.pinned_rider is not None:
            return o.pinned_rider == rider.id
        return rider.state is RiderState.ACCEPTING and o.size <= rider.capacity

    # 1. previous sequences, restricted to what still exists and is allowed
    prev = {r.rider_id: [(s.order_id, s.kind) for s in r.stops] for r in previous.routes} if previous else {}
    placed: set[str] = set()
    seqs: dict[str, list] = {}
    for rider in problem.riders:
        seq = []
        for oid, kind in prev.get(rider.id, []):
            if oid not in orders or oid in placed and kind is P:
                continue
            if oid in on_board_of:
                if kind is D and on_board_of[oid] == rider.id:
                    seq.append((oid, D))
            elif eligible(rider, oid):
                seq.append((oid, kind))
        # keep only complete pairs for new orders
        kinds: dict[str, set] = {}
        for oid, kind in seq:
            kinds.setdefault(oid, set()).add(kind)
        seq = [(o, k) for o, k in seq if o in on_board_of or kinds[o] == {P, D}]
        seq = [x for i, x in enumerate(seq) if x not in seq[:i]]
        # on-board drops the previous plan did not have: nearest first at the end
        missing = [oid for oid in rider.on_board if (oid, D) not in seq]
        here = orders[seq[-1][0]].drop if seq else rider.position
        while missing:
            nxt = min(missing, key=lambda oid: tt[here][orders[oid].drop])
            missing.remove(nxt)
            seq.append((nxt, D))
            here = orders[nxt].drop
        # repair: drop new orders (latest first) until feasible; firm ones last
        for pass_pinned in (False, True):
            while not evaluate(rider, seq)[0]:
                removable = [o for o, k in seq if k is P and (orders[o].pinned_rider is not None) == pass_pinned]
                if not removable:
                    break
                victim = removable[-1]
                seq = [(o, k) for o, k in seq if o != victim]
        if not evaluate(rider, seq)[0] and not any(k is P for _, k in seq):
            # only on-board drops left and still not fitting: nearest-neighbour order,
            # which is what the model's relaxed shift end assumes
            todo, seq, here = [o for o, _ in seq], [], rider.position
            while todo:
                nxt = min(todo, key=lambda oid: tt[here][orders[oid].drop])
                todo.remove(nxt)
                seq.append((nxt, D))
                here = orders[nxt].drop
        seqs[rider.id] = seq
        placed.update(o for o, k in seq if k is P)

    # 2. cheapest insertion of every unplaced order, most urgent first
    riders = {r.id: r for r in problem.riders}
    base_cost = {rid: evaluate(riders[rid], s)[1] for rid, s in seqs.items()}
    todo = sorted((o for o in problem.orders if o.id not in placed and o.id not in on_board_of),
                  key=lambda o: o.deadline)
    for o in todo:
        if o.pinned_rider is not None:
            cands = [riders[o.pinned_rider]] if o.pinned_rider in riders else []
        else:
            cands = [r for r in problem.riders if eligible(r, o.id)]
            cands.sort(key=lambda r: min(tt[r.position][o.pickup], tt[_tail(r, seqs[r.id], orders)][o.pickup])
                       + max(0.0, (r.available_at or now) - now))
            cands = cands[:candidates]
        best = (math.inf, None, None)
        limit = math.inf if o.pinned_rider is not None else (
            o.handoff_cost if o.handoff_cost is not None else handoff_penalty)
        for r in cands:
            seq = seqs[r.id]
            for i in range(len(seq) + 1):
                with_p = seq[:i] + [(o.id, P)] + seq[i:]
                for j in range(i + 1, len(with_p) + 1):
                    trial = with_p[:j] + [(o.id, D)] + with_p[j:]
                    ok, c = evaluate(r, trial)
                    if ok and c - base_cost[r.id] < best[0]:
                        best = (c - base_cost[r.id], r.id, trial)
        if best[1] is not None and best[0] < limit:
            seqs[best[1]] = best[2]
            base_cost[best[1]] += best[0]

    return Plan([Route(r.id, [Stop(oid, kind, 0, 0.0, 0.0, 0.0) for oid, kind in seqs[r.id]])
                 for r in problem.riders])


def _tail(rider, seq, orders) -> int:
    """Where the rider will be after its current sequence."""
    if not seq:
        return rider.position
    oid, kind = seq[-1]
    return orders[oid].pickup if kind is P else orders[oid].drop
