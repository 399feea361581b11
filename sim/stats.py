"""Statistics over replications: means with t-based 95% confidence intervals.

Replications are independent and identically distributed, so for each KPI the
mean over *n* replications has a Student-t confidence interval
``mean ± t(0.975, n-1) · sd / √n``. Paired comparisons (two cadences on the same
seeds) use the same formula on per-replication differences.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

CONFIDENCE = 0.95


def t_halfwidth(sd: float, n: int, confidence: float = CONFIDENCE) -> float:
    """Half-width of the t confidence interval of a mean of *n* values with std dev *sd*."""
    if n < 2 or not math.isfinite(sd):
        return math.nan
    return float(stats.t.ppf(0.5 + confidence / 2, n - 1)) * sd / math.sqrt(n)


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
