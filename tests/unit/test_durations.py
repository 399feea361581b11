"""Durations: what people write (``90s``, ``2h30m``, ``1w``) to minutes and back."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.config.durations import format_duration, parse_duration, shown
from tests.unit.hypothesis_settings import UNIT

MINUTES_PER_YEAR = 525_600


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("90s", 1.5),
        ("5m", 5.0),
        ("1.5h", 90.0),
        ("2h30m", 150.0),
        ("2h 30m", 150.0),
        (" 2H ", 120.0),
        (".5h", 30.0),
        ("3d", 4320.0),
        ("1w", 10080.0),
        ("1w2d", 12960.0),
        ("45", 45.0),
        ("0", 0.0),
        (5, 5.0),
        (2.5, 2.5),
    ],
)
def test_parse(text: str | float, minutes: float) -> None:
    assert parse_duration(text) == pytest.approx(minutes, rel=1e-12)


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0.0, "0m"),
        (1.5, "1m30s"),
        (5.0, "5m"),
        (90.0, "1h30m"),
        (1440.0, "1d"),
        (10080.0, "1w"),
        (20160.0, "2w"),
        (43200.0, "30d"),  # not a whole number of weeks: days read better than '4w2d'
        (0.001, "0.001m"),  # below a second: plain minutes
    ],
)
def test_format(minutes: float, text: str) -> None:
    assert format_duration(minutes) == text


@UNIT
@given(st.integers(0, 10 * MINUTES_PER_YEAR * 60))
def test_whole_seconds_round_trip(seconds: int) -> None:
    minutes = seconds / 60
    text = format_duration(minutes)
    assert parse_duration(text) == pytest.approx(minutes, rel=1e-12, abs=1e-12)
    assert format_duration(parse_duration(text)) == text


@UNIT
@given(st.floats(1e-4, 9.9e5, allow_nan=False))
def test_durations_between_fractions_of_a_second_and_two_years_round_trip_to_six_digits(
    minutes: float,
) -> None:
    assert parse_duration(format_duration(minutes)) == pytest.approx(minutes, rel=1e-5, abs=1e-9)


@pytest.mark.parametrize("minutes", [999_999.875, 1e-5], ids=["two-years-and-a-fraction", "tiny"])
def test_every_formatted_duration_parses(minutes: float) -> None:
    assert parse_duration(format_duration(minutes)) == pytest.approx(minutes, rel=1e-5)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5m", "expected a non-negative duration, got '-5m'"),
        (-1, "expected a finite, non-negative duration"),
        ("5x", "expected a duration: a number of minutes, or numbers with units"),
        ("5 minutes", "expected a duration"),
        ("", "expected a duration"),
        ("inf", "expected a finite, non-negative duration"),
        ("nan", "expected a finite, non-negative duration"),
        (math.inf, "expected a finite, non-negative duration"),
        (True, "expected a duration"),
    ],
)
def test_bad_durations_say_what_was_expected(value: object, message: str) -> None:
    with pytest.raises(ValueError, match="^" + message.replace(".", r"\.")):
        parse_duration(value)  # type: ignore[arg-type]


def test_long_bad_values_are_cut_in_messages() -> None:
    with pytest.raises(ValueError) as caught:
        parse_duration("x" * 500)
    assert len(str(caught.value)) < 250
    assert shown("x" * 500).endswith("...")
    assert len(shown("x" * 500)) == 60
