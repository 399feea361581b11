"""Shared fixtures: experiment data derived from ``experiments/baseline.yaml``.

Tests start from a copy of the shipped baseline and change only what they test,
so they stay valid as the schema grows.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

# Imported first, so the kernel is chosen once for the session: if a stale compiled kernel
# falls back to pure Python, the subprocesses tests start inherit that without a warning.
from sim.engine.kernel import PURE_PYTHON_VARIABLE, kernel

REPO = Path(__file__).resolve().parent.parent
BASELINE = REPO / "experiments" / "baseline.yaml"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "pure_python_engine: the test patches engine methods, which compiled classes do not "
        "allow; where the compiled kernel is in use it runs in a subprocess on the "
        "pure-Python engine (tests/test_kernel.py shows both give the same numbers)",
    )


def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run a ``pure_python_engine`` test in a subprocess on the pure-Python engine if need be."""
    if pyfuncitem.get_closest_marker("pure_python_engine") is None or kernel().startswith("pure"):
        return None
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", pyfuncitem.nodeid],
        cwd=REPO,
        env={**os.environ, PURE_PYTHON_VARIABLE: "1"},
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        pytest.fail(f"failed on the pure-Python engine:\n{result.stdout[-4000:]}", pytrace=False)
    return True


@pytest.fixture(scope="session")
def _baseline_data() -> dict[str, Any]:
    return yaml.safe_load(BASELINE.read_text(encoding="utf-8"))


@pytest.fixture
def baseline(_baseline_data: dict[str, Any]) -> dict[str, Any]:
    """A fresh, modifiable copy of ``experiments/baseline.yaml`` as loaded from YAML."""
    return copy.deepcopy(_baseline_data)


def shrink(data: dict[str, Any]) -> dict[str, Any]:
    """Make an experiment fast: one measured week, a tenth of the team, a twentieth of the leads."""
    data["name"] = "tiny"
    data["replications"] = 2
    scenario = data["scenario"]
    scenario.update(horizon="1w", warmup="0m", drain="1w")
    for source in scenario["sources"]:
        source["leads_per_week"] = max(1, source["leads_per_week"] // 20)
    for group in scenario["reps"]:
        group["count"] = max(1, group["count"] // 10)
    return data


@pytest.fixture
def tiny(baseline: dict[str, Any]) -> dict[str, Any]:
    """The baseline shrunk to run in a fraction of a second (see :func:`shrink`)."""
    return shrink(baseline)


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[..., Path]:
    """``write_yaml(data, name="experiment.yaml")`` writes *data* under tmp_path; returns the path."""

    def write(data: Any, name: str = "experiment.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path

    return write


def only_run_folder(out: Path, experiment: str = "tiny") -> Path:
    """The one finished run folder under ``out/<experiment>/`` (staging folders left out)."""
    folders = [p for p in (out / experiment).iterdir() if not p.name.startswith(".")]
    assert len(folders) == 1, folders
    return folders[0]


def interrupt_after_saves(monkeypatch: pytest.MonkeyPatch, saves: int) -> Callable[..., None]:
    """Make a resumable verb stop as Ctrl-C would, right after its *saves*-th checkpoint.

    Returns the original ``Checkpoint.save``, to put back before resuming.
    """
    from sim.analysis.sweeps import Checkpoint

    save = Checkpoint.save
    calls = {"n": 0}

    def save_then_interrupt(self: Checkpoint, *args: Any) -> None:
        save(self, *args)
        calls["n"] += 1
        if calls["n"] == saves:
            raise KeyboardInterrupt

    monkeypatch.setattr(Checkpoint, "save", save_then_interrupt)
    return save
