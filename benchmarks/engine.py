"""How fast the salespulse engine is, and how its time and memory grow with the horizon.

Run ``python -m benchmarks.engine`` from the repository root (about a minute on 2 cores;
``--quick`` for a reduced run in well under 20 s). Every speed figure is a *ratio* against
a baseline measured in the same process and the same run, never an absolute threshold:
absolute speeds differ from machine to machine, ratios much less.

1. **M/M/c+M: engine vs bare heapq loops.** The same queue (lambda = 9/min, mu = 1/min,
   c = 10, theta = 0.5/min, about 200,000 customers, fixed seeds) simulated four ways:

   a. :mod:`benchmarks.mmc_heapq` -- the fastest specialised pure-Python loop: the upper
      bound of what pure Python does on this model;
   b. :mod:`benchmarks.mmc_callbacks` -- a generic heapq loop of callbacks with the event
      structure the engine uses (arrival, service end, patience end for those who wait):
      the upper bound of what the engine's *design* allows in pure Python;
   c. the engine itself, :class:`sim.engine.SalesFloor` on
      :func:`sim.theory.queueing_experiment` (SimPy clock, the full lead/task/rep model);
   d. :mod:`benchmarks.mmc_simpy_process` -- a SimPy process per customer, the design the
      engine rejected, for the record.

   Each is timed with ``time.perf_counter``, best of 3 (1 with ``--quick``), and reported
   in customers per second with the ratios engine/a, engine/b and d/a. Each one's
   abandonment probability is set next to :func:`sim.queueing.erlang_a` to show the four
   simulate the same model.

2. **Baseline replication.** One replication of ``experiments/baseline.yaml`` with the
   horizon H, 2H and 4H (H = 13 weeks; warm-up and drain stay as in the file): wall time,
   events per second (``SalesFloor.events`` counts the callbacks scheduled), the
   ``tracemalloc`` peak of Python allocations during the replication, and the growth of
   the resident set (``resource.getrusage`` maxrss) over it. Each size runs in a fresh
   subprocess (``--one-replication``), so one size's allocations cannot inflate another's
   peak. Time should grow linearly with the events simulated, and memory should stay
   roughly flat: the engine keeps only the leads still active, not every lead it has seen.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import simpy

from benchmarks.common import (
    BENCHMARK_MODEL,
    BENCHMARK_SEED,
    MMCModel,
    QueueResult,
    best_of,
    table,
)
from benchmarks.mmc_callbacks import simulate_mmc_callbacks
from benchmarks.mmc_heapq import simulate_mmc_heapq
from benchmarks.mmc_simpy_process import simulate_mmc_simpy_process
from sim.calendar import MINUTES_PER_WEEK
from sim.engine import SalesFloor
from sim.experiment import load_experiment
from sim.streams import replication_seeds
from sim.theory import queueing_experiment

REPO_ROOT = Path(__file__).resolve().parent.parent
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


def prepare_engine(model: MMCModel, customers: int, root_seed: int = ENGINE_ROOT_SEED) -> Prepared:
    """The engine set up as *model*, with a horizon that brings *customers* arrivals on average.

    The experiment is built (and validated) here, outside the timing; the returned function
    runs ``SalesFloor(scenario, policy, seed).run()`` and turns its KPIs into the fields of a
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
        floor = SalesFloor(experiment.scenario, experiment.policy, seed)
        kpis = floor.run()
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


def _baseline(simulator: Callable[..., QueueResult]) -> Callable[[MMCModel, int], Prepared]:
    def prepare(model: MMCModel, customers: int) -> Prepared:
        return partial(model.simulate, simulator, customers, BENCHMARK_SEED)

    return prepare


VARIANTS = (
    Variant("a", "specialised heapq loop (mmc_heapq)", _baseline(simulate_mmc_heapq)),
    Variant("b", "generic callback loop (mmc_callbacks)", _baseline(simulate_mmc_callbacks)),
    Variant("c", "salespulse engine (SalesFloor)", prepare_engine),
    Variant("d", "SimPy process per customer", _baseline(simulate_mmc_simpy_process)),
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


def mmc_report(timings: Sequence[Timing], model: MMCModel, repeats: int) -> str:
    """Section 1 as text."""
    theory = model.theory()
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
            f"{t.result['wait_probability']:.5f}",
        ]
        for t in timings
    ]
    rows.append(
        [
            "   Erlang A (exact)",
            *[""] * 6,
            f"{theory.abandon_probability:.5f}",
            f"{theory.wait_probability:.5f}",
        ]
    )
    speed = {t.variant.key: t.customers_per_second for t in timings}
    ratios = [
        ("engine / a", "c", "a", "engine vs the fastest specialised loop"),
        ("engine / b", "c", "b", "engine vs the same design without SimPy or the lead model"),
        ("d / a", "d", "a", "process-per-customer SimPy vs the fastest loop"),
        ("engine / d", "c", "d", "engine vs the design it replaced"),
    ]
    ratio_rows = [
        [name, f"{speed[x] / speed[y]:.3f}", f"{speed[y] / speed[x]:.1f}x", meaning]
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
                    "P(wait)",
                ],
                rows,
            ),
            "",
            "  Speed ratios (customers per second; below 1: the first is slower):",
            "",
            table(["ratio", "value", "inverse", "meaning"], ratio_rows),
        ]
    )


# -- section 2: baseline replication ---------------------------------------------------------


def max_rss_bytes() -> int:
    """Peak resident set size of this process so far (``ru_maxrss``: KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


@dataclass(frozen=True)
class ReplicationMeasurement:
    """One baseline replication, measured in a fresh process."""

    horizon_weeks: int
    simulated_weeks: float
    """warm-up + horizon + drain."""
    leads: int
    """Leads in the measured cohort."""
    events: int
    seconds: float
    """Best wall time of the timed replications."""
    traced_peak_bytes: int
    """``tracemalloc`` peak during one replication (a separate, untimed run)."""
    rss_before_bytes: int
    """maxrss after imports and set-up, before the first replication."""
    rss_growth_bytes: int
    """maxrss growth over the first replication."""

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds


def measure_one_replication(horizon_weeks: int, repeats: int) -> ReplicationMeasurement:
    """Measure one baseline replication with the given horizon, in *this* process.

    Call it in a fresh process (``--one-replication``): the maxrss growth is only
    meaningful for the first replication a process runs. The timed runs come first,
    untraced (``tracemalloc`` slows Python allocation several times); the traced run last.
    """
    experiment = load_experiment(None, [f"scenario.horizon={horizon_weeks}w"])
    scenario, policy = experiment.scenario, experiment.policy
    seed = replication_seeds(experiment.seed, 1)[0]

    gc.collect()
    rss_before = max_rss_bytes()
    rss_growth = 0
    best = float("inf")
    events = leads = 0
    for repeat in range(max(1, repeats)):
        start = time.perf_counter()
        floor = SalesFloor(scenario, policy, seed)
        kpis = floor.run()
        best = min(best, time.perf_counter() - start)
        if repeat == 0:
            rss_growth = max_rss_bytes() - rss_before
        events, leads = floor.events, int(kpis["leads"])
        del floor, kpis
        gc.collect()

    tracemalloc.start()
    SalesFloor(scenario, policy, seed).run()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    return ReplicationMeasurement(
        horizon_weeks=horizon_weeks,
        simulated_weeks=scenario.end / MINUTES_PER_WEEK,
        leads=leads,
        events=events,
        seconds=best,
        traced_peak_bytes=traced_peak,
        rss_before_bytes=rss_before,
        rss_growth_bytes=rss_growth,
    )


def measure_in_subprocess(horizon_weeks: int, repeats: int) -> ReplicationMeasurement:
    """:func:`measure_one_replication` in a fresh Python process, so peaks are per size."""
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(REPO_ROOT), environment.get("PYTHONPATH", "")) if p
    )
    command = [
        sys.executable,
        "-m",
        "benchmarks.engine",
        "--one-replication",
        str(horizon_weeks),
        "--repeats",
        str(repeats),
    ]
    done = subprocess.run(
        command, cwd=REPO_ROOT, env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr}")
    return ReplicationMeasurement(**json.loads(done.stdout.strip().splitlines()[-1]))


def _mib(n: float) -> str:
    return f"{n / 2**20:.2f}"


def _ratio(x: float, y: float) -> str:
    return f"{x / y:.2f}" if y else "n/a"


def replication_report(sizes: Sequence[ReplicationMeasurement], repeats: int) -> str:
    """Section 2 as text."""
    base = sizes[0]
    rows = [
        [
            f"{m.horizon_weeks}w",
            f"{m.simulated_weeks:g}",
            f"{m.leads:,}",
            f"{m.events:,}",
            f"{m.seconds:.3f}",
            f"{m.events_per_second:,.0f}",
            f"{m.seconds / m.events * 1e6:.2f}",
            _mib(m.traced_peak_bytes),
            _mib(m.rss_growth_bytes),
            _mib(m.rss_before_bytes),
        ]
        for m in sizes
    ]
    ratio_rows = [
        [
            f"{m.horizon_weeks // base.horizon_weeks}H / H",
            _ratio(m.seconds, base.seconds),
            _ratio(m.events, base.events),
            _ratio(m.simulated_weeks, base.simulated_weeks),
            _ratio(m.seconds / m.events, base.seconds / base.events),
            _ratio(m.traced_peak_bytes, base.traced_peak_bytes),
            _ratio(m.rss_growth_bytes, base.rss_growth_bytes),
        ]
        for m in sizes[1:]
    ]
    return "\n".join(
        [
            f"  experiments/baseline.yaml, replication 0, horizon overridden; warm-up and drain as"
            f" in the file. Time: best of {repeats}.",
            "  Each size runs in a fresh process. Memory: the tracemalloc peak of one replication,"
            " and the growth",
            "  of maxrss (resident set) over the first replication after imports"
            " ('RSS before' is that starting point).",
            "",
            table(
                [
                    "horizon",
                    "sim. weeks",
                    "leads",
                    "events",
                    "time s",
                    "events/s",
                    "us/event",
                    "traced peak MiB",
                    "RSS growth MiB",
                    "RSS before MiB",
                ],
                rows,
            ),
            "",
            "  Growth against H (linear time: 'time' ~ 2 and ~ 4, i.e. 'time/event' ~ 1;"
            " bounded memory: 'traced peak' ~ 1):",
            "",
            table(
                [
                    "size",
                    "time",
                    "events",
                    "sim. weeks",
                    "time/event",
                    "traced peak",
                    "RSS growth",
                ],
                ratio_rows,
            ),
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
        f"{os.cpu_count()} CPUs"
    )

    print(_header(f"1. M/M/c+M: engine vs bare heapq loops ({settings.customers:,} customers)"))
    timings = [
        time_variant(variant, model, settings.customers, settings.repeats) for variant in VARIANTS
    ]
    print(mmc_report(timings, model, settings.repeats))

    h = settings.horizon_weeks
    print(_header(f"2. Baseline replication: horizon H={h}w, 2H and 4H"))
    sizes = [measure_in_subprocess(weeks, settings.repeats) for weeks in (h, 2 * h, 4 * h)]
    print(replication_report(sizes, settings.repeats))

    print(f"\nTotal benchmark time {time.perf_counter() - started:.1f} s")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.engine",
        description="Engine speed against bare heapq loops, and baseline replication scaling.",
    )
    parser.add_argument("--quick", action="store_true", help="reduced sizes, one repeat (< 20 s)")
    parser.add_argument("--customers", type=int, help="customers per M/M/c+M run")
    parser.add_argument("--repeats", type=int, help="timed repeats per measurement (best counts)")
    parser.add_argument("--horizon-weeks", type=int, help="H for the baseline replication")
    parser.add_argument("--one-replication", type=int, metavar="WEEKS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    base = QUICK if args.quick else FULL
    settings = Settings(
        customers=args.customers or base.customers,
        repeats=args.repeats or base.repeats,
        horizon_weeks=args.horizon_weeks or base.horizon_weeks,
    )
    if args.one_replication is not None:
        # Internal mode: one measurement, printed as one JSON line for the parent process.
        measurement = measure_one_replication(args.one_replication, settings.repeats)
        print(json.dumps(asdict(measurement)))
        return 0
    run_benchmarks(settings, args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())
