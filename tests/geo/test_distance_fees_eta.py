import math

import pytest

from geo.coordinates import LonLat
from geo.distance import (
    EARTH_RADIUS_M,
    DetourFactorDistance,
    RoadDistanceProvider,
    degree_bbox,
    destination_point,
    haversine_m,
)
from geo.eta import DEFAULT_SPEED_PROFILE, CitySpeedProfile, estimate_eta, speed_kmh_for
from geo.fees import BasePlusPerKmFee, DistanceBandFee

SHANGHAI = LonLat(121.4737, 31.2304)
BEIJING = LonLat(116.3913, 39.9075)


def test_haversine_one_degree_of_latitude():
    assert haversine_m(LonLat(0, 0), LonLat(0, 1)) == pytest.approx(EARTH_RADIUS_M * math.pi / 180, rel=1e-12)


def test_haversine_beijing_shanghai_and_symmetry():
    d = haversine_m(BEIJING, SHANGHAI)
    assert 1_060_000 < d < 1_075_000  # ~1,067 km great circle
    assert d == pytest.approx(haversine_m(SHANGHAI, BEIJING), rel=1e-15)
    assert haversine_m(SHANGHAI, SHANGHAI) == 0.0


def test_haversine_antipodes_is_half_circumference():
    assert haversine_m(LonLat(0, 0), LonLat(180, 0)) == pytest.approx(math.pi * EARTH_RADIUS_M)


@pytest.mark.parametrize("bearing", [0, 45, 90, 180, 270, 333])
def test_destination_point_is_inverse_of_haversine(bearing):
    p = destination_point(SHANGHAI, bearing, 3000.0)
    assert haversine_m(SHANGHAI, p) == pytest.approx(3000.0, abs=1e-6)


def test_degree_bbox_contains_circle_and_handles_edges():
    box = degree_bbox(SHANGHAI, 5000.0)
    assert box is not None
    for bearing in range(0, 360, 5):
        p = destination_point(SHANGHAI, bearing, 5000.0)
        assert box[0] <= p.lon <= box[2] and box[1] <= p.lat <= box[3]
    assert degree_bbox(LonLat(179.99, 0), 5000) is None  # crosses the antimeridian
    assert degree_bbox(LonLat(0, 89.99), 5000) is None  # reaches the pole


def test_detour_factor_default_and_per_city():
    road = DetourFactorDistance(factor_by_city={"shanghai": 1.25})
    straight = haversine_m(SHANGHAI, destination_point(SHANGHAI, 90, 2000))
    target = destination_point(SHANGHAI, 90, 2000)
    assert road.road_distance_m(SHANGHAI, target) == pytest.approx(straight * 1.3)
    assert road.road_distance_m(SHANGHAI, target, city="shanghai") == pytest.approx(straight * 1.25)
    assert road.road_distances_m(SHANGHAI, [SHANGHAI, target]) == [0.0, pytest.approx(straight * 1.3)]
    assert isinstance(road, RoadDistanceProvider)


@pytest.mark.parametrize("factor", [0.9, 3.5, math.nan])
def test_detour_factor_rejects_nonsense(factor):
    with pytest.raises(ValueError):
        DetourFactorDistance(default_factor=factor)


# --- fees --------------------------------------------------------------------------------


def test_distance_bands_upper_bound_inclusive():
    fee = DistanceBandFee([(2000, 0), (4000, 200)])
    assert fee.fee_fen(0) == 0
    assert fee.fee_fen(2000) == 0
    assert fee.fee_fen(2000.4) == 0  # rounded to the metre first
    assert fee.fee_fen(2000.6) == 200
    assert fee.fee_fen(4000) == 200
    assert fee.fee_fen(4001) is None  # beyond the last band: not priced


def test_distance_bands_unbounded_last_band():
    fee = DistanceBandFee(((2000, 0), (None, 800)))
    assert fee.fee_fen(50_000) == 800


@pytest.mark.parametrize(
    "bands, error",
    [
        ([], ValueError),
        ([(2000, 0), (2000, 100)], ValueError),
        ([(None, 0), (4000, 100)], ValueError),
        ([(2000, 1.5)], TypeError),
        ([(2000, -1)], ValueError),
        ([(2000.0, 100)], ValueError),
    ],
)
def test_distance_bands_validation(bands, error):
    with pytest.raises(error):
        DistanceBandFee(bands)


def test_base_plus_per_km():
    fee = BasePlusPerKmFee(base_fen=500, included_m=3000, per_km_fen=100)
    assert fee.fee_fen(0) == 500
    assert fee.fee_fen(3000) == 500
    assert fee.fee_fen(3001) == 600  # a started km is charged
    assert fee.fee_fen(4000) == 600
    assert fee.fee_fen(4000.0000001) == 600  # float noise does not add a km
    assert fee.fee_fen(4001) == 700
    assert fee.fee_fen(5500) == 800
    assert isinstance(fee.fee_fen(5500), int)


def test_base_plus_per_km_max_distance_and_validation():
    assert BasePlusPerKmFee(500, 3000, 100, max_distance_m=5000).fee_fen(5001) is None
    with pytest.raises(TypeError):
        BasePlusPerKmFee(5.0, 3000, 100)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        BasePlusPerKmFee(500, -1, 100)
    with pytest.raises(ValueError):
        BasePlusPerKmFee(500, 3000, 100).fee_fen(-1)


# --- ETA ---------------------------------------------------------------------------------


def test_eta_adds_prep_ride_and_pad_rounding_up():
    # 3 km at 18 km/h = 10 min ride.
    assert estimate_eta(10, 3000, 18.0, pad_minutes=5) == 25
    assert estimate_eta(10, 3010, 18.0, pad_minutes=5) == 26  # 10.03 min ride rounds up
    assert estimate_eta(0, 0, 18.0) == 0


@pytest.mark.parametrize("args", [(-1, 1000, 18), (10, -5, 18), (10, 1000, 0), (10, math.inf, 18)])
def test_eta_rejects_invalid(args):
    with pytest.raises(ValueError):
        estimate_eta(*args)


def test_speed_profile_is_slower_at_peaks():
    offpeak = speed_kmh_for(None, 15)
    assert speed_kmh_for(None, 8) < offpeak
    assert speed_kmh_for(None, 12) < offpeak
    assert speed_kmh_for("nowhere", 8) == DEFAULT_SPEED_PROFILE.speed_kmh(8)
    custom = CitySpeedProfile("shanghai", [10.0] * 24)
    assert speed_kmh_for("shanghai", 3, {"shanghai": custom}) == 10.0
    with pytest.raises(ValueError):
        CitySpeedProfile("x", [10.0] * 23)
    with pytest.raises(ValueError):
        DEFAULT_SPEED_PROFILE.speed_kmh(24)
