"""Lead arrivals: exact non-homogeneous Poisson processes, drawn a week at a time.

Each source's arrival rate is piecewise constant over the 168 hours of the week.
Arrivals are sampled by thinning (Lewis and Shedler): candidate times from a
homogeneous process at the peak rate, each kept with probability
rate(t) / peak rate. This is exact, vectorised per week, and keeps memory
bounded by one week of arrivals whatever the horizon.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial
from itertools import repeat
from operator import attrgetter
from typing import Final, NamedTuple

import numpy as np

from sim.config.scenario import LeadSource, LeadTraits
from sim.config.seasonality import YearCalendar
from sim.config.time_zones import ZoneOffsets, zone_offsets
from sim.config.units import HOURS_PER_DAY, HOURS_PER_WEEK, MINUTES_PER_HOUR, MINUTES_PER_WEEK
from sim.engine.streams import Streams

LUCK_ATTEMPTS: Final = 8
"""Attempts whose reach outcome uses the lead's own luck (later ones use a shared stream)."""
LUCK_QUALIFY: Final = LUCK_ATTEMPTS
LUCK_WIN: Final = LUCK_ATTEMPTS + 1
LUCK_SCREEN: Final = LUCK_ATTEMPTS + 2
LUCK_HOLD: Final = LUCK_ATTEMPTS + 3
LUCK_STAGE: Final = LUCK_ATTEMPTS + 4
LUCK_SIZE: Final = LUCK_ATTEMPTS + 5


class LeadDraw(NamedTuple):
    """Everything random about one lead, fixed when it arrives."""

    arrived_at: float
    source: int
    intent: float
    reachability: float
    value: float
    fit: bool
    patience: float
    luck: Sequence[float]
    """The lead's own uniform numbers: reach on attempts 1..8, qualify, win, screen, hold,
    and the seed of its own generator for the decision stage and life as a customer."""
    local_offset: float = 0.0
    """Minutes the lead's local clock is ahead of the reps' (its source's time-zone mix)."""
    time_zone: str | None = None
    """The lead's IANA zone, if its source names zones (its offset then changes with the date)."""


_new_draw = partial(tuple.__new__, LeadDraw)
"""``LeadDraw`` from a tuple of all its fields, in C: ``LeadDraw._make`` checks the length in
interpreted Python once per lead (the callers' ``zip(..., strict=True)`` gives every field)."""

_arrival_time = attrgetter("arrived_at")
"""A draw's arrival time, read in C (a sort key for a week's draws)."""


class TraitStreams:
    """Draws the latent traits of leads from one attribute stream and one luck stream."""

    def __init__(
        self, traits: LeadTraits, attribute_rng: np.random.Generator, luck_rng: np.random.Generator
    ):
        self.traits = traits
        self._attributes = attribute_rng
        self._luck = luck_rng

    def draws(self, times: np.ndarray, source: int) -> list[LeadDraw]:
        """One :class:`LeadDraw` per arrival time, in the order given."""
        n = times.size
        traits, rng = self.traits, self._attributes
        intent = traits.intent.sample(rng, n)
        reach = traits.reachability.sample(rng, n)
        value = traits.deal_value.sample(rng, n)
        fit = rng.random(n) < traits.fit_rate
        patience = traits.patience.sample(rng, n) if traits.patience else np.full(n, np.inf)
        # Each lead's luck is a view of its row of one array (a list per lead would cost
        # a float object per number): indexing it gives the same Python floats.
        rows = memoryview(self._luck.random((n, LUCK_SIZE)).reshape(-1))  # type: ignore[arg-type]
        luck = [rows[i : i + LUCK_SIZE] for i in range(0, n * LUCK_SIZE, LUCK_SIZE)]
        return list(
            map(
                _new_draw,
                zip(
                    times.tolist(),
                    repeat(source, n),
                    intent.tolist(),
                    reach.tolist(),
                    value.tolist(),
                    fit.tolist(),
                    patience.tolist(),
                    luck,
                    repeat(0.0, n),  # local offset: the reps' zone until a time-zone mix says
                    repeat(None, n),  # no named zone
                    strict=True,
                ),
            )
        )


def hourly_rates(source: LeadSource) -> np.ndarray:
    """Arrival rate per minute in each hour of the week."""
    weights = np.asarray(source.profile, dtype=float)
    return source.leads_per_week * weights / weights.sum() / MINUTES_PER_HOUR


def thinned_arrivals(
    rates: np.ndarray, start: float, end: float, rng: np.random.Generator
) -> np.ndarray:
    """Sorted arrival times in ``[start, end)`` of a Poisson process with hourly *rates*."""
    peak = float(rates.max())
    candidates = np.sort(start + rng.random(rng.poisson(peak * (end - start))) * (end - start))
    hour = (candidates // MINUTES_PER_HOUR).astype(np.int64) % HOURS_PER_WEEK
    keep = rng.random(candidates.size) * peak < rates[hour]
    return candidates[keep]


def trait_streams(name: str, traits: LeadTraits, streams: Streams) -> TraitStreams:
    """The trait draws of the source called *name* (its own streams)."""
    return TraitStreams(traits, streams.rng(f"attributes:{name}"), streams.rng(f"luck:{name}"))


def lead_draws(
    sources: list[LeadSource],
    streams: Streams,
    end: float,
    calendar: YearCalendar | None = None,
) -> Iterator[LeadDraw]:
    """All leads arriving before *end*, in time order, generated one week at a time.

    Each source has its own arrival, attribute, luck (and time-zone) streams, so
    changing one source's volume leaves the other sources' leads untouched. The
    *calendar*'s holidays and seasonality, and a source's own seasonality on top, scale
    each week's rates (exact thinning).
    """
    per_source = [
        (
            hourly_rates(source),
            streams.rng(f"arrivals:{source.name}"),
            trait_streams(source.name, source, streams),
            time_zone_draws(source, streams, calendar, end),
            source.seasonality,
        )
        for source in sources
    ]
    closed = calendar.closed_days(end) if calendar is not None else frozenset()
    week_start = 0.0
    while week_start < end:
        week_end = min(week_start + MINUTES_PER_WEEK, end)
        volumes = (
            calendar.day_volumes(int(week_start // MINUTES_PER_WEEK), closed)
            if calendar is not None
            else None
        )
        batch: list[LeadDraw] = []
        week = int(week_start // MINUTES_PER_WEEK)
        for index, (rates, arrival_rng, traits, zones, own) in enumerate(per_source):
            days = own.on_top_of(volumes, week)
            week_rates = rates if days is None else rates * np.repeat(days, HOURS_PER_DAY)
            draws = traits.draws(
                thinned_arrivals(week_rates, week_start, week_end, arrival_rng), index
            )
            batch.extend(draws if zones is None else zones(draws))
        if len(per_source) > 1:  # one source's arrivals come sorted
            batch.sort(key=_arrival_time)
        yield from batch
        week_start = week_end


def time_zone_draws(
    source: LeadSource, streams: Streams, calendar: YearCalendar | None, end: float
) -> Callable[[list[LeadDraw]], list[LeadDraw]] | None:
    """A function giving each of the source's leads a zone from its time-zone mix (None: every
    lead in the reps' zone): a fixed offset, or an IANA name with its offset on the day the
    lead arrives (the floor reads it again at each call; *calendar* names the reps' zone and
    the first day, *end* is the last arrival). Draws come from the source's own stream."""
    mix = source.time_zones
    if not mix or set(mix) == {0.0}:
        return None
    offsets = [
        zone * MINUTES_PER_HOUR
        if isinstance(zone, float)
        else zone_offsets(zone, calendar.time_zone, calendar.start_date, end)  # type: ignore[union-attr, arg-type]
        for zone in mix
    ]
    shares = np.asarray(list(mix.values()))
    rng = streams.rng(f"time_zones:{source.name}")

    def placed(draws: list[LeadDraw]) -> list[LeadDraw]:
        chosen = rng.choice(len(offsets), size=len(draws), p=shares / shares.sum()).tolist()
        return [_in_zone(draw, offsets[i]) for draw, i in zip(draws, chosen, strict=True)]

    return placed


def _in_zone(draw: LeadDraw, zone: float | ZoneOffsets) -> LeadDraw:
    """*draw* placed at a fixed offset (minutes), or in a named zone (its offset on arrival)."""
    if isinstance(zone, ZoneOffsets):
        return draw._replace(local_offset=zone.at(draw.arrived_at), time_zone=zone.name)
    return draw._replace(local_offset=zone)
