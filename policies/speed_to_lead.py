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

from policies.base import Policy, param
from sim.schema import PositiveMinutes, Probability


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
