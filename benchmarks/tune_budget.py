"""How many replications Optuna needs to find a cadence the exhaustive grid calls best.

Run ``python -m benchmarks.tune_budget`` from the repository root (about 2-3 minutes on 2
idle cores; ``--quick`` for a reduced run of about a minute).

The search space is small enough for an exhaustive grid: three discrete parameters of
``experiments/baseline.yaml`` with a shortened horizon (2 weeks measured, warm-up and
drain as in the file)::

    policy.speed_to_lead.response_target  2m, 5m, 15m, 1h, 4h
    policy.followup.max_attempts          2, 3, 4, 6, 8
    policy.nurture.interval               1d, 3d, 7d          (75 points)

1. **The grid.** Every point runs R replications on the same seeds (common random
   numbers, replication *i* of every point meets the same leads), all through
   :func:`sim.runner.run_jobs` with two worker processes. The grid's best point is the
   one with the highest mean profit; its budget is 75 x R replications.

2. **Optuna.** The objective ``sim.tuning`` uses: the same R seeds for every trial, each
   replication's profit reported with its index as the step, ``WilcoxonPruner(p_threshold
   =0.1)``, ``TPESampler(multivariate=True)`` seeded afresh for every trial from the sampler
   seed and the trial's number (``TrialSeededSampler``), the experiment's own cadence enqueued as the
   first trial, over ``CategoricalDistribution`` s of exactly the grid's values (in-memory
   storage). After each trial, the study's best trial is looked up in the grid; the
   search stops once that point's mean profit is within 1% of the grid's best. Its budget
   is every replication it ran, pruned trials' partial ones and repeated points included.

   A trial's replication *i* at a point is replication *i* of that point in the grid: the
   engine is deterministic given the seed (checked here by simulating a few again), so
   the study reads the grid's numbers instead of simulating them a second time, and
   counts them as simulated. That makes several sampler seeds cheap, to show the spread.

For scale, the expected budget of plain random search (points drawn without replacement,
no pruning) until it first draws a point within 1% is printed too.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.distributions import CategoricalDistribution

from sim.analysis.executors import Job, run_replication
from sim.analysis.replications import run_jobs
from sim.engine.kpis import replication_kpis
from sim.engine.streams import replication_seeds
from sim.experiment import Experiment, load_experiment
from sim.tuning import TrialSeededSampler, experiment_with

GRID: dict[str, list[Any]] = {
    "policy.speed_to_lead.response_target": ["2m", "5m", "15m", "1h", "4h"],
    "policy.followup.max_attempts": [2, 3, 4, 6, 8],
    "policy.nurture.interval": ["1d", "3d", "7d"],
}
BASELINE_POINT = ("5m", 6, "3d")
"""The baseline file's own settings of the three parameters (enqueued first, as sim.tuning does)."""
TOLERANCE = 0.01
TARGET_SHARE = 0.20

Point = tuple[Any, ...]


def base_experiment(horizon: str) -> Experiment:
    return load_experiment("experiments/baseline.yaml", [f"scenario.horizon={horizon}"])


def grid_points() -> list[Point]:
    return list(itertools.product(*GRID.values()))


def point_experiment(experiment: Experiment, point: Point) -> Experiment:
    return experiment_with(experiment, dict(zip(GRID, point, strict=True)), "grid point")


def profit(floor: Any) -> float:
    """The measure each replication returns (module level, so worker processes can use it)."""
    return replication_kpis(floor)["profit"]


def run_grid(experiment: Experiment, replications: int, jobs: int) -> dict[Point, list[float]]:
    """Profit of every replication of every grid point, on common seeds."""
    seeds = replication_seeds(experiment.seed, replications)
    points = grid_points()
    arms = [point_experiment(experiment, p) for p in points]
    flat = [Job(a.scenario, a.policy, seed) for a in arms for seed in seeds]
    values = run_jobs(flat, jobs, measure=profit)
    return {p: values[i * replications : (i + 1) * replications] for i, p in enumerate(points)}


def check_determinism(
    experiment: Experiment, table: dict[Point, list[float]], checks: Sequence[tuple[Point, int]]
) -> None:
    """Simulating a replication again gives the grid's number (so the study may read it)."""
    seeds = replication_seeds(experiment.seed, len(next(iter(table.values()))))
    for point, index in checks:
        arm = point_experiment(experiment, point)
        again = run_replication(Job(arm.scenario, arm.policy, seeds[index]), profit)
        if again != table[point][index]:
            raise SystemExit(f"not deterministic: {point} replication {index}")


@dataclass(frozen=True)
class SearchResult:
    seed: int
    trials: int
    pruned: int
    replications: int
    found: Point | None


def optuna_search(
    table: dict[Point, list[float]], target: float, seed: int, max_replications: int
) -> SearchResult:
    """Optuna over the grid's values until its best trial's grid mean is >= *target*."""
    replications = len(next(iter(table.values())))
    means = {p: statistics.fmean(v) for p, v in table.items()}
    distributions = {name: CategoricalDistribution(values) for name, values in GRID.items()}
    study = optuna.create_study(
        direction="maximize",
        sampler=TrialSeededSampler(
            lambda trial_seed: optuna.samplers.TPESampler(seed=trial_seed, multivariate=True), seed
        ),
        pruner=optuna.pruners.WilcoxonPruner(p_threshold=0.1),
    )
    study.enqueue_trial(dict(zip(GRID, BASELINE_POINT, strict=True)))
    used = pruned = trials = 0
    while used < max_replications:
        trial = study.ask(distributions)
        trials += 1
        point = tuple(trial.params[name] for name in GRID)
        for step in range(replications):
            value = table[point][step]  # = simulating replication `step` at this point
            used += 1
            trial.report(value, step)
            if trial.should_prune():
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                pruned += 1
                break
        else:
            study.tell(trial, statistics.fmean(table[point]))
        complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if complete:
            best = max(complete, key=lambda t: t.value)
            best_point = tuple(best.params[name] for name in GRID)
            if means[best_point] >= target:
                return SearchResult(seed, trials, pruned, used, best_point)
    return SearchResult(seed, trials, pruned, used, None)


def random_search_expectation(good: int, points: int, replications: int) -> float:
    """Expected replications of random search without replacement until a good point is drawn."""
    return (points + 1) / (good + 1) * replications


def describe(point: Point) -> str:
    target, attempts, interval = point
    return f"response target {target}, max attempts {attempts}, nurture every {interval}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.tune_budget",
        description="Replications Optuna needs to get within 1%% of an exhaustive grid's best.",
    )
    parser.add_argument("--replications", "-n", type=int, default=8, help="per grid point")
    parser.add_argument("--horizon", default="2w", help="measured window (default: 2w)")
    parser.add_argument("--sampler-seeds", type=int, default=10, help="Optuna runs to show")
    parser.add_argument("--jobs", "-j", type=int, default=2, help="worker processes")
    parser.add_argument(
        "--quick", action="store_true", help="4 replications, 1-week horizon (about a minute)"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.replications, args.horizon = 4, "1w"
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)  # WilcoxonPruner

    experiment = base_experiment(args.horizon)
    points = grid_points()
    r = args.replications
    grid_budget = len(points) * r
    started = time.perf_counter()
    table = run_grid(experiment, r, args.jobs)
    grid_seconds = time.perf_counter() - started
    check_determinism(experiment, table, [(points[0], 0), (BASELINE_POINT, r - 1)])

    means = {p: statistics.fmean(v) for p, v in table.items()}
    ranked = sorted(means, key=means.__getitem__, reverse=True)
    best = ranked[0]
    target = means[best] - TOLERANCE * abs(means[best])
    good = sum(means[p] >= target for p in points)
    print(
        f"Grid: {len(points)} points x {r} replications = {grid_budget} replications "
        f"({args.horizon} horizon, {args.jobs} processes, {grid_seconds:.0f} s)"
    )
    print(f"  best: {describe(best)}: mean profit {means[best]:,.0f}")
    print(
        f"  baseline ({describe(BASELINE_POINT)}): {means[BASELINE_POINT]:,.0f} "
        f"({means[BASELINE_POINT] / means[best] - 1:+.2%}); worst: {means[ranked[-1]]:,.0f} "
        f"({means[ranked[-1]] / means[best] - 1:+.2%})"
    )
    print(f"  within 1% of the best: {good} of {len(points)} points")
    for point in ranked[:5]:
        print(f"    {means[point]:>12,.0f}  {describe(point)}")

    print(
        "\nOptuna (TPE + Wilcoxon pruning), stop when its best trial is within 1% of the grid's best:"
    )
    print(
        f"  {'sampler seed':>12}  {'trials':>6}  {'pruned':>6}  {'replications':>12}  {'of grid':>7}"
    )
    results = [
        optuna_search(table, target, seed, max_replications=grid_budget)
        for seed in range(args.sampler_seeds)
    ]
    for result in results:
        share = f"{result.replications / grid_budget:.1%}" if result.found else "not found"
        print(
            f"  {result.seed:>12}  {result.trials:>6}  {result.pruned:>6}  "
            f"{result.replications:>12}  {share:>7}"
        )
    used = [res.replications for res in results]
    found = sum(res.found is not None for res in results)
    median = statistics.median(used)
    print(
        f"  median {median:.0f} replications = {median / grid_budget:.1%} of the grid's "
        f"{grid_budget} (min {min(used) / grid_budget:.1%}, max {max(used) / grid_budget:.1%}); "
        f"found in {found} of {len(results)} runs"
    )
    expected = random_search_expectation(good, len(points), r)
    print(
        f"  for scale: random search without pruning needs {expected:.0f} replications "
        f"({expected / grid_budget:.1%}) on average"
    )
    verdict = "met" if found == len(results) and median <= TARGET_SHARE * grid_budget else "MISSED"
    print(
        f"Target (median at most {TARGET_SHARE:.0%} of the grid's budget, found in every run): "
        f"{verdict}.  Total {time.perf_counter() - started:.0f} s."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
