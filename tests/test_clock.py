"""The lean clock orders events exactly as SimPy does, so the engine gives SimPy's numbers."""

from __future__ import annotations

import gc
import tracemalloc
from collections import Counter
from collections.abc import Callable

import numpy as np
import pytest

from benchmarks.simpy_clock import SimPyEvents
from sim.analysis.outputs import replication_output
from sim.engine.clock import PART_SIZE, Clock, garbage_collector_off
from sim.engine.floor import SalesFloor
from sim.engine.kpis import replication_kpis
from sim.engine.people import Lead, Person, Task
from sim.experiment import Experiment, load_experiment


def test_events_run_in_time_order_ties_in_scheduling_order() -> None:
    clock, log = Clock(bucket_minutes=10.0), []
    for delay, name in [(25.0, "c"), (5.0, "a"), (25.0, "d"), (5.0, "b"), (1000.0, "late")]:
        clock.at(delay, log.append, name)
    clock.run(until=100.0)
    assert log == ["a", "b", "c", "d"]
    assert clock.now == 100.0
    assert clock.pending == 1  # "late" waits in its day bucket


@pytest.mark.parametrize(
    "make_clock",
    [lambda: Clock(bucket_minutes=10.0), lambda: Clock(events=SimPyEvents())],
    ids=["lean", "simpy"],
)
def test_events_scheduled_while_running_join_the_right_place(
    make_clock: Callable[[], Clock],
) -> None:
    """Also on SimPy's event list: the clock shows SimPy's time to every callback."""
    clock, log = make_clock(), []

    def chain(step: int) -> None:
        log.append((clock.now, step))
        if step < 5:
            clock.at(7.0 * step, chain, step + 1)  # lands in later buckets and in the same one

    clock.at(0.0, chain, 1)
    clock.at(3.0, log.append, (3.0, "between"))
    clock.run(until=1e9)
    assert log == [(0.0, 1), (3.0, "between"), (7.0, 2), (21.0, 3), (42.0, 4), (70.0, 5)]


def test_a_crowded_hour_opens_in_parts_and_keeps_the_order() -> None:
    """An hour with many events is split by time (``PART_SIZE``); events scheduled while it
    runs join their part, the heap or a later part. Every event still comes in (time,
    scheduling) order, ties too, and ``pending`` counts each once, whatever the run's end."""
    rng = np.random.default_rng(3)
    clock, log = Clock(), []
    times = np.round(rng.uniform(60.0, 120.0, size=5 * PART_SIZE), 1)  # ties on purpose
    expected: list[tuple[float, int]] = []

    def record(key: tuple[float, int]) -> None:
        log.append((clock.now, key))
        if key[1] % 3 == 0 and len(expected) < 8 * PART_SIZE:  # schedule more while it runs
            later = (round(clock.now + float(rng.uniform(0.0, 30.0)), 1), len(expected))
            expected.append(later)
            clock.at(later[0] - clock.now, record, later)

    for time in times:
        key = (float(time), len(expected))
        expected.append(key)
        clock.at(key[0], record, key)
    for until in (61.0, 90.0):  # inside the hour's first part, then a later one
        clock.run(until=until)
        assert clock.pending == len(expected) - len(log)
    clock.run(until=1e9)
    assert clock.pending == 0
    assert [key for _, key in log] == sorted(expected)
    assert all(now == key[0] for now, key in log)


def test_nothing_at_or_after_the_end_runs() -> None:
    clock, log = Clock(), []
    clock.at(10.0, log.append, "end")
    clock.at(9.999, log.append, "before")
    clock.run(until=10.0)
    assert log == ["before"]


@pytest.mark.parametrize("name", ["baseline", "staffing", "retention"])
def test_the_engine_gives_simpys_numbers(name: str) -> None:
    experiment = load_experiment(
        f"experiments/{name}.yaml", ["scenario.horizon=2w", "scenario.drain=1w"]
    )
    seed = np.random.SeedSequence(7)
    lean = SalesFloor(experiment.scenario, experiment.policy, seed)
    reference = SalesFloor(
        experiment.scenario, experiment.policy, seed, clock=Clock(events=SimPyEvents())
    )
    assert replication_kpis(lean.simulate()) == replication_kpis(reference.simulate())
    assert lean.events == reference.events


def _collect_what_earlier_tests_left() -> None:
    """Collect until a pass finds nothing, so that no earlier test's objects count against a run.

    Collecting a dropped compiled floor could leave some of its leads and tasks in CPython's
    list of deferred deallocations (the "trashcan"), released as cycles later.
    """
    for _ in range(5):
        if not gc.collect():
            break


@pytest.mark.parametrize("name", ["baseline", "comebacks", "multichannel", "retention"])
def test_a_run_leaves_no_cyclic_garbage(name: str) -> None:
    """The collector is off while simulating: memory stays bounded only if nothing forms cycles."""
    experiment = load_experiment(
        f"experiments/{name}.yaml", ["scenario.horizon=2w", "scenario.drain=1w"]
    )
    floor = SalesFloor(experiment.scenario, experiment.policy, np.random.SeedSequence(3))
    _collect_what_earlier_tests_left()
    gc.disable()  # so that nothing the run left behind is collected before it is counted
    try:
        floor.simulate()
        assert not gc.isenabled()  # the run leaves the collector as it found it
        assert gc.collect() == 0  # the floor is alive: only cycles the run lost are collected
    finally:
        gc.enable()
    with garbage_collector_off():
        assert not gc.isenabled()
    assert gc.isenabled()


_NAMED_ZONES = [
    "scenario.calendar.time_zone=America/New_York",
    "scenario.calendar.start_date=2027-03-01",
    'scenario.sources[0].time_zones={America/Los_Angeles: 0.5, "-3": 0.5}',
]


@pytest.mark.parametrize(
    ("name", "changes"),
    [
        ("baseline", []),
        ("comebacks", []),
        ("retention", []),
        # a cap across channels and named zones: the stages that wrap the call steps
        ("multichannel", ["scenario.channels.daily_touch_cap_per_rep=12", *_NAMED_ZONES]),
    ],
)
def test_a_finished_floor_is_freed_as_soon_as_it_is_dropped(name: str, changes: list[str]) -> None:
    """No reference cycle keeps a finished floor: with the collector off, ``del`` frees it.

    Otherwise a process running replications in turn keeps several finished floors (and
    their leads) until a full collection, and memory grows with the replications run.
    Compiled, people, tasks and events are not tracked by the collector at all
    (:mod:`sim.engine.people`): a cycle among them would never be freed, and
    ``gc.get_objects`` cannot see them, so the memory the run still holds is counted too.
    """
    experiment = load_experiment(
        f"experiments/{name}.yaml", ["scenario.horizon=2w", "scenario.drain=1w", *changes]
    )
    _simulate(experiment)  # a first run fills the caches a run may fill once per process
    _collect_what_earlier_tests_left()
    gc.disable()
    tracemalloc.start()
    try:
        held_before = tracemalloc.get_traced_memory()[0]
        floor = _simulate(experiment)
        output = replication_output(floor)  # what callers read after the run is still there
        leads, still_open = output.kpis["leads"], len(floor._active)
        del floor, output
        left = Counter(
            type(o).__name__ for o in gc.get_objects() if isinstance(o, (SalesFloor, Person, Task))
        )
        gc.collect()  # empties the interpreter's free lists; frees no untracked cycle
        held = tracemalloc.get_traced_memory()[0] - held_before
    finally:
        tracemalloc.stop()
        gc.enable()
    assert still_open > 0  # the run ended with open leads and customers to free
    assert leads > 0
    assert not left
    # A run leaves 1-3 KiB (the interpreter's own caches); 40 open leads kept with
    # their tasks (456 bytes each, compiled) would hold more than this.
    assert held < 16 * 1024, f"{held:,} bytes still held after the floor was dropped"


def test_an_error_mid_run_still_frees_the_floor() -> None:
    """The run's cycles are broken however it ends: people are not tracked by the collector."""

    class FailingRecorder:
        def action(
            self, task: Task, rep_id: int, started: float, ended: float, outcome: str
        ) -> None:
            pass

        def lead_closed(self, lead: Lead, outcome: str, now: float) -> None:
            raise KeyError("recorder failed")

    experiment = load_experiment(None, ["scenario.horizon=2w", "scenario.drain=0w"])
    floor = SalesFloor(
        experiment.scenario,
        experiment.policy,
        np.random.SeedSequence(3),
        recorder=FailingRecorder(),
    )
    with pytest.raises(KeyError, match="recorder failed"):
        floor.simulate()
    assert floor._active  # the run stopped with people open
    assert all(person.task is None for person in floor._active)
    assert floor.clock.pending == 0
    with pytest.raises(RuntimeError, match="has run"):
        floor.simulate()


def _simulate(experiment: Experiment) -> SalesFloor:
    return SalesFloor(experiment.scenario, experiment.policy, np.random.SeedSequence(3)).simulate()


def test_a_floor_runs_once() -> None:
    experiment = load_experiment(None, ["scenario.horizon=1w", "scenario.drain=0w"])
    floor = SalesFloor(experiment.scenario, experiment.policy, np.random.SeedSequence(3))
    floor.simulate()
    with pytest.raises(RuntimeError, match="make a new one"):
        floor.simulate()
