"""The decision stage of :class:`~sim.engine.floor.SalesFloor`: from qualified to won or lost.

A qualified prospect meets a closer, then decides on its own clock
(``time_to_decide``). Nurture touches do three things, each with diminishing
returns, and cost rep time and a touch fee whether they reach the prospect or not:

- a touch that reaches the prospect renews its interest (interest that fades
  below the scenario's threshold means it bought elsewhere);
- it pulls the decision in by a share of the time still left, never earlier
  than the prospect's own clock allows (``max_pull_in``);
- it adds to the prospect's engagement, a remembered count of conversations
  that fades over ``engagement_memory``; each one closes a share of the gap
  to full engagement.

At the decision the prospect buys with chance ``win_rate x interest x
engagement x annoyance``, where annoyance shrinks the chance for every
remembered touch beyond the fatigue tolerance. Every touch also adds to the
fatigue that can make the prospect opt out (``SalesFloor._touch``). A won lead
becomes a customer (see :mod:`sim.engine._customers`).

This is a part of the floor, split out to keep each module one stage of the
sales rhythm; it uses the floor's scheduling (``clock.at``, ``_due_task``,
``_release``) and bookkeeping (``_close``, ``_touch``, ``meter``).
"""

from __future__ import annotations

import math

from sim.config.response_curves import minutes_until_below
from sim.config.scenario import DecisionStage as DecisionRules
from sim.engine._customers import CustomerCare
from sim.engine.people import (
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
    LeadWatch,
    Rep,
    Task,
    own_generator,
)


class DecisionStage(CustomerCare):
    """Qualified leads: the meeting, nurture touches, the decision and a win."""

    def _setup_decision_rules(self, rules: DecisionRules, fatigue_memory: float) -> None:
        """Read the scenario's decision stage into plain numbers for the hot path."""
        self._interest = rules.interest.compile()
        self._interest_lasts = minutes_until_below(rules.interest, rules.lost_below)
        self._win_rate = rules.win_rate
        self._pull_in_per_touch = rules.pull_in_per_touch
        self._own_clock_share = 1.0 - rules.max_pull_in
        self._engagement_memory = rules.engagement_memory
        self._engagement_gap_left = 1.0 - rules.engagement_per_touch
        self._annoyance_keep = 1.0 - rules.annoyance_per_extra_touch
        self._annoyance_memory = fatigue_memory
        # Bound once, as the floor's callbacks are.
        self._decision_due, self._interest_check_due = self._on_decision, self._on_interest_faded

    def _qualified(self, lead: Lead, now: float) -> None:
        lead.qualified = True
        lead.keep_luck()  # its decision stage reads it for days (Lead.keep_luck)
        lead.rng = own_generator(lead.stage_luck())
        time_to_decide = self._time_to_decide(lead.rng.random())
        lead.earliest_decision_at = now + self._own_clock_share * time_to_decide
        self._decide_at(lead, now + time_to_decide)
        self._engaged(lead, now)
        task = Task(MEETING, lead, now, now + CLOSER_ON_TIME_MINUTES)
        lead.task = task
        self._release(task)

    def _decide_at(self, lead: Lead, when: float) -> None:
        """(Re)schedule the prospect's decision; an earlier schedule is then ignored."""
        lead.decide_at = when
        self.clock.at(when - self.clock.now, self._decision_due, LeadWatch(lead, when))

    def _engaged(self, lead: Lead, now: float) -> None:
        """The prospect was reached: interest is renewed and engagement grows; watch for fading."""
        lead.engagement = self._engagement(lead, now) + 1.0
        lead.last_engaged_at = now
        if self._interest_lasts != math.inf:
            watched = lead.fades_at != math.inf
            lead.fades_at = self.clock.now + self._interest_lasts  # as the clock adds a delay
            if not watched:
                self.clock.at(self._interest_lasts, self._interest_check_due, lead)

    def _engagement(self, lead: Lead, now: float) -> float:
        """Conversations the prospect remembers at *now* (each fades over the engagement memory)."""
        return lead.engagement * math.exp((lead.last_engaged_at - now) / self._engagement_memory)

    def _on_interest_faded(self, lead: Lead) -> None:
        """The prospect's interest may have faded: it has, unless it was reached again since.

        Then the watch goes on until the new time. One event a prospect, rather than one a
        touch with all but the last finding themselves out of date: those held closed leads
        in memory and read them from it for nothing (docs/performance.md, "Session 10").
        ``now + (fades_at - now)`` is ``fades_at`` exactly (Sterbenz: the prospect was last
        reached at or before *now*, and *now* is at least the watch's length, so ``fades_at``
        is at most twice *now*): the watch acts at the very time an event scheduled when the
        prospect was last reached would.
        """
        if lead.outcome is not None:
            return
        now = self.clock.now
        if lead.fades_at > now:
            self.clock.at(lead.fades_at - now, self._interest_check_due, lead)
        else:
            self._close(lead, LOST_INTEREST_DECAYED)

    def _begin_nurture(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        lead: Lead = task.subject  # type: ignore[assignment]
        duration = self._meeting_time.next() if task.kind == MEETING else self._nurture_time.next()
        lead.stage_touches += 1
        if self._touch(lead, now):
            return duration, OPTED_OUT
        if task.kind == NURTURE and lead.rng.random() >= lead.reachability:  # type: ignore[union-attr]
            return duration, NOT_REACHED
        return duration, REACHED

    def _end_nurture(self, task: Task, outcome: int, now: float) -> None:
        lead: Lead = task.subject  # type: ignore[assignment]
        if lead.outcome is not None:
            return
        if outcome == OPTED_OUT:
            self._close(lead, LOST_OPTED_OUT)
            return
        if outcome == REACHED:
            self._engaged(lead, now)
            if task.kind == NURTURE:
                pulled_in = lead.decide_at - self._pull_in_per_touch * (lead.decide_at - now)
                pulled_in = max(pulled_in, lead.earliest_decision_at)
                if pulled_in < lead.decide_at:
                    self._decide_at(lead, pulled_in)
        gap = self._nurture_gap(lead.stage_touches)
        if gap is not None and now + gap < lead.decide_at:
            self._due_task(NURTURE, lead, now + gap, CLOSER_ON_TIME_MINUTES)

    def _on_decision(self, decision: LeadWatch) -> None:
        lead = decision.lead
        if lead.outcome is not None or lead.decide_at != decision.stamp:
            return
        if lead.win_luck() < self._win_chance(lead, self.clock.now):
            self._win(lead, self.clock.now)
        else:
            self._close(lead, LOST_NOT_WON)

    def _win_chance(self, lead: Lead, now: float) -> float:
        """``win_rate x interest x engagement x annoyance`` for the prospect deciding at *now*."""
        interest = self._interest.value(now - lead.last_engaged_at)
        engagement = 1.0 - self._engagement_gap_left ** self._engagement(lead, now)
        return self._win_rate * interest * engagement * self._annoyance(lead, now)

    def _annoyance(self, lead: Lead, now: float) -> float:
        """``(1 - annoyance_per_extra_touch) ** extra``: what the lead's fatigue leaves of a chance.

        *extra* is the lead's remembered touches at *now* beyond the fatigue tolerance
        (none: 1). It shrinks a prospect's win chance and an unreached lead's chance
        of coming back on its own (:mod:`sim.engine._comebacks`).
        """
        remembered = lead.fatigue * math.exp((lead.fatigue_at - now) / self._annoyance_memory)
        extra = remembered - self._fatigue_tolerance
        return self._annoyance_keep**extra if extra > 0 else 1.0

    def _win(self, lead: Lead, now: float) -> None:
        self._close(lead, WON)
        customer = Customer(next(self._ids), lead.cohort, lead.reachability, now)
        # Its own luck as a customer, independent of how its decision stage went.
        customer.rng = own_generator(lead.stage_luck(), offset=1)
        self._active[customer] = None
        if customer.cohort:
            self.meter.customers += 1
        self._next_retention_touch(customer, now)
        if self._repeat_rate:
            self._next_repeat_chance(customer)
        if self._churn_rate:
            self._next_churn_chance(customer)
