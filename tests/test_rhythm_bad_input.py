"""Contradictory or impossible sales-rhythm settings exit 2 with one message naming the field.

Each case starts from the shipped baseline shrunk to run fast (the ``tiny`` fixture, in
case a case is accidentally accepted), breaks one thing, and goes through the command
line in process, with ``run`` (no results folder may appear) and with ``check`` (the same
message, nothing on stdout).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sim.cli import main

Mutation = Callable[[dict[str, Any]], None]


def _policy(data: dict[str, Any], family: str) -> dict[str, Any]:
    return data.setdefault("policy", {}).setdefault(family, {})


def _scenario(data: dict[str, Any], part: str) -> dict[str, Any]:
    return data["scenario"].setdefault(part, {})


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


def run_cli(capsys: pytest.CaptureFixture[str], out: Path, path: Path) -> tuple[int, str, str]:
    """``python -m sim run PATH --out OUT -q`` in process: (status, stdout, stderr)."""
    status = main(["run", str(path), "--out", str(out), "-q"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def check_cli(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, str, str]:
    """``python -m sim check PATH`` in process: (status, stdout, stderr)."""
    status = main(["check", str(path)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def assert_one_bad_input_message(status: int, out: str, err: str, *phrases: str) -> None:
    assert status == 2, err
    assert out == ""
    assert "Traceback" not in err
    assert sum(line.startswith("error:") for line in err.splitlines()) == 1, err
    for phrase in phrases:
        assert phrase in err, f"{phrase!r} not in:\n{err}"


def assert_no_results(out: Path) -> None:
    assert not out.exists() or not any(out.rglob("*")), "a results folder was created"


# (mutation, field path as the message names it, phrases saying what was expected)
CASES = [
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
        lambda d: _scenario(d, "screening").__setitem__("false_negative_rate", -0.1),
        "scenario.screening.false_negative_rate",
        ["greater than or equal to 0", "-0.1"],
        id="false-negative-rate-below-0",
    ),
    pytest.param(
        lambda d: _scenario(d, "screening").update(
            false_negative_rate=0.6, false_positive_rate=0.5
        ),
        "scenario.screening",
        ["must be below 1", "no better than a coin"],
        id="screening-no-better-than-a-coin",
    ),
    pytest.param(
        lambda d: _scenario(d, "decision").__setitem__("win_rate", 2),
        "scenario.decision.win_rate",
        ["less than or equal to 1", "2"],
        id="win-rate-2",
    ),
    pytest.param(
        lambda d: _scenario(d, "decision").__setitem__("close_per_touch", -0.5),
        "scenario.decision.close_per_touch",
        ["greater than or equal to 0"],
        id="close-per-touch-negative",
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
]


@pytest.mark.parametrize(("mutate", "field", "phrases"), CASES)
def test_contradictory_rhythm_is_bad_input(
    mutate: Mutation,
    field: str,
    phrases: list[str],
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mutate(tiny)
    path = write_yaml(tiny, "team.yaml")
    out = tmp_path / "results"
    status, printed, err = run_cli(capsys, out, path)
    assert_one_bad_input_message(status, printed, err, f"error: {path}: {field}: ", *phrases)
    assert_no_results(out)
    # check reports exactly what run reports.
    assert check_cli(capsys, path) == (2, "", err)


# --- extends ---------------------------------------------------------------------------------


def test_extends_a_missing_file(
    write_yaml: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The message names the file with the ``extends:``, the field, and the missing file."""
    path = write_yaml({"extends": "no_such_base.yaml", "name": "child"}, "child.yaml")
    out = tmp_path / "results"
    status, printed, err = run_cli(capsys, out, path)
    assert_one_bad_input_message(
        status,
        printed,
        err,
        f"error: {path}: extends: no_such_base.yaml",
        "file not found",
        str(tmp_path / "no_such_base.yaml"),
    )
    assert_no_results(out)
    assert check_cli(capsys, path) == (2, "", err)


def test_extends_cycle(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    a = write_yaml({**tiny, "extends": "b.yaml"}, "a.yaml")
    write_yaml({"extends": "a.yaml", "name": "b"}, "b.yaml")
    out = tmp_path / "results"
    status, printed, err = run_cli(capsys, out, a)
    assert_one_bad_input_message(status, printed, err, "extends: ", "a cycle")
    assert "a.yaml" in err and "b.yaml" in err
    assert_no_results(out)
    assert check_cli(capsys, a) == (2, "", err)


def test_extends_itself(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_yaml({**tiny, "extends": "self.yaml"}, "self.yaml")
    out = tmp_path / "results"
    status, printed, err = run_cli(capsys, out, path)
    assert_one_bad_input_message(
        status, printed, err, f"error: {path}: extends: self.yaml", "a cycle"
    )
    assert_no_results(out)


def test_extends_a_longer_cycle(
    write_yaml: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """one -> two -> three -> two: the loop does not include the file named on the command line."""
    one = write_yaml({"extends": "two.yaml", "name": "one"}, "one.yaml")
    write_yaml({"extends": "three.yaml", "name": "two"}, "two.yaml")
    write_yaml({"extends": "two.yaml", "name": "three"}, "three.yaml")
    status, printed, err = check_cli(capsys, one)
    assert_one_bad_input_message(status, printed, err, "extends: ", "a cycle")


def test_extends_not_a_path(
    write_yaml: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_yaml({"extends": ["baseline.yaml"], "name": "child"}, "child.yaml")
    status, printed, err = check_cli(capsys, path)
    assert_one_bad_input_message(
        status, printed, err, f"error: {path}: extends: ", "expected the path of another"
    )
