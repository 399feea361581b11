"""The year around the working week: holidays, seasonal volume, campaign weeks, lead time zones.

Engine time 0 is Monday 00:00 of week 0, so day ``d`` (0-based) covers minutes
``[d * 1440, (d + 1) * 1440)`` and week ``w`` covers days ``7w .. 7w + 6``. A
holiday is a whole day on which no rep works and leads arrive at
``holiday_volume`` of their usual rate; ``seasonality`` scales each week's lead
volume. Both only change the arrival *rate*, so arrivals stay an exact
non-homogeneous Poisson process (see :mod:`sim.engine.arrivals`).
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, model_serializer, model_validator

from sim.config._types import ConfigModel
from sim.config.calendar import DAY_NAMES, ClockTime, Shift, WeeklyCalendar
from sim.config.durations import shown
from sim.config.units import MINUTES_PER_DAY, MINUTES_PER_HOUR, MINUTES_PER_WEEK

HOLIDAY_VOLUME = 0.3
"""Share of a normal day's leads that still arrive on a holiday: a stated assumption
(inbound B2B forms and calls drop sharply but not to zero when offices close)."""


def _day_name(value: object) -> object:
    if value is None:
        return value
    if isinstance(value, str) and value.strip().lower()[:3] in DAY_NAMES:
        return value.strip().lower()[:3]
    raise ValueError(f"expected a day mon..sun, got {shown(value)}")


def _holiday(value: object) -> object:
    """An ISO date (``2026-12-25``, YAML may read it as a date) stands for ``{date: ...}``."""
    return {"date": value} if isinstance(value, str | dt.date) else value


class Holiday(ConfigModel):
    """A day off: ``{week: 4, day: thu}`` (week 0 starts at time 0) or an ISO date (with ``start_date``)."""

    week: int | None = Field(None, ge=0, description="week number counted from time 0 (week 0)")
    day: Annotated[str | None, BeforeValidator(_day_name)] = Field(None, description="mon..sun")
    date: dt.date | None = Field(None, description="a calendar date (needs calendar.start_date)")

    @model_validator(mode="after")
    def _one_way_of_naming_the_day(self) -> Holiday:
        if (self.date is None) == (self.week is None or self.day is None):
            raise ValueError(
                "expected a holiday as {week: 4, day: thu} or an ISO date such as 2026-12-25"
            )
        return self

    @model_serializer
    def _as_written(self) -> str | dict[str, object]:
        """Written back in the form it was given: an ISO date or ``{week, day}``."""
        if self.date is not None:
            return self.date.isoformat()
        return {"week": self.week, "day": self.day}

    def index(self, start_date: dt.date | None) -> int:
        """Days since time 0 (*start_date* is the date of time 0, needed for a dated holiday)."""
        if self.date is not None:
            return (self.date - start_date).days  # type: ignore[operator]
        return self.week * 7 + DAY_NAMES.index(self.day)  # type: ignore[operator, arg-type]


class CampaignWeek(ConfigModel):
    """One week whose lead volume is multiplied (a campaign, a trade show, a quiet week)."""

    week: int = Field(ge=0, description="week number counted from the simulation's start (0)")
    volume: float = Field(ge=0, description="multiplier on that week's lead arrivals")


def _seasonality(value: object) -> object:
    """A repeating list of weekly multipliers, or a list of campaign weeks (not both)."""
    if not isinstance(value, list | tuple) or not value:
        return value
    if all(isinstance(item, dict) for item in value):
        return {"campaigns": list(value)}
    if any(isinstance(item, dict) for item in value):
        raise ValueError(
            "expected either a list of weekly multipliers (e.g. [1, 1, 1.2]) or a list of "
            "campaign weeks (e.g. [{week: 6, volume: 2.0}]), not a mix"
        )
    return {"cycle": list(value)}


class Seasonality(ConfigModel):
    """Weekly lead-volume multipliers: a repeating *cycle* and/or single *campaigns* weeks."""

    cycle: tuple[Annotated[float, Field(ge=0)], ...] = Field(
        (), description="multipliers for weeks 0, 1, 2, ... repeating (empty: 1 every week)"
    )
    campaigns: tuple[CampaignWeek, ...] = ()

    def volume_in_week(self, week: int) -> float:
        """The multiplier on lead arrivals in *week*."""
        factor = self.cycle[week % len(self.cycle)] if self.cycle else 1.0
        for campaign in self.campaigns:
            if campaign.week == week:
                factor *= campaign.volume
        return factor


class YearCalendar(ConfigModel):
    """Holidays and seasonal lead volume (the scenario's ``calendar:`` section)."""

    start_date: dt.date | None = Field(
        None, description="the date of time 0 (a Monday); needed for ISO-date holidays and country"
    )
    holidays: tuple[Annotated[Holiday, BeforeValidator(_holiday)], ...] = Field(
        (), description="days off: {week: 4, day: thu} or ISO dates such as 2026-12-25"
    )
    country: str | None = Field(
        None,
        description="add this country's public holidays (needs the optional 'holidays' package)",
    )
    holiday_volume: float = Field(
        HOLIDAY_VOLUME, ge=0, description="share of a normal day's leads arriving on a holiday"
    )
    seasonality: Annotated[Seasonality, BeforeValidator(_seasonality)] = Seasonality()

    @model_validator(mode="after")
    def _dates_need_a_start(self) -> YearCalendar:
        dated = [h.date for h in self.holidays if h.date is not None]
        if (dated or self.country) and self.start_date is None:
            what = f"the holiday {dated[0].isoformat()}" if dated else "country"
            raise ValueError(
                f"{what} needs calendar.start_date (the date of the simulation's time 0, a Monday)"
            )
        if self.start_date is not None and self.start_date.weekday() != 0:
            raise ValueError(
                f"start_date {self.start_date.isoformat()} is a "
                f"{self.start_date.strftime('%A')}; expected a Monday (time 0 is Monday 00:00)"
            )
        early = [d for d in dated if self.start_date is not None and d < self.start_date]
        if early:
            raise ValueError(
                f"the holiday {early[0].isoformat()} is before start_date "
                f"{self.start_date}; expected dates on or after it"
            )
        if self.country:
            country_holidays(self.country, self.start_date, 1)  # fail now, not mid-run
        return self

    def closed_days(self, end_minutes: float) -> frozenset[int]:
        """Holidays as days since time 0, up to *end_minutes*."""
        days = {h.index(self.start_date) for h in self.holidays}
        if self.country:
            last_day = int(end_minutes // MINUTES_PER_DAY) + 1
            days |= country_holidays(self.country, self.start_date, last_day)  # type: ignore[arg-type]
        return frozenset(days)

    def day_volumes(self, week: int, closed: frozenset[int]) -> tuple[float, ...] | None:
        """Lead-volume multipliers for the 7 days of *week* (None: a normal week, all 1)."""
        factor = self.seasonality.volume_in_week(week)
        volumes = tuple(
            factor * (self.holiday_volume if week * 7 + day in closed else 1.0) for day in range(7)
        )
        return None if all(v == 1.0 for v in volumes) else volumes


def country_holidays(country: str, start: dt.date, days: int) -> set[int]:
    """Public holidays of *country* within *days* days from *start*, as day numbers.

    Uses the optional ``holidays`` package (``pip install holidays``); ConfigError-ready
    ValueError if it is missing or does not know the country.
    """
    try:
        package = importlib.import_module("holidays")
    except ImportError:
        raise ValueError(
            "calendar.country needs the optional 'holidays' package (pip install holidays); "
            "or list the days under calendar.holidays"
        ) from None
    end = start + dt.timedelta(days=days)
    try:
        known = package.country_holidays(country, years=range(start.year, end.year + 1))
    except NotImplementedError:
        raise ValueError(
            f"unknown country {country!r} for calendar.country; expected an ISO code such as US"
        ) from None
    return {(day - start).days for day in known if start <= day < end}


def working_windows(
    windows: list[tuple[float, float]], closed: frozenset[int]
) -> list[tuple[float, float]]:
    """Absolute shift *windows* with the *closed* days cut out."""
    if not closed:
        return windows
    kept: list[tuple[float, float]] = []
    for start, end in windows:
        cursor = start
        day = int(start // MINUTES_PER_DAY)
        while cursor < end:
            day_end = min(end, (day + 1) * MINUTES_PER_DAY)
            if day not in closed:
                if kept and kept[-1][1] == cursor:
                    kept[-1] = (kept[-1][0], day_end)
                else:
                    kept.append((cursor, day_end))
            cursor, day = day_end, day + 1
    return kept


class HolidayCalendar:
    """A weekly calendar closed on some days: answers 'when is the next working minute?'."""

    def __init__(self, weekly: WeeklyCalendar, closed: frozenset[int]) -> None:
        self.weekly = weekly
        self.closed = closed

    def next_open(self, t: float) -> float:
        """The earliest time >= *t* inside an open window and not on a closed day."""
        t = self.weekly.next_open(t)
        while int(t // MINUTES_PER_DAY) in self.closed:
            t = self.weekly.next_open((int(t // MINUTES_PER_DAY) + 1) * MINUTES_PER_DAY)
        return t


# -- lead time zones ------------------------------------------------------------------


def _offset_hours(value: object) -> object:
    if isinstance(value, dict):
        try:
            return {float(k): v for k, v in value.items()}
        except (TypeError, ValueError):
            bad = next(k for k in value if not _is_number_text(k))
            raise ValueError(
                f"unknown time-zone offset {shown(bad)}; expected hours relative to the reps' "
                "zone, e.g. '-3' (3 hours behind the team) or '+1'"
            ) from None
    return value


def _is_number_text(value: object) -> bool:
    try:
        float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


def _shares_of_one(mix: dict[float, float]) -> dict[float, float]:
    for offset, share in mix.items():
        if not -24 < offset < 24:
            raise ValueError(f"expected offsets between -24 and 24 hours, got {offset:g}")
        if share < 0:
            raise ValueError(f"expected non-negative shares, got {share:g} for offset {offset:g}")
    if abs(sum(mix.values()) - 1) > 1e-6:
        raise ValueError(f"expected shares that sum to 1, got {sum(mix.values()):g}")
    return mix


TimeZoneMix = Annotated[
    dict[float, float], AfterValidator(_shares_of_one), BeforeValidator(_offset_hours)
]
"""Share of a source's leads in each time zone, keyed by hours relative to the reps' zone
(``{"-3": 0.4, "0": 0.6}``: 40% three hours behind the team, 60% in the team's zone)."""


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


def check_leads_callable(
    window: Shift | None,
    zones_by_source: dict[str, dict[float, float] | None],
    callers: list[Shift],
) -> None:
    """Refuse a calling *window* that some source's leads could never be called in: in
    their zone it never overlaps a shift of the reps who call (*callers*)."""
    if window is None:
        return
    for source, zones in zones_by_source.items():
        for hours in zones or {0.0: 1.0}:
            local = local_windows_in_team_time(window, hours * MINUTES_PER_HOUR).windows
            if not any(
                min(end, stop) > max(start, begin)
                for start, end in local
                for shift in callers
                for begin, stop in shift.windows()
            ):
                raise ValueError(
                    f"leads of source {source!r} at {hours:+g} h could never be called: their "
                    "local_calling_window never overlaps a shift of reps who call new leads; "
                    "expected a window that does"
                )
