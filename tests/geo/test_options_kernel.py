"""geo.options_kernel, the compiled per-store loop of deliveryOptions: that the API really
runs the compiled module, and that its parts equal the Python they replace -- the nearest
ranking (spatial_index), the fee rules (geo.fees) and, interpreted from source, the whole
answer (the fallback after an edit without a rebuild)."""
from __future__ import annotations

import importlib.util
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from geo import nearest_options, zone_lookup
from geo.coordinates import LonLat
from geo.fees import BasePlusPerKmFee, DistanceBandFee
from geo.index_cache import StoreGeo, TenantGeoIndex
from geo.zones import DeliveryZone, RadiusShape
from tests.geo.test_nearest_options import OddFee, build, policies_for

KERNEL_SOURCE = Path(nearest_options.__file__).with_name("options_kernel.py")


def test_the_api_runs_the_compiled_kernel_built_from_the_current_source():
    kernel = nearest_options.options_kernel
    assert kernel.COMPILED, (
        f"geo.options_kernel runs interpreted ({kernel.__file__}): the build did not compile it, "
        "or geo/options_kernel.py changed since; run ./scripts/setup.sh"
    )
    assert Path(kernel.__file__).stat().st_mtime >= KERNEL_SOURCE.stat().st_mtime


@pytest.mark.parametrize("seed", [3, 4])
def test_kernel_nearest_equals_the_index(seed):
    index, points = build(seed)  # every 17th store shares its neighbour's spot: distance ties
    engine = index.nearest_options
    used_kernel = 0
    for point in points:
        for k in (1, 2, 30, 100):
            near = engine.nearest(point, k)
            positions, chord2, _ = index.index.nearest_positions(point, k)
            assert (near.positions, near.chord2) == (positions, chord2), (point, k)
            assert near.store_ids == [index.store_list[p].id for p in positions]
            cell = index.index.cell_candidates(point, k)
            used_kernel += cell is not None and k < index.index.store_count
    assert used_kernel > len(points)  # the kernel path, not only the tree fallback, was compared


def _kernel_with(rules: list) -> tuple[TenantGeoIndex, object]:
    store = StoreGeo(
        id=1, code="S1", name="S1", city="上海", location=LonLat(121.4, 31.2), status="OPEN", timezone="Asia/Shanghai",
        business_hours={}, prep_minutes=10, fulfilment_types=("SAME_CITY_DELIVERY",), node_id=1,
    )
    zones = [DeliveryZone(str(i + 1), "1", i + 1, f"t{i}", RadiusShape(3000.0), rule) for i, rule in enumerate(rules)]
    index = TenantGeoIndex(1, [store], zones)
    return index, index.nearest_options._kernel


def test_kernel_fees_equal_the_fee_rules_at_every_boundary():
    rules = [
        DistanceBandFee(((3000, 400), (6000, 800), (None, 1500))),
        DistanceBandFee(((2500, 0), (4000, 300))),
        BasePlusPerKmFee(500, 3000, 100),
        BasePlusPerKmFee(300, 1000, 150, max_distance_m=5000),
        BasePlusPerKmFee(0, 0, 1),
        DistanceBandFee(((1000, 2**40),)),  # too big for the kernel's integers: the rule itself
        OddFee(),
    ]
    index, kernel = _kernel_with(rules)
    zone_at = {z.id: i for i, z in enumerate(index.index._zones)}
    rng = random.Random(11)
    distances = [0.0, 0.4999999, 0.5, 999.5, 1000.0, 1000.4999, 1000.5, 1000.5000001, 1e9, 2e9]
    for edge in (1000, 2500, 3000, 3001, 4000, 4001, 5000, 5001, 6000, 6001):
        distances += [edge - 0.5, edge - 0.5000001, edge + 0.4999999, edge + 0.5, float(edge)]
    distances += [rng.uniform(0, 12_000) for _ in range(3000)]
    for zone in index.zones:
        for d in distances:
            got, want = kernel.fee_fen(zone_at[zone.id], d), zone.fee_rule.fee_fen(d)
            if got == "unmodelled":  # only a fee too big for the kernel's integers; the call takes the reference path
                assert zone.fee_rule == rules[5] and want == 2**40, (zone.fee_rule, d)
            else:
                assert got == want, (zone.fee_rule, d)


class WeirdFee:
    """A custom rule whose answers the kernel does not model (a float, a negative)."""

    def fee_fen(self, road_distance_m: float):
        return 4.5 if road_distance_m < 2000 else -3


def test_custom_rules_with_unmodelled_answers_take_the_reference_path():
    index, kernel = _kernel_with([WeirdFee()])
    assert kernel.fee_fen(0, 100.0) == "unmodelled" and kernel.fee_fen(0, 2500.0) == "unmodelled"
    engine = index.nearest_options
    now = datetime(2024, 6, 5, 4, 30, tzinfo=timezone.utc)
    for lon in (121.401, 121.42):
        point = LonLat(lon, 31.2)
        expected = engine.reference_delivery_options(point, 1, now, {1: (True, frozenset({1}))})
        assert engine.delivery_options(engine.nearest(point, 1), now, {1: (True, frozenset({1}))}) == expected
        assert expected[0].fee_fen in (4.5, None)


def test_the_interpreted_source_answers_what_the_compiled_kernel_answers():
    spec = importlib.util.spec_from_file_location("options_kernel_interpreted", KERNEL_SOURCE)
    source = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(source)
    assert not source.COMPILED
    index, points = build(8, n=200)
    engine = index.nearest_options
    interpreted = source.OptionsKernel(engine._kernel_columns(), engine._reason_bits, nearest_options._REASON_MEMBERS)
    policies = policies_for(index, random.Random(8))
    now = datetime(2024, 6, 8, 11, 0, tzinfo=timezone.utc)
    for i, point in enumerate(points[:300]):
        when = now + timedelta(minutes=37 * i)
        compiled = engine.delivery_options(engine.nearest(point, 30), when, policies, road=zone_lookup.ROAD_DISTANCE, limit=10)
        engine._kernel, saved = interpreted, engine._kernel
        try:
            slow = engine.delivery_options(engine.nearest(point, 30), when, policies, road=zone_lookup.ROAD_DISTANCE, limit=10)
        finally:
            engine._kernel = saved
        assert slow == compiled, (i, point)
