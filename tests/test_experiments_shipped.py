"""Every shipped experiment validates and runs, and ``extends:`` means what it says.

The runs use small overrides (2 replications, a 2-week window, a 1-week drain, one
worker, no report) so that each file takes about a second.
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.engine.kpis import KPIS
from sim.experiment import load_experiment

REPO = Path(__file__).resolve().parent.parent
EXPERIMENTS = REPO / "experiments"
SHIPPED = sorted(EXPERIMENTS.glob("*.yaml"))
BASELINE = EXPERIMENTS / "baseline.yaml"
SMALL = ["--replications", "2", "--set", "scenario.horizon=2w", "--set", "scenario.drain=1w"]
RHYTHM_KPIS = ["screened_out", "repeat_revenue", "churned", "referral_leads", "lost_opted_out"]


def _run_help() -> str:
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        main(["run", "--help"])
    return text.getvalue()


# Figures and reports are not what these tests are about, and take seconds per run.
FAST = ["-q", "-j", "1", *(["--no-report"] if "--no-report" in _run_help() else [])]


def _ids(paths: list[Path]) -> list[str]:
    return [path.stem for path in paths]


def run_cli(capsys: pytest.CaptureFixture[str], path: Path, out: Path, *args: str) -> str:
    """Run *path* from the command line (in process); return what it printed."""
    status = main(["run", str(path), *SMALL, "--out", str(out), *FAST, *args])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "Traceback" not in captured.err
    return captured.out


def results_folder(printed: str) -> Path:
    match = re.search(r"^Results: (.+)$", printed, re.MULTILINE)
    assert match, printed
    return Path(match.group(1).strip())


def test_experiments_are_shipped() -> None:
    assert BASELINE in SHIPPED
    assert len(SHIPPED) >= 6, SHIPPED


@pytest.mark.parametrize("path", SHIPPED, ids=_ids(SHIPPED))
def test_shipped_experiment_checks(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(path)]) == 0, capsys.readouterr().err
    captured = capsys.readouterr()
    name = load_experiment(path).name
    assert captured.out.startswith(f"{path}: OK: experiment {name!r}")
    assert captured.err == ""


@pytest.mark.parametrize("path", SHIPPED, ids=_ids(SHIPPED))
def test_shipped_experiment_runs_and_prints_the_rhythm_kpis(
    path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    name = load_experiment(path).name
    printed = run_cli(capsys, path, tmp_path / "results")
    assert printed.startswith(f"{name}: 2 replications, seed ")
    assert "KPI" in printed and "95% CI" in printed
    for kpi in RHYTHM_KPIS:
        label = KPIS[kpi].label
        row = re.search(rf"^{re.escape(label)}\s{{2,}}(\S.*)$", printed, re.MULTILINE)
        assert row, f"KPI {kpi!r} ({label!r}) is missing from the table:\n{printed}"
    folder = results_folder(printed)
    assert folder.is_dir() and folder.parent == tmp_path / "results" / name
    replications = pd.read_csv(folder / "replications.csv", index_col=0)
    assert len(replications) == 2
    assert set(RHYTHM_KPIS) <= set(replications.columns)
    assert (replications["leads"] > 0).all()


@pytest.mark.parametrize(
    "path",
    [p for p in SHIPPED if "extends" in yaml.safe_load(p.read_text(encoding="utf-8"))],
    ids=lambda p: p.stem,
)
def test_shipped_extension_keeps_what_it_does_not_change(path: Path) -> None:
    """A file that extends another and has no scenario: (or policy:) section keeps the base's."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    base = load_experiment(path.parent / data["extends"])
    experiment = load_experiment(path)
    assert experiment.name == data["name"] != base.name
    if "scenario" not in data:
        assert experiment.scenario == base.scenario
    if "policy" not in data:
        assert experiment.policy == base.policy
    for field in ("seed", "replications"):
        if field not in data:
            assert getattr(experiment, field) == getattr(base, field)


# --- extends: one change in a file == the same change with --set ---------------------------

CHANGES = [
    pytest.param(
        {"policy": {"nurture": {"interval": "1d"}}}, "policy.nurture.interval=1d", id="nurture"
    ),
    pytest.param(
        {"policy": {"retention": {"schedule": [{"until": "2w", "every": "2d"}, {"every": "1w"}]}}},
        "policy.retention.schedule=[{until: 2w, every: 2d}, {every: 1w}]",
        id="retention-schedule",
    ),
    pytest.param(
        {"policy": {"referral": {"customer_interval": "30d"}}},
        "policy.referral.customer_interval=30d",
        id="referral",
    ),
    pytest.param(
        {"scenario": {"decision": {"win_rate": 0.6}}},
        "scenario.decision.win_rate=0.6",
        id="scenario-field",
    ),
    pytest.param(
        {"scenario": {"sources": [{"name": "only_source", "leads_per_week": 500}]}},
        "scenario.sources=[{name: only_source, leads_per_week: 500}]",
        id="list-replaced-whole",
    ),
    pytest.param({"replications": 3}, "replications=3", id="top-level"),
]


def _extension(tmp_path: Path, change: dict[str, Any]) -> tuple[Path, Path]:
    """A copy of baseline.yaml and a file extending it with *change*, side by side."""
    base = tmp_path / "baseline.yaml"
    shutil.copy(BASELINE, base)
    child = tmp_path / "child.yaml"
    child.write_text(
        yaml.safe_dump({"extends": "baseline.yaml", **change}, sort_keys=False), encoding="utf-8"
    )
    return base, child


@pytest.mark.parametrize(("change", "assignment"), CHANGES)
def test_extends_with_one_change_equals_set(
    change: dict[str, Any], assignment: str, tmp_path: Path
) -> None:
    base, child = _extension(tmp_path, change)
    extended = load_experiment(child)
    overridden = load_experiment(base, [assignment])
    assert extended == overridden
    assert extended.to_config() == overridden.to_config()
    assert extended != load_experiment(base)


def test_extends_runs_like_set_from_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    change, assignment = {"policy": {"nurture": {"interval": "1d"}}}, "policy.nurture.interval=1d"
    base, child = _extension(tmp_path, change)
    extended = results_folder(run_cli(capsys, child, tmp_path / "extended"))
    overridden = results_folder(run_cli(capsys, base, tmp_path / "set", "--set", assignment))
    for table in ("replications.csv", "summary.csv"):
        pd.testing.assert_frame_equal(
            pd.read_csv(extended / table, index_col=0), pd.read_csv(overridden / table, index_col=0)
        )
    assert yaml.safe_load((extended / "config.yaml").read_text()) == yaml.safe_load(
        (overridden / "config.yaml").read_text()
    )
    # ...and the change made a difference (nurture touches cost rep time and touches).
    plain = results_folder(run_cli(capsys, base, tmp_path / "plain"))
    assert not pd.read_csv(plain / "replications.csv", index_col=0).equals(
        pd.read_csv(extended / "replications.csv", index_col=0)
    )


def test_extends_chain(tmp_path: Path) -> None:
    """grandchild -> child -> baseline: later files win, untouched fields come from the base."""
    base, _ = _extension(tmp_path, {"policy": {"nurture": {"interval": "1d"}}})
    grandchild = tmp_path / "grandchild.yaml"
    grandchild.write_text(
        yaml.safe_dump(
            {
                "extends": "child.yaml",
                "name": "grandchild",
                "policy": {"nurture": {"interval": "2d"}},
            }
        ),
        encoding="utf-8",
    )
    expected = load_experiment(base, ["name=grandchild", "policy.nurture.interval=2d"])
    assert load_experiment(grandchild) == expected


# --- extends and policies: bugs found, pinned -------------------------------------------------


def _base_with_followup(tmp_path: Path, followup: Any) -> Path:
    """baseline.yaml with its follow-up policy written as *followup*."""
    data = yaml.safe_load(BASELINE.read_text(encoding="utf-8"))
    data["policy"]["followup"] = followup
    base = tmp_path / "base.yaml"
    base.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return base


def _child(tmp_path: Path, followup: dict[str, Any]) -> Path:
    child = tmp_path / "child.yaml"
    child.write_text(
        yaml.safe_dump({"extends": "base.yaml", "policy": {"followup": followup}}), encoding="utf-8"
    )
    return child


def test_extends_switches_policy_when_the_base_leaves_the_name_implicit(tmp_path: Path) -> None:
    base = _base_with_followup(tmp_path, {"steps": ["5m", "1h"], "max_attempts": 4})
    child = _child(tmp_path, {"name": "geometric", "first_gap": "10m"})
    expected = load_experiment(base, ["policy.followup={name: geometric, first_gap: 10m}"])
    assert load_experiment(child) == expected


def test_extends_keeps_a_policy_given_by_name_only(tmp_path: Path) -> None:
    base = _base_with_followup(tmp_path, "geometric")
    child = _child(tmp_path, {"max_attempts": 3})
    expected = load_experiment(base, ["policy.followup.max_attempts=3"])
    assert expected.policy.followup.name == "geometric"
    assert load_experiment(child).policy.followup == expected.policy.followup
