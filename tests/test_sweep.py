"""sweep: same numbers whatever --jobs or interruptions; resume; bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import sim.analysis.sweeps
from sim.cli import main
from tests.conftest import interrupt_after_saves, only_run_folder


def _swept(data: dict[str, Any], **sweep: Any) -> dict[str, Any]:
    data["sweep"] = sweep or {
        "kpi": "qualified_share",
        "grid": {
            "scenario.reps[0].count": [1, 2],
            "policy.speed_to_lead.response_target": ["5m", "1h"],
        },
    }
    return data


def _run(path: Path, out: Path, *extra: str) -> int:
    return main(["sweep", str(path), "--out", str(out), "-q", "--no-report", *extra])


def test_sweep_results_do_not_depend_on_jobs_or_interruption(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_yaml(_swept(tiny))
    assert _run(path, tmp_path / "one", "-j", "1") == 0
    assert _run(path, tmp_path / "two", "-j", "2") == 0
    one = pd.read_csv(only_run_folder(tmp_path / "one") / "replications.csv")
    two = pd.read_csv(only_run_folder(tmp_path / "two") / "replications.csv")
    pd.testing.assert_frame_equal(one, two)
    assert len(one) == 4 * 2

    # Interrupt after two points have been checkpointed, then resume.
    saved = interrupt_after_saves(monkeypatch, 2)
    out = tmp_path / "interrupted"
    assert _run(path, out, "-j", "1") == 130
    assert "--resume" in capsys.readouterr().err
    (partial,) = (out / "tiny").glob("*.partial")
    monkeypatch.setattr(sim.analysis.sweeps.Checkpoint, "save", saved)
    assert _run(path, out, "--resume", str(partial), "-j", "2") == 0
    assert not partial.exists()
    resumed = pd.read_csv(only_run_folder(out) / "replications.csv")
    pd.testing.assert_frame_equal(one, resumed)


def test_sweep_writes_points_and_summary(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_yaml(
        _swept(
            tiny, points=[{"policy.followup.max_attempts": 1}, {"policy.followup.max_attempts": 4}]
        )
    )
    assert _run(path, tmp_path / "r") == 0
    folder = only_run_folder(tmp_path / "r")
    points = pd.read_csv(folder / "points.csv")
    assert list(points["policy.followup.max_attempts"]) == [1, 4]
    summary = pd.read_csv(folder / "summary.csv")
    attempts = summary[summary["kpi"] == "attempts_per_lead"].set_index("point")["mean"]
    assert attempts[1] > attempts[0]
    assert "* best point" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("design", "expected"),
    [
        ({"grid": {"scenario.reps[0].count": []}}, "has no values"),
        ({"grid": {"scenario.reps[0].count": ["many"]}}, "sweep point 0"),
        ({"grid": {"scenario.reps[0].cuont": [1]}}, "did you mean 'count'"),
        ({}, "either grid"),
    ],
)
def test_bad_sweep_is_rejected_before_running(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    design: dict[str, Any],
    expected: str,
) -> None:
    tiny["sweep"] = design
    out = tmp_path / "r"
    assert _run(write_yaml(tiny), out) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err
    assert not out.exists() or not any(out.rglob("*.csv"))


def test_huge_grid_needs_yes(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    tiny["sweep"] = {
        "grid": {"seed": list(range(101)), "scenario.reps[0].count": list(range(1, 101))}
    }
    assert _run(write_yaml(tiny), tmp_path / "r") == 2
    assert "--yes" in capsys.readouterr().err


def test_resume_refuses_another_experiment(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    partial = tmp_path / "r" / "tiny" / "20260101-000000.partial"
    partial.mkdir(parents=True)
    other = dict(_swept(tiny), seed=999)
    (partial / "config.yaml").write_text(f"name: tiny\nseed: {other['seed']}\n", encoding="utf-8")
    path = write_yaml(_swept(tiny))
    assert _run(path, tmp_path / "r", "--resume", str(partial)) == 2
    assert "different settings" in capsys.readouterr().err
    assert _run(path, tmp_path / "r", "--resume", str(tmp_path)) == 2
