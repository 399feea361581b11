"""Routing: which free rep gets a piece of work when several could take it.

Routing matters only when reps are idle; a busy team simply works the queue.
It matters most when reps differ (skill, role, shift). The rule is turned
into a small stateful chooser for each replication by :meth:`RoutingPolicy.chooser`;
a new routing policy subclasses :class:`RoutingPolicy`, gives itself a ``name`` and
overrides ``chooser``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Literal, Protocol

import numpy as np
from pydantic import Field, model_validator

from policies.base import Policy, param


class Rep(Protocol):
    """What routing sees of an idle rep: who it is, its group and its work time so far."""

    id: int
    group: int
    busy_minutes: float


Chooser = Callable[[Sequence[Rep]], Rep]
"""Picks one rep among idle candidates listed longest-idle first."""


class RoutingPolicy(Policy):
    """Longest idle, round robin, least busy, or weighted random by rep group."""

    family = "routing"
    name = "rule"

    rule: Literal["longest_idle", "round_robin", "least_busy", "weighted"] = param(
        "longest_idle",
        "longest_idle: the rep idle longest; round_robin: the next rep in a fixed rotation; "
        "least_busy: the rep with the least work time so far; weighted: random, by group weight",
        choices=["longest_idle", "round_robin", "least_busy", "weighted"],
    )
    weights: dict[str, float] = Field(
        default_factory=dict, description="rep group name -> weight, for the weighted rule"
    )

    @model_validator(mode="after")
    def _weights_usable(self) -> RoutingPolicy:
        if any(w < 0 for w in self.weights.values()):
            raise ValueError("routing weights must not be negative")
        if self.rule == "weighted" and sum(self.weights.values()) <= 0:
            raise ValueError(
                "the weighted rule needs weights per rep group that sum to more than zero"
            )
        return self

    def rep_groups(self) -> list[str]:
        """Rep group names this policy refers to (checked against the scenario)."""
        return list(self.weights)

    def chooser(self, group_names: list[str], rep_count: int, rng: np.random.Generator) -> Chooser:
        """A rep chooser for one replication (round robin keeps its place; weighted draws from *rng*)."""
        return _CHOOSERS[self.rule](self, group_names, rep_count, rng)


def _longest_idle(
    policy: RoutingPolicy, group_names: list[str], rep_count: int, rng: np.random.Generator
) -> Chooser:
    return itemgetter(0)  # candidates come longest idle first; in C, no Python call per task


def _least_busy(
    policy: RoutingPolicy, group_names: list[str], rep_count: int, rng: np.random.Generator
) -> Chooser:
    return lambda candidates: min(candidates, key=lambda rep: (rep.busy_minutes, rep.id))


def _round_robin(
    policy: RoutingPolicy, group_names: list[str], rep_count: int, rng: np.random.Generator
) -> Chooser:
    last = [-1]

    def next_in_rotation(candidates: Sequence[Rep]) -> Rep:
        rep = min(candidates, key=lambda r: (r.id - last[0] - 1) % rep_count)
        last[0] = rep.id
        return rep

    return next_in_rotation


def _weighted(
    policy: RoutingPolicy, group_names: list[str], rep_count: int, rng: np.random.Generator
) -> Chooser:
    group_weight = [policy.weights.get(name, 0.0) for name in group_names]

    def weighted(candidates: Sequence[Rep]) -> Rep:
        weights = np.array([group_weight[rep.group] for rep in candidates])
        total = weights.sum()
        if total <= 0:
            return candidates[0]
        return candidates[
            int(np.searchsorted(np.cumsum(weights), rng.random() * total, side="right"))
        ]

    return weighted


_CHOOSERS = {
    "longest_idle": _longest_idle,
    "round_robin": _round_robin,
    "least_busy": _least_busy,
    "weighted": _weighted,
}
