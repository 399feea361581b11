"""Calendars and lead time zones in the running engine.

Holidays close the floor and thin that day's arrivals; a lead's local clock
decides its hour-of-week reach and, with a local calling window, when it may be
called; all of it is the same whatever the number of worker processes.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from sim import run
from sim.config.units import MINUTES_PER_DAY, MINUTES_PER_HOUR
from sim.engine.arrivals import lead_draws
from sim.engine.floor import SalesFloor
from sim.engine.people import FIRST_ATTEMPT, FOLLOW_UP, Lead, Task
from sim.engine.streams import Streams
from sim.experiment import validate_experiment

SEED = np.random.SeedSequence(20261130)
WEDNESDAY = 2
"""Day number of the Wednesday of week 0 (the tiny experiment's measured week)."""


class Calls:
    """A recorder keeping every call: (start in team minutes, the lead's local offset, outcome)."""

    def __init__(self) -> None:
        self.calls: list[tuple[float, float, str]] = []
        self.starts: list[float] = []

    def action(self, task: Task, rep_id: int, started: float, ended: float, outcome: str) -> None:
        self.starts.append(started)
        if task.kind in (FIRST_ATTEMPT, FOLLOW_UP):
            lead: Lead = task.subject  # type: ignore[assignment]
            self.calls.append((started, lead.local_offset, outcome))

    def lead_closed(self, lead: Lead, outcome: str, now: float) -> None:
        pass


def _recorded(data: dict[str, Any]) -> Calls:
    experiment = validate_experiment(data)
    calls = Calls()
    SalesFloor(experiment.scenario, experiment.policy, SEED, recorder=calls).simulate()
    return calls


def _with(tiny: dict[str, Any], **scenario: Any) -> dict[str, Any]:
    data = copy.deepcopy(tiny)
    for key, value in scenario.items():
        data["scenario"].setdefault(key, {}).update(value)
    return data


def _zoned(tiny: dict[str, Any], zones: dict[str, float]) -> dict[str, Any]:
    data = copy.deepcopy(tiny)
    for source in data["scenario"]["sources"]:
        source["time_zones"] = zones
    return data


# --- holidays ----------------------------------------------------------------------------------


def test_nobody_works_on_a_holiday(tiny: dict[str, Any]) -> None:
    def on_wednesday(calls: Calls) -> int:
        return sum(int(t // MINUTES_PER_DAY) == WEDNESDAY for t in calls.starts)

    assert on_wednesday(_recorded(tiny)) > 0
    holiday = _with(tiny, calendar={"holidays": [{"week": 0, "day": "wed"}]})
    assert on_wednesday(_recorded(holiday)) == 0


def test_a_holiday_takes_its_shift_out_of_the_teams_capacity(tiny: dict[str, Any]) -> None:
    def capacity(data: dict[str, Any]) -> tuple[float, float, int]:
        experiment = validate_experiment(data)
        meter = SalesFloor(experiment.scenario, experiment.policy, SEED).meter
        reps = sum(group.count for group in experiment.scenario.reps)
        return meter.on_shift_minutes(), sum(meter.on_shift_by_hour()), reps

    normal, normal_by_hour, reps = capacity(tiny)
    holiday, holiday_by_hour, _ = capacity(
        _with(tiny, calendar={"holidays": [{"week": 0, "day": "wed"}]})
    )
    shift_minutes = 17 * MINUTES_PER_HOUR - 8.5 * MINUTES_PER_HOUR  # the baseline's 08:30-17:00
    assert normal - holiday == pytest.approx(reps * shift_minutes)
    assert (normal_by_hour, holiday_by_hour) == pytest.approx((normal, holiday))


def test_a_holiday_thins_that_days_arrivals_and_no_other(tiny: dict[str, Any]) -> None:
    def per_day(data: dict[str, Any]) -> np.ndarray:
        scenario = validate_experiment(data).scenario
        draws = lead_draws(scenario.sources, Streams(SEED), scenario.end, scenario.calendar)
        return np.bincount([int(d.arrived_at // MINUTES_PER_DAY) for d in draws], minlength=14)

    normal = per_day(tiny)
    holiday = per_day(_with(tiny, calendar={"holidays": [{"week": 0, "day": "wed"}]}))
    # Thinning with the same candidates: the holiday keeps a subset of Wednesday's leads.
    assert holiday[WEDNESDAY] < normal[WEDNESDAY]
    assert np.array_equal(np.delete(holiday, WEDNESDAY), np.delete(normal, WEDNESDAY))


# --- time zones ----------------------------------------------------------------------------------


def _local_minute_of_day(started: float, offset: float) -> float:
    return (started + offset) % MINUTES_PER_DAY


def test_no_lead_is_called_outside_its_local_window(tiny: dict[str, Any]) -> None:
    # Reps work 08:30-17:00: 05:30-14:00 for leads 3 hours behind, 11:30-20:00 for leads ahead.
    data = _zoned(tiny, {"-3": 0.5, "3": 0.5})
    window = (8 * MINUTES_PER_HOUR, 19 * MINUTES_PER_HOUR)

    def outside(calls: Calls) -> int:
        return sum(
            not window[0] <= _local_minute_of_day(t, offset) < window[1]
            for t, offset, _ in calls.calls
        )

    unrestricted = _recorded(data)
    assert outside(unrestricted) > 0  # without the rule, early and late local calls happen
    data["scenario"]["response"] = {"local_calling_window": {"start": "08:00", "end": "19:00"}}
    restricted = _recorded(data)
    assert len(restricted.calls) > 0.8 * len(unrestricted.calls)
    assert {offset for _, offset, _ in restricted.calls} == {-180.0, 180.0}
    assert outside(restricted) == 0


def test_a_lead_3_hours_behind_is_first_called_when_its_window_opens(tiny: dict[str, Any]) -> None:
    data = _zoned(tiny, {"-3": 1.0})
    data["scenario"]["response"] = {"local_calling_window": {"start": "08:00", "end": "20:00"}}
    calls = _recorded(data).calls
    earliest_local = min(_local_minute_of_day(t, offset) for t, offset, _ in calls)
    assert earliest_local == pytest.approx(8 * MINUTES_PER_HOUR)  # 11:00 for the team


def _reps_hours_only() -> list[float]:
    """An answer profile that is 1 in the reps' working hours (Mon-Fri 08:00-18:00), 0 otherwise."""
    return [1.0 if day < 5 and 8 <= hour < 18 else 0.0 for day in range(7) for hour in range(24)]


def test_the_hour_of_week_reach_uses_the_leads_local_hour(tiny: dict[str, Any]) -> None:
    profile = _reps_hours_only()
    same_zone = copy.deepcopy(tiny)
    same_zone["scenario"]["response"] = {"time_of_week": profile}
    far_away = _zoned(same_zone, {"-12": 1.0})  # the reps' working day is the lead's night

    def reached(data: dict[str, Any], zone_hours: float) -> int:
        conversations = ("reached", "qualified", "unrealistic")  # not a silent opt-out
        return sum(
            outcome in conversations and offset == zone_hours * MINUTES_PER_HOUR
            for _, offset, outcome in _recorded(data).calls
        )

    assert reached(same_zone, 0) > 20
    assert reached(far_away, -12) == 0  # referred leads, in the reps' zone, are left out


# --- daylight saving ------------------------------------------------------------------------------

MARCH_2027 = "2027-03-01"
"""A Monday. The US changes clocks on 14 March, the UK on 28 March: London is 4 hours ahead of
New York from the 14th to the 27th, 5 hours before and after."""


def _london_leads_of_a_new_york_team(tiny: dict[str, Any]) -> dict[str, Any]:
    data = _zoned(tiny, {"Europe/London": 1.0})
    data["scenario"].update(horizon="4w", drain="1w")
    data["scenario"]["calendar"] = {"start_date": MARCH_2027, "time_zone": "America/New_York"}
    return data


def _london_time(team_minutes: float) -> dt.datetime:
    """The wall-clock time in London at a team (New York) minute, from the time-zone database."""
    wall = dt.datetime(2027, 3, 1) + dt.timedelta(minutes=team_minutes)
    return wall.replace(tzinfo=ZoneInfo("America/New_York")).astimezone(ZoneInfo("Europe/London"))


def _london_calls(data: dict[str, Any]) -> list[tuple[float, float, str]]:
    """Calls to the London leads (referred leads live in the team's zone), with their offsets."""
    calls = [call for call in _recorded(data).calls if call[1] != 0]
    assert {offset for _, offset, _ in calls} == {240.0, 300.0}  # the offset of each call's date
    return calls


def _team_day(t: float) -> dt.date:
    return dt.date(2027, 3, 1) + dt.timedelta(days=int(t // MINUTES_PER_DAY))


def test_the_calling_window_follows_a_london_leads_clock_across_the_march_changes(
    tiny: dict[str, Any],
) -> None:
    # Reps in New York work 08:30-17:00. London's 21:00 is 16:00 in New York, but 17:00
    # while only the US has moved its clocks (15-26 March): only then may reps call at 16:xx.
    data = _london_leads_of_a_new_york_team(tiny)
    data["scenario"]["response"] = {"local_calling_window": {"start": "08:00", "end": "21:00"}}
    calls = _london_calls(data)
    assert calls
    for started, _, _ in calls:
        assert 8 <= _london_time(started).hour < 21, started
    late = {_team_day(t) for t, _, _ in calls if (t % MINUTES_PER_DAY) // MINUTES_PER_HOUR == 16}
    assert late, "no call at 16:xx New York time although London's window was open then"
    assert all(dt.date(2027, 3, 15) <= day <= dt.date(2027, 3, 26) for day in late)


def test_the_hour_of_week_reach_follows_a_london_leads_clock_across_the_march_changes(
    tiny: dict[str, Any],
) -> None:
    # Nobody in London picks up between 20:00 and 21:00 on weekdays: 15:00 in New York most
    # of March, 16:00 while only the US has moved its clocks.
    profile = [0.0 if day < 5 and hour == 20 else 1.0 for day in range(7) for hour in range(24)]
    data = _london_leads_of_a_new_york_team(tiny)
    data["scenario"]["response"] = {"time_of_week": profile}
    conversations = ("reached", "qualified", "unrealistic")
    at_20 = [(t, outcome) for t, _, outcome in _london_calls(data) if _london_time(t).hour == 20]
    team_hours = {int(t % MINUTES_PER_DAY // MINUTES_PER_HOUR) for t, _ in at_20}
    assert team_hours == {15, 16}  # calls at London's 20:xx, on both offsets
    assert not [t for t, outcome in at_20 if outcome in conversations]


# --- determinism ------------------------------------------------------------------------------------


def test_calendars_and_time_zones_give_the_same_numbers_whatever_the_jobs(
    tiny: dict[str, Any],
) -> None:
    data = _zoned(tiny, {"-3": 0.3, "0": 0.4, "2": 0.2, "Europe/London": 0.1})
    data["scenario"]["response"] = {"local_calling_window": {"start": "08:00", "end": "20:00"}}
    data["scenario"]["calendar"] = {
        "holidays": [{"week": 0, "day": "thu"}],
        "seasonality": [1.0, 1.5],
        "start_date": "2027-03-08",  # New York moves its clocks on day 6 (14 March)
        "time_zone": "America/New_York",
    }
    experiment = validate_experiment(data)
    one, two = run(experiment, jobs=1), run(experiment, jobs=2)
    pd.testing.assert_frame_equal(one.replications, two.replications)
    pd.testing.assert_frame_equal(one.summary, two.summary)
