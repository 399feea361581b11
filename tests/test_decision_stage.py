"""The decision stage: touches hasten the decision and raise engagement with diminishing
returns, and past a point they lose deals through fatigue and annoyance (docs/decision_stage.md).

Every comparison is paired: each nurture rhythm runs on the same replication seeds, so
the same leads arrive with the same luck and the differences are measured replication by
replication. The scenario has far more reps than work, on shift around the clock, so rep
capacity never binds: what the extra touches cost is fatigue, not rep time.
"""

from __future__ import annotations

import copy
import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import yaml

from sim.analysis.stats import t_halfwidth
from sim.config import ConfigError
from sim.engine import SalesFloor, replication_kpis, replication_seeds
from sim.engine.people import LOST_NOT_WON, NURTURE, WON, Lead, Task
from sim.experiment import Experiment, validate_experiment
from tests.conftest import BASELINE

GAPS = ["60d", "8d", "4d", "2d", "1d", "12h"]
"""Nurture intervals from no touch in the decision window (60 days) to a touch every day."""

REPLICATIONS = 8
SATURATION_GAP = "2d"
"""The documented point (docs/decision_stage.md): touching more often than every 2 days,
about 5 decision-stage touches per qualified prospect here, loses deals."""


def _unbound(gap: str, fatigue: dict[str, Any] | None = None, **decision: Any) -> Experiment:
    """Keen inbound callers, 300 a week, and 20 reps on shift around the clock: nobody waits."""
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    scenario = data["scenario"]
    scenario.update(horizon="6w", warmup="0m", drain="8w")
    source = copy.deepcopy(scenario["sources"][1])
    source.update(leads_per_week=300, profile="business_hours")
    scenario["sources"] = [source]
    scenario["reps"][0].update(
        count=20, shift={"days": "everyday", "start": "00:00", "end": "24:00"}
    )
    scenario["decision"].update(decision)
    scenario["fatigue"].update(fatigue or {})
    data["policy"]["screening"] = {"enabled": False}
    data["policy"]["referral"] = {"department_interval": None, "customer_interval": None}
    data["policy"]["nurture"] = {"interval": gap}
    return validate_experiment(data)


class _Decisions:
    """A recorder: the cohort's nurture touches and every decided lead."""

    def __init__(self) -> None:
        self.nurture_touches = 0
        self.decided: dict[float, Lead] = {}  # by arrival time: the same lead under every cadence

    def action(self, task: Task, rep_id: int, started: float, ended: float, outcome: str) -> None:
        if task.kind == NURTURE and task.subject is not None and task.subject.cohort:
            self.nurture_touches += 1

    def lead_closed(self, lead: Lead, outcome: str, now: float) -> None:
        if outcome in (WON, LOST_NOT_WON) and now == lead.decide_at:
            self.decided[lead.arrived_at] = lead


@dataclass
class _Arm:
    won: np.ndarray
    profit: np.ndarray
    opted_out: np.ndarray
    touches: np.ndarray  # decision-stage touches per qualified cohort lead
    utilisation: np.ndarray


def _run(gap: str, fatigue: dict[str, Any] | None = None, **decision: Any) -> _Arm:
    experiment = _unbound(gap, fatigue, **decision)
    rows = []
    for seed in replication_seeds(11, REPLICATIONS):
        decisions = _Decisions()
        kpis = replication_kpis(
            SalesFloor(experiment.scenario, experiment.policy, seed, recorder=decisions).simulate()
        )
        qualified = kpis["qualified_share"] * kpis["leads"]
        rows.append(
            (
                kpis["won"],
                kpis["profit"],
                kpis["lost_opted_out"],
                decisions.nurture_touches / qualified,
                kpis["utilisation"],
            )
        )
    return _Arm(*np.array(rows).T)


@pytest.fixture(scope="module")
def arms() -> dict[str, _Arm]:
    return {gap: _run(gap) for gap in GAPS}


def _ci(differences: np.ndarray) -> tuple[float, float]:
    """95% paired t interval of the mean difference."""
    mean = float(differences.mean())
    half = t_halfwidth(float(differences.std(ddof=1)), len(differences))
    return mean - half, mean + half


def _marginal_wins_per_touch(arms: dict[str, _Arm]) -> list[np.ndarray]:
    """Per replication, the deals won per extra decision-stage touch between neighbouring gaps."""
    return [
        (arms[b].won - arms[a].won) / (arms[b].touches - arms[a].touches)
        for a, b in itertools.pairwise(GAPS)
    ]


@pytest.mark.slow
def test_capacity_never_binds_and_touches_grow_as_gaps_shrink(arms: dict[str, _Arm]) -> None:
    for gap in GAPS:
        assert (arms[gap].utilisation < 0.3).all(), (gap, arms[gap].utilisation)
    touches = [float(arms[gap].touches.mean()) for gap in GAPS]
    assert touches[0] < 0.05  # no touch before the decision with 60-day gaps
    assert all(b > a + 1 for a, b in itertools.pairwise(touches)), touches
    assert touches[-1] > 10, touches


@pytest.mark.slow
def test_each_extra_touch_wins_fewer_deals_than_the_one_before(arms: dict[str, _Arm]) -> None:
    """Diminishing returns: the deals won per extra touch fall from one step to the next,
    up to the first step past the saturation point."""
    marginal = _marginal_wins_per_touch(arms)
    low, _ = _ci(marginal[0])
    assert low > 0  # the first touches pay
    for step in range(GAPS.index(SATURATION_GAP)):
        low, _ = _ci(marginal[step] - marginal[step + 1])
        assert low > 0, (GAPS[step : step + 3], marginal[step].mean(), marginal[step + 1].mean())


@pytest.mark.slow
def test_past_the_saturation_point_extra_touches_lose_deals_and_profit(
    arms: dict[str, _Arm],
) -> None:
    """Up to a touch every 2 days every step wins deals; beyond it every step loses deals
    (fatigue: more opt-outs, annoyed prospects), and the first one loses profit too."""
    saturation = GAPS.index(SATURATION_GAP)
    for a, b in itertools.pairwise(GAPS[: saturation + 1]):
        low, _ = _ci(arms[b].won - arms[a].won)
        assert low > 0, (a, b)
    for step, marginal in enumerate(_marginal_wins_per_touch(arms)[saturation:], saturation):
        _, high = _ci(marginal)
        assert high < 0, GAPS[step : step + 2]
    saturated, beyond = arms[SATURATION_GAP], arms[GAPS[saturation + 1]]
    _, high = _ci(beyond.profit - saturated.profit)
    assert high < 0
    low, _ = _ci(beyond.opted_out - saturated.opted_out)
    assert low > 0


@pytest.mark.slow
def test_without_fatigue_the_extra_touches_would_still_pay() -> None:
    """The loss past the saturation point is the prospects' fatigue: with no opt-outs and no
    annoyance, touching every day instead of every 2 days still wins a few deals."""
    calm = {"opt_out_per_touch": 0.0}
    saturated = _run(SATURATION_GAP, calm, annoyance_per_extra_touch=0.0)
    beyond = _run(GAPS[GAPS.index(SATURATION_GAP) + 1], calm, annoyance_per_extra_touch=0.0)
    low, _ = _ci(beyond.won - saturated.won)
    assert low > 0


def _decisions(gap: str, **decision: Any) -> dict[float, Lead]:
    experiment = _unbound(gap, **decision)
    decisions = _Decisions()
    seed = replication_seeds(3, 1)[0]
    SalesFloor(experiment.scenario, experiment.policy, seed, recorder=decisions).simulate()
    return decisions.decided


def test_touches_pull_the_decision_in_but_never_past_the_cap() -> None:
    """Same leads with and without touches: touched prospects decide earlier, by at most
    max_pull_in of their own time to decide."""
    own = _decisions("60d", pull_in_per_touch=0.5, max_pull_in=0.3)
    touched = _decisions("1d", pull_in_per_touch=0.5, max_pull_in=0.3)
    common = own.keys() & touched.keys()
    assert len(common) > 100
    earlier = 0
    for arrived in common:
        alone, nurtured = own[arrived], touched[arrived]
        # The same prospect has the same own clock under both cadences.
        assert nurtured.earliest_decision_at == alone.earliest_decision_at
        assert alone.earliest_decision_at <= nurtured.decide_at <= alone.decide_at
        earlier += nurtured.decide_at < alone.decide_at
    assert earlier > 0.8 * len(common)
    # With no pull-in the clock is the prospect's own, whatever the touches.
    fixed = _decisions("1d", pull_in_per_touch=0.0, max_pull_in=0.3)
    for arrived in common & fixed.keys():
        assert fixed[arrived].decide_at == own[arrived].decide_at


def test_close_per_touch_is_retired_with_a_clear_message() -> None:
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["scenario"]["decision"]["close_per_touch"] = 0.05
    with pytest.raises(ConfigError, match="close_per_touch was retired"):
        validate_experiment(data)
