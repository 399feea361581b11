"""Parameter sweeps: a grid of settings, all on the same replication seeds, resumable.

Every point runs the same replication seeds (common random numbers across
points), so differences between neighbouring points are not noise from new
leads. Each finished point is appended to a checkpoint file in the run's
``<run-id>.partial`` folder; an interrupted sweep resumes from there with
``--resume`` and gives exactly the numbers an uninterrupted one would
(:func:`sweep_folder` makes or checks that folder).
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.executors import Meanwhile, Workers
from sim.analysis.replications import Job, Progress, run_jobs
from sim.analysis.stats import summarise
from sim.config import ConfigError, shown
from sim.engine.kpis import KPIS
from sim.engine.streams import replication_seeds
from sim.experiment import Experiment, set_field, validate_experiment

MAX_POINTS_WITHOUT_CONFIRMATION = 10_000
"""Largest sweep run without ``--yes`` (checked before its points are even validated)."""
CHECKPOINT = "points.jsonl"
"""One JSON line per finished point: its index, values and per-replication KPIs."""


def _label(value: Any) -> Any:
    """A sweep value as a table cell: numbers stay numbers, anything else becomes text."""
    return value if isinstance(value, int | float | str | bool) else json.dumps(value)


def refuse_large_grid(
    experiment: Experiment, confirmed: bool, source: str = "<experiment>"
) -> None:
    """Raise a :class:`ConfigError` for a sweep of more than 10,000 points unless *confirmed*."""
    size = experiment.sweep.size if experiment.sweep else 0
    if size > MAX_POINTS_WITHOUT_CONFIRMATION and not confirmed:
        raise ConfigError(
            f"{source}: sweep: {size:,} points (more than {MAX_POINTS_WITHOUT_CONFIRMATION:,}); "
            "add --yes to run them all"
        )


def sweep_points(
    experiment: Experiment, source: str = "<experiment>"
) -> list[tuple[dict[str, Any], Experiment]]:
    """Every point of the sweep as ``(values, experiment)``; a bad point is a :class:`ConfigError`."""
    design = experiment.sweep
    if design is None:
        raise ConfigError(f"{source}: no sweep: section; expected a grid or a list of points")
    base = experiment.to_config(designs=False)
    points = []
    for index, values in enumerate(design.each_point()):
        data = copy.deepcopy(base)
        described = ", ".join(f"{path}={value}" for path, value in values.items())
        where = f"{source}: sweep point {index} ({described})"
        for path, value in values.items():
            set_field(data, path, value, f"{where}: {path}")
        points.append((values, validate_experiment(data, where)))
    return points


@dataclass(frozen=True)
class SweepResult:
    """Per point and replication KPIs, and a summary per point."""

    experiment: Experiment
    parameters: list[str]
    points: pd.DataFrame
    """point, one column per parameter."""
    replications: pd.DataFrame
    """point, parameters, replication, KPIs."""
    summary: pd.DataFrame
    """point, parameters, kpi, n, mean, sd, ci_low, ci_high, half_width."""

    def best_point(self, kpi: str | None = None) -> pd.Series:
        """The summary row of the point with the best mean *kpi* (default: the sweep's KPI)."""
        kpi = kpi or (self.experiment.sweep.kpi if self.experiment.sweep else "profit")
        rows = self.summary[self.summary["kpi"] == kpi]
        best = (
            rows["mean"].idxmin() if KPIS[kpi].higher_is_better is False else rows["mean"].idxmax()
        )
        return rows.loc[best]


class Checkpoint:
    """Finished points of a sweep, appended one JSON line at a time (safe against Ctrl-C and kills).

    Only the last line can be cut short (by a kill while writing): :meth:`load`
    skips it, so that point runs again, and :meth:`save` removes it before appending.
    Anything else that is not a finished point is a damaged file: a :class:`ConfigError`.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / CHECKPOINT
        self._tail_checked = False

    def load(
        self, points: int | None = None, replications: int | None = None
    ) -> dict[int, list[dict[str, float]]]:
        """Finished points by index; *points* and *replications* check them against the sweep."""
        if not self.path.exists():
            return {}
        try:
            lines = self.path.read_text(encoding="utf-8").split("\n")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise self._damaged(0, f"cannot be read ({reason})") from None
        finished = {}
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except RecursionError:
                raise self._damaged(number, "is nested too deeply") from None
            except json.JSONDecodeError:
                if number == len(lines):  # cut short by a kill: that point runs again
                    continue
                raise self._damaged(number, "is not JSON") from None
            point, runs = self._checked(record, number, points, replications)
            finished[point] = runs
        return finished

    def _checked(
        self, record: Any, number: int, points: int | None, replications: int | None
    ) -> tuple[int, list[dict[str, float]]]:
        point = record.get("point") if isinstance(record, dict) else None
        runs = record.get("replications") if isinstance(record, dict) else None
        is_index = isinstance(point, int) and not isinstance(point, bool) and point >= 0
        if not is_index or (points is not None and point >= points):
            raise self._damaged(number, f"point {shown(point)} is not a point of this sweep")
        if not isinstance(runs, list) or not all(isinstance(run, dict) for run in runs):
            raise self._damaged(number, "expected the point's replications as a list of KPIs")
        if replications is not None and len(runs) != replications:
            raise self._damaged(
                number, f"has {len(runs)} replication(s); this sweep runs {replications}"
            )
        return point, runs

    def _damaged(self, line: int, problem: str) -> ConfigError:
        at = f" line {line}" if line else ""
        return ConfigError(
            f"{self.path}:{at} {problem}; expected one finished sweep point per line. The file "
            "is damaged: start the sweep again without --resume"
        )

    def save(
        self, point: int, values: dict[str, Any], replications: list[dict[str, float]]
    ) -> None:
        line = json.dumps(
            {"point": point, "values": values, "replications": replications}, allow_nan=True
        )
        if not self._tail_checked:
            self._drop_cut_line()
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def _drop_cut_line(self) -> None:
        """Remove a last line a kill cut short, so that the next point starts a line of its own."""
        self._tail_checked = True
        if not self.path.exists():
            return
        data = self.path.read_bytes()
        if data and not data.endswith(b"\n"):
            with self.path.open("r+b") as handle:
                handle.truncate(data.rfind(b"\n") + 1)


def sweep(
    experiment: Experiment,
    *,
    jobs: Workers = 1,
    progress: Progress | None = None,
    checkpoint: Checkpoint | None = None,
    source: str = "<experiment>",
    on_point: Callable[[int], None] | None = None,
    meanwhile: Meanwhile = None,
) -> SweepResult:
    """Run every point of the sweep on the same seeds; points already in *checkpoint* are skipped.

    *meanwhile()* is called once in this process while the points run.
    """
    points = sweep_points(experiment, source)
    design = experiment.sweep
    assert design is not None
    n = experiment.replications
    seeds = replication_seeds(experiment.seed, n)
    finished = checkpoint.load(len(points), n) if checkpoint else {}
    todo = [index for index in range(len(points)) if index not in finished]
    partial: dict[int, dict[int, dict[str, float]]] = {index: {} for index in todo}

    def collect(job_index: int, kpis: dict[str, float]) -> None:
        point = todo[job_index // n]
        partial[point][job_index % n] = kpis
        if len(partial[point]) == n:
            finished[point] = [partial[point][r] for r in range(n)]
            if checkpoint:
                checkpoint.save(point, points[point][0], finished[point])
            if on_point:
                on_point(point)

    job_list = [
        Job(points[i][1].scenario, points[i][1].policy, seed) for i in todo for seed in seeds
    ]
    run_jobs(job_list, jobs, progress, on_result=collect, meanwhile=meanwhile)
    return _tables(experiment, design.parameters, points, finished)


def _tables(
    experiment: Experiment,
    parameters: list[str],
    points: list[tuple[dict[str, Any], Experiment]],
    finished: dict[int, list[dict[str, float]]],
) -> SweepResult:
    point_rows, replication_frames, summary_frames = [], [], []
    for index, (values, _) in enumerate(points):
        labels = {path: _label(values[path]) for path in parameters}
        point_rows.append({"point": index, **labels})
        table = pd.DataFrame(finished[index])
        table.index.name = "replication"
        replication_frames.append(table.reset_index().assign(point=index, **labels))
        summary = summarise(table).reset_index()
        summary_frames.append(summary.assign(point=index, **labels))
    leading = ["point", *parameters]

    def ordered(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[[*leading, *[c for c in frame.columns if c not in leading]]]

    return SweepResult(
        experiment,
        parameters,
        pd.DataFrame(point_rows),
        ordered(pd.concat(replication_frames, ignore_index=True)),
        ordered(pd.concat(summary_frames, ignore_index=True)),
    )
