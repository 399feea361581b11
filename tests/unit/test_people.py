"""People and tasks: a lead's luck wherever it is kept, the work queues' order, and the one
event that watches a prospect's interest."""

from __future__ import annotations

import heapq
import random
from array import array
from typing import Any

import numpy as np

from sim.engine import SalesFloor
from sim.engine.arrivals import LUCK_ATTEMPTS, LUCK_QUALIFY, LUCK_SIZE, LUCK_STAGE, LUCK_WIN
from sim.engine.people import FOLLOW_UP, LOST_INTEREST_DECAYED, Lead, Task
from sim.experiment import validate_experiment


def _lead(luck: list[float]) -> Lead:
    return Lead(7, 0, 0.0, 0.5, 0.5, 1000.0, True, array("d", luck), False)


def test_a_lead_reads_the_same_luck_before_and_after_keeping_it() -> None:
    rng = random.Random(3)
    drawn = [rng.random() for _ in range(LUCK_SIZE)]
    lead = _lead(drawn)
    # New: read as drawn.
    assert lead.reach_luck(1) == drawn[0]
    assert (lead.qualify_luck(), lead.win_luck(), lead.stage_luck()) == (
        drawn[LUCK_QUALIFY],
        drawn[LUCK_WIN],
        drawn[LUCK_STAGE],
    )
    assert not lead.luck_kept
    # The second attempt keeps it in the lead's own fields and lets the array go.
    assert lead.reach_luck(2) == drawn[1]
    assert lead.luck_kept and len(lead.luck) == 0
    assert [lead.reach_luck(attempt) for attempt in range(2, LUCK_ATTEMPTS + 1)] == drawn[1:8]
    assert (lead.qualify_luck(), lead.win_luck(), lead.stage_luck()) == (
        drawn[LUCK_QUALIFY],
        drawn[LUCK_WIN],
        drawn[LUCK_STAGE],
    )
    lead.keep_luck()  # once only: the numbers stay
    assert lead.stage_luck() == drawn[LUCK_STAGE]


def test_waiting_tasks_leave_their_queue_by_rank_then_priority_then_arrival() -> None:
    rng = random.Random(5)
    tasks = []
    for seq in range(200):
        task = Task(FOLLOW_UP, None, 0.0, 60.0)
        task.rank, task.priority, task.seq = rng.randrange(2), float(rng.randrange(4)), seq
        tasks.append(task)
    queue = list(tasks)
    rng.shuffle(queue)
    heapq.heapify(queue)
    order = [heapq.heappop(queue) for _ in range(len(tasks))]
    assert order == sorted(tasks, key=lambda t: (t.rank, t.priority, t.seq))


def test_one_event_watches_a_prospects_interest_however_often_it_is_reached(
    tiny: dict[str, Any],
) -> None:
    experiment = validate_experiment(tiny)
    floor = SalesFloor(experiment.scenario, experiment.policy, np.random.SeedSequence(2))
    lasts = floor._interest_lasts
    lead = _lead([0.5] * LUCK_SIZE)
    floor._active[lead] = None
    try:
        pending = floor.clock.pending
        for reached_at in (100.0, 130.0, 170.0):  # three touches reach it
            floor.clock.now = reached_at
            floor._engaged(lead, reached_at)
        assert floor.clock.pending == pending + 1  # one watch, not three
        assert lead.fades_at == 170.0 + lasts
        # When the first touch's interest would have faded, the watch waits on.
        floor.clock.run(until=100.0 + lasts + 1.0)
        assert lead.outcome is None
        floor.clock.run(until=170.0 + lasts)
        assert lead.outcome is None  # not yet: it fades at 170 + lasts exactly
        floor.clock.run(until=170.0 + lasts + 1.0)
        assert lead.outcome == LOST_INTEREST_DECAYED
    finally:
        floor._let_go()  # it never ran: its pending events would keep it alive
