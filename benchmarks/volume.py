"""CPU per event as the lead volume grows with the team (issue 14: flat within 15% from 1x to 8x).

The default scenario with every source's weekly volume and every rep group's count
multiplied by the same factor (1x, 2x, 4x, 8x), a shorter horizon so the 8x run
stays affordable, simulated once on the engine's lean clock and once with SimPy
keeping its events (:class:`benchmarks.simpy_clock.SimPyEvents`), best CPU time of the repeats.
The ratio "8x / 1x" of CPU per event is what the issue asks to keep near 1: a cost
per event that grows with volume means something in the engine grows with the
number of people or pending events (for SimPy's single heap: every far-future event).

The scales take turns (1x, 2x, 4x, 8x, then again), so a change in the machine's load
during the section touches every scale alike instead of only the ones measured then, and
each gets the same CPU time in a round (1x runs eight times, 8x once: see :func:`run_volume`).
Each timing covers ``simulate()`` whole, including the one garbage collection the run
sets off as it ends (see :func:`sim.engine.clock.garbage_collector_off`) and the freeing
of the events still pending then (the floor breaks its own reference cycles as it ends).
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.common import table
from benchmarks.simpy_clock import SimPyEvents
from sim.engine.clock import Clock
from sim.engine.floor import SalesFloor
from sim.engine.streams import replication_seeds
from sim.experiment import Experiment, load_experiment, validate_experiment

SCALES = (1, 2, 4, 8)
HORIZON_OVERRIDES = ("scenario.horizon=4w", "scenario.drain=2w")


@dataclass(frozen=True)
class VolumeRun:
    """One scale on one clock: events simulated and the best CPU seconds."""

    clock: str
    scale: int
    events: int
    cpu_seconds: float
    collector_seconds: float
    """CPU seconds of it spent in the cyclic garbage collector (timed by ``gc.callbacks``)."""

    @property
    def microseconds_per_event(self) -> float:
        return 1e6 * self.cpu_seconds / self.events

    @property
    def collector_microseconds_per_event(self) -> float:
        return 1e6 * self.collector_seconds / self.events


class CollectorTime:
    """Adds up the CPU time of every garbage collection while it is registered."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.process_time()
        else:
            self.seconds += time.process_time() - self._started


def scaled_experiment(scale: int) -> Experiment:
    """The default experiment with lead volume and team both *scale* times as large."""
    config = load_experiment(None, list(HORIZON_OVERRIDES)).to_config()
    for source in config["scenario"]["sources"]:
        source["leads_per_week"] *= scale
    for group in config["scenario"]["reps"]:
        group["count"] *= scale
    return validate_experiment(config, f"default experiment x{scale}")


def measure(experiment: Experiment, scale: int, simpy_clock: bool) -> VolumeRun:
    """One timed replication of *experiment* (the default one scaled *scale* times)."""
    seed = replication_seeds(1, 1)[0]
    clock = Clock(events=SimPyEvents()) if simpy_clock else None
    floor = SalesFloor(experiment.scenario, experiment.policy, seed, clock=clock)
    gc.collect()
    collector = CollectorTime()
    gc.callbacks.append(collector)
    try:
        started = time.process_time()
        floor.simulate()
        cpu_seconds = time.process_time() - started
    finally:
        gc.callbacks.remove(collector)
    clock_name = "SimPy" if simpy_clock else "lean"
    return VolumeRun(clock_name, scale, floor.events, cpu_seconds, collector.seconds)


def _added(a: VolumeRun, b: VolumeRun) -> VolumeRun:
    """Two runs of one scale and clock as one: their events and CPU seconds added."""
    return VolumeRun(
        a.clock,
        a.scale,
        a.events + b.events,
        a.cpu_seconds + b.cpu_seconds,
        a.collector_seconds + b.collector_seconds,
    )


def volume_report(runs: Sequence[VolumeRun], totals: Sequence[VolumeRun]) -> str:
    """CPU per event by scale and clock (the best run of each), and the growth from the
    smallest to the largest scale: of the best runs, and of *totals*, every run added up."""
    rows = [
        [
            r.clock,
            f"{r.scale}x",
            f"{r.events:,}",
            f"{r.cpu_seconds:.2f}",
            f"{r.microseconds_per_event:.2f}",
            f"{r.collector_microseconds_per_event:.2f}",
        ]
        for r in runs
    ]
    header = ["clock", "volume", "events", "CPU s", "us/event", "of which collector"]
    lines = [table(header, rows, align="llrrrr"), ""]
    for clock in dict.fromkeys(r.clock for r in runs):
        best = [r for r in runs if r.clock == clock]
        total = [r for r in totals if r.clock == clock]
        lines.append(
            f"  {clock}: CPU per event {best[-1].scale}x / {best[0].scale}x = "
            f"{_growth(best):.2f} (best runs), {_growth(total):.2f} (all runs, equal work) "
            "(issue 14 target: within 1.15)"
        )
    return "\n".join(lines)


def _growth(runs: Sequence[VolumeRun]) -> float:
    return runs[-1].microseconds_per_event / runs[0].microseconds_per_event


def run_volume(scales: Sequence[int] = SCALES, repeats: int = 2) -> str:
    """Every scale on both clocks, *repeats* rounds in turn: the best run of each, and all runs.

    In a round, each scale runs ``max(scales) // scale`` times (1x eight times, 8x once), so
    that every scale gets about the same CPU time to be measured in: a short run's best of
    few is more exposed to the machine's load than a long one's, which would make the
    ratio look better or worse by chance. Two figures of the growth:

    - *best runs*: the best of each scale. More tries can only lower the small scales'
      best, so it errs on the high side (docs/performance.md, "Session 10");
    - *all runs, equal work*: every run's CPU time and events added up, the same work at
      every scale, the same statistic at each.
    """
    load_before = os.getloadavg()[0]
    experiments = {scale: scaled_experiment(scale) for scale in scales}
    best: dict[tuple[str, int], VolumeRun] = {}
    totals: dict[tuple[str, int], VolumeRun] = {}
    for _ in range(repeats):
        for simpy_clock in (False, True):
            for scale in scales:
                for _ in range(max(scales) // scale):
                    run = measure(experiments[scale], scale, simpy_clock)
                    fastest = best.get((run.clock, scale))
                    if fastest is None or run.cpu_seconds < fastest.cpu_seconds:
                        best[run.clock, scale] = run
                    total = totals.get((run.clock, scale))
                    totals[run.clock, scale] = run if total is None else _added(total, run)
    report = volume_report(list(best.values()), list(totals.values()))
    return f"{report}\n  load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after"
