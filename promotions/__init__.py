"""Promotions: automatic campaigns, coupons and flash sales, priced in one place.

Layout: `allocation` (largest-remainder split of an order discount over lines), `registry`
(condition and action types with typed arguments), `engine` (the pure order-level stage:
lines + promotions -> per-line discounts, applied list, "almost applied" hints), `models`,
`service` (loading, checkout adjustments, coupons, flash-sale quotas, control), `listeners`
(quota and coupon release when an unpaid order is cancelled or expires). No strawberry here.
"""
