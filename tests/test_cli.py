"""The command line on good input: run, check and --help, and run folders written atomically.

Every run here is the baseline shrunk to one measured week with a fraction of the
leads and reps (see ``shrink`` in conftest.py), so the whole file takes seconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

import sim.cli._verbs
from sim.cli import main
from sim.engine.kpis import KPIS
from sim.experiment import load_experiment
from sim.report.run_folder import _RunFolder

REPO = Path(__file__).resolve().parent.parent
TABLES = ("replications", "summary", "first_attempts", "hourly", "local_hours")
RUN_FILES = {"config.yaml", "manifest.json", *(f"{t}.csv" for t in TABLES)}
REPORT_FILES = {"report.html", "report.pdf", "figures"}
OPTIONAL_FILES = {f"{t}.parquet" for t in TABLES}  # when pyarrow is installed


def run_files(folder: Path) -> set[str]:
    """The run folder's file names, less the optional ones."""
    return {p.name for p in folder.iterdir()} - OPTIONAL_FILES


@pytest.fixture
def experiment_file(tiny: dict[str, Any], write_yaml: Callable[..., Path]) -> Path:
    return write_yaml(tiny, "tiny.yaml")


@pytest.fixture
def out(tmp_path: Path) -> Path:
    return tmp_path / "results"


def run(experiment_file: Path, out: Path, *args: str) -> int:
    return main(["run", str(experiment_file), "--out", str(out), "-q", "-j", "1", *args])


def entries(out: Path, name: str = "tiny") -> list[Path]:
    """Everything in the experiment's results folder, hidden entries included."""
    parent = out / name
    return sorted(parent.iterdir()) if parent.exists() else []


def test_run_prints_the_kpi_table_and_writes_one_run_folder(
    experiment_file: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(experiment_file, out) == 0
    printed = capsys.readouterr().out

    folders = entries(out)
    assert len(folders) == 1, folders
    folder = folders[0]
    assert folder.is_dir() and not folder.name.startswith(".")
    assert run_files(folder) == RUN_FILES | REPORT_FILES
    assert any((folder / "figures").glob("*.png"))

    assert printed.startswith("tiny: 2 replications, seed ")
    assert "KPI" in printed and "95% CI" in printed
    summary = pd.read_csv(folder / "summary.csv")
    assert set(summary["policy"]) == {"tiny"}
    for name in summary["kpi"]:
        label = KPIS[name].label if name in KPIS else name
        assert label in printed, f"KPI {name!r} ({label}) is missing from the table"
    assert printed.rstrip().endswith(f"Results: {folder}")

    replications = pd.read_csv(folder / "replications.csv")
    assert len(replications) == 2
    assert set(replications.columns) == {"policy", "replication", *summary["kpi"]}
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["replications"] == 2
    assert manifest["experiment"] == "tiny"


def test_the_run_folder_config_reloads_to_the_same_experiment(
    experiment_file: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(experiment_file, out, "--seed", "7", "-n", "3") == 0
    (folder,) = entries(out)
    saved = load_experiment(folder / "config.yaml")
    assert saved == load_experiment(experiment_file, ["seed=7", "replications=3"])
    assert (saved.seed, saved.replications) == (7, 3)
    config = yaml.safe_load((folder / "config.yaml").read_text())
    assert "economics" in config["scenario"]  # defaults are spelled out


def test_set_reaches_fields_the_file_leaves_at_their_default(
    experiment_file: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(experiment_file, out, "--set", "scenario.economics.cost_per_touch=0.75") == 0
    (folder,) = entries(out)
    assert load_experiment(folder / "config.yaml").scenario.economics.cost_per_touch == 0.75


def test_check(experiment_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(experiment_file)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith(f"{experiment_file}: OK: experiment 'tiny'")
    assert captured.err == ""


def test_check_the_default_experiment(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check"]) == 0, capsys.readouterr().err
    assert "OK: experiment 'baseline'" in capsys.readouterr().out


def test_version_names_the_engine_that_runs() -> None:
    """``--version`` says whether the compiled kernel or pure Python runs, as the engine does."""
    env = {**os.environ, "SALESPULSE_PURE_PYTHON": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "sim", "--version"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0
    assert done.stdout.startswith("salespulse ")
    assert "engine: pure Python (SALESPULSE_PURE_PYTHON is set)" in done.stdout


@pytest.mark.parametrize("verb", [[], ["run"], ["check"]], ids=["sim", "run", "check"])
def test_help(verb: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*verb, "--help"]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("usage: python -m sim")
    assert captured.err == ""


def test_two_runs_make_two_folders(
    experiment_file: Path, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(experiment_file, out, "--no-report") == 0
    (first,) = entries(out)
    before = {p.name: p.read_bytes() for p in first.iterdir()}
    assert run(experiment_file, out, "--no-report") == 0  # same second: a "-2" suffix, no overwrite
    folders = entries(out)
    assert len(folders) == 2 and first in folders
    assert {p.name: p.read_bytes() for p in first.iterdir()} == before
    for folder in folders:
        assert run_files(folder) == RUN_FILES


def _fail_in_run(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("boom in the engine")


def _fail_writing_summary(self: _RunFolder, name: str, table: Any, index: bool = True) -> None:
    if name == "summary":
        raise OSError("disk full")
    original_write_table(self, name, table, index)


original_write_table = _RunFolder.write_table


@pytest.mark.parametrize(
    ("target", "replacement"),
    [
        pytest.param((sim.cli._verbs, "run"), _fail_in_run, id="simulation-fails"),
        pytest.param((_RunFolder, "write_table"), _fail_writing_summary, id="writing-fails"),
    ],
)
def test_a_failed_run_leaves_no_folder(
    target: tuple[Any, str],
    replacement: Callable[..., Any],
    experiment_file: Path,
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(*target, replacement)
    assert run(experiment_file, out) == 1
    err = capsys.readouterr().err
    assert "internal error" in err
    assert entries(out) == []  # no run folder and no leftover .incomplete-* staging folder


def test_an_interrupted_run_leaves_no_folder(
    experiment_file: Path,
    out: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def interrupt(self: _RunFolder, name: str, table: Any, index: bool = True) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(_RunFolder, "write_table", interrupt)
    assert run(experiment_file, out) == 130
    assert "no results were written" in capsys.readouterr().err
    assert entries(out) == []


_POOL_THEN_WAIT = """
import os, sys, time
from concurrent.futures import ProcessPoolExecutor
from sim.analysis.executors import exit_with_parent
pool = ProcessPoolExecutor(2, initializer=exit_with_parent, initargs=(os.getpid(),))
list(pool.map(time.sleep, [0.2, 0.2]))  # the workers are up
print("ready", flush=True)
time.sleep(60)
"""


def _children(parent: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(stat.parent.name))
    return found


def _running(pids: list[int]) -> list[int]:
    """The processes among *pids* that still run (a zombie has exited)."""
    alive = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            alive.append(pid)
    return alive


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_pool_workers_exit_when_their_parent_is_killed() -> None:
    """A killed run, compare or sweep leaves no idle worker processes behind."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
    }
    parent = subprocess.Popen(
        [sys.executable, "-c", _POOL_THEN_WAIT], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "ready"
        workers = _children(parent.pid)
        assert workers, "no worker processes found"
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 15
    while _running(workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _running(workers) == []


def test_the_python_api_runs_compares_sweeps_and_saves_without_the_cli(
    tiny: dict[str, Any], write_yaml: Callable[..., Path], out: Path
) -> None:
    """What a notebook does: the same run folders as the verbs, no command line involved."""
    from sim.analysis import Checkpoint, compare, run, sweep
    from sim.report import save_comparison, save_run, save_sweep, sweep_folder

    tiny["compare"] = {
        "variants": [
            {"name": "two_minutes", "policy": {"speed_to_lead": {"response_target": "2m"}}}
        ]
    }
    tiny["sweep"] = {"grid": {"scenario.reps[0].count": [1, 2]}}
    experiment = load_experiment(write_yaml(tiny))

    saved = save_run(run(experiment), out, jobs=1, wall_seconds=1.0, report=False)
    assert saved.path.parent == out / "tiny" and run_files(saved.path) == RUN_FILES
    assert json.loads((saved.path / "manifest.json").read_text())["verb"] == "run"

    compared = save_comparison(
        experiment, compare(experiment), out, jobs=1, wall_seconds=1.0, report=False
    )
    assert {"differences.csv", "ranking.csv"} <= run_files(compared.path)

    partial = sweep_folder(experiment, out)
    swept = save_sweep(
        sweep(experiment, checkpoint=Checkpoint(partial)),
        partial,
        jobs=1,
        wall_seconds=1.0,
        report=False,
    )
    assert not partial.exists() and not (swept.path / "points.jsonl").exists()
    assert len(pd.read_csv(swept.path / "points.csv")) == 2
    assert load_experiment(swept.path / "config.yaml") == experiment


def test_a_checkpoint_line_cut_by_a_kill_is_run_again_and_never_joins_the_next(
    tmp_path: Path,
) -> None:
    from sim.analysis import Checkpoint

    checkpoint = Checkpoint(tmp_path)
    checkpoint.save(0, {"x": 1}, [{"leads": 1.0}])
    with checkpoint.path.open("a", encoding="utf-8") as handle:
        handle.write('{"point": 1, "values": {"x": 2}, "replica')  # killed while writing
    assert list(Checkpoint(tmp_path).load(points=3, replications=1)) == [0]
    resumed = Checkpoint(tmp_path)
    resumed.save(1, {"x": 2}, [{"leads": 2.0}])
    resumed.save(2, {"x": 3}, [{"leads": 3.0}])
    assert Checkpoint(tmp_path).load(points=3, replications=1) == {
        0: [{"leads": 1.0}],
        1: [{"leads": 2.0}],
        2: [{"leads": 3.0}],
    }
