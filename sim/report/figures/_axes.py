"""Pieces several figures share: tick labels in a KPI's unit, titles, bars with 95% CIs."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.ticker import Formatter

from sim.engine.kpis import Kpi
from sim.report.formatting import clip_interval
from sim.report.style import PolicyStyle


class KpiTickFormatter(Formatter):
    """Tick labels in a KPI's unit with just enough decimals to tell neighbouring ticks apart.

    Shares as percentages (``62.5%``), money and counts shortened (``2.65M``, ``850k``),
    anything else as a plain number.
    """

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.step = 0.0
        self.largest = 0.0

    def set_locs(self, locs: Sequence[float]) -> None:
        super().set_locs(locs)
        values = np.sort(np.asarray(locs, dtype=float))
        values = values[np.isfinite(values)]
        self.step = float(np.min(np.diff(values))) if values.size > 1 else 0.0
        self.largest = float(np.max(np.abs(values))) if values.size else 0.0

    @staticmethod
    def _decimals(step: float) -> int:
        if step <= 0:
            return 1
        return int(min(4, max(0, -math.floor(math.log10(step) + 1e-9))))

    def __call__(self, value: float, pos: int | None = None) -> str:
        if value == 0:
            return "0%" if self.unit == "share" else "0"
        if self.unit == "share":
            return f"{100 * value:.{self._decimals(100 * self.step)}f}%"
        if self.unit in ("money", "count"):
            for limit, suffix in ((1e9, "bn"), (1e6, "M"), (1e3, "k")):
                if self.largest >= limit:
                    return f"{value / limit:.{self._decimals(self.step / limit)}f}{suffix}"
            return f"{value:,.{self._decimals(self.step)}f}"
        return f"{value:.{self._decimals(self.step)}f}"


def axis_formatter(kpi: Kpi) -> Formatter:
    """Tick labels in the KPI's unit, short enough for small panels."""
    return KpiTickFormatter(kpi.unit)


def direction(kpi: Kpi) -> str:
    """``' (higher is better)'``, ``' (lower is better)'`` or nothing, for a title."""
    if kpi.higher_is_better is True:
        return " (higher is better)"
    if kpi.higher_is_better is False:
        return " (lower is better)"
    return ""


def grid_shape(n: int) -> tuple[int, int]:
    """Rows and columns (at most 3) of small multiples for *n* panels."""
    cols = min(3, n)
    return math.ceil(n / cols), cols


def ci_errors(kpi: Kpi, row: pd.Series | None) -> tuple[float, float, float] | None:
    """``(mean, below, above)``: a summary row as a bar with error bars (CI clipped to
    feasible values; no bar when the mean is undefined, no whisker when the CI is)."""
    if row is None or not math.isfinite(float(row["mean"])):
        return None
    mean = float(row["mean"])
    low, high = clip_interval(kpi, float(row["ci_low"]), float(row["ci_high"]))
    return (
        mean,
        mean - low if math.isfinite(low) else 0,
        high - mean if math.isfinite(high) else 0,
    )


def bars_with_ci(
    ax: Any,
    positions: Sequence[float],
    means: Sequence[float],
    below: Sequence[float],
    above: Sequence[float],
    look: PolicyStyle,
    thickness: float,
    label: str,
    horizontal: bool = False,
) -> None:
    """One policy's bars (vertical, or horizontal) with black 95% CI whiskers."""
    error = {"xerr" if horizontal else "yerr": [below, above]}
    size = {"height" if horizontal else "width": thickness}
    draw = ax.barh if horizontal else ax.bar
    draw(
        positions,
        means,
        **size,
        **look.bars(),
        **error,
        capsize=3,
        error_kw={"elinewidth": 1, "ecolor": "black"},
        label=label,
    )
