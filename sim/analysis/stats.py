"""Statistics over replications: means with t-based 95% confidence intervals.

Replications are independent and identically distributed, so for each KPI the
mean over *n* replications has a Student-t confidence interval
``mean ± t(0.975, n-1) · sd / √n``. Paired comparisons (two cadences on the same
seeds) use the same formula on per-replication differences.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special

from sim.config.units import Z_95

CONFIDENCE = 0.95
ALPHA = 1 - CONFIDENCE
"""Significance level of every test: a difference is called when its p-value is below 5%."""


def t_halfwidth(sd: float, n: int, confidence: float = CONFIDENCE) -> float:
    """Half-width of the t confidence interval of a mean of *n* values with std dev *sd*."""
    if n < 2 or not math.isfinite(sd):
        return math.nan
    # Student's t quantile (what scipy.stats.t.ppf computes, without importing scipy.stats).
    return float(special.stdtrit(n - 1, 0.5 + confidence / 2)) * sd / math.sqrt(n)


def summarise(replications: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """One row per KPI column: n, mean, sd, ci_low, ci_high, half_width.

    Replications where a KPI is undefined (NaN, e.g. no leads) are left out of
    that KPI's statistics; infinite values (a quantile of leads never
    attempted) make the mean infinite and the interval undefined.
    """
    rows = []
    for kpi in replications.columns:
        values = replications[kpi].to_numpy(dtype=float)
        values = values[~np.isnan(values)]
        n = values.size
        mean = float(values.mean()) if n else math.nan
        sd = float(values.std(ddof=1)) if n > 1 and np.isfinite(values).all() else math.nan
        half = t_halfwidth(sd, n, confidence)
        rows.append(
            {
                "kpi": kpi,
                "n": n,
                "mean": mean,
                "sd": sd,
                "ci_low": mean - half,
                "ci_high": mean + half,
                "half_width": half,
            }
        )
    return pd.DataFrame(rows).set_index("kpi")


def paired_differences(
    baseline: pd.DataFrame, variant: pd.DataFrame, confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Per KPI, the variant minus the baseline over the same replications (same seeds).

    Columns: n, baseline_mean, mean_difference, ci_low, ci_high, relative_difference,
    relative_ci_low, relative_ci_high (relative to the baseline mean, which is
    treated as known), p_value (two-sided paired t-test).
    """
    rows = []
    for kpi in baseline.columns:
        pair = pd.DataFrame({"b": baseline[kpi], "v": variant[kpi]}).dropna()
        pair = pair[np.isfinite(pair["b"]) & np.isfinite(pair["v"])]
        diff = (pair["v"] - pair["b"]).to_numpy(dtype=float)
        n = diff.size
        mean = float(diff.mean()) if n else math.nan
        sd = float(diff.std(ddof=1)) if n > 1 else math.nan
        half = t_halfwidth(sd, n, confidence)
        if n < 2:
            p_value = math.nan
        elif sd == 0:
            p_value = 1.0 if mean == 0 else 0.0
        else:
            p_value = float(2 * special.stdtr(n - 1, -abs(mean) / (sd / math.sqrt(n))))
        base_mean = float(pair["b"].mean()) if n else math.nan
        scale = abs(base_mean) if base_mean else math.nan
        rows.append(
            {
                "kpi": kpi,
                "n": n,
                "baseline_mean": base_mean,
                "mean_difference": mean,
                "ci_low": mean - half,
                "ci_high": mean + half,
                "relative_difference": mean / scale,
                "relative_ci_low": (mean - half) / scale,
                "relative_ci_high": (mean + half) / scale,
                "p_value": p_value,
            }
        )
    return pd.DataFrame(rows).set_index("kpi")


def holm_adjusted(p_values: list[float]) -> list[float]:
    """Holm's step-down adjustment of *p_values* (same order), for testing several at once.

    With m tests, the smallest p-value is multiplied by m, the next by m - 1, and so
    on, each kept at least as large as the one before and at most 1. Calling every
    test whose adjusted p-value is below alpha keeps the chance of any false call at
    or below alpha, however many variants a comparison has. NaN stays NaN.
    """
    finite = [(p, i) for i, p in enumerate(p_values) if not math.isnan(p)]
    adjusted = [math.nan] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(sorted(finite)):
        running = max(running, min(1.0, (len(finite) - rank) * p))
        adjusted[i] = running
    return adjusted


def wilson_interval(events: float, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson's score interval for a share of *events* in *n* (95% by default).

    Unlike ``p ± z·√(p(1-p)/n)`` it stays inside [0, 1] and is not empty at 0 or n
    events, so it suits the share of worlds in which a variant wins.
    """
    if n <= 0:
        return math.nan, math.nan
    p = events / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def lower_tail_mean(values: np.ndarray, share: float) -> float:
    """The mean of the lowest *share* of *values* (the conditional value at risk, CVaR).

    Exact for any share: with n values, the lowest ``floor(share·n)`` count fully
    and the next one with the remaining weight, e.g. the lowest 25% of 1..10 is
    ``(1 + 2 + 0.5·3) / 2.5 = 1.8``. A share of 1 gives the mean.
    """
    ordered = np.sort(np.asarray(values, dtype=float))
    if not 0 < share <= 1 or ordered.size == 0:
        raise ValueError(f"expected a share in (0, 1] of at least one value, got {share}")
    weight = share * ordered.size
    whole = math.floor(weight + 1e-9)
    total = float(ordered[:whole].sum())
    if whole < ordered.size and weight > whole:
        total += (weight - whole) * float(ordered[whole])
    return total / weight


RiskStatistic = Literal["mean", "quantile", "cvar"]
"""How a tuning objective summarises a KPI over plausible worlds: ``mean``, ``quantile`` or ``cvar``."""


def risk_adjusted(
    values: np.ndarray, statistic: RiskStatistic, level: float, higher_is_better: bool = True
) -> float:
    """A KPI over plausible worlds as one number to optimise, judged on its bad tail.

    ``mean`` is the plain mean. ``quantile`` is the value the KPI beats in all but a
    *level* share of worlds: the *level* quantile when higher is better (the 10th
    percentile of profit for 0.1), the ``1 - level`` quantile when lower is better.
    ``cvar`` is the mean of that worst *level* share (:func:`lower_tail_mean`).
    """
    values = np.asarray(values, dtype=float)
    if statistic == "mean":
        return float(values.mean())
    if statistic == "quantile":
        return float(np.quantile(values, level if higher_is_better else 1 - level))
    if statistic == "cvar":
        return (
            lower_tail_mean(values, level) if higher_is_better else -lower_tail_mean(-values, level)
        )
    raise ValueError(f"unknown statistic {statistic!r}; expected mean, quantile or cvar")
