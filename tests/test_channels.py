"""Channels: emails and texts between the calls, paired against the same calls alone.

Paired end-to-end runs (the same seeds) show what a touch on another channel does:
it costs its channel's money instead of a call's, adds fatigue (opt-outs), and a
reply renews the lead's hot window, so calls get through more often; with the exit
rule ``replied`` a reply ends the automated touches; a rep sends no more than a channel's
daily cap, nor more sequence touches than the cap across channels. LinkedIn touches are steps
like emails. A calls-only cadence ignores the scenario's channels. On the study population of ``validate`` an email between calls
raises contact, and leads that had more than five emails before contact convert less
(the directions of Velocify's two figures).
"""

from __future__ import annotations

import copy
import itertools
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.analysis.replications import run
from sim.config.units import MINUTES_PER_DAY
from sim.engine.floor import SalesFloor
from sim.engine.kpis import replication_kpis
from sim.experiment import validate_experiment
from sim.validation.channels import check_email_figures, email_sequence, study_call_offsets

SEEDS = np.random.SeedSequence(20261213).spawn(3)
CALLS = [{"call": "0m"}, {"call": "5m"}, {"call": "1h"}, {"call": "1d"}, {"call": "3d"}]
MIXED = [
    {"call": "0m"},
    {"call": "5m"},
    {"email": "10m"},
    {"call": "1h"},
    {"email": "2h"},
    {"call": "1d"},
    {"sms": "2d"},
    {"email": "2d12h"},
    {"call": "3d"},
]
SOCIAL = [
    {"call": "0m"},
    {"social": "10m"},
    {"call": "1h"},
    {"email": "2h"},
    {"social": "1d"},
    {"call": "1d1h"},
    {"sms": "2d"},
    {"call": "3d"},
]


def _experiment(data: dict[str, Any], steps: list[dict[str, str]] | None, **sequence: Any) -> Any:
    data = copy.deepcopy(data)
    if steps is not None:
        data["policy"]["followup"] = {"name": "sequence", "steps": steps, **sequence}
    return validate_experiment(data)


def _floors(data: dict[str, Any], steps: list[dict[str, str]] | None, **sequence: Any) -> list:
    experiment = _experiment(data, steps, **sequence)
    return [SalesFloor(experiment.scenario, experiment.policy, seed).simulate() for seed in SEEDS]


def _kpis(data: dict[str, Any], steps: list[dict[str, str]] | None, **sequence: Any) -> list:
    return [replication_kpis(floor) for floor in _floors(data, steps, **sequence)]


def _pooled(runs: list[dict[str, float]], kpi: str) -> float:
    return float(np.mean([run[kpi] for run in runs]))


def _channels(data: dict[str, Any], **fields: Any) -> dict[str, Any]:
    data = copy.deepcopy(data)
    data["scenario"]["channels"] = {"email": dict(fields), "sms": dict(fields)}
    return data


def test_a_calls_only_cadence_ignores_the_channels(tiny: dict[str, Any]) -> None:
    changed = _channels(
        tiny, reply_chance=0.9, cost_per_touch=100, fatigue_weight=5, time=30, daily_cap_per_rep=1
    )
    assert _kpis(changed, None) == _kpis(tiny, None)


def test_touches_cost_their_channel_s_price(tiny: dict[str, Any]) -> None:
    free = _floors(_channels(tiny, cost_per_touch=0), MIXED)
    dear = _floors(_channels(tiny, cost_per_touch=2.0), MIXED)
    for cheap, costly in zip(free, dear, strict=True):
        assert cheap.cohort_channel_touches == costly.cohort_channel_touches > 0
        a, b = replication_kpis(cheap), replication_kpis(costly)
        assert b["touch_cost"] - a["touch_cost"] == pytest.approx(
            2.0 * costly.cohort_channel_touches
        )
        assert {k: v for k, v in a.items() if k not in ("touch_cost", "profit")} == {
            k: v for k, v in b.items() if k not in ("touch_cost", "profit")
        }


def test_emails_take_rep_time_and_add_touches(tiny: dict[str, Any]) -> None:
    calls, mixed = _kpis(tiny, CALLS), _kpis(tiny, MIXED)
    assert _pooled(mixed, "touches_per_lead") > _pooled(calls, "touches_per_lead")
    assert _pooled(mixed, "utilisation") > _pooled(calls, "utilisation")


def test_touches_add_fatigue_and_opt_outs(tiny: dict[str, Any]) -> None:
    light = _kpis(_channels(tiny, fatigue_weight=0.0, reply_chance=0.0), MIXED)
    heavy = _kpis(_channels(tiny, fatigue_weight=4.0, reply_chance=0.0), MIXED)
    assert _pooled(heavy, "lost_opted_out") > _pooled(light, "lost_opted_out")


def test_a_reply_renews_the_hot_window_so_calls_get_through(tiny: dict[str, Any]) -> None:
    silent = _kpis(_channels(tiny, reply_chance=0.0), MIXED, exit=["reached"])
    replying = _kpis(_channels(tiny, reply_chance=0.5), MIXED, exit=["reached"])
    assert _pooled(replying, "reached_share") > _pooled(silent, "reached_share")
    assert _pooled(replying, "qualified_share") > _pooled(silent, "qualified_share")


def test_a_reply_ends_the_automated_touches_when_the_exit_rules_say_so(
    tiny: dict[str, Any],
) -> None:
    everyone_replies = _channels(tiny, reply_chance=1.0)
    exits = _floors(everyone_replies, MIXED, exit=["reached", "replied"])
    stays = _floors(everyone_replies, MIXED, exit=["reached"])
    # contacts by the touches before them: after a reply only calls follow
    assert all(floor.contacts_by_touches[0, 2:].sum() == 0 for floor in exits)
    assert sum(floor.contacts_by_touches[0, 2:].sum() for floor in stays) > 0


def test_no_two_touches_on_a_lead_closer_than_the_minimum_gap(tiny: dict[str, Any]) -> None:
    experiment = _experiment(tiny, MIXED, min_gap="3h", exit=["reached"])  # no call-backs
    touches: dict[int, list[tuple[float, str]]] = defaultdict(list)

    def trace(event: str, minutes: float, rep: int, subject: int, kind: str) -> None:
        if kind in ("follow_up", "email", "sms") or (kind == "first_attempt" and event == "end"):
            touches[subject].append((minutes, event))

    SalesFloor(experiment.scenario, experiment.policy, SEEDS[0], trace=trace).simulate()
    gaps = [
        start - end
        for events in touches.values()
        for (end, ended), (start, started) in itertools.pairwise(events)
        if ended == "end" and started == "start"
    ]
    assert gaps and min(gaps) >= 3 * 60 - 1e-9


def test_a_busy_team_skips_sequence_steps_and_every_lead_still_closes(
    tiny: dict[str, Any],
) -> None:
    for source in tiny["scenario"]["sources"]:
        source["leads_per_week"] *= 3
    for floor in _floors(tiny, MIXED):
        kpis = replication_kpis(floor)
        assert kpis["steps_skipped_share"] > 0
        assert sum(floor.meter.outcomes.values()) == kpis["leads"]


def test_the_study_sequence_calls_at_the_study_s_times() -> None:
    offsets = study_call_offsets()
    assert offsets[:4] == [0.0, 5.0, 65.0, 65.0 + 1440.0] and len(offsets) == 10
    steps = email_sequence(1)["steps"]
    assert [next(iter(step)) for step in steps[:4]] == ["call", "email", "call", "email"]
    assert steps[1] == {"email": 2.5}


@pytest.mark.slow
def test_emails_raise_contact_and_many_emails_mark_leads_that_convert_less() -> None:
    contact, conversion = check_email_figures(leads=10_000, replications=2, seed=7)
    assert contact.ci_low > 1.0  # Velocify 2012: about +16%
    assert conversion.ci_high < 1.0  # Velocify 2012: about -36% after more than five emails


class _Sent:
    """A recorder keeping the emails each rep sent each day (deferred ones apart)."""

    def __init__(self) -> None:
        self.per_rep_day: dict[tuple[int, int], int] = defaultdict(int)
        self.deferred = 0

    def action(self, task: Any, rep_id: int, started: float, ended: float, outcome: str) -> None:
        if task.kind != "email":
            return
        if outcome == "deferred":
            self.deferred += 1
        else:
            self.per_rep_day[rep_id, int(started // MINUTES_PER_DAY)] += 1

    def lead_closed(self, lead: Any, outcome: str, now: float) -> None:
        pass


def test_a_rep_sends_no_more_than_the_daily_cap_and_puts_the_rest_off(
    tiny: dict[str, Any],
) -> None:
    capped = copy.deepcopy(tiny)
    capped["scenario"]["channels"] = {"email": {"daily_cap_per_rep": 2}}
    runs = {}
    for name, data in (("free", tiny), ("capped", capped)):
        experiment = _experiment(data, MIXED)
        sent = _Sent()
        SalesFloor(experiment.scenario, experiment.policy, SEEDS[0], recorder=sent).simulate()
        runs[name] = sent
    assert runs["free"].deferred == 0 and max(runs["free"].per_rep_day.values()) > 2
    assert runs["capped"].deferred > 0 and max(runs["capped"].per_rep_day.values()) == 2


@pytest.mark.parametrize(
    ("steps", "cap_across_channels"), [(MIXED, None), (SOCIAL, 5)], ids=["email-sms", "linkedin"]
)
def test_a_sequence_gives_the_same_numbers_whatever_the_number_of_processes(
    tiny: dict[str, Any], steps: list[dict[str, str]], cap_across_channels: int | None
) -> None:
    data = _channels(tiny, daily_cap_per_rep=3)
    data["scenario"]["channels"]["daily_touch_cap_per_rep"] = cap_across_channels
    experiment = _experiment(data, steps, min_gap="1h")
    one, two = run(experiment, jobs=1), run(experiment, jobs=2)
    pd.testing.assert_frame_equal(one.replications, two.replications)
    pd.testing.assert_frame_equal(one.summary, two.summary)


# --- LinkedIn touches and the cap across channels ----------------------------------------------

SEQUENCE_TOUCHES = ("follow_up", "email", "sms", "social")
"""What the cap across channels counts: every sequence touch but the first call."""


class _Touches:
    """A recorder keeping each rep's sequence touches per day, and what became of deferred ones."""

    def __init__(self) -> None:
        self.per_rep_day: dict[tuple[int, int], int] = defaultdict(int)
        self.social_per_rep_day: dict[tuple[int, int], int] = defaultdict(int)
        self.deferred: dict[int, tuple[str, int]] = {}
        """Lead id -> (kind, day) of its latest deferred touch not yet made."""
        self.made_after_deferral: list[tuple[int, int, int]] = []
        """(day deferred, day the touch then fell due, day it was made) per deferred touch."""

    def action(self, task: Any, rep_id: int, started: float, ended: float, outcome: str) -> None:
        if task.kind not in SEQUENCE_TOUCHES:
            return
        day = int(started // MINUTES_PER_DAY)
        if outcome == "deferred":
            self.deferred[task.subject.id] = (task.kind, day)
            return
        self.per_rep_day[rep_id, day] += 1
        self.social_per_rep_day[rep_id, day] += task.kind == "social"
        kind, deferred_on = self.deferred.pop(task.subject.id, (None, -1))
        if kind == task.kind:
            self.made_after_deferral.append((deferred_on, int(task.due // MINUTES_PER_DAY), day))

    def lead_closed(self, lead: Any, outcome: str, now: float) -> None:
        pass


def _touches(data: dict[str, Any], steps: list[dict[str, str]]) -> _Touches:
    experiment = _experiment(data, steps)
    touches = _Touches()
    SalesFloor(experiment.scenario, experiment.policy, SEEDS[0], recorder=touches).simulate()
    return touches


def _next_working_day(day: int) -> int:
    """The baseline team works Monday to Friday (day 0 is a Monday)."""
    day += 1
    while day % 7 >= 5:
        day += 1
    return day


def test_linkedin_touches_are_sequence_steps_with_their_own_price_and_cap(
    tiny: dict[str, Any],
) -> None:
    calls_only = _floors(tiny, [step for step in SOCIAL if "call" in step])
    for floor, plain in zip(_floors(tiny, SOCIAL), calls_only, strict=True):
        assert floor.cohort_channel_touches > plain.cohort_channel_touches == 0
        assert replication_kpis(floor)["touch_cost"] > replication_kpis(plain)["touch_cost"]
    capped = copy.deepcopy(tiny)
    capped["scenario"]["channels"] = {"social": {"daily_cap_per_rep": 1}}
    free, one_a_day = _touches(tiny, SOCIAL), _touches(capped, SOCIAL)
    assert max(free.social_per_rep_day.values()) > 1
    assert max(one_a_day.social_per_rep_day.values()) == 1


def test_a_rep_makes_no_more_touches_a_day_than_the_cap_across_channels(
    tiny: dict[str, Any],
) -> None:
    tiny["scenario"]["adherence"] = {"slip_share_when_swamped": 0}  # no step put off for load
    capped = copy.deepcopy(tiny)
    capped["scenario"]["channels"] = {"daily_touch_cap_per_rep": 6}
    free, limited = _touches(tiny, SOCIAL), _touches(capped, SOCIAL)
    assert max(free.per_rep_day.values()) > 6
    assert max(limited.per_rep_day.values()) == 6
    assert limited.made_after_deferral  # deferred touches are made later
    for deferred_on, due_on, made_on in limited.made_after_deferral:
        assert due_on == _next_working_day(deferred_on)
        assert made_on >= due_on
