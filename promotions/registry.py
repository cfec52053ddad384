"""Condition and action types: a registry of codes, each with typed arguments (as Vendure's
PromotionCondition / PromotionAction). A promotion stores `[{code, args}]`; `validate_*` turns
the client's string arguments into typed values or raises INVALID_ARGUMENT naming the field
(`conditions.0.args.amount`), so nothing malformed is ever stored.

Argument types: MONEY ("50.00" -> fen), INT, PERCENT (1..100, an integer: 8.5折 is 15),
TIERS ("100.00:20.00,200.00:50.00": spend -> amount off, ascending).

Extending: add a ConditionType / ActionType to CONDITIONS / ACTIONS (check, compute, and for
order-level actions `estimate` for "almost applied" hints). Engine semantics are in
promotions.engine.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from core.errors import DomainError
from core.money import MAX_AMOUNT_FEN, MoneyError, parse_amount_to_fen
from promotions.errors import PromotionErrorCode as Codes


class ArgType(str, Enum):
    MONEY = "MONEY"
    INT = "INT"
    PERCENT = "PERCENT"
    TIERS = "TIERS"


@dataclass(frozen=True)
class ArgSpec:
    name: str
    type: ArgType
    required: bool = True
    minimum: int = 0
    maximum: int = MAX_AMOUNT_FEN


class Level(str, Enum):
    """When an action runs: line actions first, then order, then shipping (engine order)."""

    LINE = "LINE"
    ORDER = "ORDER"
    SHIPPING = "SHIPPING"


@dataclass(frozen=True)
class ConditionType:
    code: str
    description: str
    args: tuple[ArgSpec, ...]
    # (args, state) -> None if met, else engine.Miss
    check: Callable[[Mapping[str, Any], Any], Any] = field(repr=False)


@dataclass(frozen=True)
class ActionType:
    code: str
    description: str
    args: tuple[ArgSpec, ...]
    level: Level
    # (args, state) -> {line index: fen} (+ shipping fen under key -1)
    compute: Callable[[Mapping[str, Any], Any], dict[int, int]] = field(repr=False)
    # order-level: (args, subtotal) -> fen off at that subtotal, for hints; None if not order-level
    estimate: Callable[[Mapping[str, Any], int], int] | None = field(default=None, repr=False)


CONDITIONS: dict[str, ConditionType] = {}
ACTIONS: dict[str, ActionType] = {}


def register_condition(kind: ConditionType) -> ConditionType:
    CONDITIONS[kind.code] = kind
    return kind


def register_action(kind: ActionType) -> ActionType:
    ACTIONS[kind.code] = kind
    return kind


def _parse(spec: ArgSpec, raw: str, where: str) -> Any:
    try:
        if spec.type is ArgType.MONEY:
            value = parse_amount_to_fen(raw)
        elif spec.type in (ArgType.INT, ArgType.PERCENT):
            value = int(raw.strip())
            low, high = (1, 100) if spec.type is ArgType.PERCENT else (spec.minimum, spec.maximum)
            if not low <= value <= high:
                raise ValueError(f"must be between {low} and {high}")
        else:
            tiers = []
            for part in raw.split(","):
                spend, _, off = part.partition(":")
                tiers.append([parse_amount_to_fen(spend.strip()), parse_amount_to_fen(off.strip())])
            if not tiers or any(b[0] <= a[0] or b[1] <= a[1] for a, b in zip(tiers, tiers[1:])):
                raise ValueError("tiers must rise in both spend and amount off")
            if any(off <= 0 or off > spend for spend, off in tiers):
                raise ValueError("each tier's amount off must be positive and at most its spend")
            value = tiers
    except (ValueError, MoneyError) as exc:
        raise DomainError(Codes.INVALID_ARGUMENT, f"{spec.name}: {exc}", where) from None
    if spec.type is ArgType.MONEY and not spec.minimum <= value <= spec.maximum:
        raise DomainError(Codes.INVALID_ARGUMENT, f"{spec.name}: out of range", where)
    return value


def _validate(kind_specs: tuple[ArgSpec, ...], raw: Mapping[str, str], prefix: str) -> dict[str, Any]:
    known = {spec.name for spec in kind_specs}
    for name in raw:
        if name not in known:
            raise DomainError(Codes.INVALID_ARGUMENT, f"unknown argument {name!r}", f"{prefix}.args.{name}")
    out: dict[str, Any] = {}
    for spec in kind_specs:
        where = f"{prefix}.args.{spec.name}"
        if spec.name not in raw or raw[spec.name] in (None, ""):
            if spec.required:
                raise DomainError(Codes.REQUIRED, f"{spec.name} is required", where)
            continue
        out[spec.name] = _parse(spec, str(raw[spec.name]), where)
    return out


def validate_condition(code: str, raw: Mapping[str, str], prefix: str) -> dict[str, Any]:
    kind = CONDITIONS.get(code)
    if kind is None:
        raise DomainError(Codes.UNKNOWN_CONDITION, f"no condition type {code!r}", f"{prefix}.code")
    return {"code": code, "args": _validate(kind.args, raw, prefix)}


def validate_action(code: str, raw: Mapping[str, str], prefix: str) -> dict[str, Any]:
    kind = ACTIONS.get(code)
    if kind is None:
        raise DomainError(Codes.UNKNOWN_ACTION, f"no action type {code!r}", f"{prefix}.code")
    return {"code": code, "args": _validate(kind.args, raw, prefix)}


def percent_of(args: Mapping[str, Any]) -> int | None:
    """The percentage an action takes off, for HQ's max-discount check (None: not a percent action)."""
    return args.get("percent")
