import dataclasses
import enum
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from uuid import UUID

import pytest

from core.idempotency_hash import canonical_json, request_fingerprint


class Method(enum.Enum):
    CARD = "CARD"
    WECHAT = "WECHAT"


@dataclasses.dataclass
class Line:
    sku: str
    qty: int


BASE = {
    "store_id": 17,
    "lines": [{"sku": "A-1", "qty": 2}, {"sku": "B-9", "qty": 1}],
    "tip": Decimal("5.00"),
    "slot_start": datetime(2025, 1, 1, 10, 0, tzinfo=UTC),
    "method": Method.WECHAT,
    "note": "不要辣",
}


def test_stable_and_hex():
    fp = request_fingerprint("placeOrder", BASE)
    assert fp == request_fingerprint("placeOrder", dict(BASE))
    assert len(fp) == 64 and int(fp, 16) >= 0


def test_key_order_irrelevant():
    reordered = dict(reversed(list(BASE.items())))
    reordered["lines"] = [{"qty": 2, "sku": "A-1"}, {"qty": 1, "sku": "B-9"}]
    assert request_fingerprint("placeOrder", reordered) == request_fingerprint("placeOrder", BASE)


@pytest.mark.parametrize(
    "change",
    [
        {"store_id": 18},
        {"tip": Decimal("5.01")},
        {"slot_start": datetime(2025, 1, 1, 10, 0, 1, tzinfo=UTC)},
        {"method": Method.CARD},
        {"note": "不要辣 "},
        {"lines": [{"sku": "B-9", "qty": 1}, {"sku": "A-1", "qty": 2}]},  # list order matters
        {"lines": [{"sku": "A-1", "qty": 3}, {"sku": "B-9", "qty": 1}]},
        {"extra": None},
    ],
)
def test_value_change_changes_fingerprint(change):
    assert request_fingerprint("placeOrder", {**BASE, **change}) != request_fingerprint("placeOrder", BASE)


def test_operation_is_part_of_fingerprint():
    assert request_fingerprint("placeOrder", BASE) != request_fingerprint("quoteOrder", BASE)


def test_equal_values_canonicalise_equally():
    assert canonical_json(Decimal("5.00")) == canonical_json(Decimal("5")) == canonical_json(Decimal("0.5E1")) == '"5"'
    assert canonical_json(Decimal("1E+2")) == '"100"'
    assert canonical_json(Decimal("-0.00")) == canonical_json(Decimal("0")) == '"0"'
    assert canonical_json(Decimal("0.1234567890123456789012345678901234")) == '"0.1234567890123456789012345678901234"'
    beijing = timezone(timedelta(hours=8))
    assert canonical_json(datetime(2025, 1, 1, 18, 0, tzinfo=beijing)) == canonical_json(
        datetime(2025, 1, 1, 10, 0, tzinfo=UTC)
    ) == '"2025-01-01T10:00:00.000000Z"'
    assert canonical_json({"s": {3, 1, 2}}) == canonical_json({"s": frozenset([2, 3, 1])}) == '{"s":[1,2,3]}'
    assert canonical_json((1, 2)) == canonical_json([1, 2])


def test_other_types():
    assert canonical_json(Line("A-1", 2)) == canonical_json({"qty": 2, "sku": "A-1"})
    assert canonical_json(date(2025, 1, 2)) == '"2025-01-02"'
    assert canonical_json(UUID(int=1)) == '"00000000-0000-0000-0000-000000000001"'
    assert canonical_json({Method.CARD: True}) == '{"CARD":true}'
    assert canonical_json({"a": 1, "b": [True, None, 1.5]}) == '{"a":1,"b":[true,null,1.5]}'


@pytest.mark.parametrize(
    "payload, exc",
    [
        ({"at": datetime(2025, 1, 1)}, ValueError),
        ({"x": float("nan")}, ValueError),
        ({"x": Decimal("NaN")}, ValueError),
        ({1: "a"}, TypeError),
        ({"x": object()}, TypeError),
    ],
)
def test_rejects_ambiguous_input(payload, exc):
    with pytest.raises(exc):
        request_fingerprint("op", payload)
