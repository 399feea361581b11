"""The scenario: the team, the lead flow and the economics being simulated.

A scenario says *what the world is like*; the cadence (policies) says *what the
team does*. Both are validated when loaded. Every duration is in minutes.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from sim.calendar import HourOfWeekProfile, Shift, WeeklyCalendar
from sim.distributions import Duration, LognormalDuration, MoneyAmount, Proportion
from sim.response import ExponentialCurve, ResponseCurve
from sim.schema import ConfigModel, Minutes, PositiveMinutes, Probability


class LeadSource(ConfigModel):
    """A channel leads come from (web form, inbound call, referral, purchased list, ...).

    Arrivals are a non-homogeneous Poisson process: ``leads_per_week`` spread over
    the week by the hour-of-week ``profile``. Each lead draws its own latent
    attributes, which reps do not see.
    """

    name: str = Field(min_length=1)
    leads_per_week: float = Field(gt=0, description="average number of new leads per week")
    profile: HourOfWeekProfile = Field("business_hours", description="hour-of-week arrival weights")
    intent: Proportion = Field(
        {"mean": 0.3, "concentration": 4.0},
        description="chance that a conversation with a fresh lead qualifies it",
    )
    reachability: Proportion = Field(
        {"mean": 0.6, "concentration": 6.0},
        description="chance that a call attempt on a fresh lead reaches it",
    )
    deal_value: MoneyAmount = Field(
        {"mean": 8000.0, "sd": 6000.0}, description="value of the deal if won"
    )
    patience: Duration | None = Field(
        None,
        description="time until an unreached lead buys elsewhere and is lost (none: it waits)",
    )


class RepGroup(ConfigModel):
    """Reps who share a shift."""

    name: str = Field("reps", min_length=1)
    count: int = Field(gt=0, description="number of reps in the group")
    shift: Shift = Shift()
    skill: float = Field(
        1.0, gt=0, description="multiplier on the chance that a conversation qualifies"
    )


class Actions(ConfigModel):
    """How long each kind of rep action takes."""

    no_answer: Duration = Field(1.5, description="a dial that nobody answers")
    voicemail: Duration = Field(2.5, description="a dial that ends in a voicemail")
    voicemail_share: Probability = Field(
        0.4, description="share of unanswered dials that leave a voicemail"
    )
    conversation: Duration = Field(
        LognormalDuration(dist="lognormal", mean=12.0, sd=8.0),
        description="talk time when the lead answers",
    )


class ResponseModel(ConfigModel):
    """How fast interest fades after the last engagement (see :mod:`sim.response`)."""

    contact: ResponseCurve = Field(
        ExponentialCurve(scale=240.0, floor=0.3),
        description="multiplier on the chance an attempt reaches the lead",
    )
    qualification: ResponseCurve = Field(
        ExponentialCurve(scale=120.0, floor=0.05),
        description="multiplier on the chance a conversation qualifies the lead",
    )


class Funnel(ConfigModel):
    """What happens after a lead qualifies."""

    win_rate: Probability = Field(
        0.25, description="share of qualified leads that become deals won"
    )


class Economics(ConfigModel):
    """Money: what reps and touches cost."""

    rep_cost_per_hour: float = Field(40.0, ge=0, description="fully loaded cost of one rep hour")
    cost_per_touch: float = Field(
        0.5, ge=0, description="cost of each call attempt (telephony, tools)"
    )


class Scenario(ConfigModel):
    """The simulated world: lead sources, reps, action times, response curves, economics, time."""

    horizon: PositiveMinutes = Field(
        91 * 1440.0,
        description="length of the measured window: leads arriving in it are the cohort",
    )
    warmup: Minutes = Field(10080.0, description="simulated time before the window, not measured")
    drain: Minutes = Field(
        4 * 10080.0,
        description="time after the window during which the cohort is followed to its outcome",
    )
    sources: list[LeadSource] = Field(min_length=1)
    reps: list[RepGroup] = Field(min_length=1)
    actions: Actions = Actions()
    response: ResponseModel = ResponseModel()
    funnel: Funnel = Funnel()
    economics: Economics = Economics()

    @model_validator(mode="after")
    def _unique_names(self) -> Scenario:
        for kind, names in (
            ("sources", [s.name for s in self.sources]),
            ("reps", [g.name for g in self.reps]),
        ):
            duplicated = sorted({n for n in names if names.count(n) > 1})
            if duplicated:
                raise ValueError(f"{kind} names must be unique; repeated: {', '.join(duplicated)}")
        return self

    @property
    def window(self) -> tuple[float, float]:
        """Start and end (minutes) of the measured arrival window."""
        return self.warmup, self.warmup + self.horizon

    @property
    def end(self) -> float:
        """When the simulation stops: end of the window plus the drain."""
        return self.warmup + self.horizon + self.drain

    @property
    def rep_count(self) -> int:
        return sum(group.count for group in self.reps)

    def working_calendar(self) -> WeeklyCalendar:
        """The hours in which at least one rep is on shift."""
        return WeeklyCalendar([w for group in self.reps for w in group.shift.windows()])
