"""Comebacks of :class:`~sim.engine.floor.SalesFloor`: unanswered leads who call back on their own.

An unreached lead is not lost for good: some return a voicemail, and some whose
follow-ups ended inquire again weeks later (a new form, an inbound call). This is
what makes hammering a lead costly beyond the rep's time: every touch adds to its
fatigue, and the chance of coming back shrinks with fatigue as a prospect's win
chance does (``decision.annoyance_per_extra_touch`` per remembered touch beyond
``fatigue.tolerance``); a lead who opted out never comes back.

- A voicemail (``actions.voicemail_share`` of unanswered dials) on attempt *k* brings
  a call-back with ``voicemail_callback_chance x attempt_decay ** (k - 1) x annoyance``
  after an exponential delay (the contact model's decay: people learn to ignore a
  number that keeps calling).
- When the follow-ups end unreached, a lead with no call-back pending returns with
  ``return_chance x annoyance`` after an exponential delay; otherwise (or if it
  does not come back) it is lost as never reached, as before.

A lead who comes back has just engaged: its hot window and interest start again
(``last_engaged_at``, as a reply to an email does), its pending follow-up is
dropped, and a rep takes its call as soon as one is free (an inbound call ranks
with new leads). The call always reaches it, and the conversation goes as any
other. In the attempt tallies that ``validate`` compares with the published
figures, a voicemail call-back counts as reached on the attempt the team had made
by then (a CRM logs it as the contact after that many dials); a return counts as
reached on the 1st attempt (a new web form or call is a new inquiry, and lead
systems such as Velocify's file it as a new lead, reached by its first call). A
comeback that arrives while the lead is reached, closed, or being dialled is ignored.

Whether a dial leaves a voicemail is drawn as before; the comebacks' own draws come
from the lead's own generators (seeded from its luck), so the same lead
calls back at the same time under every cadence that left it the same voicemails, and
draws the same return luck however many attempts its cadence made: paired comparisons
of cadences stay paired. With both chances at 0 (the default) nothing is drawn and
the floor runs exactly as without comebacks.

This is a part of the floor, split out to keep each module one stage of the sales
rhythm; it uses the floor's scheduling (``clock.at``, ``_release``) and bookkeeping
(``_close``, ``_drop_pending``, ``_conversation``, ``_annoyance``).
"""

from __future__ import annotations

import math

from sim.config.comebacks import Comebacks
from sim.engine._local_time import LocalCallingHours
from sim.engine.people import (
    INBOUND_CALL,
    LOST_NEVER_REACHED,
    RESPONDER_QUEUE,
    Lead,
    LeadWatch,
    Rep,
    Task,
    own_generator,
)
from sim.engine.streams import OwnStream

_CALLBACK_LUCK, _RETURN_LUCK = 2, 3
"""Offsets of the lead's call-back and return generators from its decision-stage one (0) and
customer one (1). The return has its own, so a lead draws the same return luck however many
touches its cadence made."""


class LeadComebacks(LocalCallingHours):
    """Voicemail call-backs and later returns of unreached leads, both put off by fatigue."""

    def _setup_comebacks(self, rules: Comebacks) -> None:
        """Read the scenario's comeback rules; an inbound call is answered like a new lead."""
        self._callback_chance = rules.voicemail_callback_chance
        self._callback_delay = rules.callback_delay
        self._return_chance = rules.return_chance
        self._return_delay = rules.return_delay
        self._queue_and_rank[INBOUND_CALL] = (RESPONDER_QUEUE, self._first_rank)
        self._begin[INBOUND_CALL] = self._begin_inbound_call
        self._end[INBOUND_CALL] = self._end_attempt
        self._comeback_due = self._on_comeback  # bound once, as the floor's callbacks are

    @staticmethod
    def _callback_rng(lead: Lead) -> OwnStream:
        """The lead's own generator for call-backs (see ``Lead.callback_rng``)."""
        rng = lead.callback_rng
        if rng is None:
            rng = lead.callback_rng = own_generator(lead.stage_luck(), _CALLBACK_LUCK)
        return rng

    def _unanswered_dial(self, lead: Lead, now: float) -> float:
        """A dial *lead* (just touched) did not answer: the minutes it took.

        A share of such dials leave a voicemail, and a voicemail may bring a call-back.
        """
        if self._uniform.next() >= self._voicemail_share:
            return self._no_answer.next()
        if self._callback_chance:
            rng = self._callback_rng(lead)
            ignored = self._attempt_decay ** (lead.attempts - 1)  # as answering the k-th call
            if rng.random() < self._callback_chance * ignored * self._annoyance(lead, now):
                self._comes_back(lead, now + rng.expovariate(1.0 / self._callback_delay))
        return self._voicemail.next()

    def _follow_ups_ended(self, lead: Lead, now: float) -> None:
        """No follow-up is left: the lead waits for its call-back, may return later, or is lost."""
        if lead.comes_back_at == math.inf and self._return_chance:
            rng = own_generator(lead.stage_luck(), _RETURN_LUCK)
            if rng.random() < self._return_chance * self._annoyance(lead, now):
                self._comes_back(lead, now + rng.expovariate(1.0 / self._return_delay))
        if lead.comes_back_at == math.inf:
            self._close(lead, LOST_NEVER_REACHED)
        else:
            lead.follow_ups_over = True

    def _comes_back(self, lead: Lead, when: float) -> None:
        """Schedule *lead*'s comeback at *when*, unless it already comes back sooner."""
        if when < lead.comes_back_at:
            lead.comes_back_at = when
            self.clock.at(when - self.clock.now, self._comeback_due, LeadWatch(lead, when))

    def _on_comeback(self, comeback: LeadWatch) -> None:
        lead = comeback.lead
        if lead.comes_back_at != comeback.stamp:  # superseded by an earlier comeback
            return
        lead.comes_back_at = math.inf
        if lead.outcome is not None or lead.reached_at != math.inf:
            return  # lost, or reached meanwhile
        if lead.task is None and not lead.follow_ups_over:
            return  # a rep is dialling it right now
        self._drop_pending(lead)
        now = self.clock.now
        lead.last_engaged_at = now  # it engaged: hot window and interest start again
        task = Task(INBOUND_CALL, lead, now, now + self._response_target)
        lead.task = task
        self._release(task)

    def _begin_inbound_call(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        """The lead is on the line: a conversation (on which attempt it counts: see above)."""
        lead: Lead = task.subject  # type: ignore[assignment]
        if lead.reached_attempt == 0:
            lead.reached_attempt = 1 if lead.follow_ups_over else lead.attempts
        lead.follow_ups_over = False
        lead.reached_at = min(lead.reached_at, now)
        return self._talk.next(), self._conversation(lead, rep, now - lead.last_engaged_at)
