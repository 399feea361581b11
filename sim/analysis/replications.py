"""Replications: run an experiment many times, in parallel, reproducibly.

Replication *i* always uses ``SeedSequence(seed).spawn(n)[i]`` and results are
put back in job order, so the numbers depend on the seed alone, never on the
number of worker processes. Every verb (run, compare, sweep, tune) hands its
replications to :func:`run_jobs` as a flat list, so a pool keeps all cores busy
across cadences and sweep points alike.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import numpy as np

from policies.cadence import Cadence
from sim.analysis.outputs import ReplicationOutput, RunResult, replication_output
from sim.config.scenario import Scenario
from sim.engine.floor import SalesFloor
from sim.engine.kpis import replication_kpis
from sim.engine.streams import replication_seeds
from sim.experiment import Experiment

Progress = Callable[[int], None]
"""Called with 1 after each finished replication."""

Measure = Callable[[SalesFloor], Any]
"""Turns a finished replication into what the caller keeps (a module-level function, so it pickles)."""


@dataclass(frozen=True)
class Job:
    """One replication to run: a scenario, a cadence and a seed."""

    scenario: Scenario
    cadence: Cadence
    seed: np.random.SeedSequence


def run_replication(job: Job, measure: Measure = replication_kpis) -> Any:
    """One replication, measured (by default: its KPIs)."""
    return measure(SalesFloor(job.scenario, job.cadence, job.seed).simulate())


def default_jobs() -> int:
    """Worker processes to use when none is given: the cores this process may use."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


PARENT_CHECK_SECONDS = 1.0
"""How often a worker process checks that the process that started it is still alive."""


def exit_with_parent(parent: int) -> None:
    """Worker-pool initializer: end this worker as soon as *parent* (the pool's owner) is gone.

    A killed parent cannot shut its pool down; without this its workers would wait
    for work forever. A daemon thread polls the parent id (portable, no signals).
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def run_jobs(
    jobs: Sequence[Job],
    workers: int = 1,
    progress: Progress | None = None,
    measure: Measure = replication_kpis,
    on_result: Callable[[int, Any], None] | None = None,
) -> list[Any]:
    """Run every job with *workers* processes; results come back in job order.

    *on_result(index, result)* is called as each job finishes (in finishing order),
    e.g. to checkpoint a sweep. Ctrl-C cancels the jobs not yet started.
    """
    results: list[Any] = [None] * len(jobs)

    def finished(index: int, result: Any) -> None:
        results[index] = result
        if on_result:
            on_result(index, result)
        if progress:
            progress(1)

    if workers <= 1 or len(jobs) <= 1:
        for index, job in enumerate(jobs):
            finished(index, run_replication(job, measure))
        return results
    with ProcessPoolExecutor(
        max_workers=min(workers, len(jobs)), initializer=exit_with_parent, initargs=(os.getpid(),)
    ) as pool:
        pending: dict[Future[Any], int] = {
            pool.submit(run_replication, job, measure): index for index, job in enumerate(jobs)
        }
        try:
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    finished(pending.pop(future), future.result())
        except BaseException:
            for future in pending:
                future.cancel()
            raise
    return results


def run_many(
    scenario: Scenario,
    cadence: Cadence,
    seeds: Iterable[np.random.SeedSequence],
    jobs: int = 1,
    progress: Progress | None = None,
    measure: Measure = replication_kpis,
) -> list[Any]:
    """One measured replication per seed (default: KPIs), in seed order."""
    return run_jobs([Job(scenario, cadence, seed) for seed in seeds], jobs, progress, measure)


def run(
    experiment: Experiment,
    *,
    replications: int | None = None,
    jobs: int = 1,
    progress: Progress | None = None,
) -> RunResult:
    """Run *experiment* and summarise each KPI with a 95% confidence interval.

    >>> result = run(load_experiment("experiments/baseline.yaml"), jobs=2)
    >>> result.summary.loc["profit", ["mean", "ci_low", "ci_high"]]
    """
    n = replications or experiment.replications
    seeds = replication_seeds(experiment.seed, n)
    outputs: list[ReplicationOutput] = run_many(
        experiment.scenario, experiment.policy, seeds, jobs, progress, replication_output
    )
    return RunResult.from_outputs(experiment.name, experiment, outputs)
