"""The working week as open windows: when is the next working minute, how many in a span.

:class:`WeeklyCalendar` is the week the engine works by: the reps' shifts of
:mod:`sim.config.calendar` (``Shift.windows``) merged into open windows that repeat
every week; :class:`HolidayCalendar` is the same week closed on some days. The module holds numbers only (no pydantic), so that the compiled kernel
(:mod:`sim.engine.kernel`) compiles it with the engine, which asks :meth:`next_open`
for every scheduled task.
"""

from __future__ import annotations

import bisect

from sim.config.units import MINUTES_PER_DAY, MINUTES_PER_WEEK


class WeeklyCalendar:
    """Weekly repeating open windows: answers 'when is the next working minute?'.

    The engine asks :meth:`next_open` once per scheduled task, mostly for times close
    to its previous question, so the calendar remembers the last open window and the
    last closed gap it found (as absolute times) and answers from them when it can.
    """

    __slots__ = ("_closed", "_ends", "_open", "_starts", "_whole_minutes", "windows")

    def __init__(self, windows: list[tuple[float, float]]) -> None:
        merged: list[list[float]] = []
        for start, end in sorted(windows):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        if not merged:
            raise ValueError("a calendar needs at least one open window")
        self.windows = [(s, e) for s, e in merged]
        self._starts = [s for s, _ in self.windows]
        self._ends = [e for _, e in self.windows]
        # The last open window and closed gap found, [from, until) in absolute minutes:
        # empty until found. Only whole-minute windows are remembered (every shift is
        # HH:MM), so their absolute bounds are exact and the answers the same as without.
        self._open = self._closed = (0.0, 0.0)
        self._whole_minutes = all(float(x).is_integer() for window in self.windows for x in window)

    def next_open(self, t: float) -> float:
        """The earliest time >= *t* that falls inside an open window."""
        start, until = self._open
        if start <= t < until:
            return t
        start, until = self._closed
        if start <= t < until:
            return until
        week, minute = divmod(t, MINUTES_PER_WEEK)
        base = week * MINUTES_PER_WEEK
        i = bisect.bisect_right(self._starts, minute) - 1
        if i >= 0 and minute < self._ends[i]:
            if self._whole_minutes:
                self._open = (base + self._starts[i], base + self._ends[i])
            return t
        gap_start = base + self._ends[i] if i >= 0 else base
        if i + 1 < len(self._starts):
            opens = week * MINUTES_PER_WEEK + self._starts[i + 1]
        else:
            opens = (week + 1) * MINUTES_PER_WEEK + self._starts[0]
        if self._whole_minutes:
            self._closed = (gap_start, opens)
        return opens

    def open_minutes(self, t0: float, t1: float) -> float:
        """Minutes of open time within ``[t0, t1)``."""
        total = 0.0
        first_week = int(t0 // MINUTES_PER_WEEK)
        last_week = int(t1 // MINUTES_PER_WEEK)
        for week in range(first_week, last_week + 1):
            base = week * MINUTES_PER_WEEK
            for start, end in self.windows:
                total += max(0.0, min(t1, base + end) - max(t0, base + start))
        return total


class HolidayCalendar(WeeklyCalendar):
    """A weekly calendar closed on some days: answers 'when is the next working minute?'.

    A subclass rather than a wrapper, so that the engine holds one kind of calendar and
    its compiled code calls :meth:`next_open` natively, with or without holidays.
    """

    __slots__ = ("closed",)

    def __init__(self, weekly: WeeklyCalendar, closed: frozenset[int]) -> None:
        super().__init__(weekly.windows)
        self.closed = closed
        """Days (since time 0) on which nobody works."""

    def next_open(self, t: float) -> float:
        """The earliest time >= *t* inside an open window and not on a closed day."""
        t = super().next_open(t)
        while int(t // MINUTES_PER_DAY) in self.closed:
            t = super().next_open((int(t // MINUTES_PER_DAY) + 1) * MINUTES_PER_DAY)
        return t
