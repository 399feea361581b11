"""Where the cohort's leads end up: the funnel, and the reasons leads were lost.

Both are grouped bars, a group per stage or reason and a bar per policy, with
95% confidence intervals as whiskers (:func:`~sim.report.figures._axes.bars_with_ci`).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from sim.engine.kpis import KPIS
from sim.report.figures._axes import bars_with_ci, ci_errors
from sim.report.formatting import format_kpi, kpi_of, weeks_text
from sim.report.run_data import summary_value
from sim.report.style import new_figure, policy_styles, style

FUNNEL_STAGES = (
    ("Reached", "reached_share"),
    ("Qualified", "qualified_share"),
    ("Won", "won_share"),
)
"""Bars of the funnel: a label and the share KPI (of every lead in the cohort: 100% is all of
them, so no bar is spent on it)."""


def funnel_figure(summary: pd.DataFrame, policies: Sequence[str] | None = None) -> Figure:
    """Grouped bars: share of cohort leads reached, qualified and won per policy (95% CI)."""
    policies = list(policies or dict.fromkeys(summary["policy"]))
    styles = policy_styles(policies)
    n = len(policies)
    width = 0.8 / n
    with style():
        fig = new_figure(max(7.0, 1.6 + 1.1 * len(FUNNEL_STAGES) * max(1, n / 2)), 3.6)
        ax = fig.subplots()
        tallest = 0.0
        for i, policy in enumerate(policies):
            xs, heights, lows, highs = [], [], [], []
            for j, (_, name) in enumerate(FUNNEL_STAGES):
                bar = ci_errors(KPIS[name], summary_value(summary, policy, name))
                if bar is None:
                    continue
                xs.append(j - 0.4 + width * (i + 0.5))
                heights.append(bar[0])
                lows.append(bar[1])
                highs.append(bar[2])
            bars_with_ci(ax, xs, heights, lows, highs, styles[policy], width * 0.92, policy)
            tallest = max([tallest, *(h + up for h, up in zip(heights, highs, strict=True))])
            for x, h, up in zip(xs, heights, highs, strict=True):
                ax.annotate(
                    f"{100 * h:.1f}%",
                    (x, h + up),
                    xytext=(0, 3),
                    textcoords="offset points",
                    ha="center",
                    va="bottom",
                    fontsize=8 if n <= 3 else 7,
                    rotation=0 if n <= 3 else 90,
                )
        ax.set_xticks(range(len(FUNNEL_STAGES)), [s for s, _ in FUNNEL_STAGES])
        ax.set_ylim(0, min(1.0, tallest) * (1.2 if n <= 3 else 1.35) or 1.0)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
        ax.set_ylabel("Share of all cohort leads (%)")
        ax.grid(axis="x", visible=False)
        ax.legend(loc="upper right", title="policy")
        ax.set_title("Lead funnel: how many leads get reached, qualified and won (95% CI)")
    return fig


def lost_reasons_figure(
    summary: pd.DataFrame,
    policies: Sequence[str] | None = None,
    window_weeks: float | None = None,
) -> Figure:
    """Grouped bars: leads lost per reason (``lost_*`` KPI means with 95% CI) per policy."""
    policies = list(policies or dict.fromkeys(summary["policy"]))
    styles = policy_styles(policies)
    reasons = [k for k in dict.fromkeys(summary["kpi"]) if str(k).startswith("lost_")]
    known = [k for k in KPIS if k.startswith("lost_")]
    reasons.sort(key=lambda k: known.index(k) if k in known else len(known))
    n = len(policies)
    height = 0.8 / n
    with style():
        fig = new_figure(9.5, 1.3 + len(reasons) * (0.25 + 0.17 * n))
        ax = fig.subplots()
        top = 0.0
        for i, policy in enumerate(policies):
            ys, widths, lows, highs = [], [], [], []
            for j, name in enumerate(reasons):
                bar = ci_errors(kpi_of(name), summary_value(summary, policy, name))
                if bar is None:
                    continue
                ys.append(len(reasons) - 1 - j + 0.4 - height * (i + 0.5))
                widths.append(bar[0])
                lows.append(bar[1])
                highs.append(bar[2])
                top = max(top, bar[0] + bar[2])
            bars_with_ci(
                ax, ys, widths, lows, highs, styles[policy], height * 0.9, policy, horizontal=True
            )
            for y, w, up in zip(ys, widths, highs, strict=True):
                ax.annotate(
                    format_kpi("lost_never_reached", w),  # a number of leads
                    (w + up, y),
                    xytext=(4, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize=7.5,
                )
        labels = [kpi_of(r).label.removeprefix("Lost: ") for r in reasons]
        ax.set_yticks(range(len(reasons))[::-1], labels)
        ax.set_xlim(0, top * 1.15 if top > 0 else 1)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        ax.set_xlabel(
            f"Leads lost per {weeks_text(window_weeks)} cohort (mean of replications, 95% CI)"
        )
        ax.grid(axis="y", visible=False)
        ax.tick_params(axis="y", length=0)
        if n > 1:
            ax.legend(loc="lower right", title="policy")
        ax.set_title("Why leads were lost")
    return fig
