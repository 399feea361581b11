"""Response curves: how a lead's interest fades with time since last engagement.

A response curve maps the minutes since a lead last engaged (arrived, or last
spoke to a rep) to a multiplier in [0, 1]: ``value(t)`` for one number, and
``compile()`` for a plain function the engine calls on its hot path. The engine multiplies it into the
chance that an attempt reaches the lead (``contact`` curve) and the chance that a
conversation qualifies it (``qualification`` curve). ``value(0)`` is 1 for the
parametric families: a lead called at once keeps its full base chances.

Families (``family:`` in YAML)::

    exponential           floor + (1 - floor) * exp(-t / scale)
    sum_of_exponentials   floor + sum_i weight_i * exp(-t / scale_i),  floor + sum weight_i = 1
    weibull               floor + (1 - floor) * exp(-(t / scale) ** shape)
    table                 linear interpolation between (minutes, value) points, flat outside
"""

from __future__ import annotations

import bisect
import itertools
import math
from collections.abc import Callable
from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.config._types import ConfigModel, Minutes, PositiveMinutes, Probability
from sim.config.units import MINUTES_PER_YEAR


class ExponentialCurve(ConfigModel):
    """Interest halves every ``scale * ln 2`` minutes, down to a floor."""

    family: Literal["exponential"] = "exponential"
    scale: PositiveMinutes
    floor: Probability = 0.0

    def value(self, minutes: float) -> float:
        return self.floor + (1.0 - self.floor) * math.exp(-minutes / self.scale)

    def compile(self) -> Callable[[float], float]:
        floor, span, rate, exp = self.floor, 1.0 - self.floor, 1.0 / self.scale, math.exp
        return lambda minutes: floor + span * exp(-minutes * rate)


class DecayComponent(ConfigModel):
    """One exponential term of a :class:`SumOfExponentialsCurve`."""

    weight: Probability
    scale: PositiveMinutes


class SumOfExponentialsCurve(ConfigModel):
    """A fast and a slow fade (or more) plus a floor: the shape lead-response studies show."""

    family: Literal["sum_of_exponentials"]
    components: list[DecayComponent] = Field(min_length=1)
    floor: Probability = 0.0

    @model_validator(mode="after")
    def _sums_to_one(self) -> SumOfExponentialsCurve:
        total = self.floor + sum(c.weight for c in self.components)
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"floor plus the component weights must add up to 1, got {total:g}")
        return self

    def value(self, minutes: float) -> float:
        return self.floor + sum(c.weight * math.exp(-minutes / c.scale) for c in self.components)

    def compile(self) -> Callable[[float], float]:
        floor, exp = self.floor, math.exp
        terms = tuple((c.weight, 1.0 / c.scale) for c in self.components)
        return lambda minutes: floor + sum(weight * exp(-minutes * rate) for weight, rate in terms)


class WeibullCurve(ConfigModel):
    """Stretched (shape < 1) or compressed (shape > 1) exponential fade."""

    family: Literal["weibull"]
    scale: PositiveMinutes
    shape: float = Field(gt=0)
    floor: Probability = 0.0

    def value(self, minutes: float) -> float:
        return self.floor + (1.0 - self.floor) * math.exp(-((minutes / self.scale) ** self.shape))

    def compile(self) -> Callable[[float], float]:
        floor, span, scale, shape, exp = (
            self.floor,
            1.0 - self.floor,
            self.scale,
            self.shape,
            math.exp,
        )
        return lambda minutes: floor + span * exp(-((minutes / scale) ** shape))


class TableCurve(ConfigModel):
    """Piecewise-linear curve through measured points (what ``calibrate`` writes)."""

    family: Literal["table"]
    points: list[tuple[Minutes, Probability]] = Field(min_length=1)

    @model_validator(mode="after")
    def _increasing(self) -> TableCurve:
        times = [t for t, _ in self.points]
        if any(b <= a for a, b in itertools.pairwise(times)):
            raise ValueError("points must be listed by strictly increasing time")
        return self

    def value(self, minutes: float) -> float:
        return self.compile()(minutes)

    def compile(self) -> Callable[[float], float]:
        times = [t for t, _ in self.points]
        values = [v for _, v in self.points]
        if len(set(values)) == 1:
            constant = values[0]
            return lambda minutes: constant
        last = len(times)

        def table(minutes: float) -> float:
            i = bisect.bisect_right(times, minutes)
            if i == 0:
                return values[0]
            if i == last:
                return values[-1]
            t0, t1, v0 = times[i - 1], times[i], values[i - 1]
            return v0 + (values[i] - v0) * (minutes - t0) / (t1 - t0)

        return table


ResponseCurve = Annotated[
    ExponentialCurve | SumOfExponentialsCurve | WeibullCurve | TableCurve,
    Field(discriminator="family"),
]
"""Any response-curve family, chosen by its ``family`` key."""


def minutes_until_below(
    curve: ExponentialCurve | SumOfExponentialsCurve | WeibullCurve | TableCurve, level: float
) -> float:
    """Minutes after which *curve* first drops below *level* (``inf`` if it never does).

    Every family is non-increasing in practice, so bisection on the compiled curve
    finds the crossing; a curve that is still at or above *level* after 100 years
    never crosses.
    """
    value = curve.compile()
    high = 1.0
    while value(high) >= level:
        high *= 2
        if high > 100 * MINUTES_PER_YEAR:
            return math.inf
    low = 0.0
    for _ in range(80):
        middle = (low + high) / 2
        if value(middle) >= level:
            low = middle
        else:
            high = middle
    return high
