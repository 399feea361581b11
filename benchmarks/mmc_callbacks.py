"""Generic bare heapq event loop simulating M/M/c+M: the engine's design without SimPy.

:mod:`benchmarks.mmc_heapq` is the fastest specialised loop (two event kinds dispatched
with an ``if``, abandonment by lazy deletion, no event per waiting customer). The salespulse
engine is not built like that: it is a *generic* event loop that runs callbacks, with one
event for each arrival, each service end, and a patience end for each lead that has to wait.
This module is that structure and nothing else, so the engine can be compared with the
best it could be while keeping its design:

* :class:`EventLoop` -- a heap of ``(time, seq, callback, payload)`` entries run by
  ``while heap: now, _, fn, arg = heappop(heap); fn(arg)``;
* :class:`_Queue` -- the model as bound-method callbacks: arrival, service end and
  patience end (scheduled only for customers who find every server busy); waiting
  customers are kept in a FIFO deque and an abandoned one is only marked, then skipped
  when it reaches the head (as the engine marks a task not live).

The gap between this loop and the engine is the cost of SimPy (its ``Event`` objects and
``Environment.step``) plus the engine's bookkeeping; the gap between this loop and
:mod:`benchmarks.mmc_heapq` is the cost of generality.

Run: ``python -m benchmarks.mmc_callbacks`` from the repository root.
"""

from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

from benchmarks.common import QueueResult, demo, queue_result


class EventLoop:
    """A minimal generic discrete-event loop: callbacks run in (time, scheduling) order."""

    __slots__ = ("_heap", "now", "scheduled")

    def __init__(self) -> None:
        self.now = 0.0
        self.scheduled = 0
        """Events scheduled so far (what the engine's ``SalesFloor.events`` counts); it is
        also each entry's tie-breaking sequence number, so ties run in scheduling order."""
        self._heap: list[tuple[float, int, Callable[[Any], None], Any]] = []

    def schedule(self, delay: float, callback: Callable[[Any], None], payload: Any) -> None:
        """Call ``callback(payload)`` *delay* minutes from now."""
        self.scheduled += 1
        heappush(self._heap, (self.now + delay, self.scheduled, callback, payload))

    def run(self) -> None:
        """Run events until none is left."""
        heap = self._heap
        while heap:
            self.now, _, fn, arg = heappop(heap)
            fn(arg)


class _Customer:
    __slots__ = ("arrived_at", "waiting")

    def __init__(self, arrived_at: float) -> None:
        self.arrived_at = arrived_at
        self.waiting = True


class _Queue:
    """The M/M/c+M model as callbacks on an :class:`EventLoop`."""

    def __init__(
        self,
        arrival_rate: float,
        service_rate: float,
        servers: int,
        abandonment_rate: float,
        customers: int,
        seed: int,
    ) -> None:
        self.loop = EventLoop()
        self._expo = random.Random(seed).expovariate
        self._arrival_rate = arrival_rate
        self._service_rate = service_rate
        self._abandonment_rate = abandonment_rate
        self._customers = customers
        self._idle = servers
        self._waiting: deque[_Customer] = deque()
        self.arrived = self.served = self.abandoned = self.waited = 0
        self.total_wait = 0.0

    def run(self) -> QueueResult:
        self.loop.schedule(self._expo(self._arrival_rate), self._on_arrival, None)
        self.loop.run()
        return queue_result(
            arrived=self.arrived,
            served=self.served,
            abandoned=self.abandoned,
            waited=self.waited,
            total_wait=self.total_wait,
            events=self.loop.scheduled,
        )

    def _on_arrival(self, _: None) -> None:
        self.arrived += 1
        if self.arrived < self._customers:
            self.loop.schedule(self._expo(self._arrival_rate), self._on_arrival, None)
        if self._idle:
            self._idle -= 1
            self._start_service()
            return
        self.waited += 1
        customer = _Customer(self.loop.now)
        self._waiting.append(customer)
        self.loop.schedule(self._expo(self._abandonment_rate), self._on_patience_end, customer)

    def _on_patience_end(self, customer: _Customer) -> None:
        if customer.waiting:
            customer.waiting = False
            self.abandoned += 1
            self.total_wait += self.loop.now - customer.arrived_at

    def _on_service_end(self, _: None) -> None:
        waiting = self._waiting
        while waiting:
            customer = waiting.popleft()
            if customer.waiting:
                customer.waiting = False
                self.total_wait += self.loop.now - customer.arrived_at
                self._start_service()
                return
        self._idle += 1

    def _start_service(self) -> None:
        self.served += 1
        self.loop.schedule(self._expo(self._service_rate), self._on_service_end, None)


def simulate_mmc_callbacks(
    arrival_rate: float,
    service_rate: float,
    servers: int,
    abandonment_rate: float,
    customers: int,
    seed: int,
) -> QueueResult:
    """Simulate ``customers`` arrivals to an initially empty M/M/c+M queue, until all leave.

    Returns the :func:`benchmarks.common.queue_result` record (``events``: callbacks
    scheduled, which the loop runs to exhaustion).
    """
    return _Queue(arrival_rate, service_rate, servers, abandonment_rate, customers, seed).run()


def main() -> None:
    """Time 200,000 customers and compare with the Erlang A reference values."""
    demo(simulate_mmc_callbacks, "generic callback heapq loop")


if __name__ == "__main__":
    main()
