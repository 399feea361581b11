"""Where ``python -m sim run`` spends its time, and what it would take on an idle machine.

Run ``python -m benchmarks.cli_run`` from the repository root (about 15 s on 2 idle
cores; ``--replications 4`` for a quick look). Issue 14 asks for the command with no
arguments (20 replications of the default experiment and the report) to finish in
under 15 s of wall time on 2 cores.

The machine this project is developed on is shared, so wall time alone says little:
other processes take cores away at random. CPU time is much less disturbed, so each
part of the command is measured in a fresh process both ways, and the wall time on an
idle machine is *estimated* from CPU time: the serial parts (start-up, loading the
experiment, the report) count in full, the replications count as the CPU time of
the workers and of this process (which imports the report's code meanwhile) divided
by the workers, and the report as the larger CPU time of the two processes that share
its figures (:mod:`sim.report.figures.catalogue`). The load average is printed
before and after, so a reader can tell a quiet measurement from a disturbed one.

Parts, in the order the command runs them:

1. **start-up**: the interpreter's start and importing ``sim.cli`` (everything
   ``python -m sim`` imports before it parses its arguments: what the worker
   processes need, not the report's matplotlib);
2. **experiment**: reading and validating ``experiments/baseline.yaml``;
3. **replications**: :func:`sim.analysis.run` on ``--jobs`` worker processes (default:
   the cores this process may use), the workers forked after start-up; meanwhile
   this process imports the report's code (``meanwhile=import_report_code``, as
   the command does), so its CPU time shares the cores with the workers';
4. **report**: :func:`sim.report.saving.save_run`: tables, figures, HTML and PDF;
5. **exit**: the interpreter's teardown (``python -m sim`` freezes the garbage
   collector first, so it does not walk every object it made before exiting).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass

TARGET_SECONDS = 15.0
"""Issue 14: ``python -m sim run`` with no arguments, wall time on 2 cores."""


@dataclass(frozen=True)
class Part:
    """One part of the command: wall time, and CPU time of this process and of its children."""

    name: str
    wall: float
    cpu: float
    children_cpu: float
    idle_estimate: float
    """Seconds this part would take on an idle machine, from its CPU time."""


def _cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process and of its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


class _Stopwatch:
    """Measures consecutive parts of one process, the first one from *started_at*.

    *started_at* is a ``time.perf_counter()`` reading (system-wide on Linux and macOS)
    taken by the process that started this one; CPU counts from this process's start.
    """

    def __init__(self, started_at: float) -> None:
        self.parts: list[Part] = []
        self._wall = started_at
        self._cpu, self._children = 0.0, 0.0

    def lap(self, name: str, workers: int = 0) -> None:
        """End part *name*.

        *workers*: how many child processes ran while this process did its share of
        the part on the same cores: their CPU and this process's spread over the
        workers, but never less than this process's own (it cannot be split);
        0: one helper ran beside this process, and the slower of the two decides
        (the idle estimate is the larger CPU time).
        """
        cpu, children = _cpu()
        own, theirs = cpu - self._cpu, children - self._children
        estimate = max(own, (own + theirs) / workers) if workers else max(own, theirs)
        self.parts.append(Part(name, time.perf_counter() - self._wall, own, theirs, estimate))
        self._wall = time.perf_counter()
        self._cpu, self._children = cpu, children


def measure_parts(replications: int | None, jobs: int | None, started_at: float) -> list[Part]:
    """The command's parts, measured in this fresh process (started at *started_at*).

    Nothing but the standard library is imported before, so the first part is the
    start-up of ``python -m sim``: the interpreter and everything ``sim.cli`` imports.
    """
    watch = _Stopwatch(started_at)
    gc.disable()  # as sim/__main__.py: no collections while importing, then freeze
    import sim.cli  # noqa: F401 -- what `python -m sim` imports before parsing its arguments
    from sim.analysis import run
    from sim.analysis.replications import default_jobs
    from sim.experiment import load_experiment
    from sim.report.run_folder import import_report_code
    from sim.report.saving import save_run

    gc.freeze()
    gc.enable()
    watch.lap("start-up (python, import sim.cli)")
    experiment = load_experiment(None, [])
    watch.lap("experiment (load and validate)")
    workers = jobs or default_jobs()
    result = run(experiment, replications=replications, jobs=workers, meanwhile=import_report_code)
    n = replications or experiment.replications
    watch.lap(f"replications ({n} on {workers} workers) + report imports", workers=min(workers, n))
    with tempfile.TemporaryDirectory() as out:
        save_run(result, out, jobs=workers, wall_seconds=watch.parts[-1].wall, report=True)
        watch.lap("report (tables, figures, HTML, PDF)")  # the figure helper runs beside
    return watch.parts


def measure_in_fresh_process(replications: int | None, jobs: int | None) -> list[Part]:
    """:func:`measure_parts` in a fresh interpreter, so start-up imports are really measured.

    The last part, the interpreter's exit, is measured from here: the wall time after
    the last part, and the CPU time of the fresh process and its children that no
    part accounts for.
    """
    started_at = time.perf_counter()
    command = [sys.executable, "-m", "benchmarks.cli_run", "--parts-here"]
    command += ["--started-at", repr(started_at)]
    if replications:
        command += ["--replications", str(replications)]
    if jobs:
        command += ["--jobs", str(jobs)]
    children_before = _cpu()[1]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    wall, cpu = time.perf_counter() - started_at, _cpu()[1] - children_before
    parts = [Part(**part) for part in json.loads(output.strip().splitlines()[-1])]
    exit_cpu = cpu - sum(p.cpu + p.children_cpu for p in parts)
    exit_wall = wall - sum(p.wall for p in parts)
    return [*parts, Part("exit (interpreter teardown)", exit_wall, exit_cpu, 0.0, exit_cpu)]


def parts_report(parts: Sequence[Part]) -> str:
    """The parts as a table, with the idle-machine estimate against the target."""
    from benchmarks.common import table  # not at the top: it imports sim, which is measured

    rows = [
        [
            p.name,
            f"{p.wall:.2f}",
            f"{p.cpu:.2f}",
            f"{p.children_cpu:.2f}",
            f"{p.idle_estimate:.2f}",
        ]
        for p in parts
    ]
    wall = sum(p.wall for p in parts)
    estimate = sum(p.idle_estimate for p in parts)
    rows.append(
        [
            "total",
            f"{wall:.2f}",
            f"{sum(p.cpu for p in parts):.2f}",
            f"{sum(p.children_cpu for p in parts):.2f}",
            f"{estimate:.2f}",
        ]
    )
    verdict = "within" if estimate < TARGET_SECONDS else "over"
    return "\n".join(
        [
            table(
                ["part", "wall s", "CPU s", "children CPU s", "idle estimate s"],
                rows,
                align="lrrrr",
            ),
            "",
            f"  Estimated wall time on an idle machine: {estimate:.1f} s, {verdict} the issue 14 "
            f"target of {TARGET_SECONDS:g} s",
            "  (measured wall time above includes whatever else ran on the machine meanwhile).",
        ]
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.cli_run",
        description="Time each part of `python -m sim run` and estimate it on an idle machine.",
    )
    parser.add_argument("--replications", type=int, help="default: the experiment's (20)")
    parser.add_argument("--jobs", type=int, help="worker processes (default: the cores)")
    parser.add_argument("--parts-here", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--started-at", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.parts_here:  # the fresh process started by measure_in_fresh_process
        parts = measure_parts(args.replications, args.jobs, args.started_at or time.perf_counter())
        print(json.dumps([asdict(p) for p in parts]))
        gc.freeze()  # exit as `python -m sim` does (sim/__main__.py)
        return 0
    print(f"python -m sim run: load average {os.getloadavg()[0]:.1f} at the start")
    print(parts_report(measure_in_fresh_process(args.replications, args.jobs)))
    print(f"  load average {os.getloadavg()[0]:.1f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
