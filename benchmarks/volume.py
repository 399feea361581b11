"""CPU per event as the lead volume grows with the team (issue 14: flat within 15% from 1x to 8x).

The default scenario with every source's weekly volume and every rep group's count
multiplied by the same factor (1x, 2x, 4x, 8x), a shorter horizon so the 8x run
stays affordable, simulated once on the engine's lean clock and once with SimPy
as its clock (:class:`benchmarks.simpy_clock.SimPyClock`), best CPU time of the repeats.
The ratio "8x / 1x" of CPU per event is what the issue asks to keep near 1: a cost
per event that grows with volume means something in the engine grows with the
number of people or pending events (for SimPy's single heap: every far-future event).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Sequence
from dataclasses import dataclass

from benchmarks.common import table
from benchmarks.simpy_clock import SimPyClock
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

    @property
    def microseconds_per_event(self) -> float:
        return 1e6 * self.cpu_seconds / self.events


def scaled_experiment(scale: int) -> Experiment:
    """The default experiment with lead volume and team both *scale* times as large."""
    config = load_experiment(None, list(HORIZON_OVERRIDES)).to_config()
    for source in config["scenario"]["sources"]:
        source["leads_per_week"] *= scale
    for group in config["scenario"]["reps"]:
        group["count"] *= scale
    return validate_experiment(config, f"default experiment x{scale}")


def measure(scale: int, simpy_clock: bool, repeats: int) -> VolumeRun:
    experiment = scaled_experiment(scale)
    seed = replication_seeds(1, 1)[0]
    best, events = float("inf"), 0
    for _ in range(repeats):
        clock = SimPyClock() if simpy_clock else None
        floor = SalesFloor(experiment.scenario, experiment.policy, seed, clock=clock)
        gc.collect()
        started = time.process_time()
        floor.simulate()
        best = min(best, time.process_time() - started)
        events = floor.events
    return VolumeRun("SimPy" if simpy_clock else "lean", scale, events, best)


def volume_report(runs: Sequence[VolumeRun]) -> str:
    """CPU per event by scale and clock, and the growth from the smallest to the largest scale."""
    rows = [
        [
            r.clock,
            f"{r.scale}x",
            f"{r.events:,}",
            f"{r.cpu_seconds:.2f}",
            f"{r.microseconds_per_event:.2f}",
        ]
        for r in runs
    ]
    lines = [table(["clock", "volume", "events", "CPU s", "us/event"], rows, align="llrrr"), ""]
    for clock in dict.fromkeys(r.clock for r in runs):
        mine = [r for r in runs if r.clock == clock]
        growth = mine[-1].microseconds_per_event / mine[0].microseconds_per_event
        lines.append(
            f"  {clock}: CPU per event {mine[-1].scale}x / {mine[0].scale}x = {growth:.2f} "
            "(issue 14 target: within 1.15)"
        )
    return "\n".join(lines)


def run_volume(scales: Sequence[int] = SCALES, repeats: int = 2) -> str:
    runs = [measure(scale, simpy, repeats) for simpy in (False, True) for scale in scales]
    return volume_report(runs)
