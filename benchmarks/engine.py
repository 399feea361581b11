"""How fast the salespulse engine is, and how its time and memory grow with the horizon.

Run ``python -m benchmarks.engine`` from the repository root (about 2 minutes on 2 cores;
``--quick`` for a reduced run of about 15 s). Every speed figure is a *ratio* against
a baseline measured in the same process and the same run, never an absolute threshold:
absolute speeds differ from machine to machine, ratios much less.

1. **M/M/c+M: engine vs bare heapq loops.** The same queue (lambda = 9/min, mu = 1/min,
   c = 10, theta = 0.5/min, about 200,000 customers, fixed seeds) simulated five ways:

   a. :mod:`benchmarks.mmc_heapq` -- the fastest specialised pure-Python loop: the upper
      bound of what pure Python does on this model;
   b. :mod:`benchmarks.mmc_callbacks` -- a generic heapq loop of callbacks with the event
      structure the engine uses (arrival, service end, patience end for those who wait):
      the upper bound of what the engine's *design* allows in pure Python;
   c. the engine itself, :class:`sim.engine.floor.SalesFloor` on
      :func:`sim.validation.theory.queueing_experiment` (its lean clock, the full
      lead/task/rep model);
   e. the same engine with SimPy keeping its events (``Clock(events=SimPyEvents())``):
      what the lean clock saves;
   d. :mod:`benchmarks.mmc_simpy_process` -- a SimPy process per customer, the design the
      engine rejected, for the record.

   Each is timed with ``time.perf_counter``, best of 3 (1 with ``--quick``), and reported
   in customers per second with the ratios engine/a, engine/b and d/a. Each one's
   abandonment probability is set next to :func:`sim.queueing.erlang_a` to show the four
   simulate the same model.

2. **Baseline replication** (:mod:`benchmarks.replication`). One replication of
   ``experiments/baseline.yaml`` with the horizon H, 2H and 4H (H = 13 weeks; warm-up and
   drain stay as in the file): wall time, events per second (``SalesFloor.events`` counts
   the callbacks scheduled), the ``tracemalloc`` peak of Python allocations during the
   replication, and the growth of the resident set (``resource.getrusage`` maxrss) over it.
   Each size runs in a fresh process, so one size's allocations cannot inflate another's
   peak. Time should grow linearly with the events simulated, and memory should stay
   roughly flat: the engine keeps only the leads still active, not every lead it has seen.

3. **Volume** (:mod:`benchmarks.volume`): the default team and lead volume scaled 1x, 2x,
   4x and 8x, taking turns; CPU per event on the lean clock and on SimPy (and the garbage
   collector's share of it), and its growth 8x / 1x. Then, as a reference, section 1's queue
   with its arrival rate and servers scaled 8x: the bare loop's growth per event is what
   the heap's depth alone costs (:func:`queue_volume_report`).

``--one-replication WEEKS`` measures a single size in the current process and prints it as
JSON (for profiling one size by hand).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from functools import partial

import simpy

from benchmarks.common import (
    ABANDON_SD_INFLATION,
    BENCHMARK_MODEL,
    BENCHMARK_SEED,
    MMCModel,
    QueueResult,
    Simulator,
    best_of,
    binomial_sd,
    table,
)
from benchmarks.mmc_callbacks import simulate_mmc_callbacks
from benchmarks.mmc_heapq import simulate_mmc_heapq
from benchmarks.mmc_simpy_process import simulate_mmc_simpy_process
from benchmarks.replication import (
    measure_in_fresh_process,
    measure_one_replication,
    replication_report,
)
from benchmarks.simpy_clock import SimPyEvents
from benchmarks.volume import run_volume
from sim.engine import kernel
from sim.engine.clock import Clock
from sim.engine.floor import SalesFloor
from sim.engine.kpis import replication_kpis
from sim.engine.streams import replication_seeds
from sim.validation.theory import queueing_experiment

ENGINE_ROOT_SEED = 1
"""The engine runs replication 0 of ``replication_seeds(ENGINE_ROOT_SEED, 1)``."""


@dataclass(frozen=True)
class Settings:
    """How big a run is."""

    customers: int
    """Customers per M/M/c+M simulation (section 1)."""
    repeats: int
    """Timed repeats per measurement; the fastest counts."""
    horizon_weeks: int
    """H of section 2; the replication is also run with 2H and 4H."""


FULL = Settings(customers=200_000, repeats=3, horizon_weeks=13)
QUICK = Settings(customers=20_000, repeats=1, horizon_weeks=1)


# -- section 1: M/M/c+M --------------------------------------------------------------------

Prepared = Callable[[], QueueResult]
"""A simulation ready to run and time: everything outside the simulation is already built."""


def prepare_engine(
    model: MMCModel, customers: int, root_seed: int = ENGINE_ROOT_SEED, simpy_clock: bool = False
) -> Prepared:
    """The engine set up as *model*, with a horizon that brings *customers* arrivals on average.

    The experiment is built (and validated) here, outside the timing; the returned function
    runs ``SalesFloor(scenario, policy, seed).simulate()`` and turns its KPIs into the fields of a
    :func:`benchmarks.common.queue_result` record that the engine measures.
    """
    experiment = queueing_experiment(
        model.arrival_rate,
        model.service_rate,
        model.servers,
        model.abandonment_rate,
        horizon_minutes=customers / model.arrival_rate,
        warmup_minutes=0,
        replications=1,
    )
    seed = replication_seeds(root_seed, 1)[0]

    def run() -> QueueResult:
        clock = Clock(events=SimPyEvents()) if simpy_clock else None
        floor = SalesFloor(experiment.scenario, experiment.policy, seed, clock=clock)
        kpis = replication_kpis(floor.simulate())
        leads = int(kpis["leads"])
        return {
            "arrived": leads,
            "abandon_probability": kpis["lost_interest_decayed"] / leads,
            "wait_probability": kpis["waited_share"],
            "events": floor.events,
        }

    return run


@dataclass(frozen=True)
class Variant:
    """One way of simulating the benchmark queue."""

    key: str
    label: str
    prepare: Callable[[MMCModel, int], Prepared]


def _baseline(simulator: Simulator) -> Callable[[MMCModel, int], Prepared]:
    """How to prepare a baseline loop (it has nothing to build before it is timed)."""

    def prepare(model: MMCModel, customers: int) -> Prepared:
        return partial(model.simulate, simulator, customers, BENCHMARK_SEED)

    return prepare


VARIANTS = (
    Variant("a", "mmc_heapq: specialised loop", _baseline(simulate_mmc_heapq)),
    Variant("b", "mmc_callbacks: generic loop", _baseline(simulate_mmc_callbacks)),
    Variant("c", "engine: SalesFloor", prepare_engine),
    Variant("e", "engine model, SimPy as its clock", partial(prepare_engine, simpy_clock=True)),
    Variant("d", "mmc_simpy_process", _baseline(simulate_mmc_simpy_process)),
)


@dataclass(frozen=True)
class Timing:
    """The fastest of a variant's timed runs and what it simulated."""

    variant: Variant
    seconds: float
    result: QueueResult

    @property
    def customers_per_second(self) -> float:
        return self.result["arrived"] / self.seconds

    @property
    def events_per_second(self) -> float:
        return self.result["events"] / self.seconds


def time_variant(variant: Variant, model: MMCModel, customers: int, repeats: int) -> Timing:
    """Best-of-*repeats* wall time of *variant* on *model*."""
    run = variant.prepare(model, customers)
    gc.collect()
    seconds, result = best_of(run, repeats)
    return Timing(variant, seconds, result)


def _slower_or_faster(ratio: float) -> str:
    return f"{1 / ratio:.1f}x slower" if ratio < 1 else f"{ratio:.1f}x faster"


def mmc_report(timings: Sequence[Timing], model: MMCModel, repeats: int) -> str:
    """Section 1 as text."""
    theory = model.theory()
    p = theory.abandon_probability

    def deviation(result: QueueResult) -> str:
        """Distance from Erlang A in standard deviations of the estimate."""
        sd = ABANDON_SD_INFLATION * binomial_sd(p, int(result["arrived"]))
        return f"{(result['abandon_probability'] - p) / sd:+.1f}"

    rows = [
        [
            f"{t.variant.key}  {t.variant.label}",
            f"{t.result['arrived']:,}",
            f"{t.result['events']:,}",
            f"{t.result['events'] / t.result['arrived']:.2f}",
            f"{t.seconds:.3f}",
            f"{t.customers_per_second:,.0f}",
            f"{t.events_per_second:,.0f}",
            f"{t.result['abandon_probability']:.5f}",
            deviation(t.result),
            f"{t.result['wait_probability']:.5f}",
        ]
        for t in timings
    ]
    rows.append(
        ["   Erlang A (exact)", *[""] * 6, f"{p:.5f}", "", f"{theory.wait_probability:.5f}"]
    )
    speed = {t.variant.key: t.customers_per_second for t in timings}
    ratios = [
        ("engine / e", "c", "e", "the lean clock vs SimPy as the clock, same model code"),
        ("engine / a", "c", "a", "engine vs the fastest specialised loop"),
        ("engine / b", "c", "b", "engine vs the same design without SimPy or the lead model"),
        (
            "d / b",
            "d",
            "b",
            "the rejected design: a SimPy process per customer vs callbacks, same bare model",
        ),
        ("d / a", "d", "a", "process-per-customer SimPy vs the fastest loop"),
        ("engine / d", "c", "d", "full engine vs a bare process-per-customer model"),
    ]
    ratio_rows = [
        [name, f"{speed[x] / speed[y]:.3f}", _slower_or_faster(speed[x] / speed[y]), meaning]
        for name, x, y, meaning in ratios
    ]
    return "\n".join(
        [
            f"  {model}   best of {repeats}, seconds by time.perf_counter",
            "",
            table(
                [
                    "variant",
                    "customers",
                    "events",
                    "ev/cust",
                    "time s",
                    "customers/s",
                    "events/s",
                    "P(abandon)",
                    "dev/sd",
                    "P(wait)",
                ],
                rows,
            ),
            "",
            "  dev/sd: P(abandon) minus Erlang A, in standard deviations of the estimate (binomial",
            f"  x {ABANDON_SD_INFLATION} for autocorrelation). a and b draw the same numbers in the same"
            " order, so",
            "  they follow one sample path; c and d use their own random streams.",
            "",
            "  Speed ratios (customers per second of the first over the second):",
            "",
            table(["ratio", "value", "that is", "comparing"], ratio_rows, align="lrrl"),
        ]
    )


# -- section 3, continued: the benchmark queue scaled ----------------------------------------


def queue_volume_report(customers: int, repeats: int, scale: int) -> str:
    """Time per event of ``mmc_heapq`` (a) and the engine (c) on the benchmark queue at 1x and
    *scale* x (arrival rate and servers multiplied, the same customers, so the same events).

    A reference for section 3's ratio: with more servers busy at once, the bare loop's heap
    holds *scale* times the events, and its cost per event grows with the heap's depth
    alone (the loop has no people to keep). Any event list ordered by comparisons pays that.
    """
    compared = [variant for variant in VARIANTS if variant.key in ("a", "c")]
    per_event: dict[tuple[str, int], float] = {}
    for variant in compared:
        for factor in (1, scale):
            model = replace(
                BENCHMARK_MODEL,
                arrival_rate=BENCHMARK_MODEL.arrival_rate * factor,
                servers=BENCHMARK_MODEL.servers * factor,
            )
            timing = time_variant(variant, model, customers, repeats)
            per_event[variant.key, factor] = 1e6 * timing.seconds / timing.result["events"]
    rows = [
        [
            f"{variant.key}  {variant.label}",
            f"{per_event[variant.key, 1]:.3f}",
            f"{per_event[variant.key, scale]:.3f}",
            f"{per_event[variant.key, scale] / per_event[variant.key, 1]:.2f}",
        ]
        for variant in compared
    ]
    header = ["variant", "us/event 1x", f"us/event {scale}x", f"{scale}x / 1x"]
    return "\n".join(
        [
            f"  The benchmark queue with arrival rate and servers x{scale} ({customers:,} "
            f"customers, best of {repeats}):",
            "",
            table(header, rows, align="lrrr"),
            "",
            "  The bare loop has no people to keep: its growth is the heap's depth alone.",
        ]
    )


# -- the report ------------------------------------------------------------------------------


def _header(title: str) -> str:
    return f"\n{title}\n{'=' * len(title)}"


def run_benchmarks(settings: Settings, quick: bool) -> None:
    """Measure both sections and print the report."""
    started = time.perf_counter()
    model = BENCHMARK_MODEL
    print("salespulse engine benchmarks" + (" (--quick: reduced sizes)" if quick else ""))
    print(
        f"Python {platform.python_version()} ({platform.python_implementation()}), "
        f"SimPy {simpy.__version__}, {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at the start"
    )
    print(f"Engine: {kernel()}.")
    print(
        "Speeds are compared as ratios measured in this run; other load on the machine adds noise."
    )

    print(_header(f"1. M/M/c+M: engine vs bare heapq loops ({settings.customers:,} customers)"))
    timings = [
        time_variant(variant, model, settings.customers, settings.repeats) for variant in VARIANTS
    ]
    print(mmc_report(timings, model, settings.repeats))

    h = settings.horizon_weeks
    print(_header(f"2. Baseline replication: horizon H={h}w, 2H and 4H"))
    sizes = [measure_in_fresh_process(weeks, settings.repeats) for weeks in (h, 2 * h, 4 * h)]
    print(replication_report(sizes, settings.repeats))

    scales = (1, 2) if quick else (1, 2, 4, 8)
    print(_header(f"3. Volume: lead volume and team scaled {scales[0]}x to {scales[-1]}x"))
    print(run_volume(scales, settings.repeats))
    print()
    print(queue_volume_report(settings.customers, settings.repeats, scales[-1]))

    print(f"\nTotal benchmark time {time.perf_counter() - started:.1f} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.engine",
        description="Engine speed against bare heapq loops, and baseline replication scaling.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="reduced sizes, one repeat (about 15 s)"
    )
    parser.add_argument("--customers", type=int, help="customers per M/M/c+M run")
    parser.add_argument("--repeats", type=int, help="timed repeats per measurement (best counts)")
    parser.add_argument("--horizon-weeks", type=int, help="H for the baseline replication")
    parser.add_argument(
        "--one-replication",
        type=int,
        metavar="WEEKS",
        help="only measure one baseline replication with this horizon, here; print JSON",
    )
    args = parser.parse_args(argv)

    base = QUICK if args.quick else FULL
    settings = Settings(
        customers=args.customers or base.customers,
        repeats=args.repeats or base.repeats,
        horizon_weeks=args.horizon_weeks or base.horizon_weeks,
    )
    if args.one_replication is not None:
        measurement = measure_one_replication(args.one_replication, settings.repeats)
        print(json.dumps(asdict(measurement)))
        return 0
    run_benchmarks(settings, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
