"""Fades compute each response curve bit for bit as the curve's closures did before them.

The references below are the ``compile()`` closures the engine called until the fades
replaced them (same operations, same order); seeded results depend on every bit, so the
comparison is ``==`` on the float, not approximate. Under the compiled kernel this checks
the compiled fades; with ``SALESPULSE_PURE_PYTHON=1``, their source.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable

import pytest
from pydantic import TypeAdapter

from sim.config import Fade
from sim.config.fades import ConstantFade, TableFade
from sim.config.response_curves import ResponseCurve

CURVES = TypeAdapter(ResponseCurve)

MINUTES = [
    *(0.0, 1e-300, 1e-9, 0.5, 1.0, 3.0, 5.0, 9.999999, 10.0, 30.0, 59.99999, 60.0, 60.00001),
    *(61.0, 600.0, 1440.0, 1440.0000001, 10080.0, 100_000.0, 1e7, 1e9, 1e12, math.inf),
]
"""Zero, tiny, the tables' points and either side of them, far beyond, and infinity."""


def _exponential(curve: dict) -> Callable[[float], float]:
    floor, span, rate, exp = curve["floor"], 1.0 - curve["floor"], 1.0 / curve["scale"], math.exp
    return lambda minutes: floor + span * exp(-minutes * rate)


def _sum_of_exponentials(curve: dict) -> Callable[[float], float]:
    floor, exp = curve["floor"], math.exp
    terms = tuple((c["weight"], 1.0 / c["scale"]) for c in curve["components"])
    return lambda minutes: floor + sum(weight * exp(-minutes * rate) for weight, rate in terms)


def _weibull(curve: dict) -> Callable[[float], float]:
    floor, span, scale, shape, exp = (
        curve["floor"],
        1.0 - curve["floor"],
        curve["scale"],
        curve["shape"],
        math.exp,
    )
    return lambda minutes: floor + span * exp(-((minutes / scale) ** shape))


def _table(curve: dict) -> Callable[[float], float]:
    times = [t for t, _ in curve["points"]]
    values = [v for _, v in curve["points"]]
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


REFERENCES = {
    "exponential": _exponential,
    "sum_of_exponentials": _sum_of_exponentials,
    "weibull": _weibull,
    "table": _table,
}

EXAMPLES = {
    "exponential": {"family": "exponential", "scale": 70.0, "floor": 0.084},
    "exponential_no_floor": {"family": "exponential", "scale": 86400.0, "floor": 0.0},
    "sum_of_two": {
        "family": "sum_of_exponentials",
        "components": [{"weight": 0.6, "scale": 10.0}, {"weight": 0.35, "scale": 1440.0}],
        "floor": 0.05,
    },
    "sum_of_three": {
        "family": "sum_of_exponentials",
        "components": [
            {"weight": 0.3, "scale": 3.0},
            {"weight": 0.3, "scale": 70.0},
            {"weight": 0.3, "scale": 10080.0},
        ],
        "floor": 0.1,
    },
    "weibull": {"family": "weibull", "scale": 10.0, "shape": 2.0, "floor": 0.2},
    "weibull_stretched": {"family": "weibull", "scale": 20160.0, "shape": 0.7, "floor": 0.0},
    "table": {
        "family": "table",
        "points": [(5.0, 1.0), (60.0, 0.5), (1440.0, 0.2), (10080.0, 0.1)],
    },
    "table_of_one_point": {"family": "table", "points": [(60.0, 0.4)]},
    "table_constant": {"family": "table", "points": [(0.0, 0.3), (60.0, 0.3)]},
}


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_each_fade_equals_its_former_closure_bit_for_bit(name: str) -> None:
    example = EXAMPLES[name]
    curve = CURVES.validate_python(example)
    fade = curve.compile()
    reference = REFERENCES[example["family"]]({"floor": 0.0, **example})
    assert isinstance(fade, Fade)
    for minutes in MINUTES:
        expected = reference(minutes)
        assert fade.value(minutes).hex() == expected.hex(), minutes
        assert fade(minutes).hex() == expected.hex(), minutes  # Python callers call it
        assert curve.value(minutes).hex() == expected.hex(), minutes  # one formula


def test_a_table_is_flat_outside_its_points_and_constant_when_its_values_are() -> None:
    table = CURVES.validate_python(EXAMPLES["table"]).compile()
    assert isinstance(table, TableFade)
    assert table.value(0.0) == table.value(5.0) == 1.0
    assert table.value(10080.0) == table.value(math.inf) == 0.1
    assert table.value(32.5) == 0.75  # halfway between (5m, 1) and (1h, 0.5)
    constant = CURVES.validate_python(EXAMPLES["table_constant"]).compile()
    assert isinstance(constant, ConstantFade) and constant.value(1e9) == 0.3
