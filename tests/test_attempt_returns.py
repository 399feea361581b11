"""The k-th call attempt: later attempts still reach leads, with diminishing returns and a cost.

Paired replications (the same leads, with the same luck, in every arm) of validate's
study population (the default web-form leads, first called after delays like the
studied teams', worked by so many reps that nobody waits), with the follow-up
cadence's attempt cap as the only difference. What a sales leader should recognise (docs/response_curve.md):

- follow-ups are worth something: a second attempt wins a clear share of extra deals;
- each further attempt wins fewer extra deals than the one before;
- past a point, the extra deals of one more attempt are worth less than what the
  attempts cost (touch cost plus the rep minutes they take, at the rep's hourly cost).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from sim.analysis.replications import run_many
from sim.analysis.stats import t_halfwidth
from sim.config.units import MINUTES_PER_HOUR
from sim.engine.floor import SalesFloor
from sim.engine.streams import replication_seeds
from sim.experiment import Experiment
from sim.validation.lead_response import lead_response_experiment

CAPS = (1, 2, 3, 4, 6, 8, 10)
REPLICATIONS = 8


def _capped(study: Experiment, attempts: int) -> Experiment:
    policy = study.policy.to_config()
    policy["followup"] = {**policy["followup"], "max_attempts": attempts}
    return Experiment.model_validate({**study.to_config(), "policy": policy})


def won_and_cost(floor: SalesFloor) -> tuple[float, float]:
    """Won deal value and what the attempts cost: touch cost plus rep minutes at the hourly cost."""
    economics = floor.scenario.economics
    meter = floor.meter
    busy_minutes = sum(rep.busy_minutes for rep in floor.reps)
    cost = (
        economics.cost_per_touch * meter.cohort_touches
        + economics.rep_cost_per_hour * busy_minutes / MINUTES_PER_HOUR
    )
    return meter.deal_revenue, cost


@pytest.fixture(scope="module")
def by_cap() -> dict[int, np.ndarray]:
    """Per cap: (replication, [won value, cost]) on paired seeds."""
    study = lead_response_experiment(leads=6_000, replications=REPLICATIONS, seed=404)
    seeds = replication_seeds(404, REPLICATIONS)
    return {
        cap: np.array(
            run_many(
                (experiment := _capped(study, cap)).scenario,
                experiment.policy,
                seeds,
                jobs=2,
                measure=won_and_cost,
            )
        )
        for cap in CAPS
    }


def _paired_mean_and_halfwidth(differences: np.ndarray) -> tuple[float, float]:
    return float(differences.mean()), t_halfwidth(float(differences.std(ddof=1)), differences.size)


@pytest.mark.slow
def test_later_attempts_still_pay_but_less_and_less(by_cap: dict[int, np.ndarray]) -> None:
    gains = []
    for low, high in itertools.pairwise(CAPS):
        extra = (by_cap[high][:, 0] - by_cap[low][:, 0]) / (high - low)
        gains.append(_paired_mean_and_halfwidth(extra))
    second, _ = gains[0]
    # A second attempt wins clearly more: the paired interval excludes zero.
    assert second - gains[0][1] > 0, gains
    # Diminishing returns: each step's gain per attempt is below the previous one's,
    # and the last steps' gain is a small fraction of the second attempt's.
    means = [mean for mean, _ in gains]
    assert all(b < a for a, b in itertools.pairwise(means)), means
    assert means[-1] < 0.2 * second, means


@pytest.mark.slow
def test_past_a_point_one_more_attempt_costs_more_than_it_wins(
    by_cap: dict[int, np.ndarray],
) -> None:
    net = {}
    for low, high in itertools.pairwise(CAPS):
        won = by_cap[high][:, 0] - by_cap[low][:, 0]
        cost = by_cap[high][:, 1] - by_cap[low][:, 1]
        net[high] = _paired_mean_and_halfwidth(won - cost)
    assert net[2][0] - net[2][1] > 0, net  # the second attempt pays for itself
    assert net[10][0] + net[10][1] < 0, net  # attempts 9-10 do not
