"""Customers and database expansion in :class:`~sim.engine.floor.SalesFloor`.

A won lead becomes a customer whose relationship fades without contact;
retention touches on the cadence renew it, which keeps repeat purchases coming
and churn away. Requests to other departments, and to customers reached by a
retention touch, bring referred leads that join the lead flow: each department
and each customer has a pool of contacts that requests deplete and time refills
(:mod:`sim.engine._referrals`); a customer hands over more the stronger the
relationship.

A part of the floor, split out to keep each module one stage of the sales rhythm.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from sim.config.scenario import REFERRAL_SOURCE
from sim.engine._referrals import ReferralPool
from sim.engine._screening import LeadScreening
from sim.engine.arrivals import trait_streams
from sim.engine.people import (
    ASKED,
    CLOSER_ON_TIME_MINUTES,
    DEPARTMENT_REFERRAL,
    NOT_REACHED,
    OPTED_OUT,
    REACHED,
    RETENTION,
    Customer,
    Rep,
    Task,
)
from sim.engine.streams import Draws, Streams


class CustomerCare(LeadScreening):
    """Retention touches, repeat purchases, churn and referral requests."""

    def _next_retention_touch(self, customer: Customer, now: float) -> None:
        gap = self._retention_gap(now - customer.won_at)
        if gap is not None:
            self._due_task(RETENTION, customer, now + gap, CLOSER_ON_TIME_MINUTES)

    def _begin_retention(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        """A retention touch; a customer reached is also asked for referrals when due."""
        customer: Customer = task.subject  # type: ignore[assignment]
        duration = self._retention_time.next()
        if self._touch(customer, now):
            return duration, OPTED_OUT
        if customer.rng.random() >= customer.reachability:  # type: ignore[union-attr]
            return duration, NOT_REACHED
        if self._asks_customer(now - customer.asked_at):
            customer.asked_at = now
            return duration + self._referral_time.next(), ASKED
        return duration, REACHED

    def _end_retention(self, task: Task, outcome: int, now: float) -> None:
        customer: Customer = task.subject  # type: ignore[assignment]
        if not customer.active:
            return
        if outcome == OPTED_OUT:
            self._churn(customer, opted_out=True)
            return
        if outcome == ASKED:
            self._ask_customer(customer, now)
        if outcome in (REACHED, ASKED):
            customer.last_engaged_at = now
        self._next_retention_touch(customer, now)

    def _on_repeat_chance(self, customer: Customer) -> None:
        """A candidate purchase at the full-relationship rate, kept with the relationship's strength."""
        if not customer.active:
            return
        now = self.clock.now
        if customer.rng.random() < self._relationship.value(now - customer.last_engaged_at):  # type: ignore[union-attr]
            value = self._repeat_value(customer.rng.random())  # type: ignore[union-attr]
            if customer.cohort:
                self.meter.repeat_purchases += 1
                self.meter.repeat_revenue += value
        self._next_repeat_chance(customer)

    def _on_churn_chance(self, customer: Customer) -> None:
        """A candidate churn at the faded-relationship rate, kept with the relationship's weakness."""
        if not customer.active:
            return
        if customer.rng.random() < 1.0 - self._relationship.value(  # type: ignore[union-attr]
            self.clock.now - customer.last_engaged_at
        ):
            self._churn(customer, opted_out=False)
            return
        self._next_churn_chance(customer)

    def _next_repeat_chance(self, customer: Customer) -> None:
        """Schedule the customer's next candidate purchase (Poisson at the full-relationship rate)."""
        delay = customer.rng.expovariate(self._repeat_rate)  # type: ignore[union-attr]
        self.clock.at(delay, self._on_repeat_chance, customer)

    def _next_churn_chance(self, customer: Customer) -> None:
        """Schedule the customer's next candidate churn (Poisson at the faded-relationship rate)."""
        delay = customer.rng.expovariate(self._churn_rate)  # type: ignore[union-attr]
        self.clock.at(delay, self._on_churn_chance, customer)

    def _churn(self, customer: Customer, opted_out: bool) -> None:
        customer.active = False
        self._drop_pending(customer)
        del self._active[customer]
        if customer.cohort:
            self.meter.churned += 1
            self.meter.customer_opt_outs += opted_out

    # -- database expansion ----------------------------------------------------------

    def _setup_referrals(self, streams: Streams) -> None:
        referrals = self.scenario.referrals
        self._referral_traits = trait_streams(REFERRAL_SOURCE, referrals.traits, streams)
        self._referral_rng = streams.rng("referrals")
        self._referral_delay = Draws(referrals.delay.sample, streams.rng("referrals:delay"))
        self.department_pools = [ReferralPool(d, 0.0) for d in referrals.departments]
        """Each department's contact pool (in ``scenario.referrals.departments`` order)."""
        self._department_names = [d.name for d in referrals.departments]
        self._department_requests = [0] * len(self.department_pools)
        self._asked_departments: deque[ReferralPool] = deque()
        self._department_gap = self.cadence.referral.department_gap
        self._asks_customer = self.cadence.referral.asks_customer

    def _schedule_department_requests(self) -> None:
        for index in range(len(self.department_pools)):
            self._schedule_department_request(index)

    def _schedule_department_request(self, index: int) -> None:
        gap = self._department_gap(self._department_names[index], self._department_requests[index])
        if gap is not None:
            self.clock.at(gap, self._on_department_request_due, index)

    def _on_department_request_due(self, index: int) -> None:
        self._department_requests[index] += 1
        self._asked_departments.append(self.department_pools[index])
        self._due_task(DEPARTMENT_REFERRAL, None, self.clock.now, CLOSER_ON_TIME_MINUTES)
        self._schedule_department_request(index)

    def _begin_referral(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        return self._referral_time.next(), REACHED

    def _end_referral(self, task: Task, outcome: int, now: float) -> None:
        """A department request is done: the longest-waiting department asked hands over contacts."""
        pool = self._asked_departments.popleft()
        self._referred_leads(pool.ask(now, self._referral_rng))

    def _ask_customer(self, customer: Customer, now: float) -> None:
        """A customer reached and asked: the stronger the relationship, the more they refer."""
        if customer.contacts is None:
            customer.contacts = ReferralPool(self.scenario.referrals.customers, customer.won_at)
        strength = self._relationship.value(now - customer.last_engaged_at)
        self._referred_leads(customer.contacts.ask(now, self._referral_rng, strength))

    def _referred_leads(self, n: int) -> None:
        """A request was made: its *n* referred leads arrive over the following days."""
        self.meter.referral_requests += 1
        if n == 0:
            return
        now = self.clock.now
        delays = np.array([self._referral_delay.next() for _ in range(n)])
        for draw in self._referral_traits.draws(now + delays, len(self.scenario.sources)):
            self.clock.at(draw.arrived_at - now, self._on_referral_arrival, draw)
