from datetime import datetime, timezone
from enum import Enum
from zoneinfo import ZoneInfo

import pytest

from geo.coordinates import LonLat
from geo.delivery_options import (
    CartLine,
    DeliveryOption,
    SAME_CITY_DELIVERY,
    NaiveDatetimeError,
    StoreCandidate,
    StoreStatus,
    UnavailableReason,
    choose_serving_store,
    delivery_options,
    is_open_at,
    validate_business_hours,
)
from geo.distance import DetourFactorDistance, destination_point
from geo.fees import BasePlusPerKmFee, DistanceBandFee
from geo.zones import DeliveryZone, RadiusShape

SH = ZoneInfo("Asia/Shanghai")
CUSTOMER = LonLat(121.4737, 31.2304)
ALL_WEEK_9_TO_22 = {d: [("09:00", "22:00")] for d in range(7)}
NOON = datetime(2024, 6, 5, 12, 0, tzinfo=SH)  # a Wednesday
DELIVERY_AND_PICKUP = frozenset({SAME_CITY_DELIVERY, "STORE_PICKUP"})


# --- opening hours -----------------------------------------------------------------------


def test_simple_hours_half_open_interval():
    hours = {2: [("09:00", "22:00")]}  # Wednesday
    assert is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 5, 9, 0, tzinfo=SH))
    assert is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 5, 21, 59, tzinfo=SH))
    assert not is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 5, 22, 0, tzinfo=SH))
    assert not is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 5, 8, 59, tzinfo=SH))
    assert not is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 6, 12, 0, tzinfo=SH))  # Thursday: no hours


def test_json_shaped_hours_with_string_keys_and_lists():
    hours = {"2": [["09:00", "22:00"]], "5": [["18:00", "02:00"]]}  # as a JSON column returns them
    validate_business_hours(hours)
    assert is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 5, 12, 0, tzinfo=SH))  # Wednesday
    assert is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 9, 1, 0, tzinfo=SH))  # Sunday, from Saturday
    assert not is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 6, 12, 0, tzinfo=SH))


def test_when_in_utc_is_converted_to_store_time():
    hours = {2: [("09:00", "22:00")]}
    # 01:30 UTC Wednesday = 09:30 Shanghai.
    assert is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 5, 1, 30, tzinfo=timezone.utc))
    assert not is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 5, 0, 30, tzinfo=timezone.utc))


def test_hours_across_midnight_belong_to_the_opening_day():
    hours = {5: [("18:00", "02:00")]}  # Saturday night into Sunday
    assert is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 8, 23, 30, tzinfo=SH))  # Sat
    assert is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 9, 1, 59, tzinfo=SH))  # Sun
    assert not is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 9, 2, 0, tzinfo=SH))
    assert not is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 8, 1, 0, tzinfo=SH))  # Sat early: Friday had none
    assert not is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 9, 18, 30, tzinfo=SH))  # Sun evening


def test_all_day_and_split_shifts():
    hours = {0: [("00:00", "24:00")], 1: [("07:00", "11:00"), ("16:00", "20:00")]}
    assert is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 3, 23, 59, tzinfo=SH))  # Monday
    assert not is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 4, 0, 0, tzinfo=SH))  # Tuesday midnight
    assert is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 4, 10, 0, tzinfo=SH))
    assert not is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 4, 13, 0, tzinfo=SH))
    assert is_open_at(hours, "Asia/Shanghai", datetime(2024, 6, 4, 16, 0, tzinfo=SH))


def test_naive_datetime_is_rejected():
    with pytest.raises(NaiveDatetimeError):
        is_open_at(ALL_WEEK_9_TO_22, "Asia/Shanghai", datetime(2024, 6, 5, 12, 0))
    with pytest.raises(NaiveDatetimeError):
        delivery_options(CUSTOMER, [], datetime(2024, 6, 5, 12, 0))


def test_new_york_spring_forward_day():
    # 2024-03-10: clocks jump 02:00 EST -> 03:00 EDT. 13:30 UTC is 09:30 EDT (open);
    # with a fixed EST offset it would be 08:30 (closed) -- the bug this guards against.
    hours = {d: [("09:00", "17:00")] for d in range(7)}
    ny = "America/New_York"
    assert is_open_at(hours, ny, datetime(2024, 3, 10, 13, 30, tzinfo=timezone.utc))
    assert not is_open_at(hours, ny, datetime(2024, 3, 9, 13, 30, tzinfo=timezone.utc))  # 08:30 EST the day before
    # Overnight shift across the missing hour: Saturday 22:00 - Sunday 06:00.
    night = {5: [("22:00", "06:00")]}
    assert is_open_at(night, ny, datetime(2024, 3, 10, 6, 30, tzinfo=timezone.utc))  # 01:30 EST
    assert is_open_at(night, ny, datetime(2024, 3, 10, 9, 30, tzinfo=timezone.utc))  # 05:30 EDT
    assert not is_open_at(night, ny, datetime(2024, 3, 10, 10, 30, tzinfo=timezone.utc))  # 06:30 EDT


def test_berlin_fall_back_repeated_hour_is_open_both_times():
    # 2024-10-27: 03:00 CEST -> 02:00 CET, so 02:30 happens at 00:30 UTC and 01:30 UTC.
    hours = {6: [("02:00", "03:00")]}  # Sunday
    berlin = "Europe/Berlin"
    assert is_open_at(hours, berlin, datetime(2024, 10, 27, 0, 30, tzinfo=timezone.utc))
    assert is_open_at(hours, berlin, datetime(2024, 10, 27, 1, 30, tzinfo=timezone.utc))
    assert not is_open_at(hours, berlin, datetime(2024, 10, 27, 2, 30, tzinfo=timezone.utc))  # 03:30 CET


@pytest.mark.parametrize(
    "bad",
    [
        {7: [("09:00", "10:00")]},
        {"7": [["09:00", "10:00"]]},
        {0: [("9:00", "10:00")]},
        {0: [("09:00", "09:00")]},
        {0: [("24:00", "10:00")]},
        {0: [("09:00", "25:00")]},
        {0: [("09:00",)]},
    ],
)
def test_validate_business_hours(bad):
    with pytest.raises(ValueError):
        validate_business_hours(bad)


# --- delivery options --------------------------------------------------------------------


def store(
    store_id, distance_m, *, zones=None, status=StoreStatus.OPEN, hours=ALL_WEEK_9_TO_22, types=DELIVERY_AND_PICKUP,
    express=True, prep=10,
):
    location = destination_point(CUSTOMER, 45.0, distance_m)
    if zones is None:
        zones = [
            DeliveryZone(
                f"{store_id}-1", store_id, 1, "inner", RadiusShape(3000), DistanceBandFee([(None, 0)]), express_allowed=True
            ),
            DeliveryZone(f"{store_id}-2", store_id, 2, "outer", RadiusShape(5000), BasePlusPerKmFee(500, 3000, 100)),
        ]
    return StoreCandidate(store_id, location, "Asia/Shanghai", hours, status, prep, types, zones, express_enabled=express)


def option(options, store_id) -> DeliveryOption:
    return next(o for o in options if o.store_id == store_id)


def test_tier_fee_eta_and_express_for_a_near_store():
    (o,) = delivery_options(CUSTOMER, [store("near", 1000)], NOON, pad_minutes=5)
    assert o.serviceable and o.tier == 1 and o.zone_id == "near-1"
    assert o.fee_fen == 0
    # road 1,300 m at 14 km/h (lunch peak) = 5.57 min; 10 prep + 5 pad -> 21.
    assert o.eta_minutes == 21
    assert o.express_possible and o.reasons == ()


def test_outer_tier_charges_per_km_and_blocks_express():
    (o,) = delivery_options(CUSTOMER, [store("mid", 3500)], NOON)
    assert o.serviceable and o.tier == 2
    assert o.fee_fen == 500 + 100 * 2  # road 4,550 m: two started km beyond 3,000
    assert not o.express_possible
    assert UnavailableReason.EXPRESS_DISABLED in o.reasons
    assert UnavailableReason.TOO_FAR_FOR_EXPRESS in o.reasons


def test_unavailable_reasons():
    options = delivery_options(
        CUSTOMER,
        [
            store("far", 6000),
            store("suspended", 500, status=StoreStatus.PAUSED),
            store("closed-flag", 500, status=StoreStatus.CLOSED),
            store("after-hours", 500, hours={d: [("18:00", "22:00")] for d in range(7)}),
            store("pickup-only", 500, types=frozenset({"STORE_PICKUP"})),
        ],
        NOON,
    )
    assert option(options, "far").reasons == (UnavailableReason.OUTSIDE_ZONE,)
    assert option(options, "suspended").reasons == (UnavailableReason.STORE_SUSPENDED,)
    assert option(options, "closed-flag").reasons == (UnavailableReason.STORE_CLOSED,)
    assert option(options, "after-hours").reasons == (UnavailableReason.STORE_CLOSED,)
    assert option(options, "pickup-only").reasons == (UnavailableReason.DELIVERY_NOT_OFFERED,)
    assert not any(o.serviceable or o.express_possible for o in options)
    assert all(o.fee_fen is None and o.eta_minutes is None for o in options)


def test_no_fee_band_and_slow_express():
    capped = [DeliveryZone("c-1", "c", 1, "inner", RadiusShape(3000), DistanceBandFee([(1000, 0)]), express_allowed=True)]
    slow = store("slow", 500, prep=40)
    options = delivery_options(CUSTOMER, [store("c", 2000, zones=capped), slow], NOON)
    assert option(options, "c").reasons == (UnavailableReason.NO_FEE_FOR_DISTANCE,)
    s = option(options, "slow")
    assert s.serviceable and not s.express_possible
    assert s.reasons == (UnavailableReason.EXPRESS_TOO_SLOW,)


def test_zones_of_other_stores_are_ignored_and_order_is_best_first():
    foreign_zone = DeliveryZone("x-1", "other", 1, "x", RadiusShape(5000), DistanceBandFee([(None, 0)]))
    options = delivery_options(
        CUSTOMER, [store("b", 2500), store("a", 800), store("stray", 100, zones=[foreign_zone])], NOON,
        road=DetourFactorDistance(default_factor=1.2),
    )
    assert [o.store_id for o in options] == ["a", "b", "stray"]
    assert option(options, "stray").reasons == (UnavailableReason.OUTSIDE_ZONE,)
    assert option(options, "a").road_distance_m == pytest.approx(800 * 1.2)


# --- serving store -----------------------------------------------------------------------


def test_nearest_store_missing_an_item_loses_to_one_with_the_whole_cart():
    options = delivery_options(CUSTOMER, [store("near", 500), store("far", 2500)], NOON)
    stock = {"near": {"milk": 5, "eggs": 0}, "far": {"milk": 2, "eggs": 12}}
    chosen = choose_serving_store(options, [CartLine("milk", 2), CartLine("eggs", 6)], stock)
    assert chosen is not None and chosen.store_id == "far"
    assert choose_serving_store(options, [("milk", 2)], stock).store_id == "near"


def test_repeated_sku_lines_are_summed():
    options = delivery_options(CUSTOMER, [store("near", 500), store("far", 2500)], NOON)
    stock = {"near": {"milk": 3}, "far": {"milk": 4}}
    assert choose_serving_store(options, [("milk", 2), ("milk", 2)], stock).store_id == "far"
    assert choose_serving_store(options, [("milk", 5)], stock) is None


def test_status_from_a_plain_db_string_is_honoured():
    candidate = store("db", 500, status="PAUSED")
    assert candidate.status is StoreStatus.PAUSED
    (o,) = delivery_options(CUSTOMER, [candidate], NOON)
    assert o.reasons == (UnavailableReason.STORE_SUSPENDED,)
    with pytest.raises(ValueError):
        store("db", 500, status="SUSPENDED")  # the status migration 0024 renamed to PAUSED


def test_fulfilment_types_accept_str_enum_members():
    class CommerceLikeFulfilment(str, Enum):  # mirrors commerce.order_status.FulfilmentType
        SAME_CITY_DELIVERY = "SAME_CITY_DELIVERY"

    candidate = store("enum", 500, types=frozenset({CommerceLikeFulfilment.SAME_CITY_DELIVERY}))
    assert candidate.fulfilment_types == frozenset({"SAME_CITY_DELIVERY"})
    (o,) = delivery_options(CUSTOMER, [candidate], NOON)
    assert o.serviceable


def test_express_capable_store_beats_cheaper_non_express_store():
    no_express = store("cheap", 600, express=False)
    express = store("express", 2000)
    options = delivery_options(CUSTOMER, [no_express, express], NOON)
    stock = {"cheap": {"tea": 9}, "express": {"tea": 9}}
    assert choose_serving_store(options, [("tea", 1)], stock).store_id == "express"


def test_unserviceable_store_is_never_chosen_even_with_stock():
    options = delivery_options(CUSTOMER, [store("closed", 300, status=StoreStatus.CLOSED)], NOON)
    assert choose_serving_store(options, [("tea", 1)], {"closed": {"tea": 9}}) is None


@pytest.mark.parametrize("lines", [[], [("tea", 0)], [("tea", -1)], [("tea", 1.5)]])
def test_invalid_cart(lines):
    with pytest.raises(ValueError):
        choose_serving_store([], lines, {})
