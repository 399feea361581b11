"""Where replications run: this machine's processes, or a Dask cluster.

A replication is a pure function of its :class:`Job` (scenario, cadence, seed),
so it can run anywhere and be run again after a lost worker with the same
result. An :class:`Executor` runs a list of jobs and reports each result once,
by its index in the list; the caller puts results back in job order, so the
numbers never depend on where or in which order the jobs ran.

- :class:`LocalProcesses` (the default): a process pool on this machine.
- :class:`DaskCluster`: the workers of a running ``dask scheduler``, e.g.
  ``DaskCluster("tcp://scheduler:8786")``. Needs the optional ``distributed``
  package (``pip install "salespulse[cluster]"``). Every worker must run the
  same salespulse source as this machine (:func:`salespulse_version`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import socket
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from policies.cadence import Cadence
from sim.config import ConfigError
from sim.config.scenario import Scenario
from sim.engine.floor import SalesFloor
from sim.engine.kpis import replication_kpis

Measure = Callable[[SalesFloor], Any]
"""Turns a finished replication into what the caller keeps (a module-level function, so it pickles)."""

Finished = Callable[[int, Any], None]
"""Called once per job with its index in the job list and its measured result."""

Meanwhile = Callable[[], None] | None
"""Called once in this process while the jobs run elsewhere, e.g. to import what comes after."""

CONNECT_TIMEOUT_SECONDS = 5.0
"""How long to wait for a Dask scheduler to answer before giving up."""

_SCHEDULER_ADDRESS = re.compile(r"(tcp://)?(\[[0-9a-fA-F:.]+\]|[^\s:/@\[\]]+):(\d{1,5})")
"""tcp://host:port, as ``dask scheduler`` prints it (host may be an [IPv6 address])."""

_SOURCE_PACKAGES = ("sim", "policies")
_SOURCE_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Job:
    """One replication to run: a scenario, a cadence and a seed."""

    scenario: Scenario
    cadence: Cadence
    seed: np.random.SeedSequence


def run_replication(job: Job, measure: Measure = replication_kpis) -> Any:
    """One replication, measured (by default: its KPIs)."""
    return measure(SalesFloor(job.scenario, job.cadence, job.seed).simulate())


@functools.cache
def salespulse_version() -> str:
    """This installation's identity: package version and a digest of its source files.

    Two machines give the same numbers for the same seed only if they run the
    same code, so the digest covers every ``.py`` file of ``sim`` and ``policies``.
    """
    digest = hashlib.sha256()
    for package in _SOURCE_PACKAGES:
        for path in sorted((_SOURCE_ROOT / package).rglob("*.py")):
            digest.update(path.relative_to(_SOURCE_ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    try:
        number = metadata.version("salespulse")
    except metadata.PackageNotFoundError:
        number = "(not installed)"
    return f"salespulse {number}, source {digest.hexdigest()[:12]}"


class Executor(ABC):
    """Runs jobs somewhere."""

    @abstractmethod
    def run(
        self, jobs: Sequence[Job], measure: Measure, finished: Finished, meanwhile: Meanwhile = None
    ) -> None:
        """Run every job and call *finished(index, result)* once per job, as each finishes.

        *meanwhile()* is called once, as soon as the jobs are on their way (before
        them when they run in this process). Ctrl-C (or an exception from
        *finished* or *meanwhile*) cancels the jobs not yet started.
        """


Workers = int | Executor
"""Where the replications of a verb run: a number of local processes, or an :class:`Executor`."""


PARENT_CHECK_SECONDS = 1.0
"""How often a worker process checks that the process that started it is still alive."""


def exit_with_parent(parent: int) -> None:
    """Worker-pool initializer: end this worker as soon as *parent* (the pool's owner) is gone.

    A killed parent cannot shut its pool down; without this its workers would wait
    for work forever. A daemon thread polls the parent id (portable, no signals).
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


@dataclass(frozen=True)
class LocalProcesses(Executor):
    """Worker processes on this machine (one means: in this process, no pool)."""

    processes: int = 1

    def run(
        self, jobs: Sequence[Job], measure: Measure, finished: Finished, meanwhile: Meanwhile = None
    ) -> None:
        if self.processes <= 1 or len(jobs) <= 1:
            if meanwhile:
                meanwhile()
            for index, job in enumerate(jobs):
                finished(index, run_replication(job, measure))
            return
        with ProcessPoolExecutor(
            max_workers=min(self.processes, len(jobs)),
            initializer=exit_with_parent,
            initargs=(os.getpid(),),
        ) as pool:
            # The first submit forks every worker (while this process runs no other thread).
            pending: dict[Future[Any], int] = {
                pool.submit(run_replication, job, measure): index for index, job in enumerate(jobs)
            }
            try:
                if meanwhile:
                    meanwhile()
                while pending:
                    done, _ = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        finished(pending.pop(future), future.result())
            except BaseException:
                for future in pending:
                    future.cancel()
                raise


class VersionMismatch(RuntimeError):
    """A Dask worker runs different salespulse code than the machine that sent the job."""


def _arm(scenario: Scenario, cadence: Cadence) -> tuple[Scenario, Cadence]:
    """A Dask task holding one arm's resolved experiment (recomputed if its worker dies)."""
    return scenario, cadence


def _replicate_on_worker(
    expected_version: str,
    arm: tuple[Scenario, Cadence],
    seed: np.random.SeedSequence,
    measure: Measure,
) -> Any:
    """A Dask task: one replication, refused by a worker that runs other code."""
    if salespulse_version() != expected_version:
        raise VersionMismatch(
            f"this worker runs {salespulse_version()}; the client runs {expected_version}"
        )
    return run_replication(Job(*arm, seed), measure)


def _worker_version_problem(client: Any) -> str | None:
    """Why the workers connected to *client* cannot run this salespulse (None when they all can)."""
    mine = salespulse_version()
    try:
        theirs: dict[str, str] = client.run(salespulse_version)
    except Exception as exc:  # a worker without salespulse, or too old to have this function
        return (
            f"a worker cannot run {mine} ({type(exc).__name__}: {exc}); install it on every worker"
        )
    for worker, version in sorted(theirs.items()):
        if version != mine:
            return (
                f"worker {worker} runs {version}, but this machine runs {mine}; "
                "install the same salespulse (same commit) on every worker"
            )
    return None


class DaskCluster(Executor):
    """The workers of a running Dask scheduler, e.g. ``DaskCluster("tcp://10.0.0.5:8786")``.

    Creating one checks that the scheduler answers within *timeout_seconds* and
    that every worker runs this machine's :func:`salespulse_version`; either
    failure is a :class:`ConfigError` naming the address (and both versions).
    Each :meth:`run` connects for its own duration, so nothing needs closing.
    Each arm's resolved scenario and cadence travel once, as a task the
    replications depend on; each replication sends only its seed and returns its
    measured result. A worker that dies mid-task loses only its unfinished work,
    which the scheduler runs again elsewhere; a worker that joins later running
    other code is refused by the first replication it is given.
    """

    def __init__(self, address: str, timeout_seconds: float = CONNECT_TIMEOUT_SECONDS) -> None:
        if not _SCHEDULER_ADDRESS.fullmatch(address):
            raise ConfigError(
                f"cluster {address!r}: expected a Dask scheduler address tcp://host:port, "
                "such as tcp://10.0.0.5:8786"
            )
        self.address = address
        self.timeout_seconds = timeout_seconds
        with self._connect() as client:
            problem = _worker_version_problem(client)
            if problem:
                raise ConfigError(f"cluster {address}: {problem}")
            self.threads_by_worker: dict[str, int] = client.nthreads()
            try:
                self.dashboard: str | None = client.dashboard_link
            except KeyError:  # the scheduler runs without a dashboard
                self.dashboard = None

    def _connect(self) -> Any:
        """A ``distributed.Client`` of the scheduler (a context manager that disconnects)."""
        try:
            from distributed import Client
        except ImportError:
            raise ConfigError(
                f"cluster {self.address}: needs the optional Dask package; "
                "install it with pip install 'salespulse[cluster]'"
            ) from None
        try:
            # A plain socket first: a Client that cannot connect leaves its IO-loop thread behind.
            host, port = _SCHEDULER_ADDRESS.fullmatch(self.address).group(2, 3)  # type: ignore[union-attr]
            socket.create_connection(
                (host.strip("[]"), int(port)), timeout=self.timeout_seconds
            ).close()
            return Client(self.address, timeout=self.timeout_seconds, set_as_default=False)
        except OSError as exc:
            raise ConfigError(
                f"cluster {self.address}: no Dask scheduler answered within {self.timeout_seconds:g} s "
                f"({exc}); expected the address of a running `dask scheduler`, such as tcp://host:8786"
            ) from None

    def describe(self) -> str:
        """For the user: address, workers and dashboard (and a hint if workers are threaded)."""
        dashboard = self.dashboard or "none (install bokeh where the scheduler runs)"
        threads = self.threads_by_worker
        line = (
            f"Dask cluster {self.address}: {len(threads)} worker(s), {sum(threads.values())} "
            f"thread(s); dashboard {dashboard}"
        )
        if max(threads.values(), default=1) > 1:  # one Python process: its threads share one core
            line += "\n  hint: start workers with --nthreads 1 --nworkers N to use N cores each"
        return line

    def run(
        self, jobs: Sequence[Job], measure: Measure, finished: Finished, meanwhile: Meanwhile = None
    ) -> None:
        from distributed import as_completed

        if not jobs:  # e.g. a resumed sweep whose points were all finished
            if meanwhile:
                meanwhile()
            return
        batch = uuid.uuid4().hex[:8]
        arms: dict[tuple[int, int], Any] = {}
        index_of: dict[Any, int] = {}
        # Leaving the `with` disconnects, which releases every task not yet finished.
        with self._connect() as client:
            for index, job in enumerate(jobs):
                identity = (id(job.scenario), id(job.cadence))
                if identity not in arms:
                    arms[identity] = client.submit(
                        _arm, job.scenario, job.cadence, key=f"arm-{batch}-{len(arms)}"
                    )
                future = client.submit(
                    _replicate_on_worker,
                    salespulse_version(),
                    arms[identity],
                    job.seed,
                    measure,
                    key=f"replication-{batch}-{index}",
                )
                index_of[future] = index
            if meanwhile:
                meanwhile()
            try:
                for future, result in as_completed(
                    list(index_of), loop=client.loop, with_results=True
                ):
                    finished(index_of.pop(future), result)
            except VersionMismatch as exc:
                raise ConfigError(f"cluster {self.address}: a worker was refused: {exc}") from None
