"""Streaming tallies: KPIs accumulated as the simulation runs, in bounded memory.

The attempt tally counts, by attempt number, how many cohort leads got that
attempt and how many were first reached on it, for all leads and for the leads
that were won: per-attempt contact rates and "converted leads reached by the
k-th attempt", as the follow-up studies report them.

The first-attempt tally bins each cohort lead by the delay of its first call
attempt (log-spaced bins, 2% wide) and counts how many of each bin were
reached on that first attempt, reached at all, qualified and won. That answers both "what is the median and 90th
percentile speed-to-lead?" and "how do qualification odds fall with delay?"
without keeping one record per lead.

The local-hour tally counts the same leads by their own local hour of the day (leads
may live in other time zones than the reps): of arrival, how soon the first call came
and whether it reached them; of the first call, whether it got through.
"""

from __future__ import annotations

import math
from array import array
from typing import ClassVar

import numpy as np

from sim.config.units import HOURS_PER_DAY, MINUTES_PER_HOUR, MINUTES_PER_YEAR

SMALLEST_DELAY_MINUTES = 0.01
"""Delays below this (including zero: a rep was free) share the first bin."""
BIN_RATIO = 1.02
_LOG_RATIO = math.log(BIN_RATIO)
BINS = 1 + math.ceil(math.log(MINUTES_PER_YEAR / SMALLEST_DELAY_MINUTES) / _LOG_RATIO)
NEVER = BINS
"""Bin of leads that never had an attempt."""

OUTCOMES = ("leads", "reached_first", "reached", "qualified", "won")
"""Rows of the tally: leads, reached on the first attempt, reached at all, qualified, won."""


def delay_bin(minutes: float) -> int:
    """The bin of a first-attempt delay (``math.inf``: never attempted)."""
    if minutes < SMALLEST_DELAY_MINUTES:
        return 0
    if minutes == math.inf:
        return NEVER
    return min(BINS - 1, 1 + int(math.log(minutes / SMALLEST_DELAY_MINUTES) / _LOG_RATIO))


def bin_upper_edges() -> np.ndarray:
    """Upper delay edge (minutes) of each bin; the last is infinite (never attempted)."""
    edges = SMALLEST_DELAY_MINUTES * BIN_RATIO ** np.arange(BINS, dtype=float)
    return np.append(edges, math.inf)


class FirstAttemptTally:
    """Counts of cohort leads by first-attempt delay bin and how far each got."""

    def __init__(self) -> None:
        self._rows = [[0] * (BINS + 1) for _ in OUTCOMES]
        self.delay_sum = 0.0

    def add(
        self, delay: float, reached_first: bool, reached: bool, qualified: bool, won: bool
    ) -> None:
        b = delay_bin(delay)
        leads, reached_first_row, reached_row, qualified_row, won_row = self._rows
        leads[b] += 1
        if reached_first:
            reached_first_row[b] += 1
        if reached:
            reached_row[b] += 1
        if qualified:
            qualified_row[b] += 1
        if won:
            won_row[b] += 1
        if delay != math.inf:
            self.delay_sum += delay

    @property
    def counts(self) -> np.ndarray:
        """Counts by outcome (rows as in :data:`OUTCOMES`) and delay bin (columns)."""
        return np.array(self._rows, dtype=np.int64)

    @property
    def leads(self) -> int:
        return sum(self._rows[0])

    def share_within(self, minutes: float) -> float:
        """Share of leads whose first attempt came within *minutes* (bin resolution: 2%)."""
        total = self.leads
        if total == 0:
            return math.nan
        return sum(self._rows[0][: delay_bin(minutes) + 1]) / total

    def quantile(self, q: float) -> float:
        """Delay quantile in minutes (``inf`` if that share of leads was never attempted)."""
        row = self._rows[0]
        total = sum(row)
        if total == 0:
            return math.nan
        cumulative = np.cumsum(row)
        b = int(np.searchsorted(cumulative, q * total, side="left"))
        if b >= NEVER:
            return math.inf
        if b == 0:
            return 0.0
        # Geometric midpoint of the bin: at most 1% from any delay inside it.
        return SMALLEST_DELAY_MINUTES * BIN_RATIO ** (b - 0.5)


TRACKED_ATTEMPTS = 12
"""Attempt numbers counted one by one; later attempts share the last column."""


class AttemptTally:
    """Cohort leads by attempt number: attempted, first reached there; all leads and won ones."""

    ROWS: ClassVar[tuple[str, ...]] = ("attempted", "reached", "won_reached")

    def __init__(self) -> None:
        self._last_attempt = [0] * (TRACKED_ATTEMPTS + 1)
        """Leads by their number of attempts (later ones share the last column): a lead
        with k attempts got attempts 1..k, so the 'attempted' row is a running total."""
        self._reached = [0] * (TRACKED_ATTEMPTS + 1)
        """Leads by the attempt that first reached them (column 0: never reached)."""
        self._won_reached = [0] * (TRACKED_ATTEMPTS + 1)
        """The same for the leads that were won."""

    def add(self, attempts: int, reached_attempt: int, won: bool) -> None:
        self._last_attempt[min(attempts, TRACKED_ATTEMPTS)] += 1
        column = min(reached_attempt, TRACKED_ATTEMPTS)
        self._reached[column] += 1
        if won:
            self._won_reached[column] += 1

    @property
    def counts(self) -> np.ndarray:
        """Counts by row (as in :attr:`ROWS`) and attempt number (column 0: none).

        Row 'attempted': column 0 counts leads never attempted, column k the leads
        that got a k-th attempt.
        """
        by_last = np.array(self._last_attempt, dtype=np.int64)
        attempted = np.cumsum(by_last[::-1])[::-1]  # leads with at least k attempts
        attempted[0] = by_last[0]
        return np.array([attempted, self._reached, self._won_reached], dtype=np.int64)


LOCAL_HOUR_ROWS = (
    "leads",
    "called_within_5m",
    "called_within_1h",
    "called",
    "reached",
    "first_calls",
    "first_calls_reached",
)
"""Rows of the local-hour tally. By the lead's local hour of arrival: leads, first call
within 5 minutes / within an hour / at all, reached at all. By the lead's local hour of
the first call: first calls, and those that got through."""
CALLED_WITHIN_MINUTES = (5.0, 60.0)
"""The delays behind ``called_within_5m`` and ``called_within_1h``."""


class LocalHourTally:
    """Cohort leads by their own local hour of the day: when they came, when they were first called.

    The engine appends three numbers per lead as it closes (:meth:`add`, a few C-level
    appends); :meth:`fold` turns them into counts by hour with numpy, a simulated week
    at a time, so memory stays bounded.
    """

    def __init__(self) -> None:
        self._arrived_local = array("d")
        """Each lead's arrival on its own clock (minutes since time 0 plus its zone's offset)."""
        self._delay = array("d")
        """Its first call's delay in minutes (``inf``: never called)."""
        self._reached = array("b")
        """0: never reached; 1: reached, not by the first call; 2: reached by the first call."""
        self._counts = np.zeros((len(LOCAL_HOUR_ROWS), HOURS_PER_DAY), dtype=np.int64)
        self._delay_minutes = np.zeros(HOURS_PER_DAY)

    @property
    def counts(self) -> np.ndarray:
        """Counts by row (as in :data:`LOCAL_HOUR_ROWS`) and local hour of the day (columns)."""
        self.fold()  # leads still open are closed after the last weekly fold
        return self._counts.copy()

    @property
    def delay_minutes(self) -> np.ndarray:
        """Sum of the first-call delays of the called leads, by local hour of arrival."""
        self.fold()
        return self._delay_minutes.copy()

    def add(self, arrived_local: float, delay: float, reached: bool, reached_first: bool) -> None:
        self._arrived_local.append(arrived_local)
        self._delay.append(delay)
        self._reached.append(2 if reached and reached_first else int(reached))

    def fold(self) -> None:
        """Add the leads appended so far to the counts, and empty the arrays."""
        arrived = np.array(self._arrived_local, dtype=float)
        if not arrived.size:
            return
        delay = np.array(self._delay, dtype=float)
        reached = np.array(self._reached, dtype=np.int8)
        called = np.isfinite(delay)
        arrival_hour = local_hour_of_day(arrived)
        call_hour = local_hour_of_day(arrived[called] + delay[called])
        by_arrival = [
            np.ones(arrived.size, dtype=bool),
            delay <= CALLED_WITHIN_MINUTES[0],
            delay <= CALLED_WITHIN_MINUTES[1],
            called,
            reached > 0,
        ]
        for row, chosen in enumerate(by_arrival):
            self._counts[row] += np.bincount(arrival_hour[chosen], minlength=HOURS_PER_DAY)
        self._counts[5] += np.bincount(call_hour, minlength=HOURS_PER_DAY)
        self._counts[6] += np.bincount(call_hour[reached[called] == 2], minlength=HOURS_PER_DAY)
        self._delay_minutes += np.bincount(
            arrival_hour[called], weights=delay[called], minlength=HOURS_PER_DAY
        )
        del self._arrived_local[:], self._delay[:], self._reached[:]


def local_hour_of_day(minutes: np.ndarray) -> np.ndarray:
    """The hour of the day (0-23) of times in minutes since midnight of day 0."""
    return (np.floor_divide(minutes, MINUTES_PER_HOUR) % HOURS_PER_DAY).astype(np.int64)
