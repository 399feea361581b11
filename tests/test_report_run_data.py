"""Reading a run folder back: one typed RunData, and one clear error for a folder it cannot read."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.config import ConfigError
from sim.report import load_run
from tests.report_folders import make_policy_folder


@pytest.fixture
def compare_folder(tmp_path: Path) -> Path:
    """Baseline (5-minute target, 20 reps), fast_response (2m, 22 reps), new_leads_first (2m)."""
    return make_policy_folder(
        tmp_path / "run", ["baseline", "fast_response", "new_leads_first"], "compare"
    )


def _edit_json(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def test_each_policy_answers_from_its_own_experiment(compare_folder: Path) -> None:
    manifest = json.loads((compare_folder / "manifest.json").read_text(encoding="utf-8"))
    assert "response_target_minutes" not in manifest  # no side channel: the config says it
    run = load_run(compare_folder)
    assert run.policies == ["baseline", "fast_response", "new_leads_first"]
    assert run.experiment.compare is not None and run.baseline == "baseline"
    targets = {p: run.response_target_minutes(p) for p in run.policies}
    assert targets == {"baseline": 5.0, "fast_response": 2.0, "new_leads_first": 2.0}
    assert run.reps_per_group("fast_response") == {"inside_sales": 22}
    assert run.reps_per_group("baseline") == {"inside_sales": 20}
    assert run.window_weeks == 13.0
    assert run.manifest.replications == 6 and run.primary_kpi == "profit"


def test_a_tune_folder_reads_each_trial_from_its_confirmation(compare_folder: Path) -> None:
    labels = {"fast_response": "trial_7", "new_leads_first": "trial_3"}
    for name in ("summary", "replications", "first_attempts", "hourly", "differences", "ranking"):
        path = compare_folder / f"{name}.csv"
        pd.read_csv(path).replace({"policy": labels}).to_csv(path, index=False)
    config = yaml.safe_load((compare_folder / "config.yaml").read_text(encoding="utf-8"))
    confirmation = json.loads(json.dumps(config))
    del config["compare"]
    (compare_folder / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    confirmation["compare"]["variants"] = [
        {"name": "trial_7", "policy": {"speed_to_lead": {"response_target": "90s"}}},
        {"name": "trial_3", "policy": {"staffing": {"counts": {"inside_sales": 18}}}},
    ]
    path = compare_folder / "confirmation.yaml"
    path.write_text(yaml.safe_dump(confirmation), encoding="utf-8")

    def as_tune(m: dict[str, Any]) -> None:
        m.update(verb="tune", chosen_trials=[7, 3], tuned_summary="The tuned cadence (trial 7).")

    _edit_json(compare_folder / "manifest.json", as_tune)
    run = load_run(compare_folder)
    assert run.experiment.compare is None  # config.yaml is the tuned experiment itself
    assert {p: run.response_target_minutes(p) for p in run.policies} == {
        "baseline": 5.0,
        "trial_7": 1.5,
        "trial_3": 5.0,
    }
    assert run.reps_per_group("trial_3") == {"inside_sales": 18}
    path.unlink()
    with pytest.raises(
        ConfigError, match=r"confirmation\.yaml: not found; expected the comparison"
    ):
        load_run(compare_folder)


def _drop_manifest(folder: Path) -> str:
    (folder / "manifest.json").unlink()
    return r"not a run folder \(expected manifest\.json"


def _break_json(folder: Path) -> str:
    (folder / "manifest.json").write_text("{not json", encoding="utf-8")
    return (
        r"manifest\.json: not valid JSON \(line 1\); expected the manifest\.json of a finished run"
    )


def _drop_verb(folder: Path) -> str:
    _edit_json(folder / "manifest.json", lambda m: m.pop("verb"))
    return (
        r"manifest\.json: not a run manifest \(no verb\); expected the manifest\.json of a finished"
    )


def _future_format(folder: Path) -> str:
    _edit_json(folder / "manifest.json", lambda m: m.update(run_folder_format=99))
    return r"manifest\.json: run folder format 99, written by another version .*expected format 1"


def _rename_a_field(folder: Path) -> str:
    path = folder / "config.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("horizon:", "horizn:"))
    return r"config\.yaml.*horizn"


def _drop_config(folder: Path) -> str:
    (folder / "config.yaml").unlink()
    return r"config\.yaml: not found; expected the experiment"


def _drop_a_column(folder: Path) -> str:
    path = folder / "summary.csv"
    pd.read_csv(path).drop(columns="ci_low").to_csv(path, index=False)
    return r"summary\.csv: no column ci_low; expected the summary table"


def _unknown_policy(folder: Path) -> str:
    path = folder / "summary.csv"
    pd.read_csv(path).replace({"policy": {"new_leads_first": "mystery"}}).to_csv(path, index=False)
    return r"summary\.csv: policy 'mystery' is not one that config\.yaml compares"


@pytest.mark.parametrize(
    "damage",
    [
        _drop_manifest,
        _break_json,
        _drop_verb,
        _future_format,
        _rename_a_field,
        _drop_config,
        _drop_a_column,
        _unknown_policy,
    ],
)
def test_a_folder_it_cannot_read_is_one_clear_error(
    damage: Callable[[Path], str],
    compare_folder: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    expected = damage(compare_folder)
    with pytest.raises(ConfigError, match=expected):
        load_run(compare_folder)
    assert main(["report", str(compare_folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err
    assert not (compare_folder / "figures").exists()  # refused before anything is drawn
    assert not (compare_folder / "report.html").exists()


def test_the_report_names_the_final_folder_not_the_staging_one(
    tiny: dict[str, Any], write_yaml: Callable[..., Path], tmp_path: Path
) -> None:
    out = tmp_path / "results"
    assert (
        main(["run", str(write_yaml(tiny, "tiny.yaml")), "--out", str(out), "-q", "-j", "1"]) == 0
    )
    (folder,) = (out / "tiny").iterdir()
    assert json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["run_id"] == (
        folder.name
    )
    provenance = (folder / "report.html").read_text(encoding="utf-8").split("Provenance")[1]
    assert f"<td>{folder.name}</td>" in provenance
    assert ".incomplete" not in provenance
