"""The compiled engine kernel and its pure-Python source: the same numbers, never a stale build.

``setup.py`` compiles the engine and the curve arithmetic (:mod:`sim.config.fades`) with
mypyc and records the sha256 of each source; :mod:`sim.engine.kernel` falls back to the
``.py`` sources when the record does not match (or ``SALESPULSE_PURE_PYTHON=1``), whichever
of :mod:`sim.config` and :mod:`sim.engine` is imported first. The comparisons run in subprocesses, since a process
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
PACKAGE = REPO / "sim"

needs_compiled = pytest.mark.skipif(
    not kernel().startswith("compiled"),
    reason=f"no usable compiled kernel here ({kernel()}); `pip install -e .` builds it",
)

_ONE_REPLICATION = """
import dataclasses
import numpy as np
import sim.config.fades
import sim.engine.floor
from sim.analysis.outputs import replication_output
from sim.engine import SalesFloor, kernel, replication_seeds
from sim.experiment import load_experiment

np.set_printoptions(threshold=10**9, floatmode="unique")
experiment = load_experiment(None, ["scenario.horizon=2w", "scenario.warmup=1w"])
seed = replication_seeds(experiment.seed, 2)[1]
floor = SalesFloor(experiment.scenario, experiment.policy, seed).simulate()
print(kernel())
print(sim.engine.floor.__file__.rpartition(".")[2], sim.config.fades.__file__.rpartition(".")[2])
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
    assert compiled[0].startswith("compiled") and compiled[1] == "so so"
    assert pure[0] == f"pure Python ({PURE_PYTHON_VARIABLE} is set)" and pure[1] == "py py"
    assert int(compiled[2]) > 10_000  # events: a replication worth comparing
    assert compiled[2:] == pure[2:]


@needs_compiled
@pytest.mark.parametrize(
    ("edited", "first"),
    [("engine/floor.py", "sim.engine"), ("config/fades.py", "sim.config")],
    ids=["engine", "fades"],
)
def test_an_edited_source_is_never_shadowed_by_its_stale_compiled_module(
    tmp_path: Path, edited: str, first: str
) -> None:
    # A copy of the packages alone (as a cluster worker may run) holds the whole kernel.
    for name in ("sim", "policies"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    source = tmp_path / "sim" / edited
    source.write_text(source.read_text("utf-8") + "# edited after the build\n", "utf-8")

    # Whichever package comes first (a notebook may import sim.config alone), no kernel
    # module is compiled: not the edited one, not the others.
    result = _run(
        f"import os, subprocess, sys, {first}, sim.config.fades as c, sim.engine.floor as f\n"
        "print(sim.engine.kernel()); print(f.__file__); print(c.__file__)\n"
        "child = 'import sim.engine; print(sim.engine.kernel())'\n"
        "subprocess.run([sys.executable, '-c', child], check=True)",
        pythonpath=tmp_path,
    )

    kernel_line, floor_file, fades_file, child_line = result.stdout.splitlines()
    assert kernel_line == f"pure Python (sim/{edited} changed since the compiled kernel was built)"
    assert floor_file == str(tmp_path / "sim" / "engine" / "floor.py")
    assert fades_file == str(tmp_path / "sim" / "config" / "fades.py")
    warnings = [line for line in result.stderr.splitlines() if "KernelWarning" in line]
    assert len(warnings) == 1 and "pip install -e ." in warnings[0]
    assert result.stderr.splitlines() == warnings  # one line, no source line under it
    assert child_line == f"pure Python ({PURE_PYTHON_VARIABLE} is set)"  # and no second warning


def _fake_build(package: Path, modules: dict[str, str]) -> None:
    """*modules* (``engine.floor``: its source) as sources in the *package* folder with a
    compiled module beside each, mypyc's runtime and the record (in ``config``)."""
    (package / "config").mkdir(parents=True, exist_ok=True)
    (package / "config" / f"{SHARED_LIBRARY}.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    for name, text in modules.items():
        folder, _, module = name.rpartition(".")
        (package / folder).mkdir(parents=True, exist_ok=True)
        (package / folder / f"{module}.py").write_text(text, "utf-8")
        (package / folder / f"{module}.cpython-311-x86_64-linux-gnu.so").write_bytes(b"")
    record = {
        name: hashlib.sha256(text.encode("utf-8")).hexdigest() for name, text in modules.items()
    }
    (package / "config" / SOURCES_RECORD).write_text(json.dumps(record), "utf-8")


@pytest.mark.skipif(sys.platform != "linux", reason="the fake build names Linux extensions")
def test_the_record_decides_whether_the_compiled_modules_match(tmp_path: Path) -> None:
    package = tmp_path / "sim"
    _fake_build(
        package, {"engine.floor": "x = 1\n", "engine.people": "y = 2\n", "config.fades": "f = 0\n"}
    )
    (package / "engine" / "kpis.py").write_text(
        "z = 3\n", "utf-8"
    )  # never compiled: not part of it
    assert compiled_modules(package) == ["config.fades", "engine.floor", "engine.people"]
    assert stale_reason(package) is None

    (package / "config" / "fades.py").write_text("f = 1\n", "utf-8")
    assert (
        stale_reason(package) == "sim/config/fades.py changed since the compiled kernel was built"
    )
    (package / "config" / "fades.py").write_text("f = 0\n", "utf-8")

    (package / "engine" / "people.py").write_text("y = 3\n", "utf-8")
    assert (
        stale_reason(package) == "sim/engine/people.py changed since the compiled kernel was built"
    )
    (package / "engine" / "people.py").write_text("y = 2\n", "utf-8")

    (package / "config" / "fades.cpython-311-x86_64-linux-gnu.so").unlink()
    assert (
        stale_reason(package) == "the compiled kernel is incomplete (config.fades is not compiled)"
    )

    (package / "config" / f"{SHARED_LIBRARY}.cpython-311-x86_64-linux-gnu.so").unlink()
    assert (
        stale_reason(package)
        == f"the compiled kernel is incomplete ({SHARED_LIBRARY} is not compiled)"
    )

    _fake_build(package, {"engine.floor": "x = 1\n"})
    assert stale_reason(package) == f"engine.people is compiled but not in {SOURCES_RECORD}"

    (package / "config" / SOURCES_RECORD).unlink()
    assert stale_reason(package) == f"the compiled kernel has no readable {SOURCES_RECORD}"


def test_the_kernel_modules_in_use_are_all_compiled_or_all_source() -> None:
    import sim.config.fades
    import sim.config.slipping
    import sim.config.weekly_calendar
    import sim.engine.floor
    import sim.engine.people

    modules = (
        sim.config.fades,
        sim.config.slipping,
        sim.config.weekly_calendar,
        sim.engine.floor,
        sim.engine.people,
    )
    suffixes = {Path(m.__file__ or "").suffix for m in modules}
    assert suffixes == ({".so"} if kernel().startswith("compiled") else {".py"})
    if not kernel().startswith("compiled"):
        assert kernel().startswith("pure Python (")
    assert (PACKAGE / "engine" / "kernel.py").exists()
    assert not {"engine.kernel", "config.response_curves"} & set(compiled_modules())
