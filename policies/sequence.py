"""Sequence cadence: calls, emails, texts and LinkedIn touches on offsets, as sales tools run them.

A sequence is a list of steps, each a channel and an offset from the first call::

    followup:
      name: sequence
      steps: [{call: 0m}, {email: 10m}, {call: 1d}, {sms: 2d}, {call: 3d}]
      exit: [reached, replied]

The first step is the first call (the speed-to-lead policy times it, so it is
``{call: 0m}``). Each later step falls due at its offset after the first call, or
at once if the previous step finished later, and never sooner than ``min_gap``
after the previous touch on the lead. The lead leaves the sequence when a call
reaches it (``reached``: the conversation then decides; always in force) and,
with ``replied`` among the exit rules, a reply to an email or a text ends the
automated touches: the rep calls the lead back at once, and only the remaining
call steps follow. The channels and what a touch on each does are the scenario's
``channels:`` section (docs/channels.md). A lead still not reached after the last
step is lost as never reached.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from policies.followup import FollowUpPolicy
from sim.config._types import Minutes
from sim.config.channels import CALL, Channels

ExitRule = Literal["reached", "replied"]
"""What takes a lead out of the sequence: a call reached it, or it replied to a touch."""

CHANNEL_NAMES = (CALL, *Channels.names())
"""The channels a step may name: the phone and every channel of ``scenario.channels``."""


class SequenceCadence(FollowUpPolicy):
    """A multichannel sequence: ``[{call: 0m}, {email: 10m}, {call: 1d}, ...]`` with exit rules."""

    name = "sequence"

    steps: list[dict[str, Minutes]] = Field(
        default=[{CALL: "0m"}, {"email": "10m"}, {CALL: "1d"}, {"sms": "2d"}, {CALL: "3d"}],
        min_length=1,
        description="the steps in order, each {channel: offset after the first call}",
    )
    exit: list[ExitRule] = Field(
        default=["reached", "replied"],
        description="what ends the sequence: reached (a call got through), replied (to a touch)",
    )
    min_gap: Minutes = Field(
        "0m", description="shortest time between two touches on one lead (any channel)"
    )
    max_attempts: int = Field(
        6,
        ge=1,
        exclude=True,  # derived from steps: written back, it would pin the next steps' calls
        description="the number of call steps (set from steps, not written to YAML)",
    )

    @model_validator(mode="before")
    @classmethod
    def _attempts_are_the_calls(cls, data: Any) -> Any:
        """``max_attempts`` is the number of call steps; it cannot be set to anything else."""
        if not isinstance(data, dict):
            return data
        steps = data.get("steps", cls.model_fields["steps"].default)
        if not isinstance(steps, list):
            return data
        calls = sum(1 for step in steps if isinstance(step, dict) and CALL in step)
        if data.get("max_attempts", calls) != calls:
            raise ValueError(
                f"max_attempts: a sequence makes one attempt per call step ({calls} here); "
                "leave max_attempts out and list the calls in steps"
            )
        return {**data, "max_attempts": max(calls, 1)}

    @field_validator("steps")
    @classmethod
    def _steps_in_order(cls, steps: list[dict[str, float]]) -> list[dict[str, float]]:
        for index, step in enumerate(steps):
            if len(step) != 1:
                raise ValueError(
                    f"step {index + 1}: expected one channel and its offset, such as "
                    f"{{email: 10m}}, got {len(step)} entries"
                )
            (channel,) = step
            if channel not in CHANNEL_NAMES:
                raise ValueError(
                    f"step {index + 1}: unknown channel {channel!r}; "
                    f"expected one of: {', '.join(CHANNEL_NAMES)}"
                )
        if steps[0] != {CALL: 0.0}:
            raise ValueError(
                "the first step must be {call: 0m}: the first call, timed by the speed-to-lead policy"
            )
        offsets = [offset for step in steps for offset in step.values()]
        for index in range(1, len(offsets)):
            if offsets[index] < offsets[index - 1]:
                raise ValueError(
                    f"step {index + 1}: offsets must not decrease (each is measured "
                    "from the first call)"
                )
        return steps

    @field_validator("exit")
    @classmethod
    def _reached_always_exits(cls, rules: list[str]) -> list[str]:
        if "reached" not in rules:
            raise ValueError(
                "expected 'reached' among the exit rules: a call that reaches the lead "
                "always ends the sequence (the conversation decides what follows)"
            )
        return rules

    @property
    def schedule(self) -> list[tuple[str, float]]:
        """``[(channel, minutes after the first call), ...]``, the steps in order."""
        return [next(iter(step.items())) for step in self.steps]

    @property
    def call_offsets(self) -> list[float]:
        """When each call step falls due, in minutes after the first call."""
        return [offset for channel, offset in self.schedule if channel == CALL]

    @property
    def exits_on_reply(self) -> bool:
        """Whether a reply ends the automated touches (the rep calls back at once)."""
        return "replied" in self.exit

    def gap_after(self, attempt: int) -> float | None:
        """The time between call *attempt* and the next call step (as a calls-only view)."""
        offsets = self.call_offsets
        if attempt >= len(offsets):
            return None
        return offsets[attempt] - offsets[attempt - 1]
