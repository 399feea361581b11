"""Compare cadences on common random numbers: paired differences, ranking, adaptive stopping.

Every cadence (the baseline and each variant) runs on the same replication
seeds, so replication *i* of every cadence meets the same leads with the same
luck, and the difference between two cadences is measured replication by
replication. Paired differences have much narrower confidence intervals than
the difference of two independent means: that is the point of common random
numbers. With ``uncertainty=True`` replication *i* is also the same plausible world
for every cadence (:mod:`sim.analysis.worlds`), and each variant's differences say
in what share of plausible worlds it beats the baseline.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from sim.analysis.executors import Meanwhile, Workers
from sim.analysis.outputs import ReplicationOutput, RunResult, replication_output
from sim.analysis.replications import Job, Progress, run_jobs
from sim.analysis.stats import ALPHA, holm_adjusted, paired_differences
from sim.analysis.worlds import PlausibleWorlds, beats_baseline, world_jobs
from sim.config import ConfigError
from sim.engine.kpis import KPIS, format_value
from sim.engine.streams import replication_seeds
from sim.experiment import Experiment, merge_config, validate_experiment


def arms(experiment: Experiment, source: str = "<experiment>") -> list[tuple[str, Experiment]]:
    """``(label, experiment)`` for the baseline and each variant, baseline first.

    A variant is the baseline with its ``policy`` and ``scenario`` overrides merged
    in; a variant that names a field that does not exist is a :class:`ConfigError`.
    """
    comparison = experiment.compare
    if comparison is None:
        raise ConfigError(
            f"{source}: no compare: section; expected a baseline label and a list of variants"
        )
    base = experiment.to_config(designs=False)
    result = [(comparison.baseline, validate_experiment(base, source))]
    for index, variant in enumerate(comparison.variants):
        merged = merge_config(base, {"policy": variant.policy, "scenario": variant.scenario})
        where = f"{source}: compare.variants[{index}] ({variant.name}) overrides"
        result.append((variant.name, validate_experiment(merged, where)))
    return result


@dataclass(frozen=True)
class HalfWidthTarget:
    """How narrow the paired-difference CIs must get: absolute, or relative to the baseline."""

    value: float
    relative: bool

    @classmethod
    def parse(cls, text: str) -> HalfWidthTarget:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(%?)\s*", text)
        if not match or float(match.group(1)) <= 0:
            raise ConfigError(
                f"--target-halfwidth {text!r}: expected a positive number (absolute, in the KPI's unit) "
                "or a percentage of the baseline mean such as 2%"
            )
        value = float(match.group(1))
        return cls(value / 100 if match.group(2) else value, bool(match.group(2)))

    def limit(self, baseline_mean: float) -> float:
        return self.value * abs(baseline_mean) if self.relative else self.value

    def describe(self, kpi: str) -> str:
        return f"±{self.value:.3g}%" if self.relative else f"±{format_value(KPIS[kpi], self.value)}"


@dataclass(frozen=True)
class ComparisonResult:
    """Every cadence's results on the same seeds, paired differences and a ranking."""

    baseline: str
    kpi: str
    results: list[RunResult]
    differences: pd.DataFrame
    """Long table: policy, kpi and the columns of :func:`sim.stats.paired_differences`."""
    ranking: pd.DataFrame
    stopped_because: str

    @property
    def replications(self) -> int:
        return len(self.results[0].replications)


_BEATS_COLUMNS = ("p_beats_baseline", "p_beats_ci_low", "p_beats_ci_high")
"""The ranking's and differences' columns on plausible worlds (:func:`~sim.analysis.worlds.beats_baseline`)."""


def _ranking(
    results: list[RunResult],
    differences: pd.DataFrame,
    baseline: str,
    kpi: str,
    descriptions: dict[str, str],
) -> pd.DataFrame:
    """Policies ordered by *kpi*, each judged against the baseline and against the best.

    Both judgements are paired t-tests on the same replications, Holm-adjusted for the
    number of policies tested, so a comparison of many variants does not call
    differences by chance. ``group`` 1 holds the best policy and every policy that
    neither the best nor the baseline beats (so a variant worse than the baseline is
    never among the best); group 2 the others. The verdict
    says whether each variant is better or worse than the baseline, or cannot be told
    apart from it; ``p_holm`` is that test's adjusted p-value.
    """
    better_high = KPIS[kpi].higher_is_better is not False
    order = sorted(results, key=lambda r: r.summary.loc[kpi, "mean"], reverse=better_high)
    best = order[0]
    against_best = holm_adjusted(
        [
            float(
                paired_differences(best.replications[[kpi]], r.replications[[kpi]]).loc[
                    kpi, "p_value"
                ]
            )
            for r in order[1:]
        ]
    )
    tied_with_best = {best.label} | {
        r.label for r, p in zip(order[1:], against_best, strict=True) if not p < ALPHA
    }
    rows_of_kpi = differences[differences["kpi"] == kpi].set_index("policy")
    variants = [r.label for r in results if r.label != baseline]
    against_baseline = dict(
        zip(
            variants,
            holm_adjusted([float(rows_of_kpi.loc[label, "p_value"]) for label in variants]),
            strict=True,
        )
    )
    worse_than_baseline = {
        label
        for label, p in against_baseline.items()
        if p < ALPHA and (rows_of_kpi.loc[label, "mean_difference"] > 0) != better_high
    }
    best_group = tied_with_best - worse_than_baseline
    rows = []
    for rank, result in enumerate(order, start=1):
        summary = result.summary.loc[kpi]
        p_holm = against_baseline.get(result.label, math.nan)
        if result.label == baseline:
            verdict = "the baseline"
        else:
            d = rows_of_kpi.loc[result.label]
            span = (
                f"{d['relative_difference']:+.1%} (95% CI {d['relative_ci_low']:+.1%} to "
                f"{d['relative_ci_high']:+.1%}; Holm-adjusted p {_p_text(p_holm)})"
            )
            if "p_beats_baseline" in d:
                span += (
                    f"; beats {baseline} in {d['p_beats_baseline']:.0%} of plausible worlds "
                    f"(95% CI {d['p_beats_ci_low']:.0%} to {d['p_beats_ci_high']:.0%})"
                )
            if not p_holm < ALPHA:
                verdict = f"cannot be told apart from {baseline}: {span}"
            else:
                improves = (d["mean_difference"] > 0) == better_high
                verdict = f"{'better' if improves else 'worse'} than {baseline}: {span}"
        rows.append(
            {
                "rank": rank,
                "policy": result.label,
                "kpi": kpi,
                "mean": summary["mean"],
                "ci_low": summary["ci_low"],
                "ci_high": summary["ci_high"],
                "group": 1 if result.label in best_group else 2,
                "verdict": verdict,
                "p_holm": p_holm,
                "description": descriptions.get(result.label, ""),
            }
            | {
                column: rows_of_kpi[column].get(result.label, math.nan)
                for column in _BEATS_COLUMNS
                if column in rows_of_kpi
            }
        )
    return pd.DataFrame(rows)


def _p_text(p: float) -> str:
    return "n/a" if math.isnan(p) else ("< 0.001" if p < 0.001 else f"{p:.3f}")


def replication_limit(batch: int, max_replications: int | None = None) -> int:
    """Most replications :func:`compare` runs with a target: *max_replications*, default 10 batches."""
    return max(max_replications or 10 * batch, batch)


def compare(
    experiment: Experiment,
    *,
    replications: int | None = None,
    jobs: Workers = 1,
    target: HalfWidthTarget | None = None,
    max_replications: int | None = None,
    progress: Progress | None = None,
    on_batch: Callable[[int, float], None] | None = None,
    source: str = "<experiment>",
    first_replication: int = 0,
    uncertainty: bool = False,
    meanwhile: Meanwhile = None,
) -> ComparisonResult:
    """Run the baseline and every variant on the same seeds and compare them.

    With a *target*, replications are added in batches (the first batch's size)
    until every variant's paired-difference CI on the comparison KPI is that
    narrow, or *max_replications* is reached. *on_batch(n, widest half-width)*
    reports progress between batches. *first_replication* skips that many seeds of
    the sequence, e.g. to confirm a tuned cadence on seeds the search never saw.

    With *uncertainty*, replication *i* is the same plausible world for every cadence,
    drawn from the ``uncertain:`` section (a variant that sets an uncertain field to a
    value of its own keeps it); the differences and the ranking then say in what share of
    worlds each variant beats the baseline (``p_beats_baseline`` with its 95% CI).
    *meanwhile()* is called once in this process while the first batch runs.
    """
    labelled = arms(experiment, source)
    worlds = PlausibleWorlds(experiment, source) if uncertainty else None
    placed = [worlds.arm(arm) for _, arm in labelled] if worlds else []
    world_tables: list[pd.DataFrame] = []
    comparison = experiment.compare
    assert comparison is not None
    kpi = comparison.kpi
    batch = replications or experiment.replications
    limit = replication_limit(batch, max_replications)
    outputs: dict[str, list[ReplicationOutput]] = {label: [] for label, _ in labelled}
    done = 0
    while True:
        goal = min(done + batch, limit) if target else batch
        seeds = replication_seeds(experiment.seed, first_replication + goal)[
            first_replication + done :
        ]
        if worlds is None:
            jobs_list = [Job(e.scenario, e.policy, seed) for _, e in labelled for seed in seeds]
        else:
            jobs_list = [
                job
                for arm in placed
                for job in world_jobs([arm.experiment(seed) for seed in seeds], seeds)
            ]
            world_tables.append(worlds.table(seeds, done))
        per_arm = len(jobs_list) // len(labelled)
        batch_outputs = run_jobs(
            jobs_list, jobs, progress, replication_output, meanwhile=None if done else meanwhile
        )
        for position, (label, _) in enumerate(labelled):
            outputs[label].extend(batch_outputs[position * per_arm : (position + 1) * per_arm])
        done = goal
        if worlds is None:
            results = [RunResult.from_outputs(label, e, outputs[label]) for label, e in labelled]
        else:
            drawn = pd.concat(world_tables)
            results = [
                RunResult.from_worlds(label, e, outputs[label], drawn) for label, e in labelled
            ]
        differences = _differences(results, with_worlds=worlds is not None)
        if target is None:
            stopped = f"fixed number of replications ({done})"
            break
        widest, allowed = _widest_halfwidth(differences, kpi, target)
        if on_batch:
            on_batch(done, widest)
        if widest <= allowed:
            stopped = (
                f"target reached: every paired difference in {kpi} is within {target.describe(kpi)} "
                f"after {done} replications"
            )
            break
        if done >= limit:
            stopped = (
                f"--max-replications {limit} reached: the widest paired-difference half-width in {kpi} is "
                f"{format_value(KPIS[kpi], widest)}, above the target {target.describe(kpi)}"
            )
            break
    descriptions = {comparison.baseline: experiment.description}
    descriptions |= {v.name: v.description for v in comparison.variants}
    ranking = _ranking(results, differences, comparison.baseline, kpi, descriptions)
    return ComparisonResult(comparison.baseline, kpi, results, differences, ranking, stopped)


def _differences(results: list[RunResult], with_worlds: bool = False) -> pd.DataFrame:
    baseline = results[0].replications
    frames = {}
    for result in results[1:]:
        frame = paired_differences(baseline, result.replications)
        if with_worlds:
            frame = frame.join(beats_baseline(baseline, result.replications))
        frames[result.label] = frame
    return pd.concat(frames, names=["policy", "kpi"]).reset_index()


def _widest_halfwidth(
    differences: pd.DataFrame, kpi: str, target: HalfWidthTarget
) -> tuple[float, float]:
    rows = differences[differences["kpi"] == kpi]
    widest = float(((rows["ci_high"] - rows["ci_low"]) / 2).max())
    allowed = target.limit(float(rows["baseline_mean"].iloc[0]))
    return (widest if math.isfinite(widest) else math.inf), allowed
