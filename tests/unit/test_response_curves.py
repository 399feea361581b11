"""Response curves: ``value`` and ``compile`` agree, curves fade, crossings are found."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from sim.config.response_curves import ResponseCurve, minutes_until_below
from tests.unit.hypothesis_settings import UNIT

CURVES = TypeAdapter(ResponseCurve)
TIMES = [0.0, 0.5, 1.0, 5.0, 30.0, 60.0, 600.0, 1440.0, 10080.0, 100_000.0]

EXAMPLES = {
    "exponential": {"family": "exponential", "scale": "1h", "floor": 0.1},
    "sum_of_exponentials": {
        "family": "sum_of_exponentials",
        "components": [{"weight": 0.6, "scale": "10m"}, {"weight": 0.35, "scale": "1d"}],
        "floor": 0.05,
    },
    "weibull": {"family": "weibull", "scale": "5m30s", "shape": 2, "floor": 0.01},
    "table": {"family": "table", "points": [[0, 1.0], ["1h", 0.5], ["1d", 0.2]]},
}


@pytest.fixture(params=list(EXAMPLES), ids=list(EXAMPLES))
def curve(request: pytest.FixtureRequest) -> object:
    return CURVES.validate_python(EXAMPLES[request.param])


def test_value_and_compile_agree(curve: object) -> None:
    compiled = curve.compile()  # type: ignore[attr-defined]
    for t in TIMES:
        assert compiled(t) == pytest.approx(curve.value(t), rel=1e-12)  # type: ignore[attr-defined]


def test_curves_start_at_one_and_fade_to_their_floor(curve: object) -> None:
    values = [curve.value(t) for t in TIMES]  # type: ignore[attr-defined]
    assert values[0] == pytest.approx(1.0)
    assert all(b <= a for a, b in itertools.pairwise(values))
    floor = getattr(curve, "floor", 0.2)
    assert values[-1] == pytest.approx(floor, abs=1e-6)


def test_known_values() -> None:
    exponential = CURVES.validate_python(EXAMPLES["exponential"])
    assert exponential.value(60.0) == pytest.approx(0.1 + 0.9 / math.e)
    weibull = CURVES.validate_python(EXAMPLES["weibull"])
    assert weibull.value(5.5) == pytest.approx(0.01 + 0.99 / math.e)
    table = CURVES.validate_python(EXAMPLES["table"])
    assert table.value(30.0) == pytest.approx(0.75)  # halfway between (0, 1) and (1h, 0.5)
    assert table.value(-5.0) == 1.0 and table.value(1e9) == 0.2  # flat outside
    constant = CURVES.validate_python({"family": "table", "points": [[0, 0.3], [60, 0.3]]})
    assert constant.value(1e6) == 0.3


_parametric = st.one_of(
    st.builds(
        lambda scale, floor: {"family": "exponential", "scale": scale, "floor": floor},
        st.floats(0.1, 1e5),
        st.floats(0, 0.9),
    ),
    st.builds(
        lambda scale, shape, floor: {
            "family": "weibull",
            "scale": scale,
            "shape": shape,
            "floor": floor,
        },
        st.floats(0.1, 1e5),
        st.floats(0.2, 5),
        st.floats(0, 0.9),
    ),
    st.builds(
        lambda w, s1, s2, floor: {
            "family": "sum_of_exponentials",
            "components": [
                {"weight": w * (1 - floor), "scale": s1},
                {"weight": (1 - w) * (1 - floor), "scale": s2},
            ],
            "floor": floor,
        },
        st.floats(0, 1),
        st.floats(0.1, 1e5),
        st.floats(0.1, 1e5),
        st.sampled_from([0.0, 0.05, 0.25]),
    ),
)


@UNIT
@given(_parametric, st.lists(st.floats(0, 1e6), min_size=2, max_size=10))
def test_parametric_curves_agree_and_never_rise(
    data: dict[str, object], times: list[float]
) -> None:
    curve = CURVES.validate_python(data)
    compiled = curve.compile()
    assert curve.value(0.0) == pytest.approx(1.0)
    values = [compiled(t) for t in sorted(times)]
    for t, v in zip(sorted(times), values, strict=True):
        assert v == pytest.approx(curve.value(t), rel=1e-9, abs=1e-12)
        assert curve.floor - 1e-12 <= v <= 1.0 + 1e-12
    assert all(b <= a + 1e-12 for a, b in itertools.pairwise(values))


@UNIT
@given(st.floats(0.5, 1e4), st.floats(0, 0.5), st.floats(0.55, 0.99))
def test_minutes_until_below_matches_the_exponential_formula(
    scale: float, floor: float, level: float
) -> None:
    curve = CURVES.validate_python({"family": "exponential", "scale": scale, "floor": floor})
    exact = -scale * math.log((level - floor) / (1 - floor))
    assert minutes_until_below(curve, level) == pytest.approx(exact, rel=1e-9)


def test_minutes_until_below() -> None:
    table = CURVES.validate_python(EXAMPLES["table"])
    assert minutes_until_below(table, 0.75) == pytest.approx(30.0)
    assert minutes_until_below(table, 0.2) == math.inf  # never below its last point
    exponential = CURVES.validate_python(EXAMPLES["exponential"])
    assert minutes_until_below(exponential, 0.1) == math.inf  # the floor is never crossed
    assert minutes_until_below(exponential, 1.5) == pytest.approx(0.0, abs=1e-9)  # below at once


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"family": "sum_of_exponentials", "components": [{"weight": 0.5, "scale": 10}]},
            "must add up to 1, got 0.5",
        ),
        ({"family": "table", "points": [[60, 0.5], [30, 0.2]]}, "strictly increasing time"),
        ({"family": "exponential", "scale": 0}, "greater than 0"),
        ({"family": "weibull", "scale": 5, "shape": 1, "floor": 1.5}, "less than or equal to 1"),
        ({"family": "logistic", "scale": 5}, "does not match any of the expected tags"),
    ],
)
def test_bad_curves(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        CURVES.validate_python(data)
