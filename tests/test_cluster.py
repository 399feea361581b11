"""--cluster: the same bytes as local processes, through a lost worker; refused when unreachable or another version.

Starts its own ``dask scheduler`` and two ``dask worker`` processes (one thread
each) on 127.0.0.1 with random free ports; the workers import this checkout
(PYTHONPATH). Skipped when the optional ``distributed`` package is missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

distributed = pytest.importorskip(
    "distributed", reason="needs the optional Dask package: pip install -e '.[cluster]'"
)

import sim.analysis.sweeps  # noqa: E402
from sim.analysis.executors import DaskCluster, salespulse_version  # noqa: E402
from sim.analysis.sweeps import sweep  # noqa: E402
from sim.cli import main  # noqa: E402
from sim.config import ConfigError  # noqa: E402
from sim.experiment import load_experiment  # noqa: E402

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
SWEEP = REPO / "experiments" / "sweep_team_size.yaml"
COMPARE = REPO / "experiments" / "compare_speed_to_lead.yaml"
BASELINE = REPO / "experiments" / "baseline.yaml"
TUNE = REPO / "experiments" / "tune_cadence.yaml"
FAST = [  # one measured week followed for a day: ~0.1 s a replication
    *("--set", "scenario.horizon=1w", "--set", "scenario.warmup=0m"),
    *("--set", "scenario.drain=1d", "--set", "replications=2"),
]
SWEEP_POINTS = 20
SAVE = sim.analysis.sweeps.Checkpoint.save
STARTUP_SECONDS = 60


@dataclass
class Cluster:
    """A scheduler and its workers, each a process group of its own; logs go to *folder*."""

    folder: Path
    address: str = ""
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    client: Any = None

    def start(self, name: str, *args: str, source: Path = REPO) -> subprocess.Popen[bytes]:
        with (self.folder / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "dask", *args],
                env={**os.environ, "PYTHONPATH": str(source)},
                cwd=self.folder,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes[name] = process
        return process

    def start_worker(self, name: str, source: Path = REPO) -> None:
        """A worker with one process and one thread, importing salespulse from *source*."""
        self.start(
            name,
            *("worker", self.address, "--name", name, "--nworkers", "1", "--nthreads", "1"),
            *("--host", "127.0.0.1", "--no-dashboard", "--local-directory", str(self.folder)),
            source=source,
        )

    def worker_names(self) -> dict[str, str]:
        """Address of each worker the scheduler knows now, by name."""
        workers = self.client.scheduler_info()["workers"]
        return {info["name"]: address for address, info in workers.items()}

    def wait_for_workers(self, names: set[str], gone: str = "") -> None:
        """Wait until the scheduler knows exactly the workers called *names*, none at *gone*."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while set(self.worker_names()) != names or gone in self.worker_names().values():
            assert time.monotonic() < deadline, f"workers {names} never (or still) connected"
            time.sleep(0.1)

    def kill(self, name: str) -> None:
        """Kill a process and its children at once (SIGKILL: no goodbye to the scheduler)."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STARTUP_SECONDS)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A scheduler and two single-threaded workers on the loopback address."""
    running = Cluster(tmp_path_factory.mktemp("cluster"))
    scheduler_file = running.folder / "scheduler.json"
    running.start(
        "scheduler",
        *("scheduler", "--host", "127.0.0.1", "--port", "0"),
        *("--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(scheduler_file)),
    )
    try:
        running.client = distributed.Client(
            scheduler_file=str(scheduler_file), timeout=STARTUP_SECONDS, set_as_default=False
        )
        running.address = running.client.scheduler.address
        for name in ("one", "two"):
            running.start_worker(name)
        running.wait_for_workers({"one", "two"})
        yield running
    finally:
        if running.client is not None:
            running.client.close()
        for name in list(running.processes):
            running.kill(name)


def _run(verb: str, experiment: Path, out: Path, *extra: str) -> int:
    return main([verb, str(experiment), *FAST, "--out", str(out), "-q", "--no-report", *extra])


def _tables(out: Path) -> dict[str, bytes]:
    """Every CSV of the one finished run folder under *out*, as bytes."""
    (folder,) = (manifest.parent for manifest in out.glob("*/*/manifest.json"))
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.csv"))}


@pytest.fixture(scope="module")
def local_sweep(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    out = tmp_path_factory.mktemp("local_sweep")
    assert _run("sweep", SWEEP, out, "-j", "2") == 0
    return _tables(out)


def test_a_sweep_on_the_cluster_gives_the_local_bytes(
    cluster: Cluster,
    local_sweep: dict[str, bytes],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _run("sweep", SWEEP, tmp_path, "--cluster", cluster.address) == 0
    assert _tables(tmp_path) == local_sweep
    assert set(local_sweep) == {"points.csv", "replications.csv", "summary.csv"}
    err = capsys.readouterr().err
    assert f"Dask cluster {cluster.address}: 2 worker(s)" in err
    assert "dashboard http://127.0.0.1:" in err


@pytest.mark.parametrize(("verb", "experiment"), [("run", BASELINE), ("compare", COMPARE)])
def test_run_and_compare_on_the_cluster_give_the_local_bytes(
    cluster: Cluster, tmp_path: Path, verb: str, experiment: Path
) -> None:
    assert _run(verb, experiment, tmp_path / "local", "-j", "1") == 0
    assert _run(verb, experiment, tmp_path / "cluster", "--cluster", cluster.address) == 0
    local = _tables(tmp_path / "local")
    assert {"replications.csv", "summary.csv", "hourly.csv"} <= set(local)
    assert _tables(tmp_path / "cluster") == local


def test_the_tune_confirmation_on_the_cluster_gives_the_local_bytes(
    cluster: Cluster, tmp_path: Path
) -> None:
    """The trials run locally (--jobs); the confirmation's replications go to the cluster."""
    tiny_tune = [
        *("--set", "tune.replications=2", "--set", "tune.confirm_top=1"),
        *("--set", "tune.confirm_replications=2", "--trials", "2", "-j", "1"),
    ]
    assert _run("tune", TUNE, tmp_path / "local", *tiny_tune) == 0
    assert _run("tune", TUNE, tmp_path / "cluster", *tiny_tune, "--cluster", cluster.address) == 0
    local = _tables(tmp_path / "local")
    del local["trials.csv"]  # trial start and end times
    assert {"replications.csv", "differences.csv", "ranking.csv"} <= set(local)
    assert {name: _tables(tmp_path / "cluster")[name] for name in local} == local


def _saved_points(monkeypatch: pytest.MonkeyPatch, interrupt_after: int = 0) -> list[int]:
    """The points the next sweep checkpoints, in order; it stops as on Ctrl-C after *interrupt_after*."""
    saved: list[int] = []

    def save(self: sim.analysis.sweeps.Checkpoint, point: int, *args: Any) -> None:
        SAVE(self, point, *args)
        saved.append(point)
        if len(saved) == interrupt_after:
            raise KeyboardInterrupt

    monkeypatch.setattr(sim.analysis.sweeps.Checkpoint, "save", save)
    return saved


def test_a_sweep_interrupted_on_the_cluster_resumes_locally_and_back(
    cluster: Cluster,
    local_sweep: dict[str, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first = _saved_points(monkeypatch, interrupt_after=4)
    assert _run("sweep", SWEEP, tmp_path, "--cluster", cluster.address) == 130
    (partial,) = tmp_path.glob("*/*.partial")
    second = _saved_points(monkeypatch, interrupt_after=4)
    assert _run("sweep", SWEEP, tmp_path, "--resume", str(partial), "-j", "2") == 130
    third = _saved_points(monkeypatch)
    assert (
        _run("sweep", SWEEP, tmp_path, "--resume", str(partial), "--cluster", cluster.address) == 0
    )
    assert sorted(first + second + third) == list(range(SWEEP_POINTS))
    assert _tables(tmp_path) == local_sweep


def test_a_worker_killed_mid_sweep_loses_nothing(
    cluster: Cluster,
    local_sweep: dict[str, bytes],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    victim = cluster.worker_names()["two"]
    saved = _saved_points(monkeypatch)
    killed = threading.Event()

    def kill_worker_two_mid_task() -> None:
        """Once some points are saved and worker two is busy, kill it; a replacement starts."""
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            busy = cluster.client.processing().get(victim, ())
            if saved and any(key.startswith("replication-") for key in busy):
                cluster.kill("two")
                killed.set()
                cluster.start_worker("two")
                return
            time.sleep(0.02)

    killer = threading.Thread(target=kill_worker_two_mid_task)
    killer.start()
    try:
        status = _run("sweep", SWEEP, tmp_path, "--cluster", cluster.address)
    finally:
        killer.join()
        cluster.wait_for_workers({"one", "two"}, gone=victim)  # the replacement is in
    assert killed.is_set(), "the sweep finished before worker two could be killed mid-task"
    assert status == 0
    assert sorted(saved) == list(range(SWEEP_POINTS))  # every point reported exactly once
    assert _tables(tmp_path) == local_sweep


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("address", ["scheduler", "http://10.0.0.5:8786", "tcp://10.0.0.5"])
def test_a_malformed_address_is_exit_2_before_anything_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], address: str
) -> None:
    out = tmp_path / "results"
    assert _run("sweep", SWEEP, out, "--cluster", address) == 2
    err = capsys.readouterr().err
    assert f"error: cluster {address!r}: expected a Dask scheduler address tcp://host:port" in err
    assert not out.exists()


def test_without_dask_the_cluster_flag_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # `import distributed` fails
    out = tmp_path / "results"
    assert _run("sweep", SWEEP, out, "--cluster", "tcp://127.0.0.1:8786") == 2
    err = capsys.readouterr().err
    assert "error: cluster tcp://127.0.0.1:8786: needs the optional Dask package" in err
    assert "pip install 'salespulse[cluster]'" in err
    assert not out.exists()


def test_an_unreachable_scheduler_is_exit_2_before_anything_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    address = f"tcp://127.0.0.1:{_free_port()}"
    monkeypatch.setenv("SALESPULSE_CLUSTER", address)
    out = tmp_path / "results"
    threads = {thread.ident for thread in threading.enumerate()}
    assert _run("sweep", SWEEP, out) == 2
    err = capsys.readouterr().err
    assert f"error: cluster {address}: no Dask scheduler answered" in err
    assert "Traceback" not in err
    assert not out.exists()
    # No Dask IO-loop thread is left behind (it would stop later forks, e.g. the figure helper).
    assert {thread.ident for thread in threading.enumerate()} <= threads


def test_workers_running_other_code_are_refused_with_both_versions(
    cluster: Cluster, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other_checkout"
    for package in ("sim", "policies"):
        shutil.copytree(REPO / package, other / package, ignore=shutil.ignore_patterns("*.pyc"))
    with (other / "policies" / "cadence.py").open("a", encoding="utf-8") as changed:
        changed.write("# a local edit that was never deployed to this machine\n")
    mine = salespulse_version()
    out = tmp_path / "results"
    experiment = load_experiment(SWEEP, [arg for arg in FAST if arg != "--set"])
    connected = DaskCluster(cluster.address)  # checked before the other worker joins
    cluster.start_worker("other", source=other)
    address = ""
    try:
        cluster.wait_for_workers({"one", "two", "other"})
        address = cluster.worker_names()["other"]
        with pytest.raises(ConfigError, match="a worker was refused") as late:
            sweep(experiment, jobs=connected)
        assert _run("sweep", SWEEP, out, "--cluster", cluster.address) == 2
    finally:
        cluster.kill("other")
        cluster.wait_for_workers({"one", "two"}, gone=address)
    assert f"the client runs {mine}" in str(late.value)
    err = capsys.readouterr().err
    assert f"error: cluster {cluster.address}: worker {address} runs salespulse " in err
    theirs = err.split(f"worker {address} runs ", 1)[1].split(", but", 1)[0]
    assert "source " in theirs and theirs != mine
    assert f"this worker runs {theirs}" in str(late.value)
    assert f"but this machine runs {mine}" in err
    assert not out.exists()
