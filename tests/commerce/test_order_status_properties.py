"""Property tests for the order state machine: whatever sequence of requests arrives, invariants hold."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from commerce.order_status import (
    TERMINAL,
    ActorType,
    FulfilmentType,
    OrderStatus,
    StockEffect,
    StockState,
    allowed_next,
    plan_transition,
)
from core.errors import DomainError

requests = st.lists(st.tuples(st.sampled_from(list(OrderStatus)), st.sampled_from(list(ActorType))), max_size=25)


def simulate(fulfilment, steps):
    """Apply the allowed requests; track reserved/on-hand for one unit of stock."""
    status, stock_state = OrderStatus.UNPAID, StockState.RESERVED
    on_hand, reserved = 1, 1
    history = [status]
    for target, actor in steps:
        try:
            plan = plan_transition(status, target, fulfilment, stock_state, actor)
        except DomainError:
            continue
        if plan.stock_effect is StockEffect.DEDUCT:
            on_hand, reserved = on_hand - 1, reserved - 1
        elif plan.stock_effect is StockEffect.RELEASE:
            reserved -= 1
        elif plan.stock_effect is StockEffect.RESTOCK:
            on_hand += 1
        status, stock_state = target, plan.stock_state_after
        history.append(status)
    return status, stock_state, on_hand, reserved, history


@given(st.sampled_from(list(FulfilmentType)), requests)
@settings(max_examples=400, deadline=None)
def test_stock_is_never_lost_or_double_counted(fulfilment, steps):
    status, stock_state, on_hand, reserved, history = simulate(fulfilment, steps)
    assert 0 <= reserved <= on_hand <= 1
    if status in TERMINAL:
        # A cancelled or refunded order gives everything back: the unit is on the shelf, unheld.
        assert (on_hand, reserved) == (1, 0)
    elif stock_state is StockState.RESERVED:
        assert (on_hand, reserved) == (1, 1)
    else:
        assert stock_state is StockState.DEDUCTED and (on_hand, reserved) == (0, 0)


@given(st.sampled_from(list(FulfilmentType)), requests)
@settings(max_examples=400, deadline=None)
def test_paths_follow_the_fulfilment_and_terminal_states_are_final(fulfilment, steps):
    *_, history = simulate(fulfilment, steps)
    for before, after in zip(history, history[1:]):
        assert before not in TERMINAL
        assert after in allowed_next(before, fulfilment)
    if OrderStatus.DELIVERING in history:
        assert fulfilment is not FulfilmentType.STORE_PICKUP
    if OrderStatus.AWAITING_PICKUP in history:
        assert fulfilment is FulfilmentType.STORE_PICKUP


@given(st.sampled_from(list(FulfilmentType)), requests)
@settings(max_examples=300, deadline=None)
def test_only_the_payment_system_marks_an_order_paid(fulfilment, steps):
    status = OrderStatus.UNPAID
    for target, actor in steps:
        try:
            plan_transition(status, target, fulfilment, StockState.RESERVED, actor)
        except DomainError:
            continue
        if target is OrderStatus.PAID:
            assert actor is ActorType.SYSTEM


def test_a_customer_cannot_refund_once_picking_started():
    for status in (OrderStatus.PICKING, OrderStatus.READY, OrderStatus.DELIVERING, OrderStatus.COMPLETED):
        try:
            plan_transition(status, OrderStatus.REFUNDED, FulfilmentType.SAME_CITY_DELIVERY, StockState.DEDUCTED, ActorType.CUSTOMER)
        except DomainError as exc:
            assert exc.code.value == "PERMISSION_DENIED"
        else:
            raise AssertionError(f"customer refunded an order in {status}")
