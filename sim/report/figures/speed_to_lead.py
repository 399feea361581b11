"""Speed to lead: how soon new leads get their first call, and what that does to them.

:func:`speed_to_lead_figure` puts the reach, qualification and win rates against
the time to the first call attempt, beside the published lead-response ratios;
:func:`first_attempt_cdf_figure` shows how quickly each policy calls, with its
response-time target marked.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullLocator

from sim.config.units import MINUTES_PER_DAY, MINUTES_PER_HOUR, MINUTES_PER_WEEK
from sim.report.formatting import format_minutes
from sim.report.style import new_figure, policy_styles, style
from sim.validation.lead_response import PUBLISHED

_HOUR, _DAY = MINUTES_PER_HOUR, MINUTES_PER_DAY
PUBLISHED_LABEL = "published (HBR 2011 / MIT 2007), relative"
_KIND_MARKS = {"about": ("D", ""), "at least": ("v", " or more"), "at most": ("^", " or less")}
"""Marker and words for a published ratio: a triangle points where the rate can only be
(a ratio of "at least" 60 means a rate at most 1/60th of the faster bucket's)."""

SPEED_BUCKETS: tuple[tuple[float, float, str], ...] = (
    (0, 1, "0-1 min"),
    (1, 5, "1-5 min"),
    (5, 10, "5-10 min"),
    (10, 30, "10-30 min"),
    (30, _HOUR, "30-60 min"),
    (_HOUR, 2 * _HOUR, "1-2 h"),
    (2 * _HOUR, 4 * _HOUR, "2-4 h"),
    (4 * _HOUR, 8 * _HOUR, "4-8 h"),
    (8 * _HOUR, _DAY, "8-24 h"),
    (_DAY, 3 * _DAY, "1-3 d"),
    (3 * _DAY, math.inf, "3 d+"),
)
"""Readable buckets of time to first attempt, minutes ``[low, high)``."""
MIN_BUCKET_LEADS = 100
"""A bucket with fewer leads is not drawn: its rates would be noise."""
TIME_TICKS = (
    (1 / 6, "10 s"),
    (1, "1 min"),
    (5, "5 min"),
    (30, "30 min"),
    (2 * _HOUR, "2 h"),
    (8 * _HOUR, "8 h"),
    (_DAY, "1 d"),
    (MINUTES_PER_WEEK, "1 w"),
    (4 * MINUTES_PER_WEEK, "4 w"),
)
"""Labelled ticks of a log time axis (at least half a decade apart, so labels never collide)."""
TIME_MINOR_TICKS = (10, _HOUR, 4 * _HOUR, 3 * _DAY)
"""Unlabelled ticks and grid lines at the other bucket edges (10 min, 1 h, 4 h, 3 d)."""


def _bucket_centre(low: float, high: float) -> float:
    if low <= 0:
        return high / 2
    if math.isinf(high):
        return low * 2
    return math.sqrt(low * high)


def _bin_midpoints(table: pd.DataFrame) -> np.ndarray:
    """Geometric midpoint of each tally bin (0 for the first bin, inf for never attempted)."""
    low = table["delay_minutes_low"].to_numpy(dtype=float)
    high = table["delay_minutes_high"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        mid = np.sqrt(low * high)
    mid[low <= 0] = 0.0
    mid[np.isinf(high)] = np.inf
    return mid


def speed_buckets(first_attempts: pd.DataFrame) -> pd.DataFrame:
    """Counts of one policy's attempted leads per readable bucket of time to first attempt."""
    mids = _bin_midpoints(first_attempts)
    rows = []
    outcomes = [
        c for c in ("leads", "reached_first", "reached", "qualified", "won") if c in first_attempts
    ]
    for low, high, label in SPEED_BUCKETS:
        inside = (mids >= low) & (mids < high) & np.isfinite(mids)
        sums = first_attempts.loc[inside, outcomes].sum()
        rows.append(
            {"bucket": label, "low": low, "high": high, "centre": _bucket_centre(low, high), **sums}
        )
    return pd.DataFrame(rows)


def _rate_in(first_attempts: pd.DataFrame, outcome: str, low: float, high: float) -> float:
    mids = _bin_midpoints(first_attempts)
    inside = (mids >= low) & (mids < high) & np.isfinite(mids)
    leads = float(first_attempts.loc[inside, "leads"].sum())
    return float(first_attempts.loc[inside, outcome].sum()) / leads if leads else math.nan


def _time_axis(ax: Any, low: float, high: float, axis: str = "x") -> None:
    """A log time axis labelled in minutes, hours and days."""
    ticks = [(v, t) for v, t in TIME_TICKS if low <= v <= high]
    set_scale = ax.set_xscale if axis == "x" else ax.set_yscale
    set_scale("log")
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_major_locator(FixedLocator([v for v, _ in ticks]))
    target.set_major_formatter(FuncFormatter(lambda v, _: dict(ticks).get(v, "")))
    target.set_minor_locator(FixedLocator([v for v in TIME_MINOR_TICKS if low <= v <= high]))
    target.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    ax.grid(True, which="minor", axis=axis, color="#eeeeee", linewidth=0.5)
    (ax.set_xlim if axis == "x" else ax.set_ylim)(low, high)


def _percent_log_axis(ax: Any) -> None:
    """A log axis of shares labelled 0.1%, 0.2%, 0.5%, 1%, ... (ratios read as distances)."""
    ax.set_yscale("log")
    ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.3g}%" if v > 0 else ""))
    ax.yaxis.set_minor_locator(NullLocator())


_SPEED_PANELS = (
    ("reached_first", "Reached on the first call"),
    ("qualified", "Qualified"),
    ("won", "Won"),
)


def speed_to_lead_figure(
    first_attempts: pd.DataFrame,
    baseline: str | None = None,
    policies: Sequence[str] | None = None,
) -> Figure:
    """Reach, qualification and win rates against time to first attempt, one line per policy.

    Published lead-response ratios (:data:`sim.validation.lead_response.PUBLISHED`) are drawn
    as points relative to *baseline*'s rate in the ratio's faster bucket.
    """
    policies = list(policies or dict.fromkeys(first_attempts["policy"]))
    baseline = baseline if baseline in policies else policies[0]
    styles = policy_styles(policies)
    with style():
        panels = [p for p in _SPEED_PANELS if p[0] in first_attempts.columns]
        fig = new_figure(4.3 * len(panels), 4.9)
        axes = fig.subplots(1, len(panels), sharex=True)
        axes = np.atleast_1d(axes)
        lowest = 0.3
        highest = 12 * _DAY
        for ax, (outcome, title) in zip(axes, panels, strict=True):
            for policy in policies:
                table = first_attempts[first_attempts["policy"] == policy]
                buckets = speed_buckets(table)
                shown = buckets[buckets["leads"] >= MIN_BUCKET_LEADS]
                rate = shown[outcome] / shown["leads"]
                keep = rate > 0
                look = styles[policy]
                ax.plot(
                    shown["centre"][keep],
                    rate[keep],
                    color=look.color,
                    marker=look.marker,
                    linestyle=look.linestyle,
                    label=policy,
                )
            base_table = first_attempts[first_attempts["policy"] == baseline]
            drew_published = False
            for spec in PUBLISHED:
                if spec.outcome != outcome:
                    continue
                anchor = _rate_in(base_table, outcome, *spec.numerator)
                if not (anchor > 0):
                    continue
                lo, hi = spec.numerator
                x = _bucket_centre(*spec.denominator)
                y = anchor / spec.published
                ax.hlines(
                    anchor, max(lo, lowest), hi, color="black", linewidth=1, linestyle=(0, (2, 2))
                )
                ax.plot(
                    [x],
                    [y],
                    linestyle="none",
                    marker=_KIND_MARKS[spec.kind][0],
                    markersize=8,
                    markerfacecolor="white",
                    markeredgecolor="black",
                    markeredgewidth=1.5,
                    label=PUBLISHED_LABEL if not drew_published else None,
                    zorder=5,
                )
                drew_published = True
                sign = f"÷{spec.published:g}{_KIND_MARKS[spec.kind][1]}"
                right = x < 1000  # label on the side with room
                ax.annotate(
                    f"{sign} ({spec.source.split('/')[0].strip()})",
                    (x, y),
                    xytext=(7 if right else -7, 0),
                    textcoords="offset points",
                    fontsize=7.5,
                    ha="left" if right else "right",
                    va="center",
                    color="#333333",
                )
            ax.set_title(title)
            _time_axis(ax, lowest, highest)
            _percent_log_axis(ax)
            bottom, top = ax.get_ylim()
            ax.set_ylim(bottom / 1.6, top * 1.25)  # room for the published points' labels
            ax.set_xlabel("Time to first call attempt (log scale)")
            ax.tick_params(axis="x", labelrotation=45)
        axes[0].set_ylabel("Share of leads in that delay bucket (log scale)")
        handles, labels = axes[-1].get_legend_handles_labels()
        for ax in axes[:-1]:
            for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
                if lab not in labels:
                    handles.append(h)
                    labels.append(lab)
        fig.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 5))
        fig.suptitle(
            "Speed to lead: the later the first call, the fewer leads reached, qualified and won"
        )
    return fig


def first_attempt_cdf_figure(
    first_attempts: pd.DataFrame,
    targets: dict[str, float] | None = None,
    policies: Sequence[str] | None = None,
) -> Figure:
    """Share of leads with a first call attempt within each delay, per policy, targets marked."""
    policies = list(policies or dict.fromkeys(first_attempts["policy"]))
    styles = policy_styles(policies)
    targets = targets or {}
    with style():
        fig = new_figure(9.0, 5.2)
        ax = fig.subplots()
        longest = _DAY
        for policy in policies:
            table = first_attempts[first_attempts["policy"] == policy].sort_values(
                "delay_minutes_high"
            )
            total = float(table["leads"].sum())
            if not total:
                continue
            high = table["delay_minutes_high"].to_numpy(dtype=float)
            cdf = np.cumsum(table["leads"].to_numpy(dtype=float)) / total
            finite = np.isfinite(high)
            x, y = high[finite], cdf[finite]
            first_low = float(table["delay_minutes_low"].iloc[0])
            if x.size and first_low > 0:  # nobody is attempted before the first bin's lower edge
                x, y = np.concatenate(([first_low], x)), np.concatenate(([0.0], y))
            if x.size:
                longest = max(longest, float(x.max()))
            never = 1.0 - (float(y[-1]) if y.size else 0.0)
            look = styles[policy]
            details = []
            target = targets.get(policy)
            met = math.nan
            if target is not None and target > 0 and x.size:
                met = float(np.interp(math.log(target), np.log(np.clip(x, 1e-9, None)), y))
                details.append(f"target {format_minutes(target)}: {100 * met:.0f}% met")
            if never > 0.0005:
                details.append(f"never attempted: {100 * never:.1f}%")
            label = policy + (f" ({'; '.join(details)})" if details else "")
            ax.plot(
                np.clip(x, 0.1, None),
                y,
                color=look.color,
                linestyle=look.linestyle,
                label=label,
                drawstyle="steps-post",
            )
            if math.isfinite(met):
                ax.axvline(
                    target, color=look.color, linestyle=look.linestyle, linewidth=1, alpha=0.7
                )
                ax.plot(
                    [target],
                    [met],
                    marker=look.marker,
                    markersize=9,
                    color=look.color,
                    markeredgecolor="black",
                    linestyle="none",
                    zorder=5,
                )
        _time_axis(ax, 0.1, longest * 1.2)
        ax.set_ylim(0, 1.02)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
        ax.set_xlabel("Time from lead arrival to first call attempt (log scale)")
        ax.set_ylabel("Share of leads attempted by then")
        ax.legend(loc="lower right", title="policy (marker: response-time target)")
        ax.set_title("How quickly new leads get their first call")
    return fig
