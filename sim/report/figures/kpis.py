"""Key results: each KPI per policy with its 95% CI, and each variant's paired change.

:func:`kpi_comparison_figure` draws small multiples of the KPIs' means;
:func:`differences_figure` draws the paired differences against the baseline
(bars with whiskers), relative to the baseline's mean where that is defined.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.report.figures._axes import axis_formatter, direction, grid_shape
from sim.report.formatting import (
    clip_interval,
    format_value,
    kpi_of,
    signed_interval,
    unit_words,
    weeks_text,
)
from sim.report.run_data import kpi_rows, summary_value
from sim.report.style import new_figure, policy_styles, style

DEFAULT_KPIS = (
    "profit",
    "won_share",
    "first_attempt_within_5m_share",
    "utilisation",
    "repeat_revenue",
    "lost_opted_out",
)


def _panels(
    n_kpis: int, n_rows: int, panel_width: float, row_height: float
) -> tuple[Figure, np.ndarray, np.ndarray]:
    """Small multiples, a panel per KPI (at most 3 a row) sharing one y axis of *n_rows*
    labels: the figure, its axes (flat) and the y position of each label (first on top)."""
    rows, cols = grid_shape(max(n_kpis, 1))
    fig = new_figure(panel_width * cols, 0.9 + rows * row_height)
    axes = np.atleast_1d(fig.subplots(rows, cols, sharey=True, squeeze=False)).ravel()
    return fig, axes, np.arange(n_rows)[::-1]


def _label_panels(axes: np.ndarray, used: int, positions: np.ndarray, labels: list[str]) -> None:
    """Hide the panels no KPI uses and label the shared y axis."""
    for ax in axes[used:]:
        ax.set_visible(False)
    axes[0].set_yticks(positions, labels)
    for ax in axes:
        ax.tick_params(axis="y", length=0)


def kpi_comparison_figure(
    summary: pd.DataFrame,
    kpis: Sequence[str] = DEFAULT_KPIS,
    baseline: str | None = None,
    policies: Sequence[str] | None = None,
    window_weeks: float | None = None,
) -> Figure:
    """Small multiples: each KPI's mean per policy with its 95% confidence interval."""
    policies = list(policies or dict.fromkeys(summary["policy"]))
    kpis = [k for k in kpis if not kpi_rows(summary, k).empty]
    styles = policy_styles(policies)
    with style():
        fig, axes, positions = _panels(len(kpis), len(policies), 4.1, 1.1 + 0.42 * len(policies))
        for ax, name in zip(axes, kpis, strict=False):
            kpi = kpi_of(name)
            for y, policy in zip(positions, policies, strict=True):
                row = summary_value(summary, policy, name)
                if row is None or not math.isfinite(float(row["mean"])):
                    continue  # undefined (no leads) or infinite (never attempted): nothing to draw
                look = styles[policy]
                mean = float(row["mean"])
                low, high = clip_interval(kpi, float(row["ci_low"]), float(row["ci_high"]))
                if math.isfinite(low) and math.isfinite(high):
                    ax.errorbar(
                        [mean],
                        [y],
                        xerr=[[mean - low], [high - mean]],
                        color=look.color,
                        marker=look.marker,
                        markersize=8,
                        capsize=4,
                        linewidth=2,
                    )
                else:
                    ax.plot([mean], [y], color=look.color, marker=look.marker, markersize=8)
                ax.annotate(
                    format_value(kpi, mean),
                    (mean, y),
                    xytext=(0, 7),
                    textcoords="offset points",
                    ha="center",
                    fontsize=8,
                )
            if baseline in policies and len(policies) > 1:
                base = summary_value(summary, baseline, name)
                if base is not None:
                    ax.axvline(float(base["mean"]), color="#888888", linestyle=":", linewidth=1)
            ax.set_title(kpi.label + direction(kpi), fontsize=10)
            ax.xaxis.set_major_formatter(axis_formatter(kpi))
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.set_xlabel(unit_words(kpi))
            ax.set_ylim(-0.7, len(policies) - 0.3)
            ax.margins(x=0.15)
            ax.grid(axis="y", visible=False)
        _label_panels(axes, len(kpis), positions, policies)
        window = weeks_text(window_weeks)
        fig.suptitle(
            f"Key results per policy over the {window} window (mean of replications, 95% CI)"
        )
    return fig


def differences_figure(
    differences: pd.DataFrame,
    kpis: Sequence[str] = DEFAULT_KPIS,
    baseline: str = "baseline",
    policies: Sequence[str] | None = None,
) -> Figure:
    """Paired differences of each variant against the baseline: relative change with 95% CI."""
    variants = [p for p in (policies or dict.fromkeys(differences["policy"])) if p != baseline]
    styles = policy_styles([baseline, *variants])
    kpis = [k for k in kpis if not kpi_rows(differences, k).empty]
    with style():
        fig, axes, positions = _panels(len(kpis), len(variants), 4.3, 1.2 + 0.55 * len(variants))
        for ax, name in zip(axes, kpis, strict=False):
            kpi = kpi_of(name)
            table = differences[differences["kpi"] == name].set_index("policy")
            relative = all(
                math.isfinite(float(table.loc[v, "relative_difference"]))
                for v in variants
                if v in table.index
            )
            extent = 0.0
            for y, policy in zip(positions, variants, strict=True):
                if policy not in table.index:
                    continue
                d = table.loc[policy]
                if relative:
                    mid, low, high = (
                        float(d["relative_difference"]),
                        float(d["relative_ci_low"]),
                        float(d["relative_ci_high"]),
                    )
                    text = f"{mid:+.1%} ({low:+.1%} to {high:+.1%})"
                else:
                    mid, low, high = (
                        float(d["mean_difference"]),
                        float(d["ci_low"]),
                        float(d["ci_high"]),
                    )
                    text = signed_interval(name, mid, low, high)
                if not math.isfinite(mid):
                    continue
                look = styles[policy]
                ax.barh(
                    y,
                    mid,
                    height=0.5,
                    alpha=0.9,
                    **look.bars(),
                )
                if math.isfinite(low) and math.isfinite(high):
                    ax.errorbar(
                        [mid],
                        [y],
                        xerr=[[mid - low], [high - mid]],
                        color="black",
                        capsize=4,
                        linewidth=1.4,
                    )
                    extent = max(extent, abs(low), abs(high))
                ax.text(  # in the gap above the bar: never on a bar or a whisker
                    0.01,
                    y + 0.3,
                    text,
                    transform=ax.get_yaxis_transform(),
                    ha="left",
                    va="bottom",
                    fontsize=8,
                )
            ax.axvline(0, color="black", linewidth=1)
            if extent > 0:
                ax.set_xlim(-1.15 * extent, 1.15 * extent)
            if relative:
                ax.xaxis.set_major_formatter(
                    FuncFormatter(lambda v, _: f"{100 * v:+.3g}%" if abs(v) > 1e-12 else "0%")
                )
                ax.set_xlabel(f"change relative to {baseline}")
            else:
                ax.xaxis.set_major_formatter(axis_formatter(kpi))
                ax.set_xlabel(f"difference from {baseline} ({unit_words(kpi)})")
            ax.xaxis.set_major_locator(MaxNLocator(5, symmetric=True))
            ax.set_title(kpi.label + direction(kpi), fontsize=10)
            ax.set_ylim(-0.5, len(variants) - 0.05)
            ax.grid(axis="y", visible=False)
        _label_panels(axes, len(kpis), positions, variants)
        fig.suptitle(f"Change against {baseline} on the same simulated leads (paired, 95% CI)")
    return fig
