"""``sensitivity``: which uncertain inputs a simulated KPI depends on, point by simulated point.

Every point of the design is the experiment with its uncertain fields set
(:class:`~sim.experiment.InputSetter`) and runs the same replication
seeds (common random numbers across points, as in a sweep), so differences
between points come from the inputs, not from new leads. The points' replications
go to :func:`sim.analysis.run_jobs` as one flat list (``jobs`` is local processes
or a Dask cluster); a :class:`~sim.analysis.Checkpoint` keeps finished points so an
interrupted analysis resumes with the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from sim.analysis import Checkpoint, Job, Workers, arms, run_jobs
from sim.analysis.replications import Progress
from sim.config import ConfigError
from sim.engine.kpis import KPIS
from sim.engine.streams import replication_seeds
from sim.experiment import Experiment, InputSetter
from sim.sensitivity.analysis import METHODS, Evaluate, Method, SensitivityResult, analyse

DEFAULT_SAMPLES = {"sobol": 16, "morris": 8}
"""Base samples (Sobol) or trajectories (Morris) when none are given: enough to rank a few
inputs; tighter Sobol CIs need more (``--samples 64`` and up, a power of 2)."""


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


def paired_variant(experiment: Experiment) -> tuple[str, str] | None:
    """``(baseline, variant)`` labels when the file compares its cadence with exactly one variant."""
    design = experiment.compare
    if design is None or len(design.variants) != 1:
        return None
    return design.baseline, design.variants[0].name


def measures(kpis: Sequence[str], paired: tuple[str, str] | None) -> dict[str, str]:
    """What each point reports, name -> label: each KPI, and with a paired variant its difference."""
    labels = {kpi: KPIS[kpi].label for kpi in kpis}
    if paired:
        baseline, variant = paired
        labels = {kpi: f"{label} ({baseline})" for kpi, label in labels.items()}
        labels |= {
            difference(kpi): f"{KPIS[kpi].label}: {variant} minus {baseline}" for kpi in kpis
        }
    return labels


def difference(kpi: str) -> str:
    """The name of a KPI's paired difference (variant minus baseline) in the tables."""
    return f"{kpi}_difference"


def simulated(
    setter: InputSetter,
    experiment: Experiment,
    *,
    jobs: Workers = 1,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
) -> Evaluate:
    """An :data:`Evaluate` that simulates each point on the experiment's replication seeds.

    A point's KPIs are their means over its replications. With a ``compare:``
    section of one variant, each point runs both cadences on the same seeds and also
    reports each KPI's paired difference, variant minus baseline
    (:func:`difference`); the plain KPIs are the baseline's.
    """
    n = experiment.replications
    seeds = replication_seeds(experiment.seed, n)
    paired = paired_variant(experiment)
    per_point = n * (2 if paired else 1)

    def cadences(values: dict[str, float]) -> list[Experiment]:
        point = setter.experiment_at(values)
        return [arm for _, arm in arms(point, setter.source)] if paired else [point]

    def replications(runs: dict[int, dict[str, float]]) -> list[dict[str, float]]:
        """A point's per-replication measures from its finished jobs (arm-major order)."""
        if not paired:
            return [runs[r] for r in range(n)]
        return [
            runs[r] | {difference(k): runs[n + r][k] - runs[r][k] for k in runs[r]}
            for r in range(n)
        ]

    def evaluate(points: list[dict[str, float]]) -> list[dict[str, float]]:
        experiments = [cadences(values) for values in points]  # all valid before any work
        finished = checkpoint.load(len(points), n) if checkpoint else {}
        todo = [index for index in range(len(points)) if index not in finished]
        partial: dict[int, dict[int, dict[str, float]]] = {index: {} for index in todo}

        def collect(job_index: int, kpis: dict[str, float]) -> None:
            point = todo[job_index // per_point]
            partial[point][job_index % per_point] = kpis
            if len(partial[point]) == per_point:
                finished[point] = replications(partial[point])
                if checkpoint:
                    values = {path: float(value) for path, value in points[point].items()}
                    checkpoint.save(point, values, finished[point])

        job_list = [
            Job(arm.scenario, arm.policy, seed)
            for i in todo
            for arm in experiments[i]
            for seed in seeds
        ]
        run_jobs(job_list, jobs, progress, on_result=collect)
        return [
            {
                name: float(np.mean([run[name] for run in finished[index]]))
                for name in finished[index][0]
            }
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

    When the file compares its cadence with one variant (``compare:``), each KPI's
    paired difference (variant minus baseline) is analysed too: which assumptions
    the recommendation depends on.

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
        setter.inputs,
        evaluate,
        method=method,
        samples=samples,
        kpis=measures(kpis, paired_variant(experiment)),
        seed=experiment.seed,
    )
