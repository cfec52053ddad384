"""Money is integer fen (1/100 yuan) inside the system and a decimal string at the edge.

Floats never touch money: a price of 0.1 + 0.2 yuan must be 30 fen, not 30.000000000000004.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Far above any real basket, far below 2**63: sums of many lines never overflow BIGINT.
MAX_AMOUNT_FEN = 10**12


class MoneyError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Money:
    fen: int
    currency: str = "CNY"

    @property
    def amount(self) -> Decimal:
        return (Decimal(self.fen) / 100).quantize(Decimal("0.01"))

    def __add__(self, other: "Money") -> "Money":
        if other.currency != self.currency:
            raise MoneyError("cannot add different currencies")
        return Money(self.fen + other.fen, self.currency)


def fen_to_decimal_string(fen: int) -> str:
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def parse_amount_to_fen(raw: str | Decimal | int) -> int:
    """Parse a yuan amount ("12.5", "12.50") into fen; more than two decimals is an error.

    Text must be plain ASCII decimal: Decimal() alone would also take "1e3" (1000 yuan), "1_000",
    and full-width or Arabic-Indic digits, none of which a till or a form means as an amount."""
    if isinstance(raw, str) and not _PLAIN_DECIMAL.fullmatch(raw.strip(" \t")):
        raise MoneyError(f"not a decimal amount: {raw[:40]!r}")
    try:
        value = Decimal(str(raw))
    except InvalidOperation as exc:
        raise MoneyError(f"not a decimal amount: {raw!r}") from exc
    if not value.is_finite():
        raise MoneyError("amount must be finite")
    if abs(value) > Decimal(MAX_AMOUNT_FEN) / 100:
        raise MoneyError("amount is too large")  # checked first: quantize() cannot hold 1e30
    if value != value.quantize(Decimal("0.01")):
        raise MoneyError("amount has more than two decimal places")
    fen = int(value * 100)
    if fen < 0:
        raise MoneyError("amount must not be negative")
    if fen > MAX_AMOUNT_FEN:
        raise MoneyError("amount is too large")
    return fen


def prorate_fen(unit_price_fen: int, quantity: int, per: int) -> int:
    """Price of `quantity` when `unit_price_fen` is quoted per `per` (e.g. grams per 500 g).

    Rounded half-up to the fen, the way a shop scale prints it.
    """
    if per <= 0:
        raise MoneyError("price unit must be positive")
    exact = Decimal(unit_price_fen) * Decimal(quantity) / Decimal(per)
    return int(exact.quantize(Decimal("1"), rounding=ROUND_HALF_UP))
