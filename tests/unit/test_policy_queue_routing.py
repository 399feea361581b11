"""Queue order, routing, nurture and referral policies: the answers the engine asks them for."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from pydantic import ValidationError

from policies.nurture import NurturePolicy
from policies.queue import QueueDiscipline
from policies.referral import ReferralPolicy
from policies.routing import RoutingPolicy


@dataclass
class Work:
    due: float
    deadline: float
    value: float


@dataclass
class Person:
    id: int
    group: int
    busy_minutes: float = 0.0


WORK = [
    Work(due=10, deadline=40, value=2.0),
    Work(due=5, deadline=60, value=9.0),
    Work(20, 25, 1.0),
]


@pytest.mark.parametrize(
    ("order", "first"),
    [("deadline", 2), ("fifo", 1), ("lifo", 2), ("value", 1)],
)
def test_each_order_serves_the_right_task_first(order: str, first: int) -> None:
    policy = QueueDiscipline(order=order)
    priority = policy.priority_function()
    assert min(range(len(WORK)), key=lambda i: priority(WORK[i])) == first
    assert [policy.priority(w) for w in WORK] == [priority(w) for w in WORK]
    assert policy.needs_value == (order == "value")


def test_a_subclass_priority_is_what_the_engine_calls() -> None:
    class ShortestDeadlineSlack(QueueDiscipline):
        def priority(self, task: Work) -> float:  # type: ignore[override]
            return task.deadline - task.due

    assert ShortestDeadlineSlack().priority_function()(WORK[0]) == 30


def test_an_unknown_order_is_refused() -> None:
    with pytest.raises(ValidationError, match="order"):
        QueueDiscipline(order="random")


REPS = [Person(0, 0, 50.0), Person(1, 1, 10.0), Person(2, 1, 30.0)]


def _chooser(rule: str, **weights: float):
    policy = RoutingPolicy(rule=rule, weights=weights)
    return policy.chooser(["day", "evening"], len(REPS), np.random.default_rng(1))


def test_longest_idle_takes_the_first_candidate() -> None:
    assert _chooser("longest_idle")(REPS).id == 0


def test_least_busy_takes_the_rep_with_least_work_so_far() -> None:
    assert _chooser("least_busy")(REPS).id == 1


def test_round_robin_goes_round_from_the_last_rep_chosen() -> None:
    choose = _chooser("round_robin")
    assert [choose(REPS).id for _ in range(4)] == [0, 1, 2, 0]
    assert choose(REPS[:1]).id == 0 and choose(REPS[1:]).id == 1  # skips who is not idle


def test_weighted_routing_follows_the_group_weights() -> None:
    choose = _chooser("weighted", day=1.0, evening=3.0)
    picks = [choose(REPS).group for _ in range(4000)]
    share_day = picks.count(0) / len(picks)
    # Group weights per rep: day 1 (one rep), evening 3 (two reps): P(day) = 1 / 7.
    assert abs(share_day - 1 / 7) < 4 * np.sqrt((1 / 7) * (6 / 7) / len(picks))


def test_weighted_routing_needs_weights_and_no_negative_ones() -> None:
    with pytest.raises(ValidationError, match="weights"):
        RoutingPolicy(rule="weighted")
    with pytest.raises(ValidationError, match="negative"):
        RoutingPolicy(rule="weighted", weights={"day": -1.0, "evening": 2.0})
    assert RoutingPolicy(rule="weighted", weights={"day": 1.0}).rep_groups() == ["day"]


def test_nurture_touches_every_interval() -> None:
    policy = NurturePolicy(interval="2d")
    assert [policy.gap_after(n) for n in (1, 2, 10)] == [2880.0, 2880.0, 2880.0]


def test_referral_rhythm() -> None:
    policy = ReferralPolicy(department_interval="1w", customer_interval="30d")
    assert policy.department_gap("partners", 0) == policy.department_gap("events", 12) == 10080.0
    assert not policy.asks_customer(29 * 1440.0)
    assert policy.asks_customer(30 * 1440.0)
    never = ReferralPolicy(department_interval=None, customer_interval=None)
    assert never.department_gap("partners", 0) is None and not never.asks_customer(1e9)
