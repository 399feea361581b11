"""M/M/c+M as a SimPy process per customer: the design the engine rejected, for the record.

This is how the model is usually written with SimPy: a generator process per customer
that requests a :class:`simpy.Resource` and waits on ``request | env.timeout(patience)``;
if the request wins it holds the server for the service time, otherwise it abandons (the
``with`` block cancels the request). It is short and clear, but each customer costs a
process (an ``Initialize`` event and generator switches), a request event, a patience
timeout that is scheduled and processed even when the customer is served at once, a
condition event, and a release event: several events and generator resumptions per
customer where the engine (see :mod:`sim.engine.floor`) schedules two or three plain callbacks.

Run: ``python -m benchmarks.mmc_simpy_process`` from the repository root.
"""

from __future__ import annotations

import random
from collections.abc import Generator
from dataclasses import dataclass

import simpy

from benchmarks.common import QueueResult, demo, queue_result


@dataclass
class _Counts:
    served: int = 0
    abandoned: int = 0
    waited: int = 0
    total_wait: float = 0.0


def simulate_mmc_simpy_process(
    arrival_rate: float,
    service_rate: float,
    servers: int,
    abandonment_rate: float,
    customers: int,
    seed: int,
) -> QueueResult:
    """Simulate ``customers`` arrivals to an initially empty M/M/c+M queue, until all leave.

    Returns the :func:`benchmarks.common.queue_result` record; ``events`` is the number of
    events SimPy scheduled (read from the environment's event-id counter).
    """
    expo = random.Random(seed).expovariate
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=servers)
    counts = _Counts()

    def customer() -> Generator[simpy.Event, object, None]:
        arrived_at = env.now
        with desk.request() as request:
            if not request.triggered:
                counts.waited += 1
            outcome = yield request | env.timeout(expo(abandonment_rate))
            counts.total_wait += env.now - arrived_at
            if request not in outcome:  # type: ignore[operator]
                counts.abandoned += 1
                return
            counts.served += 1
            yield env.timeout(expo(service_rate))

    def source() -> Generator[simpy.Event, object, None]:
        for _ in range(customers):
            yield env.timeout(expo(arrival_rate))
            env.process(customer())

    env.process(source())
    env.run()
    return queue_result(
        arrived=customers,
        served=counts.served,
        abandoned=counts.abandoned,
        waited=counts.waited,
        total_wait=counts.total_wait,
        events=next(env._eid),  # SimPy numbers every scheduled event from this counter
    )


def main() -> None:
    """Time 200,000 customers and compare with the Erlang A reference values."""
    demo(simulate_mmc_simpy_process, "SimPy process per customer")


if __name__ == "__main__":
    main()
