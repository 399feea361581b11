"""The meter: closed leads packed into arrays between the weekly folds are tallied as one batch."""

from __future__ import annotations

import math

import numpy as np

from sim.config.units import MINUTES_PER_WEEK
from sim.engine.meter import CLOSED_LEADS_PACKED, Meter
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
