"""Response curves: how a lead's interest fades with time since last engagement.

A response curve maps the minutes since a lead last engaged (arrived, or last
spoke to a rep) to a multiplier in [0, 1]: ``value(t)`` for one number, and
``compile()`` for the :class:`~sim.config.fades.Fade` the engine calls on its hot path
(``value`` evaluates that same fade: each formula is written once). The engine multiplies it
into the chance that an attempt reaches the lead (``contact`` curve) and the chance that a
conversation qualifies it (``qualification`` curve). ``value(0)`` is 1 for the
parametric families: a lead called at once keeps its full base chances.

Families (``family:`` in YAML)::

    exponential           floor + (1 - floor) * exp(-t / scale)
    sum_of_exponentials   floor + sum_i weight_i * exp(-t / scale_i),  floor + sum weight_i = 1
    weibull               floor + (1 - floor) * exp(-(t / scale) ** shape)
    table                 linear interpolation between (minutes, value) points, flat outside
"""

from __future__ import annotations

import itertools
import math
from abc import abstractmethod
from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.config._types import ConfigModel, Minutes, PositiveMinutes, Probability
from sim.config.fades import (
    ConstantFade,
    ExponentialFade,
    Fade,
    SumOfExponentialsFade,
    TableFade,
    WeibullFade,
)
from sim.config.units import MINUTES_PER_YEAR


class _Curve(ConfigModel):
    """What every family shares: its value is that of the fade it compiles to."""

    @abstractmethod
    def compile(self) -> Fade:
        """The curve as a :class:`~sim.config.fades.Fade`: plain numbers for the engine."""

    def value(self, minutes: float) -> float:
        """The multiplier after *minutes* since the last engagement."""
        return self.compile().value(minutes)


class ExponentialCurve(_Curve):
    """Interest halves every ``scale * ln 2`` minutes, down to a floor."""

    family: Literal["exponential"] = "exponential"
    scale: PositiveMinutes
    floor: Probability = 0.0

    def compile(self) -> Fade:
        return ExponentialFade(self.floor, self.scale)


class DecayComponent(ConfigModel):
    """One exponential term of a :class:`SumOfExponentialsCurve`."""

    weight: Probability
    scale: PositiveMinutes


class SumOfExponentialsCurve(_Curve):
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

    def compile(self) -> Fade:
        return SumOfExponentialsFade(self.floor, [(c.weight, c.scale) for c in self.components])


class WeibullCurve(_Curve):
    """Stretched (shape < 1) or compressed (shape > 1) exponential fade."""

    family: Literal["weibull"]
    scale: PositiveMinutes
    shape: float = Field(gt=0)
    floor: Probability = 0.0

    def compile(self) -> Fade:
        return WeibullFade(self.floor, self.scale, self.shape)


class TableCurve(_Curve):
    """Piecewise-linear curve through measured points (what ``calibrate`` writes)."""

    family: Literal["table"]
    points: list[tuple[Minutes, Probability]] = Field(min_length=1)

    @model_validator(mode="after")
    def _increasing(self) -> TableCurve:
        times = [t for t, _ in self.points]
        if any(b <= a for a, b in itertools.pairwise(times)):
            raise ValueError("points must be listed by strictly increasing time")
        return self

    def compile(self) -> Fade:
        values = [v for _, v in self.points]
        if len(set(values)) == 1:
            return ConstantFade(values[0])
        return TableFade([t for t, _ in self.points], values)


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
    fade = curve.compile()
    high = 1.0
    while fade.value(high) >= level:
        high *= 2
        if high > 100 * MINUTES_PER_YEAR:
            return math.inf
    low = 0.0
    for _ in range(80):
        middle = (low + high) / 2
        if fade.value(middle) >= level:
            low = middle
        else:
            high = middle
    return high
