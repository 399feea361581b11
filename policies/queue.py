"""Queue discipline: which waiting piece of work a free rep takes next.

Every piece of work (a first attempt, a follow-up, ...) waits in the queue with a
*due* time (when it became workable), a *deadline* (when it is late) and an
expected *value*. The discipline turns these into a priority; smaller first.

A new discipline subclasses :class:`QueueDiscipline`, gives itself a ``name`` and
overrides :meth:`~QueueDiscipline.priority` (and :attr:`~QueueDiscipline.needs_value`
if it reads ``task.value``).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Literal, Protocol

from policies.base import Policy, param


class Task(Protocol):
    """What a queue discipline sees of a waiting piece of work (minutes; value per rep minute)."""

    due: float
    deadline: float
    value: float


Priority = Callable[[Task], float]
"""A task's place in the queue: smaller is served first."""

_ORDERS: dict[str, Priority] = {  # attrgetter reads in C: no Python call per queued task
    "deadline": attrgetter("deadline"),
    "fifo": attrgetter("due"),
    "lifo": lambda task: -task.due,
    "value": lambda task: -task.value,
}


class QueueDiscipline(Policy):
    """Order work by deadline, arrival order (FIFO/LIFO) or expected value."""

    family = "queue"
    name = "standard"

    order: Literal["deadline", "fifo", "lifo", "value"] = param(
        "deadline",
        "deadline: earliest deadline first; fifo: oldest work first; lifo: newest work first; "
        "value: highest expected value per rep minute first",
        choices=list(_ORDERS),
    )

    @property
    def needs_value(self) -> bool:
        """Whether the engine must estimate each task's expected value."""
        return self.order == "value"

    def priority(self, task: Task) -> float:
        """The task's place in the queue: smaller is served first."""
        return _ORDERS[self.order](task)

    def priority_function(self) -> Priority:
        """:meth:`priority` as the engine calls it on its hot path (a subclass need not override)."""
        if type(self).priority is QueueDiscipline.priority:
            return _ORDERS[self.order]
        return self.priority
