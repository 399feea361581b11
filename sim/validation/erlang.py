"""Queueing-theory reference values for checking the simulator against theory.

The simulator is only trustworthy if, when configured as a textbook queue, it reproduces
the textbook answer. This module computes those answers analytically, with no simulation:

* :func:`erlang_c` -- M/M/c (Erlang C): Poisson arrivals, ``c`` servers, exponential service.
* :func:`erlang_a` -- M/M/c+M (Palm / Erlang A): as M/M/c, plus exponential patience; a
  customer whose service has not started when patience runs out abandons.

All rates share one time unit and every time-valued result is in that unit. In this project
the engine runs in minutes, so pass rates *per minute* and read ``mean_wait_minutes`` as
minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["QueueMetrics", "erlang_a", "erlang_c"]

# Stop adding states once the (bounded) stationary tail mass beyond them is below this.
_TAIL_TOLERANCE = 1e-12


@dataclass(frozen=True)
class QueueMetrics:
    """Steady-state performance measures of a multi-server queue.

    Probabilities and means are over *all* arrivals (customers who never wait count as a
    zero wait). Time is in the reciprocal unit of the rates (minutes in this project).
    """

    wait_probability: float
    """P(an arrival cannot start service immediately and joins the queue)."""
    abandon_probability: float
    """P(an arrival abandons before service starts); 0.0 for Erlang C."""
    mean_wait_minutes: float
    """Mean time in queue (until service start or abandonment), over all arrivals."""
    mean_queue_length: float
    """Time-average number of customers waiting (not in service)."""
    utilisation: float
    """Mean number of busy servers divided by the number of servers."""


def _check_positive(**values: float) -> None:
    for name, value in values.items():
        if not value > 0 or not math.isfinite(value):
            raise ValueError(f"{name} must be a positive finite number, got {value!r}")


def _check_servers(servers: int) -> None:
    if isinstance(servers, bool) or not isinstance(servers, int) or servers < 1:
        raise ValueError(f"servers must be a positive integer, got {servers!r}")


def erlang_c(arrival_rate: float, service_rate: float, servers: int) -> QueueMetrics:
    """Steady-state metrics of the M/M/c queue (Erlang C).

    Args:
        arrival_rate: Poisson arrival rate lambda (per minute in this project).
        service_rate: Service rate mu of one server (per minute), i.e. 1 / mean service time.
        servers: Number of servers c.

    Raises:
        ValueError: If an argument is not positive, or the queue is unstable
            (rho = lambda / (c * mu) >= 1).

    The Erlang B blocking probability is built with the stable recursion
    ``B_k = a B_{k-1} / (k + a B_{k-1})`` (offered load ``a = lambda / mu``), then converted:
    ``C = c B / (c - a (1 - B))``. ``Wq = C / (c mu - lambda)`` and ``Lq = lambda Wq``.
    """
    _check_positive(arrival_rate=arrival_rate, service_rate=service_rate)
    _check_servers(servers)
    load = arrival_rate / service_rate
    rho = load / servers
    if rho >= 1.0:
        raise ValueError(
            f"M/M/c queue is unstable: rho = lambda/(c*mu) = {rho:.6g} >= 1 "
            f"(lambda={arrival_rate}, mu={service_rate}, c={servers}); "
            "use erlang_a for a queue with abandonment"
        )
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    wait_probability = servers * blocking / (servers - load * (1.0 - blocking))
    mean_wait = wait_probability / (servers * service_rate - arrival_rate)
    return QueueMetrics(
        wait_probability=wait_probability,
        abandon_probability=0.0,
        mean_wait_minutes=mean_wait,
        mean_queue_length=arrival_rate * mean_wait,
        utilisation=rho,
    )


def erlang_a(
    arrival_rate: float,
    service_rate: float,
    servers: int,
    abandonment_rate: float,
    max_queue: int | None = None,
) -> QueueMetrics:
    """Steady-state metrics of the M/M/c+M queue (Palm / Erlang A).

    Args:
        arrival_rate: Poisson arrival rate lambda (per minute in this project).
        service_rate: Service rate mu of one server (per minute).
        servers: Number of servers c.
        abandonment_rate: Patience rate theta (1 / mean patience); must be > 0. For
            theta -> 0 use :func:`erlang_c` instead.
        max_queue: Optional finite waiting room K. If given, the chain is cut at
            ``c + K`` customers in system and arrivals that find it full are lost (they
            neither wait nor abandon, so ``wait_probability`` excludes them). If None, the
            queue is unlimited and the chain is truncated automatically where the remaining
            stationary mass is below 1e-12.

    The system is a birth-death chain on n = number in system with birth rate lambda and
    death rate ``min(n, c) mu + max(n - c, 0) theta``. It is stable for any load because
    the abandonment rate grows with the queue. Probabilities are accumulated in log space
    so that large ``c`` or heavy overload cannot overflow. Then, with ``Lq = E[(N - c)+]``:
    ``P(wait) = P(N >= c)`` (PASTA), ``P(abandon) = theta Lq / lambda`` (abandonment flow),
    ``E[wait] = Lq / lambda`` (Little's law over all arrivals), ``utilisation =
    E[min(N, c)] / c``.
    """
    _check_positive(
        arrival_rate=arrival_rate, service_rate=service_rate, abandonment_rate=abandonment_rate
    )
    _check_servers(servers)
    if max_queue is not None and (
        isinstance(max_queue, bool) or not isinstance(max_queue, int) or max_queue < 0
    ):
        raise ValueError(f"max_queue must be None or a non-negative integer, got {max_queue!r}")

    log_lam = math.log(arrival_rate)
    log_weights = [0.0]  # log of unnormalised p_n, p_0 := 1
    log_total = 0.0  # running log of the weight sum so far: a lower bound on the final total
    n = 0
    while True:
        if max_queue is not None and n == servers + max_queue:
            break
        n += 1
        death = min(n, servers) * service_rate + max(n - servers, 0) * abandonment_rate
        log_weights.append(log_weights[-1] + log_lam - math.log(death))
        log_total = _logaddexp(log_total, log_weights[-1])
        if max_queue is None and n >= servers:
            # Death rates increase with n, so the ratios p_{k+1}/p_k beyond n are all at most
            # r = lambda / death(n+1); once r < 1 the tail is bounded by p_n r / (1 - r).
            next_death = servers * service_rate + (n + 1 - servers) * abandonment_rate
            ratio = arrival_rate / next_death
            if ratio < 1.0:
                log_tail = log_weights[-1] + math.log(ratio) - math.log1p(-ratio)
                if log_tail - log_total < math.log(_TAIL_TOLERANCE):
                    break

    # Normalise exactly at the end (the running log_total accumulates rounding error).
    peak = max(log_weights)
    weights = [math.exp(w - peak) for w in log_weights]
    total = math.fsum(weights)
    probs = [w / total for w in weights]
    last = len(probs) - 1
    queue_length = math.fsum((k - servers) * p for k, p in enumerate(probs) if k > servers)
    busy = math.fsum(min(k, servers) * p for k, p in enumerate(probs))
    # Arrivals finding the finite room full are lost, not waiting (only when max_queue given).
    wait_end = last if max_queue is not None else last + 1
    wait_probability = math.fsum(probs[servers:wait_end])
    return QueueMetrics(
        wait_probability=wait_probability,
        abandon_probability=abandonment_rate * queue_length / arrival_rate,
        mean_wait_minutes=queue_length / arrival_rate,
        mean_queue_length=queue_length,
        utilisation=busy / servers,
    )


def _logaddexp(a: float, b: float) -> float:
    """log(exp(a) + exp(b)) without overflow."""
    hi, lo = (a, b) if a >= b else (b, a)
    return hi + math.log1p(math.exp(lo - hi))
