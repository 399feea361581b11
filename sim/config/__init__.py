"""What the world is: typed, validated building blocks of a scenario.

Every configuration object is a frozen pydantic model that rejects unknown keys.
Durations are minutes inside the engine and human units (``5m``, ``2h``, ``3d``)
in YAML. :class:`Scenario` combines them: lead sources, reps and shifts, action
times, touch channels, response curves, the decision stage, customers, referrals,
fatigue and economics, and the year around the working week (holidays, seasonality, lead
time zones). :class:`Fade` (a response curve), :class:`Slipping` (the adherence rule) and
:class:`WeeklyCalendar` (the working week) are the numbers the engine asks along the way.
"""

# The kernel is chosen (compiled or pure Python) before any module it compiles is imported.
import sim.config._kernel  # noqa: F401
from sim.config._types import ConfigError, ConfigModel, Minutes, PositiveMinutes, Probability
from sim.config.calendar import HourOfWeekProfile, Shift
from sim.config.channels import CALL, Channel, Channels
from sim.config.comebacks import Comebacks
from sim.config.distributions import Duration, MoneyAmount, OptionalDuration, Proportion
from sim.config.durations import format_duration, parse_duration, shown
from sim.config.fades import Fade
from sim.config.response_curves import ResponseCurve, minutes_until_below
from sim.config.scenario import REFERRAL_SOURCE, LeadSource, LeadTraits, RepGroup, Scenario
from sim.config.seasonality import (
    HOLIDAY_VOLUME,
    CampaignWeek,
    Holiday,
    Seasonality,
    YearCalendar,
)
from sim.config.slipping import Slipping
from sim.config.time_zones import CallingWindow, TimeZoneMix, ZoneOffsets, zone_offsets
from sim.config.weekly_calendar import HolidayCalendar, WeeklyCalendar

__all__ = [
    "CALL",
    "HOLIDAY_VOLUME",
    "REFERRAL_SOURCE",
    "CallingWindow",
    "CampaignWeek",
    "Channel",
    "Channels",
    "Comebacks",
    "ConfigError",
    "ConfigModel",
    "Duration",
    "Fade",
    "Holiday",
    "HolidayCalendar",
    "HourOfWeekProfile",
    "LeadSource",
    "LeadTraits",
    "Minutes",
    "MoneyAmount",
    "OptionalDuration",
    "PositiveMinutes",
    "Probability",
    "Proportion",
    "RepGroup",
    "ResponseCurve",
    "Scenario",
    "Seasonality",
    "Shift",
    "Slipping",
    "TimeZoneMix",
    "WeeklyCalendar",
    "YearCalendar",
    "ZoneOffsets",
    "format_duration",
    "minutes_until_below",
    "parse_duration",
    "shown",
    "zone_offsets",
]
