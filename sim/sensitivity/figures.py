"""Figures of a sensitivity analysis: a tornado of low-versus-high effects and a Sobol bar chart.

The tornado reads the design's own points: for each input, the KPI's mean over
the points where that input is in its lowest third against its highest third,
around the mean of all points (widest swing on top). The Sobol chart shows each
input's first-order and total index with 95% CIs.
"""

from __future__ import annotations

from textwrap import fill

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import StrMethodFormatter

from sim.report.formatting import kpi_of, unit_words
from sim.report.style import PALETTE, new_figure, style
from sim.sensitivity.analysis import SensitivityResult
from sim.sensitivity.study import difference

THIRD = 1 / 3
WRAP = 60
"""Characters per line of a title or axis label (longer ones wrap instead of leaving the figure)."""
_OUTLINE = {"edgecolor": "#222222", "linewidth": 0.6}
SIDES = {
    "input in its lowest third": {"facecolor": PALETTE[0], **_OUTLINE},
    "input in its highest third": {"facecolor": PALETTE[1], "hatch": "///", **_OUTLINE},
}
"""How the tornado draws each side (the KPI with the input low, then high)."""


def swings(result: SensitivityResult, kpi: str) -> list[tuple[str, float, float]]:
    """``(input, mean KPI when the input is low, when it is high)``, widest swing first."""
    points = result.points
    rows = []
    for name in result.inputs:
        low_cut, high_cut = points[name].quantile([THIRD, 1 - THIRD])
        low = float(points.loc[points[name] <= low_cut, kpi].mean())
        high = float(points.loc[points[name] >= high_cut, kpi].mean())
        rows.append((name, low, high))
    return sorted(rows, key=lambda row: -abs(row[2] - row[1]))


def _unit(measure: str) -> str:
    """The unit of a KPI or of its paired difference (``'USD'``, ``'%'``, ...)."""
    return unit_words(kpi_of(measure.removesuffix(difference(""))))


def tornado_figure(result: SensitivityResult, kpi: str) -> Figure:
    """Horizontal bars from the overall mean to the mean with each input low and high."""
    rows = swings(result, kpi)
    centre = float(result.points[kpi].mean())
    positions = np.arange(len(rows))[::-1]
    with style():
        fig = new_figure(7.5, 1.2 + 0.45 * len(rows))
        ax = fig.subplots()
        for side, look in enumerate(SIDES.values()):
            ends = np.array([row[1 + side] for row in rows])
            ax.barh(positions, ends - centre, left=centre, height=0.6, **look)
        ax.axvline(centre, color="#222222", linewidth=0.8)
        ax.set_yticks(positions, [row[0] for row in rows])
        handles = [Patch(label=label, **look) for label, look in SIDES.items()]
        fig.legend(handles=handles, loc="outside lower center", ncols=2, fontsize="small")
        ax.set_xlabel(
            fill(f"{result.labels[kpi]} ({_unit(kpi)}), mean over the design's points", WRAP)
        )
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.4g}"))
        fig.suptitle(
            fill(f"What moves {result.labels[kpi].lower()}: each input low versus high", WRAP)
        )
    return fig


def sobol_figure(result: SensitivityResult, kpi: str) -> Figure:
    """First-order (S1) and total (ST) Sobol index of each input with 95% CIs, largest total first."""
    ranked = list(result.ranking(kpi)["input"])
    table = result.indices[result.indices["kpi"] == kpi].set_index(["index", "input"])
    positions = np.arange(len(ranked))[::-1]
    with style():
        fig = new_figure(7.5, 1.2 + 0.5 * len(ranked))
        ax = fig.subplots()
        for offset, index, label, colour in (
            (0.18, "ST", "total effect (ST)", PALETTE[1]),
            (-0.18, "S1", "alone (S1)", PALETTE[0]),
        ):
            rows = table.loc[index].loc[ranked]
            errors = np.vstack([rows["value"] - rows["ci_low"], rows["ci_high"] - rows["value"]])
            ax.barh(
                positions + offset,
                rows["value"],
                height=0.36,
                xerr=errors,
                color=colour,
                edgecolor="#222222",
                linewidth=0.6,
                capsize=3,
                label=label,
            )
        ax.axvline(0, color="#222222", linewidth=0.8)
        ax.set_yticks(positions, ranked)
        fig.legend(loc="outside lower center", ncols=2, fontsize="small")
        ax.set_xlabel(fill(f"share of the variance of {result.labels[kpi].lower()} (95% CI)", WRAP))
        fig.suptitle(
            fill(
                f"How much of the uncertainty in {result.labels[kpi].lower()} each input explains",
                WRAP,
            )
        )
    return fig
