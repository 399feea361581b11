"""Random quantities in a scenario: durations, deal values and proportions.

Each distribution is a small configuration model: ``sample(rng, n)`` returns
*n* draws as a numpy array, and ``quantile(u)`` turns one uniform number into a
draw (for randomness that belongs to one lead, see :mod:`sim.engine.floor`). The engine never calls numpy once per event
(that would dominate its run time); it wraps a distribution's ``sample`` in a
:class:`sim.engine.streams.Draws` buffer that refills a block of draws at a time.

YAML forms::

    talk_time: 4m                                   # fixed
    talk_time: {dist: exponential, mean: 4m}
    talk_time: {dist: lognormal, mean: 12m, sd: 6m}
    talk_time: {dist: uniform, low: 1m, high: 3m}
    deal_value: {mean: 8000, sd: 6000}              # lognormal money amount
    intent: {mean: 0.35, concentration: 4}          # beta distribution in [0, 1]
    intent: 0.35                                    # the same for every lead
"""

from __future__ import annotations

import math
from statistics import NormalDist
from typing import Annotated, Literal

import numpy as np
from pydantic import BeforeValidator, Field, model_validator

from sim.config._types import ConfigModel, Minutes, PositiveMinutes, Probability

_STANDARD_NORMAL = NormalDist()


MAX_SPREAD = 100.0
"""Largest standard deviation of a lognormal, as a multiple of its mean.

Beyond it a few draws would dwarf all the others (and the arithmetic overflows);
no talk time or deal value spreads that widely.
"""


def _spread_ok(mean: float, sd: float) -> None:
    if sd > MAX_SPREAD * mean:
        raise ValueError(
            f"sd ({sd:g}) is more than {MAX_SPREAD:g} times the mean ({mean:g}); "
            "expected a spread a lognormal can describe"
        )


def lognormal_parameters(mean: float, sd: float) -> tuple[float, float]:
    """Return ``(mu, sigma)`` of the lognormal distribution with this *mean* and *sd*."""
    sigma2 = math.log1p((sd / mean) ** 2)
    return math.log(mean) - sigma2 / 2, math.sqrt(sigma2)


class FixedDuration(ConfigModel):
    """Always the same duration."""

    dist: Literal["fixed"] = "fixed"
    value: Minutes

    @property
    def mean(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)

    def quantile(self, u: float) -> float:
        return self.value


class ExponentialDuration(ConfigModel):
    """Memoryless duration with the given mean (used for queueing-theory checks)."""

    dist: Literal["exponential"]
    mean: PositiveMinutes

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean, n)

    def quantile(self, u: float) -> float:
        return -self.mean * math.log1p(-u)


class LognormalDuration(ConfigModel):
    """Right-skewed duration (talk times): most calls short, a few long."""

    dist: Literal["lognormal"]
    mean: PositiveMinutes
    sd: PositiveMinutes

    @model_validator(mode="after")
    def _sane_spread(self) -> LognormalDuration:
        _spread_ok(self.mean, self.sd)
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        mu, sigma = lognormal_parameters(self.mean, self.sd)
        return rng.lognormal(mu, sigma, n)

    def quantile(self, u: float) -> float:
        mu, sigma = lognormal_parameters(self.mean, self.sd)
        return math.exp(mu + sigma * _STANDARD_NORMAL.inv_cdf(u))


class UniformDuration(ConfigModel):
    """Duration equally likely anywhere between *low* and *high*."""

    dist: Literal["uniform"]
    low: Minutes
    high: PositiveMinutes

    @model_validator(mode="after")
    def _ordered(self) -> UniformDuration:
        if self.high < self.low:
            raise ValueError("high must not be below low")
        return self

    @property
    def mean(self) -> float:
        return (self.low + self.high) / 2

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)

    def quantile(self, u: float) -> float:
        return self.low + u * (self.high - self.low)


def _scalar_is_fixed(value: object) -> object:
    if isinstance(value, str | int | float) and not isinstance(value, bool):
        return {"dist": "fixed", "value": value}
    return value


Duration = Annotated[
    FixedDuration | ExponentialDuration | LognormalDuration | UniformDuration,
    BeforeValidator(_scalar_is_fixed),
    Field(discriminator="dist"),
]
"""A random duration in minutes (a plain duration means a fixed one)."""

OptionalDuration = Annotated[Duration | None, BeforeValidator(_scalar_is_fixed)]
"""A random duration, or none."""


class MoneyAmount(ConfigModel):
    """A lognormal money amount given by its mean and standard deviation (sd 0: fixed)."""

    mean: float = Field(gt=0)
    sd: float = Field(0.0, ge=0)

    @model_validator(mode="after")
    def _sane_spread(self) -> MoneyAmount:
        _spread_ok(self.mean, self.sd)
        return self

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.sd == 0:
            return np.full(n, self.mean)
        mu, sigma = lognormal_parameters(self.mean, self.sd)
        return rng.lognormal(mu, sigma, n)

    def quantile(self, u: float) -> float:
        if self.sd == 0:
            return self.mean
        mu, sigma = lognormal_parameters(self.mean, self.sd)
        return math.exp(mu + sigma * _STANDARD_NORMAL.inv_cdf(u))


def _scalar_is_constant(value: object) -> object:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return {"mean": value, "concentration": None}
    return value


class _Proportion(ConfigModel):
    """A per-lead share in [0, 1]: beta distributed around *mean*.

    *concentration* is the beta distribution's ``a + b``: large values keep every
    lead close to the mean, small values spread leads out; omit it for a constant.
    """

    mean: Probability
    concentration: float | None = Field(None, gt=0)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.concentration is None or self.mean in (0.0, 1.0):
            return np.full(n, self.mean)
        a = self.mean * self.concentration
        return rng.beta(a, self.concentration - a, n)


Proportion = Annotated[_Proportion, BeforeValidator(_scalar_is_constant)]
