"""Where leads live: time-zone mixes, clocks that change (daylight saving), local calling windows.

Engine time is the team's wall clock: minute ``t`` is ``t`` minutes after Monday 00:00
of week 0 on the reps' clocks (with ``calendar.start_date``, that Monday's date), and
every day has 24 hours (the hour the team's own clocks skip or repeat is ignored; it
is at night). A lead's local clock runs some minutes ahead of the team's (behind if
negative). A source names its leads' zones in one of two ways:

- hours relative to the team (``"-3"``): a fixed offset all year;
- an IANA name (``America/Los_Angeles``, ``Europe/London``): the offset then follows
  both zones' daylight-saving rules date by date, which needs the team's own zone
  (``calendar.time_zone``) and the date of time 0 (``calendar.start_date``). New York
  and London are 5 hours apart most of the year but 4 for about three weeks in March
  and one in autumn, when the US has changed its clocks and Europe not yet.

A named zone's offsets over a run are computed once (:func:`zone_offsets`: a few
steps, found to the minute) so the engine never asks the time-zone database per event.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, model_validator

from sim.config.calendar import ClockTime, Shift, WeeklyCalendar
from sim.config.durations import shown
from sim.config.units import MINUTES_PER_DAY, MINUTES_PER_HOUR, MINUTES_PER_WEEK


def _known_zone(name: str) -> bool:
    """Whether the time-zone database knows *name* (a ValueError if there is no database)."""
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        if not zoneinfo.available_timezones():
            raise ValueError(
                f"time zone {name!r}: this machine has no time-zone database; "
                "install the 'tzdata' package (pip install tzdata)"
            ) from None
        return False
    return True


def _unknown_zone(name: str, expected: str) -> ValueError:
    """The error for a zone name the database lacks, with the closest name it has."""
    close = get_close_matches(name, sorted(zoneinfo.available_timezones()), n=1, cutoff=0.8)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return ValueError(f"unknown time zone {shown(name)}{hint}; expected {expected}")


def named_zone(name: str) -> str:
    """*name* if it is a time zone the database knows; a ConfigError-ready ValueError if not."""
    if not _known_zone(name):
        raise _unknown_zone(name, "an IANA name such as 'America/New_York' or 'Europe/London'")
    return name


# -- a source's mix of zones ----------------------------------------------------------


def _zone_key(key: object) -> float | str:
    """A mix key: hours relative to the team (``-3``, ``"+1"``) or an IANA zone name."""
    try:
        return float(key)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        pass
    if isinstance(key, str) and key[:1].isalpha():  # a name, not an offset such as "+3h"
        if _known_zone(key):
            return key
        raise _unknown_zone(
            key,
            "an IANA zone name such as 'America/Los_Angeles', or hours relative to the reps' "
            "zone such as '-3'",
        )
    raise ValueError(
        f"unknown time-zone offset {shown(key)}; expected hours relative to the reps' zone, "
        "e.g. '-3' (3 hours behind the team) or '+1', or an IANA zone name such as "
        "'America/Los_Angeles'"
    )


def _zone_keys(value: object) -> object:
    if isinstance(value, dict):
        return {_zone_key(key): share for key, share in value.items()}
    return value


def _shares_of_one(mix: dict[float | str, float]) -> dict[float | str, float]:
    for zone, share in mix.items():
        if isinstance(zone, float) and not -24 < zone < 24:
            raise ValueError(f"expected offsets between -24 and 24 hours, got {zone:g}")
        if share < 0:
            raise ValueError(f"expected non-negative shares, got {share:g} for {zone_label(zone)}")
    if abs(sum(mix.values()) - 1) > 1e-6:
        raise ValueError(f"expected shares that sum to 1, got {sum(mix.values()):g}")
    return mix


def zone_label(zone: float | str) -> str:
    """``-3.0`` -> ``'offset -3'``; ``'Europe/London'`` as it is."""
    return f"offset {zone:+g}" if isinstance(zone, float) else zone


TimeZoneMix = Annotated[
    dict[float | str, float], AfterValidator(_shares_of_one), BeforeValidator(_zone_keys)
]
"""Share of a source's leads in each time zone, keyed by hours relative to the reps' zone
(``{"-3": 0.4, "0": 0.6}``: 40% three hours behind the team, 60% in the team's zone) or
by IANA name (``{America/Los_Angeles: 0.4, America/New_York: 0.6}``, with the team's
``calendar.time_zone``)."""


def named_zones(mixes: Sequence[dict[float | str, float] | None]) -> list[str]:
    """The IANA names in the *mixes*, in the order first met."""
    return list(dict.fromkeys(z for mix in mixes if mix for z in mix if isinstance(z, str)))


# -- offsets that change with the date ------------------------------------------------


@dataclass(frozen=True)
class ZoneOffsets:
    """A named zone's offset to the team over a run: constant between clock changes.

    ``offsets[i]`` (minutes the lead's clock is ahead of the team's) holds from team
    minute ``starts[i]`` (the first is 0) until the next start.
    """

    name: str
    starts: tuple[float, ...]
    offsets: tuple[float, ...]

    def at(self, t: float) -> float:
        """The offset at team minute *t* (>= 0)."""
        return self.offsets[bisect.bisect_right(self.starts, t) - 1]


@functools.lru_cache(maxsize=64)
def zone_offsets(zone: str, team_zone: str, start_date: dt.date, end_minutes: float) -> ZoneOffsets:
    """The offsets of *zone* to *team_zone* from *start_date* 00:00 (team time) to *end_minutes*.

    The offset is sampled once a day (at the team's midnight) and each change found to
    the minute by bisection, so a run costs the time-zone database a few hundred calls.
    Clocks change at most a few times a year, never twice in a day.
    """
    team, lead = zoneinfo.ZoneInfo(team_zone), zoneinfo.ZoneInfo(zone)
    midnight = dt.datetime.combine(start_date, dt.time())

    def offset(minute: int) -> float:
        wall = (midnight + dt.timedelta(minutes=minute)).replace(tzinfo=team)
        ahead = wall.astimezone(lead).utcoffset() - wall.utcoffset()  # type: ignore[operator]
        return ahead.total_seconds() / 60

    starts, offsets = [0.0], [offset(0)]
    for day in range(1, int(end_minutes // MINUTES_PER_DAY) + 2):
        after = day * MINUTES_PER_DAY
        if offset(after) == offsets[-1]:
            continue
        before = after - MINUTES_PER_DAY  # offset(before) is the old one, offset(after) the new
        while after - before > 1:
            middle = (before + after) // 2
            before, after = (middle, after) if offset(middle) == offsets[-1] else (before, middle)
        starts.append(float(after))
        offsets.append(offset(after))
    return ZoneOffsets(zone, tuple(starts), tuple(offsets))


# -- calling windows --------------------------------------------------------------------


class CallingWindow(Shift):
    """When leads may be called, in each lead's own local time.

    Default 08:00-21:00 every day: the US TCPA rule (47 CFR 64.1200(c)(1)) forbids
    telemarketing calls before 8 a.m. or after 9 p.m. at the called party's location.
    """

    start: ClockTime = "08:00"
    end: ClockTime = "21:00"

    @model_validator(mode="before")
    @classmethod
    def _every_day_by_default(cls, data: object) -> object:
        if isinstance(data, dict) and "days" not in data:
            return {**data, "days": "everyday"}
        return data


def local_windows_in_team_time(window: Shift, offset_minutes: float) -> WeeklyCalendar:
    """The calling *window* (lead's local time) as a weekly calendar in the reps' time.

    A lead *offset_minutes* ahead of the team is at local time ``t + offset``, so its
    local window ``[s, e)`` is ``[s - offset, e - offset)`` in team time (wrapped around the week).
    """
    shifted: list[tuple[float, float]] = []
    for start, end in window.windows():
        start, end = start - offset_minutes, end - offset_minutes
        base = (start // MINUTES_PER_WEEK) * MINUTES_PER_WEEK
        start, end = start - base, end - base
        if end <= MINUTES_PER_WEEK:
            shifted.append((start, end))
        else:
            shifted += [(start, MINUTES_PER_WEEK), (0.0, end - MINUTES_PER_WEEK)]
    return WeeklyCalendar(shifted)


class ZoneCalendar:
    """A calling *window* in team time for a lead in a named *zone*: it moves when clocks change.

    Between two clock changes it is the fixed-offset calendar of that stretch's offset.
    """

    __slots__ = ("_calendars", "_starts")

    def __init__(self, window: Shift, zone: ZoneOffsets) -> None:
        by_offset = {o: local_windows_in_team_time(window, o) for o in set(zone.offsets)}
        self._starts = zone.starts
        self._calendars = [by_offset[o] for o in zone.offsets]

    def next_open(self, t: float) -> float:
        """The earliest time >= *t* inside the lead's window (in the offset of that date)."""
        starts, last = self._starts, len(self._starts) - 1
        i = bisect.bisect_right(starts, t) - 1
        while True:
            opens = self._calendars[i].next_open(t)
            if i == last or opens < starts[i + 1]:
                return opens
            i += 1
            t = starts[i]


def check_leads_callable(
    window: Shift | None,
    zones_by_source: dict[str, dict[float | str, float] | None],
    callers: list[Shift],
    offsets_of: dict[str, ZoneOffsets],
) -> None:
    """Refuse a calling *window* that some source's leads could never be called in: in
    their zone it never overlaps a shift of the reps who call (*callers*). A named zone
    is checked at every offset it takes in the run (*offsets_of*)."""
    if window is None:
        return
    for source, zones in zones_by_source.items():
        for zone in zones or {0.0: 1.0}:
            if isinstance(zone, str):
                offsets = sorted(set(offsets_of[zone].offsets))
            else:
                offsets = [zone * MINUTES_PER_HOUR]
            for minutes in offsets:
                local = local_windows_in_team_time(window, minutes).windows
                if not any(
                    min(end, stop) > max(start, begin)
                    for start, end in local
                    for shift in callers
                    for begin, stop in shift.windows()
                ):
                    where = (
                        f"in {zone} ({minutes / MINUTES_PER_HOUR:+g} h from the team)"
                        if isinstance(zone, str)
                        else f"at {zone:+g} h"
                    )
                    raise ValueError(
                        f"leads of source {source!r} {where} could never be called: their "
                        "local_calling_window never overlaps a shift of reps who call new leads; "
                        "expected a window that does"
                    )
