"""Bad input of every kind exits 2 with one message naming what was wrong, before any work.

One table per kind of input (experiment fields, ``--set`` values, YAML files,
``extends:``, flags, the size guard, ``--out``, run folders, CRM CSV files), each
row one bad input with the phrases its message must hold: the file, the field or
flag, and what was expected. Every row also asserts no traceback, nothing on stdout
and nothing written (see ``assert_bad_input`` in this folder's conftest.py).
Experiments start from the shipped baseline shrunk to run fast (the ``tiny``
fixture), in case a row is accidentally accepted.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sim.experiment import load_experiment
from sim.report.saving import sweep_folder

from .conftest import Cli, Mutation, assert_bad_input

REPO = Path(__file__).resolve().parents[2]


# --- experiment fields ---------------------------------------------------------------------


def _source(data: dict[str, Any]) -> dict[str, Any]:
    return data["scenario"]["sources"][0]


def _reps(data: dict[str, Any]) -> dict[str, Any]:
    return data["scenario"]["reps"][0]


def _top(data: dict[str, Any]) -> dict[str, Any]:
    return data


def _actions(data: dict[str, Any]) -> dict[str, Any]:
    return data["scenario"].setdefault("actions", {})


def _response(data: dict[str, Any]) -> dict[str, Any]:
    return data["scenario"].setdefault("response", {})


def _followup(data: dict[str, Any]) -> dict[str, Any]:
    return data.setdefault("policy", {}).setdefault("followup", {})


def _shift(data: dict[str, Any]) -> dict[str, Any]:
    return _reps(data).setdefault("shift", {})


def _policy(data: dict[str, Any], family: str) -> dict[str, Any]:
    return data.setdefault("policy", {}).setdefault(family, {})


def _scenario(data: dict[str, Any], part: str) -> dict[str, Any]:
    return data["scenario"].setdefault(part, {})


def _set(getter: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        getter(data)[key] = value

    return mutate


def _rename(getter: Callable[[dict[str, Any]], dict[str, Any]], old: str, new: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        node = getter(data)
        node[new] = node.pop(old)

    return mutate


def _sequence(**fields: Any) -> Mutation:
    """Follow up with a sequence cadence of these fields (the rest its defaults)."""

    def mutate(data: dict[str, Any]) -> None:
        data.setdefault("policy", {})["followup"] = {"name": "sequence", **fields}

    return mutate


def _split_team(data: dict[str, Any]) -> None:
    """Responders and closers instead of generalists (as in experiments/staffing.yaml)."""
    shift = {"days": "weekdays", "start": "08:30", "end": "17:00"}
    data["scenario"]["reps"] = [
        {"name": "responders", "count": 2, "role": "responder", "shift": shift},
        {"name": "closers", "count": 1, "role": "closer", "shift": shift},
    ]


def _backwards_schedule(data: dict[str, Any]) -> None:
    _policy(data, "retention")["schedule"] = [
        {"until": "4w", "every": "1w"},
        {"until": "2w", "every": "1d"},
        {"every": "30d"},
    ]


def _closers_staffed_at_zero(data: dict[str, Any]) -> None:
    _split_team(data)
    _policy(data, "staffing")["counts"] = {"closers": 0}


# (mutation, field path as the message names it, phrases saying what was expected)
FIELD_CASES = [
    pytest.param(
        _rename(_source, "leads_per_week", "leads_per_weak"),
        "scenario.sources[0].leads_per_weak",
        ["unknown field", "did you mean 'leads_per_week'?"],
        id="typo-in-source",
    ),
    pytest.param(
        _set(_top, "replicatons", 3),
        "replicatons",
        ["unknown field", "did you mean 'replications'?"],
        id="typo-at-top-level",
    ),
    pytest.param(
        _set(_source, "leads_per_week", "lots"),
        "scenario.sources[0].leads_per_week",
        ["valid number", "'lots'"],
        id="wrong-type-number",
    ),
    pytest.param(
        _set(_reps, "count", "many"),
        "scenario.reps[0].count",
        ["valid integer", "'many'"],
        id="wrong-type-integer",
    ),
    pytest.param(
        _set(_reps, "shift", "9-5"),
        "scenario.reps[0].shift",
        ["expected a mapping of fields", "start", "end", "'9-5'"],
        id="string-for-mapping",
    ),
    pytest.param(
        _set(_source, "leads_per_week", -5),
        "scenario.sources[0].leads_per_week",
        ["greater than 0", "-5"],
        id="negative-volume",
    ),
    pytest.param(
        _set(_source, "leads_per_week", 0),
        "scenario.sources[0].leads_per_week",
        ["greater than 0"],
        id="zero-volume",
    ),
    pytest.param(
        _set(_reps, "count", 0),
        "scenario.reps[0].count",
        ["greater than 0"],
        id="zero-reps",
    ),
    pytest.param(
        lambda d: _shift(d).update(start="17:00", end="09:00"),
        "scenario.reps[0].shift",
        ["ends (09:00) before it starts (17:00)", "expected an end after the start"],
        id="shift-ends-before-start",
    ),
    pytest.param(
        lambda d: _shift(d).update(start="09:00", end="09:00"),
        "scenario.reps[0].shift",
        ["expected an end after the start"],
        id="shift-of-no-length",
    ),
    pytest.param(
        _set(_shift, "start", "25:00"),
        "scenario.reps[0].shift.start",
        ["expected a clock time"],
        id="bad-clock-time",
    ),
    pytest.param(
        _set(_source, "profile", [1.0] * 24),
        "scenario.sources[0].profile",
        ["expected 168 hourly weights", "got 24"],
        id="profile-wrong-length",
    ),
    pytest.param(
        _set(_source, "profile", [0] * 168),
        "scenario.sources[0].profile",
        ["expected at least one positive hourly weight", "all zeros"],
        id="profile-all-zeros",
    ),
    pytest.param(
        _set(_source, "profile", [1.0] * 30 + [-1.0] + [1.0] * 137),
        "scenario.sources[0].profile",
        ["expected non-negative hourly weights", "tue 06:00"],
        id="profile-negative-weight",
    ),
    pytest.param(
        _set(_source, "profile", "office_hours"),
        "scenario.sources[0].profile",
        ["unknown profile 'office_hours'", "business_hours", "a list of 168 hourly weights"],
        id="profile-unknown-preset",
    ),
    pytest.param(
        _set(_followup, "name", "fibonaci"),
        "policy.followup",
        ["unknown followup policy 'fibonaci'", "expected one of", "steps"],
        id="unknown-policy",
    ),
    pytest.param(
        _set(_followup, "max_attempt", 3),
        "policy.followup.max_attempt",
        ["unknown field", "did you mean 'max_attempts'?"],
        id="unknown-policy-parameter",
    ),
    pytest.param(
        lambda d: d.setdefault("policy", {}).__setitem__(
            "followup", {"name": "geometric", "steps": ["5m", "1h"]}
        ),
        "policy.followup.steps",
        ["unknown field", "first_gap"],  # the parameters of the policy the file names
        id="parameter-of-another-policy",
    ),
    pytest.param(
        _sequence(steps=[{"email": "0m"}, {"call": "1h"}]),
        "policy.followup.steps",
        ["the first step must be {call: 0m}"],
        id="sequence-starting-with-an-email",
    ),
    pytest.param(
        _sequence(steps=[{"call": "0m"}, {"fax": "1d"}]),
        "policy.followup.steps",
        ["step 2", "unknown channel 'fax'", "expected one of: call, email, sms"],
        id="sequence-unknown-channel",
    ),
    pytest.param(
        _sequence(steps=[{"call": "0m"}, {"call": "2d"}, {"sms": "1d"}]),
        "policy.followup.steps",
        ["step 3", "offsets must not decrease"],
        id="sequence-offsets-out-of-order",
    ),
    pytest.param(
        _sequence(exit=["replied"]),
        "policy.followup.exit",
        ["expected 'reached' among the exit rules"],
        id="sequence-exit-without-reached",
    ),
    pytest.param(
        _set(lambda d: _scenario(d, "channels"), "fax", {}),
        "scenario.channels.fax",
        ["unknown field", "email, sms"],
        id="unknown-channel-section",
    ),
    pytest.param(
        _set(lambda d: _scenario(d, "channels"), "daily_touch_cap_per_rep", -1),
        "scenario.channels.daily_touch_cap_per_rep",
        ["greater than or equal to 1"],
        id="negative-cap-across-channels",
    ),
    pytest.param(
        _set(lambda d: _scenario(d, "channels"), "daily_touch_cap_per_rep", 0),
        "scenario.channels.daily_touch_cap_per_rep",
        ["greater than or equal to 1", "got 0"],
        id="zero-cap-across-channels",
    ),
    pytest.param(
        _set(lambda d: _scenario(d, "channels"), "email", {"daily_cap_per_rep": 0}),
        "scenario.channels.email.daily_cap_per_rep",
        ["greater than or equal to 1", "got 0"],
        id="zero-channel-cap",
    ),
    pytest.param(
        _set(lambda d: _scenario(d, "channels"), "social", {"reply_chance": 9}),
        "scenario.channels.social.reply_chance",
        ["less than or equal to 1", "got 9"],
        id="social-reply-chance-above-one",
    ),
    pytest.param(
        _set(_actions, "no_answer", "5 minutes"),
        "scenario.actions.no_answer",
        ["expected a duration", "'5m'", "'5 minutes'"],
        id="unparseable-duration",
    ),
    pytest.param(
        _set(_top, "scenario", "big"),
        "scenario",
        ["expected a mapping of fields", "sources", "'big'"],
        id="string-for-scenario",
    ),
    pytest.param(
        lambda d: d["scenario"].__setitem__("horizon", "13 weeks"),
        "scenario.horizon",
        ["expected a duration", "'13 weeks'"],
        id="unparseable-horizon",
    ),
    pytest.param(
        _set(_followup, "steps", ["5m", "1hour"]),
        "policy.followup.steps[1]",
        ["expected a duration", "'1hour'"],
        id="unparseable-duration-in-list",
    ),
    pytest.param(
        _set(_actions, "conversation", {"dist": "normal", "mean": "12m"}),
        "scenario.actions.conversation",
        ["unknown dist 'normal'", "expected one of: fixed, exponential, lognormal, uniform"],
        id="unknown-distribution",
    ),
    pytest.param(
        _set(_actions, "conversation", {"mean": "12m", "sd": "8m"}),
        "scenario.actions.conversation",
        ["missing the 'dist' key", "expected dist: one of: fixed, exponential, lognormal"],
        id="distribution-without-dist",
    ),
    pytest.param(
        _set(_actions, "conversation", ["12m", "8m"]),
        "scenario.actions.conversation",
        ["expected a mapping with a 'dist' key", "got a list"],
        id="list-for-distribution",
    ),
    pytest.param(
        _set(_actions, "conversation", {"dist": "lognormal", "mean": "12m", "sdev": "8m"}),
        "scenario.actions.conversation.sdev",
        ["unknown field", "did you mean 'sd'?"],
        id="typo-in-distribution",
    ),
    pytest.param(
        _set(_response, "contact", {"family": "linear", "scale": "4h"}),
        "scenario.response.contact",
        ["unknown family 'linear'", "exponential", "weibull", "table"],
        id="unknown-curve-family",
    ),
    pytest.param(
        _set(_response, "contact", "exponential"),
        "scenario.response.contact",
        ["expected a mapping with a 'family' key", "got 'exponential'"],
        id="string-for-curve",
    ),
    pytest.param(
        _set(_response, "contact", {"family": "table", "points": [[0, 1], "late"]}),
        "scenario.response.contact.points[1]",
        ["valid tuple", "'late'"],
        id="bad-curve-point",
    ),
    pytest.param(
        _set(_top, "replications", 0),
        "replications",
        ["greater than or equal to 1"],
        id="zero-replications-in-file",
    ),
    pytest.param(
        _set(_top, "seed", -1),
        "seed",
        ["greater than or equal to 0"],
        id="negative-seed-in-file",
    ),
    pytest.param(
        lambda d: _policy(d, "nurture").__setitem__("interval", 0),
        "policy.nurture.interval",
        ["greater than 0"],
        id="nurture-interval-zero",
    ),
    pytest.param(
        lambda d: _policy(d, "nurture").__setitem__("interval", "0m"),
        "policy.nurture.interval",
        ["greater than 0", "'0m'"],
        id="nurture-interval-0m",
    ),
    pytest.param(
        _backwards_schedule,
        "policy.retention",
        ["schedule goes backwards", "'until' must be later than the previous"],
        id="retention-schedule-backwards",
    ),
    pytest.param(
        lambda d: _policy(d, "retention").__setitem__(
            "schedule", [{"until": "2w", "every": "1d"}, {"until": "2w", "every": "1w"}]
        ),
        "policy.retention",
        ["schedule goes backwards"],
        id="retention-schedule-repeats-an-age",
    ),
    pytest.param(
        lambda d: _policy(d, "retention").__setitem__(
            "schedule", [{"every": "1w"}, {"until": "8w", "every": "30d"}]
        ),
        "policy.retention",
        ["only the last step", "may omit 'until'"],
        id="retention-open-ended-step-not-last",
    ),
    pytest.param(
        lambda d: _policy(d, "retention").__setitem__("intensity", 0),
        "policy.retention.intensity",
        ["greater than 0"],
        id="retention-intensity-zero",
    ),
    pytest.param(
        lambda d: _policy(d, "routing").update(rule="weighted", weights={"inside_sales": 0}),
        "policy.routing",
        ["weighted rule", "weights", "sum to more than zero"],
        id="routing-weights-sum-to-zero",
    ),
    pytest.param(
        lambda d: _policy(d, "routing").update(rule="weighted", weights={}),
        "policy.routing",
        ["weighted rule", "sum to more than zero"],
        id="routing-weighted-without-weights",
    ),
    pytest.param(
        lambda d: _policy(d, "routing").update(rule="weighted", weights={"inside_sales": -1}),
        "policy.routing",
        ["weights must not be negative"],
        id="routing-negative-weight",
    ),
    pytest.param(
        lambda d: _policy(d, "routing").update(rule="weighted", weights={"day_team": 1}),
        "policy.routing.weights.day_team",
        ["no rep group named 'day_team'", "expected one of: inside_sales"],
        id="routing-weight-for-unknown-group",
    ),
    pytest.param(
        lambda d: d["scenario"]["reps"][0].__setitem__("role", "responder"),
        "scenario.reps",
        ["no closer or generalist is staffed", "qualified leads and customers would never"],
        id="all-reps-responders",
    ),
    pytest.param(
        lambda d: d["scenario"]["reps"][0].__setitem__("role", "closer"),
        "scenario.reps",
        ["no responder or generalist is staffed", "nobody would call new leads"],
        id="all-reps-closers",
    ),
    pytest.param(
        _closers_staffed_at_zero,
        "scenario.reps",
        ["no closer or generalist is staffed", "policy.staffing.counts"],
        id="only-closer-group-staffed-at-zero",
    ),
    pytest.param(
        lambda d: _policy(d, "staffing").__setitem__("counts", {"inside_sales": 0}),
        "scenario.reps",
        ["no responder or generalist is staffed", "no closer or generalist is staffed"],
        id="only-generalist-group-staffed-at-zero",
    ),
    pytest.param(
        lambda d: _policy(d, "speed_to_lead").__setitem__("responder_share", 1.0),
        "scenario.reps",
        ["no closer or generalist is staffed", "policy.speed_to_lead.responder_share"],
        id="every-generalist-made-a-responder",
    ),
    pytest.param(
        lambda d: d["scenario"]["sources"][0].__setitem__("fit_rate", 1.5),
        "scenario.sources[0].fit_rate",
        ["less than or equal to 1", "1.5"],
        id="fit-rate-above-1",
    ),
    pytest.param(
        lambda d: (
            _scenario(d, "screening")
            .setdefault("deep", {})
            .__setitem__("false_negative_rate", -0.1)
        ),
        "scenario.screening.deep.false_negative_rate",
        ["greater than or equal to 0", "-0.1"],
        id="false-negative-rate-below-0",
    ),
    pytest.param(
        lambda d: _scenario(d, "screening")["deep"].update(
            false_negative_rate=0.6, false_positive_rate=0.5
        ),
        "scenario.screening.deep",
        ["must be below 1", "no better than a coin"],
        id="screening-no-better-than-a-coin",
    ),
    pytest.param(
        lambda d: _scenario(d, "screening")["instant"].__setitem__("catch_rate", 1.2),
        "scenario.screening.instant.catch_rate",
        ["less than or equal to 1", "1.2"],
        id="instant-catch-rate-above-1",
    ),
    pytest.param(
        lambda d: _scenario(d, "screening")["instant"].__setitem__("time", "-5s"),
        "scenario.screening.instant.time",
        ["expected a non-negative duration", "-5s"],
        id="instant-check-negative-time",
    ),
    pytest.param(
        _set(_source, "obviously_unfit_share", 1.5),
        "scenario.sources[0].obviously_unfit_share",
        ["less than or equal to 1", "1.5"],
        id="obviously-unfit-share-above-1",
    ),
    pytest.param(
        lambda d: _policy(d, "screening").__setitem__("check", "thorough"),
        "policy.screening.check",
        ["'instant' or 'deep'", "thorough"],
        id="screening-check-unknown",
    ),
    pytest.param(
        lambda d: _policy(d, "screening").__setitem__("by_source", {"webform": "deep"}),
        "policy.screening.by_source.webform",
        ["no lead source named 'webform'", "expected one of: web_form"],
        id="screening-by-unknown-source",
    ),
    pytest.param(
        lambda d: _scenario(d, "referrals").__setitem__(
            "departments",
            [
                {"name": "events", "pool_size": 10, "refill_time": "2w"},
                {"name": "events", "pool_size": 5, "refill_time": "4w"},
            ],
        ),
        "scenario.referrals.departments",
        ["department names must be unique", "events"],
        id="department-named-twice",
    ),
    pytest.param(
        lambda d: _scenario(d, "referrals")["departments"][0].__setitem__("refill_time", "0m"),
        "scenario.referrals.departments[0].refill_time",
        ["greater than 0"],
        id="department-refill-time-zero",
    ),
    pytest.param(
        lambda d: _scenario(d, "referrals")["departments"][0].__setitem__("share_per_request", 1.5),
        "scenario.referrals.departments[0].share_per_request",
        ["less than or equal to 1", "1.5"],
        id="department-share-above-1",
    ),
    pytest.param(
        lambda d: _scenario(d, "decision").__setitem__("win_rate", 2),
        "scenario.decision.win_rate",
        ["less than or equal to 1", "2"],
        id="win-rate-2",
    ),
    pytest.param(
        lambda d: _scenario(d, "decision").__setitem__("pull_in_per_touch", -0.5),
        "scenario.decision.pull_in_per_touch",
        ["greater than or equal to 0"],
        id="pull-in-per-touch-negative",
    ),
    pytest.param(
        lambda d: _scenario(d, "decision").__setitem__("close_per_touch", 0.05),
        "scenario.decision",
        ["close_per_touch was retired", "pull_in_per_touch"],
        id="close-per-touch-retired",
    ),
    pytest.param(
        lambda d: _scenario(d, "fatigue").__setitem__("opt_out_per_touch", 1.2),
        "scenario.fatigue.opt_out_per_touch",
        ["less than or equal to 1"],
        id="opt-out-per-touch-above-1",
    ),
    pytest.param(
        lambda d: _policy(d, "speed_to_lead").__setitem__("responder_share", 1.5),
        "policy.speed_to_lead.responder_share",
        ["less than or equal to 1"],
        id="responder-share-above-1",
    ),
    pytest.param(
        lambda d: _policy(d, "staffing").__setitem__("counts", {"nobody": 3}),
        "policy.staffing.counts.nobody",
        ["no rep group named 'nobody'", "expected one of: inside_sales"],
        id="staffing-counts-unknown-group",
    ),
    pytest.param(
        lambda d: _policy(d, "staffing").__setitem__("counts", {"inside_sales": -2}),
        "policy.staffing.counts.inside_sales",
        ["expected a number of reps >= 0", "-2"],
        id="staffing-count-negative",
    ),
    pytest.param(
        lambda d: _policy(d, "referral").__setitem__("department_interval", "0m"),
        "policy.referral.department_interval",
        ["greater than 0"],
        id="referral-interval-zero",
    ),
    # Values that crashed or hung the engine before they were refused.
    pytest.param(
        _set(_actions, "conversation", "0m"),
        "scenario.actions.conversation",
        ["expected a positive duration", "every dial takes some time"],
        id="zero-minute-conversation",
    ),
    pytest.param(
        _set(_actions, "no_answer", 0),
        "scenario.actions.no_answer",
        ["expected a positive duration"],
        id="zero-minute-no-answer",
    ),
    pytest.param(
        _set(_actions, "voicemail", "0s"),
        "scenario.actions.voicemail",
        ["expected a positive duration"],
        id="zero-minute-voicemail",
    ),
    pytest.param(
        _set(_actions, "conversation", {"dist": "lognormal", "mean": "12m", "sd": 1e300}),
        "scenario.actions.conversation",
        ["more than 100 times the mean", "expected a spread a lognormal can describe"],
        id="lognormal-absurd-sd",
    ),
    pytest.param(
        _set(_source, "deal_value", {"mean": 10, "sd": 1e9}),
        "scenario.sources[0].deal_value",
        ["more than 100 times the mean"],
        id="deal-value-absurd-sd",
    ),
    pytest.param(
        _set(_source, "leads_per_week", float("inf")),
        "scenario.sources[0].leads_per_week",
        ["finite number"],
        id="leads-per-week-inf",
    ),
    pytest.param(
        _set(_source, "leads_per_week", 1e12),
        "scenario.sources[0].leads_per_week",
        ["less than or equal to 10000000"],
        id="leads-per-week-1e12",
    ),
    pytest.param(
        _set(_top, "seed", True),
        "seed",
        ["valid integer", "got true"],
        id="seed-true",
    ),
    pytest.param(
        _set(_top, "replications", True),
        "replications",
        ["valid integer", "got true"],
        id="replications-true",
    ),
    pytest.param(
        _set(_reps, "count", 1_000_000_000),
        "scenario.reps[0].count",
        ["less than or equal to 10000"],
        id="reps-count-1e9",
    ),
    pytest.param(
        lambda d: _scenario(d, "referrals")["departments"][0].__setitem__("pool_size", 1e9),
        "scenario.referrals.departments[0].pool_size",
        ["less than or equal to 100000"],
        id="huge-department-referral-pool",
    ),
    pytest.param(
        lambda d: (
            _scenario(d, "referrals").setdefault("customers", {}).__setitem__("pool_size", 1e6)
        ),
        "scenario.referrals.customers.pool_size",
        ["less than or equal to 1000"],
        id="huge-customer-referral-pool",
    ),
    pytest.param(
        _set(lambda d: _scenario(d, "calendar"), "holidays", ["2026-12-25"]),
        "scenario.calendar",
        ["the holiday 2026-12-25 needs calendar.start_date", "a Monday"],
        id="holiday-date-without-start-date",
    ),
    pytest.param(
        _set(lambda d: _scenario(d, "calendar"), "start_date", "2026-12-01"),
        "scenario.calendar",
        ["is a Tuesday", "expected a Monday"],
        id="start-date-not-a-monday",
    ),
    pytest.param(
        _set(lambda d: _scenario(d, "calendar"), "holidays", [{"week": 2, "day": "funday"}]),
        "scenario.calendar.holidays[0].day",
        ["expected a day mon..sun", "'funday'"],
        id="holiday-unknown-day",
    ),
    pytest.param(
        _set(lambda d: _scenario(d, "calendar"), "seasonality", [1, {"week": 2, "volume": 2}]),
        "scenario.calendar.seasonality",
        ["a list of weekly multipliers", "a list of campaign weeks", "not a mix"],
        id="seasonality-mixed",
    ),
    pytest.param(
        _set(_source, "seasonality", [{"week": 2, "volume": -1}]),
        "scenario.sources[0].seasonality",
        ["greater than or equal to 0"],
        id="source-campaign-negative-volume",
    ),
    pytest.param(
        _set(_source, "time_zones", {"-3": 0.5, "0": 0.4}),
        "scenario.sources[0].time_zones",
        ["expected shares that sum to 1", "got 0.9"],
        id="time-zone-shares-not-one",
    ),
    pytest.param(
        _set(_source, "time_zones", {"east": 1.0}),
        "scenario.sources[0].time_zones",
        ["unknown time zone 'east'", "hours relative to the reps' zone"],
        id="time-zone-not-a-number",
    ),
    pytest.param(
        _set(_source, "time_zones", {"Europe/London": 1.0}),
        "scenario",
        ["source 'web_form' has leads in Europe/London", "needs calendar.time_zone"],
        id="named-lead-zone-without-team-zone",
    ),
    pytest.param(
        _set(lambda d: _scenario(d, "calendar"), "time_zone", "America/New_York"),
        "scenario.calendar",
        ["time_zone needs calendar.start_date", "a Monday"],
        id="team-zone-without-start-date",
    ),
    pytest.param(
        lambda d: _scenario(d, "calendar").update(start_date="2027-03-01", time_zone="Eastern"),
        "scenario.calendar.time_zone",
        ["unknown time zone 'Eastern'", "expected an IANA name such as 'America/New_York'"],
        id="team-zone-unknown",
    ),
    pytest.param(
        _set(_response, "local_calling_window", {"start": "20:00", "end": "08:00"}),
        "scenario.response.local_calling_window",
        ["ends (08:00) before it starts (20:00)"],
        id="calling-window-backwards",
    ),
    pytest.param(
        lambda d: (
            _source(d).__setitem__("time_zones", {"-12": 1.0}),
            _response(d).__setitem__("local_calling_window", {"start": "09:00", "end": "17:00"}),
        ),
        "scenario",
        ["source 'web_form' at -12 h could never be called", "expected a window that does"],
        id="calling-window-never-open-while-reps-work",
    ),
    pytest.param(
        lambda d: (
            _source(d).__setitem__("time_zones", {"Europe/London": 1.0}),
            _scenario(d, "calendar").update(start_date="2027-03-01", time_zone="America/New_York"),
            # 09:00-13:30 in London: 05:00-09:30 in New York in late March, but 04:00-08:30
            # the rest of the run, before the reps' 08:30 start.
            _response(d).__setitem__("local_calling_window", {"start": "09:00", "end": "13:30"}),
        ),
        "scenario",
        ["source 'web_form' in Europe/London (+5 h from the team) could never be called"],
        id="calling-window-never-open-in-a-named-zone",
    ),
]


@pytest.mark.parametrize(("mutate", "field", "phrases"), FIELD_CASES)
def test_bad_field(mutate: Mutation, field: str, phrases: list[str], cli: Cli) -> None:
    path = cli.experiment(mutate)
    run = cli.run("run", path, "--out", cli.out, "-q")
    assert_bad_input(run, f"error: {path}: {field}: ", *phrases)
    check = cli.run("check", path)  # check reports exactly what run reports
    assert (check.status, check.out, check.err) == (2, "", run.err)


def test_typo_is_reported_once(cli: Cli) -> None:
    """Not also as the field it was meant to be being missing."""
    path = cli.experiment(_rename(_source, "leads_per_week", "leads_per_weak"))
    outcome = cli.run("run", path, "--out", cli.out, "-q")
    assert_bad_input(outcome)
    assert "missing" not in outcome.err


def test_paths_name_what_the_user_wrote(cli: Cli) -> None:
    """No pydantic internals: no union tags, no fields behind a shorthand, no class names."""
    _set(_actions, "no_answer", "soon")(cli.tiny)
    _set(_actions, "conversation", {"dist": "lognormal", "mean": "12m", "sdev": "8m"})(cli.tiny)
    _set(_source, "intent", "high")(cli.tiny)
    outcome = cli.run("run", cli.experiment(), "--out", cli.out, "-q")
    err = outcome.err
    assert outcome.status == 2
    assert "scenario.actions.no_answer: expected a duration" in err
    assert "scenario.actions.conversation.sdev: unknown field" in err
    assert "scenario.sources[0].intent: expected a mapping of fields (mean, concentration)" in err
    for internal in ("no_answer.value", ".fixed", ".lognormal", "_Proportion", "Input tag"):
        assert internal not in err
    assert "Traceback" not in err
    assert outcome.written == []


# --- --set values ----------------------------------------------------------------------------

# (assignment, phrases); the message starts "FILE (with --set): FIELD: " or names --set PATH
SET_CASES = [
    pytest.param(
        "scenario.reps[0].cnt=3",
        ["--set scenario.reps[0].cnt", "scenario.reps[0] has no field 'cnt'"],
        id="unknown-field",
    ),
    pytest.param(
        "scenario.reps[0].cont=3", ["did you mean 'count'?", "expected one of:"], id="did-you-mean"
    ),
    pytest.param(
        "scenario.reps[99].count=3",
        ["--set scenario.reps[99].count", "expected an index from 0 to", "got 99"],
        id="index-out-of-range",
    ),
    pytest.param(
        "scenario.reps.first.count=3",
        ["scenario.reps is a list", "expected an index such as scenario.reps[0]"],
        id="name-for-index",
    ),
    pytest.param(
        "seed.value=3", ["--set seed.value", "seed is a single value"], id="inside-a-value"
    ),
    pytest.param("seed", ["--set 'seed'", "expected path.to.field=value"], id="no-equals"),
    pytest.param("=3", ["--set '=3'", "expected path.to.field=value"], id="no-path"),
    pytest.param(
        "scenario.reps[0].count=0",
        ["(with --set): scenario.reps[0].count: ", "greater than 0"],
        id="bad-value",
    ),
    pytest.param(
        "scenario.sources[0].leads_per_week=.inf",
        ["scenario.sources[0].leads_per_week: ", "finite number"],
        id="leads-inf",
    ),
    pytest.param(
        "scenario.sources[0].leads_per_week=.nan",
        ["scenario.sources[0].leads_per_week: ", "finite number"],
        id="leads-nan",
    ),
    pytest.param(
        "scenario.sources[0].leads_per_week=1e12",
        ["scenario.sources[0].leads_per_week: ", "less than or equal to 10000000"],
        id="leads-1e12",
    ),
    pytest.param(
        "scenario.sources[0].leads_per_week=true",
        ["scenario.sources[0].leads_per_week: ", "valid number", "got true"],
        id="leads-true",
    ),
    pytest.param("seed=true", ["seed: ", "valid integer", "got true"], id="seed-true"),
    pytest.param("seed=false", ["seed: ", "valid integer", "got false"], id="seed-false"),
    pytest.param(
        "policy.followup.max_attempts=true",
        ["policy.followup.max_attempts", "valid integer", "got true"],
        id="policy-count-true",
    ),
    pytest.param(
        "policy.retention.intensity=.nan",
        ["policy.retention.intensity", "finite"],
        id="policy-number-nan",
    ),
    pytest.param("seed=1.5", ["seed: ", "valid integer"], id="seed-fraction"),
    pytest.param("seed=abc", ["seed: ", "valid integer", "'abc'"], id="seed-text"),
    pytest.param("replications=true", ["replications: ", "valid integer"], id="replications-true"),
    pytest.param("replications=0", ["replications: ", "greater than or equal to 1"], id="reps-0"),
    pytest.param(
        "scenario.reps[0].count=true",
        ["scenario.reps[0].count: ", "valid integer", "got true"],
        id="count-true",
    ),
    pytest.param(
        "scenario.reps[0].count=2.5", ["scenario.reps[0].count: ", "valid integer"], id="count-2.5"
    ),
    pytest.param(
        "scenario.reps[0].count=1000000000",
        ["scenario.reps[0].count: ", "less than or equal to 10000"],
        id="count-1e9",
    ),
    pytest.param(
        "scenario.reps[0].skill=.inf", ["scenario.reps[0].skill: ", "finite number"], id="skill-inf"
    ),
    pytest.param(
        "scenario.reps[0].role=manager",
        ["scenario.reps[0].role: ", "generalist", "responder", "closer"],
        id="unknown-role",
    ),
    pytest.param(
        "scenario.actions.conversation=0m",
        ["scenario.actions.conversation: ", "expected a positive duration"],
        id="conversation-0m",
    ),
    pytest.param(
        "scenario.actions.no_answer={dist: fixed, value: 0}",
        ["scenario.actions.no_answer: ", "expected a positive duration"],
        id="no-answer-fixed-0",
    ),
    pytest.param(
        "scenario.actions.conversation={dist: exponential, mean: 0m}",
        ["scenario.actions.conversation.mean: ", "greater than 0"],
        id="exponential-mean-0",
    ),
    pytest.param(
        "scenario.actions.meeting={dist: uniform, low: 2h, high: 1h}",
        ["scenario.actions.meeting: ", "high must not be below low"],
        id="uniform-backwards",
    ),
    pytest.param(
        "scenario.actions.conversation={dist: lognormal, mean: 12m, sd: 1e300}",
        ["scenario.actions.conversation: ", "more than 100 times the mean"],
        id="lognormal-sd-1e300",
    ),
    pytest.param(
        "scenario.actions.conversation={dist: lognormal, mean: 12m, sd: true}",
        ["scenario.actions.conversation.sd: ", "expected a duration", "got true"],
        id="lognormal-sd-true",
    ),
    pytest.param(
        "scenario.actions.voicemail_share=2",
        ["scenario.actions.voicemail_share: ", "less than or equal to 1"],
        id="voicemail-share-2",
    ),
    pytest.param("scenario.horizon=.inf", ["scenario.horizon: ", "finite"], id="horizon-inf"),
    pytest.param("scenario.horizon=-1w", ["scenario.horizon: ", "non-negative"], id="horizon-neg"),
    pytest.param("scenario.horizon=0", ["scenario.horizon: ", "greater than 0"], id="horizon-0"),
    pytest.param("scenario.warmup=nan", ["scenario.warmup: ", "finite"], id="warmup-nan"),
    pytest.param("scenario.drain=forever", ["scenario.drain: ", "expected a duration"], id="drain"),
    pytest.param(
        "scenario.economics.rep_cost_per_hour=.inf",
        ["scenario.economics.rep_cost_per_hour: ", "finite number"],
        id="rep-cost-inf",
    ),
    pytest.param(
        "scenario.economics.cost_per_touch=-1",
        ["scenario.economics.cost_per_touch: ", "greater than or equal to 0"],
        id="touch-cost-negative",
    ),
    pytest.param(
        "scenario.customers.churn_per_year=.nan",
        ["scenario.customers.churn_per_year: ", "finite number"],
        id="churn-nan",
    ),
    pytest.param(
        "scenario.fatigue.tolerance=0",
        ["scenario.fatigue.tolerance: ", "greater than 0"],
        id="tolerance-0",
    ),
    pytest.param(
        "scenario.sources[0].intent={mean: 1.5}",
        ["scenario.sources[0].intent.mean: ", "less than or equal to 1"],
        id="intent-above-1",
    ),
    pytest.param(
        "scenario.sources[0].intent={mean: 0.3, concentration: .inf}",
        ["scenario.sources[0].intent.concentration: ", "finite number"],
        id="concentration-inf",
    ),
    pytest.param(
        "scenario.sources[0].deal_value={mean: 10, sd: 1e9}",
        ["scenario.sources[0].deal_value: ", "more than 100 times the mean"],
        id="deal-value-sd",
    ),
    pytest.param(
        "scenario.sources[0].name=referral",
        ["scenario: ", "'referral' is reserved"],
        id="reserved-source-name",
    ),
    pytest.param("scenario.sources=[]", ["scenario.sources: ", "at least 1 item"], id="no-sources"),
    pytest.param("scenario.reps=[]", ["scenario.reps: ", "at least 1 item"], id="no-reps"),
    pytest.param("name=bad name!", ["name: ", "should match pattern"], id="name-with-spaces"),
    pytest.param(
        "scenario.referrals.departments[0].pool_size=1e9",
        ["scenario.referrals.departments[0].pool_size: ", "less than or equal to 100000"],
        id="department-pool-1e9",
    ),
    pytest.param(
        "scenario.referrals.customers.pool_size=1e6",
        ["scenario.referrals.customers.pool_size: ", "less than or equal to 1000"],
        id="customer-pool-1e6",
    ),
    pytest.param(
        "description=[&a [1, 1, 1], *a, *a]",
        ["description: ", "valid string"],
        id="alias-in-a-set-value",
    ),
    pytest.param(
        "description={a: 1, a: 2}",
        ["--set description", "refused YAML", "the key 'a' appears twice"],
        id="duplicate-key-in-a-set-value",
    ),
]


@pytest.mark.parametrize(("assignment", "phrases"), SET_CASES)
def test_bad_set(assignment: str, phrases: list[str], cli: Cli) -> None:
    path = cli.experiment()
    outcome = cli.run("run", path, "--out", cli.out, "-q", "--set", assignment)
    assert_bad_input(outcome, str(path), *phrases)


# --- files that cannot be read as an experiment --------------------------------------------


def test_missing_file(cli: Cli) -> None:
    path = cli.folder / "no_such_team.yaml"
    assert_bad_input(cli.run("run", path, "--out", cli.out, "-q"), str(path), "file not found")


def test_device_instead_of_file(cli: Cli) -> None:
    """Reading /dev/zero would never end."""
    outcome = cli.run("run", "/dev/zero", "--out", cli.out, "-q")
    assert_bad_input(outcome, "/dev/zero: not a regular file", "expected an experiment YAML file")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes")
def test_pipe_instead_of_file(cli: Cli) -> None:
    """Reading a pipe nobody writes to would wait forever."""
    path = cli.folder / "pipe.yaml"
    os.mkfifo(path)
    assert_bad_input(cli.run("check", path), f"{path}: not a regular file")


def test_huge_file(cli: Cli) -> None:
    path = cli.folder / "huge.yaml"
    with path.open("wb") as handle:
        handle.truncate(50_000_000)  # sparse: costs no disk
    outcome = cli.run("check", path)
    assert_bad_input(outcome, f"{path}: 50,000,000 bytes", "at most 10,000,000 bytes")


def test_folder_instead_of_file(cli: Cli) -> None:
    path = cli.folder / "experiments"
    path.mkdir()
    outcome = cli.run("run", path, "--out", cli.out, "-q")
    assert_bad_input(outcome, str(path), "is a folder", "expected an experiment YAML file")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file"
)
def test_unreadable_file(cli: Cli) -> None:
    path = cli.experiment()
    path.chmod(0)
    try:
        outcome = cli.run("run", path, "--out", cli.out, "-q")
    finally:
        path.chmod(0o644)
    assert_bad_input(outcome, str(path), "cannot read the file", "permission denied")


def _nested(depth: int) -> str:
    return "name: x\ndescription: " + "[" * depth + "]" * depth + "\n"


def _nested_mappings(depth: int) -> str:
    return "name: x\ndescription: " + "{a: " * depth + "1" + "}" * depth + "\n"


def _billion_laughs(inside: str) -> str:
    """About 300 bytes that would expand to 9**9 values."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + f"\n{inside}\n"


# (text or bytes of the file, phrases)
YAML_CASES = [
    pytest.param(
        "name: x\n  seed: [1, 2\n",
        ["malformed YAML at line 2, column 7", "mapping values are not allowed"],
        id="malformed",
    ),
    pytest.param(
        "name: x\nscenario:\n\t- sources\n",
        ["malformed YAML at line 3, column 1", "'\\t'"],
        id="tab-indent",
    ),
    pytest.param("", ["the file is empty", "expected a YAML mapping"], id="empty"),
    pytest.param("# only a comment\n", ["the file is empty"], id="only-comments"),
    pytest.param("null\n", ["the file is empty"], id="null"),
    pytest.param(
        "- name: x\n- name: y\n",
        ["expected a YAML mapping of experiment fields", "scenario", "found a list"],
        id="top-level-list",
    ),
    pytest.param(
        "just some words\n",
        ["expected a YAML mapping", "found str 'just some words'"],
        id="top-level-string",
    ),
    pytest.param("42\n", ["expected a YAML mapping", "found int 42"], id="top-level-number"),
    pytest.param(b"name: caf\xe9\n", ["cannot read the file", "expected UTF-8 text"], id="latin1"),
    pytest.param(
        b"name: x\x00\n", ["malformed YAML at offset 7", "unacceptable character #x0000"], id="nul"
    ),
    pytest.param(
        _billion_laughs("description: *i"),
        ["refused YAML at line 5", "aliases expand to more than 10,000 values"],
        id="billion-laughs",
    ),
    pytest.param(
        _billion_laughs("").replace("a: &a", "x: &a", 1),
        ["refused YAML", "aliases expand to more than 10,000 values"],
        id="billion-laughs-unused",
    ),
    pytest.param(
        _nested(5000),
        ["refused YAML at line 2", "nested more than 50 levels deep"],
        id="deeply-nested-lists",
    ),
    pytest.param(
        _nested_mappings(200), ["refused YAML", "nested more than 50 levels"], id="deep-mappings"
    ),
    pytest.param(
        "name: x\nname: y\n",
        ["refused YAML at line 2", "the key 'name' appears twice (lines 1 and 2)"],
        id="duplicate-top-level-key",
    ),
    pytest.param(
        "name: x\nscenario:\n  horizon: 1w\n  warmup: 0m\n  horizon: 2w\n",
        ["refused YAML at line 5", "the key 'horizon' appears twice (lines 3 and 5)"],
        id="duplicate-nested-key",
    ),
    pytest.param(
        "name: x\nseed: {a: 1, b: 2, a: 3}\n",
        ["refused YAML at line 2", "the key 'a' appears twice"],
        id="duplicate-key-in-flow-mapping",
    ),
    pytest.param("name: *nobody\n", ["malformed YAML", "undefined alias"], id="undefined-alias"),
    pytest.param(
        "name: !!python/object/apply:os.system ['true']\n",
        ["malformed YAML", "could not determine a constructor"],
        id="python-tag",
    ),
    pytest.param(
        "name: x\n---\nname: y\n",
        ["malformed YAML at line 2", "found another document"],
        id="two-docs",
    ),
]


@pytest.mark.parametrize(("content", "phrases"), YAML_CASES)
def test_unusable_yaml(content: str | bytes, phrases: list[str], cli: Cli) -> None:
    path = cli.write("team.yaml", content)
    outcome = cli.run("run", path, "--out", cli.out, "-q")
    assert_bad_input(outcome, f"{path}: ", *phrases)


# --- extends ---------------------------------------------------------------------------------

SECRET = "sk-not-for-your-eyes"


def _extends(cli: Cli, parent: Any, name: str = "child.yaml") -> Path:
    return cli.write(name, {"extends": parent, "name": "child"})


def _outside_yaml(cli: Cli) -> Any:
    """A YAML file beside the experiment's folder, not inside it."""
    cli.write("elsewhere/base.yaml", {"name": "base", "description": SECRET})
    return "../elsewhere/base.yaml"


def _link_to_text(cli: Cli) -> Any:
    secret = cli.write("../private/notes.txt", f"password: {SECRET}\n")
    (cli.folder / "exp" / "notes.yaml").parent.mkdir(exist_ok=True)
    (cli.folder / "exp" / "notes.yaml").symlink_to(secret)
    return "notes.yaml"


def _text_file(cli: Cli) -> Any:
    cli.write("exp/notes.txt", f"{SECRET}\n")
    return "notes.txt"


def _scalar_yaml(cli: Cli) -> Any:
    cli.write("exp/scalar.yaml", f"{SECRET}\n")
    return "scalar.yaml"


# (make the target and return what extends: says, phrases); the child is exp/child.yaml
EXTENDS_CASES = [
    pytest.param(lambda cli: "/etc/passwd", ["ending in .yaml or .yml"], id="system-file"),
    pytest.param(lambda cli: "/etc/hostname.yaml", ["file not found"], id="absolute-missing"),
    pytest.param(_text_file, ["ending in .yaml or .yml"], id="not-yaml"),
    pytest.param(_outside_yaml, ["outside the folders an experiment may extend from"], id="up"),
    pytest.param(_link_to_text, ["outside the folders an experiment may extend from"], id="link"),
    pytest.param(_scalar_yaml, ["expected a YAML mapping", "found a single value"], id="scalar"),
    pytest.param(lambda cli: ["a.yaml"], ["expected the path of another", "a list"], id="list"),
    pytest.param(lambda cli: 5, ["expected the path of another", "got 5"], id="number"),
    pytest.param(
        lambda cli: "no_such_base.yaml",
        ["extends: no_such_base.yaml", "file not found", "exp/no_such_base.yaml", "experiments/"],
        id="missing",
    ),
]


@pytest.mark.parametrize(("target", "phrases"), EXTENDS_CASES)
def test_bad_extends(target: Callable[[Cli], Any], phrases: list[str], cli: Cli) -> None:
    """Only a .yaml file in the experiment's folder tree or experiments/; no content is shown."""
    parent = target(cli)
    path = _extends(cli, parent, "exp/child.yaml")
    outcome = cli.run("run", path, "--out", cli.out, "-q")
    at_fault = path.parent / parent if str(parent).startswith("scalar") else path
    assert_bad_input(outcome, f"error: {at_fault}: ", *phrases)
    if at_fault == path:
        assert f"error: {path}: extends: " in outcome.err
    if parent == "no_such_base.yaml":
        assert str(path.parent / parent) in outcome.err  # where it looked
    assert SECRET not in outcome.err
    assert cli.run("check", path).err == outcome.err


def test_extends_a_shipped_experiment_by_name(cli: Cli) -> None:
    """A copy outside experiments/ may still say ``extends: baseline.yaml``."""
    path = cli.write("mine.yaml", {"extends": "baseline.yaml", "name": "mine", "seed": 3})
    outcome = cli.run("check", path)
    assert outcome.status == 0, outcome.err
    assert load_experiment(path).scenario == load_experiment(None).scenario


def test_extends_cycle(cli: Cli) -> None:
    a = cli.write("a.yaml", {**cli.tiny, "extends": "b.yaml"})
    cli.write("b.yaml", {"extends": "a.yaml", "name": "b"})
    outcome = cli.run("run", a, "--out", cli.out, "-q")
    assert_bad_input(outcome, "extends: ", "a cycle")
    assert "a.yaml" in outcome.err and "b.yaml" in outcome.err
    assert cli.run("check", a).err == outcome.err


def test_extends_itself(cli: Cli) -> None:
    path = cli.write("self.yaml", {**cli.tiny, "extends": "self.yaml"})
    outcome = cli.run("run", path, "--out", cli.out, "-q")
    assert_bad_input(outcome, f"error: {path}: extends: self.yaml", "a cycle")


def test_extends_a_longer_cycle(cli: Cli) -> None:
    """one -> two -> three -> two: the loop does not include the file named on the command line."""
    one = cli.write("one.yaml", {"extends": "two.yaml", "name": "one"})
    cli.write("two.yaml", {"extends": "three.yaml", "name": "two"})
    cli.write("three.yaml", {"extends": "two.yaml", "name": "three"})
    assert_bad_input(cli.run("check", one), "extends: ", "a cycle")


# --- flags -----------------------------------------------------------------------------------

TINY = "{tiny}"
OUT = "{out}"


def _sweep(data: dict[str, Any]) -> None:
    data["sweep"] = {"grid": {"scenario.reps[0].count": [1, 2]}}


def _compare(data: dict[str, Any]) -> None:
    data["compare"] = {
        "variants": [{"name": "fast", "policy": {"speed_to_lead": {"response_target": "2m"}}}]
    }


# (argv with {tiny} for the shrunk baseline and {out} for the results root, phrases)
FLAG_CASES = [
    pytest.param(
        ["run", TINY, "--replications", "0"],
        ["argument --replications/-n", "expected a whole number >= 1, got '0'"],
        id="replications-0",
    ),
    pytest.param(
        ["run", TINY, "-n", "-3"],
        ["argument --replications/-n", "expected a whole number >= 1, got '-3'"],
        id="replications-negative",
    ),
    pytest.param(
        ["run", TINY, "-n", "2.5"], ["argument --replications/-n", "got '2.5'"], id="reps-2.5"
    ),
    pytest.param(
        ["run", TINY, "-n"], ["argument --replications/-n", "expected one argument"], id="n"
    ),
    pytest.param(
        ["run", TINY, "--jobs", "0"],
        ["argument --jobs/-j", "expected a whole number >= 1, got '0'"],
        id="jobs-0",
    ),
    pytest.param(["run", TINY, "-j", "many"], ["argument --jobs/-j", "got 'many'"], id="jobs-text"),
    pytest.param(
        ["run", TINY, "--seed", "-1"],
        ["argument --seed", "expected a whole number >= 0, got '-1'"],
        id="seed-negative",
    ),
    pytest.param(
        ["run", TINY, "--seed", "abc"],
        ["argument --seed", "expected a whole number >= 0, got 'abc'"],
        id="seed-not-a-number",
    ),
    pytest.param(
        ["run", TINY, "--frobnicate"], ["unrecognized arguments: --frobnicate"], id="flag"
    ),
    pytest.param(["run", TINY, "extra.yaml"], ["unrecognized arguments: extra.yaml"], id="2-files"),
    pytest.param(["frobnicate"], ["argument VERB", "invalid choice: 'frobnicate'"], id="verb"),
    pytest.param(["check", "a\x00b.yaml"], ["argument experiment", "expected a file"], id="nul"),
    pytest.param(["run", TINY, "--out", "a\x00b"], ["argument --out", "expected a file"], id="o"),
    pytest.param(["report", "a\x00b"], ["argument RUN_DIR", "expected a file"], id="report-nul"),
    pytest.param(
        ["sweep", "{sweep}", "--resume", "a\x00b"], ["argument --resume", "expected a file"], id="r"
    ),
    pytest.param([], ["the following arguments are required: VERB"], id="no-verb"),
    pytest.param(["check", TINY, "--set"], ["argument --set", "expected one argument"], id="set"),
    pytest.param(
        ["compare", TINY, "--out", OUT],
        ["no compare: section", "expected a baseline label and a list of variants"],
        id="compare-without-variants",
    ),
    pytest.param(
        ["compare", "{compare}", "--out", OUT, "--target-halfwidth", "abc"],
        ["--target-halfwidth 'abc'", "expected a positive number"],
        id="target-halfwidth-text",
    ),
    pytest.param(
        ["compare", "{compare}", "--out", OUT, "--target-halfwidth", "0%"],
        ["--target-halfwidth '0%'", "expected a positive number"],
        id="target-halfwidth-0",
    ),
    pytest.param(
        ["compare", "{compare}", "--out", OUT, "--target-halfwidth", "-1"],
        ["--target-halfwidth '-1'", "expected a positive number"],
        id="target-halfwidth-negative",
    ),
    pytest.param(
        ["compare", "{compare}", "--out", OUT, "--max-replications", "5"],
        ["--max-replications: only used with --target-halfwidth"],
        id="max-replications-alone",
    ),
    pytest.param(
        ["compare", "{compare}", "--max-replications", "0"],
        ["argument --max-replications", "expected a whole number >= 1"],
        id="max-replications-0",
    ),
    pytest.param(
        ["sweep", TINY, "--out", OUT],
        ["no sweep: section", "expected a grid or a list of points"],
        id="sweep-without-grid",
    ),
    pytest.param(
        ["tune", TINY, "--out", OUT], ["no tune: section", "expected objectives"], id="no-tune"
    ),
    pytest.param(
        ["tune", TINY, "--trials", "0"],
        ["argument --trials", "expected a whole number >= 1"],
        id="t",
    ),
    pytest.param(
        ["validate", "--seed", "-1"],
        ["argument --seed", "expected a whole number >= 0"],
        id="v-seed",
    ),
    pytest.param(
        ["validate", "--jobs", "0"],
        ["argument --jobs/-j", "expected a whole number >= 1"],
        id="v-j",
    ),
    pytest.param(["report"], ["the following arguments are required: RUN_DIR"], id="report-no-dir"),
    pytest.param(
        ["report", "{folder}/nowhere"], ["nowhere: not a run folder", "manifest.json"], id="report"
    ),
    pytest.param(["report", TINY], ["not a run folder", "manifest.json"], id="report-a-file"),
    pytest.param(["export-leads", "{folder}"], ["not a run folder"], id="export-leads-not-a-run"),
    pytest.param(
        ["calibrate", "{folder}/leads.csv", "--tz", "Mars/Olympus"],
        ["--tz Mars/Olympus: unknown time zone", "expected an IANA name"],
        id="calibrate-tz",
    ),
    pytest.param(
        ["calibrate", "{folder}/leads.csv", "--delimiter", ";;"],
        ["--delimiter ';;'", "expected one character"],
        id="calibrate-delimiter",
    ),
    pytest.param(
        ["calibrate", "{folder}/leads.csv", "--family", "linear"],
        ["argument --family", "invalid choice: 'linear'"],
        id="calibrate-family",
    ),
    pytest.param(
        ["calibrate", "{folder}/leads.csv", "--stratify", "owner"],
        ["argument --stratify", "invalid choice: 'owner'"],
        id="calibrate-stratify",
    ),
    pytest.param(
        ["calibrate", "{folder}/leads.csv", "--map", "CreateDate"],
        ["--map 'CreateDate'", "expected canonical_name=ColumnInFile"],
        id="calibrate-map",
    ),
]


def _argv(cli: Cli, argv: list[str]) -> list[str]:
    files = {
        "tiny": lambda: cli.experiment(),
        "compare": lambda: cli.experiment(_compare, "compare.yaml"),
        "sweep": lambda: cli.experiment(_sweep, "sweep.yaml"),
        "out": lambda: cli.out,
        "folder": lambda: cli.folder,
    }
    for key, make in files.items():
        argv = [
            arg.replace(f"{{{key}}}", str(make())) if f"{{{key}}}" in arg else arg for arg in argv
        ]
    return argv


@pytest.mark.parametrize(("argv", "phrases"), FLAG_CASES)
def test_bad_flag(argv: list[str], phrases: list[str], cli: Cli) -> None:
    before = set(cli.folder.rglob("*"))
    outcome = cli.run(*_argv(cli, argv))
    outcome = type(outcome)(
        outcome.status, outcome.out, outcome.err, sorted(set(outcome.written) - before)
    )
    assert_bad_input(outcome, *phrases)
    assert "usage:" not in outcome.err  # one line, not a usage dump
    if outcome.err.startswith("python -m sim"):  # argparse's own message: where to get help
        assert "--help" in outcome.err


# --- the size guard --------------------------------------------------------------------------

# (argv, phrases): work beyond the size limit is refused, with the estimate, before it starts
SIZE_CASES = [
    pytest.param(
        ["run", TINY, "-n", "1000000000"],
        ["1,000,000,000 replication(s)", "billion simulated leads and rep-days"],
        id="a-billion-replications",
    ),
    pytest.param(
        ["run", TINY, "--set", "scenario.horizon=1000000000w"],
        ["2 replication(s)", "billion simulated leads"],
        id="horizon-1e9-weeks",
    ),
    pytest.param(
        ["run", TINY, "--set", "scenario.drain=100000000w", "--set", "scenario.warmup=1w"],
        ["billion simulated leads"],
        id="drain-1e8-weeks",
    ),
    pytest.param(
        ["run", TINY, "--set", "scenario.sources[0].leads_per_week=10000000", "-n", "100"],
        ["100 replication(s)", "billion simulated leads"],
        id="ten-million-leads-a-week",
    ),
    pytest.param(
        ["run", TINY, "--set", "policy.staffing.counts={inside_sales: 1000000000}"],
        ["simulated leads and rep-days"],
        id="a-billion-staffed-reps",
    ),
    pytest.param(
        [
            "run",
            TINY,
            "--set",
            "policy.referral.department_interval=1s",
            "--set",
            "scenario.referrals.departments[0].pool_size=100000",
            # The pools bound the referred leads, so the requests themselves (three
            # departments asked every second) must pass the limit.
            "-n",
            "30",
        ],
        ["simulated leads"],
        id="referrals-every-second",
    ),
    pytest.param(
        ["compare", "{compare}", "--target-halfwidth", "1%", "--max-replications", "100000000"],
        ["200,000,000 replication(s)"],
        id="compare-up-to-1e8-replications",
    ),
    pytest.param(
        ["sweep", "{sweep}", "-n", "50000000"],
        ["100,000,000 replication(s)"],
        id="sweep-points-times-replications",
    ),
    pytest.param(
        ["tune", str(REPO / "experiments" / "tune_cadence.yaml"), "--trials", "100000000"],
        ["600,000,064 replication(s)"],
        id="tune-trials-times-replications",
    ),
]


@pytest.mark.parametrize(("argv", "phrases"), SIZE_CASES)
def test_size_guard(argv: list[str], phrases: list[str], cli: Cli) -> None:
    outcome = cli.run(*_argv(cli, argv), "--out", cli.out, "-q")
    assert_bad_input(
        outcome, "beyond the size limit of 100 million", "CPU time", "add --yes", *phrases
    )


def test_check_warns_about_size(cli: Cli) -> None:
    outcome = cli.run("check", cli.experiment(), "--set", "scenario.horizon=1000000000w")
    assert outcome.status == 0
    assert "billion simulated leads" in outcome.out
    assert "warning: beyond the size limit" in outcome.err and "--yes" in outcome.err


def test_long_work_is_announced_before_it_starts(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """With --yes the work goes ahead, after an estimate (here the run itself is stopped)."""
    import sim.cli._verbs

    def stop(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt

    monkeypatch.setattr(sim.cli._verbs, "run", stop)
    outcome = cli.run("run", cli.experiment(), "-n", "1000000000", "--yes", "--out", cli.out)
    assert outcome.status == 130
    assert outcome.err.startswith("estimate: about ")
    assert "billion simulated leads and rep-days in 1,000,000,000 replication(s)" in outcome.err
    assert outcome.written == []


# --- --out -----------------------------------------------------------------------------------


def _a_file(cli: Cli) -> Path:
    return cli.write("taken", "a file\n")


def _under_a_file(cli: Cli) -> Path:
    return cli.write("taken", "a file\n") / "results"


def _unwritable(cli: Cli) -> Path:
    if os.geteuid() == 0:  # root writes anywhere on disk, but not into /proc
        return Path("/proc/salespulse-results")
    folder = cli.folder / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    return folder / "results"


OUT_CASES = [
    pytest.param(_a_file, ["is a file", "expected a folder to put run folders in"], id="file"),
    pytest.param(_under_a_file, ["is under the file", "taken"], id="under-a-file"),
    pytest.param(_unwritable, ["cannot create folders in", "a folder you can write to"], id="ro"),
    pytest.param(
        lambda cli: cli.write("results/tiny", "a file\n").parent,
        ["holds a file", "where the run folders of 'tiny' go"],
        id="experiment-folder-is-a-file",
    ),
]


@pytest.mark.parametrize("verb", ["run", "compare", "sweep"])
@pytest.mark.parametrize(("place", "phrases"), OUT_CASES)
def test_bad_out_fails_before_the_simulation(
    verb: str,
    place: Callable[[Cli], Path],
    phrases: list[str],
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import sim.cli._verbs

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the simulation started")

    for name in ("run", "compare", "sweep"):
        monkeypatch.setattr(sim.cli._verbs, name, never)
    path = cli.experiment({"run": None, "compare": _compare, "sweep": _sweep}[verb])
    out = place(cli)
    outcome = cli.run(verb, path, "--out", out, "-q")
    assert_bad_input(outcome, f"--out {out}: ", *phrases)


# --- run folders -----------------------------------------------------------------------------

# (file name in a run folder, its content, phrases)
REPORT_CASES = [
    pytest.param("manifest.json", "{not json", ["not valid JSON (line 1)"], id="corrupt"),
    pytest.param("manifest.json", "", ["not valid JSON"], id="empty"),
    pytest.param("manifest.json", "[1, 2]", ["not a run manifest"], id="a-list"),
    pytest.param("manifest.json", "[" * 100_000, ["nested too deeply"], id="deep"),
    pytest.param("manifest.json", '{"seed": 1}', ["not a run manifest (no verb)"], id="no-verb"),
    pytest.param("manifest.json", b"\xff\xfe{}", ["cannot be read", "not UTF-8"], id="binary"),
    pytest.param("summary.csv", "kpi,mean\n", ["not a run folder"], id="no-manifest"),
]


@pytest.mark.parametrize(("name", "content", "phrases"), REPORT_CASES)
def test_report_on_a_damaged_run_folder(
    name: str, content: str | bytes, phrases: list[str], cli: Cli
) -> None:
    cli.write(f"run/{name}", content)
    outcome = cli.run("report", cli.folder / "run")
    assert_bad_input(outcome, str(cli.folder / "run"), "expected", *phrases)


def _partial(cli: Cli, *argv: str) -> Path:
    """The .partial folder an interrupted sweep of the shrunk baseline leaves."""
    path = cli.experiment(_sweep, "sweep.yaml")
    partial = sweep_folder(load_experiment(path, list(argv)), cli.out)
    return partial


def _point(point: Any, replications: int = 2) -> str:
    """A checkpoint line for *point* with *replications* replications of one KPI."""
    return (
        json.dumps({"point": point, "values": {}, "replications": [{"leads": 1.0}] * replications})
        + "\n"
    )


# (what to do to the partial folder, phrases)
RESUME_CASES = [
    pytest.param(
        lambda p: (p / "points.jsonl").write_text("garbage\n" + _point(0)),
        ["points.jsonl: line 1 is not JSON", "start the sweep again without --resume"],
        id="points-not-json",
    ),
    pytest.param(
        lambda p: (p / "points.jsonl").write_text("[1, 2]\n"),
        ["points.jsonl: line 1 point None is not a point of this sweep"],
        id="points-a-list",
    ),
    pytest.param(
        lambda p: (p / "points.jsonl").write_text(_point(7)),
        ["line 1 point 7 is not a point of this sweep"],
        id="point-out-of-range",
    ),
    pytest.param(
        lambda p: (p / "points.jsonl").write_text(_point("0")),
        ["line 1 point '0' is not a point"],
        id="point-as-text",
    ),
    pytest.param(
        lambda p: (p / "points.jsonl").write_text(_point(0, replications=5)),
        ["line 1 has 5 replication(s); this sweep runs 2"],
        id="wrong-replications",
    ),
    pytest.param(
        lambda p: (p / "points.jsonl").write_text('{"point": 0, "replications": 3}\n'),
        ["line 1 expected the point's replications as a list of KPIs"],
        id="replications-not-a-list",
    ),
    pytest.param(
        lambda p: (p / "points.jsonl").write_text("[" * 100_000 + "\n" + _point(0)),
        ["points.jsonl: line 1 is nested too deeply"],
        id="points-deeply-nested",
    ),
    pytest.param(
        lambda p: (p / "points.jsonl").write_bytes(b"\xff\xfe\x00garbage"),
        ["points.jsonl: cannot be read"],
        id="points-binary",
    ),
    pytest.param(
        lambda p: (p / "config.yaml").write_text("name: tiny\n  seed: [\n"),
        ["config.yaml: malformed YAML"],
        id="config-malformed",
    ),
    pytest.param(
        lambda p: (p / "config.yaml").write_text("name: tiny\nname: other\n"),
        ["config.yaml: refused YAML", "the key 'name' appears twice"],
        id="config-duplicate-key",
    ),
    pytest.param(
        lambda p: (p / "config.yaml").write_text("- a list\n"),
        ["config.yaml: expected a YAML mapping"],
        id="config-a-list",
    ),
    pytest.param(
        lambda p: (p / "config.yaml").write_text("name: tiny\nseed: 999\n"),
        ["different settings", "expected a partial sweep of 'tiny' with the same settings"],
        id="config-of-other-settings",
    ),
    pytest.param(
        lambda p: (p / "config.yaml").unlink(),
        ["--resume", "expected the <run-id>.partial folder an interrupted sweep left behind"],
        id="config-missing",
    ),
    pytest.param(
        lambda p: p.rename(p.with_name("not-partial")),
        ["--resume", "expected the <run-id>.partial folder"],
        id="not-a-partial-folder",
    ),
]


@pytest.mark.parametrize(("damage", "phrases"), RESUME_CASES)
def test_resume_a_damaged_sweep(
    damage: Callable[[Path], Any], phrases: list[str], cli: Cli
) -> None:
    partial = _partial(cli)
    damage(partial)
    resume = partial if partial.exists() else partial.with_name("not-partial")
    outcome = cli.run("sweep", cli.folder / "sweep.yaml", "--resume", resume, "-q")
    assert_bad_input(outcome, *phrases)


# --- CRM exports -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def crm_rows(tmp_path_factory: pytest.TempPathFactory) -> list[list[str]]:
    """A small valid leads.csv (the baseline, one week plus a week of drain) as rows of text."""
    from sim.calibration import simulate_export
    from sim.engine.streams import replication_seeds

    small = ["scenario.horizon=1w", "scenario.warmup=0m", "scenario.drain=1w"]
    volumes = [f"scenario.sources[{i}].leads_per_week=100" for i in range(3)]
    experiment = load_experiment(None, [*small, *volumes])
    recorder = simulate_export(
        experiment.scenario, experiment.policy, replication_seeds(experiment.seed, 1)[0]
    )
    leads, _ = recorder.write(tmp_path_factory.mktemp("crm"))
    return list(csv.reader(leads.read_text(encoding="utf-8").splitlines()))


def _cell(column: str, value: str, row: int = 1) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        rows[row][rows[0].index(column)] = value

    return change


def _drop_column(column: str) -> Callable[[list[list[str]]], None]:
    def change(rows: list[list[str]]) -> None:
        index = rows[0].index(column)
        for row in rows:
            del row[index]

    return change


# (change to the rows of leads.csv, phrases)
CSV_CASES = [
    pytest.param(_drop_column("created_at"), ["leads.csv", "created_at"], id="missing-column"),
    pytest.param(_drop_column("lead_id"), ["leads.csv", "lead_id"], id="missing-id-column"),
    pytest.param(_cell("created_at", "yesterday"), ["leads.csv", "line 2", "created_at"], id="ts"),
    pytest.param(_cell("attempts", "-1"), ["leads.csv", "line 2", "attempts"], id="attempts"),
    pytest.param(
        _cell("attempts", "many"), ["leads.csv", "line 2", "attempts"], id="attempts-text"
    ),
    pytest.param(_cell("lead_id", ""), ["leads.csv", "line 2", "lead_id"], id="empty-lead-id"),
    pytest.param(_cell("reached", "perhaps"), ["leads.csv", "line 2", "reached"], id="reached"),
    pytest.param(_cell("deal_value", "lots", 1), ["leads.csv", "deal_value"], id="deal-value"),
    pytest.param(
        lambda rows: rows.__setitem__(slice(1, None), []), ["leads.csv"], id="header-only"
    ),
    pytest.param(
        _cell("lead_id", "L0000001", 1), ["leads.csv", "lead_id", "L0000001"], id="duplicate-id"
    ),
    pytest.param(
        _cell("source", "web\nform"),
        ["leads.csv", "line 2", "source", "control character"],
        id="newline-in-source-name",
    ),
]


@pytest.mark.parametrize(("change", "phrases"), CSV_CASES)
def test_bad_crm_export(
    change: Callable[[list[list[str]]], None],
    phrases: list[str],
    crm_rows: list[list[str]],
    cli: Cli,
) -> None:
    rows = [list(row) for row in crm_rows]
    change(rows)
    leads = cli.write_csv("leads.csv", rows)
    outcome = cli.run("calibrate", leads, "--out", cli.folder / "out" / "team.yaml", "--seed", "1")
    assert_bad_input(outcome, *phrases)


def test_missing_crm_file(cli: Cli) -> None:
    outcome = cli.run("calibrate", cli.folder / "leads.csv", "--out", cli.folder / "t.yaml")
    assert_bad_input(outcome, "leads.csv")


# --- the real process ------------------------------------------------------------------------


def _python_m_sim(*args: Any, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
    }
    return subprocess.run(
        [sys.executable, "-m", "sim", *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_process_exit_status_for_a_bad_file(cli: Cli) -> None:
    path = cli.experiment(_set(_source, "leads_per_week", -5))
    done = _python_m_sim("run", path, "-q", cwd=cli.folder)  # default --out: ./results
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: {path}: scenario.sources[0].leads_per_week: ")
    assert "greater than 0" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not (cli.folder / "results").exists()


def test_process_exit_status_for_a_bad_flag(cli: Cli) -> None:
    done = _python_m_sim("run", cli.experiment(), "--jobs", "0", cwd=cli.folder)
    assert done.returncode == 2, done.stderr
    assert "argument --jobs/-j: expected a whole number >= 1" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (cli.folder / "results").exists()


def test_process_refuses_a_billion_laughs_at_once(cli: Cli) -> None:
    """The file is 300 bytes; expanded, it would be 387 million strings."""
    path = cli.write("laughs.yaml", _billion_laughs("description: *i"))
    assert path.stat().st_size < 400
    done = _python_m_sim("run", path, cwd=cli.folder)
    assert done.returncode == 2, done.stderr
    assert "aliases expand to more than 10,000 values" in done.stderr
    assert "Traceback" not in done.stderr
    for verb in ("check", "sweep", "tune"):  # in process: every verb reads files the same way
        assert_bad_input(cli.run(verb, path), "aliases expand to more than 10,000 values")
    assert list(cli.folder.iterdir()) == [path]
