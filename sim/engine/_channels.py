"""Sequence cadences of :class:`~sim.engine.floor.SalesFloor`: other channels between the calls.

With a sequence follow-up policy (:class:`policies.sequence.SequenceCadence`) an
unanswered call is followed by the sequence's next step, which may be a touch on
another channel: a rep spends the channel's time on it (from the responders' queue,
as a follow-up call), it adds the channel's weight to the lead's touch fatigue
(it may opt out) and the lead replies with the channel's reply chance. A reply is an
engagement: it renews the lead's hot window and interest (``last_engaged_at``), so
the next call is likelier to get through and to qualify; with the exit rule
``replied`` the rep calls back at once and only the remaining call steps follow.
Calls stay the floor's attempts (:meth:`_begin_attempt`), counted and decayed as
in a calls-only cadence.

Each step falls due at its offset after the first call (or at once if the previous
step ended later), never sooner than the policy's ``min_gap`` after the previous
touch; steps that fall outside working hours wait for the next window, and a busy
team may put off or skip them like any cadence step. A rep who has sent a channel's
``daily_cap_per_rep`` today puts a further touch on it back to the next working day, and
so does a rep who has made ``channels.daily_touch_cap_per_rep`` sequence touches today on
all channels together (follow-up calls included; first calls to new leads are neither
counted nor held). Other cadences leave the floor as it was: an unanswered call is
followed up after the policy's gap.

This is a part of the floor, split out to keep each module one stage of the sales
rhythm; it uses the floor's scheduling (``_due_task``, ``_watch_patience``) and
bookkeeping (``_close``, ``_touch``).
"""

from __future__ import annotations

import numpy as np

from policies.sequence import SequenceCadence
from sim.config.channels import CALL
from sim.config.units import MINUTES_PER_DAY
from sim.engine._comebacks import LeadComebacks
from sim.engine.people import (
    DEFERRED,
    FIRST_ATTEMPT,
    FOLLOW_UP,
    LOST_OPTED_OUT,
    NOT_REACHED,
    OPTED_OUT,
    QUALIFIED,
    REACHED,
    RESPONDER_QUEUE,
    UNREALISTIC_FOUND,
    Lead,
    Rep,
    Task,
)
from sim.engine.streams import Draws, Streams

TOUCHES_TALLIED = 12
"""Touches before contact counted one by one; the last column of the tally holds this many or more."""

_CONTACTED, _QUALIFIED = 0, 1
"""Rows of :attr:`ChannelTouches.contacts_by_touches`."""
_ALL_CHANNELS = "all channels"
"""The key of the cap across channels among the per-channel caps."""


class ChannelTouches(LeadComebacks):
    """Follow-ups of a sequence cadence: the next step after an unanswered call or a touch."""

    def _setup_channels(self, streams: Streams) -> None:
        """Wire the sequence's channels into the floor (after the adherence rules are set)."""
        self.cohort_channel_touches = 0
        """Touches on other channels than the phone, on cohort leads."""
        self.cohort_channel_cost = 0.0
        """What those touches cost (each channel's cost per touch instead of the call's)."""
        self.contacts_by_touches = np.zeros((2, TOUCHES_TALLIED + 1), dtype=np.int64)
        """Cohort leads a call reached (row 0) and qualified (row 1), by the number of touches on
        other channels before that call (column; the last: that many or more)."""
        policy = self.cadence.followup
        if not isinstance(policy, SequenceCadence):
            self._after_no_answer = self._call_again
            return
        self._after_no_answer = self._next_sequence_step
        self._sequence = [(FOLLOW_UP if c == CALL else c, offset) for c, offset in policy.schedule]
        self._exits_on_reply = policy.exits_on_reply
        self._min_gap = policy.min_gap
        self._reply_uniform = streams.uniforms("channels:replies")
        self._channels = self.scenario.channels.by_name()
        self._channel_time = {
            name: Draws(channel.time.sample, streams.rng(f"durations:{name}"))
            for name, channel in self._channels.items()
        }
        self._caps = {name: channel.daily_cap_per_rep for name, channel in self._channels.items()}
        self._caps[_ALL_CHANNELS] = self.scenario.channels.daily_touch_cap_per_rep
        self._sent_today: dict[tuple[str, int], list[int]] = {}
        """``(channel or all channels, rep id) -> [day, touches sent that day]`` under caps."""
        self._next_gap[FOLLOW_UP] = self._skip_to_next_step
        self._end[FIRST_ATTEMPT] = self._end[FOLLOW_UP] = self._end_sequence_call
        if self._caps[_ALL_CHANNELS] is not None:
            self._begin_follow_up_uncapped = self._begin[FOLLOW_UP]
            self._begin[FOLLOW_UP] = self._begin_capped_follow_up
        for name in self._channels:
            self._queue_and_rank[name] = (RESPONDER_QUEUE, 1)
            self._begin[name] = self._begin_channel_touch
            self._end[name] = self._end_channel_touch
            self._next_gap[name] = self._skip_to_next_step

    def _begin_capped_follow_up(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        """A follow-up call counts toward the rep's cap across channels (put off if over it)."""
        if self._over_cap(FOLLOW_UP, rep, now):
            return 0.0, DEFERRED
        return self._begin_follow_up_uncapped(rep, task, now)  # type: ignore[no-any-return]

    def _end_sequence_call(self, task: Task, outcome: int, now: float) -> None:
        """A call of the sequence ended: tally a contact by the touches before it, then go on."""
        lead: Lead = task.subject  # type: ignore[assignment]
        if outcome == DEFERRED:
            if lead.outcome is None:
                self._put_off_to_tomorrow(task, lead, now)
            return
        if (
            lead.cohort
            and lead.outcome is None
            and outcome in (REACHED, QUALIFIED, UNREALISTIC_FOUND)
        ):
            column = min(lead.channel_touches, TOUCHES_TALLIED)
            self.contacts_by_touches[_CONTACTED, column] += 1
            self.contacts_by_touches[_QUALIFIED, column] += outcome == QUALIFIED
        self._end_attempt(task, outcome, now)

    def _next_sequence_step(self, lead: Lead, now: float) -> None:
        """Schedule the step after the lead's last one, or close the lead if none is left."""
        sequence = self._sequence
        step = lead.sequence_step + 1
        if lead.replied:  # the automated touches ended with the reply: calls only
            step = self._next_call_step(step)
        if step >= len(sequence):
            self._follow_ups_ended(lead, now)
            return
        kind, offset = sequence[step]
        lead.sequence_step = step
        earliest = max(now + self._min_gap, lead.first_attempt_at + offset)
        self._due_task(kind, lead, earliest, self._on_time_window)
        if not lead.patience_watched:
            self._watch_patience(lead)

    def _skip_to_next_step(self, lead: Lead, now: float) -> None:
        """A busy team skipped the lead's step: the next one is scheduled in its place.

        Returns None, so the skipped task ends (see ``CadenceKeeping._skip``).
        """
        self._next_sequence_step(lead, now)

    def _over_cap(self, kind: str, rep: Rep, now: float) -> bool:
        """Whether *rep* already made today's cap of touches of *kind* or of all channels
        together; counts this touch under both if not."""
        day = int(now // MINUTES_PER_DAY)
        counted: list[list[int]] = []
        for key in (kind, _ALL_CHANNELS):
            cap = self._caps.get(key)
            if cap is None:
                continue
            sent = self._sent_today.setdefault((key, rep.id), [day, 0])
            if sent[0] != day:
                sent[0], sent[1] = day, 0
            if sent[1] >= cap:
                return True
            counted.append(sent)
        for sent in counted:
            sent[1] += 1
        return False

    def _begin_channel_touch(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        lead: Lead = task.subject  # type: ignore[assignment]
        if self._over_cap(task.kind, rep, now):
            return 0.0, DEFERRED
        channel = self._channels[task.kind]
        lead.channel_touches += 1
        if lead.cohort:
            self.cohort_channel_touches += 1
            self.cohort_channel_cost += channel.cost_per_touch
        if self._touch(lead, now, channel.fatigue_weight):
            return self._channel_time[task.kind].next(), OPTED_OUT
        replied = self._reply_uniform.next() < channel.reply_chance
        return self._channel_time[task.kind].next(), REACHED if replied else NOT_REACHED

    def _end_channel_touch(self, task: Task, outcome: int, now: float) -> None:
        lead: Lead = task.subject  # type: ignore[assignment]
        if lead.outcome is not None:
            return
        if outcome == DEFERRED:
            self._put_off_to_tomorrow(task, lead, now)
            return
        if outcome == OPTED_OUT:
            self._close(lead, LOST_OPTED_OUT)
            return
        if outcome == REACHED:  # a reply: the lead engaged, its hot window starts again
            lead.last_engaged_at = now
            if self._exits_on_reply:
                lead.replied = True
                self._call_back(lead, now)
                return
        self._next_sequence_step(lead, now)

    def _put_off_to_tomorrow(self, task: Task, lead: Lead, now: float) -> None:
        """The rep's cap is reached: the touch waits for the next working day."""
        tomorrow = (now // MINUTES_PER_DAY + 1) * MINUTES_PER_DAY
        self._due_task(task.kind, lead, tomorrow, self._on_time_window)

    def _call_back(self, lead: Lead, now: float) -> None:
        """The rep calls a lead who replied at once, in place of its next call step (if any)."""
        lead.sequence_step = min(
            self._next_call_step(lead.sequence_step + 1), len(self._sequence) - 1
        )
        self._due_task(FOLLOW_UP, lead, now, self._on_time_window)

    def _next_call_step(self, step: int) -> int:
        """The first call step at or after *step* (the sequence's length if none is left)."""
        sequence = self._sequence
        while step < len(sequence) and sequence[step][0] != FOLLOW_UP:
            step += 1
        return step
