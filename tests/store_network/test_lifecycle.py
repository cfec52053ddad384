"""The store lifecycle state machine, the text form of opening hours and the field checks (pure)."""
from __future__ import annotations

import itertools

import pytest

from commerce.order_status import FulfilmentType
from core.errors import DomainError
from geo.delivery_options import StoreStatus as GeoStoreStatus
from schema.enums import StoreStatus as SchemaStoreStatus
from store_network import store_fields
from store_network.hours_text import parse_hours
from store_network.lifecycle import StoreStatus, allowed_next, check_transition, takes_orders

S = StoreStatus
ALLOWED = {
    (S.OPENING_SOON, S.OPEN), (S.OPENING_SOON, S.CLOSED),
    (S.OPEN, S.PAUSED), (S.OPEN, S.CLOSED),
    (S.PAUSED, S.OPEN), (S.PAUSED, S.CLOSED),
}


@pytest.mark.parametrize("current, target", list(itertools.product(S, S)))
def test_every_pair_of_statuses(current, target):
    if current is target:
        assert check_transition(current, target) is target  # a retry is a no-op
    elif (current, target) in ALLOWED:
        assert check_transition(current.value, target.value) is target
    else:
        with pytest.raises(DomainError) as refused:
            check_transition(current, target)
        assert refused.value.code.value == "INVALID_STATUS_TRANSITION"


def test_closed_is_final_and_only_open_trades():
    assert allowed_next(S.CLOSED) == frozenset()
    assert [s for s in S if takes_orders(s)] == [S.OPEN]


def test_the_copies_of_the_statuses_agree():
    assert {s.value for s in GeoStoreStatus} == {s.value for s in S} == {s.value for s in SchemaStoreStatus}
    assert set(store_fields.FULFILMENT_TYPES) == {f.value for f in FulfilmentType}


def test_hours_text():
    assert parse_hours("mon-sun 08:00-22:00") == {str(d): [["08:00", "22:00"]] for d in range(7)}
    assert parse_hours("24h") == {str(d): [["00:00", "24:00"]] for d in range(7)}
    split = parse_hours("Mon-Fri 08:00-12:00,14:00-22:00; sat,sun 09:00-02:00")
    assert split["0"] == [["08:00", "12:00"], ["14:00", "22:00"]] and split["6"] == [["09:00", "02:00"]]
    assert parse_hours("sat 10:00-16:00") == {"5": [["10:00", "16:00"]]}  # the other days closed


@pytest.mark.parametrize("text", ["", "mon-sun", "monday 08:00-22:00", "fri-mon 08:00-22:00", "mon-sun 08:00", "mon-sun 25:00-26:00",
                                  "mon-sun 08:00-08:00"])
def test_bad_hours_text(text):
    with pytest.raises(DomainError) as refused:
        parse_hours(text)
    assert refused.value.code.value in ("INVALID_HOURS", "REQUIRED") and refused.value.field == "hours"


def test_field_checks():
    assert store_fields.timezone("Asia/Shanghai") == "Asia/Shanghai"
    for bad in ("Mars/Olympus", "", "../../etc/passwd", "asia/shanghai"):
        with pytest.raises(DomainError) as refused:
            store_fields.timezone(bad)
        assert refused.value.code.value == "INVALID_TIMEZONE"
    gcj = store_fields.location(120.16, 30.27, "GCJ02")
    assert abs(gcj.lon - 120.16) > 1e-4  # converted to WGS-84
    for lon, lat, system in ((200, 30, "WGS84"), (120, 95, "GCJ02"), (120, 30, "MARS")):
        with pytest.raises(DomainError) as refused:
            store_fields.location(lon, lat, system)
        assert refused.value.code.value == "INVALID_LOCATION"
