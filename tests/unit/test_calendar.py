"""The working week: shifts, the open-time calendar built from them, and lead profiles.

Engine time is minutes since Monday 00:00 of week 0.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from sim.config.calendar import PROFILE_PRESETS, HourOfWeekProfile, Shift, WeeklyCalendar
from sim.config.units import HOURS_PER_WEEK, MINUTES_PER_DAY, MINUTES_PER_HOUR, MINUTES_PER_WEEK
from tests.unit.hypothesis_settings import UNIT

HOUR = MINUTES_PER_HOUR
DAY = MINUTES_PER_DAY
WEEK = MINUTES_PER_WEEK
MON, TUE, FRI, SAT, SUN = 0, 1, 4, 5, 6


def at(day: int, hour: float, week: int = 0) -> float:
    """Engine minutes at *hour* o'clock on *day* (0 = Monday) of *week*."""
    return week * WEEK + day * DAY + hour * HOUR


OFFICE = WeeklyCalendar(Shift(days="weekdays", start="09:00", end="17:00").windows())
PROFILES = TypeAdapter(HourOfWeekProfile)


# --- shifts -------------------------------------------------------------------------------


def test_a_weekday_shift_has_one_window_per_day() -> None:
    windows = Shift(days="weekdays", start="09:00", end="17:00").windows()
    assert windows == [(at(day, 9), at(day, 17)) for day in range(5)]


@pytest.mark.parametrize(
    ("days", "expected"),
    [
        ("weekend", ("sat", "sun")),
        ("everyday", ("mon", "tue", "wed", "thu", "fri", "sat", "sun")),
        (["Monday", "fri", "mon"], ("mon", "fri")),
        (["weekend", "sun", "tue"], ("sat", "sun", "tue")),
    ],
)
def test_day_words(days: object, expected: tuple[str, ...]) -> None:
    assert Shift(days=days).days == expected


def test_windows_are_sorted_whatever_the_order_of_days() -> None:
    windows = Shift(days=["sun", "mon"], start="10:00", end="24:00").windows()
    assert windows == [(at(MON, 10), at(MON, 24)), (at(SUN, 10), at(SUN, 24))]


def test_clock_times() -> None:
    shift = Shift(start="07:45", end="24:00")
    assert (shift.start, shift.end) == (7 * HOUR + 45, DAY)
    assert shift.model_dump(mode="json")["start"] == "07:45"
    # YAML 1.1 reads an unquoted 09:30 as the number 570 (minutes after midnight).
    assert Shift(start=570, end="17:00").start == 9 * HOUR + 30


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"start": "22:00", "end": "06:00"}, "split an overnight shift into two shifts"),
        ({"start": "09:00", "end": "09:00"}, "starts and ends at 09:00"),
        ({"start": "25:00"}, "expected a clock time HH:MM between 00:00 and 24:00"),
        ({"end": "24:30"}, "expected a clock time HH:MM"),
        ({"days": ["mon", "funday"]}, "unknown day 'funday'"),
        ({"days": []}, "at least 1 item"),
    ],
)
def test_bad_shifts_say_what_was_expected(fields: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Shift(**fields)


# --- the calendar ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("t", "opens"),
    [
        (at(MON, 10), at(MON, 10)),  # open now
        (at(MON, 9), at(MON, 9)),  # the first minute of a window is open
        (at(MON, 17), at(TUE, 9)),  # the end of a window is not
        (at(MON, 3), at(MON, 9)),
        (at(FRI, 18), at(MON, 9, week=1)),  # the weekend
        (at(SAT, 12), at(MON, 9, week=1)),
        (at(SUN, 23.99), at(MON, 9, week=1)),
        (at(TUE, 8, week=5), at(TUE, 9, week=5)),
    ],
)
def test_next_open(t: float, opens: float) -> None:
    assert OFFICE.next_open(t) == opens


def test_an_overnight_shift_split_in_two_is_one_open_stretch() -> None:
    night = WeeklyCalendar(
        Shift(days="mon", start="22:00", end="24:00").windows()
        + Shift(days="tue", start="00:00", end="06:00").windows()
    )
    assert night.windows == [(at(MON, 22), at(TUE, 6))]
    assert night.next_open(at(TUE, 0)) == at(TUE, 0)
    assert night.next_open(at(TUE, 6)) == at(MON, 22, week=1)
    assert night.open_minutes(at(MON, 0), at(TUE, 12)) == 8 * HOUR


def test_open_time_across_the_end_of_the_week() -> None:
    around = WeeklyCalendar(
        Shift(days="sun", start="20:00", end="24:00").windows()
        + Shift(days="mon", start="00:00", end="04:00").windows()
    )
    assert around.next_open(at(SUN, 23.5)) == at(SUN, 23.5)
    assert around.next_open(at(MON, 4)) == at(SUN, 20)
    assert around.open_minutes(at(SUN, 18), at(MON, 6, week=1)) == 8 * HOUR


def test_overlapping_windows_merge() -> None:
    calendar = WeeklyCalendar([(100.0, 200.0), (150.0, 300.0), (300.0, 400.0), (500.0, 600.0)])
    assert calendar.windows == [(100.0, 400.0), (500.0, 600.0)]


def test_a_calendar_needs_an_open_window() -> None:
    with pytest.raises(ValueError, match="at least one open window"):
        WeeklyCalendar([])


def test_open_minutes_of_office_weeks() -> None:
    assert OFFICE.open_minutes(0.0, WEEK) == 5 * 8 * HOUR
    assert OFFICE.open_minutes(at(MON, 12), at(MON, 12, week=3)) == 3 * 5 * 8 * HOUR
    assert OFFICE.open_minutes(at(MON, 10), at(MON, 11)) == HOUR
    assert OFFICE.open_minutes(at(FRI, 17), at(MON, 9, week=1)) == 0.0


_times = st.floats(0, 20 * WEEK, allow_nan=False)
_windows = st.lists(
    st.tuples(st.integers(0, 7 * 24 * 4 - 1), st.integers(1, 48)).map(
        lambda w: (w[0] * 15.0, min(WEEK, w[0] * 15.0 + w[1] * 15.0))
    ),
    min_size=1,
    max_size=8,
)


@UNIT
@given(_windows, _times)
def test_next_open_is_the_first_open_minute(windows: list[tuple[float, float]], t: float) -> None:
    calendar = WeeklyCalendar(windows)
    opens = calendar.next_open(t)
    assert t <= opens < t + WEEK
    assert calendar.open_minutes(t, opens) == 0.0  # nothing open in between
    assert calendar.open_minutes(opens, opens + 1e-3) > 0.0  # and open at that time
    assert calendar.next_open(opens) == opens
    assert calendar.next_open(t + 3 * WEEK) == opens + 3 * WEEK  # every week alike


@UNIT
@given(
    _windows,
    st.booleans(),
    _times,
    st.lists(st.floats(-2 * DAY, 2 * DAY, allow_nan=False), min_size=1, max_size=40),
)
def test_a_calendar_answers_as_a_fresh_one_whatever_it_was_asked_before(
    windows: list[tuple[float, float]], shifted: bool, start: float, steps: list[float]
) -> None:
    """next_open remembers the last open window and closed gap; its answers stay exact.

    Questions come close together (as the engine asks them), so most are answered from
    memory; *shifted* windows (not whole minutes) are never remembered.
    """
    if shifted:
        windows = [(s + 0.1, e + 0.1) for s, e in windows]
    calendar = WeeklyCalendar(windows)
    t = start
    for step in steps:
        t = max(0.0, t + step)
        assert calendar.next_open(t) == WeeklyCalendar(windows).next_open(t)


@UNIT
@given(_windows, _times, _times, _times)
def test_open_minutes_add_up(
    windows: list[tuple[float, float]], a: float, b: float, c: float
) -> None:
    t0, t1, t2 = sorted((a, b, c))
    calendar = WeeklyCalendar(windows)
    week_total = calendar.open_minutes(0.0, WEEK)
    assert week_total == pytest.approx(sum(end - start for start, end in calendar.windows))
    first, second = calendar.open_minutes(t0, t1), calendar.open_minutes(t1, t2)
    assert 0.0 <= first <= t1 - t0 + 1e-9
    assert first + second == pytest.approx(calendar.open_minutes(t0, t2), abs=1e-6)
    assert calendar.open_minutes(t0, t0 + 2 * WEEK) == pytest.approx(2 * week_total)


# --- hour-of-week lead profiles ----------------------------------------------------------------


def test_presets() -> None:
    for name, weights in PROFILE_PRESETS.items():
        assert len(weights) == HOURS_PER_WEEK, name
        assert min(weights) >= 0 and sum(weights) > 0, name
    assert set(PROFILE_PRESETS["flat"]) == {1.0}
    business = PROFILE_PRESETS["business_hours"]
    hour_of_week = lambda day, hour: 24 * day + hour  # noqa: E731
    assert business[hour_of_week(TUE, 10)] == 1.2  # the morning peak
    assert business[hour_of_week(TUE, 14)] == 1.0
    assert business[hour_of_week(TUE, 19)] == 0.35
    assert business[hour_of_week(TUE, 3)] == 0.05
    assert business[hour_of_week(SAT, 10)] == 0.25
    assert business[hour_of_week(SUN, 3)] == 0.03
    phone = PROFILE_PRESETS["phone_hours"]
    assert phone[hour_of_week(FRI, 17)] == 1.0 and phone[hour_of_week(FRI, 18)] == 0.02


def test_a_profile_is_a_preset_name_or_168_weights() -> None:
    assert PROFILES.validate_python("flat") == PROFILE_PRESETS["flat"]
    weights = [float(hour % 24 >= 9) for hour in range(HOURS_PER_WEEK)]
    assert PROFILES.validate_python(weights) == tuple(weights)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("lunchtime", "unknown profile 'lunchtime'; expected one of flat, business_hours"),
        ([1.0] * 24, "expected 168 hourly weights .* got 24 weights"),
        ([1.0] * 30 + [-1.0] + [1.0] * 137, r"got -1 at position 30 \(tue 06:00\)"),
        ([0.0] * HOURS_PER_WEEK, "no lead would ever arrive"),
    ],
)
def test_bad_profiles_say_what_was_expected(value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        PROFILES.validate_python(value)
