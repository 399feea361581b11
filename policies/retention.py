"""Retention: the rhythm of touches on existing customers.

A customer's relationship fades without contact; touches renew it, which keeps
repeat purchases coming and churn away. The schedule is a ladder by customer
age (default: weekly for the first 4 weeks, then monthly), e.g. daily in the
first week, every 3 days to week 4, weekly to week 13, then monthly::

    retention:
      schedule:
        - {until: 1w, every: 1d}
        - {until: 4w, every: 3d}
        - {until: 13w, every: 1w}
        - {every: 30d}            # from then on (omit to stop touching)
"""

from __future__ import annotations

import itertools

from pydantic import Field, model_validator

from policies.base import Policy, param
from sim.config._types import ConfigModel, PositiveMinutes


class RetentionStep(ConfigModel):
    """Touch every ``every`` while the customer is younger than ``until`` (none: forever)."""

    until: PositiveMinutes | None = None
    every: PositiveMinutes


class RetentionPolicy(Policy):
    """Touches on customers following a ladder by customer age."""

    family = "retention"
    name = "ladder"

    schedule: list[RetentionStep] = Field(
        default=[RetentionStep(until="4w", every="1w"), RetentionStep(every="30d")],
        description="touch intervals by customer age; an empty list means no retention touches",
    )
    intensity: float = param(
        1.0, "multiplier on touch frequency (2: twice as often)", low=0.25, high=4.0, log=True, gt=0
    )

    @model_validator(mode="after")
    def _ages_increase(self) -> RetentionPolicy:
        ends = [step.until for step in self.schedule]
        if any(end is None for end in ends[:-1]):
            raise ValueError("only the last step of a retention schedule may omit 'until'")
        finite = [end for end in ends if end is not None]
        if any(b <= a for a, b in itertools.pairwise(finite)):
            raise ValueError(
                "retention schedule goes backwards: each step's 'until' must be later than the previous"
            )
        return self

    def gap_at(self, age: float) -> float | None:
        """Minutes to the next touch for a customer *age* minutes old, or None to stop."""
        for step in self.schedule:
            if step.until is None or age < step.until:
                return step.every / self.intensity
        return None
