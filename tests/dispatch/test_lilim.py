"""A Li & Lim instance read from ../shared/bench and solved to its best known solution."""

from __future__ import annotations

from pathlib import Path

import pytest

from delivery.dispatch import check_plan, plan_distance, solve
from delivery.dispatch.lilim import benchmark_options, load_problem

LC101 = Path(__file__).resolve().parents[2] / "../shared/bench/lilim/li_lim_100/lc101.txt"

pytestmark = pytest.mark.bench_data


@pytest.fixture(scope="module")
def lc101():
    if not LC101.exists():
        pytest.skip(f"benchmark data not found at {LC101} (../shared/bench is absent)")
    return load_problem(LC101)


def test_parser_reads_pairs_and_fleet(lc101):
    assert len(lc101.riders) == 25 and lc101.riders[0].capacity == 200
    assert len(lc101.orders) == 53
    assert all(o.pickup != o.drop for o in lc101.orders)


def test_lc101_reaches_best_known_solution(lc101):
    plan = solve(lc101, benchmark_options(3.0))
    assert check_plan(lc101, plan) == []
    assert not plan.unassigned
    assert plan.vehicles_used == 10
    assert plan_distance(lc101, plan) == pytest.approx(828.94, abs=0.01)
