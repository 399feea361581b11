"""Numbers for people: KPI values and summary tables formatted by unit."""

from __future__ import annotations

import math

import pandas as pd

from sim.kpis import KPIS, Kpi


def _readable_minutes(value: float) -> str:
    if value < 1:
        return f"{value * 60:.0f} s"
    if value < 60:
        return f"{value:.1f} min"
    if value < 1440:
        return f"{value / 60:.1f} h"
    return f"{value / 1440:.1f} d"


def format_value(kpi: Kpi | None, value: float) -> str:
    """``0.6555`` -> ``'65.6%'`` for a share, ``1234567.8`` -> ``'1,234,568'`` for money, ..."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "never" if kpi and kpi.unit == "minutes" else ("inf" if value > 0 else "-inf")
    unit = kpi.unit if kpi else "ratio"
    if unit == "share":
        return f"{100 * value:.1f}%"
    if unit == "money":
        return f"{value:,.0f}"
    if unit == "minutes":
        return _readable_minutes(value)
    if unit == "count":
        return f"{value:,.1f}" if abs(value) < 100 and value != round(value) else f"{value:,.0f}"
    if unit == "hours":
        return f"{value:,.1f} h"
    return f"{value:,.3g}"


_NON_NEGATIVE = {"share", "count", "minutes", "hours", "ratio"}


def _feasible(kpi: Kpi | None, low: float, high: float) -> tuple[float, float]:
    """A t-interval clipped to values the KPI can take (a share stays within 0-100%)."""
    if kpi is None or kpi.unit not in _NON_NEGATIVE:
        return low, high
    low, high = max(low, 0.0), max(high, 0.0)
    if kpi.unit == "share":
        low, high = min(low, 1.0), min(high, 1.0)
    return low, high


def summary_table(summary: pd.DataFrame, title: str = "") -> str:
    """A plain-text table: KPI, mean and 95% confidence interval per row."""
    rows = [("KPI", "mean", "95% CI")]
    for name, row in summary.iterrows():
        kpi = KPIS.get(str(name))
        label = kpi.label if kpi else str(name)
        if math.isnan(row["half_width"]):
            ci = "n/a"
        else:
            low, high = _feasible(kpi, row["ci_low"], row["ci_high"])
            ci = f"{format_value(kpi, low)} .. {format_value(kpi, high)}"
        rows.append((label, format_value(kpi, row["mean"]), ci))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [title] if title else []
    for i, (label, mean, ci) in enumerate(rows):
        lines.append(f"{label:<{widths[0]}}  {mean:>{widths[1]}}  {ci:<{widths[2]}}".rstrip())
        if i == 0:
            lines.append("-" * (sum(widths) + 4))
    return "\n".join(lines)
