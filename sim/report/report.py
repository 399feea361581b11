"""The report for sales leadership: a self-contained HTML page and a PDF from a run folder.

:func:`write_report` reads a folder written by ``run``, ``compare`` or ``sweep``,
draws its figures (:mod:`sim.report.figures`) and writes ``report.html`` (images embedded
as base64 PNG, inline CSS, no scripts or external links, prints cleanly) and
``report.pdf`` (matplotlib only: a title page with the summary, a page per
figure, then the tables and the assumptions as monospaced text).

The report opens with a plain-language summary generated from the numbers,
then the figures, the tables (summary; differences and ranking for a compare;
the points for a sweep) and the assumptions: scenario, team, cadence and
provenance (seed, replications, versions, command, git commit).
"""

from __future__ import annotations

import base64
import html
import math
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import PIL.Image
import yaml
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from sim.analysis.stats import t_halfwidth
from sim.config.durations import format_duration, parse_duration
from sim.engine.kpis import KPIS
from sim.report.display import format_value
from sim.report.figures import (
    RunData,
    SavedFigure,
    best_row,
    clip_interval,
    config_at,
    higher_is_better,
    kpi_of,
    load_run,
    parameter_label,
    render_figures,
    signed_value,
    style,
    summary_value,
    sweep_rows,
    value_text,
    weeks_text,
)

RUN_HEADLINE = (
    "profit",
    "revenue",
    "won",
    "won_share",
    "first_attempt_within_target_share",
    "first_attempt_within_5m_share",
    "speed_to_lead_median_minutes",
    "utilisation",
    "overtime_hours",
)
"""KPIs listed under a run's summary sentence."""
SUMMARY_LABELS = {
    "won_share": "Share of leads won",
    "qualified_share": "Share of leads qualified",
    "reached_share": "Share of leads reached",
    "first_attempt_within_5m_share": "Leads called within 5 minutes",
    "first_attempt_within_target_share": "Leads called within the response target",
}
"""Plainer words than the KPI labels for the summary's sentences."""
SWEEP_TABLE_KPIS = ("won_share", "first_attempt_within_5m_share", "utilisation")
"""KPIs shown next to the primary KPI in a sweep's table of points."""


# --------------------------------------------------------------------------- content


@dataclass
class Summary:
    """The opening text: sentences, then supporting points."""

    paragraphs: list[str]
    points: list[str] = field(default_factory=list)


@dataclass
class Table:
    """A table of already formatted cells."""

    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass
class Block:
    """Preformatted text (YAML of a policy)."""

    title: str
    text: str


def _fv(kpi_name: str, value: float) -> str:
    return format_value(kpi_of(kpi_name), value)


def mean_with_ci(kpi_name: str, row: pd.Series | None, short: bool = False) -> str:
    """``'2,660,000 (95% CI 2,550,000 to 2,770,000)'`` (interval clipped to feasible values).

    *short*: ``'2,660,000 (2,550,000 to 2,770,000)'``, for tables whose header names the CI.
    """
    if row is None:
        return "n/a"
    mean = float(row["mean"])
    low, high = float(row["ci_low"]), float(row["ci_high"])
    text = _fv(kpi_name, mean)
    if math.isfinite(low) and math.isfinite(high):
        low, high = clip_interval(kpi_of(kpi_name), low, high)
        text += f" ({'' if short else '95% CI '}{_fv(kpi_name, low)} to {_fv(kpi_name, high)})"
    return text


def signed_difference(kpi_name: str, value: float) -> str:
    """A difference in the KPI's unit with its sign; shares in percentage points."""
    return signed_value(kpi_of(kpi_name), value)


def percent(value: float, signed: bool = False) -> str:
    """``0.1234`` -> ``'12.3%'`` (``'+12.3%'`` when *signed*)."""
    if not math.isfinite(value):
        return "n/a"
    if round(100 * value, 1) == 0:
        return "0.0%"
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def _join(names: Sequence[str]) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def rep_counts(run: RunData, policy: str | None = None) -> dict[str, int]:
    """Reps per group for *policy*: ``scenario.reps`` counts, with the variant's overrides
    and ``policy.staffing.counts`` applied (the baseline's when *policy* is not a variant)."""
    from sim.experiment import merge_config

    scenario = dict(run.config.get("scenario") or {})
    cadence = dict(run.config.get("policy") or {})
    for variant in (run.config.get("compare") or {}).get("variants") or []:
        if isinstance(variant, dict) and variant.get("name") == policy:
            scenario = merge_config(scenario, variant.get("scenario") or {})
            cadence = merge_config(cadence, variant.get("policy") or {})
    overrides = ((cadence.get("staffing") or {}).get("counts")) or {}
    counts = {}
    for group in scenario.get("reps") or []:
        name = str(group.get("name", "reps"))
        counts[name] = int(overrides.get(name, group.get("count", 0)))
    return counts


def _reps_text(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not counts:
        return ""
    word = "rep" if total == 1 else "reps"
    if len(counts) == 1:
        return f"{total} {word}"
    return f"{total} {word} (" + ", ".join(f"{n} {g}" for g, n in counts.items()) + ")"


def _difference_row(run: RunData, policy: str, kpi: str) -> pd.Series | None:
    if run.differences is None:
        return None
    rows = run.differences[(run.differences["policy"] == policy) & (run.differences["kpi"] == kpi)]
    return None if rows.empty else rows.iloc[0]


def _excludes_zero(low: float, high: float) -> bool:
    return math.isfinite(low) and math.isfinite(high) and (low > 0 or high < 0)


def _relative_phrase(rel: float, low: float, high: float) -> str:
    """``'12.0% (95% CI 9.1% to 15.2%)'``: magnitudes when the interval has one sign."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return percent(abs(rel))
    if low >= 0:
        return f"{percent(rel)} (95% CI {percent(low)} to {percent(high)})"
    if high <= 0:
        return f"{percent(-rel)} (95% CI {percent(-high)} to {percent(-low)})"
    return f"{percent(rel, True)} (95% CI {percent(low, True)} to {percent(high, True)})"


def _change_clause(kpi: str, d: pd.Series) -> str:
    """``'raises profit by 12.0% (95% CI 9.1% to 15.2%)'`` (absolute when relative is undefined)."""
    label = kpi_of(kpi).label.lower()
    mean = float(d["mean_difference"])
    verb = "raises" if mean > 0 else ("lowers" if mean < 0 else "leaves")
    rel, low, high = (
        float(d["relative_difference"]),
        float(d["relative_ci_low"]),
        float(d["relative_ci_high"]),
    )
    if not _excludes_zero(float(d["ci_low"]), float(d["ci_high"])):
        if math.isfinite(rel):
            return f"changes {label} by {_relative_phrase(rel, low, high)}"
        return (
            f"changes {label} by {signed_difference(kpi, mean)} (95% CI "
            f"{signed_difference(kpi, float(d['ci_low']))} to "
            f"{signed_difference(kpi, float(d['ci_high']))})"
        )
    if math.isfinite(rel):
        return f"{verb} {label} by {_relative_phrase(rel, low, high)}"
    low_abs, high_abs = sorted((abs(float(d["ci_low"])), abs(float(d["ci_high"]))))
    return (
        f"{verb} {label} by {_fv(kpi, abs(mean))} "
        f"(95% CI {_fv(kpi, low_abs)} to {_fv(kpi, high_abs)})"
    )


def _from_to(run: RunData, kpi: str, a: str, b: str) -> str:
    """``'65.2% with baseline, 91.0% with fast (+25.8 pts, 95% CI +24.0 to +27.5 pts)'``."""
    if run.summary is None:
        return ""
    ra, rb = summary_value(run.summary, a, kpi), summary_value(run.summary, b, kpi)
    if ra is None or rb is None:
        return ""
    text = f"{_fv(kpi, float(ra['mean']))} with {a}, {_fv(kpi, float(rb['mean']))} with {b}"
    d = _difference_row(run, b, kpi)
    if d is not None and math.isfinite(float(d["ci_low"])):
        text += (
            f" ({signed_difference(kpi, float(d['mean_difference']))}, 95% CI "
            f"{signed_difference(kpi, float(d['ci_low']))} to "
            f"{signed_difference(kpi, float(d['ci_high']))})"
        )
    return text


def _indistinguishable(run: RunData, kpi: str, leader: str) -> list[str] | None:
    """Policies whose paired difference with *leader* on *kpi* has a CI containing zero.

    From the per-replication values when the folder has them (a direct comparison), else
    the ranking's group (neighbours that cannot be told apart), minus the baseline when
    the paired differences against it are clear. ``None``: nothing to judge by.
    """
    others = [p for p in run.policies if p != leader]
    direct = {p: paired(run, kpi, leader, p, key="policy") for p in others}
    if all(d is not None for d in direct.values()):
        return [p for p, d in direct.items() if d is not None and not _excludes_zero(d.low, d.high)]
    if run.ranking is None or run.ranking.empty:
        return None
    ranked = run.ranking[run.ranking["kpi"] == kpi]
    group = ranked[ranked["policy"] == leader]["group"]
    if group.empty:
        return None
    same = [str(p) for p in ranked[ranked["group"] == group.iloc[0]]["policy"] if p != leader]
    if run.baseline in same:
        d = _difference_row(run, leader, kpi)
        if d is not None and _excludes_zero(float(d["ci_low"]), float(d["ci_high"])):
            same.remove(run.baseline)
    return same


def _compare_summary(run: RunData) -> Summary:
    kpi = run.primary_kpi
    label = kpi_of(kpi).label.lower()
    base = run.reference or ""
    window = weeks_text(run.window_weeks)
    variants = [p for p in run.policies if p != base]
    best = run.best_policy(exclude_reference=True)
    paragraphs: list[str] = []
    points: list[str] = []
    d = _difference_row(run, best, kpi) if best else None
    base_row = summary_value(run.summary, base, kpi) if run.summary is not None else None
    best_row_ = summary_value(run.summary, best, kpi) if run.summary is not None and best else None
    if best is None or d is None:
        paragraphs.append(f"The comparison has no paired differences on {label} to report.")
        return Summary(paragraphs)
    improves = (float(d["mean_difference"]) > 0) == higher_is_better(kpi)
    clear = _excludes_zero(float(d["ci_low"]), float(d["ci_high"]))
    levels = ""
    if base_row is not None and best_row_ is not None:
        levels = (
            f": {_fv(kpi, float(base_row['mean']))} with {base} against "
            f"{_fv(kpi, float(best_row_['mean']))} with {best}, on average"
        )
    if clear and improves:
        paragraphs.append(
            f"Switching from {base} to {best} {_change_clause(kpi, d)} over the {window} "
            f"window{levels}."
        )
    elif clear and len(variants) == 1:
        paragraphs.append(
            f"Switching from {base} to {best} would not pay off: it {_change_clause(kpi, d)} "
            f"over the {window} window{levels}."
        )
    elif clear:
        paragraphs.append(
            f"None of the {len(variants)} variants improves {label} on {base}. The closest, "
            f"{best}, {_change_clause(kpi, d)} over the {window} window{levels}."
        )
    else:
        paragraphs.append(
            f"Switching from {base} to {best} {_change_clause(kpi, d)} over the {window} window"
            f"{levels}. That is within the simulation's noise: {best} and {base} cannot be told "
            f"apart on {label}."
        )
    leader = run.best_policy()
    if leader and len(run.policies) > 2:
        ties = _indistinguishable(run, kpi, leader)
        if ties:
            paragraphs.append(
                f"On {label}, {leader} cannot be told apart from {_join(ties)}: the 95% CI of "
                "the paired difference includes zero."
            )
        elif ties is not None:
            paragraphs.append(
                f"{leader} is ahead of every other policy on {label} (every paired 95% CI "
                "excludes zero)."
            )
    for name in ("first_attempt_within_5m_share", "speed_to_lead_median_minutes", "utilisation"):
        text = _from_to(run, name, base, best)
        if text:
            points.append(f"{SUMMARY_LABELS.get(name, KPIS[name].label)}: {text}.")
    base_reps, best_reps = rep_counts(run, base), rep_counts(run, best)
    if base_reps != best_reps:
        points.append(
            f"Staffing differs: {best} has {_reps_text(best_reps)} against {base}'s "
            f"{_reps_text(base_reps)}."
        )
    n = run.manifest.get("replications")
    stopped = run.manifest.get("stopped_because")
    if n:
        points.append(
            f"Every policy ran {n} replications on the same seeds (the same simulated leads), "
            "so differences are paired." + (f" Stopped: {stopped}." if stopped else "")
        )
    return Summary(paragraphs, points)


def _run_summary(run: RunData) -> Summary:
    kpi = run.primary_kpi
    policy = run.reference or run.name
    window = weeks_text(run.window_weeks)
    row = summary_value(run.summary, policy, kpi) if run.summary is not None else None
    reps = _reps_text(rep_counts(run, policy))
    who = f"{policy} with {reps}" if reps else policy
    n = run.manifest.get("replications")
    basis = f", from {n} replications" if n else ""
    if row is None:
        return Summary([f"The run folder has no summary of {kpi_of(kpi).label.lower()}."])
    k = kpi_of(kpi)
    if k.unit == "money":
        lead = f"Over the {window} window, {who} makes an average {k.label.lower()} of "
    else:
        lead = f"Over the {window} window, {who} averages {k.label.lower()} of "
    paragraphs = [lead + mean_with_ci(kpi, row) + basis + "."]
    points = []
    target = run.targets.get(policy)
    for name in RUN_HEADLINE:
        if name == kpi:
            continue
        r = summary_value(run.summary, policy, name)
        if r is None:
            continue
        label = SUMMARY_LABELS.get(name, KPIS[name].label)
        if name == "first_attempt_within_target_share" and target is not None:
            label += f" ({format_value(KPIS['speed_to_lead_median_minutes'], target)})"
        points.append(f"{label}: {mean_with_ci(name, r)}")
    return Summary(paragraphs, points)


def _same_value(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    try:
        return math.isclose(float(a), float(b))
    except (TypeError, ValueError):
        pass
    try:
        return math.isclose(parse_duration(a), parse_duration(b))
    except (TypeError, ValueError):
        return str(a) == str(b)


def _settings(run: RunData, row: pd.Series) -> str:
    return ", ".join(
        f"{parameter_label(p, run.config)} = {value_text(row[p])}" for p in run.parameters
    )


@dataclass(frozen=True)
class Paired:
    """A paired difference between two sweep points over the same replication seeds."""

    n: int
    mean: float
    low: float
    high: float
    relative: float
    relative_low: float
    relative_high: float


def paired(run: RunData, kpi: str, a: Any, b: Any, key: str = "point") -> Paired | None:
    """*a* minus *b* on *kpi*, replication by replication over the same seeds (relative to
    *b*'s mean); *key* is ``point`` (sweep) or ``policy`` (compare). ``None`` without
    per-replication values."""
    reps = run.replications
    if reps is None or kpi not in reps.columns or not {"replication", key} <= set(reps.columns):
        return None
    left = reps[reps[key] == a].set_index("replication")[kpi]
    right = reps[reps[key] == b].set_index("replication")[kpi]
    pair = pd.concat([left, right], axis=1, join="inner").dropna()
    n = len(pair)
    if n < 2:
        return None
    diff = pair.iloc[:, 0].astype(float) - pair.iloc[:, 1].astype(float)
    mean = float(diff.mean())
    half = t_halfwidth(float(diff.std(ddof=1)), n)
    scale = abs(float(pair.iloc[:, 1].mean())) or math.nan
    return Paired(
        n,
        mean,
        mean - half,
        mean + half,
        mean / scale,
        (mean - half) / scale,
        (mean + half) / scale,
    )


def configured_point(run: RunData, rows: pd.DataFrame) -> pd.Series | None:
    """The sweep point whose settings are the config's own values (the baseline point)."""
    values = {p: config_at(run.config, p) for p in run.parameters}
    if any(v is None for v in values.values()):
        return None
    for _, row in rows.iterrows():
        if all(_same_value(row[p], values[p]) for p in run.parameters):
            return row
    return None


def _sweep_comparison(run: RunData, kpi: str, best: pd.Series, other: pd.Series, what: str) -> str:
    """``'12.0% higher (95% CI 9.1% to 15.2%) than the worst point (...: 2,400,000)'``."""
    diff = paired(run, kpi, int(best["point"]), int(other["point"]))
    other_text = f"{what} ({_settings(run, other)}: {_fv(kpi, float(other['mean']))})"
    if diff is None or not math.isfinite(diff.relative):
        gap = float(best["mean"]) - float(other["mean"])
        word = "higher" if gap > 0 else "lower"
        return f"{_fv(kpi, abs(gap))} {word} than {other_text}"
    word = "higher" if diff.mean > 0 else "lower"
    if not _excludes_zero(diff.low, diff.high):
        return (
            f"{percent(abs(diff.relative))} {word} than {other_text}, though within the noise "
            f"(95% CI of the paired difference {percent(diff.relative_low, True)} to "
            f"{percent(diff.relative_high, True)})"
        )
    return (
        f"{_relative_phrase(diff.relative, diff.relative_low, diff.relative_high)} {word} "
        f"than {other_text}"
    )


def _sweep_summary(run: RunData) -> Summary:
    kpi = run.primary_kpi
    label = kpi_of(kpi).label.lower()
    window = weeks_text(run.window_weeks)
    if run.summary is None or not run.parameters:
        return Summary(["The sweep folder has no summary to report."])
    rows = sweep_rows(run.summary, kpi).dropna(subset=["mean"])
    if rows.empty:
        return Summary([f"The sweep has no results for {label}."])
    best = best_row(rows, kpi)
    worst = rows.loc[
        rows["mean"].astype(float).idxmin()
        if higher_is_better(kpi)
        else rows["mean"].astype(float).idxmax()
    ]
    names = _join([parameter_label(p, run.config) for p in run.parameters])
    paragraphs = [
        f"Of the {len(rows)} settings of {names} tried, the best {label} comes from "
        f"{_settings(run, best)}: {mean_with_ci(kpi, best)} over the {window} window."
    ]
    comparisons = []
    if int(worst["point"]) != int(best["point"]):
        comparisons.append(_sweep_comparison(run, kpi, best, worst, "the worst point"))
    configured = configured_point(run, rows)
    if configured is not None and int(configured["point"]) != int(best["point"]):
        comparisons.append(_sweep_comparison(run, kpi, best, configured, "the configured setting"))
    if comparisons:
        paragraphs.append("That is " + " and ".join(comparisons) + ".")
    points = []
    if configured is not None and int(configured["point"]) == int(best["point"]):
        points.append(f"The configured setting ({_settings(run, configured)}) is already the best.")
    elif configured is None:
        values = ", ".join(
            f"{parameter_label(p, run.config)} = {value_text(config_at(run.config, p))}"
            for p in run.parameters
        )
        points.append(f"The configured setting ({values}) is not one of the sweep's points.")
    ties = []
    for _, row in rows.iterrows():
        if int(row["point"]) == int(best["point"]):
            continue
        diff = paired(run, kpi, int(best["point"]), int(row["point"]))
        if diff is not None and not _excludes_zero(diff.low, diff.high):
            ties.append(_settings(run, row))
    if ties:
        shown = "; ".join(ties[:3]) + ("; ..." if len(ties) > 3 else "")
        points.append(
            f"{len(ties)} other point{'s' if len(ties) != 1 else ''} cannot be told apart from the "
            f"best (paired 95% CI of the difference includes zero): {shown}."
        )
    n = run.manifest.get("replications")
    if n:
        points.append(f"Each point ran {n} replications on the same seeds.")
    return Summary(paragraphs, points)


def build_summary(run: RunData) -> Summary:
    """The plain-language summary for the run folder's verb."""
    if run.verb == "tune":
        summary = _compare_summary(run)
        tuned = run.manifest.get("tuned_summary")
        return Summary([tuned, *summary.paragraphs], summary.points) if tuned else summary
    if run.verb == "compare":
        return _compare_summary(run)
    if run.verb == "sweep":
        return _sweep_summary(run)
    return _run_summary(run)


# --------------------------------------------------------------------------- tables


TABLE_FIRST = (
    "profit",
    "revenue",
    "won",
    "won_share",
    "qualified_share",
    "first_attempt_within_5m_share",
    "first_attempt_within_target_share",
    "speed_to_lead_median_minutes",
    "utilisation",
)
"""KPIs that open the summary and differences tables (after the primary KPI)."""


def _kpi_order(names: Sequence[str], primary: str = "profit") -> list[str]:
    """The primary KPI, the headline KPIs, then the rest in :data:`KPIS` order."""
    known = [primary, *TABLE_FIRST, *KPIS]
    known = list(dict.fromkeys(known))
    unique = list(dict.fromkeys(str(n) for n in names))
    return sorted(unique, key=lambda n: known.index(n) if n in known else len(known))


def build_tables(run: RunData) -> list[Table]:
    """Summary; differences and ranking (compare); points (sweep)."""
    tables: list[Table] = []
    if run.verb == "sweep":
        if run.summary is not None and run.parameters:
            tables.append(_sweep_table(run))
        return tables
    if run.summary is not None:
        rows = []
        for name in _kpi_order(run.summary["kpi"], run.primary_kpi):
            rows.append(
                [kpi_of(name).label]
                + [
                    mean_with_ci(name, summary_value(run.summary, p, name), short=True)
                    for p in run.policies
                ]
            )
        tables.append(
            Table(
                "KPI summary: mean over replications (95% confidence interval in brackets)",
                ["KPI", *run.policies],
                rows,
                f"Over the {weeks_text(run.window_weeks)} window; {run.manifest.get('replications', '?')} "
                "replications per policy.",
            )
        )
    if run.differences is not None and not run.differences.empty:
        rows = []
        for name in _kpi_order(run.differences["kpi"], run.primary_kpi):
            for _, d in run.differences[run.differences["kpi"] == name].iterrows():
                p = float(d.get("p_value", math.nan))
                rows.append(
                    [
                        kpi_of(name).label,
                        str(d["policy"]),
                        _fv(name, float(d["baseline_mean"])),
                        f"{signed_difference(name, float(d['mean_difference']))} "
                        f"({signed_difference(name, float(d['ci_low']))} to "
                        f"{signed_difference(name, float(d['ci_high']))})",
                        f"{percent(float(d['relative_difference']), True)} "
                        f"({percent(float(d['relative_ci_low']), True)} to "
                        f"{percent(float(d['relative_ci_high']), True)})",
                        "n/a" if not math.isfinite(p) else ("<0.001" if p < 0.001 else f"{p:.3f}"),
                    ]
                )
        tables.append(
            Table(
                f"Paired differences against {run.baseline} (variant minus baseline, 95% CI)",
                ["KPI", "policy", "baseline mean", "difference", "relative", "p-value"],
                rows,
                "Same replication seeds for every policy: replication i of each policy meets the "
                "same leads with the same luck.",
            )
        )
    if run.ranking is not None and not run.ranking.empty:
        rows = []
        for _, r in run.ranking.sort_values(["kpi", "rank"]).iterrows():
            name = str(r["kpi"])
            rows.append(
                [
                    str(r["rank"]),
                    str(r["policy"]),
                    mean_with_ci(name, r, short=True),
                    str(r["group"]),
                    str(r["verdict"]),
                ]
            )
        kpi = kpi_of(run.primary_kpi).label.lower()
        tables.append(
            Table(
                f"Ranking by {kpi}",
                ["rank", "policy", "mean (95% CI)", "group", "verdict"],
                rows,
                "Policies in the same group cannot be told apart statistically.",
            )
        )
    return tables


def _sweep_table(run: RunData) -> Table:
    kpi = run.primary_kpi
    assert run.summary is not None
    rows_of = sweep_rows(run.summary, kpi)
    extra = [k for k in SWEEP_TABLE_KPIS if k != kpi and not sweep_rows(run.summary, k).empty]
    best = best_row(rows_of.dropna(subset=["mean"]), kpi) if not rows_of.empty else None
    configured = configured_point(run, rows_of)
    rows = []
    for _, r in rows_of.iterrows():
        point = int(r["point"])
        notes = []
        if best is not None and point == int(best["point"]):
            notes.append("best")
        if configured is not None and point == int(configured["point"]):
            notes.append("configured")
        cells = [
            str(point),
            *(value_text(r[p]) for p in run.parameters),
            mean_with_ci(kpi, r, short=True),
        ]
        for k in extra:
            other = run.summary[(run.summary["point"] == point) & (run.summary["kpi"] == k)]
            cells.append(_fv(k, float(other.iloc[0]["mean"])) if not other.empty else "n/a")
        rows.append([*cells, ", ".join(notes)])
    return Table(
        f"Sweep points: {kpi_of(kpi).label.lower()} (mean, 95% CI)",
        [
            "point",
            *(parameter_label(p, run.config) for p in run.parameters),
            f"{kpi_of(kpi).label} (95% CI)",
            *(kpi_of(k).label for k in extra),
            "",
        ],
        rows,
        f"Over the {weeks_text(run.window_weeks)} window; {run.manifest.get('replications', '?')} "
        "replications per point.",
    )


# --------------------------------------------------------------------------- assumptions


def _duration_text(value: Any) -> str:
    if value is None:
        return "n/a"
    try:
        minutes = parse_duration(value)
    except (TypeError, ValueError):
        return str(value)
    for size, word in ((10080, "week"), (1440, "day"), (60, "hour")):
        if minutes >= size and minutes % size == 0:
            n = int(minutes // size)
            return f"{n} {word}{'s' if n != 1 else ''}"
    return format_duration(minutes)


def _clock(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{int(value) // 60:02d}:{int(value) % 60:02d}"  # YAML 1.1 read 09:30 as 570
    return str(value)


_DAY_SETS = {
    ("mon", "tue", "wed", "thu", "fri"): "Mon-Fri",
    ("sat", "sun"): "Sat-Sun",
    ("mon", "tue", "wed", "thu", "fri", "sat", "sun"): "every day",
}


def _days(value: Any) -> str:
    if isinstance(value, str):
        return value
    days = tuple(str(d).lower() for d in value or ())
    return _DAY_SETS.get(days, ", ".join(d.capitalize() for d in days))


def _number(value: Any) -> str:
    """``1300.0`` -> ``'1,300'``; text and missing values as they are (``'n/a'``)."""
    if value is None:
        return "n/a"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,.0f}" if abs(value) >= 1000 else value_text(value)
    return str(value)


def _mean_of(value: Any) -> str:
    if isinstance(value, dict):
        return _number(value.get("mean"))
    return _number(value)


def build_assumptions(run: RunData) -> list[Table | Block]:
    """Scenario, team, cadence and provenance, as tables and YAML blocks."""
    config, manifest = run.config, run.manifest
    scenario = config.get("scenario") or {}
    economics = scenario.get("economics") or {}
    sections: list[Table | Block] = []
    general = [
        ["Experiment", run.name],
        ["Verb", run.verb],
        ["Measured window (horizon)", _duration_text(scenario.get("horizon"))],
        ["Warm-up (simulated before measuring)", _duration_text(scenario.get("warmup"))],
        ["Drain (cohort followed after the window)", _duration_text(scenario.get("drain"))],
        ["Rep cost per hour", value_text(economics.get("rep_cost_per_hour", "n/a"))],
        ["Cost per touch", value_text(economics.get("cost_per_touch", "n/a"))],
        ["Seed", value_text(manifest.get("seed", config.get("seed", "n/a")))],
        [
            "Replications",
            value_text(manifest.get("replications", config.get("replications", "n/a"))),
        ],
    ]
    if run.verb in ("compare", "tune"):
        general.append(["Baseline", str(run.baseline)])
        if manifest.get("stopped_because"):
            general.append(["Stopped because", str(manifest["stopped_because"])])
    if run.verb == "sweep":
        general.append(["Parameters", ", ".join(run.parameters)])
    general.append(["Primary KPI", kpi_of(run.primary_kpi).label])
    sections.append(Table("Scenario and experiment", ["setting", "value"], general))
    sources = []
    for s in scenario.get("sources") or []:
        profile = s.get("profile", "n/a")
        sources.append(
            [
                str(s.get("name", "")),
                _number(s.get("leads_per_week")),
                profile if isinstance(profile, str) else "custom (168 hourly weights)",
                _mean_of(s.get("intent")),
                _mean_of(s.get("reachability")),
                _mean_of(s.get("deal_value")),
                _number(s.get("fit_rate")),
            ]
        )
    if sources:
        sections.append(
            Table(
                "Lead sources",
                [
                    "source",
                    "leads/week",
                    "arrival profile",
                    "intent (mean)",
                    "reachability (mean)",
                    "deal value (mean)",
                    "fit rate",
                ],
                sources,
            )
        )
    policies = run.policies if run.verb in ("compare", "tune") else [run.reference or run.name]
    per_policy = {p: rep_counts(run, p) for p in policies}
    reps = []
    for group in scenario.get("reps") or []:
        name = str(group.get("name", "reps"))
        counts = {p: per_policy[p].get(name) for p in policies}
        distinct = set(counts.values())
        count_text = (
            value_text(next(iter(distinct)))
            if len(distinct) == 1
            else ", ".join(f"{p}: {c}" for p, c in counts.items())
        )
        shift = group.get("shift") or {}
        reps.append(
            [
                name,
                count_text,
                str(group.get("role", "generalist")),
                _days(shift.get("days")),
                f"{_clock(shift.get('start', ''))}-{_clock(shift.get('end', ''))}",
                value_text(group.get("skill", 1.0)),
            ]
        )
    if reps:
        sections.append(
            Table(
                "Reps per group (after policy.staffing.counts overrides)",
                ["group", "reps", "role", "days", "hours", "skill"],
                reps,
            )
        )
    if config.get("policy"):
        sections.append(Block("Cadence (policy) of the base experiment", _yaml(config["policy"])))
    if config.get("compare"):
        sections.append(
            Block("Compared variants (overrides of the base)", _yaml(config["compare"]))
        )
    if config.get("sweep"):
        sections.append(Block("Sweep design", _yaml(config["sweep"])))
    versions = manifest.get("versions") or {}
    provenance = [
        ["Command", str(manifest.get("command", "n/a"))],
        ["Git commit", str(manifest.get("git_commit") or "n/a")],
        ["Finished at", str(manifest.get("finished_at", "n/a"))],
        [
            "Wall time",
            f"{float(manifest['wall_seconds']):.1f} s" if "wall_seconds" in manifest else "n/a",
        ],
        ["Versions", ", ".join(f"{k} {v}" for k, v in versions.items()) or "n/a"],
        ["Run folder", run.folder.name],
    ]
    sections.append(Table("Provenance", ["item", "value"], provenance))
    return sections


def _yaml(data: Any) -> str:
    return yaml.safe_dump(
        data, sort_keys=False, default_flow_style=None, width=100, allow_unicode=True
    )


# --------------------------------------------------------------------------- HTML

CSS = """
body { font-family: "DejaVu Sans", "Segoe UI", Arial, sans-serif; color: #1a1a1a;
       max-width: 1100px; margin: 2em auto; padding: 0 1.5em; line-height: 1.45; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; }
h2 { font-size: 1.3em; border-bottom: 2px solid #0072B2; padding-bottom: 0.2em; margin-top: 2em; }
h3 { font-size: 1.05em; margin: 1.2em 0 0.4em; }
.meta { color: #555; font-size: 0.9em; }
.summary { background: #f3f7fb; border-left: 5px solid #0072B2; padding: 0.8em 1.2em; }
.summary p { font-size: 1.08em; margin: 0.5em 0; }
figure { margin: 1.5em 0; break-inside: avoid; page-break-inside: avoid; }
figure img { max-width: 100%; height: auto; border: 1px solid #e3e3e3; }
figcaption { font-size: 0.9em; color: #444; margin-top: 0.3em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 0.3em; }
th, td { border: 1px solid #d0d0d0; padding: 0.25em 0.55em; text-align: left; vertical-align: top; }
th { background: #eef2f6; }
tbody tr:nth-child(even) { background: #fafafa; }
thead { display: table-header-group; }
tr { break-inside: avoid; page-break-inside: avoid; }
.note { font-size: 0.85em; color: #555; margin-top: 0; }
pre { background: #f6f6f6; border: 1px solid #e3e3e3; padding: 0.6em; font-size: 0.8em;
      white-space: pre-wrap; }
.table-wrap { overflow-x: auto; }
@page { size: A4; margin: 14mm; }
@media print {
  body { max-width: none; margin: 0; padding: 0; font-size: 10pt; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .table-wrap { overflow: visible; }
  table { font-size: 8pt; }
}
"""


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _html_table(table: Table) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in table.header)
    body = "".join(
        "<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in table.rows
    )
    note = f'<p class="note">{_esc(table.note)}</p>' if table.note else ""
    return (
        f'<h3>{_esc(table.title)}</h3><div class="table-wrap"><table><thead><tr>{head}</tr>'
        f"</thead><tbody>{body}</tbody></table></div>{note}"
    )


def _title(run: RunData) -> str:
    what = {"run": "run", "compare": "comparison", "sweep": "sweep", "tune": "tuning study"}.get(
        run.verb, run.verb
    )
    return f"salespulse {what}: {run.name}"


def _meta_line(run: RunData) -> str:
    m = run.manifest
    parts = [
        f"finished {m['finished_at']}" if m.get("finished_at") else "",
        f"seed {m['seed']}" if "seed" in m else "",
        f"{m['replications']} replications" if m.get("replications") else "",
    ]
    return " · ".join(p for p in parts if p)


def render_html(
    run: RunData,
    summary: Summary,
    figures: Sequence[SavedFigure],
    tables: Sequence[Table],
    assumptions: Sequence[Table | Block],
) -> str:
    """The self-contained HTML report (everything from files escaped)."""
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(_title(run))}</title><style>{CSS}</style></head><body>",
        f'<header><h1>{_esc(_title(run))}</h1><p class="meta">{_esc(_meta_line(run))}</p></header>',
        '<section id="summary"><h2>Summary</h2><div class="summary">',
        *(f"<p>{_esc(p)}</p>" for p in summary.paragraphs),
    ]
    if summary.points:
        out.append("<ul>" + "".join(f"<li>{_esc(p)}</li>" for p in summary.points) + "</ul>")
    out.append("</div></section>")
    if figures:
        out.append('<section id="figures"><h2>Figures</h2>')
        for f in figures:
            data = base64.b64encode(f.png.read_bytes()).decode("ascii")
            out.append(
                f"<figure><h3>{_esc(f.title)}</h3>"
                f'<img src="data:image/png;base64,{data}" alt="{_esc(f.title)}">'
                f"<figcaption>{_esc(f.caption)}</figcaption></figure>"
            )
        out.append("</section>")
    if tables:
        out.append('<section id="tables"><h2>Tables</h2>')
        out.extend(_html_table(t) for t in tables)
        out.append("</section>")
    out.append('<section id="assumptions"><h2>Assumptions and provenance</h2>')
    for section in assumptions:
        if isinstance(section, Table):
            out.append(_html_table(section))
        else:
            out.append(f"<h3>{_esc(section.title)}</h3><pre>{_esc(section.text)}</pre>")
    out.append("</section></body></html>")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- PDF

PAGE = (11.69, 8.27)  # A4 landscape, inches
MARGIN = 0.6
MONO_CHARS = 150
"""Characters per line of monospaced text on a page (7.5 pt)."""
MONO_LINES = 58


def _page() -> Figure:
    return Figure(figsize=PAGE)


class _TextPages:
    """Flowing text onto A4 pages: lines of a given size, a new page when one is full."""

    def __init__(self, pdf: PdfPages) -> None:
        self.pdf = pdf
        self.fig: Figure | None = None
        self.y = 0.0

    def _new(self) -> None:
        self.flush()
        self.fig = _page()
        self.y = PAGE[1] - MARGIN

    def line(
        self,
        text: str,
        size: float = 10,
        weight: str = "normal",
        mono: bool = False,
        gap: float = 0.0,
    ) -> None:
        height = size * 1.4 / 72 + gap
        if self.fig is None or self.y - height < MARGIN:
            self._new()
        assert self.fig is not None
        self.y -= height
        self.fig.text(
            MARGIN / PAGE[0],
            self.y / PAGE[1],
            text,
            fontsize=size,
            fontweight=weight,
            family="DejaVu Sans Mono" if mono else "DejaVu Sans",
            va="bottom",
        )

    def block(self, lines: Sequence[str], size: float = 7.5) -> None:
        """Monospaced lines, one text object per page (fast to lay out and to draw)."""
        step = size * 1.35 / 72
        lines = list(lines)
        while lines:
            if self.fig is None or self.y - step < MARGIN:
                self._new()
            assert self.fig is not None
            fits = max(1, int((self.y - MARGIN) / step))
            chunk, lines = lines[:fits], lines[fits:]
            self.fig.text(
                MARGIN / PAGE[0],
                self.y / PAGE[1],
                "\n".join(chunk),
                fontsize=size,
                family="DejaVu Sans Mono",
                va="top",
                linespacing=1.35,
            )
            self.y -= step * len(chunk)

    def paragraph(
        self, text: str, size: float = 10, width: int = 120, indent: str = "", first: str = ""
    ) -> None:
        lines = textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=indent)
        for line in lines or [""]:
            self.line(line, size)

    def new_page(self) -> None:
        self._new()

    def flush(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fig = None


def _mono_lines(table: Table) -> list[str]:
    """A table as fixed-width text, columns split into several blocks if too wide."""
    cells = [table.header, *table.rows]
    widths = [max(len(str(r[i])) for r in cells) for i in range(len(table.header))]
    widths = [min(w, 70) for w in widths]
    blocks: list[list[int]] = []
    current = [0]
    used = widths[0]
    for i in range(1, len(widths)):
        if used + 2 + widths[i] > MONO_CHARS and len(current) > 1:
            blocks.append(current)
            current, used = [0], widths[0]
        current.append(i)
        used += 2 + widths[i]
    blocks.append(current)
    lines: list[str] = []
    for b, columns in enumerate(blocks):
        if b:
            lines.append("")
        for r, row in enumerate(cells):
            parts = []
            for i in columns:
                text = str(row[i])
                if len(text) > widths[i]:
                    text = text[: widths[i] - 1] + "…"
                parts.append(text.ljust(widths[i]))
            lines.append("  ".join(parts).rstrip())
            if r == 0:
                lines.append("-" * min(MONO_CHARS, len(lines[-1])))
    return lines


def _pdf_table(pages: _TextPages, table: Table) -> None:
    pages.line(table.title, 11, "bold", gap=0.1)
    pages.block(_mono_lines(table))
    if table.note:
        pages.paragraph(table.note, 8, width=150)
    pages.line("", 6)


def _figure_page(pdf: PdfPages, saved: SavedFigure) -> None:
    fig = _page()
    fig.text(
        MARGIN / PAGE[0],
        1 - MARGIN / PAGE[1],
        saved.title,
        fontsize=14,
        fontweight="bold",
        va="top",
    )
    caption = textwrap.wrap(saved.caption, 150)
    caption_height = 0.2 + 0.16 * len(caption)
    with PIL.Image.open(saved.png) as png:
        image = np.asarray(png.convert("RGB"))  # 8-bit: embedded without float conversion
    top = PAGE[1] - MARGIN - 0.45
    bottom = MARGIN + caption_height
    box_w, box_h = PAGE[0] - 2 * MARGIN, top - bottom
    h, w = image.shape[:2]
    scale = min(box_w / w, box_h / h)
    iw, ih = w * scale, h * scale
    left = (PAGE[0] - iw) / 2
    ax = fig.add_axes((left / PAGE[0], (top - ih) / PAGE[1], iw / PAGE[0], ih / PAGE[1]))
    ax.imshow(image, interpolation="none")  # embedded as it is, not resampled
    ax.set_axis_off()
    for i, line in enumerate(caption):
        fig.text(
            MARGIN / PAGE[0],
            (top - ih - 0.25 - 0.16 * i) / PAGE[1],
            line,
            fontsize=8.5,
            va="top",
            color="#333333",
        )
    pdf.savefig(fig)


def render_pdf(
    path: Path,
    run: RunData,
    summary: Summary,
    figures: Sequence[SavedFigure],
    tables: Sequence[Table],
    assumptions: Sequence[Table | Block],
) -> None:
    """Title page with the summary, a page per figure, then tables and assumptions."""
    metadata = {"Title": _title(run), "Creator": "salespulse", "CreationDate": None}
    with style(), PdfPages(path, metadata=metadata) as pdf:
        pages = _TextPages(pdf)
        pages.new_page()
        pages.line(_title(run), 20, "bold", gap=0.1)
        pages.line(_meta_line(run), 10, gap=0.05)
        pages.line("", 8)
        pages.line("Summary", 14, "bold", gap=0.1)
        for paragraph in summary.paragraphs:
            pages.paragraph(paragraph, 11.5, width=110)
            pages.line("", 5)
        for point in summary.points:
            pages.paragraph(point, 10.5, width=120, first="•  ", indent="   ")
        pages.flush()
        for saved in figures:
            _figure_page(pdf, saved)
        if tables:
            pages.new_page()
            pages.line("Tables", 14, "bold", gap=0.1)
            for table in tables:
                _pdf_table(pages, table)
            pages.flush()
        pages.new_page()
        pages.line("Assumptions and provenance", 14, "bold", gap=0.1)
        for section in assumptions:
            if isinstance(section, Table):
                _pdf_table(pages, section)
            else:
                pages.line(section.title, 11, "bold", gap=0.1)
                pages.block(
                    [
                        part
                        for line in section.text.splitlines()
                        for part in textwrap.wrap(
                            line, MONO_CHARS, subsequent_indent="    ", drop_whitespace=False
                        )
                        or [""]
                    ]
                )
                pages.line("", 6)
        pages.flush()


# --------------------------------------------------------------------------- entry point


def write_report(run_dir: str | Path) -> tuple[Path, Path]:
    """Draw the figures and write ``report.html`` and ``report.pdf`` into *run_dir*."""
    run = load_run(run_dir)
    figures = render_figures(run)
    summary = build_summary(run)
    tables = build_tables(run)
    assumptions = build_assumptions(run)
    html_path = run.folder / "report.html"
    pdf_path = run.folder / "report.pdf"
    html_path.write_text(render_html(run, summary, figures, tables, assumptions), encoding="utf-8")
    render_pdf(pdf_path, run, summary, figures, tables, assumptions)
    return html_path, pdf_path


__all__ = ["build_summary", "build_tables", "write_report"]
