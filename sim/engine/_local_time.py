"""Calling leads in their own local time, a part of :class:`~sim.engine.floor.SalesFloor`.

Each lead may live in another time zone than the reps (``LeadSource.time_zones``):
its local clock runs ``lead.local_offset`` minutes ahead of the team's. With a
``response.local_calling_window`` a call (first attempt or follow-up) is only
made while the lead's local window is open: a call that falls due, or comes off
the queue, outside it moves to the first minute at which both the lead's window
is open and a rep who makes calls is on shift (its due time and deadline move
with it). A new lead held for its window is not counted as one that found no rep
free. Fixed offsets: daylight-saving changes are not modelled.
"""

from __future__ import annotations

from typing import Any

from sim.config.calendar import WeeklyCalendar
from sim.config.seasonality import local_windows_in_team_time
from sim.engine.people import FIRST_ATTEMPT, FOLLOW_UP, QUEUE_OF, Lead, Task

_CALLS = (FIRST_ATTEMPT, FOLLOW_UP)
_MAX_ALIGNMENTS = 64
"""Give up aligning the lead's window with the reps' shifts after this many tries (no overlap)."""


class LocalCallingHours:
    """Keeps calls inside each lead's local calling window."""

    _at: Any
    _calendars: Any
    _release: Any
    clock: Any
    scenario: Any

    def _setup_local_time(self) -> None:
        self._calling_window = self.scenario.response.local_calling_window
        self._local_calendars: dict[float, WeeklyCalendar] = {}
        """The calling window in team time, per lead offset (few offsets: built on first use)."""

    def _next_call_time(self, lead: Lead, earliest: float) -> float:
        """The first minute from *earliest* when the lead's window is open and callers work."""
        offset = lead.local_offset
        local = self._local_calendars.get(offset)
        if local is None:
            local = local_windows_in_team_time(self._calling_window, offset)
            self._local_calendars[offset] = local
        reps = self._calendars[QUEUE_OF[FIRST_ATTEMPT]]
        t = earliest
        for _ in range(_MAX_ALIGNMENTS):
            opens = local.next_open(t)
            t = reps.next_open(opens) if reps is not None else opens
            if t == opens:
                return t
        return t

    def _outside_calling_window(self, task: Task) -> bool:
        """If *task* is a call its lead may not take now, move it to the next allowed minute."""
        if task.kind not in _CALLS:
            return False
        now = self.clock.now
        lead: Lead = task.subject  # type: ignore[assignment]
        due = self._next_call_time(lead, now)
        if due == now:
            return False
        task.due, task.deadline = due, due + (task.deadline - task.due)
        self._at(due - now, self._release, task)
        return True
