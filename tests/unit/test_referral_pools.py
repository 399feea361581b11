"""Referral pools: what a department's or customer's contacts do as requests and time go by.

A pool refills towards its size with time constant ``refill_time``; a request
takes a Poisson number of contacts with mean ``share x strength x level``. Asked
every *gap*, the pool settles at ``C (1 - e) / (1 - (1 - s) e)``, ``e = exp(-gap / refill_time)``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.config.scenario import ContactPool
from sim.config.units import MINUTES_PER_DAY, MINUTES_PER_WEEK
from sim.engine._referrals import ReferralPool, expected_yield_per_request
from tests.unit.hypothesis_settings import UNIT

EVENTS = ContactPool(pool_size=30, refill_time="4w", share_per_request=0.5)


def test_a_pool_starts_full_and_refills_two_thirds_in_one_refill_time() -> None:
    pool = ReferralPool(EVENTS, now=0.0)
    assert pool.level_at(0.0) == pool.level_at(1e9) == 30
    pool.level, pool.updated_at = 0.0, 100.0
    assert pool.level_at(100.0) == 0.0
    assert pool.level_at(100.0 + 4 * MINUTES_PER_WEEK) == pytest.approx(30 * (1 - math.exp(-1)))
    assert pool.level_at(100.0 + 40 * MINUTES_PER_WEEK) == pytest.approx(30, rel=1e-4)


def test_a_request_takes_its_share_of_the_waiting_contacts_on_average() -> None:
    rng = np.random.default_rng(1)
    yields = [ReferralPool(EVENTS, 0.0).ask(0.0, rng) for _ in range(20_000)]
    assert np.mean(yields) == pytest.approx(0.5 * 30, rel=0.01)  # se 0.2%
    halved = [ReferralPool(EVENTS, 0.0).ask(0.0, rng, strength=0.5) for _ in range(20_000)]
    assert np.mean(halved) == pytest.approx(0.25 * 30, rel=0.02)


def test_a_request_empties_the_pool_by_what_it_brought_and_counts_it() -> None:
    pool = ReferralPool(EVENTS, 0.0)
    rng = np.random.default_rng(2)
    first = pool.ask(0.0, rng)
    assert pool.level == pytest.approx(30 - first)
    second = pool.ask(0.0, rng)  # asked again at once: nothing has refilled
    assert pool.level == pytest.approx(max(30 - first - second, 0.0))
    assert (pool.requests, pool.referred) == (2, first + second)


@UNIT
@given(st.floats(0.1, 1000), st.floats(60, 1e6), st.floats(0.0, 1.0), st.integers(0, 2**32))
def test_the_pool_never_goes_below_empty_nor_above_full(
    size: float, refill: float, share: float, seed: int
) -> None:
    pool = ReferralPool(ContactPool(pool_size=size, refill_time=refill, share_per_request=share), 0)
    rng = np.random.default_rng(seed)
    now = 0.0
    for gap in rng.exponential(refill / 3, 20):
        now += gap
        pool.ask(now, rng)
        assert 0.0 <= pool.level <= size


@pytest.mark.parametrize("share", [0.3, 0.5, 1.0])
def test_asking_more_often_yields_less_per_request_and_at_most_the_refill_per_week(
    share: float,
) -> None:
    pool = ContactPool(pool_size=30, refill_time="4w", share_per_request=share)
    gaps = [MINUTES_PER_DAY * d for d in (1, 3, 7, 14, 28, 56)]
    per_request = [expected_yield_per_request(pool, gap) for gap in gaps]
    per_week = [y * MINUTES_PER_WEEK / gap for y, gap in zip(per_request, gaps, strict=True)]
    assert per_request == sorted(per_request)  # rarer requests bring more each
    assert per_week == sorted(per_week, reverse=True)  # but fewer per week in all
    assert max(per_week) < pool.contacts_per_week_at_most == pytest.approx(7.5)
    assert per_request[-1] < share * 30  # never more than the share of a full pool
    assert expected_yield_per_request(pool, 1e9) == pytest.approx(share * 30)


def test_the_steady_yield_formula_matches_a_simulated_rhythm() -> None:
    rng = np.random.default_rng(3)
    pool = ReferralPool(EVENTS, 0.0)
    gap = MINUTES_PER_WEEK
    yields = [pool.ask(gap * (k + 1), rng) for k in range(6000)][100:]  # skip the full start
    # About 5.4 per weekly request; the Poisson draws scatter the mean by about 0.03.
    assert np.mean(yields) == pytest.approx(expected_yield_per_request(EVENTS, gap), rel=0.03)
