"""Replications: run an experiment many times, in parallel, reproducibly.

Replication *i* always uses ``SeedSequence(seed).spawn(n)[i]`` and results are
put back in job order, so the numbers depend on the seed alone, never on the
number of worker processes or where they run. Every verb (run, compare, sweep,
tune) hands its replications to :func:`run_jobs` as a flat list, so a pool keeps
all cores busy across cadences and sweep points alike; *jobs* is a number of
local processes or an executor such as a Dask cluster (:mod:`sim.analysis.executors`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from policies.cadence import Cadence
from sim.analysis.executors import (
    Executor,
    Finished,
    Job,
    LocalProcesses,
    Meanwhile,
    Measure,
    Workers,
)
from sim.analysis.outputs import ReplicationOutput, RunResult, replication_output
from sim.analysis.worlds import PlausibleWorlds, world_jobs
from sim.config.scenario import Scenario
from sim.engine.kpis import replication_kpis
from sim.engine.streams import replication_seeds
from sim.experiment import Experiment

Progress = Callable[[int], None]
"""Called with 1 after each finished replication."""


def default_jobs() -> int:
    """Worker processes to use when none is given: the cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def run_jobs(
    jobs: Sequence[Job],
    workers: Workers = 1,
    progress: Progress | None = None,
    measure: Measure = replication_kpis,
    on_result: Finished | None = None,
    meanwhile: Meanwhile = None,
) -> list[Any]:
    """Run every job on *workers* (local processes, or an executor); results come back in job order.

    *on_result(index, result)* is called once per job as it finishes (in finishing
    order), e.g. to checkpoint a sweep. *meanwhile()* is called once in this process
    while the jobs run (see :meth:`Executor.run`). Ctrl-C cancels the jobs not yet started.
    """
    results: list[Any] = [None] * len(jobs)

    def finished(index: int, result: Any) -> None:
        results[index] = result
        if on_result:
            on_result(index, result)
        if progress:
            progress(1)

    executor = workers if isinstance(workers, Executor) else LocalProcesses(workers)
    executor.run(jobs, measure, finished, meanwhile)
    return results


def run_many(
    scenario: Scenario,
    cadence: Cadence,
    seeds: Iterable[np.random.SeedSequence],
    jobs: Workers = 1,
    progress: Progress | None = None,
    measure: Measure = replication_kpis,
    meanwhile: Meanwhile = None,
) -> list[Any]:
    """One measured replication per seed (default: KPIs), in seed order."""
    job_list = [Job(scenario, cadence, seed) for seed in seeds]
    return run_jobs(job_list, jobs, progress, measure, meanwhile=meanwhile)


def run(
    experiment: Experiment,
    *,
    replications: int | None = None,
    jobs: Workers = 1,
    progress: Progress | None = None,
    uncertainty: bool = False,
    source: str = "<experiment>",
    meanwhile: Meanwhile = None,
) -> RunResult:
    """Run *experiment* and summarise each KPI with a 95% confidence interval.

    With *uncertainty*, each replication is a plausible world drawn from the file's
    ``uncertain:`` section and simulated twice (:mod:`sim.analysis.worlds`): the
    intervals then cover what we do not know about the team as well as simulation
    noise, and ``result.uncertainty`` tells the two apart. A file without that
    section is a :class:`~sim.config.ConfigError` naming *source*. *meanwhile()* is
    called once in this process while the workers simulate, e.g. to import what
    writing the results takes (the command line does).

    >>> result = run(load_experiment("experiments/baseline.yaml"), jobs=2)
    >>> result.summary.loc["profit", ["mean", "ci_low", "ci_high"]]
    """
    n = replications or experiment.replications
    seeds = replication_seeds(experiment.seed, n)
    if uncertainty:
        worlds = PlausibleWorlds(experiment, source)
        in_worlds = [worlds.experiment(seed) for seed in seeds]
        job_list = world_jobs(in_worlds, seeds)
        runs = run_jobs(job_list, jobs, progress, replication_output, meanwhile=meanwhile)
        return RunResult.from_worlds(experiment.name, experiment, runs, worlds.table(seeds))
    outputs: list[ReplicationOutput] = run_many(
        experiment.scenario, experiment.policy, seeds, jobs, progress, replication_output, meanwhile
    )
    return RunResult.from_outputs(experiment.name, experiment, outputs)
