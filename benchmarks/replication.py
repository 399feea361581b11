"""Time and memory of one baseline replication, and how they grow with the horizon.

Section 2 of ``python -m benchmarks.engine``. One replication of
``experiments/baseline.yaml`` with the horizon overridden (warm-up and drain as in the
file) is measured for wall time (``time.perf_counter``, best of the repeats; the process's
CPU time, ``time.process_time``, is shown beside it because it is much less disturbed by
other load on the machine, and the growth ratios are given for both), events per
second (``SalesFloor.events`` counts the callbacks scheduled), the ``tracemalloc`` peak of
Python allocations, and the growth of the resident set (``resource.getrusage`` maxrss).

Each measurement runs in a fresh process, so one size's allocations cannot raise another's
peak. That process is forked from a ``forkserver``, not started with ``subprocess`` or the
``spawn`` method: on Linux a process started those ways inherits its parent's maxrss (the
kernel carries the parent's high-water mark over the fork and the exec), so after section 1
every child would report the benchmark's own peak and a growth of zero. The fork server is
a small process, so its children start with its small high-water mark.

What to expect of a sound engine: time linear in the events simulated (the time per event
is flat across sizes), and memory bounded by the people still active rather than every
lead seen; also across replications: a process running them in turn, as a worker of ``sim
run`` does, should hold no finished replication (``python -m benchmarks.replication``,
:func:`measure_replications_in_one_process`). Open leads stay roughly constant; won leads become customers, who stay active
until they churn, so the customer base (reported as 'active at end') and with it memory
grow with a long horizon by design, not by a leak.
"""

from __future__ import annotations

import gc
import multiprocessing
import resource
import sys
import time
import tracemalloc
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from benchmarks.common import table
from sim.config.units import MINUTES_PER_WEEK
from sim.engine import kernel
from sim.engine.floor import SalesFloor
from sim.engine.kpis import replication_kpis
from sim.engine.people import Lead
from sim.engine.streams import replication_seeds
from sim.experiment import load_experiment


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
    """Callbacks the engine scheduled (``SalesFloor.events``)."""
    seconds: float
    """Best wall time of the timed replications (set-up and KPIs included)."""
    cpu_seconds: float
    """Best CPU time of this process over the same replications."""
    traced_peak_bytes: int
    """``tracemalloc`` peak during one replication (a separate, untimed run)."""
    rss_before_bytes: int
    """maxrss after imports and set-up, before the first replication."""
    rss_growth_bytes: int
    """maxrss growth over the first replication."""
    active_leads: int
    """Leads still open when the replication ends."""
    active_others: int
    """Other people still active when it ends: customers."""
    kernel: str
    """The engine measured: compiled or pure Python (:func:`sim.engine.kernel`)."""

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds


def measure_one_replication(horizon_weeks: int, repeats: int) -> ReplicationMeasurement:
    """Measure one baseline replication with the given horizon, in *this* process.

    Run it in a fresh process (:func:`measure_in_fresh_process`): the maxrss growth only
    means something for the first replication a process runs. The timed runs come first,
    untraced (``tracemalloc`` slows allocation several times over); the traced run last.
    Every run uses the same seed, so all simulate exactly the same replication.
    """
    experiment = load_experiment(None, [f"scenario.horizon={horizon_weeks}w"])
    scenario, policy = experiment.scenario, experiment.policy
    seed = replication_seeds(experiment.seed, 1)[0]

    gc.collect()
    rss_before = max_rss_bytes()
    rss_growth = 0
    best = best_cpu = float("inf")
    events = leads = 0
    active_leads = active_others = 0
    for repeat in range(max(1, repeats)):
        start, start_cpu = time.perf_counter(), time.process_time()
        floor = SalesFloor(scenario, policy, seed)
        kpis = replication_kpis(floor.simulate())
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
        if repeat == 0:
            rss_growth = max_rss_bytes() - rss_before
        events, leads = floor.events, int(kpis["leads"])
        active_leads, active_others = _active_people(floor)
        del floor, kpis
        gc.collect()

    tracemalloc.start()
    SalesFloor(scenario, policy, seed).simulate()
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    return ReplicationMeasurement(
        horizon_weeks=horizon_weeks,
        simulated_weeks=scenario.end / MINUTES_PER_WEEK,
        leads=leads,
        events=events,
        seconds=best,
        cpu_seconds=best_cpu,
        traced_peak_bytes=traced_peak,
        rss_before_bytes=rss_before,
        rss_growth_bytes=rss_growth,
        active_leads=active_leads,
        active_others=active_others,
        kernel=kernel(),
    )


def _active_people(floor: SalesFloor) -> tuple[int, int]:
    """Leads and other people (customers) the finished replication still holds as active:
    what its memory is meant to be bounded by."""
    active = floor.still_active()
    leads = sum(isinstance(person, Lead) for person in active)
    return leads, len(active) - leads


def measure_in_fresh_process(horizon_weeks: int, repeats: int) -> ReplicationMeasurement:
    """:func:`measure_one_replication` in a new process forked from the fork server.

    The fork server imports this module (and so the engine) once; each measurement is a
    fresh fork of it, so only the first pays for the imports.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(measure_one_replication, horizon_weeks, repeats).result()


@dataclass(frozen=True)
class ReplicationsInOneProcess:
    """What a process holds after running default replications in turn."""

    replications: int
    floors_alive: int
    """Finished floors still in memory (the caller dropped every one)."""
    blocks_held: int
    """Memory blocks the interpreter has handed out and not got back (``sys.getallocatedblocks``).

    Compiled, leads and tasks are not tracked by the collector (:mod:`sim.engine.people`), so
    ``gc.get_objects`` cannot count them; a run that left them behind shows here as blocks
    that grow with the replications run (``tests/test_clock.py`` checks that none is left).
    """
    max_rss_bytes: int
    cpu_seconds: float


def measure_replications_in_one_process(
    replications: int, every: int
) -> list[ReplicationsInOneProcess]:
    """Run default replications in turn as a worker does (build, simulate, take the KPIs,
    drop the floor; the collector left as Python sets it), counting every *every* runs
    the floors still in memory, the memory blocks held and the maxrss so far.

    Run it in a fresh process: maxrss is the process's high-water mark.
    """
    experiment = load_experiment(None, [])
    rows = []
    started = time.process_time()
    for done, seed in enumerate(replication_seeds(experiment.seed, replications), start=1):
        floor = SalesFloor(experiment.scenario, experiment.policy, seed).simulate()
        replication_kpis(floor)
        del floor
        if done % every == 0 or done == replications:
            objects = gc.get_objects()  # no collection: what reference counting left
            floors = sum(isinstance(o, SalesFloor) for o in objects)
            del objects
            blocks = sys.getallocatedblocks()
            cpu = time.process_time() - started
            rows.append(ReplicationsInOneProcess(done, floors, blocks, max_rss_bytes(), cpu))
    return rows


def _mib(n: float) -> str:
    return f"{n / 2**20:.2f}"


def _ratio(x: float, y: float) -> str:
    return f"{x / y:.2f}" if y else "n/a"


def replication_report(sizes: Sequence[ReplicationMeasurement], repeats: int) -> str:
    """The measurements as text: one row per size, then each size's growth against the first."""
    base = sizes[0]
    rows = [
        [
            f"{m.horizon_weeks}w",
            f"{m.simulated_weeks:g}",
            f"{m.leads:,}",
            f"{m.events:,}",
            f"{m.seconds:.3f}",
            f"{m.cpu_seconds:.3f}",
            f"{m.events_per_second:,.0f}",
            _mib(m.traced_peak_bytes),
            _mib(m.rss_growth_bytes),
            _mib(m.rss_before_bytes),
            f"{m.active_leads:,} / {m.active_others:,}",
        ]
        for m in sizes
    ]
    ratio_rows = [
        [
            f"{m.horizon_weeks / base.horizon_weeks:g}H / H",
            _ratio(m.seconds, base.seconds),
            _ratio(m.cpu_seconds, base.cpu_seconds),
            _ratio(m.events, base.events),
            _ratio(m.simulated_weeks, base.simulated_weeks),
            _ratio(m.seconds / m.events, base.seconds / base.events),
            _ratio(m.cpu_seconds / m.events, base.cpu_seconds / base.events),
            _ratio(m.traced_peak_bytes, base.traced_peak_bytes),
            _ratio(m.rss_growth_bytes, base.rss_growth_bytes),
        ]
        for m in sizes[1:]
    ]
    return "\n".join(
        [
            f"  Engine: {base.kernel}.",
            "  experiments/baseline.yaml, replication 0, horizon overridden (warm-up and drain as in",
            f"  the file, so simulated time grows less than the horizon). Time: best of {repeats}.",
            "  Each size runs in a fresh process. Memory: the tracemalloc peak of one replication;",
            "  the growth of maxrss over the first replication ('RSS before': maxrss after imports).",
            "",
            table(
                [
                    "horizon",
                    "sim. weeks",
                    "leads",
                    "events",
                    "time s",
                    "cpu s",
                    "events/s",
                    "traced peak MiB",
                    "RSS growth MiB",
                    "RSS before MiB",
                    "active at end",
                ],
                rows,
            ),
            "  ('active at end': leads / customers the engine still holds when the drain ends.)",
            "",
            "  Growth against H. Linear time: 'time' grows like 'events' ('time/event' ~ 1; 'cpu'",
            "  is the same measured in CPU seconds, less disturbed by other load on the machine);",
            "  bounded memory: 'traced peak' follows the people still active ('active at end'),",
            "  not the leads seen.",
            "",
            table(
                [
                    "size",
                    "time",
                    "cpu",
                    "events",
                    "sim. weeks",
                    "time/event",
                    "cpu/event",
                    "traced peak",
                    "RSS growth",
                ],
                ratio_rows,
            ),
        ]
    )


def main() -> None:
    """``python -m benchmarks.replication [N]``: N default replications in this process."""
    replications = int(sys.argv[1]) if len(sys.argv) > 1 else 12
    rows = [
        [
            f"{r.replications}",
            f"{r.floors_alive}",
            f"{r.blocks_held:,}",
            _mib(r.max_rss_bytes),
            f"{r.cpu_seconds:.2f}",
        ]
        for r in measure_replications_in_one_process(replications, every=3)
    ]
    header = ["replications", "floors alive", "blocks held", "maxrss MiB", "CPU s"]
    print(f"  Engine: {kernel()}. Default replications run in turn in one process.")
    print(table(header, rows))


if __name__ == "__main__":
    main()
