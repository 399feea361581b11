"""Tune a cadence with Optuna: persistent studies, honest evaluation, confirmation on fresh seeds.

:func:`tune` searches an experiment's ``tune:`` section with Optuna (every trial on the
same replication seeds, Wilcoxon pruning, the experiment's own cadence as the first
trial), then re-runs the best trials against the baseline on fresh seeds;
:func:`write_tune_run` saves the run folder (``best.yaml`` or ``pareto/``, tables,
figures, report). Studies persist in a journal file or PostgreSQL, resume when called
again, and scale out to several processes and machines.

The implementation is private: ``_space`` (search space), ``_storage`` (storages and
heartbeats), ``_study`` (creating, seeding), ``_workers`` (worker processes), ``_confirm``
(choosing, confirming, describing) and ``_figures``.
"""

from sim.tuning._confirm import best_trials, trial_experiment, trials_table, tuning_sentence
from sim.tuning._figures import tuning_figures
from sim.tuning._space import (
    SearchSpace,
    baseline_values,
    checked_search_space,
    experiment_with,
    search_space,
)
from sim.tuning._storage import StorageSpec, database_url, fail_stale_trials, storage_spec
from sim.tuning._study import TrialSeededSampler, open_study, trial_seed
from sim.tuning._tune import SavedTune, TuneResult, TuneStatus, TuneStopped, tune, write_tune_run

__all__ = [
    "SavedTune",
    "SearchSpace",
    "StorageSpec",
    "TrialSeededSampler",
    "TuneResult",
    "TuneStatus",
    "TuneStopped",
    "baseline_values",
    "best_trials",
    "checked_search_space",
    "database_url",
    "experiment_with",
    "fail_stale_trials",
    "open_study",
    "search_space",
    "storage_spec",
    "trial_experiment",
    "trial_seed",
    "trials_table",
    "tune",
    "tuning_figures",
    "tuning_sentence",
    "write_tune_run",
]
