"""Streaming tallies: KPIs accumulated as the simulation runs, in bounded memory.

The meter keeps each closed lead's raw numbers and hands them over a simulated week at
a time (``add_many``): the tallies count with numpy, so the event loop pays one
append per lead rather than three tallies' arithmetic.

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


_EDGE_TOLERANCE = 1e-9
"""Far wider than a few units in the last place of a position (at most about 900)."""


def delay_bins(minutes: np.ndarray) -> np.ndarray:
    """:func:`delay_bin` of every delay at once: the same bins, to the last one."""
    bins = np.zeros(minutes.size, dtype=np.int64)
    logged = np.flatnonzero((minutes >= SMALLEST_DELAY_MINUTES) & (minutes != math.inf))
    position = np.log(minutes[logged] / SMALLEST_DELAY_MINUTES) / _LOG_RATIO
    bins[logged] = np.minimum(BINS - 1, 1 + position.astype(np.int64))
    # numpy's log may differ from math.log in the last bit, which matters only for a
    # position within a hair of a whole number (a bin edge): those few go one by one.
    edge = logged[np.abs(position - np.rint(position)) < _EDGE_TOLERANCE]
    bins[edge] = [delay_bin(delay) for delay in minutes[edge].tolist()]
    bins[minutes == math.inf] = NEVER
    return bins


def bin_upper_edges() -> np.ndarray:
    """Upper delay edge (minutes) of each bin; the last is infinite (never attempted)."""
    edges = SMALLEST_DELAY_MINUTES * BIN_RATIO ** np.arange(BINS, dtype=float)
    return np.append(edges, math.inf)


def running_sum(total: float, values: np.ndarray) -> float:
    """``total + values[0] + values[1] + ...``, added one by one as a running sum would."""
    if not values.size:
        return total
    return float(np.cumsum(np.concatenate(([total], values)))[-1])


class FirstAttemptTally:
    """Counts of cohort leads by first-attempt delay bin and how far each got."""

    def __init__(self) -> None:
        self._rows = np.zeros((len(OUTCOMES), BINS + 1), dtype=np.int64)
        self.delay_sum = 0.0
        """Sum of the delays of the leads attempted, added in the order they closed."""

    def add_many(
        self,
        delays: np.ndarray,
        reached_first: np.ndarray,
        reached: np.ndarray,
        qualified: np.ndarray,
        won: np.ndarray,
    ) -> None:
        """Count leads, one per element: first-attempt delay (``inf``: never) and how far each got."""
        bins = delay_bins(delays)
        for row, chosen in zip(
            self._rows, (None, reached_first, reached, qualified, won), strict=True
        ):
            row += np.bincount(bins if chosen is None else bins[chosen], minlength=BINS + 1)
        self.delay_sum = running_sum(self.delay_sum, delays[delays != math.inf])

    def add(
        self, delay: float, reached_first: bool, reached: bool, qualified: bool, won: bool
    ) -> None:
        """Count one lead (:meth:`add_many` of one)."""
        flags = (np.array([flag], dtype=bool) for flag in (reached_first, reached, qualified, won))
        self.add_many(np.array([delay], dtype=float), *flags)

    @property
    def counts(self) -> np.ndarray:
        """Counts by outcome (rows as in :data:`OUTCOMES`) and delay bin (columns)."""
        return self._rows.copy()

    @property
    def leads(self) -> int:
        return int(self._rows[0].sum())

    def share_within(self, minutes: float) -> float:
        """Share of leads whose first attempt came within *minutes* (bin resolution: 2%)."""
        total = self.leads
        if total == 0:
            return math.nan
        return int(self._rows[0][: delay_bin(minutes) + 1].sum()) / total

    def quantile(self, q: float) -> float:
        """Delay quantile in minutes (``inf`` if that share of leads was never attempted)."""
        total = self.leads
        if total == 0:
            return math.nan
        cumulative = np.cumsum(self._rows[0])
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
        self._last_attempt = np.zeros(TRACKED_ATTEMPTS + 1, dtype=np.int64)
        """Leads by their number of attempts (later ones share the last column): a lead
        with k attempts got attempts 1..k, so the 'attempted' row is a running total."""
        self._reached = np.zeros(TRACKED_ATTEMPTS + 1, dtype=np.int64)
        """Leads by the attempt that first reached them (column 0: never reached)."""
        self._won_reached = np.zeros(TRACKED_ATTEMPTS + 1, dtype=np.int64)
        """The same for the leads that were won."""

    def add_many(self, attempts: np.ndarray, reached_attempt: np.ndarray, won: np.ndarray) -> None:
        """Count leads, one per element: attempts made, the attempt that first reached them
        (0: none), whether they were won."""
        columns = TRACKED_ATTEMPTS + 1
        self._last_attempt += np.bincount(np.minimum(attempts, TRACKED_ATTEMPTS), minlength=columns)
        column = np.minimum(reached_attempt, TRACKED_ATTEMPTS)
        self._reached += np.bincount(column, minlength=columns)
        self._won_reached += np.bincount(column[won], minlength=columns)

    def add(self, attempts: int, reached_attempt: int, won: bool) -> None:
        """Count one lead (:meth:`add_many` of one)."""
        self.add_many(
            np.array([attempts]), np.array([reached_attempt]), np.array([won], dtype=bool)
        )

    @property
    def counts(self) -> np.ndarray:
        """Counts by row (as in :attr:`ROWS`) and attempt number (column 0: none).

        Row 'attempted': column 0 counts leads never attempted, column k the leads
        that got a k-th attempt.
        """
        by_last = self._last_attempt
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
    """Cohort leads by their own local hour of the day: when they came, when they were first called."""

    def __init__(self) -> None:
        self._counts = np.zeros((len(LOCAL_HOUR_ROWS), HOURS_PER_DAY), dtype=np.int64)
        self._delay_minutes = np.zeros(HOURS_PER_DAY)

    @property
    def counts(self) -> np.ndarray:
        """Counts by row (as in :data:`LOCAL_HOUR_ROWS`) and local hour of the day (columns)."""
        return self._counts.copy()

    @property
    def delay_minutes(self) -> np.ndarray:
        """Sum of the first-call delays of the called leads, by local hour of arrival."""
        return self._delay_minutes.copy()

    def add_many(
        self,
        arrived_local: np.ndarray,
        delay: np.ndarray,
        reached: np.ndarray,
        reached_first: np.ndarray,
    ) -> None:
        """Count leads, one per element: arrival on the lead's own clock (minutes since time 0
        plus its zone's offset), first call's delay (``inf``: never called), reached at all,
        reached by the first call.

        The delays are summed by hour a batch at a time, so the totals depend on where the
        batches end: the meter hands over a simulated week at a time.
        """
        called = delay != math.inf
        arrival_hour = local_hour_of_day(arrived_local)
        call_hour = local_hour_of_day(arrived_local[called] + delay[called])
        by_arrival = [
            np.ones(arrived_local.size, dtype=bool),
            delay <= CALLED_WITHIN_MINUTES[0],
            delay <= CALLED_WITHIN_MINUTES[1],
            called,
            reached,
        ]
        for row, chosen in enumerate(by_arrival):
            self._counts[row] += np.bincount(arrival_hour[chosen], minlength=HOURS_PER_DAY)
        self._counts[5] += np.bincount(call_hour, minlength=HOURS_PER_DAY)
        first_call_reached = (reached & reached_first)[called]
        self._counts[6] += np.bincount(call_hour[first_call_reached], minlength=HOURS_PER_DAY)
        self._delay_minutes += np.bincount(
            arrival_hour[called], weights=delay[called], minlength=HOURS_PER_DAY
        )


def local_hour_of_day(minutes: np.ndarray) -> np.ndarray:
    """The hour of the day (0-23) of times in minutes since midnight of day 0."""
    return (np.floor_divide(minutes, MINUTES_PER_HOUR) % HOURS_PER_DAY).astype(np.int64)
