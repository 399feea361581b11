"""Comebacks: unanswered leads who call back or inquire again, fewer the more they were touched.

The building blocks of :mod:`sim.engine._comebacks` (docs/comebacks.md): a lead who
opted out never comes back, a comeback is answered as an inbound call, and the chance of
coming back shrinks with the lead's remembered touches beyond the fatigue tolerance as a
prospect's win chance does.
"""

from __future__ import annotations

import math
import random
from typing import Any

import numpy as np
import pytest

from sim.config import ConfigError
from sim.engine import SalesFloor
from sim.engine.arrivals import LUCK_SIZE
from sim.engine.people import INBOUND_CALL, LOST_NEVER_REACHED, Lead, Task
from sim.experiment import Experiment, validate_experiment

SEED = np.random.SeedSequence(31)


def _experiment(tiny: dict[str, Any], fatigue: dict[str, Any], **comebacks: Any) -> Experiment:
    """The tiny baseline; every unanswered dial leaves a voicemail."""
    scenario = tiny["scenario"]
    scenario["actions"]["voicemail_share"] = 1.0
    scenario["fatigue"].update(fatigue)
    scenario.setdefault("response", {})["comebacks"] = comebacks
    return validate_experiment(tiny)


class _InboundCalls:
    """A recorder counting the inbound calls reps took."""

    def __init__(self) -> None:
        self.inbound = 0

    def action(self, task: Task, rep_id: int, started: float, ended: float, outcome: str) -> None:
        self.inbound += task.kind == INBOUND_CALL

    def lead_closed(self, lead: Lead, outcome: str, now: float) -> None:
        pass


def _inbound_calls(experiment: Experiment) -> int:
    calls = _InboundCalls()
    SalesFloor(experiment.scenario, experiment.policy, SEED, recorder=calls).simulate()
    return calls.inbound


def test_a_lead_who_opted_out_never_calls_back(tiny: dict[str, Any]) -> None:
    sure = {"voicemail_callback_chance": 1.0, "return_chance": 1.0}
    # Every voicemail brings a call-back: reps take inbound calls.
    assert _inbound_calls(_experiment(tiny, {"opt_out_per_touch": 0.0}, **sure)) > 0
    # Every lead opts out at its first call: nobody calls back or returns.
    assert _inbound_calls(_experiment(tiny, {"opt_out_per_touch": 1.0, "exponent": 0}, **sure)) == 0


def test_no_comebacks_without_their_chances(tiny: dict[str, Any]) -> None:
    none = {"voicemail_callback_chance": 0.0, "return_chance": 0.0}
    assert _inbound_calls(_experiment(tiny, {}, **none)) == 0


def _returns(floor: SalesFloor, remembered_touches: float, leads: int) -> float:
    """Share of *leads* whose follow-ups ended with *remembered_touches* that come back."""
    luck = random.Random(7)
    back = 0
    for index in range(leads):
        lead = Lead(
            index, 0, 0.0, 0.3, 0.5, 2400.0, True, [luck.random() for _ in range(LUCK_SIZE)], False
        )
        lead.fatigue = remembered_touches
        floor._active[lead] = None
        floor._follow_ups_ended(lead, 0.0)
        back += lead.outcome != LOST_NEVER_REACHED
    return back / leads


def test_fatigue_beyond_the_tolerance_lowers_the_chance_of_returning(
    tiny: dict[str, Any],
) -> None:
    experiment = _experiment(tiny, {}, voicemail_callback_chance=0.0, return_chance=1.0)
    floor = SalesFloor(experiment.scenario, experiment.policy, SEED)
    tolerance = experiment.scenario.fatigue.tolerance
    keep = 1.0 - experiment.scenario.decision.annoyance_per_extra_touch
    leads = 4_000
    try:
        # Within the tolerance every lead returns (the chance is 1).
        assert _returns(floor, tolerance, leads) == 1.0
        # Two remembered touches beyond it: the decision stage's annoyance, keep ** 2.
        share = _returns(floor, tolerance + 2, leads)
        expected = keep**2
        assert abs(share - expected) < 4 * math.sqrt(expected * (1 - expected) / leads), share
        # Many beyond it: almost nobody returns.
        assert _returns(floor, tolerance + 40, leads) < 0.01
    finally:
        # The floor never ran, so nothing broke its cycles (its pending comebacks hold its
        # methods); compiled, they are not tracked, and the floor would outlive the test.
        floor._let_go()


@pytest.mark.parametrize(
    "field, value",
    [("voicemail_callback_chance", 1.5), ("return_chance", -0.1), ("return_delay", "0m")],
)
def test_bad_comeback_values_are_refused(tiny: dict[str, Any], field: str, value: Any) -> None:
    with pytest.raises(ConfigError, match=field):
        _experiment(tiny, {}, **{field: value})
