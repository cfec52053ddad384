"""Whole numbers and decimals written in ASCII digits only.

Python's int() and float() also read full-width ("１２"), Arabic-Indic ("١٢") and other
Unicode digits, underscores ("1_000"), and float() reads "nan" and "inf"; str.isdigit() is
true for superscripts ("²") that int() then refuses with a ValueError. A POS file or an
import column is a number a person can check on a receipt: these helpers take "12" and
"-12" (when signed), nothing else, and return None for anything else so the caller reports
it on the row.
"""
from __future__ import annotations

import re

_UNSIGNED = re.compile(r"[0-9]+")
_SIGNED = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")


def ascii_int(raw: object, *, signed: bool = False, max_digits: int = 19) -> int | None:
    """`raw` (a str, or an int from JSON) as an int; None unless it is ASCII digits (with one
    leading sign if `signed`) of at most `max_digits` digits. bool is not a number here."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw if (signed or raw >= 0) and len(str(abs(raw))) <= max_digits else None
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not (_SIGNED if signed else _UNSIGNED).fullmatch(text) or len(text.lstrip("+-")) > max_digits:
        return None
    return int(text)


def ascii_decimal(raw: str) -> float | None:
    """A plain ASCII decimal ("121.47", "-0.5") as a float; None otherwise (no exponent,
    no nan/inf, no Unicode digits). For coordinates, never for money (core.money)."""
    text = raw.strip() if isinstance(raw, str) else ""
    return float(text) if len(text) <= 40 and _DECIMAL.fullmatch(text) else None
