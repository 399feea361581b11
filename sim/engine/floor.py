"""The simulation engine: one replication of a scenario under a cadence.

Design (for speed): SimPy provides the clock and the event queue, and the model
schedules plain callbacks on it (:class:`_Call`) instead of running a SimPy
process per lead or per rep. A process per lead waiting on ``request | timeout``
conditions costs several events and generator switches per step; a callback
costs one heap push and one call. Memory is bounded by the people still active:
arrivals are generated a week at a time and closed leads are only counted.

The sales rhythm, in one paragraph. Leads arrive from each source (and from
referral requests), each with latent intent, reachability, deal value and fit.
A new lead is screened (if the cadence says so) and then called. A free
on-shift rep takes the best task from the queue of its role, as ordered by the
cadence. An attempt reaches the lead with probability ``reachability x
contact_curve(minutes since arrival)``; a conversation with a realistic lead
qualifies it with probability ``intent x skill x qualification_curve(...)``.
Unreached leads are followed up on the cadence's gaps until the attempts run
out. A qualified lead meets a closer and is nurtured until it decides; its
interest fades between touches, and a lead whose interest falls too low buys
from a competitor. Won leads become customers, touched on the retention
cadence; their relationship drives repeat purchases and churn. Every touch
adds to the person's fatigue, which can make them opt out.
"""

from __future__ import annotations

import gc
import math
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from heapq import heappop, heappush
from itertools import count
from typing import Any, Protocol

import numpy as np
import simpy
from simpy.events import NORMAL, Event

from policies.cadence import Cadence
from sim.config.calendar import MINUTES_PER_WEEK, WeeklyCalendar
from sim.config.distributions import Draws
from sim.config.response_curves import minutes_until_below
from sim.config.scenario import REFERRAL_SOURCE, RepGroup, Scenario
from sim.engine.arrivals import (
    LUCK_ATTEMPTS,
    LUCK_HOLD,
    LUCK_QUALIFY,
    LUCK_SCREEN,
    LUCK_STAGE,
    LUCK_WIN,
    LeadDraw,
    lead_draws,
    trait_streams,
)
from sim.engine.people import (
    CLOSER_QUEUE,
    DEPARTMENT_REFERRAL,
    FIRST_ATTEMPT,
    FOLLOW_UP,
    LOST_DISQUALIFIED,
    LOST_INTEREST_DECAYED,
    LOST_NEVER_REACHED,
    LOST_NOT_WON,
    LOST_OPTED_OUT,
    LOST_REASONS,
    LOST_SCREENED_OUT,
    LOST_UNREALISTIC,
    MEETING,
    NURTURE,
    OPEN,
    QUEUE_OF,
    RESPONDER_QUEUE,
    RETENTION,
    SCREEN,
    WON,
    Customer,
    Lead,
    Person,
    Rep,
    Task,
)
from sim.engine.streams import Streams
from sim.engine.tally import FirstAttemptTally

Trace = Callable[[str, float, int, int, str], None]
"""``trace(event, minutes, rep_id, subject_id, task_kind)``, event 'start' or 'end' (subject -1: none)."""

CLOSER_ON_TIME_MINUTES = 1440.0
"""A closer's task (meeting, touch, request) counts as on time within a day of falling due."""

# Outcomes of an action, passed from its start to its end.
NOT_REACHED, REACHED, QUALIFIED, UNREALISTIC_FOUND, OPTED_OUT, CLOSED_EARLY, DROPPED, ASKED = range(
    8
)
OUTCOME_NAMES = (
    "not_reached",
    "reached",
    "qualified",
    "unrealistic",
    "opted_out",
    "closed_won",
    "screened_out",
    "reached",
)
"""Readable name of each action outcome, for recorders."""


class Recorder(Protocol):
    """Receives every finished action and closed lead (for CRM-style exports)."""

    def action(
        self, task: Task, rep_id: int, started: float, ended: float, outcome: str
    ) -> None: ...

    def lead_closed(self, lead: Lead, outcome: str, now: float) -> None: ...


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


@contextmanager
def _fewer_garbage_collections() -> Iterator[None]:
    """Run the cyclic garbage collector rarely while simulating.

    The engine allocates millions of short-lived objects without reference cycles
    (leads drop their pending task when it starts), so frequent generation-0
    collections only cost time (15-20% of a replication). Restored afterwards.
    """
    previous = gc.get_threshold()
    gc.set_threshold(100_000, 50, 100)
    try:
        yield
    finally:
        gc.set_threshold(*previous)


def _absolute_windows(group: RepGroup, end: float) -> list[tuple[float, float]]:
    """A group's shift windows from time 0 to *end*, touching windows merged (also across weeks)."""
    weekly = WeeklyCalendar(group.shift.windows()).windows
    merged: list[list[float]] = []
    for week in range(int(end // MINUTES_PER_WEEK) + 1):
        for start, stop in weekly:
            start, stop = start + week * MINUTES_PER_WEEK, stop + week * MINUTES_PER_WEEK
            if start >= end:
                continue
            if merged and start <= merged[-1][1]:
                merged[-1][1] = stop
            else:
                merged.append([start, stop])
    return [(start, stop) for start, stop in merged]


class SalesFloor:
    """One replication: leads, customers, reps and work queues run under one cadence.

    >>> floor = SalesFloor(experiment.scenario, experiment.policy, seed)
    >>> kpis = floor.run()
    """

    def __init__(
        self,
        scenario: Scenario,
        cadence: Cadence,
        seed: np.random.SeedSequence,
        trace: Trace | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        self.scenario = scenario
        self.cadence = cadence
        self.env = simpy.Environment()
        self._trace = trace
        self._recorder = recorder
        self._setup_randomness(Streams(seed))
        self._setup_rules()
        self._setup_reps()
        self._setup_measurement()

    # -- set-up ------------------------------------------------------------------

    def _setup_randomness(self, streams: Streams) -> None:
        scenario, actions = self.scenario, self.scenario.actions
        self._draws = lead_draws(scenario.sources, streams, scenario.end)
        self._referral_traits = trait_streams(REFERRAL_SOURCE, scenario.referrals.traits, streams)
        self._referral_rng = streams.rng("referrals")

        def draws(distribution: Any, purpose: str) -> Draws:
            return Draws(distribution.sample, streams.rng(purpose))

        self._talk = draws(actions.conversation, "durations:conversation")
        self._no_answer = draws(actions.no_answer, "durations:no_answer")
        self._voicemail = draws(actions.voicemail, "durations:voicemail")
        self._screening_time = draws(actions.screening, "durations:screening")
        self._meeting_time = draws(actions.meeting, "durations:meeting")
        self._nurture_time = draws(actions.nurture_touch, "durations:nurture")
        self._retention_time = draws(actions.retention_touch, "durations:retention")
        self._referral_time = draws(actions.referral_request, "durations:referral")
        self._time_to_decide = scenario.decision.time_to_decide.quantile
        self._referral_delay = draws(scenario.referrals.delay, "referrals:delay")
        self._repeat_value = scenario.customers.repeat_value.quantile
        self._uniform = Draws(lambda rng, n: rng.random(n), streams.rng("outcomes"))
        self._routing_rng = streams.rng("routing")

    def _setup_rules(self) -> None:
        scenario, cadence = self.scenario, self.cadence
        self._voicemail_share = scenario.actions.voicemail_share
        self._contact = scenario.response.contact.compile()
        self._qualify = scenario.response.qualification.compile()
        decision = scenario.decision
        self._interest = decision.interest.compile()
        self._interest_lasts = minutes_until_below(decision.interest, decision.lost_below)
        self._close_per_touch = decision.close_per_touch
        self._win_rate = decision.win_rate
        customers = scenario.customers
        self._relationship = customers.relationship.compile()
        self._repeat_rate = customers.repeat_purchases_per_year / 525_600.0
        self._churn_rate = customers.churn_per_year / 525_600.0
        fatigue = scenario.fatigue
        self._opt_out_per_touch = fatigue.opt_out_per_touch
        self._fatigue_memory = fatigue.memory
        self._fatigue_tolerance = fatigue.tolerance
        self._fatigue_exponent = fatigue.exponent

        self._screen = cadence.screening.enabled
        self._drop_unfit, self._drop_fit = cadence.screening.drop_chances(
            scenario.screening.false_negative_rate, scenario.screening.false_positive_rate
        )
        speed = cadence.speed_to_lead
        self._response_target = speed.response_target
        self._hold = speed.hold_minutes
        self._first_rank = 0 if speed.new_leads_first else 1
        self._priority = cadence.queue.priority
        self._needs_value = cadence.queue.needs_value
        self._followup = cadence.followup
        self._on_time_window = cadence.followup.on_time_window
        self._nurture_interval = cadence.nurture.interval
        self._retention_gap = cadence.retention.gap_at
        self._department_interval = cadence.referral.department_interval
        self._customer_interval = cadence.referral.customer_interval
        self._source_value = [
            self._expected_value_per_minute(s)
            for s in [*scenario.sources, scenario.referrals.traits]
        ]
        self._begin = {
            SCREEN: self._begin_screen,
            FIRST_ATTEMPT: self._begin_attempt,
            FOLLOW_UP: self._begin_attempt,
            MEETING: self._begin_nurture,
            NURTURE: self._begin_nurture,
            RETENTION: self._begin_retention,
            DEPARTMENT_REFERRAL: self._begin_referral,
        }
        self._end = {
            SCREEN: self._end_screen,
            FIRST_ATTEMPT: self._end_attempt,
            FOLLOW_UP: self._end_attempt,
            MEETING: self._end_nurture,
            NURTURE: self._end_nurture,
            RETENTION: self._end_retention,
            DEPARTMENT_REFERRAL: self._end_referral,
        }

    def _setup_reps(self) -> None:
        self.reps: list[Rep] = []
        self._groups: list[list[Rep]] = []
        self._shift_windows: list[list[tuple[float, float]]] = []
        role_windows: dict[int, list[tuple[float, float]]] = {RESPONDER_QUEUE: [], CLOSER_QUEUE: []}
        for index, (group, responders, others) in enumerate(
            self.cadence.staffed_groups(self.scenario)
        ):
            members = [
                Rep(len(self.reps) + i, index, group.skill, "responder") for i in range(responders)
            ]
            members += [
                Rep(len(self.reps) + responders + i, index, group.skill, group.role)
                for i in range(others)
            ]
            self.reps.extend(members)
            self._groups.append(members)
            self._shift_windows.append(
                _absolute_windows(group, self.scenario.end) if members else []
            )
            for queue in {q for rep in members for q in rep.queues}:
                role_windows[queue].extend(group.shift.windows())
        # Work falls due in the next window in which a rep who can do it is on shift.
        self._calendars = [
            WeeklyCalendar(role_windows[q]) if role_windows[q] else None for q in (0, 1)
        ]
        self._all_generalists = all(len(rep.queues) == 2 for rep in self.reps)
        self._idle: list[Rep] = []
        self._queues: list[list[tuple[int, float, int, Task]]] = [[], []]
        self._choose = self.cadence.routing.chooser(
            [g.name for g in self.scenario.reps], len(self.reps), self._routing_rng
        )

    def _setup_measurement(self) -> None:
        self._seq = count()
        self._ids = count()
        self._active: dict[int, Person] = {}
        self.window_start, self.window_end = self.scenario.window
        self.events = 0
        self.backlog = 0
        self.max_backlog = 0
        self._backlog_area = 0.0
        self._backlog_since = 0.0
        self.busy_minutes = 0.0
        self.overtime_minutes = 0.0
        self.busy_by_hour = [0.0] * 168
        self.backlog_by_hour = [0.0] * 168
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

    def _expected_value_per_minute(self, traits: Any) -> float:
        """What a fresh lead of this kind is worth per rep minute, as reps can estimate it."""
        actions = self.scenario.actions
        reach = traits.reachability.mean
        minutes = reach * actions.conversation.mean + (1 - reach) * (
            self._voicemail_share * actions.voicemail.mean
            + (1 - self._voicemail_share) * actions.no_answer.mean
        )
        won_value = (
            reach * traits.fit_rate * traits.intent.mean * self._win_rate * traits.deal_value.mean
        )
        return won_value / minutes

    # -- scheduling and the run --------------------------------------------------

    def _at(self, delay: float, callback: Callable[[Any], None], payload: Any) -> None:
        self.events += 1
        _Call(self.env, delay, callback, payload)

    def run(self) -> dict[str, float]:
        """Simulate until the end of the drain and return this replication's KPIs."""
        from sim.engine.kpis import replication_kpis

        self.simulate()
        return replication_kpis(self)

    def simulate(self) -> SalesFloor:
        """Simulate until the end of the drain; measurements are then on this object."""
        for index, windows in enumerate(self._shift_windows):
            for start, end in windows:
                self._at(start, self._on_shift_start, (index, end))
                self._at(end, self._on_shift_end, index)
        if self._department_interval is not None:
            self._at(self._department_interval, self._on_department_request_due, None)
        self._schedule_next_arrival()
        with _fewer_garbage_collections():
            self.env.run(until=self.scenario.end)
        self._change_backlog(0)
        for person in self._active.values():
            if isinstance(person, Lead) and person.cohort:
                self._count_outcome(person, OPEN)
        return self

    def _due_task(self, kind: str, subject: Person | None, earliest: float, window: float) -> Task:
        """A task that falls due at the first working minute (for its role) from *earliest*."""
        calendar = self._calendars[QUEUE_OF[kind]]
        due = calendar.next_open(earliest) if calendar is not None else earliest
        task = Task(kind, subject, due, due + window)
        if subject is not None:
            subject.task = task
        self._at(due - self.env.now, self._on_due, task)
        return task

    def _on_due(self, event: Event) -> None:
        task: Task = event._value
        if task.live:
            self._release(task)

    @staticmethod
    def _cancel_pending(person: Person) -> Task | None:
        task = person.task
        if task is not None:
            task.live = False
            person.task = None
        return task

    # -- leads -------------------------------------------------------------------

    def _schedule_next_arrival(self) -> None:
        draw = next(self._draws, None)
        if draw is not None:
            self._at(draw.arrived_at - self.env.now, self._on_arrival, draw)

    def _on_arrival(self, event: Event) -> None:
        self._schedule_next_arrival()
        self._new_lead(event._value)

    def _on_referral_arrival(self, event: Event) -> None:
        self._new_lead(event._value)

    def _new_lead(self, draw: LeadDraw) -> None:
        now = self.env.now
        cohort = self.window_start <= now < self.window_end
        lead = Lead(
            next(self._ids),
            draw.source,
            now,
            draw.intent,
            draw.reachability,
            draw.value,
            draw.fit,
            draw.luck,
            cohort,
        )
        if cohort and draw.source == len(self.scenario.sources):
            self.cohort_referral_leads += 1
        self._active[lead.id] = lead
        lead.patience_ends = now + draw.patience
        if self._needs_value:
            lead.expected_value = self._source_value[draw.source]
        kind = SCREEN if self._screen else FIRST_ATTEMPT
        hold = self._hold(draw.luck[LUCK_HOLD])
        if hold > 0:
            task = Task(kind, lead, now + hold, now + hold + self._response_target)
            lead.task = task
            self._at(hold, self._on_due, task)
        else:
            task = Task(kind, lead, now, now + self._response_target)
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
            self._close(lead, LOST_INTEREST_DECAYED)

    def _close(self, lead: Lead, outcome: str) -> None:
        lead.outcome = outcome
        if self._recorder is not None:
            self._recorder.lead_closed(lead, outcome, self.env.now)
        task = self._cancel_pending(lead)
        if task is not None and task.queued:
            self._change_backlog(-1)
        del self._active[lead.id]
        if lead.cohort:
            self._count_outcome(lead, outcome)

    def _count_outcome(self, lead: Lead, outcome: str) -> None:
        self.outcomes[outcome] += 1
        won = outcome == WON
        if won:
            self.deal_revenue += lead.value
        if outcome == LOST_SCREENED_OUT:
            # Never meant to be called: not part of the speed-to-lead statistics.
            self.screened_out_realistic += lead.fit
            return
        self.first_attempts.add(
            lead.first_attempt_delay,
            lead.reached_at == lead.first_attempt_at,
            lead.reached_at != math.inf,
            lead.qualified,
            won,
        )

    # -- the work queues -----------------------------------------------------------

    def _release(self, task: Task) -> None:
        """*task* is workable now: give it to an idle rep who can do it, or queue it."""
        idle = self._idle
        queue_index = QUEUE_OF[task.kind]
        if idle:
            candidates = (
                idle if self._all_generalists else [r for r in idle if queue_index in r.queues]
            )
            if candidates:
                rep = self._choose(candidates)
                idle.remove(rep)
                self._start(rep, task)
                return
        subject = task.subject
        if isinstance(subject, Lead):
            self._watch_patience(subject)
            if subject.cohort and task.due == subject.arrived_at:
                self.cohort_waited += 1
            if self._needs_value:
                since = self.env.now - subject.last_engaged_at
                task.value = subject.expected_value * self._contact(since) * self._qualify(since)
        rank = self._first_rank if task.kind in (FIRST_ATTEMPT, SCREEN) else 1
        heappush(self._queues[queue_index], (rank, self._priority(task), next(self._seq), task))
        task.queued = True
        self._change_backlog(1)

    def _dispatch(self, rep: Rep) -> None:
        """*rep* is free and on shift: start the best live task it can do, or wait idle."""
        best: list[tuple[int, float, int, Task]] | None = None
        for queue_index in rep.queues:
            queue = self._queues[queue_index]
            while queue and not queue[0][3].live:
                heappop(queue)
            if queue and (best is None or queue[0] < best[0]):
                best = queue
        if best is None:
            rep.busy = False
            self._idle.append(rep)
            return
        task = heappop(best)[3]
        task.queued = False
        self._change_backlog(-1)
        self._start(rep, task)

    def _change_backlog(self, delta: int) -> None:
        now = self.env.now
        backlog = self.backlog
        if backlog:
            start = max(self._backlog_since, self.window_start)
            end = min(now, self.window_end)
            if end > start:
                self._backlog_area += backlog * (end - start)
                _spread_by_hour(self.backlog_by_hour, start, end, backlog)
        self._backlog_since = now
        backlog += delta
        self.backlog = backlog
        if backlog > self.max_backlog and self.window_start <= now < self.window_end:
            self.max_backlog = backlog

    # -- doing the work ----------------------------------------------------------

    def _start(self, rep: Rep, task: Task) -> None:
        rep.busy = True
        subject = task.subject
        if subject is not None:
            subject.task = None
        now = self.env.now
        duration, outcome = self._begin[task.kind](rep, task, now)
        if self._trace is not None:
            self._trace("start", now, rep.id, subject.id if subject is not None else -1, task.kind)
        self._at(duration, self._on_finish, (rep, task, outcome, now, rep.shift_ends))

    def _on_finish(self, event: Event) -> None:
        rep, task, outcome, started, shift_ends = event._value
        now = self.env.now
        if self._trace is not None:
            subject = task.subject
            self._trace("end", now, rep.id, subject.id if subject is not None else -1, task.kind)
        self._account_busy(rep, started, now, shift_ends)
        if self._recorder is not None:
            self._recorder.action(task, rep.id, started, now, OUTCOME_NAMES[outcome])
        self._end[task.kind](task, outcome, now)
        if rep.on_shift:
            self._dispatch(rep)
        else:
            rep.busy = False

    def _touch(self, person: Person, now: float) -> bool:
        """Count a touch on *person*; return True if it makes them opt out (fatigue)."""
        if person.cohort:
            self.cohort_touches += 1
        weight = person.fatigue * math.exp((person.fatigue_at - now) / self._fatigue_memory) + 1.0
        person.fatigue = weight
        person.fatigue_at = now
        chance = (
            self._opt_out_per_touch * (weight / self._fatigue_tolerance) ** self._fatigue_exponent
        )
        return (person.rng.random() if person.rng else self._uniform()) < chance

    def _begin_screen(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        lead: Lead = task.subject  # type: ignore[assignment]
        drop = self._drop_fit if lead.fit else self._drop_unfit
        return self._screening_time(), DROPPED if lead.luck[LUCK_SCREEN] < drop else NOT_REACHED

    def _end_screen(self, task: Task, outcome: int, now: float) -> None:
        lead: Lead = task.subject  # type: ignore[assignment]
        if lead.outcome is not None:
            return
        if outcome == DROPPED:
            self._close(lead, LOST_SCREENED_OUT)
            return
        call = Task(FIRST_ATTEMPT, lead, now, task.deadline)
        lead.task = call
        self._release(call)

    def _begin_attempt(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        lead: Lead = task.subject  # type: ignore[assignment]
        lead.attempts += 1
        attempt = lead.attempts
        if lead.cohort:
            self.cohort_attempts += 1
        if attempt == 1:
            lead.first_attempt_at = now
            lead.owner = rep.id
        opted_out = self._touch(lead, now)
        since = now - lead.last_engaged_at
        luck = lead.luck
        u = luck[attempt - 1] if attempt <= LUCK_ATTEMPTS else self._uniform()
        if u >= lead.reachability * self._contact(since):
            duration = (
                self._voicemail() if self._uniform() < self._voicemail_share else self._no_answer()
            )
            return duration, OPTED_OUT if opted_out else NOT_REACHED
        lead.reached_at = min(lead.reached_at, now)
        duration = self._talk()
        if opted_out:
            return duration, OPTED_OUT
        if not lead.fit:
            return duration, UNREALISTIC_FOUND
        qualified = luck[LUCK_QUALIFY] < lead.intent * rep.skill * self._qualify(since)
        return duration, QUALIFIED if qualified else REACHED

    def _end_attempt(self, task: Task, outcome: int, now: float) -> None:
        lead: Lead = task.subject  # type: ignore[assignment]
        if lead.outcome is not None:
            return
        if outcome == QUALIFIED:
            self._qualified(lead, now)
        elif outcome == REACHED:
            self._close(lead, LOST_DISQUALIFIED)
        elif outcome == UNREALISTIC_FOUND:
            self._close(lead, LOST_UNREALISTIC)
        elif outcome == OPTED_OUT:
            self._close(lead, LOST_OPTED_OUT)
        else:
            gap = self._followup.gap_after(lead.attempts)
            if gap is None:
                self._close(lead, LOST_NEVER_REACHED)
                return
            self._due_task(FOLLOW_UP, lead, now + gap, self._on_time_window)
            self._watch_patience(lead)

    # -- decision stage ------------------------------------------------------------

    def _qualified(self, lead: Lead, now: float) -> None:
        lead.qualified = True
        lead.rng = random.Random(int(lead.luck[LUCK_STAGE] * 2**53))
        lead.decide_at = now + self._time_to_decide(lead.rng.random())
        self._at(lead.decide_at - now, self._on_decision, lead)
        self._engaged(lead, now)
        task = Task(MEETING, lead, now, now + CLOSER_ON_TIME_MINUTES)
        lead.task = task
        self._release(task)

    def _engaged(self, lead: Lead, now: float) -> None:
        """The prospect was reached: interest is renewed; watch for it fading away."""
        lead.last_engaged_at = now
        lead.engagements += 1
        if self._interest_lasts != math.inf:
            self._at(self._interest_lasts, self._on_interest_faded, (lead, lead.engagements))

    def _on_interest_faded(self, event: Event) -> None:
        lead, engagements = event._value
        if lead.outcome is None and lead.engagements == engagements:
            self._close(lead, LOST_INTEREST_DECAYED)

    def _begin_nurture(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        lead: Lead = task.subject  # type: ignore[assignment]
        duration = self._meeting_time() if task.kind == MEETING else self._nurture_time()
        if self._touch(lead, now):
            return duration, OPTED_OUT
        luck = lead.rng
        if task.kind == NURTURE and luck.random() >= lead.reachability:
            return duration, NOT_REACHED
        interest = self._interest(now - lead.last_engaged_at)
        if luck.random() < self._close_per_touch * lead.intent * interest:
            return duration, CLOSED_EARLY
        return duration, REACHED

    def _end_nurture(self, task: Task, outcome: int, now: float) -> None:
        lead: Lead = task.subject  # type: ignore[assignment]
        if lead.outcome is not None:
            return
        if outcome == OPTED_OUT:
            self._close(lead, LOST_OPTED_OUT)
            return
        if outcome == CLOSED_EARLY:
            self._win(lead, now)
            return
        if outcome == REACHED:
            self._engaged(lead, now)
        if now + self._nurture_interval < lead.decide_at:
            self._due_task(NURTURE, lead, now + self._nurture_interval, CLOSER_ON_TIME_MINUTES)

    def _on_decision(self, event: Event) -> None:
        lead: Lead = event._value
        if lead.outcome is not None:
            return
        interest = self._interest(self.env.now - lead.last_engaged_at)
        if lead.luck[LUCK_WIN] < self._win_rate * interest:
            self._win(lead, self.env.now)
        else:
            self._close(lead, LOST_NOT_WON)

    def _win(self, lead: Lead, now: float) -> None:
        self._close(lead, WON)
        customer = Customer(next(self._ids), lead.cohort, lead.reachability, now)
        # Its own luck as a customer, independent of how its decision stage went.
        customer.rng = random.Random(int(lead.luck[LUCK_STAGE] * 2**53) + 1)
        self._active[customer.id] = customer
        if customer.cohort:
            self.customers += 1
        self._next_retention_touch(customer, now)
        if self._repeat_rate:
            self._at(customer.rng.expovariate(self._repeat_rate), self._on_repeat_chance, customer)
        if self._churn_rate:
            self._at(customer.rng.expovariate(self._churn_rate), self._on_churn_chance, customer)

    # -- customers ---------------------------------------------------------------

    def _next_retention_touch(self, customer: Customer, now: float) -> None:
        gap = self._retention_gap(now - customer.won_at)
        if gap is not None:
            self._due_task(RETENTION, customer, now + gap, CLOSER_ON_TIME_MINUTES)

    def _begin_retention(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        """A retention touch; a customer reached is also asked for referrals when due."""
        customer: Customer = task.subject  # type: ignore[assignment]
        duration = self._retention_time()
        if self._touch(customer, now):
            return duration, OPTED_OUT
        if customer.rng.random() >= customer.reachability:
            return duration, NOT_REACHED
        interval = self._customer_interval
        if interval is not None and now - customer.asked_at >= interval:
            customer.asked_at = now
            return duration + self._referral_time(), ASKED
        return duration, REACHED

    def _end_retention(self, task: Task, outcome: int, now: float) -> None:
        customer: Customer = task.subject  # type: ignore[assignment]
        if not customer.active:
            return
        if outcome == OPTED_OUT:
            self._churn(customer, opted_out=True)
            return
        if outcome in (REACHED, ASKED):
            customer.last_engaged_at = now
        if outcome == ASKED:
            self._referred_leads(self.scenario.referrals.leads_per_customer_request)
        self._next_retention_touch(customer, now)

    def _on_repeat_chance(self, event: Event) -> None:
        """A candidate purchase at the full-relationship rate, kept with the relationship's strength."""
        customer: Customer = event._value
        if not customer.active:
            return
        now = self.env.now
        if customer.rng.random() < self._relationship(now - customer.last_engaged_at):
            value = self._repeat_value(customer.rng.random())
            if customer.cohort:
                self.repeat_purchases += 1
                self.repeat_revenue += value
        self._at(customer.rng.expovariate(self._repeat_rate), self._on_repeat_chance, customer)

    def _on_churn_chance(self, event: Event) -> None:
        """A candidate churn at the faded-relationship rate, kept with the relationship's weakness."""
        customer: Customer = event._value
        if not customer.active:
            return
        if customer.rng.random() < 1.0 - self._relationship(
            self.env.now - customer.last_engaged_at
        ):
            self._churn(customer, opted_out=False)
            return
        self._at(customer.rng.expovariate(self._churn_rate), self._on_churn_chance, customer)

    def _churn(self, customer: Customer, opted_out: bool) -> None:
        customer.active = False
        task = self._cancel_pending(customer)
        if task is not None and task.queued:
            self._change_backlog(-1)
        del self._active[customer.id]
        if customer.cohort:
            self.churned += 1
            self.customer_opt_outs += opted_out

    # -- database expansion ----------------------------------------------------------

    def _on_department_request_due(self, event: Event) -> None:
        now = self.env.now
        self._due_task(DEPARTMENT_REFERRAL, None, now, CLOSER_ON_TIME_MINUTES)
        self._at(self._department_interval, self._on_department_request_due, None)

    def _begin_referral(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        return self._referral_time(), REACHED

    def _end_referral(self, task: Task, outcome: int, now: float) -> None:
        self._referred_leads(self.scenario.referrals.leads_per_department_request)

    def _referred_leads(self, mean: float) -> None:
        """A request was made: its referred leads arrive over the following days."""
        self.referral_requests += 1
        n = int(self._referral_rng.poisson(mean))
        if n == 0:
            return
        now = self.env.now
        delays = np.array([self._referral_delay() for _ in range(n)])
        for draw in self._referral_traits.draws(now + delays, len(self.scenario.sources)):
            self._at(draw.arrived_at - now, self._on_referral_arrival, draw)

    # -- time accounting and shifts ---------------------------------------------------

    def _account_busy(self, rep: Rep, start: float, end: float, shift_ends: float) -> None:
        """Add a task's rep time to busy (within the shift it started in) and overtime (after it)."""
        w0, w1 = self.window_start, self.window_end
        rep.busy_minutes += end - start
        on_shift_end = min(end, shift_ends)
        busy = max(0.0, min(on_shift_end, w1) - max(start, w0))
        if busy > 0:
            self.busy_minutes += busy
            _spread_by_hour(self.busy_by_hour, max(start, w0), min(on_shift_end, w1), 1.0)
        if end > on_shift_end:
            self.overtime_minutes += max(0.0, min(end, w1) - max(on_shift_end, w0))

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
        self._idle = [rep for rep in self._idle if rep.on_shift]

    # -- measurement helpers -----------------------------------------------------

    @property
    def mean_backlog(self) -> float:
        """Time-average number of tasks waiting during the measurement window."""
        return self._backlog_area / (self.window_end - self.window_start)

    def on_shift_minutes(self) -> float:
        """Rep minutes on shift within the measurement window."""
        return sum(
            len(members)
            * WeeklyCalendar(group.shift.windows()).open_minutes(self.window_start, self.window_end)
            for group, members in zip(self.scenario.reps, self._groups, strict=True)
            if members
        )

    def on_shift_by_hour(self) -> list[float]:
        """Rep minutes on shift in each hour of the week, within the measurement window."""
        minutes = [0.0] * 168
        for group, members in zip(self.scenario.reps, self._groups, strict=True):
            calendar = WeeklyCalendar(group.shift.windows())
            for hour in range(168):
                weekly = calendar.open_minutes(hour * 60.0, hour * 60.0 + 60.0)
                if weekly:
                    weeks = _weeks_covering(self.window_start, self.window_end, hour)
                    minutes[hour] += len(members) * weekly * weeks
        return minutes


def _spread_by_hour(totals: list[float], start: float, end: float, weight: float) -> None:
    """Add ``weight x minutes`` of ``[start, end)`` to each hour-of-week slot it covers."""
    hour = start // 60
    if end <= hour * 60 + 60:  # the common case: within one hour
        totals[int(hour) % 168] += weight * (end - start)
        return
    while start < end:
        piece = min(end, (start // 60 + 1) * 60) - start
        totals[int(start // 60) % 168] += weight * piece
        start += piece


def _weeks_covering(start: float, end: float, hour: int) -> float:
    """How many times hour-of-week *hour* falls (fully) inside ``[start, end)``."""
    first = math.ceil((start - hour * 60.0) / MINUTES_PER_WEEK)
    last = math.floor((end - hour * 60.0 - 60.0) / MINUTES_PER_WEEK)
    return max(0, last - first + 1)
