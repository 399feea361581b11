"""Follow-up cadence: when to call again a lead that has not been reached.

After an attempt that does not reach the lead, the cadence gives the gap to the
next attempt, until ``max_attempts`` is used up and the lead is lost as never
reached. A follow-up that falls outside working hours waits for the next
window in which a rep is on shift. A follow-up counts as on time until
``on_time_window`` after its due time; that is its deadline in the queue.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from policies.base import Policy, param
from sim.config._types import PositiveMinutes


class FollowUpPolicy(Policy):
    """Base of follow-up cadences: subclasses define :meth:`gap_after`."""

    family = "followup"

    max_attempts: int = param(
        6, "attempts (first call included) before giving up", low=1, high=12, ge=1
    )
    on_time_window: PositiveMinutes = param(
        "1h", "how long after its due time a follow-up still counts as on time"
    )

    def gap_after(self, attempt: int) -> float | None:
        """Minutes from attempt number *attempt* (1 = first call) to the next, or None to stop."""
        raise NotImplementedError


class StepCadence(FollowUpPolicy):
    """An explicit list of gaps, e.g. ``[5m, 1h, 1d, 3d, 7d]``; the last gap repeats."""

    name = "steps"

    steps: list[PositiveMinutes] = Field(
        default=["5m", "1h", "1d", "3d", "1w"],
        min_length=1,
        description="gaps between consecutive attempts",
    )

    def gap_after(self, attempt: int) -> float | None:
        if attempt >= self.max_attempts:
            return None
        return self.steps[min(attempt, len(self.steps)) - 1]


class GeometricCadence(FollowUpPolicy):
    """Gaps that start at ``first_gap`` and grow by ``growth`` each time (capped at ``max_gap``)."""

    name = "geometric"

    first_gap: PositiveMinutes = param(
        "10m", "gap after the first attempt", low="1m", high="1d", log=True
    )
    growth: float = param(
        3.0, "factor by which each gap exceeds the previous one", low=1.0, high=6.0, ge=1
    )
    max_gap: PositiveMinutes = param("2w", "longest gap between attempts")

    @model_validator(mode="after")
    def _cap_not_below_first(self) -> GeometricCadence:
        if self.max_gap < self.first_gap:
            raise ValueError("max_gap must not be shorter than first_gap")
        return self

    def gap_after(self, attempt: int) -> float | None:
        if attempt >= self.max_attempts:
            return None
        return min(self.first_gap * self.growth ** (attempt - 1), self.max_gap)
