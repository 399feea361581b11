"""Plausible worlds: with ``--uncertainty``, each replication draws its scenario from ``uncertain:``.

Replication *i* becomes one plausible world: the uncertain fields get values drawn
by a generator seeded from replication *i*'s seed (:func:`world_values`). The draw
depends on that seed alone, so every policy of a comparison meets the same world in
replication *i* (the comparison stays paired), and it is made here, before any job
leaves, so the numbers are the same for any ``--jobs`` and on a Dask cluster.

Each world is simulated :data:`RUNS_PER_WORLD` times, on seeds derived from the
replication's (:func:`run_seeds`), and its KPIs are the mean of those runs. Two runs
per world separate the two kinds of spread (the law of total variance): the
difference between a world's runs is simulation noise, the rest of the spread of the
world means is what we do not know about the team (:func:`variance_split`).
docs/uncertainty.md explains the design and how to read the tables.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd

from sim.analysis.executors import Job
from sim.analysis.stats import t_halfwidth, wilson_interval
from sim.config import ConfigError
from sim.engine.kpis import KPIS
from sim.experiment import Experiment, InputSetter, read_path

RUNS_PER_WORLD = 2
"""Simulated runs of each plausible world: two are the fewest that measure noise within a world."""
WORLD_QUANTILES = (0.05, 0.95)
"""The spread of a KPI across plausible worlds is reported between these quantiles of the world means."""
_WORLD_STREAM = zlib.crc32(b"plausible world")
_RUN_STREAM = zlib.crc32(b"run in a plausible world")
"""Keep the world draw and the runs' seeds apart from every stream the engine spawns."""


def _child(seed: np.random.SeedSequence, *key: int) -> np.random.SeedSequence:
    """A seed derived from *seed* without spawning from it (so *seed* itself is untouched)."""
    return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, *key))


def run_seeds(
    seed: np.random.SeedSequence, runs: int = RUNS_PER_WORLD
) -> list[np.random.SeedSequence]:
    """The seeds of the *runs* simulations of replication *seed*'s world."""
    return [_child(seed, _RUN_STREAM, run) for run in range(runs)]


class PlausibleWorlds:
    """The experiment's ``uncertain:`` section, ready to put a world into it or into any of its arms.

    Creating one checks every uncertain field at the extremes of its distribution, so
    a field that cannot take a drawn value fails before any work.
    """

    def __init__(self, experiment: Experiment, source: str = "<experiment>") -> None:
        if not experiment.uncertain:
            raise ConfigError(
                f"{source}: --uncertainty needs an uncertain: section (field paths with a "
                "distribution of plausible values, e.g. uncertain: "
                "{scenario.decision.pull_in_per_touch: {uniform: [0.02, 0.2]}}); this file has none"
            )
        self.nominal = experiment
        """The experiment as the file states it (every uncertain field at its stated value)."""
        self.source = source
        self.setter = InputSetter(experiment, source)
        self.setter.check()

    def values(self, seed: np.random.SeedSequence) -> dict[str, float]:
        """The uncertain fields' values in replication *seed*'s world (one uniform share each)."""
        inputs = self.setter.inputs
        shares = np.random.default_rng(_child(seed, _WORLD_STREAM)).random(len(inputs))
        return {
            path: float(distribution.value_at(share))
            for (path, distribution), share in zip(inputs.items(), shares, strict=True)
        }

    def experiment(self, seed: np.random.SeedSequence) -> Experiment:
        """The file's experiment (with its designs) in replication *seed*'s world."""
        return self.setter.experiment_at(self.values(seed))

    def arm(self, arm: Experiment) -> ArmInWorlds:
        """*arm* (a compare arm or a tuning trial of this experiment), ready for any world.

        An uncertain field the arm sets to a value of its own is a decision, not an
        unknown: the arm keeps it in every world. Every other uncertain field takes the
        world's value, so all arms of replication *i* meet the same world.
        """
        nominal = self.nominal.to_config(designs=False)
        own = arm.to_config(designs=False)
        decided = {
            path for path in self.setter.inputs if read_path(own, path) != read_path(nominal, path)
        }
        placed = arm.model_copy(update={"uncertain": self.nominal.uncertain})
        return ArmInWorlds(self, InputSetter(placed, self.source), decided)

    def table(self, seeds: Sequence[np.random.SeedSequence], first: int = 0) -> pd.DataFrame:
        """One row per replication (numbered from *first*): the value of each uncertain field."""
        table = pd.DataFrame([self.values(seed) for seed in seeds])
        table.index = pd.RangeIndex(first, first + len(seeds), name="replication")
        return table


class ArmInWorlds:
    """One arm of an experiment, put into the plausible worlds of :class:`PlausibleWorlds`."""

    def __init__(self, worlds: PlausibleWorlds, setter: InputSetter, decided: set[str]) -> None:
        self._worlds = worlds
        self._setter = setter
        self.decided = decided
        """Uncertain fields the arm sets itself: they keep the arm's value in every world."""

    def experiment(self, seed: np.random.SeedSequence) -> Experiment:
        """The arm in replication *seed*'s world."""
        values = self._worlds.values(seed)
        return self._setter.experiment_at(
            {path: value for path, value in values.items() if path not in self.decided}
        )


def world_jobs(
    experiments: Sequence[Experiment],
    seeds: Sequence[np.random.SeedSequence],
    runs: int = RUNS_PER_WORLD,
) -> list[Job]:
    """The jobs of one cadence: replication *i* runs ``experiments[i]`` on its world's seeds."""
    return [
        Job(experiment.scenario, experiment.policy, run)
        for experiment, seed in zip(experiments, seeds, strict=True)
        for run in run_seeds(seed, runs)
    ]


def variance_split(runs: pd.DataFrame, runs_per_world: int = RUNS_PER_WORLD) -> pd.DataFrame:
    """Per KPI, how much of the spread is simulation noise and how much is the uncertain inputs.

    *runs* holds one row per run, the runs of a world together. With R runs per world,
    the within-world variance ``s²_noise`` is the mean of the worlds' sample variances,
    and the variance of the world means is ``s²_worlds + s²_noise / R`` (law of total
    variance), so ``s²_worlds = max(0, var(world means) - s²_noise / R)``. Columns:
    ``sd_noise`` and ``sd_worlds`` (of one run), ``share_from_uncertainty`` (of the
    variance of one run), ``half_width_noise_only`` (the 95% CI half-width the mean
    would have without the uncertain inputs), and ``worlds_p05``/``worlds_p95`` (where
    the KPI falls in 90% of plausible worlds). Worlds with a non-finite run are left out.
    """
    rows = []
    for kpi in runs.columns:
        values = runs[kpi].to_numpy(dtype=float).reshape(-1, runs_per_world)
        values = values[np.isfinite(values).all(axis=1)]
        n = len(values)
        noise = float(values.var(axis=1, ddof=1).mean()) if n else math.nan
        means = values.mean(axis=1)
        spread = float(means.var(ddof=1)) if n > 1 else math.nan
        worlds_var = max(0.0, spread - noise / runs_per_world) if n > 1 else math.nan
        total = worlds_var + noise
        half = t_halfwidth(math.sqrt(noise / runs_per_world), n) if n else math.nan
        low, high = np.quantile(means, WORLD_QUANTILES) if n else (math.nan, math.nan)
        rows.append(
            {
                "kpi": kpi,
                "worlds": n,
                "runs_per_world": runs_per_world,
                "sd_noise": math.sqrt(noise) if n else math.nan,
                "sd_worlds": math.sqrt(worlds_var) if n > 1 else math.nan,
                "share_from_uncertainty": worlds_var / total if total > 0 else math.nan,
                "half_width_noise_only": half,
                "worlds_p05": float(low),
                "worlds_p95": float(high),
            }
        )
    return pd.DataFrame(rows).set_index("kpi")


def beats_baseline(baseline: pd.DataFrame, variant: pd.DataFrame) -> pd.DataFrame:
    """Per KPI, the share of plausible worlds in which the variant does better than the baseline.

    *baseline* and *variant* hold one row per world (the same worlds). "Better" follows
    the KPI's direction (higher profit, lower cost); a world where the two tie does not
    count as a win. Columns ``p_beats_baseline`` and its 95% Wilson interval
    ``p_beats_ci_low``, ``p_beats_ci_high``; NaN for a KPI with no better direction.
    """
    rows = []
    for kpi in baseline.columns:
        difference = (variant[kpi] - baseline[kpi]).to_numpy(dtype=float)
        difference = difference[~np.isnan(difference)]
        higher = KPIS[kpi].higher_is_better if kpi in KPIS else None
        if higher is None or not difference.size:
            share, low, high = math.nan, math.nan, math.nan
        else:
            wins = int(np.sum(difference > 0 if higher else difference < 0))
            share = wins / difference.size
            low, high = wilson_interval(wins, difference.size)
        rows.append(
            {"kpi": kpi, "p_beats_baseline": share, "p_beats_ci_low": low, "p_beats_ci_high": high}
        )
    return pd.DataFrame(rows).set_index("kpi")
