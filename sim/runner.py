"""Replications: run an experiment many times, in parallel, reproducibly.

Replication *i* always uses ``SeedSequence(seed).spawn(n)[i]`` and results are
put back in replication order, so the numbers depend on the seed alone, never
on the number of worker processes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from policies.cadence import Cadence
from sim.engine import SalesFloor
from sim.experiment import Experiment
from sim.kpis import replication_kpis
from sim.scenario import Scenario
from sim.stats import summarise
from sim.streams import replication_seeds

Progress = Callable[[int], None]
"""Called with 1 after each finished replication."""


Measure = Callable[[SalesFloor], Any]
"""Turns a finished replication into what the caller keeps (a module-level function, so it pickles)."""


def run_replication(
    scenario: Scenario,
    cadence: Cadence,
    seed: np.random.SeedSequence,
    measure: Measure = replication_kpis,
) -> Any:
    """One replication, measured (by default: its KPIs)."""
    return measure(SalesFloor(scenario, cadence, seed).simulate())


def _run_indexed(
    job: tuple[int, Scenario, Cadence, np.random.SeedSequence, Measure],
) -> tuple[int, Any]:
    index, scenario, cadence, seed, measure = job
    return index, run_replication(scenario, cadence, seed, measure)


def default_jobs() -> int:
    """Worker processes to use when none is given: the cores this process may use."""
    return max(
        1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    )


def run_many(
    scenario: Scenario,
    cadence: Cadence,
    seeds: Iterable[np.random.SeedSequence],
    jobs: int = 1,
    progress: Progress | None = None,
    measure: Measure = replication_kpis,
) -> list[Any]:
    """One measured replication per seed (default: KPIs), in seed order, using *jobs* processes."""
    work = [(index, scenario, cadence, seed, measure) for index, seed in enumerate(seeds)]
    results: list[Any] = [None] * len(work)
    if jobs <= 1 or len(work) <= 1:
        for job in work:
            index, kpis = _run_indexed(job)
            results[index] = kpis
            if progress:
                progress(1)
    else:
        with ProcessPoolExecutor(max_workers=min(jobs, len(work))) as pool:
            for future in as_completed([pool.submit(_run_indexed, job) for job in work]):
                index, kpis = future.result()
                results[index] = kpis
                if progress:
                    progress(1)
    return results


@dataclass(frozen=True)
class RunResult:
    """What :func:`run` returns: the experiment, one row per replication, and the summary."""

    experiment: Experiment
    replications: pd.DataFrame
    summary: pd.DataFrame


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
    rows = run_many(
        experiment.scenario,
        experiment.policy,
        replication_seeds(experiment.seed, n),
        jobs,
        progress,
    )
    table = pd.DataFrame(rows)
    table.index.name = "replication"
    return RunResult(experiment, table, summarise(table))
