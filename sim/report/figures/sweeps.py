"""A sweep's figures: the primary KPI over the grid of settings, with 95% CIs.

Two parameters give a heatmap of the means (:func:`sweep_heatmap_figure`); one or
two give lines against the first parameter (:func:`sweep_lines_figure`); more
give the best points ranked (:func:`sweep_ranking_figure`). The best point is
always marked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

from sim.config.durations import parse_duration
from sim.report.figures._axes import axis_formatter, direction
from sim.report.formatting import (
    format_value,
    higher_is_better,
    kpi_of,
    unit_words,
    value_text,
)
from sim.report.style import HEATMAP_CMAP, HIGHLIGHT, PALETTE, new_figure, policy_styles, style
from sim.report.sweep_points import best_row, parameter_label, sweep_rows


def _axis_values(values: Sequence[Any]) -> tuple[list[Any], np.ndarray | None]:
    """Distinct values in a sensible order and, if they are numbers or durations, their positions."""
    distinct = list(dict.fromkeys(values))
    numbers: list[float] = []
    for v in distinct:
        try:
            numbers.append(float(v))
        except (TypeError, ValueError):
            try:
                numbers.append(parse_duration(v))
            except (TypeError, ValueError):
                return distinct, None
    order = np.argsort(numbers, kind="stable")
    return [distinct[i] for i in order], np.array([numbers[i] for i in order])


def sweep_heatmap_figure(
    summary: pd.DataFrame,
    parameters: Sequence[str],
    kpi: str,
    config: dict[str, Any] | None = None,
) -> Figure:
    """The KPI's mean for each combination of two parameters, cells annotated, best outlined."""
    x_name, y_name = parameters[0], parameters[1]
    rows = sweep_rows(summary, kpi)
    x_values, _ = _axis_values(rows[x_name].tolist())
    y_values, _ = _axis_values(rows[y_name].tolist())
    grid = np.full((len(y_values), len(x_values)), np.nan)
    halves = np.full_like(grid, np.nan)
    for _, row in rows.iterrows():
        i, j = y_values.index(row[y_name]), x_values.index(row[x_name])
        grid[i, j], halves[i, j] = float(row["mean"]), float(row["half_width"])
    best = best_row(rows, kpi)
    k = kpi_of(kpi)
    with style():
        fig = new_figure(max(7.0, 1.6 * len(x_values) + 2.5), max(4.2, 0.8 * len(y_values) + 2.2))
        ax = fig.subplots()
        finite = grid[np.isfinite(grid)]
        norm = Normalize(float(finite.min()), float(finite.max())) if finite.size else Normalize()
        cmap = mpl.colormaps[HEATMAP_CMAP].with_extremes(bad="#eeeeee")
        image = ax.imshow(
            np.ma.masked_invalid(grid), cmap=cmap, norm=norm, aspect="auto", origin="lower"
        )
        for i in range(len(y_values)):
            for j in range(len(x_values)):
                if not math.isfinite(grid[i, j]):
                    continue
                dark = norm(grid[i, j]) < 0.55
                text = format_value(k, grid[i, j])
                if math.isfinite(halves[i, j]):
                    text += f"\n± {format_value(k, halves[i, j])}"
                ax.text(
                    j,
                    i,
                    text,
                    ha="center",
                    va="center",
                    fontsize=8.5,
                    color="white" if dark else "black",
                )
        bi, bj = y_values.index(best[y_name]), x_values.index(best[x_name])
        ax.add_patch(
            Rectangle((bj - 0.5, bi - 0.5), 1, 1, fill=False, edgecolor=HIGHLIGHT, linewidth=3.5)
        )
        ax.text(
            bj,
            bi + 0.42,
            "best",
            ha="center",
            va="top",
            fontsize=8,
            fontweight="bold",
            color=HIGHLIGHT,
            bbox={"fc": "white", "ec": "none", "pad": 0.5},
        )
        ax.set_xticks(range(len(x_values)), [value_text(v) for v in x_values])
        ax.set_yticks(range(len(y_values)), [value_text(v) for v in y_values])
        ax.set_xlabel(parameter_label(x_name, config))
        ax.set_ylabel(parameter_label(y_name, config))
        ax.grid(visible=False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        colorbar = fig.colorbar(image, ax=ax, format=axis_formatter(k))
        colorbar.set_label(f"{k.label} ({unit_words(k)})")
        ax.set_title(f"{k.label}{direction(k)}\nmean ± 95% CI half-width for each combination")
    return fig


MAX_SWEEP_LINES = 8


def sweep_lines_figure(
    summary: pd.DataFrame,
    parameters: Sequence[str],
    kpi: str,
    config: dict[str, Any] | None = None,
) -> Figure:
    """The KPI's mean with a 95% CI band against the first parameter (a line per second parameter)."""
    x_name = parameters[0]
    group_name = parameters[1] if len(parameters) > 1 else None
    rows = sweep_rows(summary, kpi)
    x_values, x_numbers = _axis_values(rows[x_name].tolist())
    numeric = x_numbers is not None
    positions = dict(zip(x_values, x_numbers if numeric else range(len(x_values)), strict=True))
    groups = _axis_values(rows[group_name].tolist())[0] if group_name else [None]
    styles = policy_styles([value_text(g) for g in groups])
    k = kpi_of(kpi)
    best = best_row(rows, kpi)
    with style():
        fig = new_figure(8.5, 5.2)
        ax = fig.subplots()
        for g in groups:
            part = rows if g is None else rows[rows[group_name] == g]
            part = part.assign(_x=[positions[v] for v in part[x_name]]).sort_values("_x")
            look = styles[value_text(g)]
            low = part["ci_low"].astype(float)
            high = part["ci_high"].astype(float)
            ax.fill_between(part["_x"], low, high, color=look.color, alpha=0.18, linewidth=0)
            ax.plot(
                part["_x"],
                part["mean"],
                color=look.color,
                marker=look.marker,
                linestyle=look.linestyle,
                label=None if g is None else value_text(g),
            )
        bx = positions[best[x_name]]
        ax.plot(
            [bx],
            [best["mean"]],
            marker="*",
            markersize=20,
            color=HIGHLIGHT,
            markeredgecolor="black",
            linestyle="none",
            zorder=6,
            label="best point",
        )
        ax.annotate(
            f"best: {format_value(k, float(best['mean']))}",
            (bx, float(best["mean"])),
            xytext=(10, 10),
            textcoords="offset points",
            fontsize=9,
            fontweight="bold",
        )
        ax.set_xticks(list(positions.values()), [value_text(v) for v in positions])
        if numeric and min(x_numbers) > 0 and max(x_numbers) / min(x_numbers) >= 20:
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(FixedLocator(list(positions.values())))
            ax.xaxis.set_major_formatter(
                FuncFormatter(
                    lambda v, _: {p: value_text(x) for x, p in positions.items()}.get(v, "")
                )
            )
            ax.xaxis.set_minor_locator(NullLocator())
        ax.yaxis.set_major_formatter(axis_formatter(k))
        ax.set_xlabel(parameter_label(x_name, config))
        ax.set_ylabel(f"{k.label} ({unit_words(k)})")
        ax.legend(loc="best", title=parameter_label(group_name, config) if group_name else None)
        ax.set_title(f"{k.label}{direction(k)} across the sweep (mean, 95% CI band)")
    return fig


MAX_RANKED_POINTS = 25


def sweep_ranking_figure(
    summary: pd.DataFrame,
    parameters: Sequence[str],
    kpi: str,
    config: dict[str, Any] | None = None,
) -> Figure:
    """The best points (up to 25) by the KPI's mean with 95% CI, labelled by their settings."""
    rows = sweep_rows(summary, kpi)
    rows = rows.sort_values("mean", ascending=not higher_is_better(kpi)).head(MAX_RANKED_POINTS)
    k = kpi_of(kpi)
    labels = [
        ", ".join(f"{parameter_label(p, config)} = {value_text(r[p])}" for p in parameters)
        for _, r in rows.iterrows()
    ]
    with style():
        fig = new_figure(10, 1.2 + 0.32 * len(rows))
        ax = fig.subplots()
        ys = np.arange(len(rows))[::-1]
        means = rows["mean"].astype(float).to_numpy()
        lows = means - rows["ci_low"].astype(float).to_numpy()
        highs = rows["ci_high"].astype(float).to_numpy() - means
        ax.errorbar(means, ys, xerr=[lows, highs], fmt="o", color=PALETTE[0], capsize=3)
        ax.plot(
            [means[0]],
            [ys[0]],
            marker="*",
            markersize=16,
            color=HIGHLIGHT,
            markeredgecolor="black",
            linestyle="none",
            label="best point",
            zorder=5,
        )
        ax.set_yticks(ys, labels, fontsize=8)
        ax.xaxis.set_major_formatter(axis_formatter(k))
        ax.set_xlabel(f"{k.label} ({unit_words(k)})")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower right")
        ax.set_title(f"Best sweep points by {k.label.lower()} (mean, 95% CI)")
    return fig
