"""Tables for the terminal: a run's KPIs, a comparison side by side, a sweep's points.

Values are written by :mod:`sim.report.formatting`, as in the figures and the report.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd

from sim.engine.kpis import KPIS, Kpi
from sim.report.formatting import clip_interval, format_value, p_value_text

if TYPE_CHECKING:
    from sim.analysis.sweeps import SweepResult


def summary_table(summary: pd.DataFrame, title: str = "") -> str:
    """A plain-text table: KPI, mean and 95% confidence interval per row."""
    rows = [("KPI", "mean", "95% CI")]
    for name, row in summary.iterrows():
        kpi = KPIS.get(str(name))
        label = kpi.label if kpi else str(name)
        if math.isnan(row["half_width"]):
            ci = "n/a"
        else:
            low, high = clip_interval(kpi, row["ci_low"], row["ci_high"])
            ci = f"{format_value(kpi, low)} .. {format_value(kpi, high)}"
        rows.append((label, format_value(kpi, row["mean"]), ci))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [title] if title else []
    for i, (label, mean, ci) in enumerate(rows):
        lines.append(f"{label:<{widths[0]}}  {mean:>{widths[1]}}  {ci:<{widths[2]}}".rstrip())
        if i == 0:
            lines.append("-" * (sum(widths) + 4))
    return "\n".join(lines)


HEADLINE_KPIS = (
    "profit",
    "revenue",
    "won_share",
    "qualified_share",
    "speed_to_lead_median_minutes",
    "first_attempt_within_5m_share",
    "utilisation",
    "lost_opted_out",
)
"""The KPIs a comparison shows first (the comparison's own KPI is added at the top)."""


def _grid(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "-" * max(len(line) for line in lines))
    return "\n".join(lines)


def comparison_tables(
    summaries: dict[str, pd.DataFrame], differences: pd.DataFrame, kpi: str
) -> str:
    """Side-by-side means (± 95% CI half-width) per policy, then paired differences."""
    kpis = list(dict.fromkeys([kpi, *HEADLINE_KPIS]))
    labels = list(summaries)
    rows: list[tuple[str, ...]] = [("KPI", *labels)]
    for name in kpis:
        cells = []
        for label in labels:
            row = summaries[label].loc[name]
            half = (
                ""
                if math.isnan(row["half_width"])
                else f" ± {format_value(KPIS[name], row['half_width'])}"
            )
            cells.append(f"{format_value(KPIS[name], row['mean'])}{half}")
        rows.append((KPIS[name].label, *cells))
    diff_rows: list[tuple[str, ...]] = [("KPI", "policy", "difference", "relative", "95% CI", "p")]
    for name in kpis:
        for _, d in differences[differences["kpi"] == name].iterrows():
            unit = KPIS[name]
            sign = "+" if d["mean_difference"] > 0 else ""
            p = d["p_value"]
            diff_rows.append(
                (
                    unit.label,
                    str(d["policy"]),
                    f"{sign}{format_value(unit, d['mean_difference'])}"
                    if unit.unit != "share"
                    else f"{100 * d['mean_difference']:+.1f} pts",
                    "n/a"
                    if math.isnan(d["relative_difference"])
                    else f"{d['relative_difference']:+.1%}",
                    _signed_range(unit, d["ci_low"], d["ci_high"]),
                    p_value_text(p),
                )
            )
    return (
        _grid(rows)
        + "\n\nPaired differences against the baseline (same seeds, same leads):\n"
        + _grid(diff_rows)
    )


def _signed_range(kpi: Kpi, low: float, high: float) -> str:
    if math.isnan(low):
        return "n/a"
    if kpi.unit == "share":
        return f"{100 * low:+.1f} .. {100 * high:+.1f} pts"
    return f"{'+' if low > 0 else ''}{format_value(kpi, low)} .. {'+' if high > 0 else ''}{format_value(kpi, high)}"


def sweep_table(result: SweepResult, kpi: str, title: str = "") -> str:
    """One row per point: its parameter values and the KPI's mean ± CI half-width; best marked."""
    rows_of_kpi = result.summary[result.summary["kpi"] == kpi]
    best = int(result.best_point(kpi)["point"])
    header = ("", *result.parameters, f"{KPIS[kpi].label} (mean ± 95% CI)")
    rows: list[tuple[str, ...]] = [header]
    for _, row in rows_of_kpi.iterrows():
        value = format_value(KPIS[kpi], row["mean"])
        half = (
            ""
            if math.isnan(row["half_width"])
            else f" ± {format_value(KPIS[kpi], row['half_width'])}"
        )
        marker = "*" if int(row["point"]) == best else ""
        rows.append((marker, *(str(row[p]) for p in result.parameters), value + half))
    text = _grid(rows)
    return (f"{title}\n" if title else "") + text + "\n* best point"
