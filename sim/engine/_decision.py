"""The decision stage of :class:`~sim.engine.floor.SalesFloor`: from qualified to won or lost.

A qualified prospect meets a closer, then decides on its own clock. Until then
the nurture policy's touches renew its interest (and may close the deal early);
interest that fades below the scenario's threshold means it bought elsewhere.
A won lead becomes a customer (see :mod:`sim.engine._customers`).

This is a part of the floor, split out to keep each module one stage of the
sales rhythm; it uses the floor's scheduling (``_at``, ``_due_task``,
``_release``) and bookkeeping (``_close``, ``_touch``, ``meter``).
"""

from __future__ import annotations

import math
from typing import Any

from sim.engine.arrivals import LUCK_STAGE, LUCK_WIN
from sim.engine.people import (
    CLOSED_EARLY,
    CLOSER_ON_TIME_MINUTES,
    LOST_INTEREST_DECAYED,
    LOST_NOT_WON,
    LOST_OPTED_OUT,
    MEETING,
    NOT_REACHED,
    NURTURE,
    OPTED_OUT,
    REACHED,
    WON,
    Customer,
    Lead,
    Rep,
    Task,
    own_generator,
)


class DecisionStage:
    """Qualified leads: the meeting, nurture touches, the decision and a win."""

    _at: Any
    _close: Any
    _due_task: Any
    _release: Any
    _touch: Any
    clock: Any

    def _qualified(self, lead: Lead, now: float) -> None:
        lead.qualified = True
        lead.rng = own_generator(lead.luck[LUCK_STAGE])
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

    def _on_interest_faded(self, watch: tuple[Lead, int]) -> None:
        lead, engagements = watch
        if lead.outcome is None and lead.engagements == engagements:
            self._close(lead, LOST_INTEREST_DECAYED)

    def _begin_nurture(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        lead: Lead = task.subject  # type: ignore[assignment]
        duration = self._meeting_time() if task.kind == MEETING else self._nurture_time()
        lead.stage_touches += 1
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
        gap = self._nurture_gap(lead.stage_touches)
        if gap is not None and now + gap < lead.decide_at:
            self._due_task(NURTURE, lead, now + gap, CLOSER_ON_TIME_MINUTES)

    def _on_decision(self, lead: Lead) -> None:
        if lead.outcome is not None:
            return
        interest = self._interest(self.clock.now - lead.last_engaged_at)
        if lead.luck[LUCK_WIN] < self._win_rate * interest:
            self._win(lead, self.clock.now)
        else:
            self._close(lead, LOST_NOT_WON)

    def _win(self, lead: Lead, now: float) -> None:
        self._close(lead, WON)
        customer = Customer(next(self._ids), lead.cohort, lead.reachability, now)
        # Its own luck as a customer, independent of how its decision stage went.
        customer.rng = own_generator(lead.luck[LUCK_STAGE], offset=1)
        self._active[customer.id] = customer
        if customer.cohort:
            self.meter.customers += 1
        self._next_retention_touch(customer, now)
        if self._repeat_rate:
            self._at(customer.rng.expovariate(self._repeat_rate), self._on_repeat_chance, customer)
        if self._churn_rate:
            self._at(customer.rng.expovariate(self._churn_rate), self._on_churn_chance, customer)
