"""The working week: hour-of-week lead profiles and rep shifts.

Engine time is minutes since Monday 00:00 of week 0, so ``t % MINUTES_PER_WEEK``
is the minute of the week and ``int(t // 60) % 168`` the hour of the week
(0 = Monday 00:00-01:00, 167 = Sunday 23:00-24:00).
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field, PlainSerializer, model_validator

from sim.config._types import ConfigModel
from sim.config.durations import shown
from sim.config.units import HOURS_PER_WEEK, MINUTES_PER_DAY, MINUTES_PER_HOUR

# Re-exported: the shifts merged into weekly open windows (compiled with the engine).
from sim.config.weekly_calendar import WeeklyCalendar as WeeklyCalendar

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY_GROUPS = {
    "weekdays": DAY_NAMES[:5],
    "weekend": DAY_NAMES[5:],
    "everyday": DAY_NAMES,
}


def _profile(weight_of: dict[tuple[bool, int], float]) -> tuple[float, ...]:
    """A 168-slot profile from weights keyed by (weekday?, hour of day)."""
    return tuple(weight_of[(day < 5, hour)] for day in range(7) for hour in range(24))


def _business_hours(weekday: bool, hour: int) -> float:
    if weekday:
        if 8 <= hour < 18:
            return 1.2 if 9 <= hour < 12 else 1.0
        return 0.35 if 18 <= hour < 22 else 0.05
    return 0.25 if 9 <= hour < 20 else 0.03


def _phone_hours(weekday: bool, hour: int) -> float:
    if weekday and 8 <= hour < 18:
        return 1.0
    return 0.02


def _answer_hours(weekday: bool, hour: int) -> float:
    # Velocify 2016: the best and worst business hours differ by about 2.5 percentage
    # points of contact rate, about +-5% of a 25% rate. Nights and weekends a little
    # lower: an assumption (few attempts are made then, so it matters little).
    if weekday and 7 <= hour < 21:
        if 8 <= hour < 10 or 16 <= hour < 18:
            return 1.05
        return 0.95 if 12 <= hour < 14 else 1.0
    if not weekday and 9 <= hour < 20:
        return 0.95
    return 0.85


PROFILE_PRESETS: dict[str, tuple[float, ...]] = {
    "flat": (1.0,) * HOURS_PER_WEEK,
    "business_hours": _profile(
        {(w, h): _business_hours(w, h) for w in (True, False) for h in range(24)}
    ),
    "phone_hours": _profile({(w, h): _phone_hours(w, h) for w in (True, False) for h in range(24)}),
    "answer_hours": _profile(
        {(w, h): _answer_hours(w, h) for w in (True, False) for h in range(24)}
    ),
}
"""Named hour-of-week lead profiles. ``business_hours``: weekday office hours with a
morning peak, some evening and weekend traffic; ``phone_hours``: almost only weekday
office hours; ``flat``: the same every hour; ``answer_hours``: how likely a lead is to pick up by hour
(the response model's default ``time_of_week``, +-5% around office hours)."""


def resolve_profile(value: object) -> object:
    """Accept a preset name in place of a 168-number profile."""
    if isinstance(value, str):
        if value not in PROFILE_PRESETS:
            raise ValueError(
                f"unknown profile {value!r}; expected one of {', '.join(PROFILE_PRESETS)} "
                "or a list of 168 hourly weights (Monday 00:00 first)"
            )
        return PROFILE_PRESETS[value]
    return value


def _check_profile(weights: tuple[float, ...]) -> tuple[float, ...]:
    if len(weights) != HOURS_PER_WEEK:
        raise ValueError(
            f"expected 168 hourly weights (one per hour of the week, Monday 00:00 first) "
            f"or a preset name ({', '.join(PROFILE_PRESETS)}), got {len(weights)} weights"
        )
    negative = [hour for hour, w in enumerate(weights) if w < 0]
    if negative:
        hour = negative[0]
        raise ValueError(
            f"expected non-negative hourly weights, got {weights[hour]:g} at position {hour} "
            f"({DAY_NAMES[hour // 24]} {hour % 24:02d}:00)"
        )
    if sum(weights) <= 0:
        raise ValueError(
            "expected at least one positive hourly weight, got all zeros (no lead would ever arrive)"
        )
    return weights


HourOfWeekProfile = Annotated[
    tuple[float, ...], AfterValidator(_check_profile), BeforeValidator(resolve_profile)
]
"""168 hourly weights (Monday 00:00 first) or the name of a preset."""


_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAY_WORDS: dict[str, tuple[str, ...]] = {
    **DAY_GROUPS,
    **{d: (d,) for d in DAY_NAMES},
    **{full: (d,) for d, full in zip(DAY_NAMES, _FULL_NAMES, strict=True)},
}


def _parse_days(value: object) -> object:
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list | tuple):
        return value
    days: list[str] = []
    for name in names:
        expanded = _DAY_WORDS.get(str(name).strip().lower())
        if expanded is None:
            raise ValueError(
                f"unknown day {shown(name)}; expected mon..sun, weekdays, weekend or everyday"
            )
        days.extend(day for day in expanded if day not in days)
    return days


_CLOCK = re.compile(r"^([01]?\d|2[0-4]):([0-5]\d)$")


def _clock_minutes(value: object) -> object:
    """``'09:30'`` -> 570.0 (``'24:00'`` allowed as an end of day)."""
    if isinstance(value, str):
        match = _CLOCK.match(value.strip())
        if not match or (match.group(1) == "24" and match.group(2) != "00"):
            raise ValueError(f"expected a clock time HH:MM between 00:00 and 24:00, got {value!r}")
        return int(match.group(1)) * MINUTES_PER_HOUR + int(match.group(2))
    if isinstance(value, int) and not isinstance(value, bool) and value >= 24:
        # YAML 1.1 reads an unquoted 09:30 as the sexagesimal number 570 (minutes).
        return float(value)
    raise ValueError(f"expected a clock time such as '09:00', got {shown(value)}")


def clock_text(minutes: float) -> str:
    """480.0 -> '08:00'."""
    return f"{int(minutes // MINUTES_PER_HOUR):02d}:{int(minutes % MINUTES_PER_HOUR):02d}"


ClockTime = Annotated[
    float,
    BeforeValidator(_clock_minutes),
    PlainSerializer(clock_text, return_type=str, when_used="json"),
    Field(ge=0, le=MINUTES_PER_DAY),
]
"""A time of day, written ``'HH:MM'``; stored as minutes after midnight."""


class Shift(ConfigModel):
    """When a rep works: the same hours on each listed day (e.g. weekdays 09:00-17:00)."""

    days: Annotated[tuple[str, ...], BeforeValidator(_parse_days), Field(min_length=1)] = (
        DAY_GROUPS["weekdays"]
    )
    start: ClockTime = "09:00"
    end: ClockTime = "17:00"

    @model_validator(mode="after")
    def _ends_after_start(self) -> Shift:
        if self.end <= self.start:
            when = (
                f"starts and ends at {clock_text(self.start)}"
                if self.end == self.start
                else f"ends ({clock_text(self.end)}) before it starts ({clock_text(self.start)})"
            )
            raise ValueError(
                f"the shift {when}; expected an end after the start "
                "(split an overnight shift into two shifts)"
            )
        return self

    def windows(self) -> list[tuple[float, float]]:
        """The shift's working windows as minutes within the week, sorted."""
        return sorted(
            (
                DAY_NAMES.index(d) * MINUTES_PER_DAY + self.start,
                DAY_NAMES.index(d) * MINUTES_PER_DAY + self.end,
            )
            for d in self.days
        )
