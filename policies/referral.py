"""Database expansion: asking other departments and customers for new contacts.

Every request costs a closer's time. Each department (and each customer) has a
pool of contacts that a request draws from and that time refills
(``scenario.referrals``), so the leads a request brings in fall as requests come
closer together: asking twice as often does not bring twice the leads. Referred
leads arrive over the following days and join the normal lead flow as the
``referral`` source. Customers are asked during a retention touch that reaches
them, at most once per ``customer_interval``; what they refer also grows with
the relationship.
"""

from __future__ import annotations

from policies.base import Policy, param
from sim.config._types import PositiveMinutes


class ReferralPolicy(Policy):
    """How often the team asks each department, and each customer, for new contacts."""

    family = "referral"
    name = "rhythm"

    department_interval: PositiveMinutes | None = param(
        "2w", "time between requests to each department (none: never ask)"
    )
    customer_interval: PositiveMinutes | None = param(
        None,
        "least time between requests to the same customer, made during retention touches (none: never ask)",
    )

    def department_gap(self, department: str, requests_made: int) -> float | None:
        """Minutes until the next request to *department*, after *requests_made* to it so far
        (None: stop asking)."""
        return self.department_interval

    def asks_customer(self, minutes_since_last_ask: float) -> bool:
        """Whether a retention touch that reaches a customer also asks them for contacts."""
        interval = self.customer_interval
        return interval is not None and minutes_since_last_ask >= interval
