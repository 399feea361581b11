"""The simulation engine: one replication of a scenario under a cadence.

Design (for speed): the model schedules callbacks on a lean event list
(:class:`~sim.engine.clock.Clock`: the hour's records in time order, far-future events in
hourly buckets, ordered exactly as SimPy orders them), not a SimPy process per lead or
rep: a callback costs one insertion and one call. Memory is bounded by the people
still active: arrivals come a week at a time and closed leads are only counted.

The sales rhythm, in one paragraph. Leads arrive from each source (and from
referral requests), each with latent intent, reachability, deal value and fit.
A new lead is screened (if the cadence says so) and then called. A free
on-shift rep takes the best task from the queue of its role, as ordered by the
cadence. An attempt reaches the lead when it is at the phone (its reachability x
a hot window after it last engaged x a decay per attempt x the hour of week);
a conversation with a realistic lead qualifies it with probability ``intent x
skill x qualification_curve(...)`` (interest fading since it engaged).
Unreached leads are followed up on the cadence's gaps until the attempts run
out (or on a sequence's steps, emails and texts between the calls). A qualified lead meets a closer and is nurtured until it decides; its
interest fades between touches, and a lead whose interest falls too low buys
from a competitor. Won leads become customers, touched on the retention cadence
(relationship drives repeat purchases and churn). Touches add fatigue (opt-outs).
"""

from __future__ import annotations

import math
from itertools import count
from typing import Any, Final

import numpy as np

from policies.cadence import Cadence
from sim.config.scenario import Scenario
from sim.config.seasonality import working_windows
from sim.config.units import HOURS_PER_WEEK, MINUTES_PER_HOUR, MINUTES_PER_WEEK, MINUTES_PER_YEAR
from sim.config.weekly_calendar import HolidayCalendar, WeeklyCalendar
from sim.engine._decision import DecisionStage
from sim.engine._state import run_over
from sim.engine.arrivals import (
    LUCK_ATTEMPTS,
    LUCK_HOLD,
    LeadDraw,
    lead_batches,
)
from sim.engine.clock import Clock, garbage_collector_off, heappop, heappush
from sim.engine.meter import TASKS_PER_FOLD, Meter
from sim.engine.observers import Recorder, Trace
from sim.engine.people import (
    CLOSER_QUEUE,
    DEPARTMENT_REFERRAL,
    FIRST_ATTEMPT,
    FOLLOW_UP,
    LOST_DISQUALIFIED,
    LOST_INTEREST_DECAYED,
    LOST_OPTED_OUT,
    LOST_UNREALISTIC,
    MEETING,
    NOT_REACHED,
    NURTURE,
    OPEN,
    OPTED_OUT,
    OUTCOME_NAMES,
    QUALIFIED,
    QUEUE_OF,
    REACHED,
    RESPONDER_QUEUE,
    RETENTION,
    SCREEN,
    UNREALISTIC_FOUND,
    Lead,
    Person,
    Rep,
    Task,
    expected_value_per_minute,
    shift_windows_until,
)
from sim.engine.streams import Draws, Streams

_TABLED_ATTEMPTS = 64
"""Follow-up gaps are looked up for attempts below this (asked of the policy beyond)."""

_LOST_AFTER_CONVERSATION: Final = {
    REACHED: LOST_DISQUALIFIED,
    UNREALISTIC_FOUND: LOST_UNREALISTIC,
    OPTED_OUT: LOST_OPTED_OUT,
}
"""How a lead is lost when an attempt reached it without qualifying it (or it opted out)."""


class SalesFloor(DecisionStage):
    """One replication: leads, customers, reps and work queues run under one cadence.

    The stages of the sales rhythm are its base classes, one module each and one chain
    (``DecisionStage`` <- ``CustomerCare`` <- ... <- ``LocalCallingHours`` <- ``FloorState``,
    which declares what they share): single inheritance, so that the compiled kernel
    (:mod:`sim.engine.kernel`) makes each a native class with typed fields.

    >>> floor = SalesFloor(experiment.scenario, experiment.policy, seed)
    >>> kpis = replication_kpis(floor.simulate())
    """

    def __init__(
        self,
        scenario: Scenario,
        cadence: Cadence,
        seed: np.random.SeedSequence,
        trace: Trace | None = None,
        recorder: Recorder | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.scenario = scenario
        self.cadence = cadence
        self.clock = clock if clock is not None else Clock()
        self._trace = trace
        self._recorder = recorder
        streams = Streams(seed)
        self._setup_randomness(streams)
        self._setup_rules()
        self._setup_local_time()
        self._setup_reps()
        self._setup_measurement()
        self._setup_adherence(streams)
        self._setup_channels(streams)

    # -- set-up ------------------------------------------------------------------

    def _setup_randomness(self, streams: Streams) -> None:
        scenario, actions = self.scenario, self.scenario.actions
        last = scenario.end if scenario.drain_arrivals else scenario.window[1]  # arrivals stop
        self._arrivals = lead_batches(scenario.sources, streams, last, scenario.calendar)
        self._arriving: list[LeadDraw] = []  # the batch of leads arriving now
        self._next_arrival = 0  # the next one's index in it
        self._referral_source = len(scenario.sources)  # referred leads' source index
        self._setup_screening(streams)
        self._setup_referrals(streams)

        def draws(distribution: Any, purpose: str) -> Draws:
            return Draws(distribution.sample, streams.rng(purpose))

        self._talk = draws(actions.conversation, "durations:conversation")
        self._no_answer = draws(actions.no_answer, "durations:no_answer")
        self._voicemail = draws(actions.voicemail, "durations:voicemail")
        self._meeting_time = draws(actions.meeting, "durations:meeting")
        self._nurture_time = draws(actions.nurture_touch, "durations:nurture")
        self._retention_time = draws(actions.retention_touch, "durations:retention")
        self._referral_time = draws(actions.referral_request, "durations:referral")
        self._time_to_decide = scenario.decision.time_to_decide.quantile
        self._repeat_value = scenario.customers.repeat_value.quantile
        self._uniform = streams.uniforms("outcomes")
        self._routing_rng = streams.rng("routing")

    def _setup_rules(self) -> None:
        scenario, cadence = self.scenario, self.cadence
        self._voicemail_share = scenario.actions.voicemail_share
        response = scenario.response
        self._contact = response.contact.compile()
        self._qualify = response.qualification.compile()
        self._attempt_decay = response.attempt_decay
        self._answer_by_hour = response.time_of_week
        self._setup_decision_rules(scenario.decision, scenario.fatigue.memory)
        customers = scenario.customers
        self._relationship = customers.relationship.compile()
        self._repeat_rate = customers.repeat_purchases_per_year / MINUTES_PER_YEAR
        self._churn_rate = customers.churn_per_year / MINUTES_PER_YEAR
        fatigue = scenario.fatigue
        self._opt_out_per_touch = fatigue.opt_out_per_touch
        self._fatigue_memory = fatigue.memory
        self._fatigue_tolerance = fatigue.tolerance
        self._fatigue_exponent = fatigue.exponent

        speed = cadence.speed_to_lead
        self._response_target = speed.response_target
        self._hold = speed.hold_minutes if speed.holds_leads else None
        self._first_rank = 0 if speed.new_leads_first else 1
        self._priority = cadence.queue.priority_function()
        self._needs_value = cadence.queue.needs_value
        self._followup = cadence.followup
        # Policy answers that cannot change during a run, looked up instead of asked.
        tabled = min(cadence.followup.max_attempts, _TABLED_ATTEMPTS)
        self._followup_gaps: list[float | None] = [
            None,
            *(cadence.followup.gap_after(attempt) for attempt in range(1, tabled + 1)),
        ]
        self._queue_and_rank = {
            kind: (queue, self._first_rank if kind in (FIRST_ATTEMPT, SCREEN) else 1)
            for kind, queue in QUEUE_OF.items()
        }
        self._on_time_window = cadence.followup.on_time_window
        self._nurture_gap = cadence.nurture.gap_after
        self._retention_gap = cadence.retention.gap_at
        self._source_value = [
            expected_value_per_minute(s, scenario.actions, self._win_rate)
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
        # Bound once, not once per action or step (a bound method is tracked by the collector).
        self._finish, self._step_falls_due = self._on_finish, self._step_due
        self._falls_due = self._release
        self._end = {
            SCREEN: self._end_screen,
            FIRST_ATTEMPT: self._end_attempt,
            FOLLOW_UP: self._end_attempt,
            MEETING: self._end_nurture,
            NURTURE: self._end_nurture,
            RETENTION: self._end_retention,
            DEPARTMENT_REFERRAL: self._end_referral,
        }
        self._setup_comebacks(response.comebacks)

    def _setup_reps(self) -> None:
        self.reps: list[Rep] = []
        self._groups: list[list[Rep]] = []
        self._shift_windows: list[list[tuple[float, float]]] = []
        role_windows: dict[int, list[tuple[float, float]]] = {RESPONDER_QUEUE: [], CLOSER_QUEUE: []}
        holidays = self.scenario.calendar.closed_days(self.scenario.end)
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
                working_windows(shift_windows_until(group, self.scenario.end), holidays)
                if members
                else []
            )
            for queue in {q for rep in members for q in rep.queues}:
                role_windows[queue].extend(group.shift.windows())
        # Work falls due in the next window in which a rep who can do it is on shift.
        self._calendars = [
            WeeklyCalendar(role_windows[q]) if role_windows[q] else None for q in (0, 1)
        ]
        if holidays:
            self._calendars = [c and HolidayCalendar(c, holidays) for c in self._calendars]
        self._idle: list[list[Rep]] = [[], []]
        """Per queue, the idle on-shift reps who work it, longest idle first (generalists in both)."""
        self._queues: list[list[Task]] = [[], []]
        self._choose = self.cadence.routing.chooser(
            [g.name for g in self.scenario.reps], len(self.reps), self._routing_rng
        )

    def _setup_measurement(self) -> None:
        self._seq = count()
        self._ids = count()
        self._active: dict[Person, None] = {}
        self.meter = meter = Meter(
            self.scenario.window,
            [
                (group.shift.windows(), len(members))
                for group, members in zip(self.scenario.reps, self._groups, strict=True)
            ],
            self.scenario.calendar.closed_days(self.scenario.end),
        )
        self._backlog_changed_at = meter.backlog_changed_at.append
        self._backlog_step = meter.backlog_steps.append
        self._task_started_at = meter.task_starts.append
        self._task_ended_at = meter.task_ends.append
        self._task_shift_ended_at = meter.task_shift_ends.append
        self._tasks_unfolded = 0

    # -- scheduling and the run --------------------------------------------------

    def simulate(self) -> SalesFloor:
        """Simulate until the end of the drain; measurements are then on this object (once)."""
        if self._finish is run_over:
            run_over()
        with garbage_collector_off():  # the first week's arrivals too
            for index, windows in enumerate(self._shift_windows):
                for start, end in windows:
                    self.clock.at(start, self._on_shift_start, (index, end))
                    self.clock.at(end, self._on_shift_end, index)
            # Bound once for the run (and after any test's stand-in for the method).
            self._arrive, self._lose_patience = self._on_arrival, self._on_patience_end
            self._schedule_department_requests()
            self._schedule_planning(0.0)
            self._schedule_next_arrival()
            self.clock.at(MINUTES_PER_WEEK, self._on_week_end, None)
            try:
                self.clock.run(until=self.scenario.end)
            finally:  # an error mid-run too: people are freed by reference counting alone
                self._let_go()
        meter = self.meter
        meter.finish(self.clock.now)
        for person in self._active:
            if isinstance(person, Lead) and person.cohort:
                meter.lead_closed(person, OPEN)
        return self

    def _on_week_end(self, _: None) -> None:
        """Once a simulated week, the meter folds its raw times into totals (bounded memory)."""
        self.meter.fold()
        self.clock.at(MINUTES_PER_WEEK, self._on_week_end, None)

    # -- leads -------------------------------------------------------------------

    def _schedule_next_arrival(self) -> None:
        index = self._next_arrival
        if index == len(self._arriving):
            self._arriving, index = next(self._arrivals, []), 0
            if not self._arriving:
                return
        draw = self._arriving[index]
        self._next_arrival = index + 1
        self.clock.at(draw.arrived_at - self.clock.now, self._arrive, draw)

    def _on_arrival(self, draw: LeadDraw) -> None:
        self._schedule_next_arrival()
        self._new_lead(draw)

    def _on_referral_arrival(self, draw: LeadDraw) -> None:
        self._new_lead(draw)

    def _new_lead(self, draw: LeadDraw) -> None:
        now = self.clock.now
        cohort = self.meter.in_window(now)
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
        lead.local_offset, lead.time_zone = draw.local_offset, draw.time_zone
        if cohort and draw.source == self._referral_source:
            self.meter.cohort_referral_leads += 1
        self._active[lead] = None
        lead.patience_ends = now + draw.patience
        if self._needs_value:
            lead.expected_value = self._source_value[draw.source]
        kind = SCREEN if self._screens_source[draw.source] else FIRST_ATTEMPT
        hold = self._hold(draw.luck[LUCK_HOLD]) if self._hold is not None else 0.0
        if hold > 0:
            task = Task(kind, lead, now + hold, now + hold + self._response_target)
            lead.task = task
            self.clock.at(hold, self._falls_due, task)
        else:
            task = Task(kind, lead, now, now + self._response_target)
            lead.task = task
            self._release(task)

    def _watch_patience(self, lead: Lead) -> None:
        """Schedule the lead's patience end, once, when it first has to wait.

        Leads served at once never need the event, which saves one event per lead.
        Callers test ``patience_watched`` first, so each lead comes here at most once.
        """
        lead.patience_watched = True
        if lead.patience_ends != math.inf:
            # A lead whose patience ran out before it first had to wait is lost at once.
            wait = max(0.0, lead.patience_ends - self.clock.now)
            self.clock.at(wait, self._lose_patience, lead)

    def _on_patience_end(self, lead: Lead) -> None:
        if lead.outcome is None and lead.reached_at == math.inf:
            self._close(lead, LOST_INTEREST_DECAYED)

    def _close(self, lead: Lead, outcome: str) -> None:
        lead.outcome = outcome
        if self._recorder is not None:
            self._recorder.lead_closed(lead, outcome, self.clock.now)
        self._drop_pending(lead)
        del self._active[lead]
        if lead.cohort:
            self.meter.lead_closed(lead, outcome)

    # -- the work queues -----------------------------------------------------------

    def _release(self, task: Task) -> None:
        """*task* is workable now: give it to an idle rep who can do it, or queue it.

        Scheduled tasks come here when they fall due; one closed meanwhile is not *live*.
        """
        if not task.live:
            return
        if self._calling_window is not None and self._outside_calling_window(task):
            return
        queue_index, rank = self._queue_and_rank[task.kind]
        candidates = self._idle[queue_index]
        if candidates:
            rep: Rep = self._choose(candidates)  # type: ignore[assignment]
            for queue in rep.queues:
                self._idle[queue].remove(rep)  # at the front when the longest idle is chosen
            self._start(rep, task)
            return
        subject = task.subject
        if isinstance(subject, Lead):
            if not subject.patience_watched:
                self._watch_patience(subject)
            if subject.cohort and task.due == subject.arrived_at:
                self.meter.cohort_waited += 1
            if self._needs_value:
                since = self.clock.now - subject.last_engaged_at
                reachable = subject.expected_value * self._contact.value(since)
                task.value = reachable * self._qualify.value(since)
        task.rank, task.priority, task.seq = rank, self._priority(task), next(self._seq)
        heappush(self._queues[queue_index], task)
        self._waiting[queue_index] += 1
        task.queued = True
        self._backlog_changed_at(self.clock.now)
        self._backlog_step(1)

    def _dispatch(self, rep: Rep) -> None:
        """*rep* is free and on shift: start the best live task it can do, or wait idle."""
        queues = self._queues
        while True:
            best: list[Task] | None = None
            best_index = 0
            for queue_index in rep.queues:
                queue = queues[queue_index]
                while queue and not queue[0].live:
                    heappop(queue)
                if queue and (best is None or queue[0] < best[0]):
                    best, best_index = queue, queue_index
            if best is None:
                rep.busy = False
                for queue_index in rep.queues:
                    self._idle[queue_index].append(rep)
                return
            task = heappop(best)
            self._waiting[best_index] -= 1
            task.queued = False
            self._backlog_changed_at(self.clock.now)  # as _stopped_waiting, without the call
            self._backlog_step(-1)
            if self._calling_window is None or not self._outside_calling_window(task):
                break  # a call its lead may not take now went back to wait for its window
        self._start(rep, task)

    def _drop_pending(self, person: Person) -> None:
        """Cancel *person*'s pending task (off its queue's count if it was waiting)."""
        task = person.task
        if task is not None:
            task.live = False
            person.task = None
            if task.queued:
                self._stopped_waiting(task)

    def _stopped_waiting(self, task: Task) -> None:
        """A queued *task* left its queue because its subject closed."""
        self._waiting[self._queue_and_rank[task.kind][0]] -= 1
        self._backlog_changed_at(self.clock.now)
        self._backlog_step(-1)

    # -- doing the work ----------------------------------------------------------

    def _start(self, rep: Rep, task: Task) -> None:
        rep.busy = True
        subject = task.subject
        if subject is not None:
            subject.task = None
        now = self.clock.now
        duration, outcome = self._begin[task.kind](rep, task, now)
        if self._trace is not None:
            self._trace("start", now, rep.id, subject.id if subject is not None else -1, task.kind)
        rep.doing, rep.outcome, rep.started_at = task, outcome, now
        rep.started_shift_ends = rep.shift_ends
        self.clock.at(duration, self._finish, rep)

    def _on_finish(self, rep: Rep) -> None:
        task, outcome, started = rep.doing, rep.outcome, rep.started_at
        assert task is not None  # a rep's action ends only after it started
        rep.doing = None
        now = self.clock.now
        if self._trace is not None:
            subject = task.subject
            self._trace("end", now, rep.id, subject.id if subject is not None else -1, task.kind)
        rep.busy_minutes += now - started
        self._task_started_at(started)
        self._task_ended_at(now)
        self._task_shift_ended_at(rep.started_shift_ends)
        self._tasks_unfolded += 1
        if self._tasks_unfolded == TASKS_PER_FOLD:
            self._tasks_unfolded = 0
            self.meter.fold_times()
        if self._recorder is not None:
            self._recorder.action(task, rep.id, started, now, OUTCOME_NAMES[outcome])
        self._end[task.kind](task, outcome, now)
        if rep.on_shift:
            self._dispatch(rep)
        else:
            rep.busy = False

    def _touch(self, person: Person, now: float, fatigue_weight: float = 1.0) -> bool:
        """Count a touch on *person* (a call weighs 1); return True if it makes them opt out."""
        if person.cohort:
            self.meter.cohort_touches += 1
        weight = (
            person.fatigue * math.exp((person.fatigue_at - now) / self._fatigue_memory)
            + fatigue_weight
        )
        person.fatigue = weight
        person.fatigue_at = now
        chance = (
            self._opt_out_per_touch * (weight / self._fatigue_tolerance) ** self._fatigue_exponent
        )
        rng = person.rng
        return (rng.random() if rng else self._uniform.next()) < chance

    def _begin_attempt(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        lead: Lead = task.subject  # type: ignore[assignment]
        lead.attempts += 1
        attempt = lead.attempts
        if lead.cohort:
            self.meter.cohort_attempts += 1
        if attempt == 1:
            lead.first_attempt_at = now
            lead.owner = rep.id
        opted_out = self._touch(lead, now)
        since = now - lead.last_engaged_at
        u = lead.reach_luck(attempt) if attempt <= LUCK_ATTEMPTS else self._uniform.next()
        hour = int((now + lead.local_offset) // MINUTES_PER_HOUR) % HOURS_PER_WEEK
        reach = lead.reachability * self._contact.value(since)
        at_phone = reach * self._attempt_decay ** (attempt - 1)
        if u >= at_phone * self._answer_by_hour[hour]:
            return self._unanswered_dial(lead, now), OPTED_OUT if opted_out else NOT_REACHED
        if lead.reached_attempt == 0:
            lead.reached_attempt = attempt
        lead.reached_at = min(lead.reached_at, now)
        duration = self._talk.next()
        if opted_out:
            return duration, OPTED_OUT
        return duration, self._conversation(lead, rep, since)

    def _conversation(self, lead: Lead, rep: Rep, since: float) -> int:
        """How a conversation *since* minutes after the lead engaged ends: unrealistic, qualified or not."""
        if not lead.fit:
            return UNREALISTIC_FOUND
        qualified = lead.qualify_luck() < lead.intent * rep.skill * self._qualify.value(since)
        return QUALIFIED if qualified else REACHED

    def _end_attempt(self, task: Task, outcome: int, now: float) -> None:
        lead: Lead = task.subject  # type: ignore[assignment]
        if lead.outcome is not None:
            return
        if outcome == NOT_REACHED:  # the common case: the cadence's next step
            self._after_no_answer(lead, now)
        elif outcome == QUALIFIED:
            self._qualified(lead, now)
        else:
            self._close(lead, _LOST_AFTER_CONVERSATION[outcome])

    def _call_again(self, lead: Lead, now: float) -> None:
        """Follow up an unanswered lead after the cadence's gap, or close it when none is left."""
        attempts = lead.attempts
        gaps = self._followup_gaps
        gap = gaps[attempts] if attempts < len(gaps) else self._followup.gap_after(attempts)
        if gap is None:
            self._follow_ups_ended(lead, now)
            return
        lead.keep_luck()  # now, while the lead is in the cache, not at the follow-up days later
        self._due_task(FOLLOW_UP, lead, now + gap, self._on_time_window)
        if not lead.patience_watched:
            self._watch_patience(lead)

    # -- time accounting and shifts ---------------------------------------------------

    def _on_shift_start(self, shift: tuple[int, float]) -> None:
        group, ends = shift
        for rep in self._groups[group]:
            rep.on_shift = True
            rep.shift_ends = ends
            if not rep.busy:
                self._dispatch(rep)
        self._count_on_shift()

    def _on_shift_end(self, group: int) -> None:
        for rep in self._groups[group]:
            rep.on_shift = False
        self._idle = [[rep for rep in idle if rep.on_shift] for idle in self._idle]
        self._count_on_shift()

    @property
    def events(self) -> int:
        """Events (callbacks) scheduled so far."""
        return self.clock.scheduled
