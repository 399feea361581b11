"""Screening: chances of dropping unrealistic and realistic leads, by signal detection theory.

A lead's check score is N(0, 1) for unrealistic leads and N(d', 1) for realistic
ones; a lead is dropped below the threshold. At strictness 0 the check has the
scenario's error rates; strictness moves the threshold by that many sd.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import norm

from policies.screening import ScreeningPolicy
from tests.unit.hypothesis_settings import UNIT

_rates = st.floats(0.001, 0.999)


def test_a_disabled_check_drops_nobody() -> None:
    assert ScreeningPolicy(enabled=False, strictness=1.0).drop_chances(0.3, 0.05) == (0.0, 0.0)


def test_standard_strictness_reproduces_the_scenarios_error_rates() -> None:
    drop_unfit, drop_fit = ScreeningPolicy().drop_chances(0.3, 0.05)
    assert drop_unfit == pytest.approx(1 - 0.3)  # 30% of unrealistic leads get through
    assert drop_fit == pytest.approx(0.05)  # 5% of realistic leads are wrongly dropped


@UNIT
@given(_rates, _rates, st.floats(-1.5, 1.5))
def test_the_signal_detection_formula(fn: float, fp: float, strictness: float) -> None:
    threshold = norm.ppf(1 - fn) + strictness
    separation = norm.ppf(1 - fn) - norm.ppf(fp)
    drop_unfit, drop_fit = ScreeningPolicy(strictness=strictness).drop_chances(fn, fp)
    assert drop_unfit == pytest.approx(norm.cdf(threshold), abs=1e-9)
    assert drop_fit == pytest.approx(norm.cdf(threshold - separation), abs=1e-9)


@UNIT
@given(_rates, _rates, st.floats(-1.5, 1.5), st.floats(0.01, 1.5))
def test_stricter_drops_more_of_both(fn: float, fp: float, strictness: float, step: float) -> None:
    lax = ScreeningPolicy(strictness=strictness).drop_chances(fn, fp)
    strict = ScreeningPolicy(strictness=min(1.5, strictness + step)).drop_chances(fn, fp)
    assert strict[0] >= lax[0] and strict[1] >= lax[1]
    assert all(0.0 <= chance <= 1.0 for chance in (*lax, *strict))


def test_rates_of_zero_and_one_are_kept_just_inside_the_unit_interval() -> None:
    drop_unfit, drop_fit = ScreeningPolicy().drop_chances(0.0, 0.0)
    assert drop_unfit == pytest.approx(1.0, abs=1e-8) and drop_fit == pytest.approx(0.0, abs=1e-8)
    drop_unfit, drop_fit = ScreeningPolicy().drop_chances(1.0, 1.0)
    assert drop_unfit == pytest.approx(0.0, abs=1e-8) and drop_fit == pytest.approx(1.0, abs=1e-8)
