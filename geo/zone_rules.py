"""Fee rules as JSON, and database rows -> domain DeliveryZone objects.

Fee rule JSON (what `delivery_zone.fee_rule` holds and what the API accepts):

* ``{"type": "DISTANCE_BANDS", "bands": [[3000, 400], [5000, 800], [null, 1200]]}``
  (up_to_m inclusive, fee in fen; the last up_to_m may be null = no limit)
* ``{"type": "BASE_PLUS_PER_KM", "base_fen": 400, "included_m": 3000, "per_km_fen": 100,
  "max_distance_m": 8000}`` (max_distance_m optional)

The fee is always computed from the *road* distance estimate (geo.zone_lookup.ROAD_DISTANCE).

Rule types are a registry (`register_fee_rule(FeeRuleKind(code, rule type, parse,
to_json))`): the two above are built in; another kind (a partner's surcharge schedule, say)
registers its code and is then parsed, stored, priced and validated field-by-field exactly
like them, with no change here.

Fallback: a store with no configured zone gets one RADIUS tier-1 zone of its
`delivery_radius_m` with DEFAULT_FEE_RULE, a flat 4 yuan -- exactly the flat fee checkout
charged before zones existed -- and express allowed (the Hema "30 minutes within 3 km"
norm; the express checks on road distance and ETA still apply). So existing stores keep
quoting and charging what they did.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from geo.errors import GeoErrorCode, GeoInputError
from geo.fees import BasePlusPerKmFee, DistanceBandFee, FeeRule
from geo.zones import DeliveryZone, PolygonShape, RadiusShape, parse_geojson_polygon

DEFAULT_FEE_RULE_JSON: dict[str, Any] = {"type": "DISTANCE_BANDS", "bands": [[None, 400]]}
MAX_FEE_FEN = 100_000  # 1,000 yuan: anything above is a typo in fen vs yuan
MAX_RULE_METRES = 200_000  # 200 km: beyond any same-city delivery


@dataclass(frozen=True)
class FeeRuleKind:
    """One kind of fee rule, by its JSON `type` code. `parse(data, field)` validates the
    stored/API JSON and raises GeoInputError(INVALID_ZONE) naming the offending field in the
    API's names under `field`; `to_json(rule)` gives back the JSON parse accepts (with its
    `type`); the rule's own `fee_fen(road metres)` prices it. geo.options_kernel computes the
    built-in rule types natively; any other rule is called from the kernel per use."""

    code: str
    rule_type: type
    parse: Callable[[Mapping[str, Any], str], FeeRule]
    to_json: Callable[[Any], dict[str, Any]]


_KINDS: dict[str, FeeRuleKind] = {}


def register_fee_rule(kind: FeeRuleKind) -> None:
    """Make `kind.code` a fee rule zones may store. A code or rule type already taken by
    another kind is a programming error (two kinds would read each other's rows)."""
    for other in _KINDS.values():
        if other.code != kind.code and other.rule_type is kind.rule_type:
            raise ValueError(f"{kind.rule_type.__name__} is already fee rule {other.code}")
    if kind.code in _KINDS and _KINDS[kind.code] != kind:
        raise ValueError(f"fee rule {kind.code} is already registered")
    _KINDS[kind.code] = kind


def unregister_fee_rule(code: str) -> None:
    """For tests and plug-ins being unloaded; stored rows of that code stop parsing."""
    if code in BUILT_IN_FEE_RULES:
        raise ValueError(f"{code} is built in")
    _KINDS.pop(code, None)


def fee_rule_codes() -> list[str]:
    return sorted(_KINDS)


def parse_fee_rule(data: Mapping[str, Any], field: str = "feeRule") -> FeeRule:
    """JSON -> FeeRule; GeoInputError(INVALID_ZONE) on bad input, with a field path in the
    API's names (`feeRule.bands[1].upToMeters`, `feeRule.perKm`), not the storage keys."""
    if not isinstance(data, Mapping):
        raise GeoInputError(GeoErrorCode.INVALID_ZONE, field, "fee rule must be an object")
    kind = _KINDS.get(data.get("type")) if isinstance(data.get("type"), str) else None
    if kind is None:
        raise GeoInputError(GeoErrorCode.INVALID_ZONE, f"{field}.type", f"type must be one of {', '.join(fee_rule_codes())}")
    return kind.parse(data, field)


def fee_rule_to_json(rule: FeeRule) -> dict[str, Any]:
    for cls in type(rule).__mro__:
        for kind in _KINDS.values():
            if kind.rule_type is cls:
                return kind.to_json(rule)
    raise TypeError(f"cannot serialise fee rule {type(rule).__name__}")


def _parse_bands(data: Mapping[str, Any], field: str) -> DistanceBandFee:
    bands = data.get("bands")
    if not isinstance(bands, list) or not bands:
        raise GeoInputError(GeoErrorCode.INVALID_ZONE, f"{field}.bands", "at least one band is required")
    previous = -1
    for i, band in enumerate(bands):
        where = f"{field}.bands[{i}]"
        if not isinstance(band, (list, tuple)) or len(band) != 2:
            raise GeoInputError(GeoErrorCode.INVALID_ZONE, where, "a band is [upToMeters, fee]")
        up_to, fee = band
        if up_to is None:
            if i != len(bands) - 1:
                raise GeoInputError(GeoErrorCode.INVALID_ZONE, f"{where}.upToMeters", "only the last band may be open (null)")
        elif not is_rule_metres(up_to) or up_to <= previous:
            raise GeoInputError(
                GeoErrorCode.INVALID_ZONE, f"{where}.upToMeters",
                f"upToMeters must be whole metres up to {MAX_RULE_METRES}, more than the previous band's",
            )
        else:
            previous = up_to
        check_fee(fee, f"{where}.fee")
    return DistanceBandFee(tuple((b[0], b[1]) for b in bands))


def _bands_json(rule: DistanceBandFee) -> dict[str, Any]:
    return {"type": "DISTANCE_BANDS", "bands": [[up_to, fee] for up_to, fee in rule.bands]}


def _parse_per_km(data: Mapping[str, Any], field: str) -> BasePlusPerKmFee:
    check_fee(data.get("base_fen"), f"{field}.base")
    check_fee(data.get("per_km_fen"), f"{field}.perKm")
    included, limit = data.get("included_m", 0), data.get("max_distance_m")
    if not is_rule_metres(included):
        raise GeoInputError(GeoErrorCode.INVALID_ZONE, f"{field}.includedMeters", f"must be whole metres within 0..{MAX_RULE_METRES}")
    if limit is not None and not is_rule_metres(limit):
        raise GeoInputError(GeoErrorCode.INVALID_ZONE, f"{field}.maxDistanceMeters", f"must be whole metres within 0..{MAX_RULE_METRES}")
    return BasePlusPerKmFee(base_fen=data["base_fen"], included_m=included, per_km_fen=data["per_km_fen"], max_distance_m=limit)


def _per_km_json(rule: BasePlusPerKmFee) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "BASE_PLUS_PER_KM",
        "base_fen": rule.base_fen,
        "included_m": rule.included_m,
        "per_km_fen": rule.per_km_fen,
    }
    if rule.max_distance_m is not None:
        out["max_distance_m"] = rule.max_distance_m
    return out


def is_rule_metres(value: object) -> bool:
    """Whole metres within 0..MAX_RULE_METRES: what a rule's distance fields must be."""
    return not isinstance(value, bool) and isinstance(value, int) and 0 <= value <= MAX_RULE_METRES


def check_fee(value: object, field: str) -> None:
    """A fee in fen within 0..MAX_FEE_FEN, else GeoInputError(INVALID_ZONE) on `field`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FEE_FEN:
        raise GeoInputError(GeoErrorCode.INVALID_ZONE, field, f"fee must be within 0.00..{MAX_FEE_FEN // 100}.00 yuan")


BUILT_IN_FEE_RULES = ("DISTANCE_BANDS", "BASE_PLUS_PER_KM")
register_fee_rule(FeeRuleKind("DISTANCE_BANDS", DistanceBandFee, _parse_bands, _bands_json))
register_fee_rule(FeeRuleKind("BASE_PLUS_PER_KM", BasePlusPerKmFee, _parse_per_km, _per_km_json))


DEFAULT_FEE_RULE = parse_fee_rule(DEFAULT_FEE_RULE_JSON)


def fallback_zone_id(store_id: int) -> str:
    return f"default:{store_id}"


def fallback_zone(store_id: int, delivery_radius_m: float) -> DeliveryZone:
    return DeliveryZone(
        id=fallback_zone_id(store_id),
        store_id=str(store_id),
        tier=1,
        name="default",
        shape=RadiusShape(float(delivery_radius_m)),
        fee_rule=DEFAULT_FEE_RULE,
        express_allowed=True,
    )


def zone_from_row(row: Any) -> DeliveryZone:
    """A `DeliveryZoneRow` (or any object with the same attributes) -> DeliveryZone.

    Stored polygons were validated on the way in, so re-parsing cannot fail for rows the
    API wrote; it rebuilds the exact same shapely polygon from the stored WGS-84 JSON.
    """
    if row.kind == "RADIUS":
        shape: RadiusShape | PolygonShape = RadiusShape(float(row.radius_m))
    else:
        shape = parse_geojson_polygon(row.polygon)
    return DeliveryZone(
        id=str(row.id),
        store_id=str(row.store_id),
        tier=int(row.tier),
        name=row.name,
        shape=shape,
        fee_rule=parse_fee_rule(row.fee_rule),
        express_allowed=bool(row.express_allowed),
    )
