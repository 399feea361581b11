"""Bad input exits with status 2 and one clear message, no traceback, no results folder.

Each message must name the file, the field path (or the flag) and what was
expected. Every experiment here starts from a copy of experiments/baseline.yaml
(shrunk to run fast, in case a case is accidentally accepted) with one thing
broken.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sim.cli import main

REPO = Path(__file__).resolve().parent.parent
Mutation = Callable[[dict[str, Any]], None]


def _source(data: dict[str, Any]) -> dict[str, Any]:
    return data["scenario"]["sources"][0]


def _reps(data: dict[str, Any]) -> dict[str, Any]:
    return data["scenario"]["reps"][0]


def _set(getter: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        getter(data)[key] = value

    return mutate


def _rename(getter: Callable[[dict[str, Any]], dict[str, Any]], old: str, new: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        node = getter(data)
        node[new] = node.pop(old)

    return mutate


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


def run_cli(capsys: pytest.CaptureFixture[str], out: Path, *args: str) -> tuple[int, str]:
    """``python -m sim run ARGS --out OUT -q`` in process; returns (status, stderr)."""
    status = main(["run", *args, "--out", str(out), "-q"])
    return status, capsys.readouterr().err


def assert_bad_input(status: int, err: str, out: Path, *phrases: str) -> None:
    assert status == 2, err
    assert "Traceback" not in err
    assert sum("error:" in line for line in err.splitlines()) == 1, err  # one message
    for phrase in phrases:
        assert phrase in err, f"{phrase!r} not in:\n{err}"
    assert not out.exists() or not any(out.rglob("*")), "a results folder was created"


# (mutation, field path, phrases saying what was expected)
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
]


@pytest.mark.parametrize(("mutate", "field", "phrases"), FIELD_CASES)
def test_bad_field(
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
    status, err = run_cli(capsys, out, str(path))
    assert_bad_input(status, err, out, f"{path}: {field}: ", *phrases)


def test_typo_is_reported_once(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Not also as the field it was meant to be being missing."""
    _rename(_source, "leads_per_week", "leads_per_weak")(tiny)
    out = tmp_path / "results"
    status, err = run_cli(capsys, out, str(write_yaml(tiny)))
    assert_bad_input(status, err, out)
    assert "missing" not in err


def test_paths_name_what_the_user_wrote(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """No pydantic internals: no union tags, no fields behind a shorthand, no class names."""
    _set(_actions, "no_answer", "soon")(tiny)
    _set(_actions, "conversation", {"dist": "lognormal", "mean": "12m", "sdev": "8m"})(tiny)
    _set(_source, "intent", "high")(tiny)
    out = tmp_path / "results"
    status = main(["run", str(write_yaml(tiny)), "--out", str(out), "-q"])
    err = capsys.readouterr().err
    assert status == 2
    assert "scenario.actions.no_answer: expected a duration" in err
    assert "scenario.actions.conversation.sdev: unknown field" in err
    assert "scenario.sources[0].intent: expected a mapping of fields (mean, concentration)" in err
    for internal in ("no_answer.value", ".fixed", ".lognormal", "_Proportion", "Input tag"):
        assert internal not in err
    assert "Traceback" not in err


# --- files that cannot be read as an experiment --------------------------------------------


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "no_such_team.yaml"
    out = tmp_path / "results"
    status, err = run_cli(capsys, out, str(path))
    assert_bad_input(status, err, out, str(path), "file not found")


def test_folder_instead_of_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "experiments"
    path.mkdir()
    out = tmp_path / "results"
    status, err = run_cli(capsys, out, str(path))
    assert_bad_input(status, err, out, str(path), "is a folder", "expected an experiment YAML file")


def test_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    out = tmp_path / "results"
    status, err = run_cli(capsys, out, str(path))
    assert_bad_input(status, err, out, str(path), "cannot read the file", "expected UTF-8 text")


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root can read any file"
)
def test_unreadable_file(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_yaml(tiny)
    path.chmod(0)
    out = tmp_path / "results"
    try:
        status, err = run_cli(capsys, out, str(path))
    finally:
        path.chmod(0o644)
    assert_bad_input(status, err, out, str(path), "cannot read the file", "permission denied")


@pytest.mark.parametrize(
    ("text", "phrases"),
    [
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
    ],
)
def test_unusable_yaml(
    text: str, phrases: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(text, encoding="utf-8")
    out = tmp_path / "results"
    status, err = run_cli(capsys, out, str(path))
    assert_bad_input(status, err, out, f"{path}: ", *phrases)


# --- flags ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flags", "phrases"),
    [
        pytest.param(
            ["--replications", "0"],
            ["argument --replications/-n", "expected a whole number >= 1, got '0'"],
            id="replications-0",
        ),
        pytest.param(
            ["-n", "-3"],
            ["argument --replications/-n", "expected a whole number >= 1, got '-3'"],
            id="replications-negative",
        ),
        pytest.param(
            ["--jobs", "0"],
            ["argument --jobs/-j", "expected a whole number >= 1, got '0'"],
            id="jobs-0",
        ),
        pytest.param(
            ["--seed", "-1"],
            ["argument --seed", "expected a whole number >= 0, got '-1'"],
            id="seed-negative",
        ),
        pytest.param(
            ["--seed", "abc"],
            ["argument --seed", "expected a whole number >= 0, got 'abc'"],
            id="seed-not-a-number",
        ),
        pytest.param(["--frobnicate"], ["unrecognized arguments: --frobnicate"], id="unknown-flag"),
    ],
)
def test_bad_flag(
    flags: list[str],
    phrases: list[str],
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "results"
    status, err = run_cli(capsys, out, str(write_yaml(tiny)), *flags)
    assert_bad_input(status, err, out, *phrases, "--help")
    assert "usage:" not in err  # one message, not a usage dump


@pytest.mark.parametrize(
    ("assignment", "phrases"),
    [
        pytest.param(
            "scenario.reps[0].cnt=3",
            ["--set scenario.reps[0].cnt", "scenario.reps[0] has no field 'cnt'"],
            id="unknown-field",
        ),
        pytest.param(
            "scenario.reps[0].cont=3",
            ["did you mean 'count'?", "expected one of:"],
            id="did-you-mean",
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
            "seed.value=3",
            ["--set seed.value", "seed is a single value"],
            id="inside-a-value",
        ),
        pytest.param("seed", ["--set 'seed'", "expected path.to.field=value"], id="no-equals"),
        pytest.param(
            "scenario.reps[0].count=0",
            ["(with --set): scenario.reps[0].count: ", "greater than 0"],
            id="bad-value",
        ),
    ],
)
def test_bad_set(
    assignment: str,
    phrases: list[str],
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_yaml(tiny)
    out = tmp_path / "results"
    status, err = run_cli(capsys, out, str(path), "--set", assignment)
    assert_bad_input(status, err, out, str(path), *phrases)


def test_check_reports_like_run(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    capsys: pytest.CaptureFixture[str],
) -> None:
    _set(_reps, "count", 0)(tiny)
    path = write_yaml(tiny)
    assert main(["check", str(path)]) == 2
    captured = capsys.readouterr()
    assert f"error: {path}: scenario.reps[0].count: " in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""


# --- the real process -----------------------------------------------------------------------


def _python_m_sim(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), *filter(None, [os.environ.get("PYTHONPATH")])]),
    }
    return subprocess.run(
        [sys.executable, "-m", "sim", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_process_exit_status_for_a_bad_file(
    tiny: dict[str, Any], write_yaml: Callable[..., Path], tmp_path: Path
) -> None:
    _set(_source, "leads_per_week", -5)(tiny)
    path = write_yaml(tiny, "team.yaml")
    done = _python_m_sim("run", str(path), "-q", cwd=tmp_path)  # default --out: ./results
    assert done.returncode == 2, done.stderr
    assert done.stderr.startswith(f"error: {path}: scenario.sources[0].leads_per_week: ")
    assert "greater than 0" in done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout == ""
    assert not (tmp_path / "results").exists()


def test_process_exit_status_for_a_bad_flag(
    tiny: dict[str, Any], write_yaml: Callable[..., Path], tmp_path: Path
) -> None:
    done = _python_m_sim("run", str(write_yaml(tiny)), "--jobs", "0", cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "argument --jobs/-j: expected a whole number >= 1" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "results").exists()
