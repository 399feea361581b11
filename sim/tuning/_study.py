"""The study: created once, safe to resume, seeded afresh for every trial.

Creating a study is three steps: the study itself, the experiment's own cadence (the
baseline) enqueued as its first trial, then the study's identity (experiment, search
space, objectives, constraints) as user attributes. The identity comes last: it tells
other processes the study is ready, and a resumed study with another identity is
refused. A process killed between the steps leaves a study without an identity; the
next process that opens it waits ``STUDY_SETUP_SECONDS`` for the creator to finish,
then finishes the set-up itself, so no kill makes a study name unusable.

Every trial's sampler is seeded from the experiment's seed and the trial's number
(:func:`trial_seed`). Trial numbers are unique within a study, so workers started
together, on one machine or several, and workers restarted after a kill never draw
the same proposals, and a single worker's study is reproducible.
"""

from __future__ import annotations

import json
import time
import warnings
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution
from optuna.samplers import BaseSampler
from optuna.storages import BaseStorage
from optuna.study import Study
from optuna.trial import FrozenTrial, TrialState

from sim.config import ConfigError
from sim.experiment import Experiment
from sim.experiment.designs import Tuning
from sim.tuning._space import SearchSpace, baseline_values, search_space, tuning_section
from sim.tuning._storage import StorageSpec

STUDY_SETUP_SECONDS = 10.0
"""How long a process that finds a study without its identity waits before setting it up itself."""
BASELINE_ATTR = "baseline"
"""User attribute marking the trial that runs the experiment's own cadence."""
REPEAT_ATTR = "repeat_of"
"""User attribute of a proposal told FAIL unevaluated: the trial whose settings it repeats."""
_SAMPLER_STREAM = zlib.crc32(b"tune sampler")
"""Keeps the samplers' seeds apart from the replications' seeds of the same root seed."""
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED)
"""The trial states that count towards ``--trials``."""


def trial_seed(seed: int, trial_number: int) -> int:
    """The sampler seed for one trial: ``SeedSequence(seed, spawn_key=(sampler, number))``."""
    sequence = np.random.SeedSequence(seed, spawn_key=(_SAMPLER_STREAM, trial_number))
    return int(sequence.generate_state(1)[0])


class TrialSeededSampler(BaseSampler):
    """A sampler made afresh for every trial, seeded by :func:`trial_seed`.

    Optuna's samplers keep nothing between trials but their random state (the rest is
    read from the study), so a fresh one per trial loses nothing.
    """

    def __init__(self, make: Callable[[int], BaseSampler], seed: int) -> None:
        self._make = make
        self._seed = seed
        self._inner = make(seed)

    def before_trial(self, study: Study, trial: FrozenTrial) -> None:
        self._inner = self._make(trial_seed(self._seed, trial.number))
        self._inner.before_trial(study, trial)

    def infer_relative_search_space(
        self, study: Study, trial: FrozenTrial
    ) -> dict[str, BaseDistribution]:
        return self._inner.infer_relative_search_space(study, trial)

    def sample_relative(
        self, study: Study, trial: FrozenTrial, search_space: dict[str, BaseDistribution]
    ) -> dict[str, Any]:
        return self._inner.sample_relative(study, trial, search_space)

    def sample_independent(
        self,
        study: Study,
        trial: FrozenTrial,
        param_name: str,
        param_distribution: BaseDistribution,
    ) -> Any:
        return self._inner.sample_independent(study, trial, param_name, param_distribution)

    def after_trial(
        self,
        study: Study,
        trial: FrozenTrial,
        state: TrialState,
        values: Sequence[float] | None,
    ) -> None:
        self._inner.after_trial(study, trial, state, values)

    def reseed_rng(self) -> None:
        self._inner.reseed_rng()


def _base_sampler(multi_objective: bool, seed: int) -> BaseSampler:
    """TPE for one objective, NSGA-II for several; constraints come from ``trial.set_constraint``."""
    if multi_objective:
        return optuna.samplers.NSGAIISampler(seed=seed, population_size=20)
    return optuna.samplers.TPESampler(seed=seed, multivariate=True)


def _sampler(tuning: Tuning, seed: int) -> TrialSeededSampler:
    multi = len(tuning.objectives) > 1
    return TrialSeededSampler(lambda s: _base_sampler(multi, s), seed)


def _pruner(tuning: Tuning) -> optuna.pruners.BasePruner:
    """Wilcoxon pruning on paired replications for one objective; none for several.

    Nor for a quantile or CVaR objective: a trial worse on most worlds may still have
    the better tail, and Wilcoxon's test of the typical paired difference cannot say.
    """
    if len(tuning.objectives) > 1 or tuning.robust:
        return optuna.pruners.NopPruner()
    # WilcoxonPruner is marked experimental; we rely on it knowingly.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.pruners.WilcoxonPruner(p_threshold=0.1)


def _identity(experiment: Experiment, space: SearchSpace, uncertainty: bool) -> dict[str, str]:
    tuning = tuning_section(experiment)
    statistic = [[tuning.objective, tuning.level]] if tuning.robust else []
    worlds = experiment.to_config().get("uncertain") if uncertainty else None
    return {
        "experiment": experiment.name,
        "space": space.fingerprint(),
        "objectives": json.dumps(
            [[o.kpi, o.resolved_direction] for o in tuning.objectives] + statistic
        ),
        "constraints": json.dumps([c.describe() for c in tuning.constraints]),
        "worlds": json.dumps(worlds, sort_keys=True),
    }


def load_study(experiment: Experiment, storage: BaseStorage, name: str) -> Study:
    """The existing study *name*, with this experiment's sampler and pruner."""
    tuning = tuning_section(experiment)
    return optuna.load_study(
        study_name=name,
        storage=storage,
        sampler=_sampler(tuning, experiment.seed),
        pruner=_pruner(tuning),
    )


def open_study(
    experiment: Experiment, storage: StorageSpec, name: str, uncertainty: bool = False
) -> Study:
    """Create the study (baseline enqueued once, then its identity) or load it, checking it matches.

    The identity includes the plausible worlds the trials are evaluated on (*uncertainty*).
    """
    tuning = tuning_section(experiment)
    space = search_space(experiment)
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # salespulse reports progress itself
    identity = _identity(experiment, space, uncertainty)
    backend = storage.open()
    try:
        study = optuna.create_study(
            storage=backend,
            study_name=name,
            directions=[o.resolved_direction for o in tuning.objectives],
            sampler=_sampler(tuning, experiment.seed),
            pruner=_pruner(tuning),
        )
    except optuna.exceptions.DuplicatedStudyError:
        study = load_study(experiment, backend, name)
        stored = _wait_for_identity(study, identity)
    else:
        stored = {}
    if not all(stored.get(key) for key in identity):  # a new study, or its creator died
        _set_up(study, experiment, space, identity)
        stored = {key: study.user_attrs.get(key) for key in identity}
    changed = [key for key in identity if stored[key] != identity[key]]
    if changed:
        raise ConfigError(
            f"--study {name}: a study with this name exists in {storage.describe()} with different "
            f"{', '.join(changed)}; expected the same experiment, search space, objectives, constraints "
            "and plausible worlds (--uncertainty) "
            "(choose another --study name to start afresh)"
        )
    return study


def _wait_for_identity(study: Study, identity: dict[str, str]) -> dict[str, Any]:
    """The stored identity, waiting a little while a process that has just created the study
    sets it up; whatever is stored when the wait ends (a dead creator left none)."""
    deadline = time.monotonic() + STUDY_SETUP_SECONDS
    while True:
        stored = {key: study.user_attrs.get(key) for key in identity}
        if all(stored.values()) or time.monotonic() > deadline:
            return stored
        time.sleep(0.2)


def _set_up(
    study: Study, experiment: Experiment, space: SearchSpace, identity: dict[str, str]
) -> None:
    """Enqueue the baseline unless a trial holds it already, then store what identity is missing.

    Each step checks before it writes, so a set-up cut short by a kill is finished by
    the next process, never repeated.
    """
    baselines = [
        t
        for t in study.get_trials(deepcopy=False)
        if t.user_attrs.get(BASELINE_ATTR) and t.state != TrialState.FAIL
    ]
    if not baselines:
        study.enqueue_trial(baseline_values(experiment, space), user_attrs={BASELINE_ATTR: True})
    stored = study.user_attrs
    for key, value in identity.items():
        if not stored.get(key):
            study.set_user_attr(key, value)


def finished_trials(study: Study) -> int:
    """Trials that count towards --trials: completed or pruned (the baseline is one of them)."""
    return len(study.get_trials(deepcopy=False, states=FINISHED))


def reload(storage: StorageSpec, name: str) -> Study:
    """The study as the storage has it now, with trials finished by other processes."""
    return optuna.load_study(study_name=name, storage=storage.open())
