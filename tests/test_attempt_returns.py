"""The k-th call attempt: later attempts still reach leads, with diminishing returns and a cost.

Paired replications (the same leads, with the same luck, in every arm) of validate's
study population (the default web-form leads, first called after delays like the
studied teams', worked by so many reps that nobody waits), with the follow-up
cadence's attempt cap as the only difference. What a sales leader should recognise (docs/response_curve.md):

- follow-ups are worth something: a second attempt wins a clear share of extra deals;
- each further attempt wins fewer extra deals than the one before;
- past a point, the extra deals of one more attempt are worth less than what the
  attempts cost (touch cost plus the rep minutes they take, at the rep's hourly cost);
- and when the attempts come close together, past a point one more attempt loses deals
  even though rep time is free: an unreached lead may call back or inquire again on its
  own (as a fresh, interested lead), and every attempt adds to the fatigue that makes it
  less likely to (docs/comebacks.md). Without comebacks the same attempts still pay.
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


HAMMERING = ["2h"]
"""The documented cadence of the comeback test: a follow-up every 2 hours, day and night."""
HAMMERING_CAPS = (1, 2, 4, 8)
NEGATIVE_FROM = 4
"""The documented point (docs/comebacks.md): on 2-hourly follow-ups, attempts 5-8 lose deals."""
KEEN_SOURCE = {
    "deal_value": {"mean": 2400, "sd": 1},
    "fit_rate": 1.0,
    "intent": {"mean": 0.6, "concentration": 4},
}
"""Every lead realistic and keen and every deal worth the same: the won value counts deals."""
COMEBACKS = {"voicemail_callback_chance": 0.048, "return_chance": 0.1}
"""The documented comeback chances (docs/comebacks.md; off in the default scenario)."""
NO_COMEBACKS = {"voicemail_callback_chance": 0.0, "return_chance": 0.0}


def _hammered(study: Experiment, attempts: int, comebacks: dict[str, float]) -> Experiment:
    config = study.to_config()
    config["scenario"]["sources"][0].update(KEEN_SOURCE)
    config["scenario"]["response"]["comebacks"] = comebacks
    config["policy"]["followup"] = {"name": "steps", "steps": HAMMERING, "max_attempts": attempts}
    return Experiment.model_validate(config)


def won_value(floor: SalesFloor) -> float:
    """The cohort's won deal value (rep time not counted: capacity is unlimited)."""
    return floor.meter.deal_revenue


@pytest.fixture(scope="module")
def hammered() -> dict[tuple[bool, int], np.ndarray]:
    """Per (comebacks on, cap): won value by replication on paired seeds."""
    study = lead_response_experiment(leads=6_000, replications=REPLICATIONS, seed=404)
    seeds = replication_seeds(404, REPLICATIONS)
    runs = {}
    for comebacks, cap in itertools.product((True, False), HAMMERING_CAPS):
        experiment = _hammered(study, cap, COMEBACKS if comebacks else NO_COMEBACKS)
        runs[comebacks, cap] = np.array(
            run_many(experiment.scenario, experiment.policy, seeds, jobs=2, measure=won_value)
        )
    return runs


def _gains_per_attempt(
    hammered: dict[tuple[bool, int], np.ndarray], comebacks: bool
) -> dict[int, tuple[float, float]]:
    """Per step between caps (keyed by its higher cap): extra won value per attempt, mean and CI."""
    return {
        high: _paired_mean_and_halfwidth(
            (hammered[comebacks, high] - hammered[comebacks, low]) / (high - low)
        )
        for low, high in itertools.pairwise(HAMMERING_CAPS)
    }


@pytest.mark.slow
def test_close_attempts_past_a_point_lose_deals_with_unlimited_reps(
    hammered: dict[tuple[bool, int], np.ndarray],
) -> None:
    gains = _gains_per_attempt(hammered, comebacks=True)
    means = [mean for mean, _ in gains.values()]
    # The extra won value of an attempt falls with its number ...
    assert all(b < a for a, b in itertools.pairwise(means)), gains
    assert gains[2][0] - gains[2][1] > 0, gains  # a second attempt still wins deals
    # ... and beyond the documented point it is negative: the 95% CI lies below zero.
    last = HAMMERING_CAPS[-1]
    assert HAMMERING_CAPS[-2] == NEGATIVE_FROM
    assert gains[last][0] + gains[last][1] < 0, gains


@pytest.mark.slow
def test_it_is_the_comebacks_that_make_close_attempts_lose(
    hammered: dict[tuple[bool, int], np.ndarray],
) -> None:
    # Without comebacks, the same late attempts still win deals: an unreached lead is worth nothing.
    last = HAMMERING_CAPS[-1]
    mean, halfwidth = _gains_per_attempt(hammered, comebacks=False)[last]
    assert mean - halfwidth > 0, (mean, halfwidth)
