"""Staffing: rep counts per group, responders carved out of generalists, and what cannot work."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from policies.cadence import Cadence
from sim.config import Scenario
from tests.unit.hypothesis_settings import UNIT


def scenario(*groups: tuple[str, int, str]) -> Scenario:
    """A scenario with one lead source and these ``(name, count, role)`` rep groups."""
    return Scenario(
        sources=[{"name": "web_form", "leads_per_week": 100}],
        reps=[{"name": name, "count": count, "role": role} for name, count, role in groups],
    )


TEAM = scenario(("day", 10, "generalist"), ("evening", 3, "generalist"), ("closers", 4, "closer"))


def staffing(cadence: Cadence, team: Scenario = TEAM) -> dict[str, tuple[int, int]]:
    """``{group name: (responders, others)}`` under *cadence*."""
    return {group.name: (r, o) for group, r, o in cadence.staffed_groups(team)}


def test_the_scenarios_counts_by_default() -> None:
    cadence = Cadence()
    assert staffing(cadence) == {"day": (0, 10), "evening": (0, 3), "closers": (0, 4)}
    assert cadence.rep_count(TEAM) == 17
    assert cadence.staffing_problems(TEAM) == []


def test_counts_override_groups_by_name() -> None:
    cadence = Cadence(staffing={"counts": {"evening": 0, "closers": 6}})
    assert staffing(cadence) == {"day": (0, 10), "evening": (0, 0), "closers": (0, 6)}
    assert cadence.rep_count(TEAM) == 16
    assert cadence.staffing.count_of("day", 10) == 10


def test_a_responder_share_splits_generalist_groups_only() -> None:
    cadence = Cadence(speed_to_lead={"responder_share": 0.25})
    assert staffing(cadence) == {"day": (2, 8), "evening": (1, 2), "closers": (0, 4)}
    assert cadence.rep_count(TEAM) == 17  # the same people, in other roles


@UNIT
@given(
    st.lists(st.integers(0, 40), min_size=3, max_size=3),
    st.one_of(st.none(), st.floats(0, 1)),
)
def test_staffing_keeps_every_rep(counts: list[int], share: float | None) -> None:
    names = ("day", "evening", "closers")
    cadence = Cadence(
        staffing={"counts": dict(zip(names, counts, strict=True))},
        speed_to_lead={"responder_share": share},
    )
    staffed = staffing(cadence)
    assert [r + o for r, o in staffed.values()] == counts
    assert cadence.rep_count(TEAM) == sum(counts)
    assert all(r >= 0 and o >= 0 for r, o in staffed.values())
    assert staffed["closers"][0] == 0


@pytest.mark.parametrize(
    ("policy", "team", "problem"),
    [
        (
            {"staffing": {"counts": {"nights": 2}}},
            TEAM,
            "policy.staffing.counts.nights: no rep group named 'nights'; expected one of: day, evening, closers",
        ),
        (
            {"staffing": {"counts": {"day": -1}}},
            TEAM,
            "policy.staffing.counts.day: expected a number of reps >= 0, got -1",
        ),
        (
            {"staffing": {"counts": {"day": 0, "evening": 0}}},
            TEAM,
            "scenario.reps: no responder or generalist is staffed",
        ),
        (
            {"speed_to_lead": {"responder_share": 1.0}},
            scenario(("day", 5, "generalist")),
            "scenario.reps: no closer or generalist is staffed",
        ),
        (
            {},
            scenario(("closers", 5, "closer")),
            "scenario.reps: no responder or generalist is staffed",
        ),
    ],
)
def test_staffing_problems_name_the_field(
    policy: dict[str, Any], team: Scenario, problem: str
) -> None:
    problems = Cadence(**policy).staffing_problems(team)
    assert len(problems) == 1 and problems[0].startswith(problem), problems
