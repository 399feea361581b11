"""Retention: the touch interval by customer age, scaled by intensity."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from policies.retention import RetentionPolicy
from tests.unit.hypothesis_settings import UNIT

DAY = 1440.0
WEEK = 7 * DAY

LADDER = [
    {"until": "1w", "every": "1d"},
    {"until": "4w", "every": "3d"},
    {"until": "13w", "every": "1w"},
    {"every": "30d"},
]


def test_the_default_ladder_weekly_for_four_weeks_then_monthly() -> None:
    policy = RetentionPolicy()
    assert policy.gap_at(0.0) == WEEK
    assert policy.gap_at(4 * WEEK - 1) == WEEK
    assert policy.gap_at(4 * WEEK) == 30 * DAY
    assert policy.gap_at(500 * WEEK) == 30 * DAY


@pytest.mark.parametrize(
    ("age", "gap"),
    [(0.0, DAY), (WEEK - 1, DAY), (WEEK, 3 * DAY), (12 * WEEK, WEEK), (13 * WEEK, 30 * DAY)],
)
def test_a_ladder_by_age(age: float, gap: float) -> None:
    assert RetentionPolicy(schedule=LADDER).gap_at(age) == gap


def test_a_ladder_that_ends_stops_touching() -> None:
    policy = RetentionPolicy(schedule=LADDER[:2])
    assert policy.gap_at(4 * WEEK - 1) == 3 * DAY
    assert policy.gap_at(4 * WEEK) is None
    assert RetentionPolicy(schedule=[]).gap_at(0.0) is None


@UNIT
@given(st.floats(0, 100 * WEEK), st.floats(0.25, 4.0))
def test_intensity_divides_every_gap(age: float, intensity: float) -> None:
    plain = RetentionPolicy(schedule=LADDER).gap_at(age)
    scaled = RetentionPolicy(schedule=LADDER, intensity=intensity).gap_at(age)
    assert plain is not None and scaled == pytest.approx(plain / intensity)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"schedule": [LADDER[1], LADDER[0]]}, "retention schedule goes backwards"),
        ({"schedule": [{"every": "1w"}, LADDER[1]]}, "only the last step .* may omit 'until'"),
        ({"intensity": 0}, "greater than 0"),
        ({"schedule": [{"until": "1w", "every": "0m"}]}, "greater than 0"),
    ],
)
def test_bad_schedules(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RetentionPolicy(**fields)
