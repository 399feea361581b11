"""The meter: closed leads packed into arrays between the weekly folds are tallied as one batch,
and raw times folded in parts add up to the same integrals as folded at once."""

from __future__ import annotations

import math

import numpy as np

from sim.config.units import MINUTES_PER_WEEK
from sim.engine.meter import CLOSED_LEADS_PACKED, TASKS_PER_FOLD, Meter
from sim.engine.people import LOST_NEVER_REACHED, WON, Lead
from sim.engine.tally import AttemptTally, FirstAttemptTally, LocalHourTally


def closed_leads(count: int, rng: np.random.Generator) -> list[Lead]:
    leads = []
    for i in range(count):
        arrived = float(rng.uniform(0, MINUTES_PER_WEEK))
        lead = Lead(i, 0, arrived, 0.5, 0.5, 1000.0, True, [0.5] * 13, True)
        lead.local_offset = float(rng.choice([0.0, -60.0, 90.0]))
        lead.attempts = int(rng.integers(0, 12))
        if lead.attempts:
            lead.first_attempt_at = arrived + float(rng.exponential(30.0))
            lead.reached_attempt = int(rng.integers(0, lead.attempts + 1))
            if lead.reached_attempt:
                lead.reached_at = lead.first_attempt_at + 10.0 * (lead.reached_attempt - 1)
        lead.qualified = bool(rng.random() < 0.3)
        leads.append(lead)
    return leads


def test_leads_packed_between_folds_are_tallied_as_one_batch() -> None:
    # More than three packings' worth of leads closed in one week, then one fold.
    leads = closed_leads(3 * CLOSED_LEADS_PACKED + 5, np.random.default_rng(4))
    won = [lead.qualified and lead.id % 2 == 0 for lead in leads]
    meter = Meter((0.0, 4 * MINUTES_PER_WEEK), [])
    for lead, lead_won in zip(leads, won, strict=True):
        meter.lead_closed(lead, WON if lead_won else LOST_NEVER_REACHED)
    meter.fold()

    # The same leads tallied at once, as the fold did before packing.
    arrived = np.array([lead.arrived_at for lead in leads])
    first = np.array([lead.first_attempt_at for lead in leads])
    reached_at = np.array([lead.reached_at for lead in leads])
    delay = first - arrived
    reached, reached_first = reached_at != math.inf, reached_at == first
    first_attempts, attempts, local_hours = FirstAttemptTally(), AttemptTally(), LocalHourTally()
    won_array = np.array(won)
    qualified = np.array([lead.qualified for lead in leads])
    first_attempts.add_many(delay, reached_first, reached, qualified, won_array)
    attempts.add_many(
        np.array([lead.attempts for lead in leads]),
        np.array([lead.reached_attempt for lead in leads]),
        won_array,
    )
    offset = np.array([lead.local_offset for lead in leads])
    local_hours.add_many(arrived + offset, delay, reached, reached_first)

    assert meter.first_attempts.counts.tolist() == first_attempts.counts.tolist()
    assert meter.first_attempts.delay_sum == first_attempts.delay_sum
    assert meter.attempts.counts.tolist() == attempts.counts.tolist()
    assert meter.local_hours.counts.tolist() == local_hours.counts.tolist()
    assert meter.local_hours.delay_minutes.tolist() == local_hours.delay_minutes.tolist()


def metered_times(folds_every: int) -> Meter:
    """A meter given three weeks of random tasks and backlog changes, folded every *folds_every*."""
    rng = np.random.default_rng(11)
    shifts = [([(540.0 + 1440.0 * day, 1020.0 + 1440.0 * day) for day in range(5)], 4)]
    meter = Meter((0.5 * MINUTES_PER_WEEK, 2.5 * MINUTES_PER_WEEK), shifts)
    starts = np.sort(rng.uniform(0.0, 3 * MINUTES_PER_WEEK, 3 * TASKS_PER_FOLD + 7))
    minutes = rng.exponential(9.0, starts.size)
    shift_left = rng.uniform(-5.0, 300.0, starts.size)  # the shift's end after the start
    for index, (start, took, left) in enumerate(zip(starts, minutes, shift_left, strict=True)):
        meter.task_starts.append(start)
        meter.task_ends.append(start + took)
        meter.task_shift_ends.append(start + left)
        meter.backlog_changed_at.append(start)
        meter.backlog_steps.append(-1 if index % 3 == 2 else 1)  # never below zero
        if (index + 1) % folds_every == 0:
            meter.fold_times()
    meter.finish(3 * MINUTES_PER_WEEK)
    return meter


def test_times_folded_in_parts_give_the_integrals_folded_at_once_to_the_last_bit() -> None:
    # The floor folds every TASKS_PER_FOLD finished tasks as well as weekly: the numbers
    # must not depend on where the folds fall (or on the team's size, which moves them).
    at_once = metered_times(folds_every=10**9)
    for folds_every in (TASKS_PER_FOLD, 1000, 37):
        in_parts = metered_times(folds_every)
        assert in_parts.busy_minutes == at_once.busy_minutes
        assert in_parts.overtime_minutes == at_once.overtime_minutes
        assert in_parts.backlog_minutes == at_once.backlog_minutes
        assert in_parts.max_backlog == at_once.max_backlog
        assert in_parts.busy_by_hour.tolist() == at_once.busy_by_hour.tolist()
        assert in_parts.backlog_by_hour.tolist() == at_once.backlog_by_hour.tolist()
    assert at_once.busy_minutes > 0 and at_once.backlog_minutes > 0
    assert at_once.overtime_minutes > 0 and at_once.max_backlog > 0
