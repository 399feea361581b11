"""Named time zones: offsets that change with daylight saving, found to the minute.

New York and London change their clocks on different Sundays: in 2027 the US moves
forward on 14 March at 02:00 local time, the UK on 28 March at 01:00 UTC (21:00 on
the 27th in New York). In between, London is 4 hours ahead of New York, otherwise 5.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sim.config.scenario import LeadSource
from sim.config.seasonality import YearCalendar
from sim.config.time_zones import CallingWindow, ZoneCalendar, zone_offsets
from sim.config.units import MINUTES_PER_DAY, MINUTES_PER_HOUR, MINUTES_PER_WEEK
from sim.engine.arrivals import lead_draws
from sim.engine.streams import Streams

MONDAY = dt.date(2027, 3, 1)
US_CHANGE = 13 * MINUTES_PER_DAY + 3 * MINUTES_PER_HOUR
"""Sunday 14 March 03:00 team time: the first New York minute on summer time."""
UK_CHANGE = 26 * MINUTES_PER_DAY + 21 * MINUTES_PER_HOUR
"""Saturday 27 March 21:00 team time (01:00 UTC on the 28th): London moves forward."""


def _london() -> object:
    return zone_offsets("Europe/London", "America/New_York", MONDAY, 6 * MINUTES_PER_WEEK)


def test_london_is_4_hours_ahead_of_new_york_between_the_two_changes_and_5_otherwise() -> None:
    london = _london()
    assert london.starts == (0.0, US_CHANGE, UK_CHANGE)
    assert london.offsets == (300.0, 240.0, 300.0)
    assert london.at(US_CHANGE - 61) == 300.0  # Sunday 01:59 team time: still winter time
    assert london.at(US_CHANGE) == 240.0
    assert london.at(UK_CHANGE - 1) == 240.0
    assert london.at(UK_CHANGE) == 300.0


def test_offsets_agree_with_the_time_zone_database_at_every_hour() -> None:
    from zoneinfo import ZoneInfo

    team, lead = ZoneInfo("America/Los_Angeles"), ZoneInfo("Australia/Sydney")
    start = dt.date(2026, 9, 28)  # Sydney moves forward on 4 Oct, back on 4 Apr; LA on 1 Nov
    days = 220
    table = zone_offsets("Australia/Sydney", "America/Los_Angeles", start, days * MINUTES_PER_DAY)
    assert len(set(table.offsets)) == 3
    for hour in range(days * 24):
        wall = (dt.datetime.combine(start, dt.time()) + dt.timedelta(hours=hour)).replace(
            tzinfo=team
        )
        truth = (wall.astimezone(lead).utcoffset() - wall.utcoffset()).total_seconds() / 60
        assert table.at(hour * MINUTES_PER_HOUR) == truth, wall


def test_the_calling_window_moves_with_the_leads_clock_change() -> None:
    window = ZoneCalendar(CallingWindow(start="08:00", end="21:00"), _london())
    wednesday_10th, wednesday_17th = 9 * MINUTES_PER_DAY, 16 * MINUTES_PER_DAY
    at_1630 = 16.5 * MINUTES_PER_HOUR
    # 21:00 in London is 16:00 in New York on the 10th, 17:00 on the 17th.
    assert window.next_open(wednesday_10th + at_1630) == wednesday_10th + MINUTES_PER_DAY + 180
    assert window.next_open(wednesday_17th + at_1630) == wednesday_17th + at_1630
    # Saturday the 27th: open until 17:00 (4 h); from 21:00 the offset is 5 h again, so the
    # window (03:00-16:00 team time) next opens on Sunday at 03:00.
    saturday = 26 * MINUTES_PER_DAY
    assert window.next_open(saturday + 16.5 * MINUTES_PER_HOUR) == saturday + 16.5 * 60
    assert window.next_open(saturday + 17 * MINUTES_PER_HOUR) == saturday + MINUTES_PER_DAY + 180


def test_a_named_zone_is_drawn_with_the_same_stream_as_offsets_and_keeps_traits() -> None:
    def draws(zones: dict) -> list:
        source = LeadSource(name="web", leads_per_week=2000, time_zones=zones)
        calendar = YearCalendar(start_date=MONDAY, time_zone="America/New_York")
        streams = Streams(np.random.SeedSequence(5))
        return list(lead_draws([source], streams, 2 * MINUTES_PER_WEEK, calendar))

    by_offset = draws({"-3": 0.25, "0": 0.75})
    by_name = draws({"America/Los_Angeles": 0.25, "0": 0.75})
    assert [d.local_offset == -180.0 for d in by_offset] == [
        d.time_zone == "America/Los_Angeles" for d in by_name
    ]
    assert {d.time_zone for d in by_offset} == {None}
    assert {d.local_offset for d in by_name if d.time_zone} == {-180.0}  # on arrival
    # Every field before the zone placement (arrival, source, traits, luck) is the same.
    assert [d.fields()[:-2] for d in by_name] == [d.fields()[:-2] for d in by_offset]


@pytest.mark.parametrize(
    ("zones", "message"),
    [
        (
            {"Europe/Londn": 1.0},
            r"unknown time zone 'Europe/Londn' \(did you mean 'Europe/London'\?\)",
        ),
        ({"america/los_angeles": 1.0}, r"\(did you mean 'America/Los_Angeles'\?\)"),
        ({"+3h": 1.0}, "unknown time-zone offset '\\+3h'; expected hours"),
        ({"Europe/London": 0.5, "0": 0.4}, "expected shares that sum to 1"),
    ],
)
def test_bad_zone_mixes_are_refused(zones: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LeadSource(name="web", leads_per_week=10, time_zones=zones)


def test_a_team_zone_needs_a_start_date_and_a_real_name() -> None:
    with pytest.raises(ValueError, match=r"time_zone needs calendar\.start_date"):
        YearCalendar(time_zone="America/New_York")
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        YearCalendar(start_date=MONDAY, time_zone="Mars/Olympus")
