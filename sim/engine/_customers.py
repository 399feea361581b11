"""Customers and database expansion in :class:`~sim.engine.floor.SalesFloor`.

A won lead becomes a customer whose relationship fades without contact;
retention touches on the cadence renew it, which keeps repeat purchases coming
and churn away. Requests to other departments, and to customers reached by a
retention touch, bring referred leads that join the lead flow.

A part of the floor, split out to keep each module one stage of the sales rhythm.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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


class CustomerCare:
    """Retention touches, repeat purchases, churn and referral requests."""

    _at: Any
    _cancel_pending: Any
    _stopped_waiting: Any
    _due_task: Any
    _touch: Any
    clock: Any

    def _next_retention_touch(self, customer: Customer, now: float) -> None:
        gap = self._retention_gap(now - customer.won_at)
        if gap is not None:
            self._due_task(RETENTION, customer, now + gap, CLOSER_ON_TIME_MINUTES)

    def _begin_retention(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        """A retention touch; a customer reached is also asked for referrals when due."""
        customer: Customer = task.subject  # type: ignore[assignment]
        duration = self._retention_time()
        if self._touch(customer, now):
            return duration, OPTED_OUT
        if customer.rng.random() >= customer.reachability:
            return duration, NOT_REACHED
        if self._asks_customer(now - customer.asked_at):
            customer.asked_at = now
            return duration + self._referral_time(), ASKED
        return duration, REACHED

    def _end_retention(self, task: Task, outcome: int, now: float) -> None:
        customer: Customer = task.subject  # type: ignore[assignment]
        if not customer.active:
            return
        if outcome == OPTED_OUT:
            self._churn(customer, opted_out=True)
            return
        if outcome in (REACHED, ASKED):
            customer.last_engaged_at = now
        if outcome == ASKED:
            self._referred_leads(self.scenario.referrals.leads_per_customer_request)
        self._next_retention_touch(customer, now)

    def _on_repeat_chance(self, customer: Customer) -> None:
        """A candidate purchase at the full-relationship rate, kept with the relationship's strength."""
        if not customer.active:
            return
        now = self.clock.now
        if customer.rng.random() < self._relationship(now - customer.last_engaged_at):
            value = self._repeat_value(customer.rng.random())
            if customer.cohort:
                self.meter.repeat_purchases += 1
                self.meter.repeat_revenue += value
        self._at(customer.rng.expovariate(self._repeat_rate), self._on_repeat_chance, customer)

    def _on_churn_chance(self, customer: Customer) -> None:
        """A candidate churn at the faded-relationship rate, kept with the relationship's weakness."""
        if not customer.active:
            return
        if customer.rng.random() < 1.0 - self._relationship(
            self.clock.now - customer.last_engaged_at
        ):
            self._churn(customer, opted_out=False)
            return
        self._at(customer.rng.expovariate(self._churn_rate), self._on_churn_chance, customer)

    def _churn(self, customer: Customer, opted_out: bool) -> None:
        customer.active = False
        task = self._cancel_pending(customer)
        if task is not None and task.queued:
            self._stopped_waiting(task)
        del self._active[customer.id]
        if customer.cohort:
            self.meter.churned += 1
            self.meter.customer_opt_outs += opted_out

    # -- database expansion ----------------------------------------------------------

    def _schedule_department_request(self) -> None:
        gap = self._department_gap(self._department_requests)
        if gap is not None:
            self._at(gap, self._on_department_request_due, None)

    def _on_department_request_due(self, _: None) -> None:
        self._department_requests += 1
        self._due_task(DEPARTMENT_REFERRAL, None, self.clock.now, CLOSER_ON_TIME_MINUTES)
        self._schedule_department_request()

    def _begin_referral(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        return self._referral_time(), REACHED

    def _end_referral(self, task: Task, outcome: int, now: float) -> None:
        self._referred_leads(self.scenario.referrals.leads_per_department_request)

    def _referred_leads(self, mean: float) -> None:
        """A request was made: its referred leads arrive over the following days."""
        self.meter.referral_requests += 1
        n = int(self._referral_rng.poisson(mean))
        if n == 0:
            return
        now = self.clock.now
        delays = np.array([self._referral_delay() for _ in range(n)])
        for draw in self._referral_traits.draws(now + delays, len(self.scenario.sources)):
            self._at(draw.arrived_at - now, self._on_referral_arrival, draw)
