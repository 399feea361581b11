"""Screening: which checks a lead goes through and the chance each drops it.

The deep check is a signal detection model: a lead's check score is N(0, 1) for
unrealistic leads and N(d', 1) for realistic ones; a lead is dropped below the
threshold. At strictness 0 the check has the scenario's error rates; strictness
moves the threshold by that many sd. The instant check drops obvious junk at its
catch rate and good leads at its (small) false-positive rate. One uniform number
per lead decides every step, each at its exact chance.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import norm

from policies.screening import DropChances, ScreeningPolicy, chances_kept
from sim.config.scenario import Screening
from sim.engine._screening import screen_decision
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


# --- which checks a lead goes through, and what they drop -----------------------------------

SCREENING = Screening()  # instant: catches 90% of obvious junk, drops 0.5% of good leads


def test_each_check_lists_its_steps() -> None:
    policy = ScreeningPolicy()
    assert policy.steps("none", SCREENING) == []
    assert policy.steps("instant", SCREENING) == [DropChances(0.9, 0.0, 0.005)]
    instant, deep = policy.steps("deep", SCREENING)
    assert instant == DropChances(0.9, 0.0, 0.005)
    # A rep who looks it up sees obvious junk; the rest at the deep check's error rates.
    assert deep == pytest.approx(DropChances(1.0, 1 - 0.5, 0.05))


def test_the_check_per_source() -> None:
    policy = ScreeningPolicy(
        check="instant", by_source={"purchased_list": "deep", "inbound": "none"}
    )
    assert [policy.check_for(s) for s in ("web", "purchased_list", "inbound")] == [
        "instant",
        "deep",
        "none",
    ]
    off = ScreeningPolicy(enabled=False, by_source={"purchased_list": "deep"})
    assert off.check_for("purchased_list") == "none"


def test_chances_kept_multiply_through_the_steps() -> None:
    kept = chances_kept(ScreeningPolicy().steps("deep", SCREENING))
    assert kept == pytest.approx(DropChances(0.0, 0.5, 0.995 * 0.95))
    assert chances_kept([]) == DropChances(1.0, 1.0, 1.0)


_GRID = [(i + 0.5) / 20_000 for i in range(20_000)]
"""Uniform numbers evenly spread over (0, 1): shares of it are exact probabilities."""


@pytest.mark.parametrize("check", ["none", "instant", "deep"])
@pytest.mark.parametrize("obvious_share", [0.0, 0.3, 1.0])
def test_one_uniform_number_per_lead_drops_each_kind_at_its_chance(
    check: str, obvious_share: float
) -> None:
    steps = ScreeningPolicy(strictness=0.4).steps(check, SCREENING)  # type: ignore[arg-type]
    kept = chances_kept(steps)
    fit_dropped = np.mean([screen_decision(u, True, obvious_share, steps)[1] for u in _GRID])
    assert fit_dropped == pytest.approx(1 - kept.realistic, abs=1e-4)
    unfit = [(u, screen_decision(u, False, obvious_share, steps)[1]) for u in _GRID]
    obvious = [dropped for u, dropped in unfit if u < obvious_share]
    subtle = [dropped for u, dropped in unfit if u >= obvious_share]
    if obvious:
        assert np.mean(obvious) == pytest.approx(1 - kept.obvious, abs=1e-3)
    if subtle:
        assert np.mean(subtle) == pytest.approx(1 - kept.subtle, abs=1e-3)


def test_a_deeper_check_drops_every_lead_the_instant_one_drops_and_times_both() -> None:
    policy = ScreeningPolicy()
    instant, deep = policy.steps("instant", SCREENING), policy.steps("deep", SCREENING)
    for fit in (True, False):
        for u in _GRID:
            checks, dropped = screen_decision(u, fit, 0.6, instant)
            deep_checks, deep_dropped = screen_decision(u, fit, 0.6, deep)
            assert checks == 1 and deep_dropped >= dropped
            assert deep_checks == (1 if dropped else 2)  # the deep check only if the first passes
