"""The calibration report's figures: observed against fitted, as base64 PNG for the HTML page."""

from __future__ import annotations

import base64
import io
import math
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from scipy import stats

from sim.calibration._fit import MIN_BIN_ROWS, LognormalFit, delay_buckets
from sim.calibration.result import Calibration
from sim.config.calendar import DAY_NAMES
from sim.config.units import HOURS_PER_WEEK, Z_95


def figures(cal: Calibration) -> list[tuple[str, str]]:
    """Every figure of the report as ``(title, base64 PNG)``, in the report's order."""
    out = _arrival_figures(cal)
    for what in ("contact", "qualification"):
        figure = _curve_figure(cal, what)
        if figure:
            out.append(figure)
    attempts = _attempts_figure(cal)
    if attempts:
        out.append(attempts)
    for name, fit in cal.durations.items():
        out.append(
            (f"Duration: {name}", _lognormal_figure(f"actions.{name}", fit, "minutes", False))
        )
    seen: set[int] = set()
    for name, fit in cal.deal_values.items():
        if id(fit) in seen:
            continue
        seen.add(id(fit))
        out.append(
            (f"Deal value: {name}", _lognormal_figure(f"deal value: {name}", fit, "value", True))
        )
    return out


def _figure(width: float = 7.5, height: float = 3.2) -> Figure:
    """A figure of *width* x *height* inches, laid out to fit (no pyplot state)."""
    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _png(fig: Any) -> str:
    """*fig* as base64 PNG text, for an ``<img src=data:...>``."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _delay_axis(ax: Any) -> None:
    """A log-like x axis of delays from 0 to a week, labelled in human units."""
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xticks([0, 5, 30, 240, 1440, 10080])
    ax.set_xticklabels(["0", "5m", "30m", "4h", "1d", "1w"])
    ax.set_xlabel("delay since the lead arrived")


def _arrival_figures(cal: Calibration) -> list[tuple[str, str]]:
    """Per source: leads per hour of the week against the profile written, and per calendar week."""
    figures = []
    for name in cal.sources:
        fit = cal.arrivals[name]
        fig = _figure(7.5, 3.6)
        top, bottom = fig.subplots(2, 1, height_ratios=[1.4, 1])
        rates = np.nan_to_num(fit.rates)
        err = np.where(
            fit.exposure > 0, Z_95 * np.sqrt(fit.counts) / np.maximum(fit.exposure, 1), 0
        )
        top.bar(
            np.arange(HOURS_PER_WEEK),
            rates,
            width=1.0,
            color="#9ecae1",
            label="observed leads per hour",
        )
        top.errorbar(
            np.arange(HOURS_PER_WEEK), rates, yerr=err, fmt="none", ecolor="#3182bd", lw=0.6
        )
        profile = cal.config["scenario"]["sources"][cal.sources.index(name)]["profile"]
        weights = np.asarray(profile, dtype=float)
        fitted = fit.weekly.value * weights / weights.sum()
        top.step(
            np.arange(HOURS_PER_WEEK),
            fitted,
            where="mid",
            color="#d62728",
            lw=1.2,
            label="profile written",
        )
        top.set_xticks(np.arange(0, HOURS_PER_WEEK, 24), [d.title() for d in DAY_NAMES])
        top.set_ylabel("leads / hour")
        top.legend(fontsize=7, loc="upper right")
        top.set_title(f"{name}: arrivals by hour of the week (95% Poisson bars)", fontsize=9)
        observed = fit.weekly_counts
        expected = fit.weekly.value * fit.week_exposure / HOURS_PER_WEEK
        weeks = np.arange(observed.size)
        bottom.plot(weeks, observed, "o", ms=3, color="#3182bd", label="observed per calendar week")
        bottom.plot(weeks, expected, "-", color="#d62728", lw=1, label="fitted (x exposure)")
        low = stats.poisson.ppf(0.025, np.maximum(expected, 1e-9))
        high = stats.poisson.ppf(0.975, np.maximum(expected, 1e-9))
        bottom.fill_between(weeks, low, high, color="#d62728", alpha=0.15, lw=0)
        bottom.set_xlabel("week of the export")
        bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
        bottom.set_ylabel("leads")
        bottom.legend(fontsize=7)
        figures.append((f"Arrivals: {name}", _png(fig)))
    return figures


def _curve_figure(cal: Calibration, what: str) -> tuple[str, str] | None:
    """A fitted response curve against the table curve, and observed vs fitted by source."""
    fit = cal.contact if what == "contact" else cal.qualification
    table = cal.contact_table if what == "contact" else cal.qualification_table
    if fit is None:
        return None
    fig = _figure(7.5, 3.3)
    left, right = fig.subplots(1, 2)
    grid = np.concatenate([[0.0], np.geomspace(0.5, 20160, 200)])
    left.errorbar(
        [p.minutes for p in table],
        [p.value for p in table],
        yerr=[[p.value - p.low for p in table], [p.high - p.value for p in table]],
        fmt="o",
        ms=3,
        color="#3182bd",
        label="observed / expected at 0 (table)",
    )
    left.plot(grid, fit.value(grid), color="#d62728", label=f"{fit.family} MLE ({fit.stratify})")
    pooled = cal.strata[what].get("none")
    if pooled is not None and pooled is not fit:
        left.plot(
            grid, pooled.value(grid), "--", color="#555", lw=1, label="pooled (no adjustment)"
        )
    _delay_axis(left)
    left.set_ylim(0, 1.1)
    left.set_ylabel(f"{what} curve")
    left.legend(fontsize=6.5)
    left.set_title(f"{what} curve (95% bars)", fontsize=9)
    colours = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"]
    delay, y = fit.design.delay, fit.design.y
    expected = fit.row_base() * fit.value(delay)
    for code, name in enumerate(fit.sources):
        mine = fit.source_codes == code
        if name not in cal.sources or mine.sum() < MIN_BIN_ROWS:
            continue
        pts = [
            (median, float(y[rows].mean()), float(expected[rows].mean()))
            for median, rows in delay_buckets(np.where(mine, delay, -1.0))
        ]
        colour = colours[code % len(colours)]
        right.plot(
            [p[0] for p in pts],
            [p[1] for p in pts],
            "o",
            ms=3,
            color=colour,
            label=f"{name} observed",
        )
        right.plot(
            [p[0] for p in pts],
            [p[2] for p in pts],
            "-",
            color=colour,
            lw=1,
            label=f"{name} fitted",
        )
    _delay_axis(right)
    right.set_ylabel(
        "reached on first attempt" if what == "contact" else "qualified per reached lead"
    )
    right.legend(fontsize=6)
    right.set_title("observed vs fitted, by source", fontsize=9)
    return f"Response curve: {what}", _png(fig)


def _attempts_figure(cal: Calibration) -> tuple[str, str] | None:
    """Which attempt reached the reached leads: share and cumulative share."""
    counts = cal.attempts_reached
    if counts.sum() == 0:
        return None
    fig = _figure(6.0, 2.8)
    ax = fig.subplots()
    k = np.arange(1, counts.size + 1)
    ax.bar(k, counts / counts.sum(), color="#9ecae1", label="share of reached leads")
    ax.plot(k, np.cumsum(counts) / counts.sum(), "o-", color="#d62728", ms=3, label="cumulative")
    ax.set_xlabel("attempt that reached the lead")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7)
    ax.set_title("Attempts to reach", fontsize=9)
    return "Attempts to reach", _png(fig)


def _lognormal_figure(title: str, fit: LognormalFit, unit: str, log_x: bool) -> str:
    """A histogram of the values with the fitted lognormal density (or the fixed value)."""
    fig = _figure(4.0, 2.6)
    ax = fig.subplots()
    x = fit.values
    if fit.fixed:
        ax.hist(x, bins=20, color="#9ecae1")
        ax.axvline(fit.mean.value, color="#d62728", label="fixed value written")
    else:
        lo, hi = np.quantile(x, [0.001, 0.995])
        bins = np.geomspace(max(lo, 1e-6), hi, 40) if log_x else np.linspace(0, hi, 40)
        ax.hist(x, bins=bins, density=True, color="#9ecae1", label="observed")
        mu, sigma = fit.mu_sigma
        grid = (
            np.geomspace(bins[0], bins[-1], 200)
            if log_x
            else np.linspace(max(bins[0], 1e-6), bins[-1], 200)
        )
        ax.plot(
            grid,
            stats.lognorm.pdf(grid, sigma, scale=math.exp(mu)),
            color="#d62728",
            label="lognormal MLE",
        )
        if log_x:
            ax.set_xscale("log")
    ax.set_xlabel(unit)
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=9)
    return _png(fig)
