"""The tallies: first-attempt delay bins, quantiles and shares; leads by attempt number."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.engine.tally import (
    BIN_RATIO,
    BINS,
    NEVER,
    OUTCOMES,
    SMALLEST_DELAY_MINUTES,
    TRACKED_ATTEMPTS,
    AttemptTally,
    FirstAttemptTally,
    bin_upper_edges,
    delay_bin,
    delay_bins,
)
from tests.unit.hypothesis_settings import UNIT

YEAR = 525_600.0


def test_special_delays() -> None:
    assert delay_bin(0.0) == 0  # a rep was free at once
    assert delay_bin(SMALLEST_DELAY_MINUTES / 2) == 0
    assert delay_bin(SMALLEST_DELAY_MINUTES) == 1
    assert delay_bin(math.inf) == NEVER == BINS
    assert delay_bin(100 * YEAR) == BINS - 1  # longer than a year: the last finite bin
    assert len(bin_upper_edges()) == BINS + 1 and bin_upper_edges()[-1] == math.inf


@UNIT
@given(st.floats(SMALLEST_DELAY_MINUTES, YEAR), st.floats(0, YEAR))
def test_a_delay_falls_between_its_bins_edges(delay: float, other: float) -> None:
    b = delay_bin(delay)
    edges = bin_upper_edges()
    assert edges[b - 1] * (1 - 1e-12) <= delay < edges[b] * (1 + 1e-12)
    assert edges[b] / edges[b - 1] == pytest.approx(BIN_RATIO)
    if other <= delay:
        assert delay_bin(other) <= b  # bins never go backwards


@UNIT
@given(st.lists(st.floats(0, 100 * YEAR) | st.just(math.inf), max_size=50))
def test_delay_bins_are_delay_bin_to_the_last_one(delays: list[float]) -> None:
    assert delay_bins(np.array(delays, dtype=float)).tolist() == [delay_bin(d) for d in delays]


def test_delay_bins_at_the_bin_edges() -> None:
    """Right at an edge numpy's log and math.log may round apart; the bins must not."""
    edges = bin_upper_edges()[:-1]
    delays = np.concatenate([edges, np.nextafter(edges, 0), np.nextafter(edges, np.inf)])
    assert delay_bins(delays).tolist() == [delay_bin(d) for d in delays.tolist()]


def test_a_batch_counts_as_its_leads_one_by_one() -> None:
    rng = np.random.default_rng(5)
    delays = np.where(rng.random(500) < 0.1, math.inf, rng.exponential(30.0, 500))
    flags = rng.random((4, 500)) < 0.5
    one_by_one, batch = FirstAttemptTally(), FirstAttemptTally()
    for delay, *lead_flags in zip(delays.tolist(), *flags.tolist(), strict=True):
        one_by_one.add(delay, *lead_flags)
    batch.add_many(delays[:200], *flags[:, :200])
    batch.add_many(delays[200:], *flags[:, 200:])
    assert (batch.counts == one_by_one.counts).all()
    assert batch.delay_sum == one_by_one.delay_sum  # a running sum, to the last bit
    running = 0.0
    for delay in delays.tolist():
        running += delay if delay != math.inf else 0.0
    assert batch.delay_sum == running


def tally_of(delays: list[float]) -> FirstAttemptTally:
    tally = FirstAttemptTally()
    for delay in delays:
        tally.add(delay, reached_first=False, reached=False, qualified=False, won=False)
    return tally


def test_quantiles_are_within_one_percent() -> None:
    delays = list(np.linspace(1.0, 1000.0, 1000))
    tally = tally_of(delays)
    for q in (0.1, 0.5, 0.9):
        assert tally.quantile(q) == pytest.approx(np.quantile(delays, q), rel=0.015)


def test_quantiles_of_leads_never_or_at_once_attempted() -> None:
    assert tally_of([0.0, 0.0, 0.0]).quantile(0.5) == 0.0
    assert tally_of([5.0] * 3 + [math.inf] * 7).quantile(0.5) == math.inf
    assert tally_of([5.0] * 3 + [math.inf] * 7).quantile(0.2) == pytest.approx(5.0, rel=0.01)
    assert math.isnan(FirstAttemptTally().quantile(0.5))


def test_share_within() -> None:
    tally = tally_of([1.0, 2.0, 3.0, 10.0, math.inf])
    assert tally.share_within(3.0) == pytest.approx(3 / 5)
    assert tally.share_within(5.0) == pytest.approx(3 / 5)
    assert tally.share_within(10.0) == pytest.approx(4 / 5)
    assert tally.share_within(0.0) == 0.0
    assert math.isnan(FirstAttemptTally().share_within(5.0))


def test_counts_by_outcome_and_the_delay_sum() -> None:
    tally = FirstAttemptTally()
    tally.add(2.0, reached_first=True, reached=True, qualified=True, won=True)
    tally.add(2.0, reached_first=False, reached=True, qualified=True, won=False)
    tally.add(90.0, reached_first=False, reached=False, qualified=False, won=False)
    tally.add(math.inf, reached_first=False, reached=False, qualified=False, won=False)
    counts = tally.counts
    assert counts.shape == (len(OUTCOMES), BINS + 1)
    assert dict(zip(OUTCOMES, counts.sum(axis=1).tolist(), strict=True)) == {
        "leads": 4,
        "reached_first": 1,
        "reached": 2,
        "qualified": 2,
        "won": 1,
    }
    assert counts[0, delay_bin(2.0)] == 2 and counts[0, NEVER] == 1
    assert tally.leads == 4
    assert tally.delay_sum == 94.0  # the never-attempted lead adds no delay


@UNIT
@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20), st.booleans()), max_size=60))
def test_attempt_tally_counts_every_attempt_a_lead_got(leads: list[tuple[int, int, bool]]) -> None:
    """Column k of 'attempted' counts leads with a k-th attempt (column 0: none at all)."""
    leads = [(attempts, min(reached, attempts), won) for attempts, reached, won in leads]
    tally = AttemptTally()
    for attempts, reached, won in leads:
        tally.add(attempts, reached, won)
    attempted, reached_row, won_row = tally.counts.tolist()
    assert attempted[0] == sum(attempts == 0 for attempts, _, _ in leads)
    for k in range(1, TRACKED_ATTEMPTS + 1):
        assert attempted[k] == sum(attempts >= k for attempts, _, _ in leads)
    for column in range(TRACKED_ATTEMPTS + 1):
        first = [won for _, reached, won in leads if min(reached, TRACKED_ATTEMPTS) == column]
        assert (reached_row[column], won_row[column]) == (len(first), sum(first))
