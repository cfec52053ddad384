"""The shared courier-delivery state machine (pure)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from delivery.couriers.states import BEFORE_PICKUP, RANK, TERMINAL, DeliveryState as S, Outcome, decide

T0 = datetime(2026, 12, 6, 12, tzinfo=timezone.utc)


def test_the_happy_path_moves_forward():
    state = S.CREATED
    for nxt in (S.DISPATCHING, S.RIDER_ASSIGNED, S.AT_PICKUP, S.PICKED_UP, S.AT_DROPOFF, S.DELIVERED):
        decision = decide(state, nxt)
        assert decision.outcome is Outcome.APPLIED
        state = decision.state
    assert state is S.DELIVERED


@pytest.mark.parametrize("terminal", sorted(TERMINAL))
@pytest.mark.parametrize("incoming", list(S))
def test_terminal_states_are_sticky(terminal, incoming):
    decision = decide(terminal, incoming)
    assert decision.state is terminal and not decision.moves


def test_reassignment_only_before_pickup():
    assert decide(S.RIDER_ASSIGNED, S.DISPATCHING).state is S.DISPATCHING
    assert decide(S.AT_PICKUP, S.DISPATCHING).state is S.DISPATCHING
    late = decide(S.PICKED_UP, S.DISPATCHING)
    assert late.outcome is Outcome.ILLEGAL and late.state is S.PICKED_UP


def test_steps_back_are_stale_and_older_events_never_move():
    assert decide(S.PICKED_UP, S.RIDER_ASSIGNED).outcome is Outcome.STALE
    assert decide(S.DISPATCHING, S.RIDER_ASSIGNED, last_event_at=T0, event_at=T0 - timedelta(seconds=1)).outcome is Outcome.STALE
    assert decide(S.DISPATCHING, S.RIDER_ASSIGNED, last_event_at=T0, event_at=T0).outcome is Outcome.APPLIED


def test_cancel_after_pickup_is_flagged_and_returns_only_after_pickup():
    assert decide(S.RIDER_ASSIGNED, S.CANCELLED).cancelled_after_pickup is False
    assert decide(S.PICKED_UP, S.CANCELLED).cancelled_after_pickup is True
    assert decide(S.DISPATCHING, S.RETURNING).outcome is Outcome.STALE
    assert decide(S.AT_DROPOFF, S.RETURNING).state is S.RETURNING
    assert decide(S.RETURNING, S.RETURNED).state is S.RETURNED
    assert decide(S.PICKED_UP, S.EXPIRED).moves is False
    assert decide(S.RIDER_ASSIGNED, S.CREATE_FAILED).moves is False


@given(st.lists(st.sampled_from(list(S)), max_size=30))
def test_any_sequence_never_regresses_except_reassignment_before_pickup(events):
    state = S.CREATED
    for incoming in events:
        decision = decide(state, incoming)
        if decision.moves and RANK[decision.state] < RANK[state]:
            assert decision.state is S.DISPATCHING and state in BEFORE_PICKUP
        if state in TERMINAL:
            assert decision.state is state
        state = decision.state
