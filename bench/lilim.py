#!/usr/bin/env python
"""Li & Lim PDPTW benchmark for the dispatch engine (a script, not a test).

    .venv/bin/python bench/lilim.py --time-limit 10 --jobs 2 [--peer vroom] [--only lc101,lr201]

Solves every instance, checks each plan with the independent checker, compares
with the BKS table (vehicles first, then distance) and prints one line per
instance, a per-class table, then `key=value` summary lines (prefixed `peer_`
for the peer solver).  Each instance runs single-threaded; --jobs runs that
many instances in parallel processes (keep it at most the number of cores, or
the time limit no longer means CPU time).
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from delivery.dispatch.checker import check_plan, plan_distance  # noqa: E402
from delivery.dispatch.lilim import benchmark_options, load_problem  # noqa: E402
from delivery.dispatch.solver import solve  # noqa: E402

DEFAULT_INSTANCES = REPO / "../shared/bench/lilim/li_lim_100"
DEFAULT_BKS = REPO / "../shared/bench/bks_lilim.csv"


@dataclass
class Result:
    instance: str
    vehicles: int
    distance: float
    feasible: bool
    violations: int
    seconds: float
    first_violation: str = ""


def _evaluate(name: str, problem, plan, seconds: float) -> Result:
    violations = check_plan(problem, plan)
    if plan.unassigned:  # the benchmark requires every task served
        violations = [*violations, *plan.unassigned]
    return Result(name, plan.vehicles_used, plan_distance(problem, plan), not violations, len(violations),
                  seconds, str(violations[0]) if violations else "")


def run_instance(args: tuple[str, float, str | None]) -> tuple[Result, Result | None]:
    path, time_limit, peer = args
    name = Path(path).stem
    problem = load_problem(path)
    started = time.perf_counter()
    plan = solve(problem, benchmark_options(time_limit))
    ours = _evaluate(name, problem, plan, time.perf_counter() - started)
    theirs = None
    if peer == "vroom":
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from _lilim_vroom import solve_with_vroom

        peer_plan, seconds = solve_with_vroom(path, problem)
        theirs = _evaluate(name, problem, peer_plan, seconds)
    return ours, theirs


def read_bks(path: Path) -> dict[str, tuple[int, float]]:
    with open(path, newline="") as f:
        return {row["instance"]: (int(row["vehicles"]), float(row["distance"])) for row in csv.DictReader(f)}


def is_bks_match(r: Result, bks: tuple[int, float]) -> bool:
    return r.feasible and r.vehicles == bks[0] and abs(r.distance - bks[1]) <= 1e-4 * bks[1]


def summary(results: list[Result], bks: dict[str, tuple[int, float]], prefix: str = "") -> list[str]:
    rows = [r for r in results if r.instance in bks]
    veh = sum(r.vehicles for r in rows)
    bveh = sum(bks[r.instance][0] for r in rows)
    dist = sum(r.distance for r in rows)
    bdist = sum(bks[r.instance][1] for r in rows)
    lines = {
        "instances": len(results),
        "feasible": sum(r.feasible for r in results),
        "vehicles": veh,
        "bks_vehicles": bveh,
        "vehicles_over_bks_pct": f"{100.0 * (veh - bveh) / bveh:.2f}" if bveh else "nan",
        "distance_gap_pct": f"{100.0 * (dist - bdist) / bdist:.2f}" if bdist else "nan",
        "bks_matches": sum(is_bks_match(r, bks[r.instance]) for r in rows),
        "mean_time_s": f"{sum(r.seconds for r in results) / max(1, len(results)):.2f}",
    }
    return [f"{prefix}{k}={v}" for k, v in lines.items()]



def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--instances", type=Path, default=DEFAULT_INSTANCES)
    parser.add_argument("--bks", type=Path, default=DEFAULT_BKS)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated instance names, e.g. lc101,lr201")
    parser.add_argument("--peer", choices=["vroom"], default=None)
    args = parser.parse_args(argv)

    paths = sorted(args.instances.resolve().glob("*.txt"))
    if args.only:
        wanted = {s.strip().lower() for s in args.only.split(",") if s.strip()}
        paths = [p for p in paths if p.stem.lower() in wanted]
    if not paths:
        print(f"no instances found in {args.instances}", file=sys.stderr)
        return 2
    bks = read_bks(args.bks)
    print(f"time_limit={args.time_limit} jobs={args.jobs} peer={args.peer or 'none'}", flush=True)
    tasks = [(str(p), args.time_limit, args.peer) for p in paths]
    ours, theirs = [], []
    with multiprocessing.Pool(max(1, args.jobs)) as pool:
        for r, peer in pool.imap(run_instance, tasks):
            b = bks.get(r.instance, (0, float("nan")))
            line = (f"{r.instance:8s} veh={r.vehicles:3d} dist={r.distance:9.2f} bks={b[0]}/{b[1]:.2f} "
                    f"gap={100 * (r.distance - b[1]) / b[1]:6.2f}% feasible={'yes' if r.feasible else 'NO'} "
                    f"time={r.seconds:5.2f}s")
            if not r.feasible:
                line += f" [{r.violations} violations, e.g. {r.first_violation}]"
            if peer is not None:
                line += (f" | peer veh={peer.vehicles} dist={peer.distance:.2f} "
                         f"feasible={'yes' if peer.feasible else 'NO'} time={peer.seconds:.2f}s")
                theirs.append(peer)
            print(line, flush=True)
            ours.append(r)
    for cls in sorted({_class(r.instance) for r in ours}):
        sub = [r for r in ours if _class(r.instance) == cls]
        print(f"class {cls}: " + " ".join(summary(sub, bks)[2:6]))
    print("\n".join(summary(ours, bks)))
    if theirs:
        print("\n".join(summary(theirs, bks, "peer_")))
    return 0


def _class(name: str) -> str:
    """lc101 -> lc1, lrc208 -> lrc2."""
    letters = name.rstrip("0123456789")
    return letters + name[len(letters)]


if __name__ == "__main__":
    sys.exit(main())
