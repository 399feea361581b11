"""The manager: daily planning and review time that keeps the team on its cadence.

A busy team lets due cadence steps slip (see ``adherence`` in the scenario and
docs/adherence.md). A manager, or a lead rep, who spends time each working day
planning the day's follow-ups and touches and reviewing yesterday's makes
slipping rarer, with diminishing returns: each extra minute removes a share of
the slipping that is left. The time is taken from the team's selling time (a
closer's first task of each working day), so it costs rep hours.

A new manager policy subclasses :class:`ManagerPolicy`, gives itself a ``name``
and overrides :meth:`~ManagerPolicy.planning_minutes_on` (e.g. planning only on
Mondays).
"""

from __future__ import annotations

from policies.base import Policy, param
from sim.config._types import Minutes
from sim.config.units import MINUTES_PER_DAY


class ManagerPolicy(Policy):
    """Spend ``planning`` minutes of one rep's time each working day on planning and review."""

    family = "manager"
    name = "daily_planning"

    planning: Minutes = param(
        0.0,
        "planning and review time each working day, taken from one closer's shift (0: none)",
        low=0,
        high=120,
        le=MINUTES_PER_DAY / 3,
    )

    def planning_minutes_on(self, day: int) -> float:
        """Planning minutes on simulated day *day* (0: the first Monday); 0 for no planning."""
        return self.planning
