"""What replications leave behind, and the tidy tables made from it.

A replication yields its KPIs plus a few distributions the plots need: the
first-attempt tally (leads by time to first attempt and how far they got) and
rep time, on-shift time and backlog by hour of the week. :class:`RunResult`
gathers all replications of one cadence; with ``--uncertainty`` a replication is a
plausible world, the mean of its runs (:mod:`sim.analysis.worlds`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sim.analysis.local_hours import local_hour_counts, local_hour_table
from sim.analysis.stats import summarise
from sim.analysis.worlds import RUNS_PER_WORLD, variance_split
from sim.engine.kpis import replication_kpis
from sim.engine.tally import OUTCOMES, bin_upper_edges

if TYPE_CHECKING:
    from sim.engine.floor import SalesFloor
    from sim.experiment import Experiment


@dataclass(frozen=True)
class ReplicationOutput:
    """One replication's KPIs and distributions."""

    kpis: dict[str, float]
    first_attempts: np.ndarray
    """Tally counts: rows as in :data:`sim.engine.tally.OUTCOMES`, columns delay bins."""
    busy_by_hour: np.ndarray
    """Rep minutes busy (on shift) in each of the 168 hours of the week, over the window."""
    on_shift_by_hour: np.ndarray
    """Rep minutes on shift in each hour of the week, over the window."""
    backlog_by_hour: np.ndarray
    """Task-minutes waiting in each hour of the week, over the window."""
    local_hours: np.ndarray
    """Cohort leads by their local hour of the day (:func:`~sim.analysis.local_hours.local_hour_counts`)."""


def replication_output(floor: SalesFloor) -> ReplicationOutput:
    """The measure used by run and compare: KPIs plus distributions for the plots."""
    return ReplicationOutput(
        replication_kpis(floor),
        floor.meter.first_attempts.counts,
        np.asarray(floor.meter.busy_by_hour),
        np.asarray(floor.meter.on_shift_by_hour()),
        np.asarray(floor.meter.backlog_by_hour),
        local_hour_counts(floor.meter.local_hours),
    )


@dataclass(frozen=True)
class RunResult:
    """All replications of one cadence: KPI table, summary and distributions."""

    label: str
    experiment: Experiment
    replications: pd.DataFrame
    """One row of KPIs per replication (index: replication)."""
    summary: pd.DataFrame
    """Per KPI: n, mean, sd, ci_low, ci_high, half_width (index: KPI)."""
    first_attempts: np.ndarray
    """Tally counts summed over replications."""
    hourly: pd.DataFrame
    """Per hour of the week: busy, on-shift and backlog minutes, averaged per replication."""
    uncertainty: pd.DataFrame | None = None
    """With plausible worlds: noise and uncertainty per KPI (:func:`~sim.analysis.worlds.variance_split`)."""
    worlds: pd.DataFrame | None = None
    """With plausible worlds: each replication's values of the uncertain fields."""
    local_hours: pd.DataFrame | None = None
    """Coverage by the lead's local hour, over the replications (or runs of the worlds)."""

    @classmethod
    def from_outputs(
        cls, label: str, experiment: Experiment, outputs: list[ReplicationOutput]
    ) -> RunResult:
        table = pd.DataFrame([output.kpis for output in outputs])
        table.index.name = "replication"
        hourly = pd.DataFrame(
            {
                "busy_minutes": np.mean([o.busy_by_hour for o in outputs], axis=0),
                "on_shift_minutes": np.mean([o.on_shift_by_hour for o in outputs], axis=0),
                "backlog_task_minutes": np.mean([o.backlog_by_hour for o in outputs], axis=0),
            }
        )
        hourly.index.name = "hour_of_week"
        counts = np.sum([o.first_attempts for o in outputs], axis=0)
        local_hours = local_hour_table([o.local_hours for o in outputs])
        return cls(
            label, experiment, table, summarise(table), counts, hourly, local_hours=local_hours
        )

    @classmethod
    def from_worlds(
        cls,
        label: str,
        experiment: Experiment,
        outputs: list[ReplicationOutput],
        worlds: pd.DataFrame,
        runs_per_world: int = RUNS_PER_WORLD,
    ) -> RunResult:
        """Replications that are plausible worlds: *outputs* holds each world's runs together.

        A world's KPIs are the mean of its runs (an undefined KPI of one run is left
        out), so the summary's intervals include both noise and uncertainty;
        ``uncertainty`` tells them apart. Tally counts are summed over every run; the
        local-hour table treats every run as a replication.
        """
        runs = cls.from_outputs(label, experiment, outputs)
        table = runs.replications.groupby(np.arange(len(outputs)) // runs_per_world).mean()
        table.index = worlds.index
        split = variance_split(runs.replications, runs_per_world)
        return cls(
            label,
            experiment,
            table,
            summarise(table),
            runs.first_attempts,
            runs.hourly,
            split,
            worlds,
            runs.local_hours,
        )

    def first_attempts_table(self) -> pd.DataFrame:
        """Non-empty delay bins: ``delay_minutes_low, delay_minutes_high`` and a count per outcome."""
        upper = bin_upper_edges()
        lower = np.concatenate(([0.0], upper[:-2], [upper[-2]]))
        table = pd.DataFrame(self.first_attempts.T, columns=list(OUTCOMES))
        table.insert(0, "delay_minutes_high", upper)
        table.insert(0, "delay_minutes_low", lower)
        return table[table["leads"] > 0].reset_index(drop=True)


def tidy_tables(results: list[RunResult]) -> dict[str, pd.DataFrame]:
    """The run-folder tables for one or more cadences, each row labelled by ``policy``.

    ``replications`` (policy, replication, KPIs), ``summary`` (policy, kpi, statistics),
    ``first_attempts`` (policy, delay bin, counts), ``hourly`` (policy, hour of week, minutes)
    and ``local_hours`` (policy, the lead's local hour, measure, statistics).
    With plausible worlds also ``uncertainty`` (policy, kpi, noise and uncertainty) and
    ``worlds`` (replication, the value of each uncertain field; the same for every policy).
    """

    def stacked(frames: dict[str, pd.DataFrame], index_name: str) -> pd.DataFrame:
        table = pd.concat(frames, names=["policy", index_name]).reset_index()
        return table

    def labelled(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
        """The frames' rows one after the other, with a first column naming the policy."""
        return pd.concat(
            [frame.assign(policy=label) for label, frame in frames.items()], ignore_index=True
        ).pipe(lambda t: t[["policy", *[c for c in t.columns if c != "policy"]]])

    tables = {
        "replications": stacked({r.label: r.replications for r in results}, "replication"),
        "summary": stacked({r.label: r.summary for r in results}, "kpi"),
        "first_attempts": labelled({r.label: r.first_attempts_table() for r in results}),
        "hourly": stacked({r.label: r.hourly for r in results}, "hour_of_week"),
    }
    local_hours = {r.label: r.local_hours for r in results if r.local_hours is not None}
    if len(local_hours) == len(results):
        tables["local_hours"] = labelled(local_hours)
    first = results[0]
    if first.uncertainty is not None and first.worlds is not None:
        tables["uncertainty"] = stacked(
            {r.label: r.uncertainty for r in results if r.uncertainty is not None}, "kpi"
        )
        tables["worlds"] = first.worlds.reset_index()
    return tables
