"""Keeping the rhythm: busy teams put off or skip cadence steps; daily planning helps, at a cost.

Unit tests pin the slip rule (:meth:`Adherence.slip_chance`), the manager policy
and what the engine does with one due step; paired end-to-end runs (the same
seeds under each setting) show that a loaded team lets steps slip, that
planning time makes slipping rarer with diminishing returns and costs rep
hours, and that a team with no load, or perfect adherence by configuration,
gives exactly the numbers it gave before adherence was modelled.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import numpy as np
import pytest

from policies import REGISTRY, Cadence, ManagerPolicy
from sim.config import ConfigError
from sim.config.scenario import Adherence
from sim.config.units import MINUTES_PER_DAY, MINUTES_PER_HOUR
from sim.engine.floor import SalesFloor
from sim.engine.kpis import KPIS, replication_kpis
from sim.engine.people import CLOSER_QUEUE, DEPARTMENT_REFERRAL, PLANNING
from sim.experiment import validate_experiment

SEEDS = np.random.SeedSequence(20261130).spawn(3)
WORKING_DAYS_IN_WINDOW = 5
MONDAY_OPENS = 8.5 * 60
"""The baseline's shift starts at 08:30 on weekdays."""
TUESDAY_OPENS = MONDAY_OPENS + MINUTES_PER_DAY
"""The tiny experiment measures one week of weekday shifts."""


# --- the rule ------------------------------------------------------------------------


def test_no_slip_at_or_below_the_busy_level() -> None:
    rule = Adherence(busy_backlog_per_rep=2.0)
    assert rule.slip_chance(0.0, 0.0) == 0.0
    assert rule.slip_chance(2.0, 0.0) == 0.0
    assert rule.slip_chance(2.01, 0.0) > 0.0


def test_slip_grows_with_backlog_towards_its_most() -> None:
    rule = Adherence(
        busy_backlog_per_rep=1.0, slip_share_when_swamped=0.5, swamped_excess_per_rep=2
    )
    chances = [rule.slip_chance(load, 0.0) for load in (1.5, 2.0, 3.0, 5.0, 9.0, 50.0)]
    assert chances == sorted(chances) and len(set(chances)) == len(chances)
    assert rule.slip_chance(3.0, 0.0) == pytest.approx(0.5 * (1 - math.exp(-1)))
    assert chances[-1] == pytest.approx(0.5) and all(c <= 0.5 for c in chances)


def test_planning_cuts_slipping_with_diminishing_returns() -> None:
    rule = Adherence(planning_effect_scale=30.0)
    unplanned = rule.slip_chance(4.0, 0.0)
    planned = [rule.slip_chance(4.0, minutes) for minutes in (15.0, 30.0, 60.0)]
    assert planned[1] == pytest.approx(unplanned * math.exp(-1))
    gains = [unplanned - planned[1], planned[1] - planned[2]]  # each 30 more minutes
    assert unplanned > planned[0] > planned[1] > planned[2] > 0
    assert gains[0] > gains[1] > 0


def test_a_team_that_never_slips() -> None:
    rule = Adherence(slip_share_when_swamped=0)
    assert rule.slip_chance(1e6, 0.0) == 0.0


def test_the_default_team_slips_when_busy() -> None:
    """Real teams skip and delay steps when busy: the default is not perfect adherence."""
    rule = Adherence()
    assert rule.slip_chance(rule.busy_backlog_per_rep, 0.0) == 0.0
    assert rule.slip_chance(rule.busy_backlog_per_rep + 2, 0.0) > 0.25


# --- the manager policy -------------------------------------------------------------


def test_manager_policy_is_a_registered_family_with_a_search_space() -> None:
    assert REGISTRY["manager"]["daily_planning"] is ManagerPolicy
    assert Cadence().manager.planning == 0.0
    assert Cadence.model_validate({"manager": {"planning": "1h"}}).manager.planning == 60.0
    assert ManagerPolicy.search_space() == {"planning": {"low": 0, "high": 120, "log": False}}


@pytest.mark.parametrize("planning", ["-5m", "9h"])
def test_manager_planning_out_of_range_is_refused(tiny: dict[str, Any], planning: str) -> None:
    tiny["policy"]["manager"] = {"planning": planning}
    with pytest.raises(ConfigError, match=r"policy\.manager\.planning"):
        validate_experiment(tiny)


# --- one due step -------------------------------------------------------------------


def _floor(data: dict[str, Any], **adherence: Any) -> SalesFloor:
    data = copy.deepcopy(data)
    data["scenario"]["adherence"] = adherence
    experiment = validate_experiment(data)
    return SalesFloor(experiment.scenario, experiment.policy, SEEDS[0])


def _request_due_at_load(floor: SalesFloor, waiting_per_rep: int) -> Any:
    """A department request falling due now, with *waiting_per_rep* tasks waiting per closer."""
    floor._on_shift[CLOSER_QUEUE] = 2
    floor._waiting[CLOSER_QUEUE] = 2 * waiting_per_rep
    task = floor._due_task(DEPARTMENT_REFERRAL, None, 0.0, MINUTES_PER_DAY)
    assert task.due == MONDAY_OPENS
    floor.clock.run(until=task.due + 0.5)
    return task


def test_a_step_due_on_a_calm_team_is_done(tiny: dict[str, Any]) -> None:
    floor = _floor(tiny, busy_backlog_per_rep=3, slip_share_when_swamped=1)
    task = _request_due_at_load(floor, 3)
    assert task.live and task.queued and floor._waiting[CLOSER_QUEUE] == 7
    assert (floor.meter.steps_due, floor.meter.steps_skipped, floor.meter.steps_delayed) == (
        1,
        0,
        0,
    )


def test_a_busy_team_skips_a_step(tiny: dict[str, Any]) -> None:
    floor = _floor(tiny, busy_backlog_per_rep=1, slip_share_when_swamped=1, delayed_share=0)
    task = _request_due_at_load(floor, 1000)
    assert not task.live and not task.queued
    assert (floor.meter.steps_due, floor.meter.steps_skipped, floor.meter.steps_delayed) == (
        1,
        1,
        0,
    )


def test_a_busy_team_puts_a_step_off_to_the_next_working_day(tiny: dict[str, Any]) -> None:
    floor = _floor(tiny, busy_backlog_per_rep=1, slip_share_when_swamped=1, delayed_share=1)
    task = _request_due_at_load(floor, 1000)
    assert task.live and not task.queued
    assert (task.due, task.deadline) == (TUESDAY_OPENS, TUESDAY_OPENS + MINUTES_PER_DAY)
    assert (floor.meter.steps_due, floor.meter.steps_skipped, floor.meter.steps_delayed) == (
        1,
        0,
        1,
    )
    floor.clock.run(until=TUESDAY_OPENS + 0.5)  # done then, not judged again
    assert task.queued and floor.meter.steps_due == 1


# --- paired end-to-end runs ---------------------------------------------------------


def _kpis(data: dict[str, Any], planning: float = 0.0, **adherence: Any) -> list[dict[str, float]]:
    data = copy.deepcopy(data)
    data["scenario"]["adherence"] = adherence
    data["policy"]["manager"] = {"planning": planning}
    experiment = validate_experiment(data)
    return [
        replication_kpis(SalesFloor(experiment.scenario, experiment.policy, seed).simulate())
        for seed in SEEDS
    ]


def _pooled(runs: list[dict[str, float]], kpi: str) -> float:
    return float(np.mean([run[kpi] for run in runs]))


@pytest.fixture
def loaded(tiny: dict[str, Any]) -> dict[str, Any]:
    """The tiny baseline with 1.5 times the baseline's leads per rep (the tiny team has half)."""
    for source in tiny["scenario"]["sources"]:
        source["leads_per_week"] *= 3
    return tiny


def test_a_loaded_team_lets_steps_slip(loaded: dict[str, Any]) -> None:
    runs = _kpis(loaded)
    assert all(run["steps_skipped_share"] > 0 and run["steps_delayed_share"] > 0 for run in runs)
    assert all(run["planning_hours"] == 0 for run in runs)


def test_planning_raises_adherence_with_diminishing_returns_at_a_cost(
    loaded: dict[str, Any],
) -> None:
    minutes = (0.0, 15.0, 30.0, 60.0)
    runs = {m: _kpis(loaded, planning=m) for m in minutes}
    slipped = {
        m: _pooled(runs[m], "steps_skipped_share") + _pooled(runs[m], "steps_delayed_share")
        for m in minutes
    }
    assert slipped[0.0] > slipped[15.0] > slipped[30.0] > slipped[60.0] > 0
    assert (
        slipped[0.0] - slipped[30.0] > slipped[30.0] - slipped[60.0]
    )  # the first half hour buys more
    for m in minutes:  # the cost: one rep's planning time every working day of the window
        expected = WORKING_DAYS_IN_WINDOW * m / MINUTES_PER_HOUR
        assert all(run["planning_hours"] == pytest.approx(expected) for run in runs[m])
    assert _pooled(runs[60.0], "utilisation") > _pooled(runs[0.0], "utilisation")


def test_no_load_or_perfect_adherence_leaves_the_numbers_unchanged(tiny: dict[str, Any]) -> None:
    """Slipping only changes numbers when it happens: the engine draws nothing otherwise."""
    calm = copy.deepcopy(tiny)
    for group in calm["scenario"]["reps"]:
        group["count"] *= 10
    perfect = _kpis(calm, slip_share_when_swamped=0)
    default = _kpis(calm)
    assert default == perfect
    assert all(run["steps_skipped_share"] == run["steps_delayed_share"] == 0 for run in default)
    never_busy = _kpis(tiny, busy_backlog_per_rep=1e9)
    assert never_busy == _kpis(tiny, slip_share_when_swamped=0)
    assert never_busy != _kpis(tiny)  # the tiny team is busy at times: the default slips there


def test_the_new_kpis_are_documented() -> None:
    for name in ("steps_skipped_share", "steps_delayed_share", "planning_hours"):
        assert name in KPIS
    assert KPIS["steps_skipped_share"].higher_is_better is False
    assert PLANNING not in KPIS
