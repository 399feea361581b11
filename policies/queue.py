"""Queue discipline: which waiting piece of work a free rep takes next.

Every piece of work (a first attempt, a follow-up, ...) waits in the queue with a
*due* time (when it became workable), a *deadline* (when it is late) and an
expected *value*. The discipline turns these into a priority; smaller first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from policies.base import Policy, param

if TYPE_CHECKING:
    from sim.engine.people import Task


class QueueDiscipline(Policy):
    """Order work by deadline, arrival order (FIFO/LIFO) or expected value."""

    family = "queue"
    name = "standard"

    order: Literal["deadline", "fifo", "lifo", "value"] = param(
        "deadline",
        "deadline: earliest deadline first; fifo: oldest work first; lifo: newest work first; "
        "value: highest expected value per rep minute first",
        choices=["deadline", "fifo", "lifo", "value"],
    )

    @property
    def needs_value(self) -> bool:
        """Whether the engine must estimate each task's expected value."""
        return self.order == "value"

    def priority(self, task: Task) -> float:
        """The task's place in the queue: smaller is served first."""
        if self.order == "deadline":
            return task.deadline
        if self.order == "fifo":
            return task.due
        if self.order == "lifo":
            return -task.due
        return -task.value
