"""The scenario: the team, the lead flow and the economics being simulated.

A scenario says *what the world is like*; the cadence (policies) says *what the
team does*. Both are validated when loaded. Every duration is in minutes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.config._types import ConfigModel, Minutes, PositiveMinutes, Probability
from sim.config.calendar import HourOfWeekProfile, Shift
from sim.config.channels import Channels
from sim.config.comebacks import Comebacks
from sim.config.distributions import (
    Duration,
    LognormalDuration,
    MoneyAmount,
    OptionalDuration,
    Proportion,
)
from sim.config.economics import Economics
from sim.config.response_curves import (
    ExponentialCurve,
    ResponseCurve,
    WeibullCurve,
)
from sim.config.seasonality import Seasonality, SeasonalVolume, YearCalendar
from sim.config.slipping import Slipping
from sim.config.time_zones import (
    CallingWindow,
    TimeZoneMix,
    ZoneOffsets,
    check_leads_callable,
    named_zones,
    zone_offsets,
)
from sim.config.units import MINUTES_PER_WEEK

MAX_LEADS_PER_WEEK = 10_000_000
"""Most leads one source may send a week: beyond that it is not a flow a sales team works."""

MAX_REPS_PER_GROUP = 10_000
"""Most reps one group may have: beyond that it is not one team on one shift."""

Role = Literal["generalist", "responder", "closer"]
"""What work a rep takes: responders work new leads (screening, first calls,
follow-ups), closers work qualified leads and customers (meetings, nurture and
retention touches, referral requests), generalists do both."""


class LeadTraits(ConfigModel):
    """The latent attributes each lead draws when it arrives (reps do not see them)."""

    intent: Proportion = Field(
        {"mean": 0.3, "concentration": 4.0},
        description="chance that a conversation with a fresh, realistic lead qualifies it",
    )
    reachability: Proportion = Field(
        {"mean": 0.6, "concentration": 6.0},
        description="chance that a call attempt on a fresh lead reaches it",
    )
    deal_value: MoneyAmount = Field(
        {"mean": 8000.0, "sd": 6000.0}, description="value of the deal if won"
    )
    fit_rate: Probability = Field(
        0.85,
        description="share of leads that are realistic prospects at all (the rest can never buy)",
    )
    obviously_unfit_share: Probability = Field(
        0.5,
        description="share of the unrealistic leads that are obviously so (spam, fake numbers, "
        "students): an instant check can catch them",
    )
    patience: OptionalDuration = Field(
        None,
        description="time until an unreached lead buys elsewhere and is lost (none: it waits)",
    )


class LeadSource(LeadTraits):
    """A channel leads come from (web form, inbound call, purchased list, ...).

    Arrivals are a non-homogeneous Poisson process: ``leads_per_week`` spread over
    the week by the hour-of-week ``profile``.
    """

    name: str = Field(min_length=1)
    leads_per_week: float = Field(
        gt=0, le=MAX_LEADS_PER_WEEK, description="average number of new leads per week"
    )
    profile: HourOfWeekProfile = Field("business_hours", description="hour-of-week arrival weights")
    time_zones: TimeZoneMix | None = Field(
        None,
        description="share of leads per time zone: hours relative to the reps' zone, or IANA "
        "names (with calendar.time_zone) that follow daylight saving (none: all in the reps' zone)",
    )
    seasonality: SeasonalVolume = Field(
        Seasonality(),
        description="this source's own weekly volume multipliers, a cycle ([1, 1.5]) or campaign "
        "weeks ([{week: 6, volume: 2}]), on top of calendar.seasonality (none: as every source)",
    )


class RepGroup(ConfigModel):
    """Reps who share a shift and a role."""

    name: str = Field("reps", min_length=1)
    count: int = Field(gt=0, le=MAX_REPS_PER_GROUP, description="number of reps in the group")
    role: Role = "generalist"
    shift: Shift = Shift()
    skill: float = Field(
        1.0, gt=0, description="multiplier on the chance that a conversation qualifies"
    )


class Actions(ConfigModel):
    """How long each kind of rep action takes (a dial, answered or not, takes some time)."""

    no_answer: Duration = Field(1.5, description="a dial that nobody answers")
    voicemail: Duration = Field(2.5, description="a dial that ends in a voicemail")
    voicemail_share: Probability = Field(
        0.4, description="share of unanswered dials that leave a voicemail"
    )
    conversation: Duration = Field(
        LognormalDuration(dist="lognormal", mean=12.0, sd=8.0),
        description="talk time when a new lead answers",
    )
    meeting: Duration = Field(
        LognormalDuration(dist="lognormal", mean=40.0, sd=15.0),
        description="the closer's first meeting with a qualified lead",
    )
    nurture_touch: Duration = Field(8.0, description="a touch on a lead in the decision stage")
    retention_touch: Duration = Field(8.0, description="a touch on an existing customer")
    referral_request: Duration = Field(
        20.0, description="asking a department or a customer for new contacts"
    )

    @field_validator("no_answer", "voicemail", "conversation")
    @classmethod
    def _dials_take_time(cls, duration: Any) -> Any:
        if duration.mean <= 0:
            raise ValueError("expected a positive duration: every dial takes some time (got 0m)")
        return duration


def _default_contact_curve() -> WeibullCurve:
    # One joint fit with the attempt decay and the qualification curve to the published
    # speed-to-lead and follow-up figures (experiments/calibration/fit_contact_model.py,
    # docs/response_curve.md): a fresh lead is by the phone for about ten minutes
    # (x0.93 at 3 min, x0.56 at 9 min), then answers a fifth as often as a fresh one.
    return WeibullCurve.model_validate(
        {"family": "weibull", "scale": 10.0, "shape": 2.0, "floor": 0.2}
    )


def _default_qualification_curve() -> ExponentialCurve:
    # Same fit: interest fades over about an hour (x0.68 at 30 min, x0.47 at 1 h),
    # and 8% of it lasts (what makes a follow-up days later worth a call).
    return ExponentialCurve.model_validate({"family": "exponential", "scale": 70.0, "floor": 0.084})


class ResponseModel(ConfigModel):
    """How a lead answers the phone, and how its interest fades.

    Two things are separate, as the published studies separate contact from
    qualification:

    - *Is the lead at the phone right now?* An attempt reaches the lead with chance
      ``reachability x contact(s) x attempt_decay ** (k - 1) x time_of_week[hour]``:
      the lead's own baseline (a trait), a hot window after it last engaged (``s``
      minutes ago: the form fill, or its last conversation), a decay with each
      further attempt (people learn to ignore a number that keeps calling), and the
      hour of the week. The hot window fades to a floor, not to zero: a lead who
      missed the first call can still be reached by a follow-up.
    - *Is it still interested?* A conversation qualifies a realistic lead with chance
      ``intent x skill x qualification(s)``: interest fades over hours and days.

    The defaults are one joint fit to every published figure (docs/response_curve.md).
    """

    contact: ResponseCurve = Field(
        default_factory=_default_contact_curve,
        description="hot window: multiplier on the chance an attempt reaches the lead, by "
        "minutes since it last engaged",
    )
    attempt_decay: Probability = Field(
        0.91,
        description="multiplier on the chance of reaching the lead for each further attempt "
        "(attempt k: decay ** (k - 1))",
    )
    time_of_week: HourOfWeekProfile = Field(
        "answer_hours",
        description="multiplier on the chance of reaching the lead by hour of the week, in the "
        "lead's local time (1: the reference hour of the fit)",
    )
    local_calling_window: CallingWindow | None = Field(
        None,
        description="when leads may be called, in their local time (none: whenever reps work); "
        "a call due outside it waits for the window to open",
    )
    qualification: ResponseCurve = Field(
        default_factory=_default_qualification_curve,
        description="multiplier on the chance a conversation qualifies the lead, by minutes "
        "since it last engaged",
    )
    comebacks: Comebacks = Field(
        default_factory=Comebacks,
        description="unanswered leads who call back or inquire again on their own",
    )


class InstantCheck(ConfigModel):
    """A check that takes seconds: form validation, a phone and e-mail lookup, a spam filter."""

    time: Duration = Field(
        LognormalDuration(dist="lognormal", mean=0.25, sd=0.15),
        description="rep time per lead checked (default: 15 s on average)",
    )
    catch_rate: Probability = Field(
        0.9, description="share of the obviously unrealistic leads it drops"
    )
    false_positive_rate: Probability = Field(
        0.005, description="share of realistic leads it wrongly drops"
    )


class DeepCheck(ConfigModel):
    """A rep looks the lead up (company site, LinkedIn, CRM history) before calling it.

    It drops every obviously unrealistic lead that got past the instant check; its
    error rates below are for the other unrealistic leads, at the policy's standard
    strictness.
    """

    time: Duration = Field(
        LognormalDuration(dist="lognormal", mean=4.0, sd=2.0),
        description="rep time per lead checked",
    )
    false_negative_rate: Probability = Field(
        0.5, description="share of the not-obviously unrealistic leads it lets through"
    )
    false_positive_rate: Probability = Field(
        0.05, description="share of realistic leads it wrongly drops"
    )

    @model_validator(mode="after")
    def _informative(self) -> DeepCheck:
        if self.false_negative_rate + self.false_positive_rate >= 1:
            raise ValueError(
                "false_negative_rate + false_positive_rate must be below 1 (otherwise the check is no better than a coin)"
            )
        return self


class Screening(ConfigModel):
    """What the two kinds of fit check cost and catch (the policy picks which to run).

    Every lead checked gets the instant check; a deep check follows for those
    that pass it when the policy asks for one. Which leads are unrealistic, and
    which of them obviously so, is set per source (``fit_rate``,
    ``obviously_unfit_share``). See docs/screening_and_referrals.md.
    """

    instant: InstantCheck = InstantCheck()
    deep: DeepCheck = DeepCheck()


class DecisionStage(ConfigModel):
    """What happens between qualification and a won or lost deal (docs/decision_stage.md).

    The prospect decides on its own clock. Touches that reach it renew its
    interest, pull the decision in (up to ``max_pull_in``) and raise its
    engagement, each with diminishing returns; at the decision it buys with
    chance ``win_rate x interest x engagement x annoyance``.
    """

    time_to_decide: Duration = Field(
        LognormalDuration(dist="lognormal", mean="2w", sd="1w"),
        description="from qualification to the prospect's decision, if nobody pulls it in",
    )
    interest: ResponseCurve = Field(
        WeibullCurve(family="weibull", scale="14d", shape=2.0),
        description="interest since the last touch that reached the prospect",
    )
    lost_below: Probability = Field(
        0.2, description="interest below which the prospect buys from a competitor"
    )
    win_rate: Probability = Field(
        0.38,
        description="chance of a win at the decision for a prospect at full interest and "
        "engagement and not annoyed",
    )
    pull_in_per_touch: Probability = Field(
        0.1,
        description="share of the time left to decide that a touch reaching the prospect removes",
    )
    max_pull_in: Probability = Field(
        0.3, description="largest share of its own time to decide that touches can remove"
    )
    engagement_per_touch: Probability = Field(
        0.75,
        gt=0,
        description="share of the gap to full engagement that each remembered conversation closes",
    )
    engagement_memory: PositiveMinutes = Field(
        "14d", description="how long a conversation counts toward engagement (time constant)"
    )
    annoyance_per_extra_touch: Probability = Field(
        0.14,
        description="share of the win chance lost per remembered touch beyond the fatigue tolerance",
    )

    @model_validator(mode="before")
    @classmethod
    def _close_per_touch_retired(cls, data: Any) -> Any:
        if isinstance(data, dict) and "close_per_touch" in data:
            raise ValueError(
                "close_per_touch was retired: touches no longer close deals by a fixed chance; "
                "they pull the decision in (pull_in_per_touch, max_pull_in) and raise engagement "
                "(engagement_per_touch); remove it (see docs/decision_stage.md)"
            )
        return data


class Customers(ConfigModel):
    """Won leads become customers: relationship, repeat purchases, churn."""

    relationship: ResponseCurve = Field(
        ExponentialCurve(scale="60d"),
        description="relationship strength since the last touch that reached them",
    )
    repeat_purchases_per_year: float = Field(3.0, ge=0, description="at full relationship strength")
    repeat_value: MoneyAmount = Field(
        {"mean": 2500.0, "sd": 2000.0}, description="value of a repeat purchase"
    )
    churn_per_year: float = Field(
        1.5, ge=0, description="churn rate when the relationship has faded entirely"
    )


MAX_DEPARTMENT_POOL = 100_000
"""Most contacts a department may hold for the team: more is a lead source, not a referral."""

MAX_CUSTOMER_POOL = 1_000
"""Most contacts one customer may refer: more is a partner, not a customer."""


class ContactPool(ConfigModel):
    """Contacts someone could refer: asking takes a share of them, time refills them.

    The pool refills towards ``pool_size`` exponentially: an empty pool is about
    two thirds full again after ``refill_time``. Each request brings in on average
    ``share_per_request`` of the contacts waiting, so asking often finds the pool
    low (diminishing returns).
    """

    pool_size: float = Field(
        gt=0,
        le=MAX_DEPARTMENT_POOL,
        description="contacts waiting when nobody has asked for a long time",
    )
    refill_time: PositiveMinutes = Field(
        description="time for an empty pool to refill to about two thirds (time constant)"
    )
    share_per_request: Probability = Field(
        0.5, description="share of the waiting contacts one request brings in"
    )

    @property
    def contacts_per_week_at_most(self) -> float:
        """The pool's refill rate when empty: what any asking rhythm can get, at most, per week."""
        return self.pool_size * MINUTES_PER_WEEK / self.refill_time


class Department(ContactPool):
    """Another department the team asks for contacts (marketing events, partners, ...)."""

    name: str = Field(min_length=1)


class CustomerContacts(ContactPool):
    """Each customer's contacts (colleagues, peers); a request's yield also scales with
    the relationship strength (``customers.relationship``) when asked."""

    pool_size: float = Field(
        3.0,
        gt=0,
        le=MAX_CUSTOMER_POOL,
        description="contacts a customer could introduce when nobody has asked for a long time",
    )
    refill_time: PositiveMinutes = Field(
        "26w", description="time for an empty pool to refill to about two thirds (time constant)"
    )
    share_per_request: Probability = Field(
        0.3, description="share of the waiting contacts one request brings in, at full relationship"
    )


def _default_departments() -> list[Department]:
    # Stated assumptions (docs/screening_and_referrals.md): event leads pile up between
    # events, customer success sees expansion and peer contacts steadily, partners hand
    # over a part of what they see, slowly.
    return [
        Department(name="marketing_events", pool_size=30, refill_time="4w", share_per_request=0.5),
        Department(name="customer_success", pool_size=12, refill_time="2w", share_per_request=0.6),
        Department(name="partners", pool_size=25, refill_time="8w", share_per_request=0.3),
    ]


class Referrals(ConfigModel):
    """New contacts produced by asking other departments and customers."""

    departments: list[Department] = Field(
        default_factory=_default_departments,
        description="the departments asked on the referral rhythm, each with its own pool",
    )
    customers: CustomerContacts = CustomerContacts()
    delay: Duration = Field(
        {"dist": "exponential", "mean": 2880.0},
        description="from the request to each referred lead's arrival",
    )
    traits: LeadTraits = Field(
        LeadTraits(
            intent={"mean": 0.45, "concentration": 5.0},
            reachability={"mean": 0.75, "concentration": 6.0},
            deal_value={"mean": 10000.0, "sd": 7000.0},
            fit_rate=0.95,
            obviously_unfit_share=0.2,
        ),
        description="attributes of referred leads",
    )

    @field_validator("departments")
    @classmethod
    def _unique_departments(cls, departments: list[Department]) -> list[Department]:
        names = [d.name for d in departments]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"department names must be unique; repeated: {', '.join(duplicated)}")
        return departments


class Fatigue(ConfigModel):
    """Touch fatigue: too many or too frequent touches make people opt out.

    Each person remembers touches with a weight that fades exponentially over
    ``memory``; a touch when the remembered weight is *w* (this touch included)
    makes them opt out with probability ``opt_out_per_touch * (w / tolerance) ** exponent``.
    """

    opt_out_per_touch: Probability = Field(
        0.002, description="opt-out chance of a touch at the tolerated frequency"
    )
    memory: PositiveMinutes = Field(
        "7d", description="how long a touch is remembered (time constant)"
    )
    tolerance: float = Field(3.0, gt=0, description="remembered touches that feel normal")
    exponent: float = Field(2.0, ge=0, description="how sharply fatigue grows beyond the tolerance")


class Adherence(ConfigModel):
    """How a busy team keeps its cadence: due steps slip (put off or skipped) as the backlog grows.

    When a cadence step (a follow-up, nurture or retention touch, a referral
    request; never a first call) falls due, the team's load is the number of
    tasks waiting in its role's queue per rep of that role on shift. Above
    ``busy_backlog_per_rep`` the step slips with probability::

        slip_share_when_swamped x (1 - exp(-excess / swamped_excess_per_rep))
                                x exp(-planning_minutes / planning_effect_scale)

    where *excess* is the load above the busy level and *planning_minutes* the
    manager's daily planning time (policy family ``manager``). A slipped step is
    put off by ``delay`` (share ``delayed_share``) or skipped: not done, the next
    step of the cadence one gap later. ``slip_share_when_swamped: 0`` is a team
    that never slips. Defaults and their sources: docs/adherence.md.
    """

    busy_backlog_per_rep: float = Field(
        1.0, ge=0, description="tasks waiting per on-shift rep above which due cadence steps slip"
    )
    slip_share_when_swamped: Probability = Field(
        0.5, description="share of due cadence steps that slip when the team is swamped (0: never)"
    )
    swamped_excess_per_rep: float = Field(
        2.0,
        gt=0,
        description="backlog per rep above the busy level at which slipping reaches 63% of its most",
    )
    delayed_share: Probability = Field(
        0.5, description="share of slipped steps put off by the delay (the rest are skipped)"
    )
    delay: PositiveMinutes = Field(
        "1d", description="how long a put-off step waits (then the next working minute)"
    )
    planning_effect_scale: PositiveMinutes = Field(
        "30m",
        description="daily planning time that cuts slipping to 37% (x exp(-minutes / this))",
    )

    def compile(self) -> Slipping:
        """The rule as a :class:`~sim.config.slipping.Slipping`: plain numbers for the engine."""
        return Slipping(
            self.busy_backlog_per_rep,
            self.slip_share_when_swamped,
            self.swamped_excess_per_rep,
            self.planning_effect_scale,
        )

    def slip_chance(self, backlog_per_rep: float, planning_minutes: float) -> float:
        """Chance that a cadence step falling due at this load slips (is put off or skipped)."""
        return self.compile().chance(backlog_per_rep, planning_minutes)


class Scenario(ConfigModel):
    """The simulated world: lead sources, reps, action times, response curves, economics, time."""

    horizon: PositiveMinutes = Field(
        "13w",
        description="length of the measured window: leads arriving in it are the cohort",
    )
    warmup: Minutes = Field("1w", description="simulated time before the window, not measured")
    drain: Minutes = Field(
        "4w",
        description="time after the window during which the cohort is followed to its outcome",
    )
    drain_arrivals: bool = Field(
        True,
        description="whether leads keep arriving during the drain, competing with the cohort "
        "for reps as in a real team (off only where nobody waits, to save time)",
    )
    sources: list[LeadSource] = Field(min_length=1)
    reps: list[RepGroup] = Field(min_length=1)
    actions: Actions = Actions()
    channels: Channels = Channels()
    response: ResponseModel = ResponseModel()
    screening: Screening = Screening()
    decision: DecisionStage = DecisionStage()
    customers: Customers = Customers()
    referrals: Referrals = Referrals()
    fatigue: Fatigue = Fatigue()
    economics: Economics = Economics()
    adherence: Adherence = Adherence()
    calendar: YearCalendar = YearCalendar()

    @model_validator(mode="after")
    def _unique_names(self) -> Scenario:
        for kind, names in (
            ("sources", [s.name for s in self.sources]),
            ("reps", [g.name for g in self.reps]),
        ):
            duplicated = sorted({n for n in names if names.count(n) > 1})
            if duplicated:
                raise ValueError(f"{kind} names must be unique; repeated: {', '.join(duplicated)}")
        if REFERRAL_SOURCE in {s.name for s in self.sources}:
            raise ValueError(f"the source name {REFERRAL_SOURCE!r} is reserved for referred leads")
        return self

    @model_validator(mode="after")
    def _leads_can_be_called(self) -> Scenario:
        for source in self.sources:
            named = named_zones([source.time_zones])
            if named and self.calendar.time_zone is None:
                raise ValueError(
                    f"source {source.name!r} has leads in {named[0]}: a named zone needs "
                    "calendar.time_zone (the reps' zone, e.g. America/New_York) and "
                    "calendar.start_date (a Monday), to know each date's offset"
                )
        zones = {source.name: source.time_zones for source in self.sources}
        callers = [group.shift for group in self.reps if group.role != "closer"]
        check_leads_callable(
            self.response.local_calling_window, zones, callers, self.lead_zone_offsets()
        )
        return self

    def lead_zone_offsets(self) -> dict[str, ZoneOffsets]:
        """Each named lead zone's offsets to the team over the run (computed once, cached)."""
        calendar = self.calendar
        return {
            zone: zone_offsets(zone, calendar.time_zone, calendar.start_date, self.end)  # type: ignore[arg-type]
            for zone in named_zones([source.time_zones for source in self.sources])
        }

    @property
    def window(self) -> tuple[float, float]:
        """Start and end (minutes) of the measured arrival window."""
        return self.warmup, self.warmup + self.horizon

    @property
    def end(self) -> float:
        """When the simulation stops: end of the window plus the drain."""
        return self.warmup + self.horizon + self.drain


REFERRAL_SOURCE = "referral"
"""The source name of leads produced by referral requests."""
