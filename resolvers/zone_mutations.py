"""Staff mutations on delivery zones: decode ids, convert money, call geo.zone_admin."""
from __future__ import annotations

from strawberry.types import Info

from core.errors import DomainError
from core.money import MoneyError, parse_amount_to_fen
from geo import zone_admin
from geo.coordinates import CoordinateSystem
from geo.models import DeliveryZoneRow
from geo.zone_admin import ZoneErrorCode as Codes
from geo.zone_admin import ZoneInput
from schema import ids
from resolvers.mutation_support import in_transaction
from schema import geo as types
from schema.common import Money


def _fen(raw: str | None, field: str) -> int:
    if raw is None:
        raise DomainError(Codes.REQUIRED, "an amount is required", field)
    try:
        return parse_amount_to_fen(raw)
    except MoneyError as exc:
        raise DomainError(Codes.INVALID_ZONE, str(exc), field) from None


def fee_rule_json(rule: types.FeeRuleInput | None) -> dict | None:
    """Typed input -> the JSON that geo.zone_rules validates (amounts become fen here)."""
    if rule is None:
        return None
    if (rule.bands is None) == (rule.base is None):
        raise DomainError(Codes.INVALID_ZONE, "give either bands or base and perKm", "feeRule")
    if rule.bands is not None:
        return {
            "type": "DISTANCE_BANDS",
            "bands": [[b.up_to_meters, _fen(b.fee, f"feeRule.bands[{i}].fee")] for i, b in enumerate(rule.bands)],
        }
    out = {
        "type": "BASE_PLUS_PER_KM",
        "base_fen": _fen(rule.base, "feeRule.base"),
        "included_m": rule.included_meters,
        "per_km_fen": _fen(rule.per_km, "feeRule.perKm"),
    }
    if rule.max_distance_meters is not None:
        out["max_distance_m"] = rule.max_distance_meters
    return out


def fee_rule_type(data: dict) -> types.FeeRule:
    if data["type"] == "DISTANCE_BANDS":
        return types.FeeRule(kind="DISTANCE_BANDS", bands=[types.FeeBand(up_to_meters=u, fee=Money.of(f)) for u, f in data["bands"]])
    if data["type"] != "BASE_PLUS_PER_KM":  # a registered kind (geo.zone_rules.register_fee_rule): its code only
        return types.FeeRule(kind=data["type"])
    return types.FeeRule(
        kind="BASE_PLUS_PER_KM", base=Money.of(data["base_fen"]), included_meters=data["included_m"],
        per_km=Money.of(data["per_km_fen"]), max_distance_meters=data.get("max_distance_m"),
    )


def zone_type(row: DeliveryZoneRow) -> types.DeliveryZone:
    return types.DeliveryZone(
        id=ids.encode("DeliveryZone", row.id), store_id=ids.encode("Store", row.store_id), tier=row.tier, name=row.name,
        kind=row.kind, radius_meters=row.radius_m, fee_rule=fee_rule_type(row.fee_rule),
        express_allowed=row.express_allowed, polygon_wgs84=row.polygon,
    )


def _input(source, fee_rule: dict | None) -> ZoneInput:
    return ZoneInput(
        tier=source.tier, name=source.name, radius_m=source.radius_meters, polygon=source.polygon,
        system=CoordinateSystem(source.system), fee_rule=fee_rule, express_allowed=source.express_allowed,
    )


async def delivery_zone_create(info: Info, input: types.DeliveryZoneCreateInput) -> types.DeliveryZonePayload:
    async def work(session):
        store_id = ids.decode(input.store_id, "Store", Codes, "storeId")
        row = await zone_admin.create_zone(session, info.context.principal, store_id, _input(input, fee_rule_json(input.fee_rule)))
        return {"zone": zone_type(row)}

    return await in_transaction(info, types.DeliveryZonePayload, types.ZoneError, Codes, work)


async def delivery_zone_update(info: Info, input: types.DeliveryZoneUpdateInput) -> types.DeliveryZonePayload:
    async def work(session):
        zone_id = ids.decode(input.id, "DeliveryZone", Codes, "id")
        row = await zone_admin.update_zone(session, info.context.principal, zone_id, _input(input, fee_rule_json(input.fee_rule)))
        return {"zone": zone_type(row)}

    return await in_transaction(info, types.DeliveryZonePayload, types.ZoneError, Codes, work)


async def delivery_zone_delete(info: Info, input: types.DeliveryZoneDeleteInput) -> types.DeliveryZoneDeletePayload:
    async def work(session):
        zone_id = ids.decode(input.id, "DeliveryZone", Codes, "id")
        await zone_admin.delete_zone(session, info.context.principal, zone_id)
        return {"deleted_id": input.id}

    return await in_transaction(info, types.DeliveryZoneDeletePayload, types.ZoneError, Codes, work)
