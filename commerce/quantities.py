"""Quantity and price rules for a line: units, or grams in steps for weight-priced goods."""
from __future__ import annotations

from dataclasses import dataclass

from commerce.errors import CartErrorCode
from core.errors import DomainError
from core.money import MAX_AMOUNT_FEN, prorate_fen

# Bounds that no real grocery line reaches; they keep arithmetic far from overflow.
MAX_UNITS_PER_LINE = 999
MAX_GRAMS_PER_LINE = 100_000


@dataclass(frozen=True, slots=True)
class QuantityRule:
    sold_by: str  # "UNIT" or "WEIGHT"
    step: int
    minimum: int
    price_per: int

    @property
    def maximum(self) -> int:
        return MAX_GRAMS_PER_LINE if self.sold_by == "WEIGHT" else MAX_UNITS_PER_LINE


def validate_quantity(rule: QuantityRule, quantity: int, field: str = "quantity") -> None:
    if quantity <= 0:
        raise DomainError(CartErrorCode.INVALID_QUANTITY, "quantity must be positive", field)
    if quantity > rule.maximum:
        raise DomainError(
            CartErrorCode.QUANTITY_TOO_LARGE, f"quantity may not exceed {rule.maximum}", field
        )
    if quantity % rule.step:
        unit = "g" if rule.sold_by == "WEIGHT" else ""
        raise DomainError(
            CartErrorCode.QUANTITY_NOT_MULTIPLE_OF_STEP,
            f"quantity must be a multiple of {rule.step}{unit}",
            field,
        )
    if quantity < rule.minimum:
        raise DomainError(CartErrorCode.BELOW_MIN_QUANTITY, f"minimum quantity is {rule.minimum}", field)


def line_total_fen(unit_price_fen: int, quantity: int, price_per: int) -> int:
    total = prorate_fen(unit_price_fen, quantity, price_per)
    if total > MAX_AMOUNT_FEN:
        raise DomainError(CartErrorCode.QUANTITY_TOO_LARGE, "line total is too large", "quantity")
    return total
