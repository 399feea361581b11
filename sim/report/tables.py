"""The report's tables: the KPI summary; paired differences and ranking; a sweep's points.

Cells are formatted here (:mod:`sim.report.formatting`), so the HTML template and
the PDF only lay them out. The primary KPI comes first, then the headline KPIs,
then the rest in catalogue order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from sim.engine.kpis import KPIS
from sim.report.content import Table
from sim.report.formatting import (
    format_kpi,
    join_words,
    kpi_of,
    mean_with_ci,
    p_value_text,
    percent,
    signed_interval,
    value_text,
    weeks_text,
)
from sim.report.run_data import RunData, kpi_rows, summary_value
from sim.report.sweep_points import best_row, configured_point, parameter_label, sweep_rows

SWEEP_TABLE_KPIS = ("won_share", "first_attempt_within_5m_share", "utilisation")
"""KPIs shown next to the primary KPI in a sweep's table of points."""

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


KPI_GROUPS = {
    "money": ("profit", "revenue", "deal_revenue", "repeat_revenue", "rep_cost", "touch_cost"),
    "outcome": (
        "won_share",
        "qualified_share",
        "reached_share",
        "won",
        "customers",
        "repeat_purchases",
        "churned",
        "customer_opt_outs",
    ),
    "speed": (
        "first_attempt_within_target_share",
        "first_attempt_within_5m_share",
        "first_attempt_within_15m_share",
        "first_attempt_within_1h_share",
        "speed_to_lead_median_minutes",
        "speed_to_lead_p90_minutes",
        "mean_minutes_to_first_attempt",
    ),
    "workload": (
        "utilisation",
        "overtime_hours",
        "waited_share",
        "mean_backlog",
        "max_backlog",
        "attempts_per_lead",
        "touches_per_lead",
        "referral_requests",
    ),
    "losses": (
        "lost_never_reached",
        "lost_disqualified",
        "lost_not_won",
        "lost_screened_out",
        "lost_unrealistic",
        "lost_interest_decayed",
        "lost_opted_out",
        "open_at_end",
    ),
    "cohort": ("leads", "referral_leads", "screened_out", "screened_out_realistic"),
}
"""The KPI summary's sections, in order (a KPI in none goes under 'other')."""


def kpi_group(name: str) -> str:
    """``'money'``, ``'outcome'``, ``'speed'``, ``'workload'``, ``'losses'``, ``'cohort'`` or ``'other'``."""
    return next((group for group, names in KPI_GROUPS.items() if name in names), "other")


def _grouped(names: list[str], primary: str) -> list[str]:
    """*names* section by section (the primary KPI's section first), in their order within each."""
    sections = [kpi_group(primary), *KPI_GROUPS, "other"]
    return sorted(names, key=lambda n: sections.index(kpi_group(n)))


def _kpi_order(names: Sequence[str], primary: str = "profit") -> list[str]:
    """The primary KPI, the headline KPIs, then the rest in :data:`KPIS` order."""
    known = [primary, *TABLE_FIRST, *KPIS]
    known = list(dict.fromkeys(known))
    unique = list(dict.fromkeys(str(n) for n in names))
    return sorted(unique, key=lambda n: known.index(n) if n in known else len(known))


def build_tables(run: RunData) -> list[Table]:
    """Summary and differences (compare, tune); points (sweep). The ranking stands apart."""
    if run.verb == "sweep":
        return [_sweep_table(run)] if run.summary is not None and run.parameters else []
    tables = []
    if run.summary is not None:
        tables.append(_summary_table(run))
    if run.differences is not None and not run.differences.empty:
        tables.append(_differences_table(run))
    return tables


def build_ranking(run: RunData) -> Table | None:
    """The ranking of policies, when the run compared several (shown before any figure)."""
    if run.ranking is None or run.ranking.empty:
        return None
    return _ranking_table(run)


def _summary_table(run: RunData) -> Table:
    assert run.summary is not None
    rows = []
    previous = ""
    for name in _grouped(_kpi_order(run.summary["kpi"], run.primary_kpi), run.primary_kpi):
        group = kpi_group(name)
        rows.append(
            [group if group != previous else "", kpi_of(name).label]
            + [
                mean_with_ci(name, summary_value(run.summary, p, name), short=True)
                for p in run.policies
            ]
        )
        previous = group
    return Table(
        "KPI summary: mean over replications (95% confidence interval in brackets)",
        ["", "KPI", *run.policies],
        rows,
        f"Over the {weeks_text(run.window_weeks)} window; {run.manifest.replications} "
        "replications per policy.",
    )


def _all_equal(differences: pd.DataFrame) -> bool:
    """Whether every variant equals the baseline exactly, replication by replication."""
    columns = differences[["mean_difference", "ci_low", "ci_high"]].to_numpy(dtype=float)
    return bool((columns == 0).all())


def _differences_table(run: RunData) -> Table:
    """Paired differences, leaving out KPIs on which every variant equals the baseline
    (inputs such as the cohort's size); ``differences.csv`` keeps every row."""
    assert run.differences is not None
    rows = []
    names = _kpi_order(run.differences["kpi"], run.primary_kpi)
    equal = [n for n in names if _all_equal(kpi_rows(run.differences, n))]
    for name in (n for n in names if n not in equal):
        for _, d in kpi_rows(run.differences, name).iterrows():
            rows.append(
                [
                    kpi_of(name).label,
                    str(d["policy"]),
                    format_kpi(name, float(d["baseline_mean"])),
                    signed_interval(
                        name, float(d["mean_difference"]), float(d["ci_low"]), float(d["ci_high"])
                    ),
                    f"{percent(float(d['relative_difference']), True)} "
                    f"({percent(float(d['relative_ci_low']), True)} to "
                    f"{percent(float(d['relative_ci_high']), True)})",
                    p_value_text(float(d.get("p_value", math.nan))),
                ]
            )
    return Table(
        f"Paired differences against {run.baseline} (variant minus baseline, 95% CI)",
        ["KPI", "policy", "baseline mean", "difference", "relative", "p-value"],
        rows,
        "Same replication seeds for every policy: replication i of each policy meets the "
        "same leads with the same luck."
        + (
            f" Left out, equal for every variant: {join_words([kpi_of(n).label for n in equal])}"
            " (differences.csv has every row)."
            if equal
            else ""
        ),
    )


def _ranking_table(run: RunData) -> Table:
    assert run.ranking is not None
    rows = [
        [
            str(r["rank"]),
            str(r["policy"]) + (f": {r['description']}" if _described(run, r) else ""),
            mean_with_ci(str(r["kpi"]), r, short=True),
            "best" if r["group"] == 1 else "below the best",
            str(r["verdict"]),
        ]
        for _, r in run.ranking.sort_values(["kpi", "rank"]).iterrows()
    ]
    return Table(
        f"Ranking by {kpi_of(run.primary_kpi).label.lower()}",
        ["rank", "policy", "mean (95% CI)", "group", "verdict"],
        rows,
        "Group 'best': the top policy and every policy that cannot be told apart from it and "
        "is not worse than the baseline. Each "
        "verdict is a paired t-test on the same replications; p-values are Holm-adjusted for "
        "the number of policies tested, so testing many variants does not call differences "
        "by chance.",
    )


def _described(run: RunData, row: pd.Series) -> bool:
    """Whether the ranking row has a description of its own (the baseline's is the whole
    experiment's description, which is about the comparison, not about the baseline)."""
    value = row.get("description")
    own = row["policy"] != run.baseline or value != run.experiment.description
    return isinstance(value, str) and bool(value.strip()) and own


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
            cells.append(format_kpi(k, float(other.iloc[0]["mean"])) if not other.empty else "n/a")
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
        f"Over the {weeks_text(run.window_weeks)} window; {run.manifest.replications} "
        "replications per point.",
    )
