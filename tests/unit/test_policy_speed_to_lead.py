"""Speed-to-lead: how long a new lead is held before its first attempt."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.speed_to_lead import ForcedDelay, SpeedToLeadPolicy
from tests.unit.hypothesis_settings import UNIT

RANGES = [(0.0, 120.0, 2.0), (1440.0, 4320.0, 1.0)]


@UNIT
@given(st.floats(0, 1, exclude_max=True))
def test_the_target_policy_never_holds_a_lead(luck: float) -> None:
    assert SpeedToLeadPolicy(response_target="15m").hold_minutes(luck) == 0.0


def test_only_a_policy_that_overrides_hold_minutes_holds_leads() -> None:
    # The engine skips hold_minutes for every lead when holds_leads is False.
    assert not SpeedToLeadPolicy().holds_leads
    assert ForcedDelay(ranges=RANGES).holds_leads


@pytest.mark.parametrize(
    ("luck", "hold"),
    [(0.0, 0.0), (1 / 3, 60.0), (0.5, 90.0), (2 / 3, 1440.0), (5 / 6, 2880.0)],
)
def test_forced_delay_maps_luck_onto_the_ranges(luck: float, hold: float) -> None:
    assert ForcedDelay(ranges=RANGES).hold_minutes(luck) == pytest.approx(hold)


@UNIT
@given(st.floats(0, 1, exclude_max=True))
def test_a_forced_delay_lies_in_one_of_its_ranges(luck: float) -> None:
    hold = ForcedDelay(ranges=RANGES).hold_minutes(luck)
    assert any(start <= hold <= end for start, end, _ in RANGES)


def test_ranges_are_chosen_in_proportion_to_their_weights() -> None:
    policy = ForcedDelay(ranges=RANGES)
    lucks = (np.arange(30_000) + 0.5) / 30_000
    holds = np.array([policy.hold_minutes(u) for u in lucks])
    assert (holds < 120).mean() == pytest.approx(2 / 3, abs=1e-3)
    assert ((holds >= 1440) & (holds <= 4320)).mean() == pytest.approx(1 / 3, abs=1e-3)
    assert holds[holds < 120].mean() == pytest.approx(60, rel=0.01)  # uniform within a range


def test_the_default_forced_delays() -> None:
    policy = ForcedDelay()
    assert policy.ranges == RANGES
    assert policy.hold_minutes(0.999999) == pytest.approx(4320.0, rel=1e-4)
