"""A fee rule kind registered at run time is parsed, stored, priced and rejected field by
field exactly like the built-in ones, and the built-in JSON formats are unchanged."""
from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from auth.service import principal_from_access_token
from geo import zone_admin, zone_lookup
from geo.errors import GeoErrorCode, GeoInputError
from geo.fees import whole_metres
from geo.models import DeliveryZoneRow
from geo.zone_rules import (
    FeeRuleKind, check_fee, fee_rule_to_json, is_rule_metres, parse_fee_rule, register_fee_rule, unregister_fee_rule,
)
from tests.geo_api.helpers import OPTIONS, east_of_a, wgs


@dataclass(frozen=True)
class FlatUpTo:
    """One flat fee up to a road distance, nothing beyond."""

    fee: int
    max_m: int

    def fee_fen(self, road_distance_m: float) -> int | None:
        return self.fee if whole_metres(road_distance_m) <= self.max_m else None


def _parse(data, field: str) -> FlatUpTo:
    check_fee(data.get("fee_fen"), f"{field}.fee")
    if not is_rule_metres(data.get("max_m")):
        raise GeoInputError(GeoErrorCode.INVALID_ZONE, f"{field}.maxMeters", "must be whole metres")
    return FlatUpTo(data["fee_fen"], data["max_m"])


def _json(rule: FlatUpTo) -> dict:
    return {"type": "FLAT_UP_TO", "fee_fen": rule.fee, "max_m": rule.max_m}


@pytest.fixture
def flat_up_to():
    register_fee_rule(FeeRuleKind("FLAT_UP_TO", FlatUpTo, _parse, _json))
    yield
    unregister_fee_rule("FLAT_UP_TO")


def test_built_in_rules_keep_their_json():
    bands = {"type": "DISTANCE_BANDS", "bands": [[3000, 400], [None, 800]]}
    per_km = {"type": "BASE_PLUS_PER_KM", "base_fen": 400, "included_m": 3000, "per_km_fen": 100, "max_distance_m": 8000}
    assert fee_rule_to_json(parse_fee_rule(bands)) == bands
    assert fee_rule_to_json(parse_fee_rule(per_km)) == per_km
    with pytest.raises(GeoInputError) as bad:
        parse_fee_rule({"type": "BASE_PLUS_PER_KM", "base_fen": 400, "per_km_fen": -1})
    assert bad.value.field == "feeRule.perKm"


def test_a_registered_rule_parses_round_trips_and_is_rejected_field_by_field(flat_up_to):
    rule = parse_fee_rule({"type": "FLAT_UP_TO", "fee_fen": 300, "max_m": 1500})
    assert rule == FlatUpTo(300, 1500)
    assert fee_rule_to_json(rule) == {"type": "FLAT_UP_TO", "fee_fen": 300, "max_m": 1500}
    for data, field in (
        ({"type": "FLAT_UP_TO", "fee_fen": -5, "max_m": 1500}, "feeRule.fee"),
        ({"type": "FLAT_UP_TO", "fee_fen": 300, "max_m": "far"}, "feeRule.maxMeters"),
    ):
        with pytest.raises(GeoInputError) as bad:
            parse_fee_rule(data)
        assert (bad.value.code, bad.value.field) == ("INVALID_ZONE", field)
    with pytest.raises(GeoInputError) as unknown:
        parse_fee_rule({"type": "NO_SUCH_RULE"})
    assert unknown.value.field == "feeRule.type" and "FLAT_UP_TO" in unknown.value.message


def test_an_unregistered_code_is_refused(flat_up_to):
    unregister_fee_rule("FLAT_UP_TO")
    with pytest.raises(GeoInputError):
        parse_fee_rule({"type": "FLAT_UP_TO", "fee_fen": 300, "max_m": 1500})
    with pytest.raises(ValueError):
        unregister_fee_rule("DISTANCE_BANDS")


async def test_a_registered_rule_is_stored_and_priced_like_a_built_in(client, world, flat_up_to):
    store_a = world.store_ids["a"]
    async with world.services.database.write() as session:
        principal = await principal_from_access_token(session, world.services.signer, world.staff_token("hq"))
        with pytest.raises(GeoInputError) as bad:
            await zone_admin.create_zone(session, principal, store_a, zone_admin.ZoneInput(
                radius_m=2000, fee_rule={"type": "FLAT_UP_TO", "fee_fen": 300, "max_m": -1}))
        assert bad.value.field == "feeRule.maxMeters"
    async with world.services.database.read() as session:
        assert await session.scalar(select(func.count()).select_from(DeliveryZoneRow).where(DeliveryZoneRow.store_id == store_a)) == 0
    async with world.services.database.write() as session:
        principal = await principal_from_access_token(session, world.services.signer, world.staff_token("hq"))
        row = await zone_admin.create_zone(session, principal, store_a, zone_admin.ZoneInput(
            radius_m=2000, express_allowed=True, fee_rule={"type": "FLAT_UP_TO", "fee_fen": 300, "max_m": 1500}))
        zone_id = row.id
    async with world.services.database.read() as session:
        stored = await session.get(DeliveryZoneRow, zone_id)
        assert stored.fee_rule == {"type": "FLAT_UP_TO", "fee_fen": 300, "max_m": 1500}
        # Checkout and slots price through zones_for: 500 m straight is 650 m of road.
        near = (await zones_for_a(session, world, east_of_a(500)))
        assert near is not None and near.fee_fen == 300 and near.zone_id == zone_id
        # 1,200 m straight is 1,560 m of road: the rule prices nothing, so the store does not serve.
        assert await zones_for_a(session, world, east_of_a(1200)) is None

    def option_a(body):
        return next(o for o in body["data"]["deliveryOptions"] if o["store"]["code"] == "A")

    near = option_a(await world.gql(client, OPTIONS, {"l": wgs(east_of_a(500))}))
    assert (near["serviceable"], near["fee"]["amount"], near["tier"]) == (True, "3.00", 1)
    far = option_a(await world.gql(client, OPTIONS, {"l": wgs(east_of_a(1200))}))
    assert far["serviceable"] is False and far["reasons"] == ["NO_FEE_FOR_DISTANCE"]


async def zones_for_a(session, world, point):
    return (await zone_lookup.zones_for(session, world.tenant_id, [world.store_ids["a"]], point, max_staleness_s=0)).get(world.store_ids["a"])
