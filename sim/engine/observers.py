"""What can watch a replication as it runs: a trace of rep actions, a recorder of outcomes.

Both are optional arguments of :class:`~sim.engine.floor.SalesFloor`; the engine calls them
only when given, so a run without them pays one test per action. Tests trace every action
to check invariants; :class:`~sim.calibration.CrmRecorder` records actions and closed
leads as a CRM export would hold them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from sim.engine.people import Lead, Task

Trace = Callable[[str, float, int, int, str], None]
"""``trace(event, minutes, rep_id, subject_id, task_kind)``, event 'start' or 'end' (subject -1: none)."""


class Recorder(Protocol):
    """Receives every finished action and closed lead (for CRM-style exports)."""

    def action(
        self, task: Task, rep_id: int, started: float, ended: float, outcome: str
    ) -> None: ...

    def lead_closed(self, lead: Lead, outcome: str, now: float) -> None: ...
