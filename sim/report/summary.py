"""The report's opening words: what the numbers say, in sentences a sales leader reads.

:func:`build_summary` writes a paragraph or two and supporting points for the
folder's verb: a run states its primary KPI with a 95% CI and the headline KPIs;
a comparison says whether switching from the baseline to the best variant pays
off, on paired differences (same seeds, same leads); a sweep names the best
setting and how far it is from the worst and from the configured one. Every
sentence is built here, so this is the module to change to make the report say
something else.
"""

from __future__ import annotations

import math

import pandas as pd

from sim.analysis.stats import ALPHA, paired_differences
from sim.engine.kpis import KPIS
from sim.report.content import Summary
from sim.report.formatting import (
    format_kpi,
    format_minutes,
    higher_is_better,
    join_words,
    kpi_of,
    mean_with_ci,
    percent,
    signed_value,
    value_text,
    weeks_text,
)
from sim.report.run_data import RunData, summary_value
from sim.report.sweep_points import (
    best_row,
    config_at,
    configured_point,
    parameter_label,
    settings_text,
    sweep_rows,
    worst_row,
)

RUN_HEADLINE = (
    "profit",
    "revenue",
    "won_share",
    "reached_share",
    "first_attempt_within_target_share",
    "first_attempt_within_5m_share",
    "speed_to_lead_median_minutes",
    "utilisation",
    "overtime_hours",
)
"""KPIs listed under a run's summary sentence (one that is the same in every replication,
or repeats another, is left out)."""
FIVE_MINUTES = 5.0
SUMMARY_LABELS = {
    "won_share": "Share of leads won",
    "qualified_share": "Share of leads qualified",
    "reached_share": "Share of leads reached",
    "first_attempt_within_5m_share": "Leads called within 5 minutes",
    "first_attempt_within_target_share": "Leads called within the response target",
}
"""Plainer words than the KPI labels for the summary's sentences."""
CALLOUTS = 4
"""Most KPIs a comparison's summary calls out beside the primary one."""
DERIVED = frozenset({"revenue", "deal_revenue", "customers", "won", "lost_screened_out"})
"""KPIs that restate another (revenue is deals plus repeats, customers are wins): not called out."""


def _reps_text(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not counts:
        return ""
    word = "rep" if total == 1 else "reps"
    if len(counts) == 1:
        return f"{total} {word}"
    return f"{total} {word} (" + ", ".join(f"{n} {g}" for g, n in counts.items()) + ")"


def difference_row(run: RunData, policy: str, kpi: str) -> pd.Series | None:
    if run.differences is None:
        return None
    rows = run.differences[(run.differences["policy"] == policy) & (run.differences["kpi"] == kpi)]
    return None if rows.empty else rows.iloc[0]


def _clear(d: pd.Series) -> bool:
    """Whether a paired difference's 95% CI excludes zero."""
    low, high = float(d["ci_low"]), float(d["ci_high"])
    return math.isfinite(low) and math.isfinite(high) and (low > 0 or high < 0)


def differs(run: RunData, policy: str, kpi: str, d: pd.Series) -> bool:
    """Whether *policy* differs from the baseline on *kpi*: by the ranking's Holm-adjusted
    test when the folder has it (several variants tested at once), else by the 95% CI."""
    if run.ranking is not None and "p_holm" in run.ranking.columns:
        row = run.ranking[(run.ranking["policy"] == policy) & (run.ranking["kpi"] == kpi)]
        if not row.empty and math.isfinite(float(row.iloc[0]["p_holm"])):
            return float(row.iloc[0]["p_holm"]) < ALPHA and _clear(d)
    return _clear(d)


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
    if not _clear(d):
        if math.isfinite(rel):
            return f"changes {label} by {_relative_phrase(rel, low, high)}"
        return (
            f"changes {label} by {signed_value(kpi_of(kpi), mean)} (95% CI "
            f"{signed_value(kpi_of(kpi), float(d['ci_low']))} to "
            f"{signed_value(kpi_of(kpi), float(d['ci_high']))})"
        )
    if math.isfinite(rel):
        return f"{verb} {label} by {_relative_phrase(rel, low, high)}"
    low_abs, high_abs = sorted((abs(float(d["ci_low"])), abs(float(d["ci_high"]))))
    return (
        f"{verb} {label} by {format_kpi(kpi, abs(mean))} "
        f"(95% CI {format_kpi(kpi, low_abs)} to {format_kpi(kpi, high_abs)})"
    )


def _from_to(run: RunData, kpi: str, a: str, b: str) -> str:
    """``'65.2% with baseline, 91.0% with fast (+25.8 pts, 95% CI +24.0 to +27.5 pts)'``."""
    if run.summary is None:
        return ""
    ra, rb = summary_value(run.summary, a, kpi), summary_value(run.summary, b, kpi)
    if ra is None or rb is None:
        return ""
    text = f"{format_kpi(kpi, float(ra['mean']))} with {a}, {format_kpi(kpi, float(rb['mean']))} with {b}"
    d = difference_row(run, b, kpi)
    if d is not None and math.isfinite(float(d["ci_low"])):
        text += (
            f" ({signed_value(kpi_of(kpi), float(d['mean_difference']))}, 95% CI "
            f"{signed_value(kpi_of(kpi), float(d['ci_low']))} to "
            f"{signed_value(kpi_of(kpi), float(d['ci_high']))})"
        )
    return text


def _indistinguishable(run: RunData, kpi: str, leader: str) -> list[str] | None:
    """Policies that cannot be told apart from *leader* on *kpi*.

    The ranking's group when the folder has one (paired tests against the best,
    Holm-adjusted), else the policies whose paired difference with *leader* has a CI
    containing zero. ``None``: nothing to judge by.
    """
    if (
        run.ranking is not None
        and not run.ranking.empty
        and leader == run.ranking.iloc[0]["policy"]
    ):
        ranked = run.ranking[run.ranking["kpi"] == kpi]
        return [str(p) for p in ranked[ranked["group"] == 1]["policy"] if p != leader]
    others = [p for p in run.policies if p != leader]
    direct = {p: paired(run, kpi, leader, p, key="policy") for p in others}
    if all(d is not None for d in direct.values()):
        return [p for p, d in direct.items() if d is not None and not _clear(d)]
    return None


def _callouts(run: RunData, base: str, best: str) -> list[str]:
    """The KPIs that moved most (largest relative change with a 95% CI that excludes zero)
    between *base* and *best*, beside the primary KPI: what the data show."""
    if run.differences is None:
        return []
    rows = run.differences[run.differences["policy"] == best]
    moved = []
    for _, d in rows.iterrows():
        kpi = str(d["kpi"])
        if kpi == run.primary_kpi or kpi in DERIVED or kpi not in KPIS or not _clear(d):
            continue
        if kpi == "first_attempt_within_target_share" and run.response_target_minutes(
            base
        ) != run.response_target_minutes(best):
            continue  # each against its own target: not comparable
        size = abs(float(d["relative_difference"]))
        moved.append((size if math.isfinite(size) else math.inf, kpi))
    moved.sort(key=lambda pair: -pair[0])
    points = []
    for _, kpi in moved[:CALLOUTS]:
        text = _from_to(run, kpi, base, best)
        if text:
            points.append(f"{SUMMARY_LABELS.get(kpi, KPIS[kpi].label)}: {text}.")
    if not points:
        points.append(
            f"No other KPI differs clearly between {best} and {base} (every paired 95% CI "
            "includes zero)."
        )
    return points


def _compare_summary(run: RunData) -> Summary:
    kpi = run.primary_kpi
    label = kpi_of(kpi).label.lower()
    base = run.reference or ""
    window = weeks_text(run.window_weeks)
    variants = [p for p in run.policies if p != base]
    best = run.best_policy(exclude_reference=True)
    paragraphs: list[str] = []
    points: list[str] = []
    d = difference_row(run, best, kpi) if best else None
    base_row = summary_value(run.summary, base, kpi) if run.summary is not None else None
    best_row_ = summary_value(run.summary, best, kpi) if run.summary is not None and best else None
    if best is None or d is None:
        paragraphs.append(f"The comparison has no paired differences on {label} to report.")
        return Summary(paragraphs)
    improves = (float(d["mean_difference"]) > 0) == higher_is_better(kpi)
    clear = differs(run, best, kpi, d)
    levels = ""
    if base_row is not None and best_row_ is not None:
        levels = (
            f": {format_kpi(kpi, float(base_row['mean']))} with {base} against "
            f"{format_kpi(kpi, float(best_row_['mean']))} with {best}, on average"
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
                f"On {label}, {leader} cannot be told apart from {join_words(ties)} (paired tests, "
                "Holm-adjusted for the number of policies compared)."
            )
        elif ties is not None:
            paragraphs.append(
                f"{leader} is ahead of every other policy on {label} (paired tests, "
                "Holm-adjusted for the number of policies compared)."
            )
    points.extend(_callouts(run, base, best))
    base_reps, best_reps = run.reps_per_group(base), run.reps_per_group(best)
    if base_reps != best_reps:
        points.append(
            f"Staffing differs: {best} has {_reps_text(best_reps)} against {base}'s "
            f"{_reps_text(base_reps)}."
        )
    stopped = run.manifest.stopped_because
    points.append(
        f"Every policy ran {run.manifest.replications} replications on the same seeds (the same "
        "simulated leads), so differences are paired."
        + (f" Stopped: {stopped}." if stopped else "")
    )
    return Summary(paragraphs, points)


def _run_summary(run: RunData) -> Summary:
    kpi = run.primary_kpi
    policy = run.reference or run.name
    window = weeks_text(run.window_weeks)
    row = summary_value(run.summary, policy, kpi) if run.summary is not None else None
    reps = _reps_text(run.reps_per_group(policy))
    who = f"{policy} with {reps}" if reps else policy
    basis = f", from {run.manifest.replications} replications"
    if row is None:
        return Summary([f"The run folder has no summary of {kpi_of(kpi).label.lower()}."])
    k = kpi_of(kpi)
    if k.unit == "money":
        lead = f"Over the {window} window, {who} makes an average {k.label.lower()} of "
    else:
        lead = f"Over the {window} window, {who} averages {k.label.lower()} of "
    paragraphs = [lead + mean_with_ci(kpi, row) + basis + "."]
    points = []
    target_minutes = run.response_target_minutes(policy)
    for name in RUN_HEADLINE:
        r = summary_value(run.summary, policy, name)
        if name == kpi or r is None or _constant(r):
            continue
        if name == "first_attempt_within_5m_share" and target_minutes == FIVE_MINUTES:
            continue  # the same number as the share within the target
        label = SUMMARY_LABELS.get(name, KPIS[name].label)
        if name == "first_attempt_within_target_share":
            label += f" ({format_minutes(target_minutes)})"
        points.append(f"{label}: {mean_with_ci(name, r)}")
    return Summary(paragraphs, points)


def _constant(row: pd.Series) -> bool:
    """Whether a KPI took the same value in every replication (a floor or a fixed clock time,
    such as a median first call stuck at the screening time): nothing to report."""
    sd = float(row.get("sd", math.nan))
    return int(row.get("n", 0)) > 1 and sd == 0


def paired(run: RunData, kpi: str, a: object, b: object, key: str = "point") -> pd.Series | None:
    """*a* minus *b* on *kpi*, replication by replication over the same seeds, as a row of
    :func:`sim.analysis.stats.paired_differences` (relative to *b*'s mean); *key* is
    ``point`` (sweep) or ``policy`` (compare). ``None`` without two paired replications."""
    reps = run.replications
    if reps is None or kpi not in reps.columns or not {"replication", key} <= set(reps.columns):
        return None
    left = reps[reps[key] == a].set_index("replication")[[kpi]]
    right = reps[reps[key] == b].set_index("replication")[[kpi]]
    both = left.index.intersection(right.index)
    row = paired_differences(right.loc[both], left.loc[both]).loc[kpi]
    return row if row["n"] >= 2 else None


def _sweep_comparison(run: RunData, kpi: str, best: pd.Series, other: pd.Series, what: str) -> str:
    """``'12.0% higher (95% CI 9.1% to 15.2%) than the worst point (...: 2,400,000)'``."""
    d = paired(run, kpi, int(best["point"]), int(other["point"]))
    other_text = f"{what} ({settings_text(run, other)}: {format_kpi(kpi, float(other['mean']))})"
    if d is None or not math.isfinite(float(d["relative_difference"])):
        gap = float(best["mean"]) - float(other["mean"])
        word = "higher" if gap > 0 else "lower"
        return f"{format_kpi(kpi, abs(gap))} {word} than {other_text}"
    rel, low, high = (
        float(d["relative_difference"]),
        float(d["relative_ci_low"]),
        float(d["relative_ci_high"]),
    )
    word = "higher" if float(d["mean_difference"]) > 0 else "lower"
    if not _clear(d):
        return (
            f"{percent(abs(rel))} {word} than {other_text}, though within the noise "
            f"(95% CI of the paired difference {percent(low, True)} to {percent(high, True)})"
        )
    return f"{_relative_phrase(rel, low, high)} {word} than {other_text}"


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
    worst = worst_row(rows, kpi)
    names = join_words([parameter_label(p, run.config) for p in run.parameters])
    paragraphs = [
        f"Of the {len(rows)} settings of {names} tried, the best {label} comes from "
        f"{settings_text(run, best)}: {mean_with_ci(kpi, best)} over the {window} window."
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
        points.append(
            f"The configured setting ({settings_text(run, configured)}) is already the best."
        )
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
        d = paired(run, kpi, int(best["point"]), int(row["point"]))
        if d is not None and not _clear(d):
            ties.append(settings_text(run, row))
    if ties:
        shown = "; ".join(ties[:3]) + ("; ..." if len(ties) > 3 else "")
        points.append(
            f"{len(ties)} other point{'s' if len(ties) != 1 else ''} cannot be told apart from the "
            f"best (paired 95% CI of the difference includes zero): {shown}."
        )
    points.append(f"Each point ran {run.manifest.replications} replications on the same seeds.")
    return Summary(paragraphs, points)


def build_summary(run: RunData) -> Summary:
    """The plain-language summary for the run folder's verb."""
    if run.verb == "tune":
        summary = _compare_summary(run)
        tuned = run.manifest.tuned_summary
        return Summary([tuned, *summary.paragraphs], summary.points) if tuned else summary
    if run.verb == "compare":
        return _compare_summary(run)
    if run.verb == "sweep":
        return _sweep_summary(run)
    return _run_summary(run)
