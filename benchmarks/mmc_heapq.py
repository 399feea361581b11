"""Bare heapq event-loop simulation of the M/M/c+M queue: a speed and correctness baseline.

Poisson arrivals (rate lambda per minute), ``c`` servers, exponential service (rate mu),
exponential patience (rate theta), FIFO queue; a customer whose service has not started when
patience runs out abandons. This is the fastest straightforward pure-Python way to simulate
the model, to compare the SimPy engine's throughput against and to cross-check
:func:`sim.queueing.erlang_a`.

Abandonment uses lazy deletion rather than one heap event per waiting customer: each waiting
customer carries its abandonment deadline in the FIFO deque, and when a server frees up,
expired customers at the head are discarded (counted as abandoned with wait = patience)
until a live one is found. Under FIFO this is exactly equivalent -- an expired customer never
blocks or delays anyone -- and it keeps the heap to arrival and departure events only. The
invariant "a server is idle => the deque is empty" holds because every departure drains
expired heads before idling its server.

Run: ``python -m benchmarks.mmc_heapq`` from the repository root.
"""

from __future__ import annotations

import heapq
import random
from collections import deque

from benchmarks.common import QueueResult, demo, queue_result

_ARRIVAL = 0
_DEPARTURE = 1


def simulate_mmc_heapq(
    arrival_rate: float,
    service_rate: float,
    servers: int,
    abandonment_rate: float,
    customers: int,
    seed: int,
) -> QueueResult:
    """Simulate ``customers`` arrivals to an initially empty M/M/c+M queue.

    Returns the :func:`benchmarks.common.queue_result` record (``events``: heap events
    processed). Runs until every customer has left.
    """
    rng = random.Random(seed)
    expo = rng.expovariate
    push = heapq.heappush
    pop = heapq.heappop

    heap: list[tuple[float, int, int, None]] = [(expo(arrival_rate), 0, _ARRIVAL, None)]
    queue: deque[tuple[float, float]] = deque()  # (arrival time, abandonment deadline)
    seq = 1
    busy = arrived = served = abandoned = waited = events = 0
    total_wait = 0.0

    while heap:
        now, _, kind, _ = pop(heap)
        events += 1
        if kind == _ARRIVAL:
            arrived += 1
            if arrived < customers:
                push(heap, (now + expo(arrival_rate), seq, _ARRIVAL, None))
                seq += 1
            if busy < servers:
                busy += 1
                served += 1
                push(heap, (now + expo(service_rate), seq, _DEPARTURE, None))
                seq += 1
            else:
                waited += 1
                queue.append((now, now + expo(abandonment_rate)))
            continue
        # Departure: hand the server to the first customer who has not yet abandoned.
        while queue:
            arrival, deadline = queue.popleft()
            if deadline > now:
                served += 1
                total_wait += now - arrival
                push(heap, (now + expo(service_rate), seq, _DEPARTURE, None))
                seq += 1
                break
            abandoned += 1
            total_wait += deadline - arrival
        else:
            busy -= 1

    return queue_result(
        arrived=arrived,
        served=served,
        abandoned=abandoned,
        waited=waited,
        total_wait=total_wait,
        events=events,
    )


def main() -> None:
    """Time 200,000 customers and compare with the Erlang A reference values."""
    demo(simulate_mmc_heapq, "specialised heapq loop")


if __name__ == "__main__":
    main()
