"""The scenario: the team, the lead flow and the economics being simulated.

A scenario says *what the world is like*; the cadence (policies) says *what the
team does*. Both are validated when loaded. Every duration is in minutes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from sim.config._types import ConfigModel, Minutes, PositiveMinutes, Probability
from sim.config.calendar import HourOfWeekProfile, Shift
from sim.config.distributions import (
    Duration,
    LognormalDuration,
    MoneyAmount,
    OptionalDuration,
    Proportion,
)
from sim.config.response_curves import (
    ExponentialCurve,
    ResponseCurve,
    SumOfExponentialsCurve,
    WeibullCurve,
)

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
    screening: Duration = Field(1.0, description="a quick check of whether a new lead is realistic")
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
    # Calibrated to the published speed-to-lead ratios (design section 5); derivation:
    # experiments/calibration/fit_response_curve.py and docs/response_curve.md.
    # A fresh lead stays by the phone for a few minutes (0.97 at 1 min, 0.44 at
    # 5 min, 0.05 at 10 min), then only the floor of 0.01 remains.
    return WeibullCurve.model_validate(
        {"family": "weibull", "scale": 5.5, "shape": 2.0, "floor": 0.01}
    )


class ResponseModel(ConfigModel):
    """How fast a new lead's interest fades after it arrives (see :mod:`sim.config.response_curves`)."""

    contact: ResponseCurve = Field(
        default_factory=_default_contact_curve,
        description="multiplier on the chance an attempt reaches the lead",
    )
    # Same calibration: a reached lead's interest fades over hours
    # (0.87 at 30 min, 0.44 at 3 h, 0.026 after a day).
    qualification: ResponseCurve = Field(
        default_factory=lambda: SumOfExponentialsCurve.model_validate(
            {
                "family": "sum_of_exponentials",
                "components": [{"weight": 0.975, "scale": 210.0}],
                "floor": 0.025,
            }
        ),
        description="multiplier on the chance a conversation qualifies the lead",
    )


class Screening(ConfigModel):
    """How good the quick fit check is, at the policy's standard strictness."""

    false_negative_rate: Probability = Field(
        0.3, description="share of unrealistic leads the check lets through"
    )
    false_positive_rate: Probability = Field(
        0.05, description="share of realistic leads the check wrongly drops"
    )

    @model_validator(mode="after")
    def _informative(self) -> Screening:
        if self.false_negative_rate + self.false_positive_rate >= 1:
            raise ValueError(
                "false_negative_rate + false_positive_rate must be below 1 (otherwise the check is no better than a coin)"
            )
        return self


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


class Referrals(ConfigModel):
    """New contacts produced by asking other departments and customers."""

    leads_per_department_request: float = Field(
        4.0,
        ge=0,
        le=1000,
        description="average new leads per request to a department (at most 1,000: more is a "
        "lead source, not a referral)",
    )
    leads_per_customer_request: float = Field(
        0.3,
        ge=0,
        le=10,
        description="average new leads per request to a customer (at most 10: more is a lead "
        "source, not a referral)",
    )
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
        ),
        description="attributes of referred leads",
    )


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


CURRENCY_SYMBOLS = {
    "USD": "$",
    "EUR": "€",
    "GBP": "£",
    "JPY": "¥",
    "CNY": "¥",
    "INR": "₹",
    "RUB": "₽",
    "KRW": "₩",
    "BRL": "R$",
    "CAD": "CA$",
    "AUD": "A$",
}
"""Symbols people write before an amount; other ISO 4217 codes are written as the code."""


def currency_symbol(code: str) -> str:
    """``'$'`` for USD, ``'€'`` for EUR; ``'CHF '`` for a code without a common symbol."""
    return CURRENCY_SYMBOLS.get(code, f"{code} ")


class Economics(ConfigModel):
    """Money: what reps and touches cost, and the currency every amount is in."""

    rep_cost_per_hour: float = Field(40.0, ge=0, description="fully loaded cost of one rep hour")
    cost_per_touch: float = Field(0.5, ge=0, description="cost of each touch (telephony, tools)")
    currency: str = Field(
        "USD", description="ISO 4217 code of every money amount (deal values, costs): USD, EUR, ..."
    )

    @field_validator("currency")
    @classmethod
    def _currency_code(cls, code: str) -> str:
        if not (len(code) == 3 and code.isascii() and code.isalpha() and code.isupper()):
            raise ValueError("expected a 3-letter ISO 4217 currency code such as USD, EUR or GBP")
        return code

    @property
    def currency_symbol(self) -> str:
        """What amounts are written with: ``'$'``, ``'€'``, ``'CHF '``."""
        return currency_symbol(self.currency)


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
    sources: list[LeadSource] = Field(min_length=1)
    reps: list[RepGroup] = Field(min_length=1)
    actions: Actions = Actions()
    response: ResponseModel = ResponseModel()
    screening: Screening = Screening()
    decision: DecisionStage = DecisionStage()
    customers: Customers = Customers()
    referrals: Referrals = Referrals()
    fatigue: Fatigue = Fatigue()
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
        if REFERRAL_SOURCE in {s.name for s in self.sources}:
            raise ValueError(f"the source name {REFERRAL_SOURCE!r} is reserved for referred leads")
        return self

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
