"""``sensitivity``: which uncertain inputs a simulated KPI depends on, point by simulated point.

Every point of the design is the experiment with its uncertain fields set
(:class:`~sim.sensitivity.inputs.InputSetter`) and runs the same replication
seeds (common random numbers across points, as in a sweep), so differences
between points come from the inputs, not from new leads. The points' replications
go to :func:`sim.analysis.run_jobs` as one flat list (``jobs`` is local processes
or a Dask cluster); a :class:`~sim.analysis.Checkpoint` keeps finished points so an
interrupted analysis resumes with the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.analysis import Checkpoint, Job, Workers, run_jobs
from sim.analysis.replications import Progress
from sim.config import ConfigError
from sim.engine.kpis import KPIS
from sim.engine.streams import replication_seeds
from sim.experiment import Experiment
from sim.sensitivity.analysis import METHODS, Evaluate, Method, SensitivityResult, analyse
from sim.sensitivity.inputs import InputSetter

DEFAULT_SAMPLES = {"sobol": 64, "morris": 10}
"""Base samples (Sobol) or trajectories (Morris) when none are given."""


def check_request(method: str, samples: int, kpis: Sequence[str]) -> None:
    """Raise a :class:`ConfigError` naming the flag for an unknown method or KPI, or too few samples."""
    if method not in METHODS:
        raise ConfigError(f"--method {method!r}: expected one of: {', '.join(METHODS)}")
    least = 2
    if samples < least:
        raise ConfigError(f"--samples {samples}: expected at least {least}")
    unknown = [kpi for kpi in kpis if kpi not in KPIS]
    if unknown or not kpis:
        raise ConfigError(
            f"--kpi {', '.join(unknown) or '(none)'}: unknown KPI; expected one of: {', '.join(KPIS)}"
        )


def simulated(
    setter: InputSetter,
    experiment: Experiment,
    *,
    jobs: Workers = 1,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> Evaluate:
    """An :data:`Evaluate` that simulates each point on the experiment's replication seeds.

    A point's KPIs are their means over its replications.
    """
    n = experiment.replications
    seeds = replication_seeds(experiment.seed, n)

    def evaluate(points: list[dict[str, float]]) -> list[dict[str, float]]:
        arms = [setter.experiment_at(values) for values in points]  # all valid before any work
        finished = checkpoint.load(len(points), n) if checkpoint else {}
        todo = [index for index in range(len(points)) if index not in finished]
        partial: dict[int, dict[int, dict[str, float]]] = {index: {} for index in todo}

        def collect(job_index: int, kpis: dict[str, float]) -> None:
            point = todo[job_index // n]
            partial[point][job_index % n] = kpis
            if len(partial[point]) == n:
                finished[point] = [partial[point][r] for r in range(n)]
                if checkpoint:
                    checkpoint.save(
                        point, {k: float(v) for k, v in points[point].items()}, finished[point]
                    )

        job_list = [Job(arms[i].scenario, arms[i].policy, seed) for i in todo for seed in seeds]
        run_jobs(job_list, jobs, progress, on_result=collect)
        return [
            {kpi: float(np.mean([run[kpi] for run in finished[index]])) for kpi in KPIS}
            for index in range(len(points))
        ]

    return evaluate


def sensitivity(
    experiment: Experiment,
    *,
    method: Method = "sobol",
    samples: int | None = None,
    kpis: Sequence[str] = ("profit",),
    jobs: Workers = 1,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
    source: str = "<experiment>",
) -> SensitivityResult:
    """How much each KPI in *kpis* depends on each input of the ``uncertain:`` section.

    ``method="morris"`` screens many inputs cheaply (elementary effects);
    ``"sobol"`` quantifies each input's share of the KPI's variance (first-order
    and total indices with 95% CIs). *samples* is Sobol's base sample (a power of
    two is best) or the number of Morris trajectories.

    >>> result = sensitivity(load_experiment("experiments/sensitivity_cadence.yaml"), jobs=2)
    >>> result.top_inputs("profit")
    """
    samples = samples or DEFAULT_SAMPLES[method]
    check_request(method, samples, kpis)
    setter = InputSetter(experiment, source)
    setter.check()
    evaluate = simulated(setter, experiment, jobs=jobs, progress=progress, checkpoint=checkpoint)
    return analyse(
        setter.inputs, evaluate, method=method, samples=samples, kpis=kpis, seed=experiment.seed
    )
