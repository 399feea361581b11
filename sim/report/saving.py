"""Saving what run, compare and sweep return as run folders, from Python as from the CLI.

>>> experiment = load_experiment("experiments/baseline.yaml")
>>> check_results_root("results", experiment.name)  # a bad folder fails now, not after
>>> started = time.perf_counter()
>>> result = run(experiment, jobs=2)
>>> saved = save_run(result, "results", jobs=2, wall_seconds=time.perf_counter() - started)
>>> saved.path                                # results/baseline/<run-id>

Each folder is written atomically (see :func:`sim.report.run_folder.run_folder`): a
failure leaves no folder that looks finished.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis.comparison import ComparisonResult
from sim.analysis.outputs import RunResult, tidy_tables
from sim.analysis.sweeps import Checkpoint, SweepResult
from sim.config import ConfigError
from sim.config.durations import shown
from sim.experiment import Experiment, read_yaml
from sim.report.run_folder import (
    PARTIAL_SUFFIX,
    dump_yaml,
    fill_run_folder,
    new_partial_folder,
    run_folder,
)


@dataclass(frozen=True)
class SavedFolder:
    """A finished run folder, and what could not be drawn in it (the results are complete)."""

    path: Path
    warnings: list[str] = field(default_factory=list)


def check_results_root(out: str | Path, experiment_name: str = "", flag: str = "--out") -> None:
    """Refuse a results folder that cannot be written, before any simulation.

    *out* (and ``out/<experiment_name>``) may not exist yet; then the nearest
    existing folder above must be writable. Nothing is left behind. *flag* names the
    setting in the message.
    """
    out = Path(out)
    existing = out / experiment_name
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        where = "is a file" if existing == out else f"is under the file {existing}"
        if existing == out / experiment_name and experiment_name:
            where = f"holds a file {existing} where the run folders of {experiment_name!r} go"
        raise ConfigError(f"{flag} {out}: {where}; expected a folder to put run folders in")
    try:
        tempfile.TemporaryDirectory(dir=existing).cleanup()
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ConfigError(
            f"{flag} {out}: cannot create folders in {existing} ({reason}); "
            "expected a folder you can write to"
        ) from None


def save_run(
    result: RunResult, out: str | Path, *, jobs: int, wall_seconds: float, report: bool = True
) -> SavedFolder:
    """Save :func:`~sim.analysis.replications.run`'s result under ``out/<experiment>/<run-id>``."""
    return _save(
        Path(out),
        result.experiment,
        tidy_tables([result]),
        verb="run",
        replications=len(result.replications),
        jobs=jobs,
        wall_seconds=wall_seconds,
        report=report,
        primary_kpi="profit",
    )


def save_comparison(
    experiment: Experiment,
    result: ComparisonResult,
    out: str | Path,
    *,
    jobs: int,
    wall_seconds: float,
    report: bool = True,
) -> SavedFolder:
    """Save :func:`~sim.analysis.comparison.compare`'s result of *experiment*."""
    tables = tidy_tables(result.results)
    tables["differences"] = result.differences
    tables["ranking"] = result.ranking
    return _save(
        Path(out),
        experiment,
        tables,
        verb="compare",
        replications=result.replications,
        jobs=jobs,
        wall_seconds=wall_seconds,
        report=report,
        primary_kpi=result.kpi,
        baseline=result.baseline,
        stopped_because=result.stopped_because,
    )


def save_sweep(
    result: SweepResult,
    partial: Path,
    *,
    jobs: int,
    wall_seconds: float,
    report: bool = True,
    resumed_points: int = 0,
) -> SavedFolder:
    """Finish the sweep's ``.partial`` folder (see :func:`~sim.analysis.sweeps.sweep_folder`).

    Its checkpoint is removed last, so a failure here leaves a folder ``--resume``
    can still finish.
    """
    experiment = result.experiment
    assert experiment.sweep is not None
    return _save(
        partial.parent.parent,
        experiment,
        {"points": result.points, "replications": result.replications, "summary": result.summary},
        partial=partial,
        verb="sweep",
        replications=experiment.replications,
        jobs=jobs,
        wall_seconds=wall_seconds,
        report=report,
        primary_kpi=experiment.sweep.kpi,
        parameters=result.parameters,
        resumed_points=resumed_points,
    )


def _save(
    out: Path,
    experiment: Experiment,
    tables: dict[str, pd.DataFrame],
    partial: Path | None = None,
    **manifest: Any,
) -> SavedFolder:
    """Fill a run folder (a sweep's *partial* one, whose checkpoint then goes) and put it in place."""
    with run_folder(out, experiment.name, partial=partial) as folder:
        warnings = fill_run_folder(folder, experiment, tables, **manifest)
        if partial is not None:
            Checkpoint(partial).path.unlink(missing_ok=True)
    return SavedFolder(folder.final, warnings)


def sweep_folder(experiment: Experiment, out: Path, resume: Path | None = None) -> Path:
    """The ``<run-id>.partial`` folder a sweep fills: a new one under ``out/<name>/``, or *resume*.

    A new folder is made with the resolved ``config.yaml``. A folder to resume must
    be one an interrupted sweep of this very experiment left behind (same file, same
    ``--set`` options); anything else is a :class:`ConfigError`, before any work.
    """
    if resume is None:
        partial = new_partial_folder(out, experiment.name)
        partial.mkdir(parents=True)
        (partial / "config.yaml").write_text(dump_yaml(experiment.to_config()), encoding="utf-8")
        return partial
    expected = f"expected the <run-id>{PARTIAL_SUFFIX} folder an interrupted sweep left behind"
    if (
        not resume.is_dir()
        or not resume.name.endswith(PARTIAL_SUFFIX)
        or not (resume / "config.yaml").is_file()
    ):
        raise ConfigError(f"--resume {resume}: {expected}")
    stored = read_yaml(resume / "config.yaml")
    current = experiment.to_config()
    if stored != current:
        differing = sorted(
            key for key in set(stored) | set(current) if stored.get(key) != current.get(key)
        )
        raise ConfigError(
            f"--resume {resume}: that folder holds a sweep of experiment {shown(stored.get('name'))} with "
            f"different settings ({', '.join(map(str, differing))}); expected a partial sweep of "
            f"{experiment.name!r} with the same settings (same file, same --set options)"
        )
    points = experiment.sweep.size if experiment.sweep else None
    Checkpoint(resume).load(points, experiment.replications)  # damaged: fails now, not later
    return resume
