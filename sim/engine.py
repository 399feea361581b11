"""The simulation engine: one replication of a scenario under a cadence.

Design (for speed): SimPy provides the clock and the event queue, and the model
schedules plain callbacks on it (:class:`_Call`) instead of running a SimPy
process per lead or per rep. A process per lead waiting on ``request | timeout``
conditions costs several events and generator switches per step; a callback
costs one heap push and one call. Memory is bounded by the leads still active:
arrivals are generated a week at a time and closed leads are only counted.

The model, in one paragraph: leads arrive from each source (non-homogeneous
Poisson), each with latent intent, reachability and deal value. Each new lead
creates a first-attempt task. A free on-shift rep takes the best task in the
queue (ordered by the cadence). An attempt reaches the lead with probability
``reachability * contact_curve(minutes since last engagement)``; a conversation
qualifies it with probability ``intent * skill * qualification_curve(...)``;
a qualified lead is won with the funnel's win rate. An attempt that does not
reach the lead schedules a follow-up after the cadence's gap (moved to the next
working window), until the attempts run out. A lead with finite patience that
is not reached in time buys elsewhere.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush
from itertools import count
from typing import Any

import numpy as np
import simpy
from simpy.events import NORMAL, Event

from policies.cadence import Cadence
from sim.arrivals import LUCK_ATTEMPTS, LUCK_QUALIFY, LUCK_WIN, LeadDraw, lead_draws
from sim.calendar import WeeklyCalendar
from sim.distributions import Draws
from sim.scenario import Scenario
from sim.streams import Streams
from sim.tally import FirstAttemptTally
from sim.work import (
    FIRST_ATTEMPT,
    FOLLOW_UP,
    LOST_DISQUALIFIED,
    LOST_INTEREST_DECAYED,
    LOST_NEVER_REACHED,
    LOST_NOT_WON,
    LOST_REASONS,
    WON,
    Lead,
    Rep,
    Task,
)

Trace = Callable[[str, float, int, int, str], None]
"""``trace(event, minutes, rep_id, lead_id, task_kind)`` with event 'start' or 'end'."""


class _Call(Event):
    """Call ``callback(event)`` after *delay* minutes; ``event._value`` is *payload*."""

    def __init__(
        self, env: simpy.Environment, delay: float, callback: Callable[[Any], None], payload: Any
    ) -> None:
        self.env = env
        self.callbacks = [callback]
        self._value = payload
        self._ok = True
        env.schedule(self, NORMAL, delay)


def _shift_windows(scenario: Scenario) -> list[tuple[int, float, float]]:
    """Absolute ``(group, start, end)`` shift windows until the end, touching windows merged."""
    windows = []
    for index, group in enumerate(scenario.reps):
        weekly = WeeklyCalendar(group.shift.windows()).windows
        absolute: list[list[float]] = []
        for week in range(int(scenario.end // 10080.0) + 1):
            for start, end in weekly:
                start, end = start + week * 10080.0, end + week * 10080.0
                if start >= scenario.end:
                    continue
                if absolute and start <= absolute[-1][1]:
                    absolute[-1][1] = end
                else:
                    absolute.append([start, end])
        windows.extend((index, start, end) for start, end in absolute)
    return windows


class SalesFloor:
    """One replication: leads, reps and a work queue run under one cadence.

    >>> floor = SalesFloor(experiment.scenario, experiment.policy, seed)
    >>> kpis = floor.run()
    """

    def __init__(
        self,
        scenario: Scenario,
        cadence: Cadence,
        seed: np.random.SeedSequence,
        trace: Trace | None = None,
    ) -> None:
        self.scenario = scenario
        self.cadence = cadence
        self.env = simpy.Environment()
        self._trace = trace
        streams = Streams(seed)
        actions = scenario.actions
        self._draws = lead_draws(scenario.sources, streams, scenario.end)
        self._talk = Draws(actions.conversation.sample, streams.rng("durations:conversation"))
        self._no_answer = Draws(actions.no_answer.sample, streams.rng("durations:no_answer"))
        self._voicemail = Draws(actions.voicemail.sample, streams.rng("durations:voicemail"))
        self._uniform = Draws(lambda rng, n: rng.random(n), streams.rng("outcomes"))
        self._voicemail_share = actions.voicemail_share
        self._contact = scenario.response.contact.compile()
        self._qualify = scenario.response.qualification.compile()
        self._win_rate = scenario.funnel.win_rate
        self._calendar = scenario.working_calendar()

        self._response_target = cadence.speed_to_lead.response_target
        self._first_rank = 0 if cadence.speed_to_lead.new_leads_first else 1
        self._priority = cadence.queue.priority
        self._needs_value = cadence.queue.needs_value
        self._followup = cadence.followup
        self._on_time_window = cadence.followup.on_time_window
        self._source_value = [
            self._expected_value_per_minute(i) for i in range(len(scenario.sources))
        ]

        memberships = [
            (index, group.skill)
            for index, group in enumerate(scenario.reps)
            for _ in range(group.count)
        ]
        self.reps = [Rep(rep_id, index, skill) for rep_id, (index, skill) in enumerate(memberships)]
        self._groups = [
            [rep for rep in self.reps if rep.group == g] for g in range(len(scenario.reps))
        ]
        self._idle: deque[Rep] = deque()
        self._queue: list[tuple[int, float, int, Task]] = []
        self._seq = count()
        self._lead_ids = count()
        self._active: dict[int, Lead] = {}

        self.window_start, self.window_end = scenario.window
        self.events = 0
        self.backlog = 0
        self.max_backlog = 0
        self._backlog_area = 0.0
        self._backlog_since = 0.0
        self.busy_minutes = 0.0
        self.overtime_minutes = 0.0
        self.cohort_attempts = 0
        self.cohort_waited = 0
        self.revenue = 0.0
        self.outcomes = dict.fromkeys((WON, *LOST_REASONS, "open"), 0)
        self.first_attempts = FirstAttemptTally()

    def _expected_value_per_minute(self, source_index: int) -> float:
        """What a fresh lead of this source is worth per rep minute, as reps can estimate it."""
        source = self.scenario.sources[source_index]
        actions = self.scenario.actions
        reach = source.reachability.mean
        minutes = reach * actions.conversation.mean + (1 - reach) * (
            self._voicemail_share * actions.voicemail.mean
            + (1 - self._voicemail_share) * actions.no_answer.mean
        )
        won_value = reach * source.intent.mean * self._win_rate * source.deal_value.mean
        return won_value / minutes

    # -- scheduling -------------------------------------------------------------

    def _at(self, delay: float, callback: Callable[[Any], None], payload: Any) -> None:
        self.events += 1
        _Call(self.env, delay, callback, payload)

    def run(self) -> dict[str, float]:
        """Simulate until the end of the drain and return this replication's KPIs."""
        from sim.kpis import replication_kpis

        for group, start, end in _shift_windows(self.scenario):
            self._at(start, self._on_shift_start, (group, end))
            self._at(end, self._on_shift_end, group)
        self._schedule_next_arrival()
        self.env.run(until=self.scenario.end)
        self._change_backlog(0)
        for lead in self._active.values():
            if lead.cohort:
                self._count_outcome(lead, "open")
        return replication_kpis(self)

    # -- leads -------------------------------------------------------------------

    def _schedule_next_arrival(self) -> None:
        draw = next(self._draws, None)
        if draw is not None:
            self._at(draw.arrived_at - self.env.now, self._on_arrival, draw)

    def _on_arrival(self, event: Event) -> None:
        draw: LeadDraw = event._value
        self._schedule_next_arrival()
        now = self.env.now
        lead = Lead(
            next(self._lead_ids),
            draw.source,
            now,
            draw.intent,
            draw.reachability,
            draw.value,
            draw.luck,
            self.window_start <= now < self.window_end,
        )
        self._active[lead.id] = lead
        lead.patience_ends = now + draw.patience
        if self._needs_value:
            lead.expected_value = self._source_value[draw.source]
        task = Task(FIRST_ATTEMPT, lead, now, now + self._response_target)
        lead.task = task
        self._release(task)

    def _watch_patience(self, lead: Lead) -> None:
        """Schedule the lead's patience end, once, when it first has to wait.

        Leads served at once never need the event, which saves one event per lead.
        """
        if not lead.patience_watched and lead.patience_ends != math.inf:
            lead.patience_watched = True
            self._at(lead.patience_ends - self.env.now, self._on_patience_end, lead)

    def _on_patience_end(self, event: Event) -> None:
        lead: Lead = event._value
        if lead.outcome is None and lead.reached_at == math.inf:
            task = lead.task
            if task is not None:
                task.live = False
                if task.queued:
                    self._change_backlog(-1)
            self._close(lead, LOST_INTEREST_DECAYED)

    def _close(self, lead: Lead, outcome: str) -> None:
        lead.outcome = outcome
        del self._active[lead.id]
        if lead.cohort:
            self._count_outcome(lead, outcome)

    def _count_outcome(self, lead: Lead, outcome: str) -> None:
        self.outcomes[outcome] += 1
        won = outcome == WON
        if won:
            self.revenue += lead.value
        self.first_attempts.add(
            lead.first_attempt_delay, lead.reached_at != math.inf, lead.qualified, won
        )

    # -- the work queue ----------------------------------------------------------

    def _release(self, task: Task) -> None:
        """*task* is workable now: give it to an idle rep or queue it."""
        if self._idle:
            self._start(self._idle.popleft(), task)
            return
        lead = task.lead
        self._watch_patience(lead)
        if lead.cohort and task.kind == FIRST_ATTEMPT:
            self.cohort_waited += 1
        if self._needs_value:
            since = self.env.now - lead.last_engaged_at
            task.value = lead.expected_value * self._contact(since) * self._qualify(since)
        rank = self._first_rank if task.kind == FIRST_ATTEMPT else 1
        heappush(self._queue, (rank, self._priority(task), next(self._seq), task))
        task.queued = True
        self._change_backlog(1)

    def _on_due(self, event: Event) -> None:
        task: Task = event._value
        if task.live:
            self._release(task)

    def _dispatch(self, rep: Rep) -> None:
        """*rep* is free and on shift: start the best live task, or wait idle."""
        queue = self._queue
        while queue:
            task = heappop(queue)[3]
            if task.live:
                task.queued = False
                self._change_backlog(-1)
                self._start(rep, task)
                return
        rep.busy = False
        self._idle.append(rep)

    def _change_backlog(self, delta: int) -> None:
        now = self.env.now
        span = min(now, self.window_end) - max(self._backlog_since, self.window_start)
        if span > 0:
            self._backlog_area += self.backlog * span
        self._backlog_since = now
        self.backlog += delta
        if self.backlog > self.max_backlog and self.window_start <= now < self.window_end:
            self.max_backlog = self.backlog

    # -- rep actions -------------------------------------------------------------

    def _start(self, rep: Rep, task: Task) -> None:
        now = self.env.now
        lead = task.lead
        lead.task = None
        rep.busy = True
        lead.attempts += 1
        attempt = lead.attempts
        if lead.cohort:
            self.cohort_attempts += 1
        if attempt == 1:
            lead.first_attempt_at = now
        since = now - lead.last_engaged_at
        luck = lead.luck
        u = luck[attempt - 1] if attempt <= LUCK_ATTEMPTS else self._uniform()
        reached = u < lead.reachability * self._contact(since)
        if reached:
            lead.reached_at = now
            lead.last_engaged_at = now
            qualified = luck[LUCK_QUALIFY] < lead.intent * rep.skill * self._qualify(since)
            duration = self._talk()
        else:
            qualified = False
            duration = (
                self._voicemail() if self._uniform() < self._voicemail_share else self._no_answer()
            )
        if self._trace is not None:
            self._trace("start", now, rep.id, lead.id, task.kind)
        self._at(duration, self._on_finish, (rep, task, reached, qualified, now))

    def _on_finish(self, event: Event) -> None:
        rep, task, reached, qualified, started = event._value
        now = self.env.now
        if self._trace is not None:
            self._trace("end", now, rep.id, task.lead.id, task.kind)
        self._account_busy(rep, started, now)
        lead = task.lead
        if lead.outcome is None:
            if reached:
                if qualified:
                    lead.qualified = True
                    self._close(lead, WON if lead.luck[LUCK_WIN] < self._win_rate else LOST_NOT_WON)
                else:
                    self._close(lead, LOST_DISQUALIFIED)
            else:
                self._follow_up(lead, now)
        if rep.on_shift:
            self._dispatch(rep)
        else:
            rep.busy = False

    def _follow_up(self, lead: Lead, now: float) -> None:
        gap = self._followup.gap_after(lead.attempts)
        if gap is None:
            self._close(lead, LOST_NEVER_REACHED)
            return
        due = self._calendar.next_open(now + gap)
        task = Task(FOLLOW_UP, lead, due, due + self._on_time_window)
        lead.task = task
        self._watch_patience(lead)
        self._at(due - now, self._on_due, task)

    def _account_busy(self, rep: Rep, start: float, end: float) -> None:
        """Add a task's rep time to busy (within the shift) and overtime (after it)."""
        w0, w1 = self.window_start, self.window_end
        on_shift_end = min(end, rep.shift_ends)
        self.busy_minutes += max(0.0, min(on_shift_end, w1) - max(start, w0))
        if end > on_shift_end:
            self.overtime_minutes += max(0.0, min(end, w1) - max(on_shift_end, w0))

    # -- shifts ------------------------------------------------------------------

    def _on_shift_start(self, event: Event) -> None:
        group, ends = event._value
        for rep in self._groups[group]:
            rep.on_shift = True
            rep.shift_ends = ends
            if not rep.busy:
                self._dispatch(rep)

    def _on_shift_end(self, event: Event) -> None:
        for rep in self._groups[event._value]:
            rep.on_shift = False
        self._idle = deque(rep for rep in self._idle if rep.on_shift)

    # -- measurement helpers -----------------------------------------------------

    @property
    def mean_backlog(self) -> float:
        """Time-average number of tasks waiting during the measurement window."""
        return self._backlog_area / (self.window_end - self.window_start)

    def on_shift_minutes(self) -> float:
        """Rep minutes on shift within the measurement window."""
        return sum(
            group.count
            * WeeklyCalendar(group.shift.windows()).open_minutes(self.window_start, self.window_end)
            for group in self.scenario.reps
        )
