"""Keeping the rhythm in :class:`~sim.engine.floor.SalesFloor`: a cadence on paper is not a cadence done.

Every cadence step (a follow-up call, a nurture or retention touch, a request
to other departments; never a first call or a first meeting) is judged when
it falls due. If the queue of its role holds more than the scenario's
``adherence.busy_backlog_per_rep`` tasks per rep of that role on shift, the
step may slip (:meth:`~sim.config.scenario.Adherence.slip_chance`):

- *put off*: it waits ``adherence.delay`` (then the next working minute) and
  is done then, without being judged again;
- *skipped*: it is not done, and the next step of the cadence falls due one
  cadence gap later (judged in its turn). A skipped follow-up does not use up
  one of the lead's attempts (the limit counts calls made), but the lead
  cools meanwhile; a skipped request to other departments is simply not made.

The manager policy's daily planning time makes slipping rarer. It is a real
task: at the first working minute of each day a closer (the lead rep) spends it
before any other work, so it costs selling time.

A part of the floor, split out to keep each module one stage of the sales rhythm;
it owns how cadence steps fall due (:meth:`_due_task`) and the live count of
waiting work per queue that measures load.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.config.units import MINUTES_PER_DAY
from sim.engine._channels import ChannelTouches
from sim.engine.people import (
    CLOSER_QUEUE,
    DEPARTMENT_REFERRAL,
    FOLLOW_UP,
    NURTURE,
    PLANNING,
    REACHED,
    RESPONDER_QUEUE,
    RETENTION,
    Customer,
    Lead,
    Person,
    Rep,
    Task,
)
from sim.engine.streams import Streams


class CadenceKeeping(ChannelTouches):
    """When cadence steps fall due, and whether a busy team does them, puts them off or skips them."""

    def _setup_adherence(self, streams: Streams) -> None:
        self._adherence = self.scenario.adherence
        self._slipping = self._adherence.compile()
        # Above this load a due step may slip (never, for a team that does not slip).
        self._busy_level = (
            self._adherence.busy_backlog_per_rep
            if self._adherence.slip_share_when_swamped
            else math.inf
        )
        self._delayed_share = self._adherence.delayed_share
        self._manager = self.cadence.manager
        self._planning_today = self._manager.planning_minutes_on(0)
        self._adherence_uniform = streams.uniforms("adherence")
        self._waiting = [0, 0]
        """Live tasks waiting in each queue (responder, closer)."""
        self._on_shift = [0, 0]
        """Reps on shift who work each queue."""
        self._queue_and_rank[PLANNING] = (CLOSER_QUEUE, -1)  # before any other work
        self._begin[PLANNING] = self._begin_planning
        self._end[PLANNING] = self._end_planning
        self._next_gap = {
            FOLLOW_UP: self._next_follow_up_gap,
            NURTURE: self._next_nurture_gap,
            RETENTION: self._next_retention_gap,
            DEPARTMENT_REFERRAL: lambda _, now: None,  # the next request comes on its own rhythm
        }

    def _count_on_shift(self) -> None:
        """Recount the reps on shift for each queue (at every shift start and end)."""
        self._on_shift = [
            sum(1 for rep in self.reps if rep.on_shift and queue in rep.queues)
            for queue in (RESPONDER_QUEUE, CLOSER_QUEUE)
        ]

    def _due_task(self, kind: str, subject: Person | None, earliest: float, window: float) -> Task:
        """A cadence step that falls due at the first working minute (for its role) from *earliest*."""
        calendar = self._calendars[self._queue_and_rank[kind][0]]
        due = calendar.next_open(earliest) if calendar is not None else earliest
        if kind == FOLLOW_UP and self._calling_window is not None:
            due = self._next_call_time(subject, due)  # type: ignore[arg-type] # the lead's local calling window
        task = Task(kind, subject, due, due + window)
        if subject is not None:
            subject.task = task
        # As _fall_due does, one call less; the step's callback is bound once per run.
        self.clock.at(due - self.clock.now, self._step_falls_due, task)
        return task

    def _fall_due(
        self, task: Task, earliest: float, window: float, then: Callable[[Task], None]
    ) -> None:
        """*task* falls due at the first working minute of its role from *earliest*, late *window*
        later; *then* is called with it at that minute."""
        calendar = self._calendars[self._queue_and_rank[task.kind][0]]
        due = calendar.next_open(earliest) if calendar is not None else earliest
        task.due, task.deadline = due, due + window
        self.clock.at(due - self.clock.now, then, task)

    def _step_due(self, task: Task) -> None:
        """A cadence step fell due: the team does it, puts it off or skips it, as busy as it is."""
        if not task.live:
            return
        now = self.clock.now
        meter = self.meter
        counted = meter.window_start <= now < meter.window_end
        meter.steps_due += counted
        queue = self._queue_and_rank[task.kind][0]
        load = self._waiting[queue] / (self._on_shift[queue] or 1)
        if load > self._busy_level:  # the common calm case skips the rule and the draw
            chance = self._slipping.chance(load, self._planning_today)
            u = self._adherence_uniform.next()
            if u < chance * self._delayed_share:
                meter.steps_delayed += counted
                window = task.deadline - task.due
                self._fall_due(task, now + self._adherence.delay, window, self._falls_due)
                return
            if u < chance:
                meter.steps_skipped += counted
                self._skip(task, now)
                return
        self._release(task)

    def _skip(self, task: Task, now: float) -> None:
        """The step is not done; its successor falls due one cadence gap later (if there is one)."""
        gap = self._next_gap[task.kind](task.subject, now)
        if gap is None:
            task.live = False
            if task.subject is not None and task.subject.task is task:  # not a successor's
                task.subject.task = None
            return
        self._fall_due(task, now + gap, task.deadline - task.due, self._step_falls_due)

    def _next_follow_up_gap(self, lead: Lead, now: float) -> float | None:
        return self.cadence.followup.gap_after(lead.attempts)

    def _next_nurture_gap(self, lead: Lead, now: float) -> float | None:
        gap = self.cadence.nurture.gap_after(lead.stage_touches)
        return gap if gap is not None and now + gap < lead.decide_at else None

    def _next_retention_gap(self, customer: Customer, now: float) -> float | None:
        return self.cadence.retention.gap_at(now - customer.won_at)

    # -- the manager's daily planning ----------------------------------------------

    def _schedule_planning(self, day_starts: float) -> None:
        """Plan at the first working minute (for closers) from *day_starts*, if the policy plans."""
        calendar = self._calendars[CLOSER_QUEUE]
        if calendar is None or not self._manager.planning:
            return
        due = calendar.next_open(day_starts)
        if due < self.scenario.end:
            self.clock.at(due - self.clock.now, self._on_planning_due, None)

    def _on_planning_due(self, _: None) -> None:
        now = self.clock.now
        day = int(now // MINUTES_PER_DAY)
        self._planning_today = self._manager.planning_minutes_on(day)
        if self._planning_today > 0:
            self._release(Task(PLANNING, None, now, now + MINUTES_PER_DAY))
        self._schedule_planning((day + 1) * MINUTES_PER_DAY)

    def _begin_planning(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        if self.meter.in_window(now):
            self.meter.planning_minutes += self._planning_today
        return self._planning_today, REACHED

    def _end_planning(self, task: Task, outcome: int, now: float) -> None:
        """Planning produces nothing to follow up: its effect is the day's lower slip chance."""
