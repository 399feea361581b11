"""What every stage of :class:`~sim.engine.floor.SalesFloor` may use: its state and its services.

The floor is one class assembled from stages (decision, customers, screening,
cadence keeping, channels, comebacks, local calling hours), each in its own
module. Each stage is a *trait* of this one: the attributes and methods one stage
uses but another module sets or defines are declared here once, with their types,
so each module type-checks on its own and the compiled kernel (see
:mod:`sim.engine.kernel`) can read them as typed fields rather than by name. The
methods below are implemented by the floor or by one of its stages.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

from policies.cadence import Cadence
from sim.config.calendar import WeeklyCalendar
from sim.config.fades import Fade
from sim.config.scenario import Scenario
from sim.config.time_zones import CallingWindow
from sim.engine.arrivals import LeadDraw
from sim.engine.clock import Clock
from sim.engine.meter import Meter
from sim.engine.people import Customer, Lead, LeadWatch, Person, Rep, Task
from sim.engine.streams import Draws

Begin = Callable[[Rep, Task, float], tuple[float, int]]
"""Starts a task: ``begin(rep, task, now) -> (duration, outcome)``."""
End = Callable[[Task, int, float], None]
"""Ends a task: ``end(task, outcome, now)``."""
NextGap = Callable[[Any, float], float | None]
"""``next_gap(subject, now)``: minutes to a skipped step's successor, or None (no successor)."""
Gap = Callable[[int], float | None]
"""Minutes from the *n*-th touch to the next (None: no more touches)."""


def run_over(*_: object) -> NoReturn:
    """Stands in for the floor's own methods once its run has ended (:meth:`FloorState._let_go`)."""
    raise RuntimeError("this SalesFloor has run; make a new one to simulate again")


class FloorState:
    """The floor's shared state and services, as its stages see them."""

    scenario: Scenario
    cadence: Cadence
    clock: Clock
    meter: Meter
    reps: list[Rep]
    _active: dict[Person, None]
    """Open leads and active customers, in the order they came (a dictionary as an ordered set).
    Keyed by the person, a close finds its entry by identity. Keyed by id, as it was, each close
    boxed the id anew and read the stored id object, last touched when the person came: with
    the default team scaled 8x, a read from memory (docs/performance.md, "Session 11")."""
    _ids: Iterator[int]
    _begin: dict[str, Begin]
    _end: dict[str, End]
    _finish: Callable[[Rep], None]
    """Ends a rep's action: what the clock calls when one is done."""
    _arrive: Callable[[LeadDraw], None]
    """Brings a new lead in: what the clock calls when one arrives."""
    _lose_patience: Callable[[Lead], None]
    """What the clock calls when a waiting lead's patience ends."""
    _step_falls_due: Callable[[Task], None]
    """What the clock calls when a cadence step falls due."""
    _falls_due: Callable[[Task], None]
    """What the clock calls when a task held back falls due (:meth:`_release`)."""
    _decision_due: Callable[[LeadWatch], None]
    """What the clock calls when a prospect's decision is due."""
    _interest_check_due: Callable[[Lead], None]
    """What the clock calls when a prospect's interest may have faded."""
    _comeback_due: Callable[[LeadWatch], None]
    """What the clock calls when a lead comes back on its own."""
    _begin_call_as_set: dict[str, Begin]
    """The calls' ``_begin`` steps, when named zones wrap them (local dates)."""
    _begin_follow_up_uncapped: Begin
    """The follow-up's ``_begin`` step, when a daily cap across channels wraps it."""
    _calendars: list[WeeklyCalendar | None]
    """Per queue, the team's working hours (None: nobody works that queue)."""
    _calling_window: CallingWindow | None
    _queue_and_rank: dict[str, tuple[int, int]]
    _waiting: list[int]
    """Tasks waiting in each queue."""
    _screens_source: list[bool]
    _after_no_answer: Callable[[Lead, float], None]
    _next_gap: dict[str, NextGap]
    _on_time_window: float
    _first_rank: int
    _response_target: float

    # Draws and rules of the scenario.
    _talk: Draws
    _no_answer: Draws
    _voicemail: Draws
    _meeting_time: Draws
    _nurture_time: Draws
    _retention_time: Draws
    _referral_time: Draws
    _uniform: Draws
    _voicemail_share: float
    _attempt_decay: float
    _time_to_decide: Callable[[float], float]
    _repeat_value: Callable[[float], float]
    _relationship: Fade
    _repeat_rate: float
    _churn_rate: float
    _fatigue_tolerance: float
    _win_rate: float
    _nurture_gap: Gap
    _retention_gap: Callable[[float], float | None]

    def still_active(self) -> list[Person]:
        """Open leads and active customers, in the order they came (after a run: at its end)."""
        return list(self._active)

    def _let_go(self) -> None:
        """Break the finished run's reference cycles, so that dropping the floor frees it at once.

        The clock's pending events and the stages' tables of steps hold bound methods of
        the floor, and an open lead and its pending task refer to each other: otherwise only
        a full collection would free a dropped floor, replications later. What callers read
        after the run (the meter, the people still active, the reps) stays.
        """
        self.clock.drop_pending()
        for person in self._active:
            person.task = None
        for steps in (self._begin, self._end, self._next_gap):
            steps.clear()
        self._begin_call_as_set = {}
        self._finish = self._after_no_answer = self._begin_follow_up_uncapped = run_over
        self._arrive = self._lose_patience = self._step_falls_due = self._falls_due = run_over
        self._decision_due = self._interest_check_due = self._comeback_due = run_over

    # Services: implemented by the floor or one of its stages.
    @abstractmethod
    def _release(self, task: Task) -> None: ...
    @abstractmethod
    def _close(self, lead: Lead, outcome: str) -> None: ...
    @abstractmethod
    def _touch(self, person: Person, now: float, fatigue_weight: float = 1.0) -> bool: ...
    @abstractmethod
    def _drop_pending(self, person: Person) -> None: ...
    @abstractmethod
    def _watch_patience(self, lead: Lead) -> None: ...
    @abstractmethod
    def _call_again(self, lead: Lead, now: float) -> None: ...
    @abstractmethod
    def _conversation(self, lead: Lead, rep: Rep, since: float) -> int: ...
    @abstractmethod
    def _end_attempt(self, task: Task, outcome: int, now: float) -> None: ...
    @abstractmethod
    def _on_referral_arrival(self, draw: LeadDraw) -> None: ...
    @abstractmethod
    def _due_task(
        self, kind: str, subject: Person | None, earliest: float, window: float
    ) -> Task: ...
    @abstractmethod
    def _next_call_time(self, lead: Lead, earliest: float) -> float: ...
    @abstractmethod
    def _follow_ups_ended(self, lead: Lead, now: float) -> None: ...
    @abstractmethod
    def _annoyance(self, lead: Lead, now: float) -> float: ...
    @abstractmethod
    def _next_retention_touch(self, customer: Customer, now: float) -> None: ...
    @abstractmethod
    def _next_repeat_chance(self, customer: Customer) -> None: ...
    @abstractmethod
    def _next_churn_chance(self, customer: Customer) -> None: ...
