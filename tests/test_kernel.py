"""The compiled engine kernel and its pure-Python source: the same numbers, never a stale build.

``setup.py`` compiles the engine with mypyc and records the sha256 of each source;
:mod:`sim.engine.kernel` falls back to the ``.py`` sources when the record does not match
(or ``SALESPULSE_PURE_PYTHON=1``). The comparisons run in subprocesses, since a process
imports one kernel or the other; they are skipped only where no compiled kernel is built.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from sim.engine.kernel import (
    PURE_PYTHON_VARIABLE,
    SHARED_LIBRARY,
    SOURCES_RECORD,
    compiled_modules,
    kernel,
    stale_reason,
)

REPO = Path(__file__).resolve().parent.parent
ENGINE = REPO / "sim" / "engine"

needs_compiled = pytest.mark.skipif(
    not kernel().startswith("compiled"),
    reason=f"no usable compiled kernel here ({kernel()}); `pip install -e .` builds it",
)

_ONE_REPLICATION = """
import dataclasses
import numpy as np
import sim.engine.floor
from sim.analysis.outputs import replication_output
from sim.engine import SalesFloor, kernel, replication_seeds
from sim.experiment import load_experiment

np.set_printoptions(threshold=10**9, floatmode="unique")
experiment = load_experiment(None, ["scenario.horizon=2w", "scenario.warmup=1w"])
seed = replication_seeds(experiment.seed, 2)[1]
floor = SalesFloor(experiment.scenario, experiment.policy, seed).simulate()
print(kernel())
print(sim.engine.floor.__file__.rpartition(".")[2])
print(floor.events)
output = replication_output(floor)
for field in dataclasses.fields(output):
    print(field.name, repr(getattr(output, field.name)))
"""


def _run(code: str, pythonpath: Path = REPO, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != PURE_PYTHON_VARIABLE}
    environment.update(PYTHONPATH=str(pythonpath), **env)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=pythonpath,  # `python -c` puts the working folder first on the path
        capture_output=True,
        text=True,
        env=environment,
        check=True,
    )


@needs_compiled
def test_compiled_and_pure_python_kernels_give_identical_numbers() -> None:
    compiled = _run(_ONE_REPLICATION).stdout.splitlines()
    pure = _run(_ONE_REPLICATION, **{PURE_PYTHON_VARIABLE: "1"}).stdout.splitlines()
    assert compiled[0].startswith("compiled") and compiled[1] == "so"
    assert pure[0] == f"pure Python ({PURE_PYTHON_VARIABLE} is set)" and pure[1] == "py"
    assert int(compiled[2]) > 10_000  # events: a replication worth comparing
    assert compiled[2:] == pure[2:]


@needs_compiled
def test_an_edited_source_is_never_shadowed_by_its_stale_compiled_module(tmp_path: Path) -> None:
    # A copy of the packages alone (as a cluster worker may run) holds the whole kernel.
    for name in ("sim", "policies"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    floor = tmp_path / "sim" / "engine" / "floor.py"
    floor.write_text(floor.read_text("utf-8") + "# edited after the build\n", "utf-8")

    result = _run(
        "import os, subprocess, sys, sim.engine, sim.engine.floor as f\n"
        "print(sim.engine.kernel()); print(f.__file__)\n"
        "child = 'import sim.engine; print(sim.engine.kernel())'\n"
        "subprocess.run([sys.executable, '-c', child], check=True)",
        pythonpath=tmp_path,
    )

    kernel_line, floor_file, child_line = result.stdout.splitlines()
    assert kernel_line == "pure Python (floor.py changed since the compiled kernel was built)"
    assert floor_file == str(floor)
    warnings = [line for line in result.stderr.splitlines() if "KernelWarning" in line]
    assert len(warnings) == 1 and "pip install -e ." in warnings[0]
    assert result.stderr.splitlines() == warnings  # one line, no source line under it
    assert child_line == f"pure Python ({PURE_PYTHON_VARIABLE} is set)"  # and no second warning


def _fake_build(folder: Path, modules: dict[str, str]) -> None:
    """*modules* as sources with a compiled module beside each, mypyc's runtime and the record."""
    (folder / f"{SHARED_LIBRARY}.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    for name, text in modules.items():
        (folder / f"{name}.py").write_text(text, "utf-8")
        (folder / f"{name}.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    record = {
        name: hashlib.sha256(text.encode("utf-8")).hexdigest() for name, text in modules.items()
    }
    (folder / SOURCES_RECORD).write_text(json.dumps(record), "utf-8")


@pytest.mark.skipif(sys.platform != "linux", reason="the fake build names Linux extensions")
def test_the_record_decides_whether_the_compiled_modules_match(tmp_path: Path) -> None:
    _fake_build(tmp_path, {"floor": "x = 1\n", "people": "y = 2\n"})
    (tmp_path / "kpis.py").write_text("z = 3\n", "utf-8")  # never compiled: not part of it
    assert compiled_modules(tmp_path) == ["floor", "people"]
    assert stale_reason(tmp_path) is None

    (tmp_path / "people.py").write_text("y = 3\n", "utf-8")
    assert stale_reason(tmp_path) == "people.py changed since the compiled kernel was built"
    (tmp_path / "people.py").write_text("y = 2\n", "utf-8")

    (tmp_path / "floor.cpython-311-x86_64-linux-gnu.so").unlink()
    assert stale_reason(tmp_path) == "the compiled kernel is incomplete (floor is not compiled)"

    (tmp_path / f"{SHARED_LIBRARY}.cpython-311-x86_64-linux-gnu.so").unlink()
    assert (
        stale_reason(tmp_path)
        == f"the compiled kernel is incomplete ({SHARED_LIBRARY} is not compiled)"
    )

    _fake_build(tmp_path, {"floor": "x = 1\n"})
    assert stale_reason(tmp_path) == f"people is compiled but not in {SOURCES_RECORD}"

    (tmp_path / SOURCES_RECORD).unlink()
    assert stale_reason(tmp_path) == f"the compiled kernel has no readable {SOURCES_RECORD}"


def test_the_engine_modules_in_use_are_all_compiled_or_all_source() -> None:
    import sim.engine.floor
    import sim.engine.people

    suffixes = {Path(m.__file__ or "").suffix for m in (sim.engine.floor, sim.engine.people)}
    assert suffixes == ({".so"} if kernel().startswith("compiled") else {".py"})
    if not kernel().startswith("compiled"):
        assert kernel().startswith("pure Python (")
    assert (ENGINE / "kernel.py").exists() and "kernel" not in compiled_modules()
