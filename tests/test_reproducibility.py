"""Same seed, same numbers, whatever the number of processes; common random numbers."""

from __future__ import annotations

import pandas as pd
import pytest

from sim import load_experiment, run
from sim.engine.arrivals import LeadDraw
from sim.engine.floor import SalesFloor
from sim.engine.streams import replication_seeds

SMALL = [
    "scenario.horizon=2w",
    "scenario.warmup=1w",
    "scenario.drain=1w",
    "replications=4",
]


def test_jobs_do_not_change_results() -> None:
    experiment = load_experiment(None, SMALL)
    one = run(experiment, jobs=1)
    two = run(experiment, jobs=2)
    pd.testing.assert_frame_equal(one.replications, two.replications)
    pd.testing.assert_frame_equal(one.summary, two.summary)


def test_seed_changes_results() -> None:
    a = run(load_experiment(None, [*SMALL, "seed=1"]))
    b = run(load_experiment(None, [*SMALL, "seed=2"]))
    assert not a.replications["leads"].equals(b.replications["leads"])


def _arrivals(overrides: list[str]) -> list[tuple[float, int, float, float, float]]:
    """Every lead's arrival time and latent attributes in one replication."""
    experiment = load_experiment(None, [*SMALL, *overrides])
    floor = SalesFloor(
        experiment.scenario, experiment.policy, replication_seeds(experiment.seed, 1)[0]
    )
    seen: list[tuple[float, int, float, float, float]] = []
    original = floor._on_arrival

    def spy(draw: LeadDraw) -> None:
        seen.append((draw.arrived_at, draw.source, draw.intent, draw.reachability, draw.value))
        original(draw)

    floor._on_arrival = spy  # type: ignore[method-assign]
    floor.simulate()
    return seen


@pytest.mark.pure_python_engine
def test_policies_see_the_same_leads() -> None:
    """Common random numbers: a different cadence meets the very same leads."""
    fast = _arrivals(["policy.speed_to_lead.new_leads_first=true", "policy.queue.order=lifo"])
    slow = _arrivals(["policy.followup.max_attempts=2", "policy.queue.order=fifo"])
    assert len(fast) > 1000
    assert fast == slow


@pytest.mark.pure_python_engine
def test_other_sources_unchanged_when_one_source_changes() -> None:
    base = _arrivals([])
    more_web = _arrivals(["scenario.sources[0].leads_per_week=2000"])
    assert [a for a in base if a[1] != 0] == [a for a in more_web if a[1] != 0]
    assert sum(a[1] == 0 for a in more_web) > sum(a[1] == 0 for a in base)
