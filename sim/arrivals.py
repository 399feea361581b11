"""Lead arrivals: exact non-homogeneous Poisson processes, drawn a week at a time.

Each source's arrival rate is piecewise constant over the 168 hours of the week.
Arrivals are sampled by thinning (Lewis and Shedler): candidate times from a
homogeneous process at the peak rate, each kept with probability
rate(t) / peak rate. This is exact, vectorised per week, and keeps memory
bounded by one week of arrivals whatever the horizon.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

from sim.calendar import HOURS_PER_WEEK, MINUTES_PER_WEEK
from sim.scenario import LeadSource
from sim.streams import Streams

LUCK_ATTEMPTS = 8
"""Attempts whose reach outcome uses the lead's own luck (later ones use a shared stream)."""
LUCK_QUALIFY = LUCK_ATTEMPTS
LUCK_WIN = LUCK_ATTEMPTS + 1
LUCK_SIZE = LUCK_ATTEMPTS + 2


class LeadDraw(NamedTuple):
    """Everything random about one lead, fixed when it arrives."""

    arrived_at: float
    source: int
    intent: float
    reachability: float
    value: float
    patience: float
    luck: list[float]
    """Uniform numbers the lead's outcomes use: reach on attempts 1..8, qualify, win."""


def hourly_rates(source: LeadSource) -> np.ndarray:
    """Arrival rate per minute in each hour of the week."""
    weights = np.asarray(source.profile, dtype=float)
    return source.leads_per_week * weights / weights.sum() / 60.0


def thinned_arrivals(
    rates: np.ndarray, start: float, end: float, rng: np.random.Generator
) -> np.ndarray:
    """Sorted arrival times in ``[start, end)`` of a Poisson process with hourly *rates*."""
    peak = float(rates.max())
    candidates = np.sort(start + rng.random(rng.poisson(peak * (end - start))) * (end - start))
    hour = (candidates // 60).astype(np.int64) % HOURS_PER_WEEK
    keep = rng.random(candidates.size) * peak < rates[hour]
    return candidates[keep]


def lead_draws(sources: list[LeadSource], streams: Streams, end: float) -> Iterator[LeadDraw]:
    """All leads arriving before *end*, in time order, generated one week at a time.

    Each source has its own arrival, attribute and luck streams, so changing one
    source's volume leaves the other sources' leads untouched.
    """
    per_source = [
        (
            hourly_rates(source),
            streams.rng(f"arrivals:{source.name}"),
            streams.rng(f"attributes:{source.name}"),
            streams.rng(f"luck:{source.name}"),
        )
        for source in sources
    ]
    week_start = 0.0
    while week_start < end:
        week_end = min(week_start + MINUTES_PER_WEEK, end)
        batch: list[LeadDraw] = []
        for index, (source, (rates, arrival_rng, attribute_rng, luck_rng)) in enumerate(
            zip(sources, per_source, strict=True)
        ):
            times = thinned_arrivals(rates, week_start, week_end, arrival_rng)
            n = times.size
            intent = source.intent.sample(attribute_rng, n)
            reach = source.reachability.sample(attribute_rng, n)
            value = source.deal_value.sample(attribute_rng, n)
            patience = (
                source.patience.sample(attribute_rng, n) if source.patience else np.full(n, np.inf)
            )
            luck = luck_rng.random((n, LUCK_SIZE)).tolist()
            batch.extend(
                LeadDraw(t, index, i, r, v, p, u)
                for t, i, r, v, p, u in zip(
                    times.tolist(),
                    intent.tolist(),
                    reach.tolist(),
                    value.tolist(),
                    patience.tolist(),
                    luck,
                    strict=True,
                )
            )
        batch.sort(key=lambda draw: draw.arrived_at)
        yield from batch
        week_start = week_end
