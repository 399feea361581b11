"""Staffing: how many reps work in each group (and so on each shift and role).

The scenario lists the rep groups with their shifts, roles and default
counts; a staffing policy overrides counts by group name, so a cadence can
trade headcount against speed, for example by adding an evening shift::

    staffing:
      counts: {day_team: 18, evening_team: 3}
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from policies.base import Policy

if TYPE_CHECKING:
    from sim.config.scenario import RepGroup, Scenario


class StaffingPolicy(Policy):
    """Rep counts per group, overriding the scenario's (a group may be set to 0)."""

    family = "staffing"
    name = "counts"

    counts: dict[str, int] = Field(
        default_factory=dict,
        description="rep group name -> number of reps (groups not listed keep theirs)",
    )

    def count_of(self, group: str, default: int) -> int:
        """The number of reps in *group* under this policy."""
        return self.counts.get(group, default)

    def staffed_groups(
        self, scenario: Scenario, responder_share: float | None
    ) -> list[tuple[RepGroup, int, int]]:
        """``(group, responders, others)`` per rep group of *scenario* under this policy.

        *responder_share* (the speed-to-lead policy's) turns that share of each
        generalist group into dedicated responders.
        """
        staffed = []
        for group in scenario.reps:
            count = self.count_of(group.name, group.count)
            responders = (
                round(responder_share * count)
                if responder_share is not None and group.role == "generalist"
                else 0
            )
            staffed.append((group, responders, count - responders))
        return staffed
