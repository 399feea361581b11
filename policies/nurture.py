"""Nurture: the rhythm of touches on a qualified lead until it decides.

A qualified prospect decides on its own clock. A touch that reaches them
renews their interest, brings the decision a little closer and builds
engagement, each with diminishing returns; every touch costs rep time and adds
to their fatigue. Touch too rarely and the prospect drifts to a competitor; too
often and they opt out or, annoyed, buy less (docs/decision_stage.md).

A new nurture policy subclasses :class:`NurturePolicy`, gives itself a ``name``
and overrides :meth:`~NurturePolicy.gap_after`.
"""

from __future__ import annotations

from policies.base import Policy, param
from sim.config._types import PositiveMinutes


class NurturePolicy(Policy):
    """Touch each prospect in the decision stage every ``interval``."""

    family = "nurture"
    name = "interval"

    interval: PositiveMinutes = param(
        "3d",
        "time between touches on a qualified lead",
        low="6h",
        high="21d",
        log=True,
    )

    def gap_after(self, touches: int) -> float | None:
        """Minutes from a prospect's *touches*-th decision-stage touch (1: the first meeting)
        to the next, or None to stop touching before the decision."""
        return self.interval
