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
"""

from __future__ import annotations

import math

import numpy as np

from sim.config.units import MINUTES_PER_YEAR

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

    ROWS = ("attempted", "reached", "won_reached")

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
