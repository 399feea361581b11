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
    from policies.cadence import Cadence
    from sim.scenario import RepGroup, Scenario


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


def staffed_groups(scenario: Scenario, cadence: Cadence) -> list[tuple[RepGroup, int, int]]:
    """``(group, responders, others)`` per rep group after the staffing and speed-to-lead policies.

    ``responder_share`` turns that share of each generalist group into responders.
    """
    share = cadence.speed_to_lead.responder_share
    staffed = []
    for group in scenario.reps:
        count = cadence.staffing.count_of(group.name, group.count)
        responders = round(share * count) if share is not None and group.role == "generalist" else 0
        staffed.append((group, responders, count - responders))
    return staffed


def staffing_problems(scenario: Scenario, cadence: Cadence) -> list[str]:
    """Why this cadence cannot staff this scenario (empty when it can), each naming its field."""
    names = [group.name for group in scenario.reps]
    problems = [
        f"policy.{family}.{field}.{name}: no rep group named {name!r}; expected one of: {', '.join(names)}"
        for family, field, keys in (
            ("staffing", "counts", cadence.staffing.counts),
            ("routing", "weights", cadence.routing.weights),
        )
        for name in keys
        if name not in names
    ]
    problems += [
        f"policy.staffing.counts.{name}: expected a number of reps >= 0, got {count}"
        for name, count in cadence.staffing.counts.items()
        if count < 0
    ]
    if problems:
        return problems
    staffed = staffed_groups(scenario, cadence)
    responders = sum(r + o for g, r, o in staffed if g.role in ("responder", "generalist"))
    closers = sum(o for g, _, o in staffed if g.role in ("closer", "generalist"))
    if responders == 0:
        problems.append(
            "scenario.reps: no responder or generalist is staffed, so nobody would call new leads "
            "(check scenario.reps roles and counts and policy.staffing.counts)"
        )
    if closers == 0:
        problems.append(
            "scenario.reps: no closer or generalist is staffed, so qualified leads and customers would never be "
            "worked (check scenario.reps roles and counts, policy.staffing.counts and "
            "policy.speed_to_lead.responder_share)"
        )
    return problems
