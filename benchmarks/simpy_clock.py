"""The engine's events on ``simpy.Environment``: the reference the lean clock must match."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import simpy


class SimPyEvents:
    """An event list for :class:`sim.engine.clock.Clock` on ``simpy.Environment`` (public API only).

    ``Clock(events=SimPyEvents())`` runs the engine with SimPy keeping its events: the
    reference the lean clock must match event for event (``tests/test_clock.py``), and
    what the engine would cost with SimPy as its clock: one ``Timeout`` event per
    callback and SimPy's generic ``step``.
    """

    def __init__(self) -> None:
        self._env = simpy.Environment()

    @property
    def now(self) -> float:
        return float(self._env.now)

    def at(self, delay: float, callback: Callable[[Any], None], payload: Any) -> None:
        self._env.timeout(delay, payload).callbacks.append(lambda event: callback(event.value))

    def run(self, until: float) -> None:
        self._env.run(until=until)

    def drop_pending(self) -> None:
        self._env = simpy.Environment(self._env.now)
