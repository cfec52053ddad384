"""The order-level pricing stage: unit prices are final (commerce.pricing), now promotions
and coupons take money off the order. Pure: no database, no clock; checkout, the cart's price
breakdown and the benchmark all call `price_order`, so they can never disagree.

Documented order (each promotion re-tested on the order as the previous ones left it, as
Vendure does; Saleor's "voucher computed on the undiscounted total" zero-total bug cannot happen):
  1. automatic promotions whose first action is LINE-level (buy X get Y, n-th item, new-customer price),
  2. automatic ORDER-level promotions (满减, 满折, tiered),
  3. automatic SHIPPING promotions (free delivery),
  within each group by `priority` then id; then
  4. the chosen coupons in the same LINE -> ORDER -> SHIPPING order.
Every order-level amount is split over the promotion's eligible lines by largest remainder
in proportion to what is left of each line, so line discounts sum exactly to the order
discount and no line (and no total) goes below zero. A partner's or store's promotion
(`hq=False`) never takes more than HQ's max discount % of its eligible lines.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.money import fen_to_decimal_string
from promotions import builtins  # noqa: F401  (registers the built-in types)
from promotions.allocation import allocate
from promotions.registry import ACTIONS, CONDITIONS, Level

SHIPPING = -1  # key of the delivery fee in an action's amounts
_LEVEL_RANK = {Level.LINE: 0, Level.ORDER: 1, Level.SHIPPING: 2}


@dataclass(frozen=True, slots=True)
class LineInput:
    sku_id: int
    product_id: int
    category_id: int
    quantity: int
    unit_price_fen: int
    line_total_fen: int
    by_unit: bool = True  # False for weight-priced lines: unit-count actions skip them


@dataclass(frozen=True)
class Scope:
    sku_ids: frozenset[int] = frozenset()
    product_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()

    def matches(self, line: LineInput) -> bool:
        if not (self.sku_ids or self.product_ids or self.category_ids):
            return True
        return line.sku_id in self.sku_ids or line.product_id in self.product_ids or line.category_id in self.category_ids


@dataclass(frozen=True)
class PromotionSpec:
    id: int
    version: int
    name: str
    conditions: tuple[Mapping[str, Any], ...]  # ({"code", "args"}, ...), already validated
    actions: tuple[Mapping[str, Any], ...]
    scope: Scope = Scope()
    hq: bool = True
    priority: int = 0
    stackable: bool = False
    coupon_id: int | None = None  # set when applied as a customer's coupon

    @property
    def level(self) -> Level:
        return min((ACTIONS[a["code"]].level for a in self.actions), key=_LEVEL_RANK.__getitem__, default=Level.ORDER)


@dataclass(frozen=True)
class CustomerFacts:
    first_order: bool = False  # no earlier order that was not cancelled
    account_age_days: int | None = None  # None: anonymous


@dataclass(frozen=True)
class Miss:
    reason: str
    missing_fen: int | None = None  # a spend threshold not reached: how much more to add


@dataclass
class State:
    """What conditions and actions see: the lines, what is left of each, the eligible ones."""

    lines: Sequence[LineInput]
    net: list[int]
    fee: int
    eligible: list[int]
    facts: CustomerFacts

    @property
    def eligible_subtotal(self) -> int:
        return sum(self.net[i] for i in self.eligible)

    def spread(self, amount: int) -> dict[int, int]:
        """An order-level amount split over the eligible lines by what is left of each."""
        amount = min(amount, self.eligible_subtotal)
        if amount <= 0:
            return {}
        parts = allocate(amount, [self.net[i] for i in self.eligible])
        return {i: p for i, p in zip(self.eligible, parts) if p}


@dataclass(frozen=True)
class Applied:
    promotion: PromotionSpec
    amount_fen: int
    line_amounts: tuple[int, ...]  # per input line
    shipping_fen: int


@dataclass(frozen=True)
class Hint:
    promotion: PromotionSpec
    message: str
    missing_fen: int | None
    reward_fen: int | None


@dataclass
class OrderPricing:
    subtotal_fen: int
    line_discounts: list[int]
    shipping_discount_fen: int
    delivery_fee_fen: int
    applied: list[Applied] = field(default_factory=list)
    hints: list[Hint] = field(default_factory=list)
    refused: list[tuple[PromotionSpec, Miss]] = field(default_factory=list)  # coupons that did not apply

    @property
    def discount_fen(self) -> int:
        return sum(self.line_discounts) + self.shipping_discount_fen

    @property
    def total_fen(self) -> int:
        return self.subtotal_fen + self.delivery_fee_fen - self.discount_fen


def _yuan(fen: int) -> str:
    return fen_to_decimal_string(fen)


def _apply_one(spec: PromotionSpec, state: State, max_partner_percent: int) -> tuple[Applied | None, Miss | None, Hint | None]:
    state.eligible = [i for i, line in enumerate(state.lines) if spec.scope.matches(line) and state.net[i] > 0]
    misses = [m for m in (CONDITIONS[c["code"]].check(c["args"], state) for c in spec.conditions) if m is not None]
    if not state.eligible and not any(ACTIONS[a["code"]].level is Level.SHIPPING for a in spec.actions):
        misses.append(Miss("no item in the cart is covered"))
    if misses:
        hint = None
        if len(misses) == 1 and misses[0].missing_fen:
            reward = _estimate(spec, state.eligible_subtotal + misses[0].missing_fen)
            if reward:
                hint = Hint(spec, f"add {_yuan(misses[0].missing_fen)} more for {_yuan(reward)} off", misses[0].missing_fen, reward)
        return None, misses[0], hint
    amounts: dict[int, int] = {}
    for action in spec.actions:
        for index, fen in ACTIONS[action["code"]].compute(action["args"], state).items():
            amounts[index] = amounts.get(index, 0) + fen
    line_part = {i: min(f, state.net[i]) for i, f in amounts.items() if i != SHIPPING and f > 0}
    shipping = min(amounts.get(SHIPPING, 0), state.fee)
    if not spec.hq and line_part:
        cap = sum(state.net[i] for i in state.eligible) * max_partner_percent // 100
        if sum(line_part.values()) > cap:
            keys = list(line_part)
            line_part = dict(zip(keys, allocate(cap, [line_part[k] for k in keys])))
    hint = _next_tier_hint(spec, state)
    total = sum(line_part.values()) + shipping
    if total <= 0:
        return None, Miss("nothing to take off"), hint
    for i, fen in line_part.items():
        state.net[i] -= fen
    state.fee -= shipping
    per_line = tuple(line_part.get(i, 0) for i in range(len(state.lines)))
    return Applied(spec, total, per_line, shipping), None, hint


def _estimate(spec: PromotionSpec, subtotal: int) -> int:
    total = 0
    for action in spec.actions:
        kind = ACTIONS[action["code"]]
        if kind.estimate is not None:
            total += kind.estimate(action["args"], subtotal)
    return total


def _next_tier_hint(spec: PromotionSpec, state: State) -> Hint | None:
    subtotal = state.eligible_subtotal
    for action in spec.actions:
        for spend, off in action["args"].get("tiers", ()):
            if spend > subtotal:
                missing = spend - subtotal
                return Hint(spec, f"add {_yuan(missing)} more for {_yuan(off)} off", missing, off)
    return None


def _ordered(promotions: Sequence[PromotionSpec]) -> list[PromotionSpec]:
    return sorted(promotions, key=lambda p: (_LEVEL_RANK[p.level], p.priority, p.id))


def _start(lines: Sequence[LineInput], facts: CustomerFacts, delivery_fee_fen: int) -> tuple[State, OrderPricing]:
    state = State(lines, [line.line_total_fen for line in lines], delivery_fee_fen, [], facts)
    return state, OrderPricing(sum(line.line_total_fen for line in lines), [0] * len(lines), 0, delivery_fee_fen)


def _apply_group(group: Sequence[PromotionSpec], is_coupon: bool, state: State, result: OrderPricing, max_partner_percent: int) -> None:
    for spec in _ordered(group):
        applied, miss, hint = _apply_one(spec, state, max_partner_percent)
        if hint is not None:
            result.hints.append(hint)
        if applied is None:
            if is_coupon:
                result.refused.append((spec, miss))
            continue
        result.applied.append(applied)
        for i, fen in enumerate(applied.line_amounts):
            result.line_discounts[i] += fen
        result.shipping_discount_fen += applied.shipping_fen


def price_order(
    lines: Sequence[LineInput],
    automatic: Sequence[PromotionSpec],
    coupons: Sequence[PromotionSpec] = (),
    *,
    facts: CustomerFacts = CustomerFacts(),
    delivery_fee_fen: int = 0,
    max_partner_percent: int = 100,
) -> OrderPricing:
    state, result = _start(lines, facts, delivery_fee_fen)
    _apply_group(automatic, False, state, result, max_partner_percent)
    _apply_group(coupons, True, state, result, max_partner_percent)
    return result


@dataclass(frozen=True)
class CouponVerdict:
    coupon: PromotionSpec
    discount_fen: int  # what it would take off on top of the automatic promotions; 0 if it does not apply
    reason: str | None  # why it does not apply ("add 12.00 more for 20.00 off")


def rank_coupons(
    lines: Sequence[LineInput],
    automatic: Sequence[PromotionSpec],
    candidates: Sequence[PromotionSpec],
    *,
    facts: CustomerFacts = CustomerFacts(),
    delivery_fee_fen: int = 0,
    max_partner_percent: int = 100,
) -> list[CouponVerdict]:
    """Each candidate coupon alone on top of the automatic promotions, best first (the
    automatic promotions run once; each coupon is tried on a copy of what they left)."""
    state, result = _start(lines, facts, delivery_fee_fen)
    _apply_group(automatic, False, state, result, max_partner_percent)
    verdicts = []
    for coupon in candidates:
        trial = State(lines, list(state.net), state.fee, [], facts)
        applied, miss, hint = _apply_one(coupon, trial, max_partner_percent)
        if applied is not None:
            verdicts.append(CouponVerdict(coupon, applied.amount_fen, None))
        else:
            verdicts.append(CouponVerdict(coupon, 0, hint.message if hint is not None and miss.missing_fen else miss.reason))
    verdicts.sort(key=lambda v: (v.reason is not None, -v.discount_fen, v.coupon.id))
    return verdicts


FACT_CONDITIONS = frozenset({"first_order", "new_customer"})


def needs_customer_facts(promotions: Sequence[PromotionSpec]) -> bool:
    """Whether any of these promotions reads the customer's history (else skip loading it)."""
    return any(c["code"] in FACT_CONDITIONS for p in promotions for c in p.conditions)


def needs_order_history(promotions: Sequence[PromotionSpec]) -> bool:
    """Whether any of these promotions counts the customer's earlier orders (a race between
    two checkouts of one customer could give both the first-order reward)."""
    return any(c["code"] == "first_order" for p in promotions for c in p.conditions)
