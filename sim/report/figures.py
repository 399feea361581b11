"""Figures for a run folder: speed to lead, KPIs with confidence intervals, funnel, workload.

Every figure function takes the run folder's tables (pandas DataFrames as read
from the CSVs) and returns a :class:`matplotlib.figure.Figure`;
:func:`save_figure` writes it as PNG and SVG. :func:`figures_for` draws every
figure that applies to a folder (``run``, ``compare`` or ``sweep``) into
``<run_dir>/figures/``.

Figures are built without pyplot (no global state, no GUI backend: PNGs are
rendered by Agg) in one style (:func:`style`): readable fonts, a light grid and
the Okabe-Ito colour-blind-safe palette, with markers, line styles and hatches
that also tell policies apart in greyscale. A policy keeps its colour, marker
and hatch in every figure (baseline first).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
import yaml
from cycler import cycler
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import (
    FixedLocator,
    Formatter,
    FuncFormatter,
    LogLocator,
    MaxNLocator,
    NullLocator,
)

from sim.config.durations import parse_duration
from sim.engine.kpis import KPIS, Kpi
from sim.report.display import format_value
from sim.validation.lead_response import PUBLISHED

# --------------------------------------------------------------------------- style

PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#555555",  # dark grey
    "#F0E442",  # yellow
)
"""Okabe-Ito colours, ordered so that neighbours also differ in lightness."""
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "h")
LINESTYLES: tuple[Any, ...] = (
    "-",
    "--",
    "-.",
    ":",
    (0, (6, 2)),
    (0, (4, 1, 1, 1, 1, 1)),
    (0, (1, 2)),
    (0, (8, 2, 2, 2)),
)
HATCHES = ("", "///", "...", "xxx", "\\\\\\", "+++", "ooo", "---")
HEATMAP_CMAP = "cividis"
"""Colour-blind safe and monotonic in lightness (reads in greyscale)."""
PUBLISHED_LABEL = "published (HBR 2011 / MIT 2007), relative"

STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
    "axes.grid": True,
    "grid.color": "#dcdcdc",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=PALETTE),
    "lines.linewidth": 2.0,
    "lines.markersize": 6,
    "legend.frameon": False,
    "hatch.linewidth": 0.8,
    "image.cmap": HEATMAP_CMAP,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.dpi": 150,
    "svg.hashsalt": "salespulse",  # stable element ids: the same figure gives the same SVG
}
"""rcParams of every salespulse figure."""

DPI = 150


@contextmanager
def style() -> Iterator[None]:
    """Draw (and save) figures inside this block to get the salespulse style."""
    with mpl.rc_context(STYLE):
        yield


@dataclass(frozen=True)
class PolicyStyle:
    """How one policy looks in every figure."""

    color: str
    marker: str
    linestyle: Any
    hatch: str

    def bars(self) -> dict[str, Any]:
        """Keyword arguments that give ``bar``/``barh`` this policy's look (outlined, hatched)."""
        return {"color": self.color, "hatch": self.hatch, "edgecolor": "#222222", "linewidth": 0.6}


def policy_styles(policies: Sequence[str]) -> dict[str, PolicyStyle]:
    """A style per policy, in order (the baseline first keeps the first style)."""
    n = len(PALETTE)
    return {
        p: PolicyStyle(PALETTE[i % n], MARKERS[i % n], LINESTYLES[i % n], HATCHES[i % n])
        for i, p in enumerate(policies)
    }


def _new_figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), layout="constrained")


def save_figure(fig: Figure, folder: str | Path, stem: str) -> Path:
    """Write ``stem.png`` (150 dpi) and ``stem.svg`` into *folder*, close *fig*; return the PNG path."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    png = folder / f"{stem}.png"
    with style():
        fig.savefig(png, dpi=DPI, metadata={"Software": "salespulse"})
        if fig.get_layout_engine() is not None:
            fig.set_layout_engine("none")  # keep the layout just computed: the SVG is the same
        fig.savefig(folder / f"{stem}.svg", metadata={"Date": None, "Creator": "salespulse"})
    if fig.canvas.manager is not None:  # made with pyplot: release it there too
        import matplotlib.pyplot as plt

        plt.close(fig)
    else:
        fig.clear()
    return png


# --------------------------------------------------------------------------- numbers


def kpi_of(name: str) -> Kpi:
    """The KPI's description (an unknown column is shown as a plain ratio)."""
    return KPIS.get(name) or Kpi(name.replace("_", " "), "ratio")


def higher_is_better(name: str) -> bool:
    """Direction used to pick a best policy or point (unknown: higher)."""
    return kpi_of(name).higher_is_better is not False


def _unit_words(kpi: Kpi) -> str:
    return {
        "share": "%",
        "money": "currency units",
        "minutes": "minutes",
        "hours": "hours",
        "count": "count",
        "ratio": "ratio",
    }.get(kpi.unit, kpi.unit)


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


def _axis_formatter(kpi: Kpi) -> Formatter:
    """Tick labels in the KPI's unit, short enough for small panels."""
    return KpiTickFormatter(kpi.unit)


def clip_interval(kpi: Kpi, low: float, high: float) -> tuple[float, float]:
    """A t-interval clipped to values the KPI can take (a share stays within 0-100%)."""
    if kpi.unit in {"share", "count", "minutes", "hours", "ratio"}:
        low, high = max(low, 0.0), max(high, 0.0)
        if kpi.unit == "share":
            low, high = min(low, 1.0), min(high, 1.0)
    return low, high


def weeks_text(weeks: float | None) -> str:
    """``13.0`` -> ``'13-week'``."""
    if weeks is None or not math.isfinite(weeks):
        return "measured"
    return f"{weeks:g}-week"


def value_text(value: Any) -> str:
    """A parameter value as people write it (``6.0`` -> ``'6'``)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)


# --------------------------------------------------------------------------- run folder


@dataclass
class RunData:
    """A run folder's manifest, config and tables (``None`` for a table the verb does not write)."""

    folder: Path
    manifest: dict[str, Any]
    config: dict[str, Any]
    verb: str
    name: str
    primary_kpi: str
    baseline: str | None
    policies: list[str]
    replications: pd.DataFrame | None = None
    summary: pd.DataFrame | None = None
    differences: pd.DataFrame | None = None
    ranking: pd.DataFrame | None = None
    first_attempts: pd.DataFrame | None = None
    hourly: pd.DataFrame | None = None
    points: pd.DataFrame | None = None
    parameters: list[str] = field(default_factory=list)
    window_weeks: float | None = None
    targets: dict[str, float] = field(default_factory=dict)

    @property
    def reference(self) -> str | None:
        """The policy other policies are measured against (the baseline, or the only one)."""
        return self.baseline if self.baseline in self.policies else next(iter(self.policies), None)

    def best_policy(self, exclude_reference: bool = False) -> str | None:
        """Best policy on the primary KPI (rank 1 of the ranking when there is one)."""
        candidates = [p for p in self.policies if not (exclude_reference and p == self.reference)]
        if not candidates:
            return None
        if self.ranking is not None and not self.ranking.empty:
            ranked = self.ranking[self.ranking["kpi"] == self.primary_kpi]
            for policy in ranked.sort_values("rank")["policy"]:
                if policy in candidates:
                    return str(policy)
        if self.summary is None:
            return candidates[0]
        means = _kpi_rows(self.summary, self.primary_kpi).set_index("policy")["mean"]
        means = means[means.index.isin(candidates)].dropna()
        if means.empty:
            return candidates[0]
        return str(means.idxmax() if higher_is_better(self.primary_kpi) else means.idxmin())


def _read_csv(path: Path) -> pd.DataFrame | None:
    # policy labels stay text even when they look like numbers ("2", "1e3")
    return pd.read_csv(path, dtype={"policy": str}) if path.is_file() else None


def _with_policy(table: pd.DataFrame | None, label: str) -> pd.DataFrame | None:
    """Tables from folders that predate the ``policy`` column get the experiment's label."""
    if table is None or "policy" in table.columns or "point" in table.columns:
        return table
    table = table.copy()
    table.insert(0, "policy", label)
    return table


def _config_duration(value: Any) -> float | None:
    try:
        return parse_duration(value)
    except (TypeError, ValueError):
        return None


def load_run(run_dir: str | Path) -> RunData:
    """Read a run folder written by ``run``, ``compare`` or ``sweep``."""
    folder = Path(run_dir)
    manifest_path = folder / "manifest.json"
    manifest = (
        json.loads(manifest_path.read_text(encoding="utf-8")) if manifest_path.is_file() else {}
    )
    config_path = folder / "config.yaml"
    config = (
        yaml.safe_load(config_path.read_text(encoding="utf-8")) or {}
        if config_path.is_file()
        else {}
    )
    name = str(manifest.get("experiment") or config.get("name") or folder.name)
    verb = str(manifest.get("verb") or ("sweep" if (folder / "points.csv").is_file() else "run"))
    comparison = config.get("compare") or {}
    sweep = config.get("sweep") or {}
    primary = str(
        manifest.get("primary_kpi") or comparison.get("kpi") or sweep.get("kpi") or "profit"
    )
    run = RunData(
        folder=folder,
        manifest=manifest,
        config=config,
        verb=verb,
        name=name,
        primary_kpi=primary,
        baseline=str(manifest.get("baseline") or comparison.get("baseline") or "") or None,
        policies=[],
    )
    run.replications = _with_policy(_read_csv(folder / "replications.csv"), name)
    run.summary = _with_policy(_read_csv(folder / "summary.csv"), name)
    if run.summary is not None and "kpi" not in run.summary.columns:  # index written unnamed
        run.summary = run.summary.rename(columns={run.summary.columns[1]: "kpi"})
    run.differences = _read_csv(folder / "differences.csv")
    run.ranking = _read_csv(folder / "ranking.csv")
    run.first_attempts = _with_policy(_read_csv(folder / "first_attempts.csv"), name)
    run.hourly = _with_policy(_read_csv(folder / "hourly.csv"), name)
    run.points = _read_csv(folder / "points.csv")
    if verb == "sweep":
        run.parameters = _sweep_parameters(run)
        if run.points is not None:
            run.summary = _with_parameters(run.summary, run.points, run.parameters)
            run.replications = _with_parameters(run.replications, run.points, run.parameters)
    else:
        run.policies = _policy_order(run)
    weeks = manifest.get("window_weeks")
    if weeks is None:
        horizon = _config_duration((config.get("scenario") or {}).get("horizon"))
        weeks = horizon / 10080.0 if horizon else None
    run.window_weeks = float(weeks) if weeks is not None else None
    run.targets = {
        str(k): float(v) for k, v in (manifest.get("response_target_minutes") or {}).items()
    }
    if not run.targets and run.policies:
        target = _config_duration(
            ((config.get("policy") or {}).get("speed_to_lead") or {}).get("response_target")
        )
        if target is not None and len(run.policies) == 1:
            run.targets = {run.policies[0]: target}
    return run


def _with_parameters(
    table: pd.DataFrame | None, points: pd.DataFrame, parameters: list[str]
) -> pd.DataFrame | None:
    """A sweep table with its points' parameter columns (joined from points.csv if missing)."""
    if table is None or "point" not in table.columns or "point" not in points.columns:
        return table
    missing = [p for p in parameters if p not in table.columns and p in points.columns]
    if not missing:
        return table
    return table.merge(points[["point", *missing]], on="point", how="left")


def _policy_order(run: RunData) -> list[str]:
    seen: list[str] = []
    for table in (run.summary, run.replications, run.first_attempts, run.hourly):
        if table is not None and "policy" in table.columns:
            seen.extend(str(p) for p in table["policy"].unique() if str(p) not in seen)
    if run.baseline in seen:
        seen.remove(run.baseline)
        seen.insert(0, run.baseline)
    return seen


def _sweep_parameters(run: RunData) -> list[str]:
    given = run.manifest.get("parameters")
    if given:
        return [str(p) for p in given]
    sweep = run.config.get("sweep") or {}
    if sweep.get("grid"):
        return list(sweep["grid"])
    if sweep.get("points"):
        return list(sweep["points"][0])
    if run.points is not None:
        return [c for c in run.points.columns if c != "point"]
    if run.summary is not None:
        cols = list(run.summary.columns)
        return cols[cols.index("point") + 1 : cols.index("kpi")] if "point" in cols else []
    return []


def _kpi_rows(summary: pd.DataFrame, kpi: str) -> pd.DataFrame:
    return summary[summary["kpi"] == kpi]


def summary_value(summary: pd.DataFrame, policy: str, kpi: str) -> pd.Series | None:
    """The summary row (mean, ci_low, ...) of *kpi* for *policy*, or ``None``."""
    rows = summary[(summary["policy"] == policy) & (summary["kpi"] == kpi)]
    return None if rows.empty else rows.iloc[0]


def config_at(config: dict[str, Any], path: str) -> Any:
    """The value at a ``--set`` style path (``scenario.reps[0].count``), or ``None``."""
    node: Any = config
    for part in path.split("."):
        match = re.fullmatch(r"([^\[\]]+)((?:\[\d+\])*)", part)
        if match is None:
            return None
        key, indexes = match.group(1), [int(i) for i in re.findall(r"\[(\d+)\]", match.group(2))]
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
        for i in indexes:
            if not isinstance(node, list) or i >= len(node):
                return None
            node = node[i]
    return node


def parameter_label(path: str, config: dict[str, Any] | None = None) -> str:
    """``policy.followup.max_attempts`` -> ``'followup max attempts'``;
    ``scenario.reps[0].count`` -> ``'inside_sales count'`` (the group's name from the config)."""
    parts = path.split(".")
    last = parts[-1].replace("_", " ")
    if len(parts) < 2:
        return last
    parent = parts[-2]
    if re.fullmatch(r"[^\[\]]+\[\d+\]", parent):
        name = config_at(config or {}, ".".join(parts[:-1]) + ".name") or parent
        return f"{name} reps" if parts[-1] == "count" else f"{name} {last}"
    if parent == "counts" and len(parts) >= 3:  # policy.staffing.counts.<group>
        return f"{parts[-1]} reps"
    return f"{parent.replace('_', ' ')} {last}"


# --------------------------------------------------------------------------- speed to lead

SPEED_BUCKETS: tuple[tuple[float, float, str], ...] = (
    (0, 1, "0-1 min"),
    (1, 5, "1-5 min"),
    (5, 10, "5-10 min"),
    (10, 30, "10-30 min"),
    (30, 60, "30-60 min"),
    (60, 120, "1-2 h"),
    (120, 240, "2-4 h"),
    (240, 480, "4-8 h"),
    (480, 1440, "8-24 h"),
    (1440, 4320, "1-3 d"),
    (4320, math.inf, "3 d+"),
)
"""Readable buckets of time to first attempt, minutes ``[low, high)``."""
MIN_BUCKET_LEADS = 100
"""A bucket with fewer leads is not drawn: its rates would be noise."""
TIME_TICKS = (
    (1 / 6, "10 s"),
    (1, "1 min"),
    (5, "5 min"),
    (30, "30 min"),
    (120, "2 h"),
    (480, "8 h"),
    (1440, "1 d"),
    (10080, "1 w"),
    (40320, "4 w"),
)
"""Labelled ticks of a log time axis (at least half a decade apart, so labels never collide)."""
TIME_MINOR_TICKS = (10, 60, 240, 4320)
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
        fig = _new_figure(4.3 * len(panels), 4.9)
        axes = fig.subplots(1, len(panels), sharex=True)
        axes = np.atleast_1d(axes)
        lowest = 0.3
        highest = 4320 * 4
        for ax, (outcome, title) in zip(axes, panels, strict=True):
            for policy in policies:
                table = first_attempts[first_attempts["policy"] == policy]
                buckets = speed_buckets(table)
                shown = buckets[buckets["leads"] >= MIN_BUCKET_LEADS]
                rate = shown[outcome] / shown["leads"]
                keep = rate > 0
                s = styles[policy]
                ax.plot(
                    shown["centre"][keep],
                    rate[keep],
                    color=s.color,
                    marker=s.marker,
                    linestyle=s.linestyle,
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
                    marker="v" if spec.kind == "at least" else "D",
                    markersize=8,
                    markerfacecolor="white",
                    markeredgecolor="black",
                    markeredgewidth=1.5,
                    label=PUBLISHED_LABEL if not drew_published else None,
                    zorder=5,
                )
                drew_published = True
                sign = "÷" + f"{spec.published:g}" + (" or more" if spec.kind == "at least" else "")
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


# --------------------------------------------------------------------------- KPIs

DEFAULT_KPIS = (
    "profit",
    "won_share",
    "first_attempt_within_5m_share",
    "utilisation",
    "repeat_revenue",
    "lost_opted_out",
)


def _direction(kpi: Kpi) -> str:
    if kpi.higher_is_better is True:
        return " (higher is better)"
    if kpi.higher_is_better is False:
        return " (lower is better)"
    return ""


def _grid_shape(n: int) -> tuple[int, int]:
    cols = min(3, n)
    return math.ceil(n / cols), cols


def kpi_comparison_figure(
    summary: pd.DataFrame,
    kpis: Sequence[str] = DEFAULT_KPIS,
    baseline: str | None = None,
    policies: Sequence[str] | None = None,
    window_weeks: float | None = None,
) -> Figure:
    """Small multiples: each KPI's mean per policy with its 95% confidence interval."""
    policies = list(policies or dict.fromkeys(summary["policy"]))
    kpis = [k for k in kpis if not _kpi_rows(summary, k).empty]
    styles = policy_styles(policies)
    rows, cols = _grid_shape(max(len(kpis), 1))
    with style():
        fig = _new_figure(4.1 * cols, 0.9 + rows * (1.1 + 0.42 * len(policies)))
        axes = np.atleast_1d(fig.subplots(rows, cols, sharey=True, squeeze=False)).ravel()
        positions = np.arange(len(policies))[::-1]
        for ax, name in zip(axes, kpis, strict=False):
            kpi = kpi_of(name)
            for y, policy in zip(positions, policies, strict=True):
                row = summary_value(summary, policy, name)
                if row is None or not math.isfinite(float(row["mean"])):
                    continue  # undefined (no leads) or infinite (never attempted): nothing to draw
                s = styles[policy]
                mean = float(row["mean"])
                low, high = clip_interval(kpi, float(row["ci_low"]), float(row["ci_high"]))
                if math.isfinite(low) and math.isfinite(high):
                    ax.errorbar(
                        [mean],
                        [y],
                        xerr=[[mean - low], [high - mean]],
                        color=s.color,
                        marker=s.marker,
                        markersize=8,
                        capsize=4,
                        linewidth=2,
                    )
                else:
                    ax.plot([mean], [y], color=s.color, marker=s.marker, markersize=8)
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
            ax.set_title(kpi.label + _direction(kpi), fontsize=10)
            ax.xaxis.set_major_formatter(_axis_formatter(kpi))
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.set_xlabel(_unit_words(kpi))
            ax.set_ylim(-0.7, len(policies) - 0.3)
            ax.margins(x=0.15)
            ax.grid(axis="y", visible=False)
        for ax in axes[len(kpis) :]:
            ax.set_visible(False)
        axes[0].set_yticks(positions, policies)
        for ax in axes:
            ax.tick_params(axis="y", length=0)
        window = weeks_text(window_weeks)
        fig.suptitle(
            f"Key results per policy over the {window} window (mean of replications, 95% CI)"
        )
    return fig


def signed_value(kpi: Kpi, value: float) -> str:
    """A difference in the KPI's unit with its sign (shares in percentage points);
    no sign when it rounds to zero."""
    if not math.isfinite(value):
        return "n/a"
    text = f"{100 * abs(value):.1f} pts" if kpi.unit == "share" else format_value(kpi, abs(value))
    if not any(c in "123456789" for c in text.split(" ")[0]):
        return text
    return ("+" if value > 0 else "-") + text


def differences_figure(
    differences: pd.DataFrame,
    kpis: Sequence[str] = DEFAULT_KPIS,
    baseline: str = "baseline",
    policies: Sequence[str] | None = None,
) -> Figure:
    """Paired differences of each variant against the baseline: relative change with 95% CI."""
    variants = [p for p in (policies or dict.fromkeys(differences["policy"])) if p != baseline]
    styles = policy_styles([baseline, *variants])
    kpis = [k for k in kpis if not differences[differences["kpi"] == k].empty]
    rows, cols = _grid_shape(max(len(kpis), 1))
    with style():
        fig = _new_figure(4.3 * cols, 0.9 + rows * (1.2 + 0.55 * len(variants)))
        axes = np.atleast_1d(fig.subplots(rows, cols, sharey=True, squeeze=False)).ravel()
        positions = np.arange(len(variants))[::-1]
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
                    text = (
                        f"{signed_value(kpi, mid)} "
                        f"({signed_value(kpi, low)} to {signed_value(kpi, high)})"
                    )
                if not math.isfinite(mid):
                    continue
                s = styles[policy]
                ax.barh(
                    y,
                    mid,
                    height=0.5,
                    alpha=0.9,
                    **s.bars(),
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
                ax.xaxis.set_major_formatter(_axis_formatter(kpi))
                ax.set_xlabel(f"difference from {baseline} ({_unit_words(kpi)})")
            ax.xaxis.set_major_locator(MaxNLocator(5, symmetric=True))
            ax.set_title(kpi.label + _direction(kpi), fontsize=10)
            ax.set_ylim(-0.5, len(variants) - 0.05)
            ax.grid(axis="y", visible=False)
        for ax in axes[len(kpis) :]:
            ax.set_visible(False)
        axes[0].set_yticks(positions, variants)
        for ax in axes:
            ax.tick_params(axis="y", length=0)
        fig.suptitle(f"Change against {baseline} on the same simulated leads (paired, 95% CI)")
    return fig


FUNNEL_STAGES = (
    ("Leads", None),
    ("Reached", "reached_share"),
    ("Qualified", "qualified_share"),
    ("Won", "won_share"),
)


def funnel_figure(summary: pd.DataFrame, policies: Sequence[str] | None = None) -> Figure:
    """Grouped bars: share of cohort leads reached, qualified and won per policy (95% CI)."""
    policies = list(policies or dict.fromkeys(summary["policy"]))
    styles = policy_styles(policies)
    n = len(policies)
    width = 0.8 / n
    with style():
        fig = _new_figure(max(7.0, 1.6 + 1.1 * len(FUNNEL_STAGES) * max(1, n / 2)), 4.8)
        ax = fig.subplots()
        for i, policy in enumerate(policies):
            s = styles[policy]
            xs, heights, lows, highs = [], [], [], []
            for j, (_, name) in enumerate(FUNNEL_STAGES):
                if name is None:
                    mean, low, high = 1.0, 1.0, 1.0
                else:
                    row = summary_value(summary, policy, name)
                    if row is None or not math.isfinite(float(row["mean"])):
                        continue
                    mean = float(row["mean"])
                    low, high = clip_interval(
                        KPIS[name], float(row["ci_low"]), float(row["ci_high"])
                    )
                xs.append(j - 0.4 + width * (i + 0.5))
                heights.append(mean)
                lows.append(mean - low if math.isfinite(low) else 0)
                highs.append(high - mean if math.isfinite(high) else 0)
            ax.bar(
                xs,
                heights,
                width=width * 0.92,
                **s.bars(),
                yerr=[lows, highs],
                capsize=3,
                error_kw={"elinewidth": 1, "ecolor": "black"},
                label=policy,
            )
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
        ax.set_ylim(0, 1.12 if n <= 3 else 1.25)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{100 * v:.0f}%"))
        ax.set_ylabel("Share of cohort leads (%)")
        ax.grid(axis="x", visible=False)
        ax.legend(loc="upper right", title="policy")
        ax.set_title("Lead funnel: how many leads get reached, qualified and won (95% CI)")
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
        fig = _new_figure(9.0, 5.2)
        ax = fig.subplots()
        longest = 1440.0
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
            s = styles[policy]
            details = []
            target = targets.get(policy)
            met = math.nan
            if target is not None and target > 0 and x.size:
                met = float(np.interp(math.log(target), np.log(np.clip(x, 1e-9, None)), y))
                minutes = format_value(KPIS["speed_to_lead_median_minutes"], target)
                details.append(f"target {minutes}: {100 * met:.0f}% met")
            if never > 0.0005:
                details.append(f"never attempted: {100 * never:.1f}%")
            label = policy + (f" ({'; '.join(details)})" if details else "")
            ax.plot(
                np.clip(x, 0.1, None),
                y,
                color=s.color,
                linestyle=s.linestyle,
                label=label,
                drawstyle="steps-post",
            )
            if math.isfinite(met):
                ax.axvline(target, color=s.color, linestyle=s.linestyle, linewidth=1, alpha=0.7)
                ax.plot(
                    [target],
                    [met],
                    marker=s.marker,
                    markersize=9,
                    color=s.color,
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


DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hour_of_week_grids(
    hourly: pd.DataFrame, window_weeks: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """7 x 24 grids of utilisation (NaN when nobody is on shift) and average tasks waiting."""
    table = hourly.sort_values("hour_of_week")
    busy = np.zeros(168)
    on_shift = np.zeros(168)
    backlog = np.zeros(168)
    hours = table["hour_of_week"].to_numpy(dtype=int) % 168
    busy[hours] = table["busy_minutes"].to_numpy(dtype=float)
    on_shift[hours] = table["on_shift_minutes"].to_numpy(dtype=float)
    backlog[hours] = table["backlog_task_minutes"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        utilisation = np.where(on_shift > 0, busy / on_shift, np.nan)
    weeks = window_weeks if window_weeks and window_weeks > 0 else 1.0
    return utilisation.reshape(7, 24), (backlog / (60.0 * weeks)).reshape(7, 24)


def heatmap_figure(
    hourly: pd.DataFrame,
    policy: str,
    window_weeks: float | None,
    backlog_max: float | None = None,
) -> Figure:
    """Rep utilisation and average backlog by hour of the week (7 days x 24 hours) for one policy."""
    utilisation, backlog = hour_of_week_grids(hourly, window_weeks)
    with style():
        fig = _new_figure(10.5, 6.6)
        axes = fig.subplots(2, 1)
        cmap = mpl.colormaps[HEATMAP_CMAP].with_extremes(bad=(0, 0, 0, 0))
        panels = (
            (
                utilisation,
                Normalize(0, 1),
                "Rep utilisation: share of on-shift time busy",
                lambda v, _: f"{100 * v:.0f}%",
                "busy / on shift",
            ),
            (
                backlog,
                Normalize(0, backlog_max or max(float(np.nanmax(backlog)), 1e-9)),
                "Backlog: tasks waiting for a rep (average)",
                lambda v, _: f"{v:.3g}",
                "tasks waiting",
            ),
        )
        for ax, (grid, norm, title, fmt, bar_label) in zip(axes, panels, strict=True):
            image = ax.imshow(
                np.ma.masked_invalid(grid),
                aspect="auto",
                cmap=cmap,
                norm=norm,
                interpolation="nearest",
                zorder=1,
            )
            ax.add_patch(
                Rectangle(
                    (-0.5, -0.5),
                    24,
                    7,
                    facecolor="white",
                    edgecolor="#aaaaaa",
                    hatch="////",
                    linewidth=0,
                    zorder=-1,
                )
            )
            ax.set_yticks(range(7), DAYS)
            ax.set_xticks(range(0, 24, 2), [f"{h:02d}:00" for h in range(0, 24, 2)])
            ax.vlines(np.arange(0.5, 23), -0.5, 6.5, color="white", linewidth=0.6)  # cell borders
            ax.hlines(np.arange(0.5, 6), -0.5, 23.5, color="white", linewidth=0.6)
            ax.grid(visible=False)
            ax.set_title(title, fontsize=10.5)
            ax.set_xlabel("Hour of the day (start of the hour)")
            for spine in ax.spines.values():
                spine.set_visible(False)
            colorbar = fig.colorbar(image, ax=ax, format=FuncFormatter(fmt), shrink=0.9)
            colorbar.set_label(bar_label)
        note = "hatched: nobody on shift" if np.isnan(utilisation).any() else ""
        fig.suptitle(f"{policy}: when reps are busy and when work piles up, by hour of the week")
        if note:
            axes[0].text(1.0, 1.02, note, transform=axes[0].transAxes, ha="right", fontsize=8.5)
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
        fig = _new_figure(9.5, 1.3 + len(reasons) * (0.25 + 0.17 * n))
        ax = fig.subplots()
        top = 0.0
        for i, policy in enumerate(policies):
            s = styles[policy]
            ys, widths, lows, highs = [], [], [], []
            for j, name in enumerate(reasons):
                row = summary_value(summary, policy, name)
                if row is None or not math.isfinite(float(row["mean"])):
                    continue
                mean = float(row["mean"])
                low, high = clip_interval(kpi_of(name), float(row["ci_low"]), float(row["ci_high"]))
                ys.append(len(reasons) - 1 - j + 0.4 - height * (i + 0.5))
                widths.append(mean)
                lows.append(mean - low if math.isfinite(low) else 0)
                highs.append(high - mean if math.isfinite(high) else 0)
                top = max(top, high if math.isfinite(high) else mean)
            ax.barh(
                ys,
                widths,
                height=height * 0.9,
                **s.bars(),
                xerr=[lows, highs],
                capsize=3,
                error_kw={"elinewidth": 1, "ecolor": "black"},
                label=policy,
            )
            for y, w, up in zip(ys, widths, highs, strict=True):
                ax.annotate(
                    format_value(KPIS["lost_never_reached"], w),
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


# --------------------------------------------------------------------------- sweeps


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


def sweep_rows(summary: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """One row per sweep point for *kpi*: point, parameter values, mean and CI."""
    return _kpi_rows(summary, kpi).reset_index(drop=True)


def best_row(rows: pd.DataFrame, kpi: str) -> pd.Series:
    """The best point's row (by mean; NaN means never best)."""
    means = rows["mean"].astype(float)
    index = means.idxmax() if higher_is_better(kpi) else means.idxmin()
    return rows.loc[index]


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
        fig = _new_figure(max(7.0, 1.6 * len(x_values) + 2.5), max(4.2, 0.8 * len(y_values) + 2.2))
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
            Rectangle((bj - 0.5, bi - 0.5), 1, 1, fill=False, edgecolor="#D55E00", linewidth=3.5)
        )
        ax.text(
            bj,
            bi + 0.42,
            "best",
            ha="center",
            va="top",
            fontsize=8,
            fontweight="bold",
            color="#D55E00",
            bbox={"fc": "white", "ec": "none", "pad": 0.5},
        )
        ax.set_xticks(range(len(x_values)), [value_text(v) for v in x_values])
        ax.set_yticks(range(len(y_values)), [value_text(v) for v in y_values])
        ax.set_xlabel(parameter_label(x_name, config))
        ax.set_ylabel(parameter_label(y_name, config))
        ax.grid(visible=False)
        for spine in ax.spines.values():
            spine.set_visible(False)
        colorbar = fig.colorbar(image, ax=ax, format=_axis_formatter(k))
        colorbar.set_label(f"{k.label} ({_unit_words(k)})")
        ax.set_title(f"{k.label}{_direction(k)}\nmean ± 95% CI half-width for each combination")
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
        fig = _new_figure(8.5, 5.2)
        ax = fig.subplots()
        for g in groups:
            part = rows if g is None else rows[rows[group_name] == g]
            part = part.assign(_x=[positions[v] for v in part[x_name]]).sort_values("_x")
            s = styles[value_text(g)]
            low = part["ci_low"].astype(float)
            high = part["ci_high"].astype(float)
            ax.fill_between(part["_x"], low, high, color=s.color, alpha=0.18, linewidth=0)
            ax.plot(
                part["_x"],
                part["mean"],
                color=s.color,
                marker=s.marker,
                linestyle=s.linestyle,
                label=None if g is None else value_text(g),
            )
        bx = positions[best[x_name]]
        ax.plot(
            [bx],
            [best["mean"]],
            marker="*",
            markersize=20,
            color="#D55E00",
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
        ax.yaxis.set_major_formatter(_axis_formatter(k))
        ax.set_xlabel(parameter_label(x_name, config))
        ax.set_ylabel(f"{k.label} ({_unit_words(k)})")
        ax.legend(loc="best", title=parameter_label(group_name, config) if group_name else None)
        ax.set_title(f"{k.label}{_direction(k)} across the sweep (mean, 95% CI band)")
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
        fig = _new_figure(10, 1.2 + 0.32 * len(rows))
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
            color="#D55E00",
            markeredgecolor="black",
            linestyle="none",
            label="best point",
            zorder=5,
        )
        ax.set_yticks(ys, labels, fontsize=8)
        ax.xaxis.set_major_formatter(_axis_formatter(k))
        ax.set_xlabel(f"{k.label} ({_unit_words(k)})")
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower right")
        ax.set_title(f"Best sweep points by {k.label.lower()} (mean, 95% CI)")
    return fig


# --------------------------------------------------------------------------- all figures


@dataclass(frozen=True)
class DrawnFigure:
    """A figure with the name of its files and the words that go with it in the report."""

    stem: str
    title: str
    caption: str
    figure: Figure


@dataclass(frozen=True)
class SavedFigure:
    """A figure written to disk."""

    stem: str
    title: str
    caption: str
    png: Path
    svg: Path


MAX_HEATMAP_POLICIES = 2
"""Up to this many policies get a heatmap each; more: the baseline and the best other one."""


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "policy"


def draw_figures(run: RunData) -> Iterator[DrawnFigure]:
    """Every figure that applies to the run folder, drawn one at a time (in report order)."""
    if run.verb == "sweep":
        yield from _sweep_figures(run)
        return
    policies = run.policies
    window = weeks_text(run.window_weeks)
    reference = run.reference
    if run.first_attempts is not None and not run.first_attempts.empty:
        yield DrawnFigure(
            "speed_to_lead",
            "Speed to lead",
            "Share of leads reached on the first call, qualified and won, by how long the first "
            "call attempt took (leads summed over replications; buckets with fewer than "
            f"{MIN_BUCKET_LEADS} leads left out). Open markers: the published lead-response "
            f"ratios (HBR 2011, MIT/InsideSales 2007) applied to {reference}'s rate in the faster "
            "bucket (the dashed line over that bucket), e.g. '÷7': a first call in the second "
            "hour qualifies 7 times less often than one in the first hour. A triangle means 'at "
            "most' (the study says 'more than' that ratio). Selection matters: in a busy team "
            "the leads called late differ from those called early, so the simulated curve need "
            "not match the published points (validate checks the ratios on equal leads).",
            speed_to_lead_figure(run.first_attempts, reference, policies),
        )
    if run.summary is not None:
        yield DrawnFigure(
            "kpis",
            "Key results",
            f"Mean over replications with 95% confidence intervals, over the {window} window."
            + (f" Dotted line: {reference}." if len(policies) > 1 else ""),
            kpi_comparison_figure(run.summary, DEFAULT_KPIS, reference, policies, run.window_weeks),
        )
    if run.differences is not None and not run.differences.empty and run.baseline:
        yield DrawnFigure(
            "differences",
            f"Differences against {run.baseline}",
            f"Each variant minus {run.baseline}, replication by replication on the same seeds "
            "(the same leads with the same luck), relative to the baseline mean; bars show the "
            "mean change, whiskers its 95% confidence interval. An interval that crosses zero "
            "means no clear difference.",
            differences_figure(run.differences, DEFAULT_KPIS, run.baseline, policies),
        )
    if run.summary is not None and not _kpi_rows(run.summary, "won_share").empty:
        yield DrawnFigure(
            "funnel",
            "Lead funnel",
            "Share of the cohort's leads that were reached, qualified and won (mean over "
            "replications, 95% CI).",
            funnel_figure(run.summary, policies),
        )
    if run.first_attempts is not None and not run.first_attempts.empty:
        yield DrawnFigure(
            "first_attempt_cdf",
            "Time to first call attempt",
            "Share of leads (screened-out leads excluded) whose first call attempt came within "
            "each delay, leads summed over replications; each policy's response-time target is "
            "marked with the share that met it.",
            first_attempt_cdf_figure(run.first_attempts, run.targets, policies),
        )
    if run.hourly is not None and not run.hourly.empty:
        chosen = policies
        if len(policies) > MAX_HEATMAP_POLICIES:
            best = run.best_policy(exclude_reference=True)
            chosen = [p for p in policies if p in (reference, best)]
        grids = {
            p: hour_of_week_grids(run.hourly[run.hourly["policy"] == p], run.window_weeks)
            for p in chosen
        }
        backlog_max = max((float(np.nanmax(g[1])) for g in grids.values()), default=0.0) or None
        for policy in chosen:
            role = ""
            if policy == run.baseline and len(policies) > 1 and policy != "baseline":
                role = " (baseline)"
            elif policy != run.baseline and len(chosen) < len(policies):
                role = " (best)"
            yield DrawnFigure(
                f"heatmap_{_slug(policy)}",
                f"Workload by hour of the week: {policy}{role}",
                "Top: share of on-shift rep time spent working, per hour of the week. Bottom: "
                "tasks waiting for a rep on average in that hour (same colour scale for every "
                f"policy). Averaged over the {window} window and the replications.",
                heatmap_figure(
                    run.hourly[run.hourly["policy"] == policy],
                    policy,
                    run.window_weeks,
                    backlog_max,
                ),
            )
    if run.summary is not None and run.summary["kpi"].astype(str).str.startswith("lost_").any():
        yield DrawnFigure(
            "lost_reasons",
            "Why leads were lost",
            "Leads of the cohort lost for each reason, mean over replications with 95% CI.",
            lost_reasons_figure(run.summary, policies, run.window_weeks),
        )


def _sweep_figures(run: RunData) -> Iterator[DrawnFigure]:
    if run.summary is None or not run.parameters:
        return
    kpi = run.primary_kpi
    rows = sweep_rows(run.summary, kpi)
    if rows.empty:
        return
    label = kpi_of(kpi).label.lower()
    params = run.parameters
    if len(params) == 2:
        yield DrawnFigure(
            "sweep_heatmap",
            f"Sweep: {label} for each combination",
            "Each cell is one point of the sweep: mean over replications and the half-width of "
            "its 95% confidence interval. The best point is outlined.",
            sweep_heatmap_figure(run.summary, params, kpi, run.config),
        )
    if len(params) == 1 or (len(params) == 2 and len(set(rows[params[1]])) <= MAX_SWEEP_LINES):
        yield DrawnFigure(
            "sweep_lines",
            f"Sweep: {label} against {parameter_label(params[0], run.config)}",
            "Mean over replications with its 95% confidence band"
            + (
                f", one line per value of {parameter_label(params[1], run.config)}"
                if len(params) == 2
                else ""
            )
            + ". The star marks the best point.",
            sweep_lines_figure(run.summary, params, kpi, run.config),
        )
    if len(params) > 2:
        yield DrawnFigure(
            "sweep_ranking",
            f"Sweep: best points by {label}",
            f"The best points (up to {MAX_RANKED_POINTS}) with 95% confidence intervals.",
            sweep_ranking_figure(run.summary, params, kpi, run.config),
        )


def render_figures(run: RunData, folder: str | Path | None = None) -> list[SavedFigure]:
    """Draw and save every figure of *run* (default folder: ``<run_dir>/figures``)."""
    folder = Path(folder) if folder is not None else run.folder / "figures"
    saved = []
    for drawn in draw_figures(run):
        png = save_figure(drawn.figure, folder, drawn.stem)
        saved.append(
            SavedFigure(drawn.stem, drawn.title, drawn.caption, png, png.with_suffix(".svg"))
        )
    return saved


def figures_for(run_dir: str | Path) -> list[Path]:
    """Draw every figure that applies to the run folder into ``run_dir/figures/``; PNG paths."""
    return [saved.png for saved in render_figures(load_run(run_dir))]
