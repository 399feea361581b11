"""Run folders: every run's outputs, written atomically into a fresh folder.

``results/<experiment>/<run-id>/`` holds the resolved config, a manifest
(seed, versions, git commit, command line, wall time) and the tables. The folder
is assembled under a hidden temporary name and renamed into place only when
complete, so an interrupted or failed run never leaves a folder that looks
finished, and an existing run is never overwritten. The run-id is reserved when
the staging folder is made (``.incomplete-<run-id>``), so the manifest and the
report can name the folder before it is renamed into place.
"""

from __future__ import annotations

import json
import platform
import re
import shutil
import subprocess
import sys
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sim.report.run_data import CONFIRMATION_FILE, RUN_FOLDER_FORMAT

if TYPE_CHECKING:
    import pandas as pd

    from sim.experiment import Experiment

__all__ = [
    "CONFIRMATION_FILE",
    "DEFAULT_RESULTS",
    "PARTIAL_SUFFIX",
    "RUN_FOLDER_FORMAT",
    "dump_yaml",
    "fill_run_folder",
    "import_report_code",
    "manifest",
    "new_partial_folder",
    "redact_secrets",
    "run_folder",
]

REPO_ROOT = Path(__file__).resolve().parents[2]
"""The source checkout (for the git commit in the manifest)."""
DEFAULT_RESULTS = Path("results")
PARTIAL_SUFFIX = ".partial"
"""A sweep interrupted part-way leaves ``<run-id>.partial/``, which ``--resume`` continues."""
STAGING_PREFIX = ".incomplete-"
"""A run folder being written is ``.incomplete-<run-id>/`` until it is complete."""
_PACKAGES = ("salespulse", "simpy", "numpy", "scipy", "pandas", "pydantic", "optuna", "matplotlib")


def package_versions() -> dict[str, str]:
    """Versions of Python and the packages that shape the numbers."""
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_commit() -> str | None:
    """The source checkout's commit (with ``+dirty`` for uncommitted changes), if any."""
    if not (REPO_ROOT / ".git").exists():
        return None
    try:
        commit = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "")


_URL_PASSWORD = re.compile(r"(://[^\s:/@]*:)[^\s]*?@(?=[^\s@/?]*(?:[/?\s]|$))")
_QUERY_PASSWORD = re.compile(
    r"([?&;](?:password|passwd|pwd|pass|secret|token|api_key|apikey|sslpassword)=)[^&;#\s]*",
    re.IGNORECASE,
)


def redact_secrets(text: str) -> str:
    """*text* with every URL's password replaced by ``***``.

    Both forms: the user-info password (``postgresql://tuner:SECRET@host/db``) and a
    password query parameter (``...?password=SECRET``). Everything written to a run
    folder or printed that may hold a storage URL goes through this.
    """
    return _QUERY_PASSWORD.sub(r"\1***", _URL_PASSWORD.sub(r"\1***@", text))


def command_line() -> str:
    """The command as the user typed it (``python -m sim run ...``), passwords redacted."""
    program = Path(sys.argv[0]).name if sys.argv else ""
    if program == "__main__.py":
        program = "python -m sim"
    return redact_secrets(" ".join([program, *sys.argv[1:]]))


def manifest(
    seed: int, replications: int, jobs: int, wall_seconds: float, **extra: Any
) -> dict[str, Any]:
    """What a reader needs to reproduce a run."""
    return {
        "run_folder_format": RUN_FOLDER_FORMAT,
        "seed": seed,
        "replications": replications,
        "jobs": jobs,
        "command": command_line(),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "wall_seconds": round(wall_seconds, 3),
        "git_commit": git_commit(),
        "versions": package_versions(),
        **extra,
    }


class _ReadableDumper(yaml.SafeDumper):
    """Lists of plain numbers or strings on one line: profiles and step lists stay readable."""

    def represent_list(self, data: list[Any]) -> yaml.Node:
        flow = all(isinstance(item, int | float | str) for item in data)
        return self.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_ReadableDumper.add_representer(list, _ReadableDumper.represent_list)
_ReadableDumper.add_representer(tuple, _ReadableDumper.represent_list)


def dump_yaml(data: Any) -> str:
    """YAML text for a config, in field order, with short lists on one line."""
    return yaml.dump(data, Dumper=_ReadableDumper, sort_keys=False, allow_unicode=True, width=100)


def _taken(parent: Path, run_id: str) -> bool:
    """Whether *run_id* is a finished folder, or reserved by a run or a sweep in progress."""
    names = (run_id, f"{STAGING_PREFIX}{run_id}", f"{run_id}{PARTIAL_SUFFIX}")
    return any((parent / name).exists() for name in names)


def _new_run_id(parent: Path) -> str:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    run_id, n = stamp, 1
    while _taken(parent, run_id):
        n += 1
        run_id = f"{stamp}-{n}"
    return run_id


@contextmanager
def run_folder(out: Path, experiment_name: str, partial: Path | None = None):
    """Yield a folder to fill; on success it is renamed to ``out/<name>/<run-id>``.

    By default the folder is a hidden temporary one, removed on any exception, so
    nothing is left behind. With *partial* (a resumable sweep) the given
    ``<run-id>.partial`` folder is filled instead and kept on failure or Ctrl-C.
    The final path is ``folder.final`` once the block has finished.
    """
    parent = out / experiment_name
    parent.mkdir(parents=True, exist_ok=True)
    if partial is None:
        staging = _reserve_staging(parent)
        run_id = staging.name.removeprefix(STAGING_PREFIX)
    else:
        staging = partial
        staging.mkdir(parents=True, exist_ok=True)
        run_id = staging.name.removesuffix(PARTIAL_SUFFIX)
    folder = _RunFolder(staging, run_id)
    try:
        yield folder
        folder.final = _rename_fresh(staging, parent, run_id)
    except BaseException:
        if partial is None:
            shutil.rmtree(staging, ignore_errors=True)
        raise


def _reserve_staging(parent: Path) -> Path:
    """Make ``.incomplete-<run-id>`` for a fresh run-id (``mkdir`` is atomic: one run per id)."""
    for _ in range(100):
        staging = parent / f"{STAGING_PREFIX}{_new_run_id(parent)}"
        try:
            staging.mkdir()
        except FileExistsError:
            continue
        return staging
    raise RuntimeError(f"could not reserve a fresh run folder name under {parent}")


def new_partial_folder(out: Path, experiment_name: str) -> Path:
    """A fresh ``<run-id>.partial`` path for a resumable run (not created yet)."""
    parent = out / experiment_name
    return parent / f"{_new_run_id(parent)}{PARTIAL_SUFFIX}"


def _rename_fresh(staging: Path, parent: Path, preferred: str) -> Path:
    """Rename *staging* to *preferred*, or if that exists by now to a fresh run-id (atomic;
    never replaces)."""
    for attempt in range(100):
        run_id = preferred if attempt == 0 else _new_run_id(parent)
        final = parent / run_id
        if final.exists():
            continue
        try:
            staging.rename(final)
        except OSError:
            if final.exists():
                continue
            raise
        return final
    raise RuntimeError(f"could not find a fresh run folder name under {parent}")


class _RunFolder:
    """A staging folder with helpers to write each kind of output."""

    def __init__(self, path: Path, run_id: str) -> None:
        self.path = path
        self.run_id = run_id
        """The folder's name once it is complete (reserved, so the report can say it)."""
        self.final: Path | None = None

    def write_text(self, name: str, text: str) -> None:
        (self.path / name).write_text(text, encoding="utf-8")

    def write_yaml(self, name: str, data: Any) -> None:
        self.write_text(name, dump_yaml(data))

    def write_json(self, name: str, data: Any) -> None:
        self.write_text(name, json.dumps(data, indent=2, default=str) + "\n")

    def write_table(self, name: str, table: Any, index: bool = True) -> None:
        """Write a DataFrame as ``name.csv`` (and ``name.parquet`` when pyarrow is installed)."""
        table.to_csv(self.path / f"{name}.csv", index=index)
        try:
            import pyarrow  # noqa: F401
        except ImportError:
            return
        table.to_parquet(self.path / f"{name}.parquet", index=index)


def import_report_code() -> None:
    """Import what drawing the report takes (matplotlib, the figures, the HTML and PDF layouts).

    About 0.4 s that :func:`fill_run_folder` would otherwise spend first; the command
    line spends it while the replications run in worker processes (``run(..., meanwhile=)``).
    """
    import sim.report.report  # noqa: F401 -- imported for its cost, now rather than later


def fill_run_folder(
    folder: _RunFolder,
    experiment: Experiment,
    tables: dict[str, pd.DataFrame],
    *,
    verb: str,
    replications: int,
    jobs: int,
    wall_seconds: float,
    report: bool,
    **extra: Any,
) -> list[str]:
    """Write config, tables and manifest, then figures and the report (unless *report* is off).

    Returns warnings: a report that cannot be drawn never costs the simulated results,
    which stay complete; ``python -m sim report RUN_DIR`` can retry.
    """
    folder.write_yaml("config.yaml", experiment.to_config())
    for name, table in tables.items():
        folder.write_table(name, table, index=False)
    folder.write_json(
        "manifest.json",
        manifest(
            experiment.seed,
            replications,
            jobs,
            wall_seconds,
            verb=verb,
            experiment=experiment.name,
            run_id=folder.run_id,
            **extra,
        ),
    )
    if not report:
        return []
    from sim.report.report import write_report  # matplotlib: only when a report is drawn

    try:
        write_report(folder.path)
    except Exception as exc:  # the results are complete without the report
        for leftover in ("report.html", "report.pdf"):
            (folder.path / leftover).unlink(missing_ok=True)
        return [
            f"the report could not be written ({type(exc).__name__}: {exc}); the results are complete"
        ]
    return []
