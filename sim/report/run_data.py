"""One typed view of a run folder: the resolved experiment, the manifest and the tables.

:func:`load_run` is the only way the report reads a folder written by ``run``,
``compare``, ``sweep`` or ``tune``. The saved ``config.yaml`` is validated back
into an :class:`~sim.experiment.Experiment` (so a renamed field fails loudly
instead of printing "n/a"), each policy of a comparison gets the experiment it
ran (:func:`sim.analysis.comparison.arms`), and every domain question, such as
the response-time target or the reps per group, is answered by the experiment
itself. A folder that is not a run folder, or whose config, manifest or tables
are corrupt or from another version, raises :class:`~sim.config.ConfigError`
naming the file and what was expected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from pydantic import TypeAdapter, ValidationError

from sim.analysis.comparison import arms as comparison_arms
from sim.config import ConfigError
from sim.config.units import MINUTES_PER_WEEK
from sim.experiment import Experiment, read_yaml, validate_experiment
from sim.report.formatting import higher_is_better

Verb = Literal["run", "compare", "sweep", "tune"]

RUN_FOLDER_FORMAT = 1
"""Version of the folder layout and manifest that :mod:`sim.report.run_folder` writes;
folders of another format are refused."""

CONFIRMATION_FILE = "confirmation.yaml"
"""A tune folder's comparison of the baseline with the confirmed trials (the tables' policies)."""

TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "replications": (),
    "summary": ("mean", "ci_low", "ci_high"),
    "differences": (
        "policy",
        "kpi",
        "mean_difference",
        "ci_low",
        "ci_high",
        "relative_difference",
        "relative_ci_low",
        "relative_ci_high",
    ),
    "ranking": ("rank", "policy", "kpi", "mean", "ci_low", "ci_high", "group", "verdict"),
    "first_attempts": ("delay_minutes_low", "delay_minutes_high", "leads"),
    "hourly": ("hour_of_week", "busy_minutes", "on_shift_minutes", "backlog_task_minutes"),
    "local_hours": ("policy", "local_hour", "measure", "mean", "ci_low", "ci_high"),
    "points": ("point",),
}
"""The tables a report reads (``<name>.csv``, each optional) and the columns it needs."""


@dataclass(frozen=True)
class Manifest:
    """``manifest.json``: what ran, how, and how to reproduce it."""

    verb: Verb
    experiment: str
    seed: int
    replications: int
    primary_kpi: str = "profit"
    run_folder_format: int = RUN_FOLDER_FORMAT
    run_id: str | None = None
    """The folder's name when it was written (older folders: none)."""
    jobs: int | None = None
    command: str | None = None
    finished_at: str | None = None
    wall_seconds: float | None = None
    git_commit: str | None = None
    versions: dict[str, str] = field(default_factory=dict)
    baseline: str | None = None
    stopped_because: str | None = None
    tuned_summary: str | None = None
    chosen_trials: list[int] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path) -> Manifest:
        """Read and check *path*; unknown keys are ignored, missing or mistyped ones are not."""
        expected = "expected the manifest.json of a finished run folder"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not valid JSON (line {exc.lineno}); {expected}") from None
        except RecursionError:
            raise ConfigError(f"{path}: nested too deeply; {expected}") from None
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise ConfigError(f"{path}: cannot be read ({reason}); {expected}") from None
        if not isinstance(data, dict) or not isinstance(data.get("verb"), str):
            raise ConfigError(f"{path}: not a run manifest (no verb); {expected}")
        try:
            manifest = _MANIFEST.validate_python(data)
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem["loc"]) or "(top level)"
            raise ConfigError(
                f"{path}: {where}: {problem['msg']}; expected the manifest.json of a "
                "salespulse run, compare, sweep or tune"
            ) from None
        if manifest.run_folder_format != RUN_FOLDER_FORMAT:
            raise ConfigError(
                f"{path}: run folder format {manifest.run_folder_format}, written by another "
                f"version of salespulse; expected format {RUN_FOLDER_FORMAT} (run it again "
                "with this version)"
            )
        return manifest


_MANIFEST = TypeAdapter(Manifest)


@dataclass(frozen=True)
class RunData:
    """A run folder: its manifest, its experiment (one per policy compared) and its tables.

    A table the verb does not write is ``None``. ``policies`` lists the policies in
    the tables, the baseline first (empty for a sweep, whose rows are points).
    """

    folder: Path
    manifest: Manifest
    experiment: Experiment
    """The folder's ``config.yaml``: the experiment as it ran (with its design)."""
    arms: dict[str, Experiment]
    """Each policy's own experiment: the baseline's and each variant's (run: its one policy)."""
    policies: list[str]
    replications: pd.DataFrame | None = None
    summary: pd.DataFrame | None = None
    differences: pd.DataFrame | None = None
    ranking: pd.DataFrame | None = None
    first_attempts: pd.DataFrame | None = None
    hourly: pd.DataFrame | None = None
    local_hours: pd.DataFrame | None = None
    """Coverage by the lead's local hour (folders written before it existed: none)."""
    points: pd.DataFrame | None = None

    @property
    def verb(self) -> str:
        return self.manifest.verb

    @property
    def name(self) -> str:
        return self.manifest.experiment

    @property
    def run_id(self) -> str:
        """The run folder's name (its final name, also while it is being written)."""
        return self.manifest.run_id or self.folder.name

    @property
    def primary_kpi(self) -> str:
        return self.manifest.primary_kpi

    @property
    def baseline(self) -> str | None:
        """The label other policies were compared with (``None`` for a run or a sweep)."""
        return self.manifest.baseline

    @property
    def parameters(self) -> list[str]:
        """The field paths a sweep varies (empty for other verbs)."""
        design = self.experiment.sweep
        return design.parameters if design is not None and self.verb == "sweep" else []

    @property
    def window_weeks(self) -> float:
        """Length of the measured window (the scenario's horizon) in weeks."""
        return self.experiment.scenario.horizon / MINUTES_PER_WEEK

    @cached_property
    def config(self) -> dict[str, Any]:
        """The experiment in its resolved YAML form, for lookups by ``--set`` path."""
        return self.experiment.to_config()

    @property
    def reference(self) -> str | None:
        """The policy other policies are measured against (the baseline, or the only one)."""
        return self.baseline if self.baseline in self.policies else next(iter(self.policies), None)

    def experiment_of(self, policy: str | None) -> Experiment:
        """The experiment *policy* ran (the folder's own for anything else)."""
        return self.arms.get(policy or "", self.experiment)

    def lead_time_zones(self, policy: str | None) -> set[float | str]:
        """The time zones *policy*'s leads live in: hours relative to the reps' zone, or IANA names."""
        zones: set[float | str] = set()
        for source in self.experiment_of(policy).scenario.sources:
            mix = source.time_zones or {0.0: 1.0}
            zones.update(offset for offset, share in mix.items() if share > 0)
        return zones

    def response_target_minutes(self, policy: str | None) -> float:
        """*policy*'s response-time target for a new lead's first call attempt."""
        return self.experiment_of(policy).policy.speed_to_lead.response_target

    def reps_per_group(self, policy: str | None) -> dict[str, int]:
        """Reps in each group under *policy*'s staffing (the scenario's counts, overridden)."""
        arm = self.experiment_of(policy)
        return {g.name: r + o for g, r, o in arm.policy.staffed_groups(arm.scenario)}

    def best_policy(self, exclude_reference: bool = False) -> str | None:
        """Best policy on the primary KPI (rank 1 of the ranking when there is one)."""
        candidates = [p for p in self.policies if not (exclude_reference and p == self.reference)]
        if not candidates:
            return None
        if self.ranking is not None and not self.ranking.empty:
            ranked = self.ranking[self.ranking["kpi"] == self.primary_kpi]
            for policy in ranked.sort_values("rank")["policy"]:
                if policy in candidates:
                    return str(policy)
        if self.summary is None:
            return candidates[0]
        means = kpi_rows(self.summary, self.primary_kpi).set_index("policy")["mean"]
        means = means[means.index.isin(candidates)].dropna()
        if means.empty:
            return candidates[0]
        return str(means.idxmax() if higher_is_better(self.primary_kpi) else means.idxmin())


def kpi_rows(table: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """The rows of a long table (summary, differences) about *kpi*."""
    return table[table["kpi"] == kpi]


def summary_value(summary: pd.DataFrame, policy: str, kpi: str) -> pd.Series | None:
    """The summary row (mean, ci_low, ...) of *kpi* for *policy*, or ``None``."""
    rows = summary[(summary["policy"] == policy) & (summary["kpi"] == kpi)]
    return None if rows.empty else rows.iloc[0]


def load_run(run_dir: str | Path) -> RunData:
    """Read the run folder *run_dir*, or raise :class:`ConfigError` saying what is wrong."""
    folder = Path(run_dir)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise ConfigError(
            f"{folder}: not a run folder (expected manifest.json and the tables of a finished run)"
        )
    manifest = Manifest.read(manifest_path)
    config_path = folder / "config.yaml"
    if not config_path.is_file():
        raise ConfigError(f"{config_path}: not found; expected the experiment the run resolved")
    experiment = validate_experiment(read_yaml(config_path), str(config_path))
    tables = {name: _read_table(folder, name) for name in TABLE_COLUMNS}
    label = manifest.experiment
    for name in ("replications", "summary", "first_attempts", "hourly"):
        tables[name] = _with_policy(tables[name], label)
    summary = tables["summary"]
    if summary is not None and "kpi" not in summary.columns:  # older folders: index unnamed
        tables["summary"] = summary.rename(columns={summary.columns[1]: "kpi"})
    if manifest.verb == "sweep":
        policies: list[str] = []
        arms: dict[str, Experiment] = {}
        parameters = experiment.sweep.parameters if experiment.sweep else []
        for name in ("summary", "replications"):
            tables[name] = _with_parameters(tables[name], tables["points"], parameters)
    else:
        policies = _policy_order(tables, manifest.baseline)
        arms = _arms(folder, manifest, experiment, policies, config_path)
    return RunData(folder, manifest, experiment, arms, policies, **tables)


def _read_table(folder: Path, name: str) -> pd.DataFrame | None:
    path = folder / f"{name}.csv"
    if not path.is_file():
        return None
    try:  # policy labels stay text even when they look like numbers ("2", "1e3")
        table = pd.read_csv(path, dtype={"policy": str})
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(f"{path}: cannot read the table ({exc}); expected a CSV file") from None
    missing = [c for c in TABLE_COLUMNS[name] if c not in table.columns]
    if missing:
        raise ConfigError(
            f"{path}: no column {', '.join(missing)}; expected the {name} table salespulse "
            f"writes (columns {', '.join(TABLE_COLUMNS[name])}, ...)"
        )
    return table


def _with_policy(table: pd.DataFrame | None, label: str) -> pd.DataFrame | None:
    """Tables from folders that predate the ``policy`` column get the experiment's label."""
    if table is None or "policy" in table.columns or "point" in table.columns:
        return table
    table = table.copy()
    table.insert(0, "policy", label)
    return table


def _with_parameters(
    table: pd.DataFrame | None, points: pd.DataFrame | None, parameters: list[str]
) -> pd.DataFrame | None:
    """A sweep table with its points' parameter columns (joined from points.csv if missing)."""
    if table is None or points is None or "point" not in table.columns:
        return table
    missing = [p for p in parameters if p not in table.columns and p in points.columns]
    if not missing:
        return table
    return table.merge(points[["point", *missing]], on="point", how="left")


def _policy_order(tables: dict[str, pd.DataFrame | None], baseline: str | None) -> list[str]:
    seen: list[str] = []
    for name in ("summary", "replications", "first_attempts", "hourly"):
        table = tables[name]
        if table is not None and "policy" in table.columns:
            seen.extend(str(p) for p in table["policy"].unique() if str(p) not in seen)
    if baseline in seen:
        seen.remove(baseline)
        seen.insert(0, baseline)
    return seen


def _arms(
    folder: Path,
    manifest: Manifest,
    experiment: Experiment,
    policies: list[str],
    config_path: Path,
) -> dict[str, Experiment]:
    """Each policy's experiment: the run's own, or each arm of the comparison (a tune's is
    its confirmation: the baseline and the confirmed trials)."""
    if manifest.verb == "run":
        return dict.fromkeys(policies, experiment)
    if manifest.verb == "tune":  # the tables are the confirmation's comparison
        config_path = folder / CONFIRMATION_FILE
        if not config_path.is_file():
            raise ConfigError(
                f"{config_path}: not found; expected the comparison that confirmed the tuned "
                "trials (tune folders written before it existed: run the tune again)"
            )
        experiment = validate_experiment(read_yaml(config_path), str(config_path))
    arms = dict(comparison_arms(experiment, str(config_path)))
    unknown = [p for p in policies if p not in arms]
    if unknown:
        raise ConfigError(
            f"{folder / 'summary.csv'}: policy {unknown[0]!r} is not one that {config_path.name} "
            f"compares; expected one of: {', '.join(arms)}"
        )
    return arms
