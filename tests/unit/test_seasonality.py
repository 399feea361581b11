"""The year around the working week: holidays, seasonal volume and lead time zones.

Arrival counts are Poisson, so each statistical check allows |z| < 4.5 (a false
alarm about once in 150,000 runs) at volumes where a 20% error in the rate moves
z by more than 9.
"""

from __future__ import annotations

import datetime as dt
import math
import sys
import types

import numpy as np
import pytest

from sim.config.calendar import WeeklyCalendar
from sim.config.scenario import LeadSource
from sim.config.seasonality import YearCalendar, working_windows
from sim.config.time_zones import CallingWindow, local_windows_in_team_time
from sim.config.units import MINUTES_PER_DAY, MINUTES_PER_HOUR, MINUTES_PER_WEEK
from sim.config.weekly_calendar import HolidayCalendar
from sim.engine.arrivals import lead_draws
from sim.engine.streams import Streams

Z_LIMIT = 4.5
THU_OF_WEEK_1 = 7 + 3
"""Day number of Thursday in week 1."""


def _draws(sources: list[LeadSource], weeks: float, calendar: YearCalendar | None = None) -> list:
    streams = Streams(np.random.SeedSequence(11))
    return list(lead_draws(sources, streams, weeks * MINUTES_PER_WEEK, calendar))


def _assert_poisson(count: int, expected: float) -> None:
    assert abs(count - expected) < Z_LIMIT * math.sqrt(expected), (count, expected)


# --- configuration ------------------------------------------------------------------------


def test_holidays_by_week_and_day_or_by_date_become_day_numbers() -> None:
    calendar = YearCalendar(
        start_date="2026-10-26", holidays=[{"week": 4, "day": "thu"}, "2026-12-25"]
    )
    assert calendar.closed_days(20 * MINUTES_PER_WEEK) == {4 * 7 + 3, 60}
    written = calendar.model_dump(mode="json")  # as a run folder's config.yaml holds it
    assert written["holidays"] == [{"week": 4, "day": "thu"}, "2026-12-25"]
    assert YearCalendar.model_validate(written) == calendar


def test_an_iso_holiday_needs_a_monday_start_date() -> None:
    with pytest.raises(ValueError, match=r"needs calendar\.start_date"):
        YearCalendar(holidays=[dt.date(2026, 12, 25)])
    with pytest.raises(ValueError, match="is a Tuesday; expected a Monday"):
        YearCalendar(start_date="2026-10-27")


def test_the_default_calendar_changes_no_day() -> None:
    calendar = YearCalendar()
    assert calendar.closed_days(MINUTES_PER_WEEK * 52) == frozenset()
    assert all(calendar.day_volumes(week, frozenset()) is None for week in range(52))


def test_seasonality_repeats_its_cycle_and_campaigns_multiply_one_week() -> None:
    cycle = YearCalendar(seasonality=[1.0, 1.2, 0.5])
    assert [cycle.seasonality.volume_in_week(w) for w in range(5)] == [1.0, 1.2, 0.5, 1.0, 1.2]
    campaign = YearCalendar(seasonality=[{"week": 6, "volume": 2.0}])
    assert campaign.day_volumes(6, frozenset()) == (2.0,) * 7
    assert campaign.day_volumes(5, frozenset()) is None
    holiday = YearCalendar(holiday_volume=0.25).day_volumes(1, frozenset({THU_OF_WEEK_1}))
    assert holiday == (1.0, 1.0, 1.0, 0.25, 1.0, 1.0, 1.0)


def test_a_country_without_the_optional_package_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "holidays", None)  # as if not installed
    with pytest.raises(ValueError, match="optional 'holidays' package"):
        YearCalendar(start_date="2026-10-26", country="US")


def test_a_countrys_holidays_come_from_the_package_as_day_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def country_holidays(country: str, years: range) -> dict[dt.date, str]:
        if country != "US":
            raise NotImplementedError(country)
        return {dt.date(year, 11, 26): "Thanksgiving" for year in years} | {
            dt.date(2026, 1, 1): "before the start"
        }

    monkeypatch.setitem(
        sys.modules, "holidays", types.SimpleNamespace(country_holidays=country_holidays)
    )
    calendar = YearCalendar(start_date="2026-10-26", country="US")
    assert calendar.closed_days(10 * MINUTES_PER_WEEK) == {4 * 7 + 3}
    with pytest.raises(ValueError, match="unknown country 'XX'"):
        YearCalendar(start_date="2026-10-26", country="XX")


# --- shifts on holidays --------------------------------------------------------------------


def test_working_windows_cut_out_whole_holidays_only() -> None:
    monday, tuesday = (510.0, 1020.0), (MINUTES_PER_DAY + 510.0, MINUTES_PER_DAY + 1020.0)
    assert working_windows([monday, tuesday], frozenset({1})) == [monday]
    overnight = (1320.0, MINUTES_PER_DAY + 360.0)  # Mon 22:00 - Tue 06:00
    assert working_windows([overnight], frozenset({1})) == [(1320.0, MINUTES_PER_DAY)]
    assert working_windows([overnight], frozenset()) == [overnight]


def test_the_next_working_minute_skips_a_holiday() -> None:
    weekdays = WeeklyCalendar(
        [(d * MINUTES_PER_DAY + 540, d * MINUTES_PER_DAY + 1020) for d in range(5)]
    )
    calendar = HolidayCalendar(weekdays, frozenset({THU_OF_WEEK_1}))
    wednesday_evening = MINUTES_PER_WEEK + 2 * MINUTES_PER_DAY + 1100
    assert calendar.next_open(wednesday_evening) == MINUTES_PER_WEEK + 4 * MINUTES_PER_DAY + 540
    assert calendar.next_open(600.0) == 600.0


# --- arrivals ----------------------------------------------------------------------------------


def test_the_default_calendar_leaves_every_draw_unchanged() -> None:
    sources = [LeadSource(name="web", leads_per_week=500)]
    assert _draws(sources, 3) == _draws(sources, 3, YearCalendar())


def test_a_holiday_brings_its_share_of_a_normal_days_leads() -> None:
    weeks, per_week = 40, 7000.0
    sources = [LeadSource(name="web", leads_per_week=per_week, profile="flat")]
    holidays = [{"week": w, "day": "thu"} for w in range(weeks)]
    draws = _draws(sources, weeks, YearCalendar(holidays=holidays, holiday_volume=0.3))
    day = np.bincount([int(d.arrived_at // MINUTES_PER_DAY) % 7 for d in draws], minlength=7)
    normal_day = per_week / 7 * weeks
    _assert_poisson(int(day[3]), 0.3 * normal_day)
    for weekday in (0, 1, 2, 4, 5, 6):
        _assert_poisson(int(day[weekday]), normal_day)


def test_weekly_arrival_counts_scale_with_the_seasonal_multiplier() -> None:
    cycle = (1.0, 2.0, 0.5, 1.2)
    per_week, weeks = 3000.0, 24
    sources = [LeadSource(name="web", leads_per_week=per_week, profile="business_hours")]
    draws = _draws(sources, weeks, YearCalendar(seasonality=list(cycle)))
    by_week = np.bincount([int(d.arrived_at // MINUTES_PER_WEEK) for d in draws], minlength=weeks)
    for phase, factor in enumerate(cycle):
        _assert_poisson(int(by_week[phase::4].sum()), per_week * factor * weeks / 4)


def test_leads_get_offsets_in_their_sources_shares_without_changing_their_traits() -> None:
    plain = LeadSource(name="web", leads_per_week=4000)
    mixed = plain.model_copy(update={"time_zones": {-3.0: 0.25, 0.0: 0.75}})
    before, after = _draws([plain], 2), _draws([mixed], 2)
    # Every field but the offset is the same (arrival, source, traits, luck and zone name).
    assert [(d.fields()[:-2], d.time_zone) for d in after] == [
        (d.fields()[:-2], d.time_zone) for d in before
    ]
    assert {d.local_offset for d in before} == {0.0}
    behind = sum(d.local_offset == -3 * MINUTES_PER_HOUR for d in after)
    assert {d.local_offset for d in after} == {-180.0, 0.0}
    n = len(after)
    assert abs(behind - 0.25 * n) < Z_LIMIT * math.sqrt(n * 0.25 * 0.75)


# --- local calling windows ----------------------------------------------------------------------


def test_a_local_window_moves_by_the_leads_offset_in_team_time() -> None:
    window = CallingWindow(start="08:00", end="20:00")
    behind = local_windows_in_team_time(window, -3 * MINUTES_PER_HOUR)
    assert behind.next_open(9 * MINUTES_PER_HOUR) == 11 * MINUTES_PER_HOUR  # Mon 08:00 local
    ahead = local_windows_in_team_time(window, 10 * MINUTES_PER_HOUR)
    # Monday 08:00 for a lead 10 hours ahead is Sunday 22:00 of the week before, in team time.
    assert ahead.next_open(MINUTES_PER_WEEK - 2 * MINUTES_PER_HOUR) == MINUTES_PER_WEEK - 120
    assert ahead.next_open(10 * MINUTES_PER_HOUR) == 22 * MINUTES_PER_HOUR


def test_the_calling_window_defaults_to_the_tcpa_hours_every_day() -> None:
    window = CallingWindow()
    assert (window.start, window.end) == (8 * MINUTES_PER_HOUR, 21 * MINUTES_PER_HOUR)
    assert len(window.days) == 7


# --- a source's own seasonality ------------------------------------------------------------------


def test_a_sources_own_campaign_multiplies_its_leads_on_top_of_the_calendar() -> None:
    weeks, per_week = 8, 3000.0
    plain = LeadSource(name="web", leads_per_week=per_week, profile="flat")
    other = LeadSource(name="phone", leads_per_week=per_week, profile="flat")
    campaign = LeadSource(**{**plain.model_dump(), "seasonality": [{"week": 2, "volume": 3}]})
    cycle = LeadSource(**{**plain.model_dump(), "seasonality": [1.0, 0.5]})
    calendar = YearCalendar(seasonality=[1.0, 2.0])  # every source: odd weeks doubled

    def by_week(draws: list, source: int) -> np.ndarray:
        weeks_of = [int(d.arrived_at // MINUTES_PER_WEEK) for d in draws if d.source == source]
        return np.bincount(weeks_of, minlength=weeks)

    base = _draws([plain, other], weeks, calendar)
    lifted = _draws([campaign, other], weeks, calendar)
    # The other source's leads are untouched; the campaign source's other weeks too.
    assert [d for d in lifted if d.source == 1] == [d for d in base if d.source == 1]
    assert [d for d in lifted if d.source == 0 and d.arrived_at < 2 * MINUTES_PER_WEEK] == [
        d for d in base if d.source == 0 and d.arrived_at < 2 * MINUTES_PER_WEEK
    ]
    _assert_poisson(int(by_week(lifted, 0)[2]), per_week * 1.0 * 3)
    _assert_poisson(int(by_week(lifted, 0)[3]), per_week * 2.0)
    cycled = by_week(_draws([cycle], weeks, calendar), 0)
    for week in range(weeks):  # the calendar's cycle times the source's own
        _assert_poisson(int(cycled[week]), per_week * (1.0, 2.0)[week % 2] * (1.0, 0.5)[week % 2])


def test_a_source_without_its_own_seasonality_draws_as_before() -> None:
    source = LeadSource(name="web", leads_per_week=800)
    neutral = LeadSource(**{**source.model_dump(), "seasonality": [1.0]})
    calendar = YearCalendar(seasonality=[1.0, 1.5], holidays=[{"week": 1, "day": "mon"}])
    assert _draws([neutral], 3, calendar) == _draws([source], 3, calendar)
