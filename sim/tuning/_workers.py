"""Workers: ask for a trial, refuse repeats, evaluate it on common seeds, tell the study.

Every trial evaluates the *same* replication seeds (common random numbers across
trials), so two trials differ by their parameters, not by their luck. With plausible
worlds (``--uncertainty``, or ``tune.objective: quantile | cvar``) replication *k* is
also the same world for every trial (:mod:`sim.analysis.worlds`), run once, and each
objective is the mean, low quantile or CVaR of its KPI over the worlds. A single
objective is pruned with Optuna's ``WilcoxonPruner``: each replication is reported
with its index as the step, and a trial stops early only when the paired evidence says
it is worse than the best so far.

A worker starts a trial only while the study has fewer than ``--trials`` trials
finished or running, so the study ends with exactly that many (the baseline counts as
one); when the last ones are running elsewhere it waits for them, and takes over if
their worker dies. A proposal that repeats the settings of a trial already evaluated
or running is not evaluated again: it is told FAIL with the user attribute
``repeat_of`` and the worker asks again. A study whose proposals keep repeating (a
small discrete space, nearly exhausted) stops after ``MAX_REPEATS_IN_A_ROW``.

With ``--jobs J`` the parent process starts J worker processes; each exits on its own
when the parent dies (it checks every second), so a killed ``tune`` leaves no workers.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState

from sim.analysis.executors import Job, exit_with_parent, run_replication
from sim.analysis.stats import risk_adjusted
from sim.analysis.worlds import PlausibleWorlds, run_seeds
from sim.config import ConfigError
from sim.engine.streams import replication_seeds
from sim.experiment import Experiment
from sim.tuning._space import SearchSpace, experiment_with, search_space, tuning_section
from sim.tuning._storage import StorageSpec, fail_stale_trials, heartbeat
from sim.tuning._study import BASELINE_ATTR, FINISHED, REPEAT_ATTR, load_study

POLL_SECONDS = 1.0
"""How often a waiting worker, the parent's progress and the parent watchdog look again."""
MAX_REPEATS_IN_A_ROW = 25
"""A worker whose last this-many proposals all repeated earlier settings stops."""
_YIELDS_TO = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.RUNNING)


@dataclass(frozen=True)
class WorkerPlan:
    """Everything a worker process needs (picklable)."""

    experiment: Experiment
    storage: StorageSpec
    study: str
    trials: int
    timeout_seconds: float | None
    uncertainty: bool = False
    """Evaluate every trial on the same plausible worlds drawn from ``uncertain:``."""


_stop_requested = False


def _request_stop(signum: int, frame: Any) -> None:
    global _stop_requested
    _stop_requested = True


def repeat_of(trial: optuna.Trial | FrozenTrial, trials: list[FrozenTrial]) -> int | None:
    """The number of a trial *trial* must not repeat (same settings), or None.

    A proposal yields to any other evaluated or running trial with its settings; when
    two identical proposals look at once both may yield, never both run. The baseline
    yields only to an earlier baseline (it is enqueued once; twice only when two
    processes finish a dead creator's set-up together).
    """
    baseline = bool(trial.user_attrs.get(BASELINE_ATTR))
    for other in trials:
        if other.number == trial.number or other.state not in _YIELDS_TO:
            continue
        if other.params != trial.params:
            continue
        if not baseline or (other.user_attrs.get(BASELINE_ATTR) and other.number < trial.number):
            return other.number
    return None


def _objective(
    experiment: Experiment, space: SearchSpace, uncertainty: bool = False
) -> Callable[[optuna.Trial], Any]:
    """Evaluate a trial's settings on the tuning replications: the objective(s) over them."""
    tuning = tuning_section(experiment)
    seeds = replication_seeds(experiment.seed, tuning.replications)
    single = len(tuning.objectives) == 1
    if uncertainty:
        worlds = PlausibleWorlds(experiment)
        bases = [worlds.experiment(seed) for seed in seeds]
        seeds = [run_seeds(seed, 1)[0] for seed in seeds]  # a world's first run, as in compare
    else:
        bases = [experiment] * len(seeds)

    def evaluate(trial: optuna.Trial) -> float | list[float]:
        settings = space.settings(trial.params)
        try:
            candidates = [
                experiment_with(base, settings, f"trial {trial.number}") for base in bases
            ]
        except ConfigError as exc:
            trial.set_user_attr("invalid", str(exc))
            trial.set_constraint("valid settings", 1.0)
            raise optuna.TrialPruned(f"invalid combination: {exc}") from None
        rows = []
        for step, (candidate, seed) in enumerate(zip(candidates, seeds, strict=True)):
            kpis = run_replication(Job(candidate.scenario, candidate.policy, seed))
            rows.append(kpis)
            trial.set_user_attr("replications_run", step + 1)
            if single:
                trial.report(kpis[tuning.objectives[0].kpi], step)
                if trial.should_prune():
                    raise optuna.TrialPruned()
        means = {kpi: sum(row[kpi] for row in rows) / len(rows) for kpi in rows[0]}
        trial.set_user_attr("kpis", {k: v for k, v in means.items() if math.isfinite(v)})
        violations = [c.violation(means[c.kpi]) for c in tuning.constraints]
        for constraint, violation in zip(tuning.constraints, violations, strict=True):
            trial.set_constraint(constraint.describe(), violation)
        trial.set_user_attr("constraints", violations or [0.0])
        trial.set_user_attr("feasible", all(v <= 0 for v in violations))
        objective = [
            risk_adjusted(
                [row[o.kpi] for row in rows],
                tuning.objective,
                tuning.level,
                o.resolved_direction == "maximize",
            )
            if tuning.robust
            else means[o.kpi]
            for o in tuning.objectives
        ]
        return objective[0] if single else objective

    return evaluate


def _tell(study: Study, trial: optuna.Trial, **outcome: Any) -> None:
    """Finish the trial, unless another worker failed it meanwhile (thinking this one dead)."""
    with contextlib.suppress(optuna.exceptions.UpdateFinishedTrialError):
        study.tell(trial, **outcome)


def _run_trial(study: Study, trial: optuna.Trial, evaluate: Callable[[optuna.Trial], Any]) -> None:
    try:
        values = evaluate(trial)
    except optuna.TrialPruned:
        _tell(study, trial, state=TrialState.PRUNED)
    except BaseException:
        _tell(study, trial, state=TrialState.FAIL)
        raise
    else:
        _tell(study, trial, values=values)


def work(plan: WorkerPlan, on_trial: Callable[[int], None] | None = None) -> None:
    """One worker: run trials until the study has *trials* finished ones (or the timeout).

    Ctrl-C (SIGINT) stops after the trial in progress; finished trials are in the
    storage already, so rerunning the command carries on. *on_trial(finished)* is
    called after each trial with the study's count of finished trials.
    """
    global _stop_requested
    _stop_requested = False
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _request_stop)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    backend = plan.storage.open()
    study = load_study(plan.experiment, backend, plan.study)
    study_id = backend.get_study_id_from_name(plan.study)
    space = search_space(plan.experiment)
    evaluate = _objective(plan.experiment, space, plan.uncertainty)
    deadline = None if plan.timeout_seconds is None else time.monotonic() + plan.timeout_seconds
    repeats = 0
    while not _stop_requested and (deadline is None or time.monotonic() < deadline):
        fail_stale_trials(backend, plan.study, plan.storage.grace_seconds)
        states = [t.state for t in study.get_trials(deepcopy=False)]
        finished = sum(state in FINISHED for state in states)
        if finished >= plan.trials or repeats >= MAX_REPEATS_IN_A_ROW:
            return
        if finished + states.count(TrialState.RUNNING) >= plan.trials:
            time.sleep(POLL_SECONDS)  # the last trials run elsewhere; take over if they die
            continue
        trial = study.ask(space.distributions)
        trial_id = backend.get_trial_id_from_study_id_trial_number(study_id, trial.number)
        with heartbeat(backend, trial_id, plan.storage.heartbeat_seconds):
            repeated = repeat_of(trial, study.get_trials(deepcopy=False))
            if repeated is not None:
                trial.set_user_attr(REPEAT_ATTR, repeated)
                _tell(study, trial, state=TrialState.FAIL)
                repeats += 1
                continue
            repeats = 0
            _run_trial(study, trial, evaluate)
        if on_trial:
            on_trial(len(study.get_trials(deepcopy=False, states=FINISHED)))


def _worker_process(plan: WorkerPlan, parent_pid: int) -> None:
    """The body of a spawned worker process."""
    exit_with_parent(parent_pid)
    work(plan)


def run_workers(plan: WorkerPlan, jobs: int, progress: Callable[[int], None] | None = None) -> None:
    """Run *jobs* worker processes on the study (one in this process when jobs == 1).

    *progress(finished)* gets the study's count of finished trials whenever it grows.
    Ctrl-C stops every worker after its trial in progress and raises KeyboardInterrupt.
    """
    if jobs <= 1:
        previous = signal.getsignal(signal.SIGINT)
        try:
            work(plan, on_trial=progress)
        finally:
            if threading.current_thread() is threading.main_thread():
                signal.signal(signal.SIGINT, previous)
        if _stop_requested:
            raise KeyboardInterrupt
        return
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_worker_process, args=(plan, os.getpid()), daemon=False)
        for _ in range(jobs)
    ]
    for worker in workers:
        worker.start()
    study = optuna.load_study(study_name=plan.study, storage=plan.storage.open())
    seen = -1
    try:
        while any(worker.is_alive() for worker in workers):
            time.sleep(POLL_SECONDS)
            now = len(study.get_trials(deepcopy=False, states=FINISHED))
            if progress and now != seen:
                progress(now)
                seen = now
    except KeyboardInterrupt:
        for worker in workers:  # stop after the current trial (a terminal's Ctrl-C sent it too)
            if worker.pid is not None and worker.is_alive():
                os.kill(worker.pid, signal.SIGINT)
        for worker in workers:
            worker.join()
        raise
    if progress:
        progress(len(study.get_trials(deepcopy=False, states=FINISHED)))
    failed = [w.exitcode for w in workers if w.exitcode]
    if failed:
        raise RuntimeError(
            f"{len(failed)} tuning worker(s) failed (exit codes {failed}); see the messages above"
        )
