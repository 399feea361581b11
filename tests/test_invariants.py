"""Engine invariants that must hold in every valid scenario, under every cadence.

Hypothesis builds small random but valid experiments (1-3 lead sources, 1-3 rep
groups with random roles and shifts, a random choice in every policy family) and
runs one replication with a trace of every rep action. Each example takes a few
tens of milliseconds to about half a second; the file runs in well under a minute.

The checks: every cohort lead ends in exactly one outcome and is closed at most
once; nothing happens to a lead before it arrives or after it is closed; a rep
does one thing at a time, only work of its role, and starts work only on shift
(finishing after the shift is overtime, by design); rep time is accounted as
busy or overtime as the trace says; utilisation is a share; work follows the
cadence (order of stages, max attempts, no follow-up, nurture or retention touch
before it is due); two cadences with one seed meet the same leads (common random
numbers); the KPI identities hold.

Engine bugs these properties found are kept at the end of the file as small
deterministic regression cases.

``SALESPULSE_EXAMPLES=500 SALESPULSE_EXPLORE=1 python -m pytest tests/test_invariants.py``
searches deeper, with fresh random examples.
"""

from __future__ import annotations

import bisect
import math
import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.config.calendar import DAY_NAMES
from sim.engine.arrivals import LeadDraw
from sim.engine.floor import SalesFloor
from sim.engine.kpis import replication_kpis
from sim.engine.meter import add_by_hour
from sim.engine.people import CLOSER_WORK, LOST_REASONS, OPEN, PLANNING, RESPONDER_WORK, WON
from sim.experiment import Experiment, validate_experiment

HOUR = 60
DAY = 24 * HOUR
WEEK = 7 * DAY
ROLES = ("generalist", "responder", "closer")
CAN_RESPOND = ("generalist", "responder")
CAN_CLOSE = ("generalist", "closer")
QUEUE_ORDERS = ["deadline", "fifo", "lifo", "value"]
"""Queue orders drawn."""
EXAMPLES = int(os.environ.get("SALESPULSE_EXAMPLES", "30"))
"""Examples per property (raise it for a deeper search: SALESPULSE_EXAMPLES=500)."""
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # The suite is reproducible: the same examples every run (SALESPULSE_EXPLORE=1 draws new ones).
    derandomize=os.environ.get("SALESPULSE_EXPLORE") != "1",
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- strategies: small, valid experiments ------------------------------------------------


def _minutes(low: float, high: float) -> st.SearchStrategy[float]:
    return st.integers(int(low), int(high)).map(float)


def _proportion(low: float = 0.05, high: float = 0.95) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.floats(low, high),
        st.fixed_dictionaries(
            {"mean": st.floats(low, high), "concentration": st.floats(1.0, 20.0)}
        ),
    )


_patience = st.one_of(
    st.none(),
    st.fixed_dictionaries({"dist": st.just("exponential"), "mean": _minutes(30, 3 * DAY)}),
    _minutes(1, 2 * DAY),
)


@st.composite
def _sources(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 3))
    return [
        {
            "name": f"source_{i}",
            "leads_per_week": draw(st.integers(20, 400)),
            "profile": draw(st.sampled_from(["business_hours", "phone_hours", "flat"])),
            "intent": draw(_proportion()),
            "reachability": draw(_proportion()),
            "fit_rate": draw(st.floats(0.0, 1.0)),
            "patience": draw(_patience),
        }
        for i in range(n)
    ]


@st.composite
def _shift(draw: st.DrawFn) -> dict[str, Any]:
    days = draw(st.lists(st.sampled_from(DAY_NAMES), min_size=1, max_size=7, unique=True))
    start = draw(st.integers(0, 23))
    end = draw(st.integers(start + 1, 24))
    return {"days": days, "start": f"{start:02d}:00", "end": f"{end:02d}:00"}


@st.composite
def _rep_groups(draw: st.DrawFn) -> list[dict[str, Any]]:
    n = draw(st.integers(1, 3))
    roles = [draw(st.sampled_from(ROLES)) for _ in range(n)]
    # At least one group that can call new leads and one that can work qualified leads.
    if not any(role in CAN_RESPOND for role in roles):
        roles[0] = "generalist" if n == 1 else "responder"
    if not any(role in CAN_CLOSE for role in roles):
        roles[-1] = "generalist" if n == 1 else "closer"
    return [
        {
            "name": f"group_{i}",
            "count": draw(st.integers(1, 5)),
            "role": role,
            "shift": draw(_shift()),
            "skill": draw(st.floats(0.5, 1.5)),
        }
        for i, role in enumerate(roles)
    ]


_followup = st.one_of(
    st.fixed_dictionaries(
        {
            "name": st.just("steps"),
            "steps": st.lists(_minutes(1, 3 * DAY), min_size=1, max_size=5),
            "max_attempts": st.integers(1, 8),
        }
    ),
    st.builds(
        lambda first, growth, extra, attempts: {
            "name": "geometric",
            "first_gap": first,
            "growth": growth,
            "max_gap": first + extra,
            "max_attempts": attempts,
        },
        _minutes(1, DAY),
        st.floats(1.0, 6.0),
        _minutes(0, 2 * WEEK),
        st.integers(1, 8),
    ),
)


@st.composite
def _retention_schedule(draw: st.DrawFn) -> list[dict[str, Any]]:
    ends = sorted(set(draw(st.lists(_minutes(HOUR, 13 * WEEK), max_size=3))))
    steps: list[dict[str, Any]] = [
        {"until": end, "every": draw(_minutes(6 * HOUR, 30 * DAY))} for end in ends
    ]
    if not steps or draw(st.booleans()):
        steps.append({"every": draw(_minutes(6 * HOUR, 30 * DAY))})
    no_touches = draw(st.integers(0, 9)) == 0  # an empty schedule: customers are never touched
    return [] if no_touches else steps


@st.composite
def _routing(draw: st.DrawFn, groups: list[str]) -> dict[str, Any]:
    rule = draw(st.sampled_from(["longest_idle", "round_robin", "least_busy", "weighted"]))
    if rule != "weighted":
        return {"rule": rule}
    return {"rule": rule, "weights": {g: draw(st.floats(0.1, 10.0)) for g in groups}}


@st.composite
def _staffing(draw: st.DrawFn, groups: list[dict[str, Any]]) -> dict[str, int]:
    counts = {}
    for group in groups:
        if draw(st.booleans()):
            counts[group["name"]] = draw(st.integers(0, 5))
    return counts


@st.composite
def experiments(draw: st.DrawFn) -> Experiment:
    """A small random experiment that validates (and can staff both kinds of work)."""
    reps = draw(_rep_groups())
    names = [group["name"] for group in reps]
    counts = draw(_staffing(reps))
    # Staffing must leave someone to call new leads and someone to close: undo zeros if not.
    for role_set in (CAN_RESPOND, CAN_CLOSE):
        staffed = [g for g in reps if g["role"] in role_set and counts.get(g["name"], 1) > 0]
        if not staffed:
            first = next(g for g in reps if g["role"] in role_set)
            counts.pop(first["name"])
    false_negative = draw(st.floats(0.0, 0.6))
    data = {
        "name": "hypothesis",
        "seed": 0,
        "replications": 1,
        "scenario": {
            "horizon": draw(_minutes(WEEK, 2 * WEEK)),
            "warmup": draw(_minutes(0, WEEK)),
            "drain": draw(_minutes(WEEK, 2 * WEEK)),
            "sources": draw(_sources()),
            "reps": reps,
            "screening": {
                "instant": {
                    "catch_rate": draw(st.floats(0.0, 1.0)),
                    "false_positive_rate": draw(st.floats(0.0, 0.1)),
                },
                "deep": {
                    "false_negative_rate": false_negative,
                    "false_positive_rate": draw(st.floats(0.0, 0.35)),
                },
            },
            # Faster decisions, keener customers and touchier people than the defaults, so
            # that short runs reach the customer stage (retention, repeat purchases, churn).
            "decision": {
                "time_to_decide": draw(_minutes(HOUR, 2 * WEEK)),
                "pull_in_per_touch": draw(st.floats(0.0, 1.0)),
                "max_pull_in": draw(st.floats(0.0, 1.0)),
                "engagement_per_touch": draw(st.floats(0.05, 1.0)),
                "annoyance_per_extra_touch": draw(st.floats(0.0, 1.0)),
                "win_rate": draw(st.floats(0.0, 1.0)),
                "lost_below": draw(st.floats(0.0, 0.5)),
            },
            "customers": {
                "repeat_purchases_per_year": draw(st.floats(0.0, 50.0)),
                "churn_per_year": draw(st.floats(0.0, 50.0)),
            },
            "referrals": {
                "departments": [
                    {
                        "name": "events",
                        "pool_size": draw(st.floats(0.1, 50.0)),
                        "refill_time": draw(_minutes(DAY, 8 * WEEK)),
                        "share_per_request": draw(st.floats(0.0, 1.0)),
                    }
                ],
                "customers": {
                    "pool_size": draw(st.floats(0.1, 10.0)),
                    "share_per_request": draw(st.floats(0.0, 1.0)),
                },
            },
            "fatigue": {"opt_out_per_touch": draw(st.floats(0.0, 0.05))},
            "adherence": {
                "busy_backlog_per_rep": draw(st.floats(0.0, 5.0)),
                "slip_share_when_swamped": draw(st.floats(0.0, 1.0)),
                "delayed_share": draw(st.floats(0.0, 1.0)),
                "delay": draw(_minutes(HOUR, 3 * DAY)),
            },
        },
        "policy": {
            "speed_to_lead": {
                "response_target": draw(_minutes(1, 240)),
                "new_leads_first": draw(st.booleans()),
                "responder_share": draw(st.none() | st.sampled_from([0.0, 0.25, 0.5])),
            },
            "queue": {"order": draw(st.sampled_from(QUEUE_ORDERS))},
            "followup": draw(_followup),
            "screening": {
                "enabled": draw(st.booleans()),
                "check": draw(st.sampled_from(["instant", "deep"])),
                "strictness": draw(st.floats(-1.5, 1.5)),
            },
            "nurture": {"interval": draw(_minutes(6 * HOUR, 10 * DAY))},
            "retention": {
                "schedule": draw(_retention_schedule()),
                "intensity": draw(st.floats(0.25, 4.0)),
            },
            "referral": {
                "department_interval": draw(st.none() | _minutes(DAY, 2 * WEEK)),
                "customer_interval": draw(st.none() | _minutes(DAY, 30 * DAY)),
            },
            "routing": draw(_routing(names)),
            "staffing": {"counts": counts},
            "manager": {"planning": draw(_minutes(0, 120))},
        },
    }
    experiment = validate_experiment(data)
    # responder_share can still turn the only closers into responders: keep it out then.
    if experiment.policy.staffing_problems(experiment.scenario):
        data["policy"]["speed_to_lead"]["responder_share"] = None
        experiment = validate_experiment(data)
    return experiment


_seeds = st.integers(0, 2**32 - 1).map(np.random.SeedSequence)


# --- one replication with everything recorded ---------------------------------------------


class _Ids:
    """Stands in for the engine's id counter: knows the next id, and who took each one.

    Leads take their id in ``_new_lead`` (the spy notes it first); every other id goes to
    a new customer, won at that moment.
    """

    def __init__(self, floor: SalesFloor) -> None:
        self.next = 0
        self.floor = floor
        self.leads: set[int] = set()
        self.customers: dict[int, float] = {}  # id -> won at

    def __iter__(self) -> _Ids:
        return self

    def __next__(self) -> int:
        value = self.next
        self.next += 1
        if value not in self.leads:
            self.customers[value] = self.floor.clock.now
        return value


@dataclass
class Recorded:
    """A finished replication and everything seen while it ran."""

    floor: SalesFloor
    log: list[tuple[Any, ...]] = field(default_factory=list)
    """In order: ('start'|'end', minutes, rep, subject, kind), ('arrive', minutes, lead),
    ('close', minutes, lead, outcome), ('churn', minutes, customer)."""
    arrived_at: dict[int, float] = field(default_factory=dict)
    cohort: set[int] = field(default_factory=set)
    draws: list[LeadDraw] = field(default_factory=list)
    closes: dict[int, list[str]] = field(default_factory=dict)
    won_at: dict[int, float] = field(default_factory=dict)
    """Customers by id: when they were won."""

    @property
    def traced(self) -> list[tuple[str, float, int, int, str]]:
        return [entry for entry in self.log if entry[0] in ("start", "end")]


def run_recorded(experiment: Experiment, seed: np.random.SeedSequence) -> Recorded:
    """Simulate one replication, recording arrivals, closes, churns and every rep action."""
    log: list[tuple[Any, ...]] = []
    floor = SalesFloor(
        experiment.scenario,
        experiment.policy,
        seed,
        trace=lambda *event: log.append(event),
    )
    record = Recorded(floor, log)
    ids = _Ids(floor)
    floor._ids = ids  # type: ignore[assignment]
    record.won_at = ids.customers
    window_start, window_end = experiment.scenario.window
    new_lead, close, churn = floor._new_lead, floor._close, floor._churn

    def spy_new_lead(draw: LeadDraw) -> None:
        now = floor.clock.now
        lead_id = ids.next  # the id _new_lead is about to give the lead
        ids.leads.add(lead_id)
        record.arrived_at[lead_id] = now
        if window_start <= now < window_end:
            record.cohort.add(lead_id)
        record.draws.append(draw)
        log.append(("arrive", now, lead_id))
        new_lead(draw)

    def spy_close(lead: Any, outcome: str) -> None:
        record.closes.setdefault(lead.id, []).append(outcome)
        log.append(("close", floor.clock.now, lead.id, outcome))
        close(lead, outcome)

    def spy_churn(customer: Any, opted_out: bool) -> None:
        log.append(("churn", floor.clock.now, customer.id))
        churn(customer, opted_out)

    floor._new_lead = spy_new_lead  # type: ignore[method-assign]
    floor._close = spy_close  # type: ignore[method-assign]
    floor._churn = spy_churn  # type: ignore[method-assign]
    floor.simulate()
    return record


def _shift_windows(floor: SalesFloor) -> dict[int, list[tuple[float, float]]]:
    """Each rep's shift windows in absolute minutes, touching windows merged, by rep id."""
    weeks = int(floor.scenario.end // WEEK) + 1
    by_group = []
    for group in floor.scenario.reps:
        shift = group.shift
        merged: list[list[float]] = []
        for week in range(weeks):
            for day in sorted(DAY_NAMES.index(d) for d in shift.days):
                start = week * WEEK + day * DAY + shift.start
                end = week * WEEK + day * DAY + shift.end
                if merged and start <= merged[-1][1]:
                    merged[-1][1] = end
                else:
                    merged.append([start, end])
        by_group.append([(start, end) for start, end in merged])
    return {rep.id: by_group[rep.group] for rep in floor.reps}


def _window_at(windows: list[tuple[float, float]], t: float) -> tuple[float, float] | None:
    """The window ``[start, end)`` that contains *t*, if any."""
    i = bisect.bisect_right([start for start, _ in windows], t) - 1
    if i >= 0 and t < windows[i][1]:
        return windows[i]
    return None


def _overlap(a0: float, a1: float, b0: float, b1: float) -> float:
    return max(0.0, min(a1, b1) - max(a0, b0))


# --- the invariants ----------------------------------------------------------------------


@pytest.mark.pure_python_engine
@PROPERTY
@given(experiment=experiments(), seed=_seeds)
def test_every_cohort_lead_ends_in_exactly_one_outcome(
    experiment: Experiment, seed: np.random.SeedSequence
) -> None:
    record = run_recorded(experiment, seed)
    floor = record.floor
    twice = {lead: outcomes for lead, outcomes in record.closes.items() if len(outcomes) > 1}
    assert not twice, f"leads closed more than once: {twice}"
    assert set(floor.meter.outcomes) == {WON, *LOST_REASONS, OPEN}
    assert all(n >= 0 for n in floor.meter.outcomes.values())
    assert sum(floor.meter.outcomes.values()) == len(record.cohort)
    closed_cohort = [lead for lead in record.closes if lead in record.cohort]
    still_open = record.cohort - set(closed_cohort)
    assert floor.meter.outcomes[OPEN] == len(still_open)
    for outcome in (WON, *LOST_REASONS):
        closed = sum(record.closes[lead][0] == outcome for lead in closed_cohort)
        assert floor.meter.outcomes[outcome] == closed, outcome
    # Only leads still being worked remain active; every closed lead has left.
    still_active = [person.id for person in floor.still_active()]
    assert still_active == sorted(still_active)  # in the order they came: ids count up
    assert not set(record.closes) & set(still_active)
    assert {lead for lead in record.arrived_at if lead not in record.closes} <= set(still_active)


@pytest.mark.pure_python_engine
@PROPERTY
@given(experiment=experiments(), seed=_seeds)
def test_nothing_happens_to_a_lead_before_it_arrives_or_after_it_is_closed(
    experiment: Experiment, seed: np.random.SeedSequence
) -> None:
    record = run_recorded(experiment, seed)
    arrived: set[int] = set()
    gone: set[int] = set()  # closed leads and churned customers
    for entry in record.log:
        kind = entry[0]
        if kind == "arrive":
            arrived.add(entry[2])
        elif kind in ("close", "churn"):
            assert entry[2] not in gone, f"{entry} after it was already closed"
            gone.add(entry[2])
        elif kind == "start":
            _, now, rep, subject, task = entry
            assert subject not in gone, f"rep {rep} started {task} on closed {subject} at {now}"
            if subject in record.arrived_at:  # a lead (customers have ids of their own)
                assert subject in arrived
                assert now >= record.arrived_at[subject], entry
    for lead, closes in record.closes.items():
        assert lead in record.arrived_at and len(closes) == 1


@pytest.mark.pure_python_engine
@PROPERTY
@given(experiment=experiments(), seed=_seeds)
def test_a_rep_does_one_thing_at_a_time_and_starts_only_on_shift(
    experiment: Experiment, seed: np.random.SeedSequence
) -> None:
    record = run_recorded(experiment, seed)
    floor = record.floor
    windows = _shift_windows(floor)
    # Reps are numbered group by group, each group's responders (responder_share) first.
    roles = [
        role
        for group, responders, others in floor.cadence.staffed_groups(floor.scenario)
        for role in ["responder"] * responders + [group.role] * others
    ]
    assert len(roles) == len(floor.reps)
    doing: dict[int, tuple[float, int, str] | None] = {rep.id: None for rep in floor.reps}
    for event, now, rep, subject, kind in record.traced:
        assert 0 <= now <= floor.scenario.end
        current = doing[rep]
        if event == "start":
            assert current is None, f"rep {rep} started {kind} at {now} while doing {current}"
            allowed = {"responder": RESPONDER_WORK, "closer": CLOSER_WORK}.get(roles[rep])
            assert allowed is None or kind in allowed, f"a {roles[rep]} started {kind}"
            assert _window_at(windows[rep], now) is not None, (
                f"rep {rep} (group {floor.reps[rep].group}) started {kind} at {now}, "
                f"off shift; shifts {windows[rep][:4]}..."
            )
            doing[rep] = (now, subject, kind)
        else:
            assert current is not None, f"rep {rep} ended {kind} at {now} without starting it"
            started, started_subject, started_kind = current
            assert now >= started
            assert (subject, kind) == (started_subject, started_kind)
            doing[rep] = None


@pytest.mark.pure_python_engine
@PROPERTY
@given(experiment=experiments(), seed=_seeds)
def test_rep_time_is_busy_on_shift_and_overtime_after_it(
    experiment: Experiment, seed: np.random.SeedSequence
) -> None:
    """Utilisation is a share, and busy and overtime minutes agree with the trace."""
    record = run_recorded(experiment, seed)
    floor = record.floor
    kpis = replication_kpis(floor)
    assert 0.0 <= kpis["utilisation"] <= 1.0 + 1e-9, kpis["utilisation"]
    assert kpis["overtime_hours"] >= 0.0
    busy, overtime = _busy_and_overtime(record)
    assert math.isclose(floor.meter.busy_minutes, busy, rel_tol=1e-9, abs_tol=1e-6)
    assert math.isclose(floor.meter.overtime_minutes, overtime, rel_tol=1e-9, abs_tol=1e-6)


def _busy_and_overtime(record: Recorded) -> tuple[float, float]:
    """Rep minutes in the measurement window spent on tasks within the shift each task
    started in, and after that shift ended (overtime), from the trace."""
    floor = record.floor
    windows = _shift_windows(floor)
    w0, w1 = floor.meter.window_start, floor.meter.window_end
    started: dict[int, float] = {}
    busy = overtime = 0.0
    for event, now, rep, _, _ in record.traced:
        if event == "start":
            started[rep] = now
            continue
        start = started.pop(rep)
        shift = _window_at(windows[rep], start)
        assert shift is not None, f"rep {rep} started at {start}, off shift"
        busy += _overlap(start, min(now, shift[1]), w0, w1)
        overtime += _overlap(shift[1], now, w0, w1)
    return busy, overtime


def _regular_leads(record: Recorded) -> list[LeadDraw]:
    sources = len(record.floor.scenario.sources)
    return [draw for draw in record.draws if draw.source < sources]


@pytest.mark.pure_python_engine
@pytest.mark.slow
@settings(PROPERTY, max_examples=max(1, EXAMPLES * 3 // 5))
@given(
    experiment=experiments(),
    other=experiments(),
    seed=_seeds,
)
def test_two_cadences_with_one_seed_meet_the_same_leads(
    experiment: Experiment, other: Experiment, seed: np.random.SeedSequence
) -> None:
    """Common random numbers: lead arrivals and attributes do not depend on the cadence."""
    # The same world (scenario) under another random cadence and staffing of the same groups.
    counts = {
        name: count
        for name, count in other.policy.staffing.counts.items()
        if name in {g.name for g in experiment.scenario.reps}
    }
    cadence = other.policy.model_copy(
        update={
            "staffing": other.policy.staffing.model_copy(update={"counts": counts}),
            "routing": experiment.policy.routing,
        }
    )
    if cadence.staffing_problems(experiment.scenario):
        cadence = cadence.model_copy(update={"staffing": experiment.policy.staffing})
    if cadence.staffing_problems(experiment.scenario):
        cadence = cadence.model_copy(update={"speed_to_lead": experiment.policy.speed_to_lead})
    second = experiment.model_copy(update={"policy": cadence})
    a = _regular_leads(run_recorded(experiment, seed))
    b = _regular_leads(run_recorded(second, seed))
    assert len(a) == len(b)
    assert a == b


@PROPERTY
@given(experiment=experiments(), seed=_seeds)
def test_kpi_identities(experiment: Experiment, seed: np.random.SeedSequence) -> None:
    kpis = replication_kpis(SalesFloor(experiment.scenario, experiment.policy, seed).simulate())

    def close(a: float, b: float) -> bool:
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)

    assert close(kpis["profit"], kpis["revenue"] - kpis["rep_cost"] - kpis["touch_cost"])
    assert close(kpis["revenue"], kpis["deal_revenue"] + kpis["repeat_revenue"])
    assert kpis["won"] == kpis["customers"]
    lost = sum(kpis[f"lost_{reason}"] for reason in LOST_REASONS)
    assert kpis["leads"] == lost + kpis["won"] + kpis["open_at_end"]
    assert kpis["churned"] <= kpis["customers"]
    assert kpis["customer_opt_outs"] <= kpis["churned"]
    assert kpis["screened_out_realistic"] <= kpis["screened_out"]
    assert kpis["referral_leads"] <= kpis["leads"]
    assert kpis["steps_skipped_share"] + kpis["steps_delayed_share"] <= 1.0 or math.isnan(
        kpis["steps_skipped_share"]
    )
    if not experiment.scenario.adherence.slip_share_when_swamped:
        assert kpis["steps_skipped_share"] in (0.0,) or math.isnan(kpis["steps_skipped_share"])
    assert kpis["planning_hours"] >= 0.0
    for name in (
        "reached_share",
        "qualified_share",
        "won_share",
        "waited_share",
        "steps_skipped_share",
        "steps_delayed_share",
    ):
        value = kpis[name]
        assert math.isnan(value) or 0.0 <= value <= 1.0, (name, value)
    if kpis["leads"]:
        assert kpis["won_share"] <= kpis["qualified_share"] <= kpis["reached_share"]


@pytest.mark.pure_python_engine
@PROPERTY
@given(experiment=experiments(), seed=_seeds)
def test_work_follows_the_cadence(experiment: Experiment, seed: np.random.SeedSequence) -> None:
    """Each lead's work comes in order (screen, first attempt, follow-ups, meeting, nurture),
    within max_attempts, and no follow-up, nurture or retention touch starts before it is due."""
    record = run_recorded(experiment, seed)
    cadence = experiment.policy
    followup = cadence.followup
    order = {"screen": 0, "first_attempt": 1, "follow_up": 2, "meeting": 3, "nurture": 4}
    started: dict[int, list[str]] = {}
    last_end: dict[int, float] = dict(record.won_at)  # customers: touches count from the win
    attempts: dict[int, int] = {}
    for event, now, _, subject, kind in record.traced:
        if subject < 0:  # a request to another department, or the manager's planning
            assert kind in ("department_referral", PLANNING)
            continue
        if event == "end":
            last_end[subject] = now
            continue
        if subject in record.won_at:
            assert kind == "retention", (subject, kind)
            age = last_end[subject] - record.won_at[subject]
            gap = cadence.retention.gap_at(age)
            assert gap is not None, f"customer {subject} touched at {now}, after the schedule ended"
            assert now >= last_end[subject] + gap - 1e-6, (subject, now, last_end[subject], gap)
            continue
        kinds = started.setdefault(subject, [])
        if kinds:
            previous = kinds[-1]
            assert order[kind] >= order[previous], f"lead {subject}: {kind} after {previous}"
            assert kind in ("follow_up", "nurture") or kind != previous, (subject, kinds, kind)
        else:
            assert kind == ("screen" if cadence.screening.enabled else "first_attempt"), kind
        if kind in ("first_attempt", "follow_up"):
            attempts[subject] = attempts.get(subject, 0) + 1
            assert attempts[subject] <= followup.max_attempts
        if kind == "follow_up":
            gap = followup.gap_after(attempts[subject] - 1)
            assert gap is not None
            assert now >= last_end[subject] + gap - 1e-6, (subject, now, last_end[subject], gap)
        if kind == "nurture":
            assert now >= last_end[subject] + cadence.nurture.interval - 1e-6
        kinds.append(kind)
    if cadence.referral.department_interval is None and not cadence.manager.planning:
        assert all(subject >= 0 for _, _, _, subject, _ in record.traced)


# --- engine bugs found by these properties, pinned as small deterministic cases -------------


def _small(
    scenario: dict[str, Any] | None = None, policy: dict[str, Any] | None = None
) -> Experiment:
    """One source, two generalists on weekday office hours, one measured week; then changes."""
    data: dict[str, Any] = {
        "name": "small",
        "scenario": {
            "horizon": "1w",
            "warmup": "0m",
            "drain": "1w",
            "sources": [{"name": "web", "leads_per_week": 100}],
            "reps": [{"name": "team", "count": 2}],
            **(scenario or {}),
        },
        "policy": policy or {},
    }
    return validate_experiment(data)


def test_value_queue_order_runs() -> None:
    experiment = _small(policy={"queue": {"order": "value"}})
    floor = SalesFloor(experiment.scenario, experiment.policy, np.random.SeedSequence(1))
    kpis = replication_kpis(floor.simulate())
    assert kpis["leads"] > 0


@pytest.mark.pure_python_engine
def test_work_running_into_the_next_shift_is_overtime() -> None:
    # Shifts 01:00-24:00 every day leave a one-hour gap; every task takes three hours and
    # the rep never runs out of work, so some task runs from before 24:00 past 01:00 each day.
    three_hours = "3h"
    experiment = _small(
        scenario={
            "horizon": "2w",
            "drain": "0m",
            "sources": [{"name": "web", "leads_per_week": 2000, "profile": "flat"}],
            "reps": [
                {
                    "name": "team",
                    "count": 1,
                    "shift": {"days": "everyday", "start": "01:00", "end": "24:00"},
                }
            ],
            "actions": {
                "conversation": three_hours,
                "no_answer": three_hours,
                "voicemail": three_hours,
            },
            "screening": {"instant": {"time": three_hours}, "deep": {"time": three_hours}},
        },
        policy={"screening": {"enabled": False}},
    )
    record = run_recorded(experiment, np.random.SeedSequence(1))
    floor = record.floor
    busy, overtime = _busy_and_overtime(record)
    assert overtime > 0  # the trace shows work between 00:00 and 01:00 every day
    kpis = replication_kpis(floor)
    assert kpis["utilisation"] <= 1.0, kpis["utilisation"]  # 1.034
    assert floor.meter.overtime_minutes == pytest.approx(overtime)  # 0.0
    assert floor.meter.busy_minutes == pytest.approx(busy)


def _spread_one_piece_at_a_time(
    totals: list[float], start: float, end: float, weight: float
) -> None:
    """The running sum the meter replaced: each piece added to its hour-of-week slot in turn."""
    while start < end:
        piece = min(end, (start // 60 + 1) * 60) - start
        totals[int(start // 60) % 168] += weight * piece
        start += piece


@pytest.mark.parametrize(
    ("earliest", "span"), [(0.0, 3 * 10_080), (61.0, 3 * 10_080), (0.0, 120.0)]
)
def test_hour_of_week_totals_are_the_running_sums_to_the_last_bit(
    earliest: float, span: float
) -> None:
    """``add_by_hour`` (numpy, after the run) equals adding piece by piece as intervals end.

    The span of 120 minutes puts about half the intervals in the first hour, where a
    running sum's cut at minute 60 can round (those are cut piece by piece).
    """
    rng = np.random.default_rng(7)
    starts = earliest + rng.random(5000) * span
    ends = starts + rng.exponential(40.0, starts.size) * rng.integers(0, 2, starts.size)
    ends[::50] = np.ceil(ends[::50] / 60) * 60  # ends exactly on the hour
    ends = np.maximum(ends, starts + 1e-3)
    weights = rng.integers(1, 9, starts.size).astype(float)
    old = rng.random(168) * 100
    expected = old.tolist()
    for start, end, weight in zip(starts.tolist(), ends.tolist(), weights.tolist(), strict=True):
        _spread_one_piece_at_a_time(expected, start, end, weight)
    assert add_by_hour(old, starts, ends, weights).tolist() == expected
