"""The meter: what a replication counts while it runs, and the time it accounts.

The engine tells the meter what happened (a lead closed, a touch was made, a
task started waiting, a rep finished a task); the meter keeps the counters, the
backlog and busy-time integrals and their hour-of-week profiles, all restricted
to the measurement window or the cohort (leads arriving in the window). KPIs
(:mod:`sim.engine.kpis`) read the meter, never the engine.

Measured after, not during: time accounting would cost a Python call per task
and per backlog change inside the event loop, so the engine only appends raw
times to the meter's arrays (a few C-level appends) and the meter turns them
into integrals and hour-of-week tables with numpy, a simulated week at a time
(:meth:`Meter.fold`, so memory stays bounded), every :data:`TASKS_PER_FOLD` finished
tasks (:meth:`Meter.fold_times`) and once more at the end. A closed lead is eight
numbers appended to one flat list, packed into an array every 4,096 leads and tallied
with numpy at the same folds. The sums are taken in the order the events happened
(``np.cumsum`` and ``np.bincount`` add one by one), so every total is the same to the
last bit as the running sums it replaces.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from typing import Final

import numpy as np

from sim.config.calendar import WeeklyCalendar
from sim.config.units import HOURS_PER_DAY, HOURS_PER_WEEK, MINUTES_PER_HOUR, MINUTES_PER_WEEK
from sim.engine.people import LOST_REASONS, LOST_SCREENED_OUT, OPEN, WON, Lead
from sim.engine.tally import AttemptTally, FirstAttemptTally, LocalHourTally, running_sum

Staffing = Sequence[tuple[list[tuple[float, float]], int]]
"""Per rep group: its weekly shift windows (minutes of the week) and how many reps it has."""

CLOSED_LEAD_FIELDS: Final = 8
"""Numbers :meth:`Meter.lead_closed` records per lead: arrival, local offset, first attempt,
reached at, attempts, the attempt that reached it, qualified, won."""
CLOSED_LEADS_PACKED: Final = 4096
"""Closed leads whose numbers are packed into a numpy array at a time, between the folds: a
week of them as Python floats (the M/M/c+M benchmark closes 90,000 leads a week) would be out
of the processor's cache by the fold."""


TASKS_PER_FOLD: Final = 4096
"""Finished tasks after which the floor folds the raw times (besides once a week): folded a
week at a time, a large team's arrays (70,000 tasks a week with the default team scaled 8x)
and numpy's temporaries would not fit the processor's cache (docs/performance.md, "Session 12")."""


class Meter:
    """Counters and time integrals of one replication, over its measurement window."""

    def __init__(
        self,
        window: tuple[float, float],
        staffing: Staffing,
        closed_days: frozenset[int] = frozenset(),
    ) -> None:
        self.window_start, self.window_end = window
        self._staffing = staffing
        self._closed_days = closed_days
        """Holidays (days since time 0): nobody is on shift then."""
        self.backlog_changed_at = array("d")
        """When a task started or stopped waiting (minutes), in event order."""
        self.backlog_steps = array("b")
        """+1 (a task started waiting) or -1 (one stopped), for each time in ``backlog_changed_at``."""
        self.task_starts = array("d")
        """When each finished task started (minutes), in the order the tasks ended."""
        self.task_ends = array("d")
        """When each finished task ended."""
        self.task_shift_ends = array("d")
        """When the shift in which each finished task started ended (later work is overtime)."""
        self._backlog = 0  # tasks waiting at _backlog_since (the last change folded)
        self._backlog_since = 0.0
        self.max_backlog = 0
        self.backlog_minutes = 0.0
        """Integral of the backlog over the window (task-minutes waiting)."""
        self.busy_minutes = 0.0
        """Rep minutes working within their shift and the window."""
        self.overtime_minutes = 0.0
        """Rep minutes working after the shift in which the task started, within the window."""
        self.busy_by_hour = np.zeros(HOURS_PER_WEEK)
        self.backlog_by_hour = np.zeros(HOURS_PER_WEEK)
        self.cohort_touches = 0
        self.cohort_attempts = 0
        self.cohort_waited = 0
        self.cohort_referral_leads = 0
        self.screened_out_realistic = 0
        self.deal_revenue = 0.0
        self.repeat_revenue = 0.0
        self.repeat_purchases = 0
        self.customers = 0
        self.churned = 0
        self.customer_opt_outs = 0
        self.referral_requests = 0
        self.steps_due = 0
        """Cadence steps (follow-ups, touches, requests) judged as they fell due in the window."""
        self.steps_delayed = 0
        self.steps_skipped = 0
        self.planning_minutes = 0.0
        """Rep minutes of the manager's daily planning started in the window."""
        self.outcomes = dict.fromkeys((WON, *LOST_REASONS, OPEN), 0)
        self._closed: list[float] = []
        """Cohort leads closed since the last packing, :data:`CLOSED_LEAD_FIELDS` numbers each,
        as :meth:`lead_closed` records them: one flat list (no tuple per lead, and numpy reads
        a flat list of numbers about twice as fast as a list of tuples)."""
        self._packed: list[np.ndarray] = []
        """Cohort leads closed since the last fold, before ``_closed``, packed as arrays."""
        self._first_attempts = FirstAttemptTally()
        self._attempts = AttemptTally()
        self._local_hours = LocalHourTally()

    def in_window(self, now: float) -> bool:
        """Whether *now* falls in the measurement window (a lead arriving then is in the cohort)."""
        return self.window_start <= now < self.window_end

    def lead_closed(self, lead: Lead, outcome: str) -> None:
        """A cohort lead reached its outcome (or is still open at the end)."""
        self.outcomes[outcome] += 1
        won = outcome == WON
        if won:
            self.deal_revenue += lead.value
        if outcome == LOST_SCREENED_OUT:
            # Never meant to be called: not part of the speed-to-lead statistics.
            self.screened_out_realistic += lead.fit
            return
        self._closed += (
            lead.arrived_at,
            lead.local_offset,
            lead.first_attempt_at,
            lead.reached_at,
            lead.attempts,
            lead.reached_attempt,
            lead.qualified,
            won,
        )
        if len(self._closed) >= CLOSED_LEADS_PACKED * CLOSED_LEAD_FIELDS:
            self._pack_closed_leads()

    def _pack_closed_leads(self) -> None:
        """Move the numbers of the leads in ``_closed`` into an array of ``_packed``."""
        if self._closed:
            self._packed.append(np.fromiter(self._closed, dtype=float, count=len(self._closed)))
            self._closed.clear()

    @property
    def first_attempts(self) -> FirstAttemptTally:
        """Cohort leads (not screened out) by first-attempt delay, up to the last one closed."""
        self._fold_closed_leads()
        return self._first_attempts

    @property
    def attempts(self) -> AttemptTally:
        """Cohort leads (not screened out) by attempt number, up to the last one closed."""
        self._fold_closed_leads()
        return self._attempts

    @property
    def local_hours(self) -> LocalHourTally:
        """Cohort leads (not screened out) by their local hour, up to the last one closed."""
        self._fold_closed_leads()
        return self._local_hours

    def fold(self) -> None:
        """Turn the raw times appended so far into the time integrals and tally the closed leads."""
        self.fold_times()
        self._fold_closed_leads()

    def fold_times(self) -> None:
        """Turn the raw times appended so far into the time integrals, and empty the arrays.

        The integrals are the same to the last bit however the times are split between folds,
        so the floor folds every :data:`TASKS_PER_FOLD` finished tasks as well as weekly."""
        self._fold_backlog()
        self._fold_busy()

    def finish(self, now: float) -> None:
        """The run ended at *now*: account the backlog until then and fold the rest."""
        self.backlog_changed_at.append(now)
        self.backlog_steps.append(0)
        self.fold()

    def _fold_closed_leads(self) -> None:
        """Tally the leads closed since the last fold (the open ones, after the run, as one batch)."""
        self._pack_closed_leads()
        if not self._packed:
            return
        columns = np.concatenate(self._packed).reshape(-1, CLOSED_LEAD_FIELDS).T
        self._packed.clear()
        arrived, offset, first_attempt, reached_at, attempts, reached_attempt = columns[:6]
        qualified, won = columns[6:].astype(bool)
        delay = first_attempt - arrived  # inf if never attempted
        reached, reached_first = reached_at != math.inf, reached_at == first_attempt
        self._first_attempts.add_many(delay, reached_first, reached, qualified, won)
        self._attempts.add_many(attempts.astype(np.int64), reached_attempt.astype(np.int64), won)
        self._local_hours.add_many(arrived + offset, delay, reached, reached_first)

    def _fold_backlog(self) -> None:
        w0, w1 = self.window_start, self.window_end
        changed_at = np.array(self.backlog_changed_at, dtype=float)
        if not changed_at.size:
            return
        steps = np.array(self.backlog_steps, dtype=np.int8)
        levels = self._backlog + np.cumsum(steps, dtype=np.int64)  # after each change
        in_window = (changed_at >= w0) & (changed_at < w1)
        if in_window.any():
            self.max_backlog = max(self.max_backlog, int(levels[in_window].max()))
        # Interval k runs from the change before it to change k, at the level before change k.
        since = np.concatenate(([self._backlog_since], changed_at[:-1]))
        waiting = np.concatenate(([self._backlog], levels[:-1]))
        start, end = np.maximum(since, w0), np.minimum(changed_at, w1)
        counted = (waiting != 0) & (end > start)
        start, end, waiting = start[counted], end[counted], waiting[counted].astype(float)
        self.backlog_minutes = running_sum(self.backlog_minutes, waiting * (end - start))
        self.backlog_by_hour = add_by_hour(self.backlog_by_hour, start, end, waiting)
        self._backlog, self._backlog_since = int(levels[-1]), float(changed_at[-1])
        del self.backlog_changed_at[:], self.backlog_steps[:]

    def _fold_busy(self) -> None:
        w0, w1 = self.window_start, self.window_end
        start = np.array(self.task_starts, dtype=float)
        if not start.size:
            return
        end = np.array(self.task_ends, dtype=float)
        on_shift_end = np.minimum(end, np.array(self.task_shift_ends, dtype=float))
        busy_start, busy_end = np.maximum(start, w0), np.minimum(on_shift_end, w1)
        busy = np.maximum(0.0, busy_end - busy_start)
        self.busy_minutes = running_sum(self.busy_minutes, busy)
        counted = busy > 0
        self.busy_by_hour = add_by_hour(
            self.busy_by_hour, busy_start[counted], busy_end[counted], np.ones(int(counted.sum()))
        )
        overtime = np.maximum(0.0, np.minimum(end, w1) - np.maximum(on_shift_end, w0))
        self.overtime_minutes = running_sum(self.overtime_minutes, overtime[end > on_shift_end])
        del self.task_starts[:], self.task_ends[:], self.task_shift_ends[:]

    @property
    def mean_backlog(self) -> float:
        """Time-average number of tasks waiting during the measurement window."""
        return self.backlog_minutes / (self.window_end - self.window_start)

    def on_shift_minutes(self) -> float:
        """Rep minutes on shift within the measurement window (holidays left out)."""
        return sum(
            members * WeeklyCalendar(windows).open_minutes(self.window_start, self.window_end)
            - members * sum(self._holiday_minutes_by_hour(WeeklyCalendar(windows)).values(), 0.0)
            for windows, members in self._staffing
            if members
        )

    def on_shift_by_hour(self) -> list[float]:
        """Rep minutes on shift in each hour of the week, within the measurement window."""
        minutes = [0.0] * HOURS_PER_WEEK
        for windows, members in self._staffing:
            calendar = WeeklyCalendar(windows)
            for hour in range(HOURS_PER_WEEK):
                start = hour * MINUTES_PER_HOUR
                weekly = calendar.open_minutes(start, start + MINUTES_PER_HOUR)
                if weekly:
                    weeks = weeks_covering(self.window_start, self.window_end, hour)
                    minutes[hour] += members * weekly * weeks
            for hour, closed in self._holiday_minutes_by_hour(calendar).items():
                minutes[hour] -= members * closed
        return minutes

    def _holiday_minutes_by_hour(self, calendar: WeeklyCalendar) -> dict[int, float]:
        """Shift minutes of *calendar* that fall on holidays in the window, by hour of the week."""
        closed: dict[int, float] = {}
        for day in sorted(self._closed_days):
            for hour in range(day * HOURS_PER_DAY, (day + 1) * HOURS_PER_DAY):
                start = max(hour * MINUTES_PER_HOUR, self.window_start)
                end = min((hour + 1) * MINUTES_PER_HOUR, self.window_end)
                if start < end:
                    minutes = calendar.open_minutes(start, end)
                    if minutes:
                        slot = hour % HOURS_PER_WEEK
                        closed[slot] = closed.get(slot, 0.0) + minutes
        return closed


def add_by_hour(
    totals: np.ndarray, starts: np.ndarray, ends: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """*totals* plus ``weight x minutes`` of each ``[start, end)`` in the hour-of-week slots it covers.

    Each interval is cut at the hours it crosses; the pieces are added to their
    slots in interval order, after the old totals, so each slot is the same
    running sum as when every piece was added as its interval ended.
    """
    first_hour = np.floor_divide(starts, MINUTES_PER_HOUR)
    last_hour = np.floor_divide(ends, MINUTES_PER_HOUR)
    last_hour -= last_hour * MINUTES_PER_HOUR >= ends  # the hour holding the interval's end
    pieces = (last_hour - first_hour).astype(np.int64) + 1
    interval = np.repeat(np.arange(starts.size), pieces)
    hour = first_hour[interval] + (
        np.arange(interval.size) - np.repeat(pieces.cumsum() - pieces, pieces)
    )
    # A running sum cuts at h and carries on from start + (h - start): that is h exactly for
    # any start < h, as h (a multiple of 60) is no power of two, so h - start is off by at
    # most half a unit in the last place of h, and adding start back rounds to h (a tie goes
    # to h, whose last bit is 0). So these pieces are the running sum's, to the last bit.
    piece_start = np.maximum(hour * MINUTES_PER_HOUR, starts[interval])
    piece_end = np.minimum((hour + 1) * MINUTES_PER_HOUR, ends[interval])
    slots = np.concatenate((np.arange(HOURS_PER_WEEK), hour.astype(np.int64) % HOURS_PER_WEEK))
    values = np.concatenate((totals, weights[interval] * (piece_end - piece_start)))
    return np.bincount(slots, values, minlength=HOURS_PER_WEEK)


def weeks_covering(start: float, end: float, hour: int) -> float:
    """How many times hour-of-week *hour* falls (fully) inside ``[start, end)``."""
    first = math.ceil((start - hour * MINUTES_PER_HOUR) / MINUTES_PER_WEEK)
    last = math.floor((end - hour * MINUTES_PER_HOUR - MINUTES_PER_HOUR) / MINUTES_PER_WEEK)
    return max(0, last - first + 1)
