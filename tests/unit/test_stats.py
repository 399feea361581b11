"""Statistics over replications: t intervals, summaries and paired differences."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sim.analysis.stats import holm_adjusted, paired_differences, summarise, t_halfwidth


@pytest.mark.parametrize("n", [2, 3, 5, 20, 1000])
@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_t_halfwidth_is_scipys_t_interval(n: int, confidence: float) -> None:
    sd = 3.7
    _, high = stats.t.interval(confidence, n - 1, loc=0.0, scale=sd / math.sqrt(n))
    assert t_halfwidth(sd, n, confidence) == pytest.approx(high, rel=1e-12)


def test_t_halfwidth_needs_two_values_and_a_finite_sd() -> None:
    assert math.isnan(t_halfwidth(1.0, 1))
    assert math.isnan(t_halfwidth(math.inf, 10))
    assert math.isnan(t_halfwidth(math.nan, 10))
    assert t_halfwidth(0.0, 10) == 0.0


def test_summarise() -> None:
    table = pd.DataFrame(
        {
            "won": [1.0, 2.0, 3.0, 4.0, 5.0],
            "profit": [10.0, math.nan, 14.0, 10.0, 14.0],  # undefined in one replication
            "delay": [1.0, math.inf, 2.0, 3.0, 4.0],  # one lead never attempted
        }
    )
    summary = summarise(table)
    assert list(summary.index) == ["won", "profit", "delay"]
    won = summary.loc["won"]
    assert (won["n"], won["mean"]) == (5, 3.0)
    assert won["sd"] == pytest.approx(math.sqrt(2.5))
    half = stats.t.ppf(0.975, 4) * math.sqrt(2.5) / math.sqrt(5)
    assert won["half_width"] == pytest.approx(half)
    assert (won["ci_low"], won["ci_high"]) == pytest.approx((3.0 - half, 3.0 + half))
    profit = summary.loc["profit"]
    assert (profit["n"], profit["mean"]) == (4, 12.0)
    assert profit["sd"] == pytest.approx(np.std([10, 14, 10, 14], ddof=1))
    delay = summary.loc["delay"]
    assert delay["mean"] == math.inf and math.isnan(delay["sd"]) and math.isnan(delay["half_width"])


def test_summarise_one_replication_has_no_interval() -> None:
    one = summarise(pd.DataFrame({"won": [4.0]})).loc["won"]
    assert one["mean"] == 4.0 and math.isnan(one["ci_low"]) and math.isnan(one["ci_high"])


def test_paired_differences_match_a_paired_t_test() -> None:
    rng = np.random.default_rng(5)
    base = rng.normal(100, 10, 12)
    variant = base + rng.normal(3, 2, 12)
    result = paired_differences(pd.DataFrame({"won": base}), pd.DataFrame({"won": variant}))
    row = result.loc["won"]
    diff = variant - base
    assert row["n"] == 12
    assert row["baseline_mean"] == pytest.approx(base.mean())
    assert row["mean_difference"] == pytest.approx(diff.mean())
    low, high = stats.t.interval(0.95, 11, loc=diff.mean(), scale=stats.sem(diff))
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high))
    assert row["p_value"] == pytest.approx(stats.ttest_rel(variant, base).pvalue)
    assert row["relative_difference"] == pytest.approx(diff.mean() / base.mean())
    assert row["relative_ci_low"] == pytest.approx(low / base.mean())


def test_paired_differences_on_constructed_data() -> None:
    baseline = pd.DataFrame(
        {
            "same": [1.0, 2.0, 3.0, 4.0],
            "shifted": [1.0, 2.0, 3.0, 4.0],
            "gaps": [1.0, math.nan, 3.0, math.inf],
        }
    )
    variant = pd.DataFrame(
        {
            "same": [1.0, 2.0, 3.0, 4.0],
            "shifted": [2.0, 3.0, 4.0, 5.0],
            "gaps": [2.0, 5.0, 5.0, 1.0],
        }
    )
    result = paired_differences(baseline, variant)
    same, shifted, gaps = (result.loc[k] for k in ("same", "shifted", "gaps"))
    assert (same["mean_difference"], same["p_value"], same["ci_low"]) == (0.0, 1.0, 0.0)
    assert (shifted["mean_difference"], shifted["p_value"]) == (1.0, 0.0)
    assert shifted["relative_difference"] == pytest.approx(1 / 2.5)
    # Pairs with an undefined or infinite side are left out: (1, 2) and (3, 5) remain.
    assert (gaps["n"], gaps["baseline_mean"], gaps["mean_difference"]) == (2, 2.0, 1.5)


def test_holm_multiplies_the_smallest_p_by_the_number_of_tests_and_keeps_order() -> None:
    # Holm (1979): sorted p 0.01, 0.02, 0.04 x 3, 2, 1 = 0.03, 0.04, 0.04 (kept non-decreasing).
    assert holm_adjusted([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert holm_adjusted([0.5, 0.9]) == [1.0, 1.0]
    adjusted = holm_adjusted([0.03, float("nan")])
    assert adjusted[0] == pytest.approx(0.03) and math.isnan(adjusted[1])  # NaN is no test
