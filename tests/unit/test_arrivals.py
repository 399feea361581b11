"""Lead arrivals: thinning gives the expected count in every hour of the week.

The per-hour check draws 60 weeks of the ``business_hours`` profile at a volume
where even the quietest hour expects 2,100 arrivals, so a 20% error in any hour's
rate moves its z score by more than 9; the test allows |z| < 4.5 per hour and a
chi-square over the 168 hours below its 99.9% quantile.
"""

from __future__ import annotations

import math
from array import array

import numpy as np
import pytest
from scipy import stats

from sim.config.calendar import PROFILE_PRESETS
from sim.config.scenario import LeadSource
from sim.config.units import HOURS_PER_WEEK, MINUTES_PER_WEEK
from sim.engine.arrivals import (
    LEADS_PER_BATCH,
    LUCK_SIZE,
    LeadColumns,
    hourly_rates,
    lead_draws,
    thinned_arrivals,
    trait_streams,
)
from sim.engine.streams import Streams

WEEKS = 60
QUIETEST_HOUR_PER_WEEK = 35
"""Expected arrivals per week in the quietest hour of the profile (2,100 over all weeks)."""
Z_LIMIT = 4.5
DETECTABLE_ERROR = 0.20


def source(name: str = "web_form", leads_per_week: float = 1300, **fields: object) -> LeadSource:
    return LeadSource(name=name, leads_per_week=leads_per_week, **fields)


def test_hourly_rates_spread_the_weekly_volume_by_the_profile() -> None:
    rates = hourly_rates(source(leads_per_week=1000, profile="business_hours"))
    weights = np.asarray(PROFILE_PRESETS["business_hours"])
    assert rates.shape == (HOURS_PER_WEEK,)
    assert rates.sum() * 60 == pytest.approx(1000)
    assert rates / rates.max() == pytest.approx(weights / weights.max())


def hour_z_scores(counts: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Per hour of the week, (observed - expected) / sqrt(expected): about N(0, 1) each."""
    return (counts - expected) / np.sqrt(expected)


def test_thinned_arrivals_match_the_expected_count_in_every_hour_of_the_week() -> None:
    weights = np.asarray(PROFILE_PRESETS["business_hours"])
    leads_per_week = QUIETEST_HOUR_PER_WEEK * weights.sum() / weights.min()
    rates = hourly_rates(source(leads_per_week=leads_per_week, profile="business_hours"))
    expected = rates * 60 * WEEKS  # arrivals per hour of the week over all weeks
    # A 20% error in any hour's rate moves its z score by at least twice the limit.
    assert DETECTABLE_ERROR * math.sqrt(expected.min()) > 2 * Z_LIMIT

    rng = np.random.default_rng(2026)
    counts = np.zeros(HOURS_PER_WEEK, dtype=np.int64)
    for week in range(WEEKS):
        start = week * MINUTES_PER_WEEK
        times = thinned_arrivals(rates, start, start + MINUTES_PER_WEEK, rng)
        assert (np.diff(times) >= 0).all() and times.min() >= start
        assert times.max() < start + MINUTES_PER_WEEK
        counts += np.bincount((times // 60).astype(int) % HOURS_PER_WEEK, minlength=HOURS_PER_WEEK)

    z = hour_z_scores(counts, expected)
    worst = int(np.abs(z).argmax())
    assert abs(z[worst]) < Z_LIMIT, f"hour {worst} of the week is off by z = {z[worst]:.1f}"
    assert float((z**2).sum()) < stats.chi2.ppf(0.999, HOURS_PER_WEEK - 1)
    # The same counts judged against a 20% error in the quietest hour fail the check.
    wrong = expected.copy()
    wrong[weights.argmin()] *= 1 + DETECTABLE_ERROR
    assert np.abs(hour_z_scores(counts, wrong)).max() > Z_LIMIT


def test_a_partial_window_and_closed_hours() -> None:
    weights = [0.0] * HOURS_PER_WEEK
    weights[10] = 1.0  # only Monday 10:00-11:00
    rates = hourly_rates(source(leads_per_week=5000, profile=weights))
    rng = np.random.default_rng(3)
    times = thinned_arrivals(rates, 630.0, 650.0, rng)  # 10:30-10:50 of week 0
    assert ((times >= 630.0) & (times < 650.0)).all()
    assert abs(times.size - 5000 / 3) < Z_LIMIT * math.sqrt(5000 / 3)
    assert thinned_arrivals(rates, 660.0, MINUTES_PER_WEEK, rng).size == 0


def three_sources(inbound_per_week: float = 300) -> list[LeadSource]:
    return [
        source("web_form", 1300, profile="business_hours"),
        source("inbound_call", inbound_per_week, profile="phone_hours"),
        source("purchased_list", 400, profile="flat"),
    ]


def all_draws(sources: list[LeadSource], seed: int = 7, weeks: float = 2.5) -> list:
    return list(
        lead_draws(sources, Streams(np.random.SeedSequence(seed)), weeks * MINUTES_PER_WEEK)
    )


def test_lead_draws_come_in_time_order_across_sources_and_weeks() -> None:
    draws = all_draws(three_sources())
    times = [draw.arrived_at for draw in draws]
    assert times == sorted(times)
    assert times[0] >= 0 and times[-1] < 2.5 * MINUTES_PER_WEEK
    assert {draw.source for draw in draws} == {0, 1, 2}
    assert all(len(draw.luck) == LUCK_SIZE for draw in draws)
    per_source = np.bincount([draw.source for draw in draws])
    for count, expected in zip(per_source, (1300 * 2.5, 300 * 2.5, 400 * 2.5), strict=True):
        assert abs(count - expected) < Z_LIMIT * math.sqrt(expected)


def web_form_columns(times: np.ndarray) -> LeadColumns:
    """The web form's leads arriving at *times*, from the streams of seed 7 (the same each call)."""
    return trait_streams("web_form", source(), Streams(np.random.SeedSequence(7))).columns(times, 0)


def test_leads_made_a_batch_at_a_time_are_the_leads_made_at_once() -> None:
    # lead_draws makes a week's LeadDraw objects, and draws their luck, LEADS_PER_BATCH at a time.
    times = np.sort(np.random.default_rng(1).random(2 * LEADS_PER_BATCH + 5) * MINUTES_PER_WEEK)
    columns = web_form_columns(times)
    in_batches = [
        draw
        for start in range(0, columns.size, LEADS_PER_BATCH)
        for draw in columns.draws(start, start + LEADS_PER_BATCH)
    ]
    at_once = web_form_columns(times).draws()
    assert in_batches == at_once
    assert len(at_once) == times.size
    assert [draw.arrived_at for draw in at_once] == times.tolist()


def test_leads_are_drawn_once_in_order() -> None:
    # Their luck is drawn as they are made: asking again, or skipping ahead, would give
    # other leads' numbers.
    columns = web_form_columns(np.arange(10.0))
    columns.draws(0, 4)
    with pytest.raises(ValueError, match="out of order"):
        columns.draws(0, 4)
    with pytest.raises(ValueError, match="out of order"):
        columns.draws(5, 10)


def test_each_leads_luck_comes_from_its_own_sources_stream_in_arrival_order() -> None:
    """Drawn a batch at a time across sources, the luck is each source's stream, row by row."""
    sources = three_sources()
    draws = all_draws(sources, weeks=1.0)
    streams = Streams(np.random.SeedSequence(7))
    for index, one in enumerate(sources):
        luck = [list(draw.luck) for draw in draws if draw.source == index]
        expected = streams.rng(f"luck:{one.name}").random((len(luck), LUCK_SIZE))
        assert luck == expected.tolist()
    assert len({draw.source for draw in draws[:LEADS_PER_BATCH]}) == 3  # batches mix sources


def test_a_leads_luck_is_its_own_copy_not_a_view_of_its_batch() -> None:
    """A lead open for months must not keep its whole batch's numbers alive."""
    draws = web_form_columns(
        np.sort(np.random.default_rng(1).random(10) * MINUTES_PER_WEEK)
    ).draws()
    luck = draws[3].luck
    assert isinstance(luck, array) and len(luck) == LUCK_SIZE
    assert luck.buffer_info()[0] != draws[4].luck.buffer_info()[0]  # its own buffer
    before = list(luck)
    draws[2].luck[:] = array("d", [-1.0] * LUCK_SIZE)  # a neighbour's numbers change
    assert list(luck) == before


def test_each_source_has_its_own_streams() -> None:
    """More inbound calls leave the web form's and the list's leads exactly as they were."""
    before = all_draws(three_sources(inbound_per_week=300))
    after = all_draws(three_sources(inbound_per_week=900))

    def of_source(draws: list, index: int) -> list:
        return [draw for draw in draws if draw.source == index]

    assert of_source(after, 0) == of_source(before, 0)
    assert of_source(after, 2) == of_source(before, 2)
    assert len(of_source(after, 1)) > 2 * len(of_source(before, 1))


def test_the_same_seed_gives_the_same_leads_and_another_seed_others() -> None:
    sources = three_sources()
    assert all_draws(sources, seed=7, weeks=1) == all_draws(sources, seed=7, weeks=1)
    assert all_draws(sources, seed=7, weeks=1) != all_draws(sources, seed=8, weeks=1)


def test_lead_traits_follow_the_source() -> None:
    keen = source("keen", 3000, fit_rate=1.0, intent={"mean": 0.6, "concentration": 10})
    draws = all_draws([keen], weeks=1)
    assert all(draw.fit for draw in draws)
    intent = np.array([draw.intent for draw in draws])
    assert abs(intent.mean() - 0.6) < Z_LIMIT * math.sqrt(0.6 * 0.4 / 11 / intent.size)
    assert all(math.isinf(draw.patience) for draw in draws)  # no patience: the lead waits
