"""Calling leads in their own local time, a part of :class:`~sim.engine.floor.SalesFloor`.

Each lead may live in another time zone than the reps (``LeadSource.time_zones``):
its local clock runs ``lead.local_offset`` minutes ahead of the team's. A lead in a
named (IANA) zone has an offset that changes with the date (daylight saving, see
:mod:`sim.config.time_zones`): it is read from its zone's precomputed offsets at the
start of each call, so the hour-of-week reach uses the lead's clock on that date. With
a ``response.local_calling_window`` a call (first attempt or follow-up) is only made
while the lead's local window is open: a call that falls due, or comes off the queue,
outside it moves to the first minute at which both the lead's window is open and a
rep who makes calls is on shift (its due time and deadline move with it). A new lead
held for its window is not counted as one that found no rep free.
"""

from __future__ import annotations

from sim.config.calendar import WeeklyCalendar
from sim.config.time_zones import ZoneCalendar, local_windows_in_team_time
from sim.engine._state import FloorState
from sim.engine.people import FIRST_ATTEMPT, FOLLOW_UP, QUEUE_OF, Lead, Rep, Task

_CALLS = (FIRST_ATTEMPT, FOLLOW_UP)
_MAX_ALIGNMENTS = 64
"""Give up aligning the lead's window with the reps' shifts after this many tries (no overlap)."""


class LocalCallingHours(FloorState):
    """Keeps calls inside each lead's local calling window, on the date's offset."""

    def _setup_local_time(self) -> None:
        """Set up the calling window and named zones (after the floor's rules are set)."""
        self._calling_window = self.scenario.response.local_calling_window
        self._local_calendars: dict[float | str, WeeklyCalendar | ZoneCalendar] = {}
        """The calling window in team time, per lead offset or named zone (built on first use)."""
        self._zone_offsets = self.scenario.lead_zone_offsets()
        if self._zone_offsets:
            self._begin_call_as_set = {kind: self._begin[kind] for kind in _CALLS}
            for kind in _CALLS:
                self._begin[kind] = self._begin_call_on_local_date

    def _begin_call_on_local_date(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        """Set a named-zone lead's offset for today's date, then begin the call as usual."""
        lead: Lead = task.subject  # type: ignore[assignment]
        if lead.time_zone is not None:
            lead.local_offset = self._zone_offsets[lead.time_zone].at(now)
        return self._begin_call_as_set[task.kind](rep, task, now)  # type: ignore[no-any-return]

    def _local_calendar(self, lead: Lead) -> WeeklyCalendar | ZoneCalendar:
        """The lead's calling window in team time (by its zone's offsets if it has a named zone)."""
        key = lead.local_offset if lead.time_zone is None else lead.time_zone
        local = self._local_calendars.get(key)
        if local is None:
            if lead.time_zone is None:
                local = local_windows_in_team_time(self._calling_window, lead.local_offset)  # type: ignore[arg-type]
            else:
                local = ZoneCalendar(self._calling_window, self._zone_offsets[lead.time_zone])  # type: ignore[arg-type]
            self._local_calendars[key] = local
        return local

    def _next_call_time(self, lead: Lead, earliest: float) -> float:
        """The first minute from *earliest* when the lead's window is open and callers work."""
        local = self._local_calendar(lead)
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
        self.clock.at(due - now, self._falls_due, task)
        return True
