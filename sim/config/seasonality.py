"""The year around the working week: holidays, seasonal volume, campaign weeks, the team's zone.

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
from sim.config.calendar import DAY_NAMES
from sim.config.durations import shown
from sim.config.time_zones import named_zone
from sim.config.units import MINUTES_PER_DAY

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


def _team_zone(name: str | None) -> str | None:
    """The reps' zone, if the time-zone database knows it."""
    return None if name is None else named_zone(name)


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

    def on_top_of(
        self, day_volumes: tuple[float, ...] | None, week: int
    ) -> tuple[float, ...] | None:
        """*day_volumes* of *week* (the calendar's; None: all 1) times this week's multiplier."""
        factor = self.volume_in_week(week)
        if factor == 1.0:
            return day_volumes
        return tuple(volume * factor for volume in (day_volumes or (1.0,) * 7))


SeasonalVolume = Annotated[Seasonality, BeforeValidator(_seasonality)]
"""Weekly volume multipliers as written: ``[1, 1, 1.2]`` (a repeating cycle) or
``[{week: 6, volume: 2.0}]`` (campaign weeks)."""


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
    time_zone: Annotated[str | None, AfterValidator(_team_zone)] = Field(
        None,
        description="the reps' IANA time zone (e.g. America/New_York), with start_date: lead "
        "zones given by name then follow both zones' daylight-saving changes",
    )
    holiday_volume: float = Field(
        HOLIDAY_VOLUME, ge=0, description="share of a normal day's leads arriving on a holiday"
    )
    seasonality: SeasonalVolume = Seasonality()

    @model_validator(mode="after")
    def _dates_need_a_start(self) -> YearCalendar:
        dated = [h.date for h in self.holidays if h.date is not None]
        if (dated or self.country or self.time_zone) and self.start_date is None:
            what = (
                f"the holiday {dated[0].isoformat()}"
                if dated
                else ("country" if self.country else "time_zone")
            )
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
