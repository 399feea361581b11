"""Referral pools: the contacts a department or a customer has waiting for the team.

A pool refills towards its size exponentially (time constant ``refill_time``)
and a request brings in a Poisson number of leads with mean ``share x level``
(times the relationship strength for customers), which leave the pool. Asking
often therefore finds the pool low: the leads per request fall as the requests
come closer together, and the leads per week can never exceed the refill rate
of an empty pool (``pool_size / refill_time``), however often the team asks.

Asked every *gap* minutes, the pool settles where what a request takes equals
what the gap refills; :func:`expected_yield_per_request` gives that yield.
"""

from __future__ import annotations

import math

import numpy as np

from sim.config.scenario import ContactPool


class ReferralPool:
    """One department's or one customer's waiting contacts, as time goes by."""

    __slots__ = ("level", "referred", "refill_time", "requests", "share", "size", "updated_at")

    def __init__(self, config: ContactPool, now: float) -> None:
        self.size = config.pool_size
        self.refill_time = config.refill_time
        self.share = config.share_per_request
        self.level = self.size
        """Contacts waiting at ``updated_at`` (full at the start: nobody has asked yet)."""
        self.updated_at = now
        self.requests = 0
        self.referred = 0

    def level_at(self, now: float) -> float:
        """Contacts waiting at *now* (the pool refills towards its size between requests)."""
        refilled = math.exp(-(now - self.updated_at) / self.refill_time)
        return self.size - (self.size - self.level) * refilled

    def ask(self, now: float, rng: np.random.Generator, strength: float = 1.0) -> int:
        """A request at *now*: the number of contacts it brings in, taken from the pool.

        *strength* (0..1) scales the share handed over (a customer's relationship).
        """
        level = self.level_at(now)
        referred = int(rng.poisson(self.share * strength * level))
        self.level = max(level - referred, 0.0)
        self.updated_at = now
        self.requests += 1
        self.referred += referred
        return referred


def expected_yield_per_request(config: ContactPool, gap: float, strength: float = 1.0) -> float:
    """Mean leads per request when *config*'s pool is asked every *gap* minutes, in the long run.

    With the pool at ``L`` before a request, a request takes ``s L`` and the gap
    refills ``(C - (1 - s) L)(1 - e)`` with ``e = exp(-gap / refill_time)``, so
    the steady level is ``L = C (1 - e) / (1 - (1 - s) e)`` (``s`` the share
    handed over, ``C`` the pool size). The floor at an empty pool is ignored
    (a request never takes more than what waits, on average).
    """
    refilled = math.exp(-gap / config.refill_time)
    share = config.share_per_request * strength
    level = config.pool_size * (1 - refilled) / (1 - (1 - share) * refilled)
    return share * level
