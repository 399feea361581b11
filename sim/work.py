"""The things the engine moves around: leads, reps and the tasks reps work on."""

from __future__ import annotations

import math

FIRST_ATTEMPT = "first_attempt"
FOLLOW_UP = "follow_up"

WON = "won"
LOST_NEVER_REACHED = "never_reached"
LOST_DISQUALIFIED = "disqualified"
LOST_INTEREST_DECAYED = "interest_decayed"
LOST_NOT_WON = "not_won"
LOST_REASONS = (LOST_NEVER_REACHED, LOST_DISQUALIFIED, LOST_INTEREST_DECAYED, LOST_NOT_WON)
"""Why a lead was lost: attempts used up without reaching it; the conversation did not
qualify it; it bought elsewhere before it was reached; it qualified but the deal was lost."""


class Lead:
    """A prospective customer, from arrival to its outcome."""

    __slots__ = (
        "arrived_at",
        "attempts",
        "cohort",
        "expected_value",
        "first_attempt_at",
        "id",
        "intent",
        "last_engaged_at",
        "luck",
        "outcome",
        "patience_ends",
        "patience_watched",
        "qualified",
        "reachability",
        "reached_at",
        "source",
        "task",
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
        luck: list[float],
        cohort: bool,
    ) -> None:
        self.id = lead_id
        self.source = source
        self.arrived_at = arrived_at
        self.intent = intent
        self.reachability = reachability
        self.value = value
        self.luck = luck
        self.cohort = cohort
        self.attempts = 0
        self.first_attempt_at = math.inf
        self.reached_at = math.inf
        self.last_engaged_at = arrived_at
        self.qualified = False
        self.outcome: str | None = None
        self.task: Task | None = None
        self.expected_value = 0.0
        self.patience_ends = math.inf
        self.patience_watched = False

    @property
    def first_attempt_delay(self) -> float:
        """Minutes from arrival to the first attempt (``inf`` if never attempted)."""
        return self.first_attempt_at - self.arrived_at


class Task:
    """A piece of rep work on a lead: a first attempt or a follow-up.

    *due* is when it becomes workable, *deadline* when it is late, *value* the
    expected value of working it now (only estimated for value-ordered queues).
    A task whose lead closes while it waits is marked not *live* and skipped.
    """

    __slots__ = ("deadline", "due", "kind", "lead", "live", "queued", "value")

    def __init__(self, kind: str, lead: Lead, due: float, deadline: float) -> None:
        self.kind = kind
        self.lead = lead
        self.due = due
        self.deadline = deadline
        self.value = 0.0
        self.live = True
        self.queued = False


class Rep:
    """A sales rep: does one task at a time, only starting work while on shift."""

    __slots__ = ("busy", "group", "id", "on_shift", "shift_ends", "skill")

    def __init__(self, rep_id: int, group: int, skill: float) -> None:
        self.id = rep_id
        self.group = group
        self.skill = skill
        self.on_shift = False
        self.busy = False
        self.shift_ends = 0.0
