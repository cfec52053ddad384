"""The order-level stage on its own: each built-in promotion type, the documented order, and
the money invariants under hypothesis (line discounts sum to the order discount, nothing goes
negative, a partial refund returns the line's share)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from promotions.allocation import allocate, refund_share
from promotions.engine import CustomerFacts, LineInput, PromotionSpec, Scope, price_order, rank_coupons
from promotions.registry import validate_action, validate_condition


def spec(pid: int, actions, conditions=(), **kw) -> PromotionSpec:
    return PromotionSpec(
        id=pid, version=1, name=f"p{pid}",
        conditions=tuple(validate_condition(c, a, "c") for c, a in conditions),
        actions=tuple(validate_action(c, a, "a") for c, a in actions), **kw,
    )


def line(sku: int, qty: int, unit: int, category: int = 1, by_unit: bool = True) -> LineInput:
    return LineInput(sku, sku, category, qty, unit, qty * unit, by_unit)


def test_allocation_is_largest_remainder_and_exact():
    assert allocate(10, [1, 1, 1]) == [4, 3, 3]
    assert allocate(1000, [3750, 1800]) == [676, 324]
    assert allocate(0, [0, 0]) == [0, 0]


def test_tiered_spend_and_save_takes_the_highest_tier_and_hints_the_next():
    tiers = spec(1, [("tiered_amount_off", {"tiers": "100.00:10.00,200.00:30.00"})])
    priced = price_order([line(1, 15, 1000)], [tiers])  # 150.00
    assert priced.discount_fen == 1000
    assert [h.message for h in priced.hints] == ["add 50.00 more for 30.00 off"]


def test_percent_off_with_cap_man_zhe():
    priced = price_order([line(1, 10, 1000)], [spec(1, [("percent_off", {"percent": "20", "max": "15.00"})], [("min_subtotal", {"amount": "50.00"})])])
    assert priced.discount_fen == 1500


def test_buy_two_get_one_frees_the_cheapest_units():
    lines = [line(1, 2, 1000), line(2, 1, 300), line(3, 3, 500)]  # 6 units: 2 free -> the 3.00 unit and one 5.00 unit
    priced = price_order(lines, [spec(1, [("buy_x_get_y", {"buy": "2", "get": "1"})])])
    assert priced.line_discounts == [0, 300, 500]


def test_second_item_half_price_per_line():
    priced = price_order([line(1, 3, 1000), line(2, 1, 800)], [spec(1, [("nth_item_percent", {"n": "2", "percent": "50"})])])
    assert priced.line_discounts == [500, 0]


def test_new_customer_price_and_first_order_reward():
    lines = [line(1, 1, 1000), line(2, 1, 2000, category=2)]
    newcomer = spec(1, [("line_percent", {"percent": "10"})], [("new_customer", {"days": "30"})], scope=Scope(category_ids=frozenset({2})))
    first = spec(2, [("amount_off", {"amount": "5.00"})], [("first_order", {})])
    fresh = price_order(lines, [newcomer, first], facts=CustomerFacts(first_order=True, account_age_days=3))
    assert fresh.line_discounts[1] >= 200 and fresh.discount_fen == 200 + 500
    old = price_order(lines, [newcomer, first], facts=CustomerFacts(first_order=False, account_age_days=90))
    assert old.discount_fen == 0


def test_line_promotions_run_before_threshold_ones_so_the_threshold_sees_the_reduced_total():
    # Buy 1 get 1 on 2 x 30.00 leaves 30.00: "满50减10" must then not fire (Vendure's documented order).
    bogo = spec(2, [("buy_x_get_y", {"buy": "1", "get": "1"})], priority=5)
    threshold = spec(1, [("amount_off", {"amount": "10.00"})], [("min_subtotal", {"amount": "50.00"})], priority=0)
    priced = price_order([line(1, 2, 3000)], [threshold, bogo])
    assert [a.promotion.id for a in priced.applied] == [2] and priced.total_fen == 3000


def test_free_delivery_coupon_and_partner_cap():
    ship = spec(1, [("free_delivery", {})], coupon_id=9)
    priced = price_order([line(1, 1, 1000)], [], [ship], delivery_fee_fen=600)
    assert priced.shipping_discount_fen == 600 and priced.total_fen == 1000
    partner = spec(2, [("amount_off", {"amount": "50.00"})], hq=False)
    assert price_order([line(1, 10, 1000)], [partner], max_partner_percent=20).discount_fen == 2000


def test_ranked_coupons_say_why_the_others_do_not_apply():
    big = spec(1, [("amount_off", {"amount": "20.00"})], [("min_subtotal", {"amount": "100.00"})], coupon_id=1)
    small = spec(2, [("amount_off", {"amount": "3.00"})], coupon_id=2)
    scoped = spec(3, [("amount_off", {"amount": "5.00"})], scope=Scope(sku_ids=frozenset({99})), coupon_id=3)
    verdicts = rank_coupons([line(1, 8, 1100)], [], [big, small, scoped])
    assert [(v.coupon.id, v.discount_fen, v.reason) for v in verdicts] == [
        (2, 300, None), (1, 0, "add 12.00 more for 20.00 off"), (3, 0, "no item in the cart is covered"),
    ]


# ------------------------------------------------------------------------------- properties

ACTIONS = st.sampled_from([
    ("amount_off", lambda d: {"amount": f"{d(st.integers(1, 50000)) / 100:.2f}"}),
    ("percent_off", lambda d: {"percent": str(d(st.integers(1, 100))), "max": f"{d(st.integers(1, 50000)) / 100:.2f}"}),
    ("tiered_amount_off", lambda d: {"tiers": "50.00:5.00,100.00:20.00,300.00:90.00"}),
    ("buy_x_get_y", lambda d: {"buy": str(d(st.integers(1, 3))), "get": str(d(st.integers(1, 2)))}),
    ("nth_item_percent", lambda d: {"n": str(d(st.integers(2, 4))), "percent": str(d(st.integers(1, 100)))}),
    ("line_percent", lambda d: {"percent": str(d(st.integers(1, 100)))}),
    ("free_delivery", lambda d: {}),
])


@st.composite
def carts(draw):
    lines = [
        line(i + 1, draw(st.integers(1, 6)), draw(st.integers(0, 20000)), category=draw(st.integers(1, 3)), by_unit=draw(st.booleans()))
        for i in range(draw(st.integers(1, 8)))
    ]
    promotions = []
    for pid in range(draw(st.integers(0, 6))):
        code, make = draw(ACTIONS)
        conditions = [("min_subtotal", {"amount": f"{draw(st.integers(0, 30000)) / 100:.2f}"})] if draw(st.booleans()) else []
        scope = Scope(category_ids=frozenset({draw(st.integers(1, 3))})) if draw(st.booleans()) else Scope()
        promotions.append(spec(pid + 1, [(code, make(draw))], conditions, scope=scope, hq=draw(st.booleans()), priority=draw(st.integers(-2, 2))))
    split = draw(st.integers(0, len(promotions)))
    return lines, promotions[:split], promotions[split:], draw(st.integers(0, 2000)), draw(st.integers(0, 100))


@settings(max_examples=300, deadline=None)
@given(carts())
def test_line_discounts_sum_to_the_order_discount_and_nothing_goes_negative(case):
    lines, automatic, coupons, fee, cap = case
    priced = price_order(lines, automatic, coupons, delivery_fee_fen=fee, max_partner_percent=cap)
    assert sum(a.amount_fen for a in priced.applied) == priced.discount_fen
    assert sum(priced.line_discounts) + priced.shipping_discount_fen == priced.discount_fen
    for applied in priced.applied:
        assert sum(applied.line_amounts) + applied.shipping_fen == applied.amount_fen > 0
    for ln, discount in zip(lines, priced.line_discounts):
        assert 0 <= discount <= ln.line_total_fen
    assert 0 <= priced.shipping_discount_fen <= fee
    assert 0 <= priced.total_fen <= priced.subtotal_fen + fee
    for applied in priced.applied:  # a partner's promotion stays within HQ's cap of its lines
        if not applied.promotion.hq:
            assert sum(applied.line_amounts) * 100 <= cap * sum(ln.line_total_fen for ln in lines)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 10**7), st.lists(st.integers(0, 10**6), min_size=1, max_size=30))
def test_allocation_sums_exactly_and_stays_within_one_fen_of_the_exact_share(amount, weights):
    total = sum(weights)
    if total == 0:
        return
    amount = min(amount, total)
    parts = allocate(amount, weights)
    assert sum(parts) == amount
    for part, weight in zip(parts, weights):
        assert 0 <= part <= weight
        assert abs(part * total - amount * weight) < total  # |part - exact| < 1 fen


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 10**6), st.integers(1, 50), st.data())
def test_partial_refunds_return_the_lines_net_share_and_add_up_to_what_was_paid(line_total, quantity, data):
    discount = data.draw(st.integers(0, line_total))
    net = line_total - discount
    done, returned = 0, 0
    while done < quantity:
        step = data.draw(st.integers(1, quantity - done))
        back = refund_share(line_total, discount, quantity, step, already_refunded=done)
        assert back >= 0 and abs(back * quantity - net * step) < quantity  # within a fen of the exact share
        done, returned = done + step, returned + back
    assert returned == net  # all partial refunds together: exactly what was paid, never the list price


def test_a_partial_refund_of_a_discounted_order_returns_the_discounted_price():
    # PrestaShop#42502's case: 150 + 60 with 42 off (20%): refunding the 150 item returns 120, not 150 or 108.
    priced = price_order([line(1, 1, 15000), line(2, 1, 6000)], [spec(1, [("percent_off", {"percent": "20"})])])
    assert priced.line_discounts == [3000, 1200]
    assert refund_share(15000, priced.line_discounts[0], 1, 1) == 12000
