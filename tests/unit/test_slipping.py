"""The adherence rule's arithmetic answers bit for bit as ``Adherence.slip_chance`` did before it.

The reference is the formula the rule computed until :class:`Slipping` took it over (same
operations, same order): seeded results depend on every bit, so the comparison is ``==``.
Under the compiled kernel this checks the compiled class; with ``SALESPULSE_PURE_PYTHON=1``,
its source.
"""

from __future__ import annotations

import itertools
import math

import pytest

from sim.config.scenario import Adherence
from sim.config.slipping import Slipping

LOADS = [0.0, 0.5, 1.0, 1.0000001, 1.5, 2.0, 3.0, 7.25, 50.0, 1e6, math.inf]
PLANNING_MINUTES = [0.0, 1.0, 15.0, 30.0, 60.0, 1e4]
RULES = [
    {},
    {"busy_backlog_per_rep": 0.0, "swamped_excess_per_rep": 0.5, "planning_effect_scale": 7.0},
    {"busy_backlog_per_rep": 2.5, "slip_share_when_swamped": 0.9, "swamped_excess_per_rep": 9.0},
    {"slip_share_when_swamped": 0.0},
]


def _former(rule: Adherence, backlog_per_rep: float, planning_minutes: float) -> float:
    excess = backlog_per_rep - rule.busy_backlog_per_rep
    if excess <= 0 or not rule.slip_share_when_swamped:
        return 0.0
    swamped = -math.expm1(-excess / rule.swamped_excess_per_rep)
    planned = math.exp(-planning_minutes / rule.planning_effect_scale)
    return rule.slip_share_when_swamped * swamped * planned


@pytest.mark.parametrize("settings", RULES)
def test_slipping_equals_the_former_slip_chance_bit_for_bit(settings: dict) -> None:
    rule = Adherence(**settings)
    slipping = rule.compile()
    assert isinstance(slipping, Slipping)
    for load, minutes in itertools.product(LOADS, PLANNING_MINUTES):
        expected = _former(rule, load, minutes).hex()
        assert slipping.chance(load, minutes).hex() == expected, (load, minutes)
        assert rule.slip_chance(load, minutes).hex() == expected, (load, minutes)
