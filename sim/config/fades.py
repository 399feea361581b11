"""Fades: the arithmetic of a response curve, as the engine calls it for every lead.

A :class:`Fade` maps the minutes since a lead last engaged to a multiplier:
``fade.value(minutes)``. Each response-curve family of :mod:`sim.config.response_curves`
builds one with ``compile()`` and evaluates its own ``value()`` through it, so every
formula is written once, here. The module holds numbers only (no pydantic), so that the
compiled kernel (:mod:`sim.engine.kernel`) compiles it with the engine: the floor calls
``value`` natively with a plain double, where a Python function call would box the
number (the engine asks about twice per customer).
"""

from __future__ import annotations

import bisect
import math


class Fade:
    """A multiplier that depends on the minutes since the last engagement."""

    def value(self, minutes: float) -> float:
        """The multiplier after *minutes*."""
        raise NotImplementedError

    def __call__(self, minutes: float) -> float:
        return self.value(minutes)


class ConstantFade(Fade):
    """The same multiplier whatever the time: a table whose points share one value."""

    def __init__(self, constant: float) -> None:
        self.constant = constant

    def value(self, minutes: float) -> float:
        return self.constant


class ExponentialFade(Fade):
    """``floor + (1 - floor) * exp(-minutes / scale)``."""

    def __init__(self, floor: float, scale_minutes: float) -> None:
        self.floor = floor
        self.span = 1.0 - floor
        self.rate = 1.0 / scale_minutes

    def value(self, minutes: float) -> float:
        return self.floor + self.span * math.exp(-minutes * self.rate)


class SumOfExponentialsFade(Fade):
    """``floor + sum_i weight_i * exp(-minutes / scale_i)``."""

    def __init__(self, floor: float, components: list[tuple[float, float]]) -> None:
        """*components*: ``(weight, scale in minutes)`` of each term."""
        self.floor = floor
        self.terms = [(weight, 1.0 / scale) for weight, scale in components]

    def value(self, minutes: float) -> float:
        # sum() of a list, not of a generator: the compiled kernel would turn a generator
        # into a plain loop of additions, and Python's sum() compensates rounding since 3.12.
        return self.floor + sum([weight * math.exp(-minutes * rate) for weight, rate in self.terms])


class WeibullFade(Fade):
    """``floor + (1 - floor) * exp(-(minutes / scale) ** shape)``."""

    def __init__(self, floor: float, scale_minutes: float, shape: float) -> None:
        self.floor = floor
        self.span = 1.0 - floor
        self.scale = scale_minutes
        self.shape = shape

    def value(self, minutes: float) -> float:
        return self.floor + self.span * math.exp(-((minutes / self.scale) ** self.shape))


class TableFade(Fade):
    """Linear interpolation between ``(minutes, value)`` points, flat outside them."""

    def __init__(self, times_minutes: list[float], values: list[float]) -> None:
        self.times = times_minutes
        self.values = values

    def value(self, minutes: float) -> float:
        times, values = self.times, self.values
        i = bisect.bisect_right(times, minutes)
        if i == 0:
            return values[0]
        if i == len(times):
            return values[-1]
        t0, t1, v0 = times[i - 1], times[i], values[i - 1]
        return v0 + (values[i] - v0) * (minutes - t0) / (t1 - t0)
