"""Sequence cadences: steps with a channel and an offset, exit rules, and what is refused."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from policies import REGISTRY, SequenceCadence
from sim.config import Channels

MIXED = [{"call": "0m"}, {"email": "10m"}, {"call": "1d"}, {"sms": "2d"}, {"call": "3d"}]


def test_steps_are_read_in_human_units_in_order() -> None:
    policy = SequenceCadence(steps=MIXED)
    assert policy.schedule == [
        ("call", 0.0),
        ("email", 10.0),
        ("call", 1440.0),
        ("sms", 2880.0),
        ("call", 4320.0),
    ]
    assert policy.call_offsets == [0.0, 1440.0, 4320.0]


def test_one_attempt_per_call_step_and_the_calls_only_gaps() -> None:
    policy = SequenceCadence(steps=MIXED)
    assert policy.max_attempts == 3
    assert [policy.gap_after(k) for k in (1, 2, 3)] == [1440.0, 2880.0, None]


def test_the_yaml_form_leaves_the_derived_attempts_out_so_new_steps_fit() -> None:
    """``--set policy.followup.steps`` and tune's named choices edit the written-out policy:
    a written ``max_attempts`` would refuse steps with another number of calls."""
    written = SequenceCadence(steps=MIXED).model_dump(mode="json")
    assert "max_attempts" not in written
    two_calls = SequenceCadence.model_validate({**written, "steps": MIXED[:3]})
    assert two_calls.max_attempts == 2


def test_the_default_sequence_and_exit_rules() -> None:
    policy = SequenceCadence()
    assert policy.schedule[0] == ("call", 0.0)
    assert policy.max_attempts == len(policy.call_offsets)
    assert policy.exit == ["reached", "replied"] and policy.exits_on_reply
    assert not SequenceCadence(exit=["reached"]).exits_on_reply


def test_it_is_a_registered_followup_policy_that_round_trips() -> None:
    assert REGISTRY["followup"]["sequence"] is SequenceCadence
    policy = SequenceCadence(steps=MIXED, min_gap="2h")
    written = policy.model_dump(mode="json")
    assert written["steps"][1] == {"email": "10m"} and written["min_gap"] == "2h"
    assert SequenceCadence.model_validate(written) == policy


def test_every_scenario_channel_may_be_a_step() -> None:
    assert Channels.names() == ("email", "sms", "social")  # not the cap across channels
    steps = [{"call": "0m"}, *({name: "1h"} for name in Channels.names())]
    assert SequenceCadence(steps=steps).max_attempts == 1


@pytest.mark.parametrize(
    ("fields", "phrase"),
    [
        ({"steps": [{"email": "0m"}, {"call": "1h"}]}, "the first step must be {call: 0m}"),
        ({"steps": [{"call": "5m"}]}, "the first step must be {call: 0m}"),
        ({"steps": [{"call": "0m"}, {"fax": "1d"}]}, "unknown channel 'fax'"),
        ({"steps": [{"call": "0m"}, {"call": "1d", "sms": "2d"}]}, "one channel and its offset"),
        ({"steps": [{"call": "0m"}, {"call": "2d"}, {"sms": "1d"}]}, "must not decrease"),
        ({"steps": [{"call": "0m"}, {"email": "soon"}]}, "duration"),
        ({"steps": []}, "at least 1"),
        ({"exit": ["replied"]}, "expected 'reached' among the exit rules"),
        ({"exit": ["reached", "bounced"]}, "'reached' or 'replied'"),
        ({"steps": MIXED, "max_attempts": 6}, "one attempt per call step (3 here)"),
        ({"min_gap": "-1h"}, "min_gap"),
    ],
)
def test_bad_sequences_are_refused_with_a_reason(fields: dict[str, Any], phrase: str) -> None:
    with pytest.raises(ValidationError) as error:
        SequenceCadence(**fields)
    assert phrase in str(error.value)
