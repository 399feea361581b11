"""Follow-up cadences: the gap after each unanswered attempt, and when to stop."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from policies.followup import GeometricCadence, StepCadence
from tests.unit.hypothesis_settings import UNIT


def gaps(policy: StepCadence | GeometricCadence) -> list[float | None]:
    """The gap after attempts 1, 2, ... up to and including the last allowed attempt."""
    return [policy.gap_after(attempt) for attempt in range(1, policy.max_attempts + 1)]


def test_steps_are_read_in_human_units_and_the_last_repeats() -> None:
    policy = StepCadence(steps=["5m", "1h", "1d"], max_attempts=6)
    assert gaps(policy) == [5.0, 60.0, 1440.0, 1440.0, 1440.0, None]


def test_the_default_steps() -> None:
    assert gaps(StepCadence()) == [5.0, 60.0, 1440.0, 4320.0, 10080.0, None]


def test_more_steps_than_attempts_are_never_used() -> None:
    assert gaps(StepCadence(steps=["5m", "1h", "1d", "3d"], max_attempts=2)) == [5.0, None]


def test_one_attempt_means_no_follow_up() -> None:
    assert StepCadence(max_attempts=1).gap_after(1) is None
    assert GeometricCadence(max_attempts=1).gap_after(1) is None


def test_geometric_gaps_grow_until_the_cap() -> None:
    policy = GeometricCadence(first_gap="10m", growth=3, max_gap="16h40m", max_attempts=8)
    assert gaps(policy) == [10.0, 30.0, 90.0, 270.0, 810.0, 1000.0, 1000.0, None]


@UNIT
@given(
    st.floats(1.0, 1440.0),
    st.floats(1.0, 6.0),
    st.floats(1.0, 30.0),
    st.integers(1, 12),
)
def test_geometric_gaps_never_shrink_and_stop_after_max_attempts(
    first_gap: float, growth: float, cap_factor: float, max_attempts: int
) -> None:
    policy = GeometricCadence(
        first_gap=first_gap,
        growth=growth,
        max_gap=first_gap * cap_factor,
        max_attempts=max_attempts,
    )
    follow_ups = gaps(policy)
    assert follow_ups[-1] is None and None not in follow_ups[:-1]
    finite = [gap for gap in follow_ups if gap is not None]
    assert len(finite) == max_attempts - 1
    assert all(first_gap <= gap <= policy.max_gap for gap in finite)
    assert all(b >= a for a, b in itertools.pairwise(finite))
    assert policy.gap_after(max_attempts + 5) is None


@pytest.mark.parametrize(
    ("policy", "fields", "message"),
    [
        (GeometricCadence, {"first_gap": "1h", "max_gap": "30m"}, "max_gap must not be shorter"),
        (GeometricCadence, {"growth": 0.5}, "greater than or equal to 1"),
        (StepCadence, {"max_attempts": 0}, "greater than or equal to 1"),
        (StepCadence, {"steps": []}, "at least 1 item"),
        (StepCadence, {"steps": ["5m", "0m"]}, "greater than 0"),
    ],
)
def test_bad_cadences(policy: type, fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        policy(**fields)
