"""Deterministic per-store price overrides and stock levels.

Everything is derived from SHA-256 of the inputs (never Python's salted
``hash()``), so the same (store, sku) always gives the same result on every
machine and every run.

* :func:`store_price_fen` overrides ~30 % of (store, sku) pairs with a price
  within ±10 % of the base price, rounded to 10 fen; otherwise ``None``.
* :func:`store_stock` gives units (UNIT) or grams (WEIGHT, a multiple of the
  product's step); ~8 % of pairs are out of stock (0).
"""

from __future__ import annotations

import hashlib

from demo.catalog import PRODUCT_BY_SKU, UNIT, WEIGHT

OVERRIDE_SHARE = 0.30  # target fraction of (store, sku) pairs with a store price
MAX_DEVIATION = 0.10  # ±10 % around the base price (bounds below are integer-exact)
PRICE_ROUNDING_FEN = 10
OUT_OF_STOCK_SHARE = 0.08
DEFAULT_STEP_G = 500


def _u64(*parts: str) -> int:
    digest = hashlib.sha256("|".join(parts).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def _unit(*parts: str) -> float:
    """Deterministic pseudo-random number in [0, 1)."""
    return _u64(*parts) / 2**64


def store_price_fen(store_code: str, sku_code: str, base_fen: int) -> int | None:
    """Store-specific price in fen, or ``None`` when the store uses the base price.

    Overrides are multiples of 10 fen, strictly positive, different from
    ``base_fen`` and within ±10 % of it. If no such price exists (tiny base
    prices) the pair is not overridden.
    """
    if not isinstance(base_fen, int) or base_fen <= 0:
        raise ValueError(f"base_fen must be a positive int, got {base_fen!r}")
    if _unit("price-pick", store_code, sku_code) >= OVERRIDE_SHARE:
        return None
    # integer-exact bounds, multiples of 10 fen: 0.9*base <= lo, hi <= 1.1*base
    lo = max(-(-(base_fen * 9) // 100) * PRICE_ROUNDING_FEN, PRICE_ROUNDING_FEN)
    hi = (base_fen * 11 // 100) * PRICE_ROUNDING_FEN
    candidates = [p for p in range(lo, hi + 1, PRICE_ROUNDING_FEN) if p != base_fen]
    if not candidates:
        return None
    # uniform deviation in [-10 %, +10 %), snapped to the nearest allowed 10-fen price
    dev = (_unit("price-dev", store_code, sku_code) * 2 - 1) * MAX_DEVIATION
    target = base_fen * (1 + dev)
    return min(candidates, key=lambda p: (abs(p - target), p))


def store_stock(store_code: str, sku_code: str, sold_by: str, step_g: int | None = None) -> int:
    """On-hand stock: units for UNIT products, grams for WEIGHT products.

    For WEIGHT the result is a multiple of ``step_g`` (looked up from the demo
    catalog when not given, else 500 g). Some pairs are 0 (out of stock).
    """
    if sold_by not in (UNIT, WEIGHT):
        raise ValueError(f"sold_by must be UNIT or WEIGHT, got {sold_by!r}")
    if _unit("stock-oos", store_code, sku_code) < OUT_OF_STOCK_SHARE:
        return 0
    r = _u64("stock-qty", store_code, sku_code)
    if sold_by == UNIT:
        return 3 + r % 58  # 3..60 units
    if step_g is None:
        product = PRODUCT_BY_SKU.get(sku_code)
        step_g = product.step_g if product is not None and product.step_g else DEFAULT_STEP_G
    if step_g <= 0:
        raise ValueError(f"step_g must be positive, got {step_g!r}")
    grams = 2_000 + r % 38_001  # 2 kg .. 40 kg
    return max(step_g, grams // step_g * step_g)
