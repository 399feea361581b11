"""The clock: the engine's event list, the hour's records in time order, later hours in buckets.

Every event is a record of time, order, callback and payload: at *time* (minutes) the clock
calls ``callback(payload)``. Events at the same time run in the order they were
scheduled, exactly as SimPy orders its events, so the engine gives the same
numbers on this clock as on ``simpy.Environment`` (``tests/test_clock.py`` runs
both). What it saves is SimPy's ``Event`` object per callback and its generic
``step``: one record, one insertion, one call.

Most events fall due within minutes (a call ends, a queued task starts), but a
replication also holds thousands that wait days or months (follow-ups days
ahead, decisions, repeat-purchase and churn chances). Those wait in one list per
hour and join the current list only when their hour comes, so it holds the next
hour's events, not every pending one. (Measured on the default team scaled 1x and
8x, with the collector still on: CPU per event grew 21% with hourly buckets, 27%
with daily ones, 33% on SimPy's single heap; see docs/performance.md for the rest.)
An hour crowded with events (a large team) opens in parts of about :data:`PART_SIZE`
events, split by time, so that the current list stays about as short whatever the volume.
The current list is sorted once as its hour (or part) opens, latest first, so each event is
then taken from its end with no comparison; an event scheduled within the hour is put in its
place by a binary search (compiled, a direct call of :meth:`_Event.__lt__`). A heap made
more comparisons, and later: with 128 events, 7.3 an event against the sort's 5.7, made
while the part's events are still in the processor's cache (docs/performance.md, "Session 12").
While it runs, :func:`garbage_collector_off` keeps the cyclic collector off.
"""

from __future__ import annotations

import gc
import heapq
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final, Protocol

from mypy_extensions import mypyc_attr

from sim.config.units import MINUTES_PER_HOUR

heappush: Final = heapq.heappush
"""``heapq.heappush``, held where compiled code reads it directly: a function imported with
``from heapq import heappush`` is looked up by name in the module's dictionary at every call
(about 7 ns, a few times per event). The floor's work queues use it too."""
heappop: Final = heapq.heappop
"""``heapq.heappop``, held as :data:`heappush` is."""


PART_SIZE: Final = 128
"""An hour whose bucket holds at least twice this many events opens in parts of about this
many, split by time, so that the current list stays about as short at 8x the volume as at 1x."""


class EventList(Protocol):
    """Another scheduler that can keep a :class:`Clock`'s events, as a check of this one.

    ``benchmarks/simpy_clock.py`` puts SimPy behind these members; ``tests/test_clock.py``
    runs the engine on ``Clock(events=SimPyEvents())`` to check the lean clock's event order.
    """

    @property
    def now(self) -> float: ...
    def at(self, delay: float, callback: Callable[[Any], None], payload: Any) -> None: ...
    def run(self, until: float) -> None: ...
    def drop_pending(self) -> None: ...


@mypyc_attr(acyclic=True)
class _Event:
    """At *time* (minutes), call ``callback(payload)``; *order* breaks ties in time.

    Ordered by ``(time, order)`` as the tuple ``(time, order, callback, payload)`` would be,
    but compared by its own ``__lt__``: compiled, that compares two doubles, where a tuple
    compares two float objects twice through the generic protocol (equality, then less
    than). Heap comparisons were 16% of the compiled engine's instructions and all of
    their growth with volume (docs/performance.md, "Session 6: flat"). Interpreted, each
    comparison is a Python call: the pure-Python engine pays about 10-20% for it.

    Compiled, events are ``acyclic`` (not tracked by the cycle collector, as
    :mod:`sim.engine.people` explains). A pending event whose callback is a method of the
    floor closes a cycle through the clock; :meth:`Clock.drop_pending` breaks it.
    """

    __slots__ = ("callback", "order", "payload", "time")

    def __init__(
        self, time: float, order: int, callback: Callable[[Any], None], payload: Any
    ) -> None:
        self.time = time
        self.order = order
        self.callback = callback
        self.payload = payload

    def __lt__(self, other: _Event) -> bool:
        return self.time < other.time or (self.time == other.time and self.order < other.order)


class Clock:
    """Simulated time and the events still to come.

    The floor reads ``now`` as a typed field (compiled: a native double). Given *events*,
    the clock hands every event to that scheduler instead and shows its time before each
    callback: the engine then runs on another event list, unchanged, for a check.
    """

    __slots__ = (
        "_bucket_minutes",
        "_buckets",
        "_days",
        "_due",
        "_events",
        "_frontier",
        "_part",
        "_part_minutes",
        "_parts",
        "_parts_from",
        "now",
        "scheduled",
    )

    def __init__(
        self, bucket_minutes: float = MINUTES_PER_HOUR, events: EventList | None = None
    ) -> None:
        self.now = 0.0
        """Minutes since Monday 00:00 of week 0."""
        self.scheduled = 0
        """Events scheduled so far (also the order that breaks ties in time)."""
        self._bucket_minutes = bucket_minutes
        self._due: list[_Event] = []
        """The events of the current hour (or part of it), latest first: the next is the last."""
        self._events = events
        # Every event before this time is in _due. With *events*, none is: at() never
        # takes its common path, so only its rare path asks whether another list keeps them.
        self._frontier = 0.0 if events is None else -math.inf
        self._buckets: dict[int, list[_Event]] = {}
        self._days: list[int] = []  # bucket keys (hours since time 0), as a heap
        # A crowded hour is split into parts by time when it opens: _due holds the
        # current part (index _part); later parts wait in _parts. Empty when not split.
        self._parts: list[list[_Event]] = []
        self._part = 0
        self._parts_from = 0.0
        self._part_minutes = 0.0

    def at(self, delay: float, callback: Callable[[Any], None], payload: Any) -> None:
        """Call ``callback(payload)`` *delay* minutes from now (``delay >= 0``)."""
        time = self.now + delay
        self.scheduled = order = self.scheduled + 1
        if time < self._frontier:  # the common case: due within the current hour
            if self._parts:
                part = self._part_of(time)
                if part > self._part:
                    self._parts[part].append(_Event(time, order, callback, payload))
                    return
            _insert(self._due, _Event(time, order, callback, payload))
            return
        events = self._events
        if events is not None:
            events.at(delay, self._show_time_and_call, (events, callback, payload))
            return
        if time == math.inf:  # "never" (a rate of zero): it cannot fall within any run
            return
        event = _Event(time, order, callback, payload)
        day = int(time // self._bucket_minutes)
        bucket = self._buckets.get(day)
        if bucket is None:
            self._buckets[day] = [event]
            heappush(self._days, day)
        else:
            bucket.append(event)

    def _part_of(self, time: float) -> int:
        """Which part of the split current hour *time* falls in (never decreasing with *time*)."""
        return min(int((time - self._parts_from) / self._part_minutes), len(self._parts) - 1)

    def _open_hour(self, events: list[_Event], hour: int) -> None:
        """Make *hour*'s bucket current: all of it, or parts of it if it is crowded."""
        self._frontier = (hour + 1) * self._bucket_minutes
        self._parts, self._part = [], 0
        parts = len(events) // PART_SIZE
        if parts > 1:
            self._parts_from = hour * self._bucket_minutes
            self._part_minutes = self._bucket_minutes / parts
            self._parts = [[] for _ in range(parts)]
            for event in events:
                self._parts[self._part_of(event.time)].append(event)
            events, self._parts[0] = self._parts[0], []
        events.sort(reverse=True)
        self._due = events

    def _open_next_part(self) -> bool:
        """The current list ran out: make the next part of the hour current (False: none is left)."""
        while self._part + 1 < len(self._parts):
            self._part += 1
            events = self._parts[self._part]
            if events:
                self._parts[self._part] = []
                events.sort(reverse=True)
                self._due = events
                return True
        self._parts = []
        return False

    def _show_time_and_call(self, event: tuple[EventList, Callable[[Any], None], Any]) -> None:
        """Call an event that another list kept, at that list's time."""
        events, callback, payload = event
        self.now = events.now
        callback(payload)

    def run(self, until: float) -> None:
        """Process every event before *until* in time order; then the time is *until*."""
        if self._events is not None:
            self._events.run(until)
            self.now = until
            return
        while True:
            due = self._due
            if due:
                if self._frontier <= until:
                    # Every event in _due is due before the frontier, so before *until*:
                    # the common case needs no test of the time against *until*.
                    while due:
                        event = due.pop()
                        self.now = event.time
                        event.callback(event.payload)
                else:  # the last hour of the run: stop at *until*
                    while due and due[-1].time < until:
                        event = due.pop()
                        self.now = event.time
                        event.callback(event.payload)
                    if due:
                        break
            if self._parts and self._open_next_part():
                continue
            if not self._days or self._days[0] * self._bucket_minutes >= until:
                break
            day = heappop(self._days)
            self._open_hour(self._buckets.pop(day), day)
        self.now = until

    def drop_pending(self) -> None:
        """Forget the events still to come: the run is over, and they hold what it used."""
        self._due, self._buckets, self._days, self._parts = [], {}, [], []
        if self._events is not None:
            self._events.drop_pending()

    @property
    def pending(self) -> int:
        """Events scheduled and not yet processed."""
        waiting = [self._due, *self._parts, *self._buckets.values()]
        return sum(len(events) for events in waiting)


def _insert(due: list[_Event], event: _Event) -> None:
    """Put *event* in its place in *due*, kept latest first (so the next is ``due.pop()``)."""
    low, high = 0, len(due)
    while low < high:
        middle = (low + high) // 2
        if event < due[middle]:
            low = middle + 1
        else:
            high = middle
    due.insert(low, event)


@contextmanager
def garbage_collector_off() -> Iterator[None]:
    """No cyclic garbage collection while simulating; one, after the run, at most.

    The engine allocates millions of short-lived objects and no reference cycles
    (leads drop their pending task when it starts; ``tests/test_clock.py`` checks
    that a run leaves no cyclic garbage), so reference counting frees everything
    as it goes and memory stays bounded by the people still active. A collection
    during the run finds nothing; it only walks the live leads, tasks and events,
    and the larger the team the more often fixed thresholds set it off: with the
    default team and volume scaled 8x, collections walked 121,000 and 215,000 live
    objects during the run and all of them again at its end (0.29 of 4.05 CPU s),
    against one walk of 27,000 at 1x (4 ms). With the collector off, the first
    allocation after the run walks what the run left alive, once. Restored afterwards.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
