"""Tune a cadence with Optuna: honest evaluation, persistent studies, scale-out.

Every trial evaluates the *same* replication seeds (common random numbers across
trials), so two trials differ by their parameters, not by their luck. A single
objective is pruned with Optuna's ``WilcoxonPruner``: each replication is
reported with its index as the step, and a trial stops early only when the
paired evidence says it is worse than the best so far. The experiment's own
cadence (the baseline) is enqueued once, by whichever process creates the
study. At the end the best few trials and the baseline are re-run on fresh
seeds the search never used, and the paired improvement is reported with its
confidence interval: the best of many noisy trials is flattered by its luck
(the winner's curse), the confirmation is not.

Studies persist in Optuna's own storages: a journal file under
``results/<experiment>/studies/`` by default (safe for several local
processes), or PostgreSQL (``--storage postgresql://...``) for workers on
several machines. Rerunning the same command resumes the study.

A running trial records a heartbeat every ``HEARTBEAT_SECONDS`` (10); one whose
worker has been silent for ``GRACE_SECONDS`` (60), e.g. a killed process, is marked
FAIL by the next worker that opens the study or starts a trial. The environment
variables ``SALESPULSE_TUNE_HEARTBEAT_SECONDS`` and ``SALESPULSE_TUNE_GRACE_SECONDS``
(whole seconds >= 1) override the two, e.g. to test a killed worker quickly.
"""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import signal
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
    distribution_to_json,
)
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages._heartbeat import BaseHeartbeat
from optuna.storages.journal import JournalFileBackend
from optuna.storages.journal._file import BaseJournalFileLock
from optuna.trial import FrozenTrial, TrialState

from policies.base import REGISTRY
from sim.analysis.executors import Job, run_replication
from sim.config import ConfigError
from sim.config.durations import parse_duration
from sim.engine.streams import replication_seeds
from sim.experiment import Experiment, set_field, validate_experiment
from sim.experiment.designs import Tuning

HEARTBEAT_SECONDS = 10
"""How often a running trial records that its worker is alive."""
GRACE_SECONDS = 60
"""A running trial whose worker has been silent this long is marked failed."""
HEARTBEAT_ENV = "SALESPULSE_TUNE_HEARTBEAT_SECONDS"
GRACE_ENV = "SALESPULSE_TUNE_GRACE_SECONDS"
"""Environment variables overriding the two numbers above (whole seconds >= 1), e.g. for tests."""
STUDY_SETUP_SECONDS = 30
"""How long a process that finds the study just created waits for its creator to finish setting it up."""


def _seconds_from_env(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ConfigError(f"environment variable {name}={text!r}: expected whole seconds >= 1")
    return value


# -- search space -------------------------------------------------------------------


@dataclass(frozen=True)
class SearchSpace:
    """What a study varies (Optuna distributions by field path) and what it fixes."""

    distributions: dict[str, BaseDistribution]
    fixed: dict[str, Any]

    def fingerprint(self) -> str:
        """A stable text form, stored with the study to refuse a resumed study with another space."""
        return json.dumps(
            {
                name: json.loads(distribution_to_json(d))
                for name, d in sorted(self.distributions.items())
            },
            sort_keys=True,
        )


def _read_path(data: dict[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.replace("[", ".").replace("]", "").split("."):
        node = node[int(part)] if part.isdigit() else node[part]
    return node


def _number(value: Any, path: str) -> float:
    """A range bound: a number, or a duration written in human units."""
    if isinstance(value, bool):
        raise ConfigError(f"tune.parameters.{path}: expected a number or a duration, got {value!r}")
    if isinstance(value, int | float):
        return value
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise ConfigError(f"tune.parameters.{path}: {exc}") from None


def _distribution(path: str, spec: dict[str, Any], current: Any) -> BaseDistribution:
    """One ``tune.parameters`` entry as an Optuna distribution."""
    unknown = set(spec) - {"low", "high", "log", "step", "choices"}
    if unknown:
        raise ConfigError(
            f"tune.parameters.{path}: unknown key(s) {', '.join(sorted(unknown))}; "
            "expected low/high (with optional log, step) or choices"
        )
    if "choices" in spec:
        if not isinstance(spec["choices"], list) or not spec["choices"]:
            raise ConfigError(f"tune.parameters.{path}.choices: expected a non-empty list")
        return CategoricalDistribution(spec["choices"])
    if "low" not in spec or "high" not in spec:
        raise ConfigError(f"tune.parameters.{path}: expected low and high (or choices)")
    low, high = _number(spec["low"], path), _number(spec["high"], path)
    if low > high:
        raise ConfigError(
            f"tune.parameters.{path}: low ({spec['low']}) is above high ({spec['high']})"
        )
    log = bool(spec.get("log", False))
    if log and low <= 0:
        raise ConfigError(f"tune.parameters.{path}: a log range needs low > 0, got {spec['low']}")
    integer = isinstance(current, int) and not isinstance(current, bool)
    if integer:
        if low != int(low) or high != int(high):
            raise ConfigError(f"tune.parameters.{path}: expected whole-number bounds for a count")
        return IntDistribution(int(low), int(high), log=log, step=int(spec.get("step", 1)))
    return FloatDistribution(low, high, log=log, step=spec.get("step"))


def search_space(experiment: Experiment) -> SearchSpace:
    """The study's parameters: whole policy families plus the file's own additions and limits."""
    tuning = _tuning(experiment)
    config = experiment.to_config(designs=False)
    distributions: dict[str, BaseDistribution] = {}
    for family in tuning.families:
        if family not in REGISTRY:
            raise ConfigError(
                f"tune.families: unknown policy family {family!r}; expected one of: {', '.join(REGISTRY)}"
            )
        policy = getattr(experiment.policy, family)
        for name, spec in type(policy).search_space().items():
            path = f"policy.{family}.{name}"
            distributions[path] = _distribution(path, spec, _read_path(config, path))
    fixed: dict[str, Any] = {}
    for path, spec in tuning.parameters.items():
        try:
            current = _read_path(config, path)
        except (KeyError, IndexError, TypeError, ValueError):
            raise ConfigError(f"tune.parameters.{path}: no such field in the experiment") from None
        if isinstance(spec, dict):
            distributions[path] = _distribution(path, spec, current)
        else:
            distributions.pop(path, None)
            fixed[path] = spec
    if not distributions:
        raise ConfigError("tune: nothing to tune; list policy families or parameters with ranges")
    return SearchSpace(distributions, fixed)


def _tuning(experiment: Experiment) -> Tuning:
    if experiment.tune is None:
        raise ConfigError("no tune: section; expected objectives and the parameters to search")
    return experiment.tune


def experiment_with(experiment: Experiment, values: dict[str, Any], where: str) -> Experiment:
    """*experiment* (without its designs) with the fields at the given paths set to *values*."""
    data = experiment.to_config(designs=False)
    for path, value in values.items():
        set_field(data, path, value, f"{where}: {path}")
    return validate_experiment(data, where)


def baseline_values(experiment: Experiment, space: SearchSpace) -> dict[str, Any]:
    """The experiment's own settings of the tuned parameters (durations in minutes)."""
    config = experiment.to_config(designs=False)
    values = {}
    for path, distribution in space.distributions.items():
        value = _read_path(config, path)
        if isinstance(distribution, FloatDistribution) and isinstance(value, str):
            value = parse_duration(value)
        values[path] = value
    return values


# -- storage ------------------------------------------------------------------------


class _ProcessFileLock(BaseJournalFileLock):
    """The journal's write lock: ``flock`` on ``<journal>.flock``, which the OS releases when
    its process dies, even by SIGKILL.

    Optuna's default lock is a symlink that a killed process leaves behind, and every
    other worker then waits 30 s before it breaks the lock. Readers (Optuna, the
    dashboard) take no lock, so they are not concerned.
    """

    def __init__(self, path: Path) -> None:
        self._path = str(path)
        self._fd: int | None = None

    def acquire(self) -> bool:
        import fcntl

        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except BaseException:
            os.close(fd)
            raise
        self._fd = fd
        return True

    def release(self) -> None:
        import fcntl

        fd, self._fd = self._fd, None
        if fd is not None:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


class _TrialClockHeartbeat:
    """Optuna's heartbeat protocol kept on the trials themselves.

    The time of a trial's last beat is a trial system attribute, and a running trial
    whose last beat (or, before its first beat, whose start) is older than the grace
    period is stale; Optuna's own ``fail_stale_trials`` then marks it failed. Unlike
    Optuna's RDB heartbeat table, this also catches a worker killed between creating
    a trial and its first beat.
    """

    _grace_period: int

    def record_heartbeat(self, trial_id: int) -> None:
        self.set_trial_system_attr(trial_id, "heartbeat", time.time())  # type: ignore[attr-defined]

    def _get_stale_trial_ids(self, study_id: int) -> list[int]:
        now = time.time()
        stale = []
        running = self.get_all_trials(study_id, deepcopy=False, states=(TrialState.RUNNING,))  # type: ignore[attr-defined]
        for trial in running:
            started = trial.datetime_start.timestamp() if trial.datetime_start else now
            if now - trial.system_attrs.get("heartbeat", started) > self._grace_period:
                stale.append(trial._trial_id)
        return stale


class HeartbeatJournalStorage(_TrialClockHeartbeat, JournalStorage, BaseHeartbeat):
    """Optuna's journal-file storage plus Optuna's heartbeat protocol.

    Optuna ships heartbeats only for its RDB storage; this adds them to the journal
    storage through Optuna's own ``BaseHeartbeat`` interface, so a worker killed
    mid-trial leaves a trial that Optuna itself marks failed instead of running
    forever. Writes are locked with :class:`_ProcessFileLock` where the OS has ``flock``.
    """

    def __init__(self, path: Path, heartbeat_interval: int, grace_period: int) -> None:
        lock = (
            _ProcessFileLock(path.with_name(path.name + ".flock")) if os.name == "posix" else None
        )
        super().__init__(JournalFileBackend(str(path), lock_obj=lock))
        self._heartbeat_interval = heartbeat_interval
        self._grace_period = grace_period

    def get_heartbeat_interval(self) -> int | None:
        return self._heartbeat_interval

    def get_heartbeat_stale_trial_callback(
        self,
    ) -> Callable[[optuna.Study, FrozenTrial], None] | None:
        return None


class HeartbeatRDBStorage(_TrialClockHeartbeat, RDBStorage):
    """Optuna's RDB storage with heartbeats kept on the trials (see :class:`_TrialClockHeartbeat`)."""

    def __init__(self, url: str, heartbeat_interval: int, grace_period: int) -> None:
        super().__init__(
            url,
            heartbeat_interval=heartbeat_interval,
            grace_period=grace_period,
            engine_kwargs={"pool_pre_ping": True},
        )
        self._grace_period = grace_period


@dataclass(frozen=True)
class StorageSpec:
    """Where the study lives: a journal file (default) or a database URL. Picklable for workers."""

    url: str | None
    journal: Path | None
    heartbeat_seconds: int = field(
        default_factory=lambda: _seconds_from_env(HEARTBEAT_ENV, HEARTBEAT_SECONDS)
    )
    grace_seconds: int = field(default_factory=lambda: _seconds_from_env(GRACE_ENV, GRACE_SECONDS))

    def open(self) -> BaseStorage:
        if self.journal is not None:
            self.journal.parent.mkdir(parents=True, exist_ok=True)
            return HeartbeatJournalStorage(self.journal, self.heartbeat_seconds, self.grace_seconds)
        assert self.url is not None
        try:
            return self._open_database()
        except ImportError as exc:
            raise ConfigError(
                f"--storage {_redact(self.url)}: the database driver is not installed ({exc})"
            ) from None
        except Exception as exc:  # malformed URL, unreachable server, refused login
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ConfigError(
                f"--storage {_redact(self.url)}: cannot open the study storage ({reason})"
            ) from None

    def _open_database(self) -> RDBStorage:
        """RDBStorage, retried when another worker creates Optuna's tables at the same moment.

        On a fresh database, workers started together all run ``CREATE TABLE``; PostgreSQL
        lets one win and fails the others with a unique violation (IntegrityError) or
        "already exists" (ProgrammingError). A retry finds the tables there.
        """
        import sqlalchemy.exc

        assert self.url is not None
        for attempt in range(5):
            try:
                with warnings.catch_warnings():  # heartbeat_interval is "experimental" in Optuna
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                    return HeartbeatRDBStorage(self.url, self.heartbeat_seconds, self.grace_seconds)
            except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError):
                if attempt == 4:
                    raise
                time.sleep(0.2 * (attempt + 1))
        raise AssertionError("unreachable")

    def describe(self) -> str:
        return str(self.journal) if self.journal is not None else _redact(self.url or "")


def _redact(url: str) -> str:
    """The URL without its password, for messages and manifests."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        credentials, host = rest.rsplit("@", 1)
        if ":" in credentials:
            return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"
    return url


def storage_spec(url: str | None, out: Path, experiment: Experiment, study: str) -> StorageSpec:
    """The default journal under ``out/<experiment>/studies/`` unless a URL is given."""
    if url is None:
        return StorageSpec(None, out / experiment.name / "studies" / f"{study}.journal")
    if url.startswith("sqlite"):
        raise ConfigError(
            f"--storage {url}: SQLite cannot take several workers on one file; leave --storage out for "
            "the default journal file, or use postgresql://... to scale out"
        )
    if "://" not in url:
        raise ConfigError(
            f"--storage {url}: expected a database URL such as postgresql://user@host/db"
        )
    return StorageSpec(url, None)


# -- the study ----------------------------------------------------------------------


def _constraint_values(trial: FrozenTrial) -> list[float]:
    """Optuna's constraints function: stored with each trial (an unfinished trial is infeasible)."""
    return trial.user_attrs.get("constraints", [1.0])


def _sampler(tuning: Tuning, seed: int) -> optuna.samplers.BaseSampler:
    constraints = _constraint_values if tuning.constraints else None
    if len(tuning.objectives) > 1:
        return optuna.samplers.NSGAIISampler(
            seed=seed, constraints_func=constraints, population_size=20
        )
    return optuna.samplers.TPESampler(seed=seed, multivariate=True, constraints_func=constraints)


def _identity(experiment: Experiment, space: SearchSpace) -> dict[str, str]:
    tuning = _tuning(experiment)
    return {
        "experiment": experiment.name,
        "space": space.fingerprint(),
        "objectives": json.dumps([[o.kpi, o.resolved_direction] for o in tuning.objectives]),
        "constraints": json.dumps([c.describe() for c in tuning.constraints]),
    }


def open_study(experiment: Experiment, storage: StorageSpec, name: str) -> optuna.Study:
    """Create the study (enqueueing the baseline exactly once) or load it, checking it matches."""
    tuning = _tuning(experiment)
    space = search_space(experiment)
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # salespulse reports progress itself
    directions = [o.resolved_direction for o in tuning.objectives]
    identity = _identity(experiment, space)
    backend = storage.open()
    with (
        warnings.catch_warnings()
    ):  # WilcoxonPruner is marked experimental; we rely on it knowingly
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        pruner = optuna.pruners.WilcoxonPruner(p_threshold=0.1) if len(directions) == 1 else None
    try:
        study = optuna.create_study(
            storage=backend,
            study_name=name,
            directions=directions,
            sampler=_sampler(tuning, experiment.seed),
            pruner=pruner,
        )
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(
            study_name=name,
            storage=backend,
            sampler=_sampler(tuning, experiment.seed),
            pruner=pruner,
        )
        stored = _stored_identity(study, identity, storage, name)
        changed = [key for key in identity if stored[key] != identity[key]]
        if changed:
            raise ConfigError(
                f"--study {name}: a study with this name exists in {storage.describe()} with different "
                f"{', '.join(changed)}; expected the same experiment, search space, objectives and constraints "
                "(choose another --study name to start afresh)"
            ) from None
        return study
    # Only the process that created the study gets here: the baseline is enqueued once,
    # before the identity, whose last attribute tells other processes the study is ready.
    study.enqueue_trial(baseline_values(experiment, space), user_attrs={"baseline": True})
    for key, value in identity.items():
        study.set_user_attr(key, value)
    return study


def _stored_identity(
    study: optuna.Study, identity: dict[str, str], storage: StorageSpec, name: str
) -> dict[str, Any]:
    """The study's stored identity, waiting while a process that has just created it sets it up."""
    deadline = time.monotonic() + STUDY_SETUP_SECONDS
    while True:
        stored = {key: study.user_attrs.get(key) for key in identity}
        if all(value is not None for value in stored.values()):
            return stored
        if time.monotonic() > deadline:
            raise ConfigError(
                f"--study {name}: the study in {storage.describe()} was created but never set up "
                "(its first process stopped early); choose another --study name"
            )
        time.sleep(0.2)


@dataclass(frozen=True)
class WorkerPlan:
    """Everything a worker process needs (picklable)."""

    experiment: Experiment
    storage: StorageSpec
    study: str
    trials: int
    timeout_seconds: float | None


_stop_requested = False


def _request_stop(signum: int, frame: Any) -> None:
    global _stop_requested
    _stop_requested = True


def _suggest(trial: optuna.Trial, name: str, distribution: BaseDistribution) -> Any:
    if isinstance(distribution, CategoricalDistribution):
        return trial.suggest_categorical(name, distribution.choices)
    if isinstance(distribution, IntDistribution):
        return trial.suggest_int(
            name, distribution.low, distribution.high, step=distribution.step, log=distribution.log
        )
    assert isinstance(distribution, FloatDistribution)
    return trial.suggest_float(
        name, distribution.low, distribution.high, step=distribution.step, log=distribution.log
    )


def _objective(experiment: Experiment, space: SearchSpace) -> Callable[[optuna.Trial], Any]:
    tuning = _tuning(experiment)
    seeds = replication_seeds(experiment.seed, tuning.replications)
    single = len(tuning.objectives) == 1

    def evaluate(trial: optuna.Trial) -> Any:
        values = {path: _suggest(trial, path, d) for path, d in space.distributions.items()}
        try:
            candidate = experiment_with(
                experiment, {**space.fixed, **values}, f"trial {trial.number}"
            )
        except ConfigError as exc:
            trial.set_user_attr("invalid", str(exc))
            trial.set_constraint("valid settings", 1.0)
            raise optuna.TrialPruned(f"invalid combination: {exc}") from None
        rows = []
        for step, seed in enumerate(seeds):
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
        objective = [means[o.kpi] for o in tuning.objectives]
        return objective[0] if single else objective

    return evaluate


def work(plan: WorkerPlan, on_trial: Callable[[], None] | None = None) -> None:
    """One worker: optimise until the study has *trials* finished trials (or the timeout).

    Ctrl-C (SIGINT) stops after the trial in progress; finished trials are in the
    storage already, so rerunning the command carries on.
    """
    signal.signal(signal.SIGINT, _request_stop)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = open_study(plan.experiment, plan.storage, plan.study)
    with warnings.catch_warnings():  # trials of killed workers: FAIL now, not RUNNING forever
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)
    space = search_space(plan.experiment)
    limit = optuna.study.MaxTrialsCallback(
        plan.trials, states=(TrialState.COMPLETE, TrialState.PRUNED)
    )

    def stop_if_asked(study: optuna.Study, trial: FrozenTrial) -> None:
        if on_trial:
            on_trial()
        if _stop_requested:
            study.stop()

    if finished_trials(study) >= plan.trials:
        return
    study.optimize(
        _objective(plan.experiment, space),
        timeout=plan.timeout_seconds,
        callbacks=[limit, stop_if_asked],
        catch=(),
        gc_after_trial=False,
    )


def finished_trials(study: optuna.Study) -> int:
    """Trials that count towards --trials: completed or pruned."""
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED)))


def reload(storage: StorageSpec, name: str) -> optuna.Study:
    """The study as the storage has it now, with trials finished by other processes."""
    return optuna.load_study(study_name=name, storage=storage.open())


def run_workers(plan: WorkerPlan, jobs: int, progress: Callable[[int], None] | None = None) -> None:
    """Run *jobs* worker processes on the study (one in this process when jobs == 1)."""
    if jobs <= 1:
        previous = signal.getsignal(signal.SIGINT)
        try:
            work(plan, on_trial=(lambda: progress(1)) if progress else None)
        finally:
            signal.signal(signal.SIGINT, previous)
        if _stop_requested:
            raise KeyboardInterrupt
        return
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=work, args=(plan,), daemon=False) for _ in range(jobs)]
    for worker in workers:
        worker.start()
    study = reload(plan.storage, plan.study)
    seen = finished_trials(study)
    try:
        while any(worker.is_alive() for worker in workers):
            time.sleep(1.0)
            now = finished_trials(study)
            if progress and now > seen:
                progress(now - seen)
                seen = now
    except KeyboardInterrupt:
        for worker in workers:  # they got SIGINT too, and stop after their current trial
            worker.join()
        raise
    failed = [w.exitcode for w in workers if w.exitcode]
    if failed:
        raise RuntimeError(
            f"{len(failed)} tuning worker(s) failed (exit codes {failed}); see the messages above"
        )


# -- after the search -------------------------------------------------------------


def _feasible_complete(study: optuna.Study) -> list[FrozenTrial]:
    return [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if t.user_attrs.get("feasible", True)
    ]


def best_trials(study: optuna.Study, tuning: Tuning) -> list[FrozenTrial]:
    """The trials to confirm: the top ones (one objective) or the Pareto set (several), feasible only."""
    feasible = _feasible_complete(study)
    if len(tuning.objectives) == 1:
        reverse = tuning.objectives[0].resolved_direction == "maximize"
        return sorted(feasible, key=lambda t: t.value, reverse=reverse)[: tuning.confirm_top]
    numbers = {t.number for t in feasible}
    front = [t for t in study.best_trials if t.number in numbers]
    reverse = tuning.objectives[0].resolved_direction == "maximize"
    return sorted(front, key=lambda t: t.values[0], reverse=reverse)[: tuning.confirm_top]


def trial_experiment(experiment: Experiment, trial: FrozenTrial) -> Experiment:
    """The experiment as the trial set it: ready to run on its own (no tune: section)."""
    space = search_space(experiment)
    tuned = experiment_with(experiment, {**space.fixed, **trial.params}, f"trial {trial.number}")
    return tuned.model_copy(update={"name": f"{experiment.name}-trial-{trial.number}"})


def confirmation_experiment(experiment: Experiment, trials: list[FrozenTrial]) -> Experiment:
    """A comparison of the baseline with each chosen trial, on the confirmation's replications."""
    tuning = _tuning(experiment)
    data = experiment.to_config(designs=False)
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


def trials_table(study: optuna.Study) -> Any:
    """One row per trial: number, state, objective value(s), parameters, feasibility, KPI means."""
    import pandas as pd

    rows = []
    for trial in study.get_trials(deepcopy=False):
        row: dict[str, Any] = {"trial": trial.number, "state": trial.state.name}
        values = trial.values or []
        for index, value in enumerate(values):
            row[f"objective_{index}"] = value
        row["baseline"] = bool(trial.user_attrs.get("baseline", False))
        row["feasible"] = trial.user_attrs.get("feasible")
        row["replications_run"] = trial.user_attrs.get("replications_run", 0)
        row.update({f"param:{k}": v for k, v in trial.params.items()})
        row.update({f"kpi:{k}": v for k, v in trial.user_attrs.get("kpis", {}).items()})
        rows.append(row)
    return pd.DataFrame(rows)


def _readable_minutes(minutes: float) -> str:
    """A tuned duration rounded for people: 3d2h rather than 3d1h52m."""
    from sim.config.durations import format_duration

    step = 60 if minutes >= 1440 else 1
    return format_duration(max(step, round(minutes / step) * step))


def describe_settings(experiment: Experiment, trial: FrozenTrial) -> str:
    """The trial's parameters in plain words: 'response target 4m, follow-up gaps 5m, 1h, ...'."""
    config = experiment.to_config(designs=False)
    parts: list[str] = []
    gaps: dict[str, list[str]] = {}
    for path, value in trial.params.items():
        original = _read_path(config, path)
        if isinstance(value, float) and isinstance(original, str):
            text = _readable_minutes(value)
        elif isinstance(value, float):
            text = f"{value:.3g}"
        else:
            text = str(value)
        if path.endswith("]"):  # one item of a list, e.g. follow-up steps: listed together
            gaps.setdefault(path.rsplit("[", 1)[0], []).append(text)
            continue
        name = path.rsplit(".", 1)[-1].replace("_", " ")
        if "reps[" in path:
            name = f"{_read_path(config, path.rsplit('.', 1)[0] + '.name')} reps"
        elif path.startswith("policy."):
            family = path.split(".")[1].replace("_", " ")
            name = name if family in name else f"{family} {name}"
        parts.append(f"{name} {text}")
    for path, texts in gaps.items():
        family = path.split(".")[1].replace("_", "-")
        parts.insert(0, f"{family} gaps {', '.join(texts)}")
    return "; ".join(parts)


def confirmed_order(trials: list[FrozenTrial], confirmation: Any) -> list[FrozenTrial]:
    """The confirmed trials, best confirmed mean first (the search's order is flattered by luck)."""
    rank = {row["policy"]: row["rank"] for _, row in confirmation.ranking.iterrows()}
    return sorted(trials, key=lambda t: rank[f"trial_{t.number}"])


def tuning_sentence(experiment: Experiment, trial: FrozenTrial, confirmation: Any) -> str:
    """The headline for leadership: the tuned settings and the confirmed change with its CI."""
    kpi = confirmation.kpi
    row = confirmation.differences.set_index(["policy", "kpi"]).loc[(f"trial_{trial.number}", kpi)]
    from sim.engine.kpis import KPIS

    label = KPIS[kpi].label.lower()
    staffing = [
        p for p in trial.params if p.startswith("scenario.reps") or p.startswith("policy.staffing")
    ]
    team = "with the same team" if not staffing else "with the team size the trial chose"
    return (
        f"The tuned cadence (trial {trial.number}): {describe_settings(experiment, trial)}. "
        f"Confirmed on {confirmation.replications} fresh replications: {label} "
        f"{row['relative_difference']:+.1%} (95% CI {row['relative_ci_low']:+.1%} to {row['relative_ci_high']:+.1%}) "
        f"against the current cadence, {team}."
    )


def tuning_figures(study: optuna.Study, experiment: Experiment, folder: Path) -> list[str]:
    """Optuna's own plots (history, importances, Pareto front, slices) as PNG and SVG; returns warnings."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import optuna.visualization.matplotlib as ovm

    from sim.report.figures import save_figure

    tuning = _tuning(experiment)
    names = [f"{o.kpi} ({o.resolved_direction})" for o in tuning.objectives]
    skipped: list[str] = []
    figures: dict[str, Callable[[], Any]] = {}
    if len(tuning.objectives) == 1:
        figures["tune_history"] = lambda: ovm.plot_optimization_history(study, target_name=names[0])
    else:
        figures["tune_pareto_front"] = lambda: _pareto_with_baseline(study, names)
    figures["tune_importance"] = lambda: ovm.plot_param_importances(
        study, target=(lambda t: t.values[0]) if len(names) > 1 else None, target_name=names[0]
    )
    figures["tune_slices"] = lambda: ovm.plot_slice(
        study, target=(lambda t: t.values[0]) if len(names) > 1 else None, target_name=names[0]
    )
    folder.mkdir(parents=True, exist_ok=True)
    for stem, draw in figures.items():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                drawn = draw()
            figure = drawn.flatten()[0].figure if hasattr(drawn, "flatten") else drawn.figure
            figure.set_size_inches(
                max(figure.get_size_inches()[0], 8), max(figure.get_size_inches()[1], 5)
            )
            figure.tight_layout()
            save_figure(figure, folder, stem)
        except Exception as exc:  # too few trials for a plot is not an error of the run
            skipped.append(f"figure {stem} skipped: {exc}")
        finally:
            plt.close("all")
    return skipped


def _pareto_with_baseline(study: optuna.Study, names: list[str]) -> Any:
    import optuna.visualization.matplotlib as ovm

    axes = ovm.plot_pareto_front(study, target_names=names, constraints_func=_constraint_values)
    baseline = [
        t for t in study.get_trials(deepcopy=False) if t.user_attrs.get("baseline") and t.values
    ]
    if baseline:
        axes.scatter(
            *baseline[0].values[:2], marker="*", s=250, color="black", label="baseline", zorder=5
        )
        axes.legend()
    return axes
