"""Splitting an amount of fen over weights so the parts sum exactly to the whole.

Largest remainder (Hamilton): every part gets the floor of its exact share, then the fen left
over go one each to the parts with the largest fractional remainders (ties: the earlier part).
Unlike "the last line takes the remainder" (Saleor) no part is ever off by more than one fen
from its exact share, and a part never exceeds its weight when amount <= sum(weights).
"""
from __future__ import annotations

from collections.abc import Sequence


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Parts of `amount` proportional to `weights` (non-negative ints); sum(parts) == amount.

    All-zero weights take nothing unless amount is 0 (ValueError otherwise).
    """
    if amount < 0 or any(w < 0 for w in weights):
        raise ValueError("amount and weights must not be negative")
    total = sum(weights)
    if amount == 0:
        return [0] * len(weights)
    if total == 0:
        raise ValueError("cannot allocate a positive amount over zero weights")
    parts = [amount * w // total for w in weights]
    remainders = [(amount * w) % total for w in weights]
    left = amount - sum(parts)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        parts[index] += 1
    return parts


def refund_share(line_total_fen: int, line_discount_fen: int, quantity: int, refunded_quantity: int, already_refunded: int = 0) -> int:
    """What refunding `refunded_quantity` more units of a line returns: those units' share of
    the line's net price (its total minus its allocated discount), never the list price.

    Cumulative: after K of Q units the customer has had floor(net * K / Q) back, and all of the
    net at K = Q; so successive partial refunds each stay within a fen of their exact share and
    together return exactly what was paid for the line.
    """
    if quantity <= 0 or already_refunded < 0 or refunded_quantity < 0 or already_refunded + refunded_quantity > quantity:
        raise ValueError("refunded quantity out of range")
    net = max(line_total_fen - line_discount_fen, 0)

    def returned(units: int) -> int:
        return net * units // quantity

    return returned(already_refunded + refunded_quantity) - returned(already_refunded)
