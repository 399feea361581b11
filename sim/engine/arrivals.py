"""Lead arrivals: exact non-homogeneous Poisson processes, drawn a week at a time.

Each source's arrival rate is piecewise constant over the 168 hours of the week.
Arrivals are sampled by thinning (Lewis and Shedler): candidate times from a
homogeneous process at the peak rate, each kept with probability
rate(t) / peak rate. This is exact, vectorised per week, and keeps memory
bounded by one week of arrivals whatever the horizon.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Final

import numpy as np
from mypy_extensions import mypyc_attr

from sim.config.scenario import LeadSource, LeadTraits
from sim.config.seasonality import SeasonalVolume, YearCalendar
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


@mypyc_attr(acyclic=True)
class LeadDraw:
    """Everything random about one lead, fixed when it arrives.

    A plain class, not a named tuple: compiled, the engine makes one from native numbers
    and reads its fields back as native numbers, with no tuple in between. It holds
    numbers and names only, so compiled it is ``acyclic`` (:mod:`sim.engine.people`)."""

    __slots__ = (
        "arrived_at",
        "fit",
        "intent",
        "local_offset",
        "luck",
        "patience",
        "reachability",
        "source",
        "time_zone",
        "value",
    )

    def __init__(
        self,
        arrived_at: float,
        source: int,
        intent: float,
        reachability: float,
        value: float,
        fit: bool,
        patience: float,
        luck: Sequence[float],
        local_offset: float = 0.0,
        time_zone: str | None = None,
    ) -> None:
        self.arrived_at = arrived_at
        self.source = source
        self.intent = intent
        self.reachability = reachability
        self.value = value
        self.fit = fit
        self.patience = patience
        self.luck = luck
        """The lead's own uniform numbers: reach on attempts 1..8, qualify, win, screen, hold,
        and the seed of its own generator for the decision stage and life as a customer."""
        self.local_offset = local_offset
        """Minutes the lead's local clock is ahead of the reps' (its source's time-zone mix)."""
        self.time_zone = time_zone
        """The lead's IANA zone, if its source names zones (its offset then changes with the date)."""

    def fields(self) -> tuple[Any, ...]:
        """Every field, in the order :meth:`__init__` takes them."""
        return (
            self.arrived_at,
            self.source,
            self.intent,
            self.reachability,
            self.value,
            self.fit,
            self.patience,
            self.luck,
            self.local_offset,
            self.time_zone,
        )

    def __eq__(self, other: object) -> bool:
        """The same lead: every field equal (the same leads drawn twice are equal)."""
        return isinstance(other, LeadDraw) and self.fields() == other.fields()

    def __repr__(self) -> str:
        return f"LeadDraw{self.fields()!r}"


LEADS_PER_BATCH = 1024
"""Leads made into :class:`LeadDraw` objects at a time. A week's arrival times and attributes are
drawn as numpy arrays at once, but the leads' luck and their Python objects (about 300 bytes a
lead with its luck) a batch at a time, as the floor reaches them: a week of them at once would
not stay in the processor's cache (docs/performance.md, "Session 12")."""


class LeadColumns:
    """Leads' draws in arrival order: their attributes as numpy arrays, their luck still to draw.

    :meth:`draws` makes their objects and draws their luck as it goes, from each source's own
    luck stream. A stream gives the same numbers whether they are drawn at once or a batch at a
    time, so the leads are the same whatever the batch, provided :meth:`draws` walks them once,
    in order.
    """

    def __init__(self, fields: list[np.ndarray], luck: dict[int, np.random.Generator]) -> None:
        self.fields = fields
        """Each field of :class:`LeadDraw` but the luck, in its order: one array each."""
        self._luck = luck
        """Each source's luck stream, by the source's index (``fields[1]``)."""
        self._drawn = 0

    @property
    def size(self) -> int:
        """How many leads."""
        return len(self.fields[0])

    def _luck_rows(self, start: int, stop: int) -> np.ndarray:
        """The luck of leads *start* to *stop*, ``LUCK_SIZE`` numbers a lead, each from its
        source's stream."""
        if start != self._drawn:
            raise ValueError(f"leads drawn out of order: {start} after {self._drawn}")
        self._drawn = stop
        if len(self._luck) == 1:
            (stream,) = self._luck.values()
            return stream.random((stop - start, LUCK_SIZE))
        sources = self.fields[1][start:stop]
        rows = np.empty((stop - start, LUCK_SIZE))
        for source, stream in self._luck.items():
            chosen = sources == source
            rows[chosen] = stream.random((int(np.count_nonzero(chosen)), LUCK_SIZE))
        return rows

    def draws(self, start: int = 0, stop: int | None = None) -> list[LeadDraw]:
        """The :class:`LeadDraw` of leads *start* to *stop* (all by default), the first time
        each lead is asked for: leads are drawn once, in arrival order."""
        stop = self.size if stop is None else min(stop, self.size)
        # Typed lists: compiled, each element is read and unboxed natively.
        arrived_at: list[float] = self.fields[0][start:stop].tolist()
        source: list[int] = self.fields[1][start:stop].tolist()
        intent: list[float] = self.fields[2][start:stop].tolist()
        reachability: list[float] = self.fields[3][start:stop].tolist()
        value: list[float] = self.fields[4][start:stop].tolist()
        fit: list[bool] = self.fields[5][start:stop].tolist()
        patience: list[float] = self.fields[6][start:stop].tolist()
        offset: list[float] = self.fields[7][start:stop].tolist()
        zone: list[str | None] = self.fields[8][start:stop].tolist()
        # Each lead's luck is its own small array of doubles, copied from its row (a list
        # would cost a float object per number; a view of the row would keep the whole
        # batch's numbers alive as long as any of its leads): indexing it gives the same floats.
        rows = array("d", self._luck_rows(start, stop).tobytes())
        return [
            LeadDraw(
                arrived_at[i],
                source[i],
                intent[i],
                reachability[i],
                value[i],
                fit[i],
                patience[i],
                rows[i * LUCK_SIZE : (i + 1) * LUCK_SIZE],
                offset[i],
                zone[i],
            )
            for i in range(len(arrived_at))
        ]


def merged(parts: list[LeadColumns]) -> LeadColumns:
    """*parts* as one batch in arrival order (leads arriving at the same time keep the parts' order)."""
    if len(parts) == 1:
        return parts[0]
    order = np.argsort(np.concatenate([part.fields[0] for part in parts]), kind="stable")
    return LeadColumns(
        [
            np.concatenate([part.fields[i] for part in parts])[order]
            for i in range(len(parts[0].fields))
        ],
        {source: stream for part in parts for source, stream in part._luck.items()},
    )


ZonePlacement = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""Given leads' arrival times, each one's local offset (minutes) and IANA zone (or None)."""


class TraitStreams:
    """Draws the latent traits of leads from one attribute stream and one luck stream."""

    def __init__(
        self, traits: LeadTraits, attribute_rng: np.random.Generator, luck_rng: np.random.Generator
    ):
        self.traits = traits
        self._attributes = attribute_rng
        self._luck = luck_rng

    def columns(
        self, times: np.ndarray, source: int, zones: ZonePlacement | None = None
    ) -> LeadColumns:
        """The draws of leads arriving at *times* (in the order given) from source *source*,
        placed in time zones by *zones* (None: the reps' zone)."""
        n = times.size
        traits, rng = self.traits, self._attributes
        intent = traits.intent.sample(rng, n)
        reach = traits.reachability.sample(rng, n)
        value = traits.deal_value.sample(rng, n)
        fit = rng.random(n) < traits.fit_rate
        patience = traits.patience.sample(rng, n) if traits.patience else np.full(n, np.inf)
        offsets, names = zones(times) if zones else (np.zeros(n), np.full(n, None, dtype=object))
        return LeadColumns(
            [times, np.full(n, source), intent, reach, value, fit, patience, offsets, names],
            {source: self._luck},
        )

    def draws(self, times: np.ndarray, source: int) -> list[LeadDraw]:
        """One :class:`LeadDraw` per arrival time, in the order given."""
        return self.columns(times, source).draws()


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
    """All leads arriving before *end*, in time order: :func:`lead_batches`, one lead at a time."""
    for batch in lead_batches(sources, streams, end, calendar):
        yield from batch


SourceStreams = tuple[
    np.ndarray, np.random.Generator, TraitStreams, ZonePlacement | None, SeasonalVolume
]
"""One source's hourly rates, arrival stream, trait streams, time-zone placement and seasonality."""


def lead_batches(
    sources: list[LeadSource],
    streams: Streams,
    end: float,
    calendar: YearCalendar | None = None,
) -> Iterator[list[LeadDraw]]:
    """All leads arriving before *end*, in time order, drawn one week at a time and handed
    over :data:`LEADS_PER_BATCH` at a time (the floor walks a batch with an index: cheaper
    per lead than a generator's step).

    Each source has its own arrival, attribute, luck (and time-zone) streams, so
    changing one source's volume leaves the other sources' leads untouched. The
    *calendar*'s holidays and seasonality, and a source's own seasonality on top, scale
    each week's rates (exact thinning).
    """
    per_source: list[SourceStreams] = [
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
        leads = _week_of_leads(per_source, week_start, week_end, volumes)
        for start in range(0, leads.size, LEADS_PER_BATCH):
            yield leads.draws(start, start + LEADS_PER_BATCH)
        week_start = week_end


def _week_of_leads(
    per_source: list[SourceStreams],
    week_start: float,
    week_end: float,
    volumes: tuple[float, ...] | None,
) -> LeadColumns:
    """Every source's leads arriving from *week_start* to *week_end*, merged in arrival order.

    A function of its own so that each source's arrays are freed once merged: kept in the
    generator's frame, they would double the arrays held all week (about 1.0 MB with the
    default team scaled 8x: 16,000 leads a week; their luck, 1.7 MB more, is drawn a batch at
    a time).
    """
    week = int(week_start // MINUTES_PER_WEEK)
    parts = []
    for index, (rates, arrival_rng, traits, zones, own) in enumerate(per_source):
        days = own.on_top_of(volumes, week)
        week_rates = rates if days is None else rates * np.repeat(days, HOURS_PER_DAY)
        times = thinned_arrivals(week_rates, week_start, week_end, arrival_rng)
        parts.append(traits.columns(times, index, zones))
    return merged(parts)


def time_zone_draws(
    source: LeadSource, streams: Streams, calendar: YearCalendar | None, end: float
) -> ZonePlacement | None:
    """A function placing each of the source's leads in a zone from its time-zone mix (None:
    every lead in the reps' zone): a fixed offset, or an IANA name with its offset on the day
    the lead arrives (the floor reads it again at each call; *calendar* names the reps' zone and
    the first day, *end* is the last arrival). Draws come from the source's own stream."""
    mix = source.time_zones
    if not mix or set(mix) == {0.0}:
        return None
    zones = [
        zone * MINUTES_PER_HOUR
        if isinstance(zone, float)
        else zone_offsets(zone, calendar.time_zone, calendar.start_date, end)  # type: ignore[union-attr, arg-type]
        for zone in mix
    ]
    shares = np.asarray(list(mix.values()))
    rng = streams.rng(f"time_zones:{source.name}")

    def placed(times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        chosen = rng.choice(len(zones), size=times.size, p=shares / shares.sum()).tolist()
        places = [_placed(zones[i], t) for i, t in zip(chosen, times.tolist(), strict=True)]
        offsets = np.array([offset for offset, _ in places], dtype=float)
        return offsets, np.array([name for _, name in places], dtype=object)

    return placed


def _placed(zone: float | ZoneOffsets, arrived_at: float) -> tuple[float, str | None]:
    """The local offset (minutes) and IANA name (None: a fixed offset) of a lead arriving at
    *arrived_at* in *zone*: a fixed offset, or a named zone (its offset on arrival)."""
    if isinstance(zone, ZoneOffsets):
        return zone.at(arrived_at), zone.name
    return zone, None
