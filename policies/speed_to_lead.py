"""Speed-to-lead: how quickly a new lead gets its first call attempt.

Lead-response studies find that the odds of qualifying a lead fall steeply in
the first minutes and hours after it arrives, so teams set a response-time
target. The target gives every new lead a deadline (arrival + target); with the
``deadline`` queue order, reps work whatever is closest to breaking its
deadline first, so a tighter target moves new leads ahead of follow-ups.
``new_leads_first`` goes further: new leads always jump the queue.
``responder_share`` turns that share of each generalist group into dedicated
responders who only work new leads (screening, first calls, follow-ups).
"""

from __future__ import annotations

from pydantic import Field

from policies.base import Policy, param
from sim.config._types import PositiveMinutes, Probability
from sim.config.units import MINUTES_PER_DAY, MINUTES_PER_HOUR


class SpeedToLeadPolicy(Policy):
    """Response-time target for the first attempt on a new lead."""

    family = "speed_to_lead"
    name = "target"

    response_target: PositiveMinutes = param(
        5.0,
        "time by which a new lead should have had its first call attempt",
        low=1.0,
        high=240.0,
        log=True,
    )
    new_leads_first: bool = param(
        False,
        "whether a new lead's first attempt always comes before any other queued work",
        choices=[False, True],
    )
    responder_share: Probability | None = param(
        None,
        "share of each generalist group that only works new leads (none: roles as in the scenario)",
    )

    def hold_minutes(self, luck: float) -> float:
        """Minutes a new lead is held before its first attempt may start (0: at once).

        *luck* is the lead's own uniform number; experiments such as the
        lead-response validation override this to force delays.
        """
        return 0.0

    @property
    def holds_leads(self) -> bool:
        """Whether :meth:`hold_minutes` may hold a lead at all: only where a subclass overrides
        it (this policy starts every first attempt at once, so the engine need not ask per lead)."""
        return type(self).hold_minutes is not SpeedToLeadPolicy.hold_minutes


class ForcedDelay(SpeedToLeadPolicy):
    """Hold each new lead for a random delay before its first attempt (for experiments).

    The delay is uniform within each ``[start, end)`` range, a range being chosen
    with probability proportional to its weight, using the lead's own luck.
    """

    name = "forced_delay"

    ranges: list[tuple[float, float, float]] = Field(
        default=[(0.0, 2 * MINUTES_PER_HOUR, 2.0), (MINUTES_PER_DAY, 3 * MINUTES_PER_DAY, 1.0)],
        description="(start minutes, end minutes, weight) of the first-attempt delay",
    )

    def hold_minutes(self, luck: float) -> float:
        total = sum(weight for _, _, weight in self.ranges)
        position = luck * total
        for start, end, weight in self.ranges:
            if position < weight:
                return start + (end - start) * position / weight
            position -= weight
        start, end, _ = self.ranges[-1]
        return end
