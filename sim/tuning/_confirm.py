"""After the search: choose the best trials, confirm them on fresh seeds, say what was found.

The best of many noisy trials is flattered by its luck (the winner's curse). So the
best few trials (one objective) or the feasible Pareto set (several) are re-run with
the baseline on seeds the search never used, and the paired improvement is reported
with its confidence interval.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import optuna
import pandas as pd
from optuna.trial import FrozenTrial, TrialState

from sim.analysis.comparison import ComparisonResult
from sim.analysis.stats import risk_adjusted
from sim.config.durations import format_duration
from sim.config.units import MINUTES_PER_DAY, MINUTES_PER_HOUR
from sim.engine.kpis import KPIS
from sim.experiment import Experiment, read_path, validate_experiment
from sim.experiment.designs import Tuning
from sim.tuning._space import experiment_with, search_space, tuning_section
from sim.tuning._study import BASELINE_ATTR, REPEAT_ATTR


def best_trials(study: optuna.Study, tuning: Tuning) -> list[FrozenTrial]:
    """The trials to confirm: the top ones (one objective) or the Pareto set (several), feasible only."""
    feasible = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.user_attrs.get("feasible", True)
    ]
    reverse = tuning.objectives[0].resolved_direction == "maximize"
    if len(tuning.objectives) == 1:
        return sorted(feasible, key=lambda t: t.value, reverse=reverse)[: tuning.confirm_top]
    numbers = {t.number for t in feasible}
    front = [t for t in study.best_trials if t.number in numbers]
    return sorted(front, key=lambda t: t.values[0], reverse=reverse)[: tuning.confirm_top]


def trial_experiment(experiment: Experiment, trial: FrozenTrial) -> Experiment:
    """The experiment as the trial set it: ready to run on its own (no tune: section)."""
    space = search_space(experiment)
    tuned = experiment_with(experiment, space.settings(trial.params), f"trial {trial.number}")
    return tuned.model_copy(update={"name": f"{experiment.name}-trial-{trial.number}"})


def confirmation_experiment(
    experiment: Experiment, trials: list[FrozenTrial], uncertainty: bool = False
) -> Experiment:
    """A comparison of the baseline with each chosen trial, on the confirmation's replications.

    With *uncertainty* it keeps the ``uncertain:`` section, to compare on plausible worlds.
    """
    tuning = tuning_section(experiment)
    data = experiment.to_config(designs=False)
    if uncertainty:
        data["uncertain"] = experiment.to_config()["uncertain"]
    variants = []
    for trial in trials:
        tuned = trial_experiment(experiment, trial).to_config(designs=False)
        variants.append(
            {
                "name": f"trial_{trial.number}",
                "policy": tuned["policy"],
                "scenario": tuned["scenario"],
            }
        )
    data["replications"] = tuning.confirm_replications
    data["compare"] = {
        "baseline": "baseline",
        "kpi": tuning.objectives[0].kpi,
        "variants": variants,
    }
    return validate_experiment(data, "confirmation run")


def confirmed_order(
    trials: list[FrozenTrial], confirmation: ComparisonResult, tuning: Tuning
) -> list[FrozenTrial]:
    """The confirmed trials, best confirmed first (the search's order is flattered by luck).

    Best means the best confirmed mean, or for a quantile or CVaR objective the best
    value of that statistic over the confirmation's plausible worlds.
    """
    if not tuning.robust:
        rank = {row["policy"]: row["rank"] for _, row in confirmation.ranking.iterrows()}
        return sorted(trials, key=lambda t: rank[f"trial_{t.number}"])
    objective = tuning.objectives[0]
    higher = objective.resolved_direction == "maximize"
    results = {r.label: r.replications[objective.kpi].to_numpy() for r in confirmation.results}
    value = {
        label: risk_adjusted(values, tuning.objective, tuning.level, higher)
        for label, values in results.items()
    }
    return sorted(trials, key=lambda t: value[f"trial_{t.number}"], reverse=higher)


def trials_table(study: optuna.Study) -> pd.DataFrame:
    """One row per trial: number, state, objective value(s), parameters, feasibility, KPI means."""
    rows = []
    for trial in study.get_trials(deepcopy=False):
        row: dict[str, Any] = {"trial": trial.number, "state": trial.state.name}
        for index, value in enumerate(trial.values or []):
            row[f"objective_{index}"] = value
        row["baseline"] = bool(trial.user_attrs.get(BASELINE_ATTR, False))
        row["feasible"] = trial.user_attrs.get("feasible")
        row["replications_run"] = trial.user_attrs.get("replications_run", 0)
        row[REPEAT_ATTR] = trial.user_attrs.get(REPEAT_ATTR)
        row.update({f"param:{k}": v for k, v in trial.params.items()})
        row.update({f"kpi:{k}": v for k, v in trial.user_attrs.get("kpis", {}).items()})
        rows.append(row)
    return pd.DataFrame(rows)


def trial_counts(study: optuna.Study, target: int) -> str:
    """'4 of 4 trials finished (3 complete, 1 pruned; the baseline is one); 1 repeat skipped'."""
    trials = study.get_trials(deepcopy=False)
    states = Counter(t.state for t in trials)
    repeats = sum(REPEAT_ATTR in t.user_attrs for t in trials)
    complete, pruned = states[TrialState.COMPLETE], states[TrialState.PRUNED]
    others = {
        "repeated settings skipped": repeats,
        "failed": states[TrialState.FAIL] - repeats,
        "running elsewhere": states[TrialState.RUNNING],
    }
    return "; ".join(
        [
            f"{complete + pruned} of {target} trials finished "
            f"({complete} complete, {pruned} pruned; the baseline is one)",
            *(f"{n} {label}" for label, n in others.items() if n),
        ]
    )


def _rounded_duration(minutes: float) -> str:
    """A tuned duration rounded for people: 3d2h rather than 3d1h52m."""
    step = MINUTES_PER_HOUR if minutes >= MINUTES_PER_DAY else 1
    return format_duration(max(step, round(minutes / step) * step))


def describe_settings(experiment: Experiment, trial: FrozenTrial) -> str:
    """The trial's parameters in plain words: 'response target 4m, follow-up gaps 5m, 1h, ...'."""
    config = experiment.to_config(designs=False)
    parts: list[str] = []
    gaps: dict[str, list[str]] = {}
    for path, value in trial.params.items():
        original = read_path(config, path)
        if isinstance(value, float) and isinstance(original, str):
            text = _rounded_duration(value)
        elif isinstance(value, float):
            text = f"{value:.3g}"
        else:
            text = str(value)
        if path.endswith("]"):  # one item of a list, e.g. follow-up steps: listed together
            gaps.setdefault(path.rsplit("[", 1)[0], []).append(text)
            continue
        name = path.rsplit(".", 1)[-1].replace("_", " ")
        if "reps[" in path:
            name = f"{read_path(config, path.rsplit('.', 1)[0] + '.name')} reps"
        elif path.startswith("policy."):
            family = path.split(".")[1].replace("_", " ")
            name = name if family in name else f"{family} {name}"
        parts.append(f"{name} {text}")
    for path, texts in gaps.items():
        family = path.split(".")[1].replace("_", "-")
        parts.insert(0, f"{family} gaps {', '.join(texts)}")
    return "; ".join(parts)


def tuning_sentence(
    experiment: Experiment, trial: FrozenTrial, confirmation: ComparisonResult
) -> str:
    """The headline for leadership: the tuned settings and the confirmed change with its CI."""
    kpi = confirmation.kpi
    row = confirmation.differences.set_index(["policy", "kpi"]).loc[(f"trial_{trial.number}", kpi)]
    label = KPIS[kpi].label.lower()
    staffing = [
        p for p in trial.params if p.startswith("scenario.reps") or p.startswith("policy.staffing")
    ]
    team = "with the same team" if not staffing else "with the team size the trial chose"
    tuning = tuning_section(experiment)
    aim = {
        "mean": "",
        "quantile": f", tuned for the {tuning.level:.0%} quantile of {label} over plausible worlds",
        "cvar": f", tuned for the mean {label} of the worst {tuning.level:.0%} of plausible worlds (CVaR)",
    }[tuning.objective]
    fresh = "plausible worlds" if "p_beats_baseline" in row else "replications"
    sentence = (
        f"The tuned cadence (trial {trial.number}){aim}: {describe_settings(experiment, trial)}. "
        f"Confirmed on {confirmation.replications} fresh {fresh}: {label} "
        f"{row['relative_difference']:+.1%} (95% CI {row['relative_ci_low']:+.1%} to {row['relative_ci_high']:+.1%}) "
        f"against the current cadence, {team}."
    )
    if "p_beats_baseline" in row:
        sentence += (
            f" It beats the current cadence in {row['p_beats_baseline']:.0%} of plausible worlds "
            f"(95% CI {row['p_beats_ci_low']:.0%} to {row['p_beats_ci_high']:.0%})."
        )
    return sentence
