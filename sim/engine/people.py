"""The things the engine moves around: leads, customers, reps (and their shifts) and the tasks reps work on.

Compiled, people and tasks are ``acyclic``: CPython's cycle collector does not track them,
so making and freeing one does not link it into, and unlink it from, the collector's list
(whose neighbours are other objects made long ago, and out of the cache when the team is
large; docs/performance.md, "Session 9"). Reference counting alone frees them, so the floor
breaks the one cycle they form, a person and their pending task: a closed lead's task is
dropped, and :meth:`~sim.engine._state.FloorState._let_go` drops the rest when a run ends.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from mypy_extensions import mypyc_attr

from sim.config.calendar import WeeklyCalendar
from sim.config.scenario import Actions, LeadTraits, RepGroup
from sim.config.units import MINUTES_PER_DAY, MINUTES_PER_WEEK
from sim.engine.arrivals import LUCK_QUALIFY, LUCK_STAGE, LUCK_WIN
from sim.engine.streams import OwnStream

if TYPE_CHECKING:
    from sim.engine._referrals import ReferralPool

# Kinds of task. Responders do the new-lead work, closers the rest; generalists both.
SCREEN: Final = "screen"
FIRST_ATTEMPT: Final = "first_attempt"
FOLLOW_UP: Final = "follow_up"
MEETING: Final = "meeting"
NURTURE: Final = "nurture"
RETENTION: Final = "retention"
DEPARTMENT_REFERRAL: Final = "department_referral"
PLANNING: Final = "planning"
"""The manager's daily planning and review, done by a closer before other work."""
INBOUND_CALL: Final = "inbound_call"
"""A lead who called back or inquired again on its own: a rep takes its call."""
RESPONDER_WORK = (SCREEN, FIRST_ATTEMPT, FOLLOW_UP, INBOUND_CALL)
CLOSER_WORK = (MEETING, NURTURE, RETENTION, DEPARTMENT_REFERRAL, PLANNING)
RESPONDER_QUEUE: Final = 0
CLOSER_QUEUE: Final = 1
QUEUE_OF = {
    **dict.fromkeys(RESPONDER_WORK, RESPONDER_QUEUE),
    **dict.fromkeys(CLOSER_WORK, CLOSER_QUEUE),
}
QUEUES_OF_ROLE = {"responder": (RESPONDER_QUEUE,), "closer": (CLOSER_QUEUE,), "generalist": (0, 1)}

# How a lead ends.
WON: Final = "won"
LOST_SCREENED_OUT: Final = "screened_out"
LOST_UNREALISTIC: Final = "unrealistic"
LOST_NEVER_REACHED: Final = "never_reached"
LOST_DISQUALIFIED: Final = "disqualified"
LOST_INTEREST_DECAYED: Final = "interest_decayed"
LOST_OPTED_OUT: Final = "opted_out"
LOST_NOT_WON: Final = "not_won"
LOST_REASONS: Final = (
    LOST_SCREENED_OUT,
    LOST_UNREALISTIC,
    LOST_NEVER_REACHED,
    LOST_DISQUALIFIED,
    LOST_INTEREST_DECAYED,
    LOST_OPTED_OUT,
    LOST_NOT_WON,
)
"""Why a lead was lost: dropped by screening; found unrealistic in a conversation;
attempts used up without reaching it; the conversation did not qualify it; it
bought elsewhere (interest faded before it was reached, or during the decision
stage); it opted out (touch fatigue); it decided against the deal."""
OPEN: Final = "open"
"""Still undecided when the simulation ends."""

CLOSER_ON_TIME_MINUTES: Final = MINUTES_PER_DAY
"""A closer's task (meeting, touch, request) counts as on time within a day of falling due."""

# Outcomes of an action, passed from its start to its end.
NOT_REACHED: Final = 0
REACHED: Final = 1
QUALIFIED: Final = 2
UNREALISTIC_FOUND: Final = 3
OPTED_OUT: Final = 4
DROPPED: Final = 5
ASKED: Final = 6
DEFERRED: Final = 7
OUTCOME_NAMES: Final = (
    "not_reached",
    "reached",
    "qualified",
    "unrealistic",
    "opted_out",
    "screened_out",
    "reached",
    "deferred",
)
"""Readable name of each action outcome, for recorders."""


@mypyc_attr(acyclic=True)
class Person:
    """Someone reps touch: remembers recent touches (fatigue) and has a task pending or not."""

    __slots__ = (
        "cohort",
        "fatigue",
        "fatigue_at",
        "id",
        "last_engaged_at",
        "reachability",
        "rng",
        "task",
    )

    def __init__(self, person_id: int, cohort: bool, reachability: float, now: float) -> None:
        self.id = person_id
        self.reachability = reachability
        self.last_engaged_at = now
        self.fatigue = 0.0
        self.fatigue_at = now
        self.task: Task | None = None
        self.rng: OwnStream | None = None
        """The person's own generator, once they qualify: their luck whatever the cadence."""
        # Flags last here and first in a lead: compiled, they then share one 8-byte word.
        self.cohort = cohort


@mypyc_attr(acyclic=True)
class Lead(Person):
    """A prospective customer, from arrival to its outcome."""

    __slots__ = (
        "arrived_at",
        "attempts",
        "callback_rng",
        "channel_touches",
        "comes_back_at",
        "decide_at",
        "earliest_decision_at",
        "engagement",
        "expected_value",
        "fades_at",
        "first_attempt_at",
        "fit",
        "follow_ups_over",
        "intent",
        "kept_qualify",
        "kept_reach_2",
        "kept_reach_3",
        "kept_reach_4",
        "kept_reach_5",
        "kept_reach_6",
        "kept_reach_7",
        "kept_reach_8",
        "kept_stage",
        "kept_win",
        "local_offset",
        "luck",
        "luck_kept",
        "outcome",
        "owner",
        "patience_ends",
        "patience_watched",
        "qualified",
        "reached_at",
        "reached_attempt",
        "replied",
        "sequence_step",
        "source",
        "stage_touches",
        "time_zone",
        "value",
    )

    def __init__(
        self,
        lead_id: int,
        source: int,
        arrived_at: float,
        intent: float,
        reachability: float,
        value: float,
        fit: bool,
        luck: Sequence[float],
        cohort: bool,
    ) -> None:
        super().__init__(lead_id, cohort, reachability, arrived_at)
        # The fields a follow-up attempt reads come first, so that touching a lead again days
        # later reads few of its cache lines (docs/performance.md, "Session 11"); the flags
        # first of all (see Person).
        self.fit = fit
        self.qualified = False
        self.patience_watched = False
        self.replied = False
        """Whether the lead replied to a touch that ends a sequence's automated touches."""
        self.follow_ups_over = False
        """Whether the follow-ups ended unreached and the lead is left to come back on its own."""
        self.luck_kept = False
        """Whether :meth:`keep_luck` copied its luck into its own fields."""
        self.attempts = 0
        self.outcome: str | None = None
        self.reached_at = math.inf
        self.reached_attempt = 0
        """The attempt that first reached the lead (0: not reached)."""
        # Once a lead has a follow-up or a decision stage ahead, days away, the numbers it may
        # still read live in fields of their own (:meth:`keep_luck`, called as a follow-up call
        # is scheduled or the lead qualifies, while the array is still in the processor's cache;
        # at the latest at its second attempt, whatever brought it): days later each read of
        # the array would be two more reads from memory
        # (docs/performance.md, "Session 10" and "Session 11"). A lead closed at its first
        # attempt never copies: 40% of the default run's leads, every M/M/c+M customer.
        self.kept_reach_2 = self.kept_reach_3 = self.kept_reach_4 = self.kept_reach_5 = 0.0
        self.kept_reach_6 = self.kept_reach_7 = self.kept_reach_8 = 0.0
        self.local_offset = 0.0
        """Minutes the lead's local clock is ahead of the reps' (its time zone); for a lead in
        a named zone, the offset on its arrival or at its latest call (clocks change, see
        sim.config.time_zones)."""
        self.time_zone: str | None = None
        """The lead's IANA zone if its source names one (None: a fixed offset)."""
        self.arrived_at = arrived_at
        self.source = source
        self.first_attempt_at = math.inf
        self.owner = -1
        """The rep who made the first attempt (-1: none yet)."""
        self.intent = intent
        self.value = value
        self.sequence_step = 0
        """The step of a sequence cadence scheduled last (0: the first call)."""
        self.channel_touches = 0
        """Touches on other channels than the phone so far (emails, texts)."""
        self.comes_back_at = math.inf
        """When the lead will call back or inquire again on its own (inf: not expected)."""
        self.callback_rng: OwnStream | None = None
        """The lead's own generator for voicemail call-backs, made at its first voicemail: the
        same lead has the same call-back luck under every cadence."""
        self.patience_ends = math.inf
        self.decide_at = math.inf
        self.earliest_decision_at = math.inf
        """Touches cannot pull the decision in before this (inf: not qualified)."""
        self.engagement = 0.0
        """Conversations the prospect remembers (from qualification on), as of ``last_engaged_at``."""
        self.fades_at = math.inf
        """When its interest falls below the decision stage's threshold unless it is reached
        again before (inf: not watched). One event watches it, whatever the touches: it
        finds this moved later and waits on until then."""
        self.stage_touches = 0
        """Decision-stage touches so far (the first meeting included)."""
        self.expected_value = 0.0
        """What reps can estimate the lead is worth per rep minute (value-ordered queues only)."""
        self.luck = luck
        """Its own uniform numbers as drawn (:attr:`sim.engine.arrivals.LeadDraw.luck`); empty
        once :meth:`keep_luck` has copied what it may still read."""
        self.kept_qualify = self.kept_win = self.kept_stage = 0.0

    def keep_luck(self) -> None:
        """Copy the numbers of its luck it may still read into its own fields (once)."""
        if self.luck_kept:
            return
        self.luck_kept = True
        luck = self.luck
        self.kept_reach_2, self.kept_reach_3 = luck[1], luck[2]
        self.kept_reach_4, self.kept_reach_5 = luck[3], luck[4]
        self.kept_reach_6, self.kept_reach_7 = luck[5], luck[6]
        self.kept_reach_8 = luck[7]
        self.kept_qualify = luck[LUCK_QUALIFY]
        self.kept_win = luck[LUCK_WIN]
        self.kept_stage = luck[LUCK_STAGE]
        self.luck = ()  # read no more (screening and the first attempt come before): freed

    def reach_luck(self, attempt: int) -> float:
        """Its number for whether attempt *attempt* (1 to ``LUCK_ATTEMPTS``) reaches it."""
        if attempt == 1:
            return self.luck[0]
        self.keep_luck()
        if attempt == 2:
            return self.kept_reach_2
        if attempt == 3:
            return self.kept_reach_3
        if attempt == 4:
            return self.kept_reach_4
        if attempt == 5:
            return self.kept_reach_5
        if attempt == 6:
            return self.kept_reach_6
        if attempt == 7:
            return self.kept_reach_7
        return self.kept_reach_8

    def qualify_luck(self) -> float:
        """Its number for whether a conversation qualifies it."""
        return self.kept_qualify if self.luck_kept else self.luck[LUCK_QUALIFY]

    def win_luck(self) -> float:
        """Its number for whether it buys at its decision."""
        return self.kept_win if self.luck_kept else self.luck[LUCK_WIN]

    def stage_luck(self) -> float:
        """The seed of its own generators: its decision stage, its life as a customer, its returns."""
        return self.kept_stage if self.luck_kept else self.luck[LUCK_STAGE]


@mypyc_attr(acyclic=True)
class Customer(Person):
    """A won lead: buys again while the relationship holds, churns when it fades."""

    __slots__ = ("active", "asked_at", "contacts", "won_at")

    def __init__(self, customer_id: int, cohort: bool, reachability: float, now: float) -> None:
        super().__init__(customer_id, cohort, reachability, now)
        self.active = True  # the flag first (see Person)
        self.won_at = now
        self.asked_at = now
        self.contacts: ReferralPool | None = None
        """The contacts they could refer (set when first asked)."""


@mypyc_attr(acyclic=True)
class LeadWatch:
    """A lead and the stamp its scheduled event checks: the event acts only if it still holds.

    A decision or a comeback (stamped with the time it was set for) is moved by scheduling
    it again; the earlier event then finds its stamp out of date and does nothing. A tuple
    would do, but a tuple is tracked by the cycle collector (module docstring).
    """

    __slots__ = ("lead", "stamp")

    def __init__(self, lead: Lead, stamp: float) -> None:
        self.lead = lead
        self.stamp = stamp


@mypyc_attr(acyclic=True)
class Task:
    """A piece of rep work: *kind* on *subject* (a lead, a customer, or none).

    *due* is when it becomes workable, *deadline* when it is late, *value* the
    expected value of working it now (only estimated for value-ordered queues).
    A task whose subject closes while it waits is marked not *live* and skipped.

    A task waiting in a work queue is the queue's heap entry itself, ordered as the tuple
    ``(rank, priority, seq)`` would be (set as it joins the queue): *rank* 0 goes before 1,
    then the cadence's priority (smaller first), then *seq*, the order of arrival in the
    queue. Its own ``__lt__`` compares numbers where a tuple compares objects through the
    generic protocol (as :class:`~sim.engine.clock.Clock`'s events do; docs/performance.md,
    "Session 6: flat"), and no wrapper object stands between a queue and its tasks
    ("Session 10").
    """

    __slots__ = (
        "deadline",
        "due",
        "kind",
        "live",
        "priority",
        "queued",
        "rank",
        "seq",
        "subject",
        "value",
    )

    def __init__(self, kind: str, subject: Person | None, due: float, deadline: float) -> None:
        self.live = True  # the flags first (see Person)
        self.queued = False
        self.kind = kind
        self.subject = subject
        self.due = due
        self.deadline = deadline
        self.value = 0.0
        self.rank = 0
        self.priority = 0.0
        self.seq = 0

    def __lt__(self, other: Task) -> bool:
        if self.rank != other.rank:
            return self.rank < other.rank
        if self.priority != other.priority:
            return self.priority < other.priority
        return self.seq < other.seq


class Rep:
    """A sales rep: does one task at a time, only starting work while on shift."""

    __slots__ = (
        "busy",
        "busy_minutes",
        "doing",
        "group",
        "id",
        "on_shift",
        "outcome",
        "queues",
        "shift_ends",
        "skill",
        "started_at",
        "started_shift_ends",
    )

    def __init__(self, rep_id: int, group: int, skill: float, role: str) -> None:
        self.id = rep_id
        self.group = group
        self.skill = skill
        self.queues = QUEUES_OF_ROLE[role]
        self.on_shift = False
        self.busy = False
        self.shift_ends = 0.0
        self.busy_minutes = 0.0
        # The action under way (a rep does one at a time), read when it ends: kept on the
        # rep rather than in a new tuple per action.
        self.doing: Task | None = None
        """The task the rep is working on (None: none)."""
        self.outcome = 0
        """How that task will end (an outcome code, drawn when it started)."""
        self.started_at = 0.0
        """When the rep started it."""
        self.started_shift_ends = 0.0
        """When the shift in which the rep started it ends (later work is overtime)."""


def expected_value_per_minute(traits: LeadTraits, actions: Actions, win_rate: float) -> float:
    """What a fresh lead with *traits* is worth per rep minute, as reps can estimate it: the
    value it may bring over the minutes its first call is expected to take (what value-ordered
    queues rank by, :attr:`Lead.expected_value`)."""
    reach = traits.reachability.mean
    minutes = reach * actions.conversation.mean + (1 - reach) * (
        actions.voicemail_share * actions.voicemail.mean
        + (1 - actions.voicemail_share) * actions.no_answer.mean
    )
    won_value = reach * traits.fit_rate * traits.intent.mean * win_rate * traits.deal_value.mean
    return won_value / minutes


def own_generator(luck: float, offset: int = 0) -> OwnStream:
    """A person's own random numbers, seeded from one of their uniform luck numbers.

    *offset* gives the same person a second, independent generator (a lead's
    decision stage and its life as a customer).
    """
    return OwnStream(int(luck * 2**53) + offset)


def shift_windows_until(group: RepGroup, end: float) -> list[tuple[float, float]]:
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
