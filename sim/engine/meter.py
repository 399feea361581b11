"""The meter: what a replication counts while it runs, and the time it accounts.

The engine tells the meter what happened (a lead closed, a touch was made, a
task started waiting, a rep finished a task); the meter keeps the counters, the
backlog and busy-time integrals and their hour-of-week profiles, all restricted
to the measurement window or the cohort (leads arriving in the window). KPIs
(:mod:`sim.engine.kpis`) read the meter, never the engine.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from sim.config.calendar import WeeklyCalendar
from sim.config.units import HOURS_PER_WEEK, MINUTES_PER_HOUR, MINUTES_PER_WEEK
from sim.engine.people import LOST_REASONS, LOST_SCREENED_OUT, OPEN, WON, Lead, Rep
from sim.engine.tally import AttemptTally, FirstAttemptTally

Staffing = Sequence[tuple[list[tuple[float, float]], int]]
"""Per rep group: its weekly shift windows (minutes of the week) and how many reps it has."""


class Meter:
    """Counters and time integrals of one replication, over its measurement window."""

    def __init__(self, window: tuple[float, float], staffing: Staffing) -> None:
        self.window_start, self.window_end = window
        self._staffing = staffing
        self.backlog = 0
        self.max_backlog = 0
        self._backlog_area = 0.0
        self._backlog_since = 0.0
        self.busy_minutes = 0.0
        self.overtime_minutes = 0.0
        self.busy_by_hour = [0.0] * HOURS_PER_WEEK
        self.backlog_by_hour = [0.0] * HOURS_PER_WEEK
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
        self.outcomes = dict.fromkeys((WON, *LOST_REASONS, OPEN), 0)
        self.first_attempts = FirstAttemptTally()
        self.attempts = AttemptTally()

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
        self.attempts.add(lead.attempts, lead.reached_attempt, won)
        self.first_attempts.add(
            lead.first_attempt_delay,
            lead.reached_at == lead.first_attempt_at,
            lead.reached_at != math.inf,
            lead.qualified,
            won,
        )

    def change_backlog(self, now: float, delta: int) -> None:
        """*delta* tasks started (+) or stopped (-) waiting at *now*."""
        backlog = self.backlog
        if backlog:
            start = max(self._backlog_since, self.window_start)
            end = min(now, self.window_end)
            if end > start:
                self._backlog_area += backlog * (end - start)
                spread_by_hour(self.backlog_by_hour, start, end, backlog)
        self._backlog_since = now
        backlog += delta
        self.backlog = backlog
        if backlog > self.max_backlog and self.window_start <= now < self.window_end:
            self.max_backlog = backlog

    def task_done(self, rep: Rep, start: float, end: float, shift_ends: float) -> None:
        """Add a task's rep time to busy (within the shift it started in) and overtime (after it)."""
        w0, w1 = self.window_start, self.window_end
        rep.busy_minutes += end - start
        on_shift_end = min(end, shift_ends)
        busy = max(0.0, min(on_shift_end, w1) - max(start, w0))
        if busy > 0:
            self.busy_minutes += busy
            spread_by_hour(self.busy_by_hour, max(start, w0), min(on_shift_end, w1), 1.0)
        if end > on_shift_end:
            self.overtime_minutes += max(0.0, min(end, w1) - max(on_shift_end, w0))

    @property
    def mean_backlog(self) -> float:
        """Time-average number of tasks waiting during the measurement window."""
        return self._backlog_area / (self.window_end - self.window_start)

    def on_shift_minutes(self) -> float:
        """Rep minutes on shift within the measurement window."""
        return sum(
            members * WeeklyCalendar(windows).open_minutes(self.window_start, self.window_end)
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
        return minutes


def spread_by_hour(totals: list[float], start: float, end: float, weight: float) -> None:
    """Add ``weight x minutes`` of ``[start, end)`` to each hour-of-week slot it covers."""
    hour = start // MINUTES_PER_HOUR
    if end <= hour * MINUTES_PER_HOUR + MINUTES_PER_HOUR:  # the common case: within one hour
        totals[int(hour) % HOURS_PER_WEEK] += weight * (end - start)
        return
    while start < end:
        piece = min(end, (start // MINUTES_PER_HOUR + 1) * MINUTES_PER_HOUR) - start
        totals[int(start // MINUTES_PER_HOUR) % HOURS_PER_WEEK] += weight * piece
        start += piece


def weeks_covering(start: float, end: float, hour: int) -> float:
    """How many times hour-of-week *hour* falls (fully) inside ``[start, end)``."""
    first = math.ceil((start - hour * MINUTES_PER_HOUR) / MINUTES_PER_WEEK)
    last = math.floor((end - hour * MINUTES_PER_HOUR - MINUTES_PER_HOUR) / MINUTES_PER_WEEK)
    return max(0, last - first + 1)
