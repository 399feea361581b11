"""The facts a recommendation is built from, read off a run folder.

:func:`build_recommendation` gathers them (:func:`compare_evidence`,
:func:`run_evidence`) and hands them to the pure
:func:`~sim.report.recommendation.recommendation`. Robustness comes from the
folder itself when its runs drew inputs from the ``uncertain:`` section (a
``p_beats_baseline`` column in ``ranking.csv``), else from the newest
sensitivity analysis beside it (same results folder) that ran the same
cadences; without either the recommendation says it was not assessed.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.comparison import arms as comparison_arms
from sim.config import ConfigError
from sim.config.units import MINUTES_PER_HOUR
from sim.engine.arrivals import hourly_rates
from sim.experiment import Experiment, read_yaml, validate_experiment
from sim.report.formatting import higher_is_better, weeks_text
from sim.report.recommendation import (
    CompareEvidence,
    Effect,
    Loss,
    Robustness,
    RunEvidence,
    Workload,
    recommendation,
)
from sim.report.run_data import RunData, summary_value
from sim.report.summary import difference_row, differs

WINS_COLUMN = "p_beats_baseline"
"""Column of ``ranking.csv`` a run with input uncertainty writes: the share of plausible
worlds (replications) in which each variant beats the baseline."""
POLICY_ASSUMPTIONS = {
    "speed_to_lead": ("scenario.response.contact", "scenario.response.qualification"),
    "queue": ("scenario.response.contact", "scenario.response.qualification"),
    "followup": ("scenario.response.contact", "scenario.fatigue", "scenario.response.comebacks"),
    "screening": (
        "scenario.screening.deep.false_negative_rate",
        "scenario.screening.deep.false_positive_rate",
        "scenario.screening.instant.catch_rate",
    ),
    "nurture": ("scenario.decision.engagement_per_touch", "scenario.fatigue"),
    "retention": ("scenario.customers", "scenario.fatigue"),
    "referral": ("scenario.referrals.departments", "scenario.referrals.customers"),
    "routing": ("scenario.response.contact",),
    "staffing": ("scenario.economics.rep_cost_per_hour",),
}
"""The guessed scenario settings each part of the cadence leans on most (field paths)."""
RUN_ASSUMPTIONS = (
    "scenario.response.contact",
    "scenario.decision.engagement_per_touch",
    "scenario.screening.deep.false_negative_rate",
)
"""What a single run's numbers lean on most, when its file names no ``uncertain:`` inputs."""
LOSS_WORDS = {
    "lost_screened_out": "screened out",
    "lost_unrealistic": "found unrealistic",
    "lost_never_reached": "never reached",
    "lost_disqualified": "disqualified",
    "lost_interest_decayed": "whose interest decayed",
    "lost_opted_out": "who opted out",
    "lost_not_won": "not won at the decision",
}


def build_recommendation(run: RunData) -> list[str]:
    """The recommendation's sentences for a run or compare folder (none for a sweep or tune)."""
    if run.verb == "compare":
        evidence = compare_evidence(run)
        return recommendation(evidence) if evidence is not None else []
    if run.verb == "run":
        evidence_ = run_evidence(run)
        return recommendation(evidence_) if evidence_ is not None else []
    return []


def workload(run: RunData, policy: str) -> Workload | None:
    """*policy*'s paid and busy rep hours a week, from its rep cost, overtime and utilisation."""
    if run.summary is None:
        return None
    rows = {k: summary_value(run.summary, policy, k) for k in ("rep_cost", "overtime_hours")}
    utilisation = summary_value(run.summary, policy, "utilisation")
    rate = run.experiment_of(policy).scenario.economics.rep_cost_per_hour
    if utilisation is None or any(r is None for r in rows.values()) or rate <= 0:
        return None
    paid = float(rows["rep_cost"]["mean"]) / rate  # type: ignore[index]
    on_shift = paid - float(rows["overtime_hours"]["mean"])  # type: ignore[index]
    weeks = run.window_weeks
    return Workload(paid / weeks, float(utilisation["mean"]) * on_shift / weeks)


def changed_sections(baseline: Experiment, variant: Experiment) -> list[str]:
    """The parts of the cadence (``speed_to_lead``, ``nurture``, ...) *variant* changes."""
    base, other = baseline.policy.model_dump(), variant.policy.model_dump()
    return [name for name in base if base[name] != other.get(name)]


def _assumptions(run: RunData, sections: list[str]) -> tuple[str, ...]:
    """The uncertain inputs the file names, else the guessed settings the changed parts lean on."""
    if run.experiment.uncertain:
        return tuple(run.experiment.uncertain)
    paths = [p for s in sections for p in POLICY_ASSUMPTIONS.get(s, ())]
    return tuple(dict.fromkeys(paths)) or RUN_ASSUMPTIONS


def compare_evidence(run: RunData) -> CompareEvidence | None:
    """The best variant against the baseline on the primary KPI, or ``None`` without differences."""
    kpi, base = run.primary_kpi, run.reference
    best = run.best_policy(exclude_reference=True)
    d = difference_row(run, best, kpi) if best else None
    if best is None or base is None or d is None:
        return None
    effect = Effect(
        kpi,
        float(d["mean_difference"]),
        float(d["ci_low"]),
        float(d["ci_high"]),
        float(d["relative_difference"]),
        float(d["relative_ci_low"]),
        float(d["relative_ci_high"]),
        differs(run, best, kpi, d),
    )
    sections = changed_sections(run.experiment_of(base), run.experiment_of(best))
    return CompareEvidence(
        baseline=base,
        best=best,
        description=_description(run, best),
        effect=effect,
        variants=len(run.policies) - 1,
        assumptions=_assumptions(run, sections),
        baseline_workload=workload(run, base),
        best_workload=workload(run, best),
        robustness=_uncertainty_wins(run, best) or sensitivity_robustness(run, best),
        higher_is_better=higher_is_better(kpi),
    )


def _description(run: RunData, policy: str) -> str:
    if run.ranking is None or "description" not in run.ranking.columns:
        return ""
    rows = run.ranking[run.ranking["policy"] == policy]["description"].dropna()
    return str(rows.iloc[0]).strip() if not rows.empty else ""


def _uncertainty_wins(run: RunData, policy: str) -> Robustness | None:
    """From a comparison whose replications drew the uncertain inputs (``--uncertainty``)."""
    if run.ranking is None or WINS_COLUMN not in run.ranking.columns:
        return None
    rows = run.ranking[run.ranking["policy"] == policy][WINS_COLUMN].dropna()
    if rows.empty:
        return None
    return Robustness(
        "plausible worlds drawn from the uncertain: inputs (--uncertainty)",
        run.manifest.replications,
        float(rows.iloc[0]),
    )


def run_evidence(run: RunData) -> RunEvidence | None:
    """What a single run's summary, hourly table and scenario show."""
    policy, kpi = run.reference, run.primary_kpi
    row = summary_value(run.summary, policy, kpi) if run.summary is not None and policy else None
    if policy is None or row is None or run.summary is None:
        return None
    leads = summary_value(run.summary, policy, "leads")
    losses: list[Loss] = []
    if leads is not None and float(leads["mean"]) > 0:
        for name, words in LOSS_WORDS.items():
            lost = summary_value(run.summary, policy, name)
            if lost is not None and float(lost["mean"]) > 0:
                losses.append(Loss(words, float(lost["mean"]) / float(leads["mean"])))
    losses.sort(key=lambda loss: -loss.share)
    utilisation = summary_value(run.summary, policy, "utilisation")
    return RunEvidence(
        policy=policy,
        kpi=kpi,
        mean=float(row["mean"]),
        ci_low=float(row["ci_low"]),
        ci_high=float(row["ci_high"]),
        window=weeks_text(run.window_weeks),
        assumptions=_assumptions(run, []),
        off_shift_arrivals=off_shift_arrivals(run, policy),
        utilisation=float(utilisation["mean"]) if utilisation is not None else None,
        losses=tuple(losses),
        workload=workload(run, policy),
        robustness=sensitivity_robustness(run, None),
    )


def off_shift_arrivals(run: RunData, policy: str) -> float | None:
    """Share of *policy*'s leads expected to arrive in an hour of the week with nobody on shift.

    Arrival rates come from the scenario's sources, shifts from the ``hourly`` table.
    """
    if run.hourly is None or run.hourly.empty:
        return None
    table = run.hourly[run.hourly["policy"] == policy]
    on_shift = table.groupby("hour_of_week")["on_shift_minutes"].sum()
    rates = sum(hourly_rates(s) for s in run.experiment_of(policy).scenario.sources)
    rates = np.asarray(rates, dtype=float) * MINUTES_PER_HOUR
    covered = np.zeros(len(rates), dtype=bool)
    hours = on_shift.index.to_numpy(dtype=int) % len(rates)
    covered[hours] = on_shift.to_numpy(dtype=float) > 0
    total = float(rates.sum())
    return float(rates[~covered].sum() / total) if total > 0 else None


def sensitivity_robustness(run: RunData, variant: str | None) -> Robustness | None:
    """From the newest sensitivity analysis beside *run* that ran the same cadences.

    For a comparison (*variant* given) the analysis must pair the same baseline and
    variant (same labels, same cadences); the share of its points where the variant's
    paired difference favours it is the share of worlds it wins. For a run (*variant*
    ``None``) the analysis's base cadence must be the run's; it gives the inputs that
    matter most for the primary KPI.
    """
    root = run.folder.parent.parent
    kpi = run.primary_kpi
    for folder in sorted(root.glob("*/*/manifest.json"), key=_run_id, reverse=True):
        found = _sensitivity_folder(folder.parent, run, variant)
        if found is None:
            continue
        manifest, points = found
        measure = f"{kpi}_difference" if variant else kpi
        top = tuple(manifest.get("top_inputs", {}).get(measure, ()))
        wins, ties = None, 0.0
        values = points[measure].dropna() if variant and measure in points.columns else []
        if len(values):
            better = values > 0 if higher_is_better(kpi) else values < 0
            wins, ties = float(better.mean()), float((values == 0).mean())
        where = folder.parent.relative_to(root.parent)
        return Robustness(f"the sensitivity analysis {where}", len(points), wins, top, ties)
    return None


def _run_id(manifest_path: Path) -> str:
    return manifest_path.parent.name


def _sensitivity_folder(
    folder: Path, run: RunData, variant: str | None
) -> tuple[dict, pd.DataFrame] | None:
    """The folder's manifest and points if it is a sensitivity analysis of *run*'s cadences."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if not isinstance(manifest, dict) or manifest.get("verb") != "sensitivity":
            return None
        config = validate_experiment(read_yaml(folder / "config.yaml"), str(folder))
        cadences = comparison_arms(config, str(folder)) if config.compare else [("", config)]
        points = pd.read_csv(folder / "points.csv")
    except (OSError, ValueError, RecursionError, ConfigError):
        return None  # not a finished sensitivity folder of this version: not evidence
    mine = run.reference or ""
    if variant is None:  # a run: the analysis's base cadence is the run's
        same = cadences[0][1].policy == run.experiment_of(mine).policy
    else:  # a comparison: the same baseline and variant, by label and by cadence
        same = [label for label, _ in cadences] == [mine, variant] and all(
            arm.policy == run.experiment_of(label).policy for label, arm in cadences
        )
    return (manifest, points) if same else None


__all__ = [
    "build_recommendation",
    "changed_sections",
    "compare_evidence",
    "off_shift_arrivals",
    "run_evidence",
    "sensitivity_robustness",
    "workload",
]
