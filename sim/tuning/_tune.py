"""The tune verb as Python: :func:`tune` searches and confirms, :func:`write_tune_run` saves.

>>> result = tune(load_experiment("experiments/tune_cadence.yaml"), trials=60, jobs=2)
>>> result.sentence            # the tuned settings and the confirmed change with its CI
>>> write_tune_run(result, Path("results")).ready_to_run   # .../best.yaml
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import optuna
import pandas as pd
from optuna.trial import FrozenTrial

from sim.analysis.comparison import ComparisonResult, compare
from sim.analysis.executors import Workers
from sim.analysis.outputs import tidy_tables
from sim.analysis.worlds import RUNS_PER_WORLD, PlausibleWorlds
from sim.config import ConfigError
from sim.experiment import Experiment
from sim.report.run_folder import (
    CONFIRMATION_FILE,
    DEFAULT_RESULTS,
    fill_run_folder,
    run_folder,
)
from sim.tuning._confirm import (
    best_trials,
    confirmation_experiment,
    confirmed_order,
    trial_counts,
    trial_experiment,
    trials_table,
    tuning_sentence,
)
from sim.tuning._figures import tuning_figures
from sim.tuning._space import checked_search_space, tuning_section
from sim.tuning._storage import storage_spec
from sim.tuning._study import finished_trials, open_study, reload
from sim.tuning._workers import WorkerPlan, run_workers


@dataclass(frozen=True)
class TuneStatus:
    """Progress of :func:`tune`: *done* of *total* trials finished, or confirmation replications."""

    stage: Literal["trials", "confirmation"]
    done: int
    total: int
    study: str
    storage: str
    """Where the study lives (a journal path, or the URL with its password redacted)."""


class TuneStopped(KeyboardInterrupt):
    """Ctrl-C during the search: the finished trials are saved and the same call resumes."""

    def __init__(self, finished: int, trials: int, storage: str) -> None:
        super().__init__(
            f"stopped after the trials in progress: {finished} of {trials} trials are saved in "
            f"{storage}.\nresume with the same command (same --study and --storage)."
        )


@dataclass(frozen=True)
class TuneResult:
    """What a tuning study found and what the confirmation on fresh seeds says of it."""

    experiment: Experiment
    study: optuna.Study
    storage: str
    """Where the study lives (a journal path, or the URL with its password redacted)."""
    dashboard: str
    """The argument for ``optuna-dashboard`` to watch the study (password redacted)."""
    chosen: list[FrozenTrial]
    """The confirmed trials, best confirmed first (empty when no feasible trial finished)."""
    confirmation: ComparisonResult | None
    trials: pd.DataFrame
    """One row per trial: state, objectives, parameters, feasibility, KPI means."""
    tuned: list[Experiment]
    """Each chosen trial's experiment, ready to run (same order as *chosen*)."""
    sentence: str | None
    """The headline: the tuned settings and the confirmed change with its 95% CI."""
    counts: str
    """'4 of 4 trials finished (3 complete, 1 pruned; the baseline is one)'."""
    jobs: int
    wall_seconds: float
    warnings: list[str]
    uncertainty: bool = False
    """Whether trials and confirmation ran on plausible worlds drawn from ``uncertain:``."""


@dataclass(frozen=True)
class SavedTune:
    """Where :func:`write_tune_run` put the run: the folder, the cadence(s) to run next."""

    folder: Path
    ready_to_run: Path | None
    """``best.yaml`` (one objective) or the ``pareto/`` folder (several); None without one."""
    warnings: list[str]


def _check_out_folder(out: Path) -> None:
    """Refuse an --out that cannot hold a run folder, before any work."""
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        where = "is" if existing == out else f"is under {existing}, which is"
        raise ConfigError(f"--out {out}: expected a folder, but it {where} a file")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(f"--out {out}: cannot write into {existing} (permission denied)")


def _check_budget(experiment: Experiment, trials: int, timeout: float | None, source: str) -> None:
    if trials < 1:
        raise ConfigError(f"--trials {trials}: expected a whole number >= 1")
    size = checked_search_space(experiment, source).size()
    if size is not None and trials > size:
        raise ConfigError(
            f"--trials {trials}: the search space holds only {size} distinct settings; "
            f"expected --trials {size} or fewer (or widen tune.parameters)"
        )
    if timeout is not None and not (math.isfinite(timeout) and timeout > 0):
        raise ConfigError(f"--timeout {timeout}: expected a number of seconds > 0")


def tune(
    experiment: Experiment,
    *,
    trials: int,
    jobs: int = 1,
    storage: str | None = None,
    study: str | None = None,
    timeout: float | None = None,
    out: Path = DEFAULT_RESULTS,
    progress: Callable[[TuneStatus], None] | None = None,
    confirm_on: Workers | None = None,
    uncertainty: bool = False,
    source: str = "<experiment>",
) -> TuneResult:
    """Search the experiment's ``tune:`` section until the study has *trials* finished trials,
    then confirm the best on fresh seeds.

    The study is *study* (default: the experiment's name) in *storage* (a database URL;
    default: a journal file under ``out/<experiment>/studies/``); calling again resumes
    it. *jobs* worker processes share it, and so may other machines. *timeout* (seconds)
    stops starting trials after that long. *confirm_on* runs the confirmation elsewhere
    (e.g. a :class:`~sim.analysis.DaskCluster`; default: *jobs* local processes); the
    trials scale out through the storage instead. Every input is checked before any work or
    file: a bad one raises :class:`~sim.config.ConfigError`. Ctrl-C raises
    :class:`TuneStopped` once the trials in progress have finished.

    With *uncertainty* (implied by ``tune.objective: quantile`` or ``cvar``) every trial
    runs on the same plausible worlds drawn from the ``uncertain:`` section, and the
    confirmation compares on fresh worlds: its differences say in what share of
    plausible worlds each chosen cadence beats the baseline.
    """
    tuning = tuning_section(experiment)
    _check_budget(experiment, trials, timeout, source)
    uncertainty = uncertainty or tuning.robust
    if uncertainty:
        PlausibleWorlds(experiment, source)  # no uncertain: section, or a bad field: fails now
    name = study or experiment.name
    spec = storage_spec(storage, out, experiment.name, name)
    _check_out_folder(out)
    started = time.perf_counter()
    opened = open_study(experiment, spec, name, uncertainty)

    def report(stage: Literal["trials", "confirmation"], done: int, total: int) -> None:
        if progress:
            progress(TuneStatus(stage, done, total, name, spec.describe()))

    report("trials", finished_trials(opened), trials)
    plan = WorkerPlan(experiment, spec, name, trials, timeout, uncertainty)
    try:
        run_workers(plan, jobs, progress=lambda done: report("trials", done, trials))
    except KeyboardInterrupt:
        saved = finished_trials(reload(spec, name))
        raise TuneStopped(saved, trials, spec.describe()) from None
    final = reload(spec, name)
    warnings = []
    if finished_trials(final) < trials:
        why = (
            "--timeout reached"
            if timeout is not None
            else "the last proposals all repeated settings already evaluated (is the search space nearly exhausted?)"
        )
        warnings.append(f"the study has {finished_trials(final)} of {trials} trials: {why}")
    chosen = best_trials(final, tuning)
    confirmation = None
    if chosen:
        confirm = confirmation_experiment(experiment, chosen, uncertainty)
        total = confirm.replications * (len(chosen) + 1) * (RUNS_PER_WORLD if uncertainty else 1)
        done = 0

        def count(advance: int) -> None:
            nonlocal done
            done += advance
            report("confirmation", done, total)

        report("confirmation", 0, total)
        confirmation = compare(
            confirm,
            jobs=jobs if confirm_on is None else confirm_on,
            progress=count,
            first_replication=tuning.replications,
            uncertainty=uncertainty,
        )
        chosen = confirmed_order(chosen, confirmation, tuning)
    return TuneResult(
        experiment=experiment,
        study=final,
        storage=spec.describe(),
        dashboard=spec.dashboard_argument(),
        chosen=chosen,
        confirmation=confirmation,
        trials=trials_table(final),
        tuned=[trial_experiment(experiment, t) for t in chosen],
        sentence=tuning_sentence(experiment, chosen[0], confirmation) if confirmation else None,
        counts=trial_counts(final, trials),
        jobs=jobs,
        wall_seconds=time.perf_counter() - started,
        warnings=warnings,
        uncertainty=uncertainty,
    )


def write_tune_run(
    result: TuneResult, out: Path = DEFAULT_RESULTS, *, report: bool = True
) -> SavedTune:
    """Save a tuning run as ``out/<experiment>/<run-id>/``: trials and confirmation tables,
    ``best.yaml`` (or ``pareto/trial-N.yaml`` for several objectives), the study's figures
    and the report (unless *report* is off), and a manifest whose passwords are redacted.
    """
    experiment = result.experiment
    tuning = tuning_section(experiment)
    multi = len(tuning.objectives) > 1
    confirmation = result.confirmation
    with run_folder(out, experiment.name) as folder:
        tables = {"trials": result.trials}
        extra: dict[str, object] = {}
        if confirmation is not None:
            tables.update(tidy_tables(confirmation.results))
            tables["differences"] = confirmation.differences
            tables["ranking"] = confirmation.ranking
            extra = {
                "baseline": confirmation.baseline,
                "stopped_because": "confirmation on fresh seeds",
                "tuned_summary": result.sentence,
            }
            if multi:
                (folder.path / "pareto").mkdir()
            pairs = zip(result.chosen, result.tuned, strict=True)
            for trial, tuned in pairs if multi else list(pairs)[:1]:
                name = f"pareto/trial-{trial.number}.yaml" if multi else "best.yaml"
                folder.write_yaml(name, tuned.to_config(designs=False))
            confirmed = confirmation_experiment(experiment, result.chosen, result.uncertainty)
            folder.write_yaml(CONFIRMATION_FILE, confirmed.to_config())  # what the report reads
        warnings = (
            tuning_figures(result.study, experiment, folder.path / "figures") if report else []
        )
        warnings += fill_run_folder(
            folder,
            experiment,
            tables,
            verb="tune",
            replications=tuning.replications,
            jobs=result.jobs,
            wall_seconds=result.wall_seconds,
            report=report and confirmation is not None,
            primary_kpi=tuning.objectives[0].kpi,
            study=result.study.study_name,
            storage=result.storage,
            trials=len(result.study.trials),
            chosen_trials=[t.number for t in result.chosen],
            **extra,
        )
    assert folder.final is not None
    ready = None if confirmation is None else folder.final / ("pareto" if multi else "best.yaml")
    return SavedTune(folder.final, ready, warnings)
