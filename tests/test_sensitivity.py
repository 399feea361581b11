"""sensitivity: Sobol indices of an analytic function, a dominant input ranks first, bad input is exit 2."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import sim.analysis.sweeps
from sim.cli import main
from sim.experiment import UncertainInput, validate_experiment
from sim.sensitivity import InputSetter, analyse, sensitivity
from tests.conftest import interrupt_after_saves, only_run_folder

ISHIGAMI_S1 = {"x1": 0.314, "x2": 0.442, "x3": 0.0}
ISHIGAMI_ST = {"x1": 0.558, "x2": 0.442, "x3": 0.244}
"""Analytic Sobol indices of the Ishigami function with a = 7, b = 0.1 (Ishigami & Homma 1990)."""


def _ishigami(points: list[dict[str, float]]) -> list[dict[str, float]]:
    return [
        {
            "y": math.sin(p["x1"])
            + 7 * math.sin(p["x2"]) ** 2
            + 0.1 * p["x3"] ** 4 * math.sin(p["x1"])
        }
        for p in points
    ]


def test_sobol_indices_of_the_ishigami_function_match_the_analytic_values() -> None:
    inputs = {name: UncertainInput(uniform=(-math.pi, math.pi)) for name in ("x1", "x2", "x3")}
    result = analyse(inputs, _ishigami, method="sobol", samples=1024, kpis=["y"], seed=7)
    assert len(result.points) == 1024 * (3 + 2)
    table = result.indices.set_index(["index", "input"])
    for index, expected in (("S1", ISHIGAMI_S1), ("ST", ISHIGAMI_ST)):
        for name, value in expected.items():
            row = table.loc[(index, name)]
            assert row["ci_low"] <= value <= row["ci_high"], (index, name, row.to_dict())
            assert row["ci_high"] - row["ci_low"] < 0.2  # informative, not just wide
    assert result.top_inputs("y") == ["x1", "x2", "x3"]


def test_morris_screens_out_the_irrelevant_input_of_a_linear_function() -> None:
    inputs = {
        "big": UncertainInput(uniform=(0, 10)),
        "small": UncertainInput(triangular=(0, 0.5, 1)),
        "none": UncertainInput(lognormal={"median": 2, "sd_log": 0.5}),
    }

    def linear(points: list[dict[str, float]]) -> list[dict[str, float]]:
        return [{"y": 3 * p["big"] + p["small"]} for p in points]

    result = analyse(inputs, linear, method="morris", samples=10, kpis=["y"], seed=3)
    assert len(result.points) == 10 * 4
    assert result.top_inputs("y") == ["big", "small", "none"]
    mu_star = result.ranking("y").set_index("input")["value"]
    assert mu_star["none"] == 0 and mu_star["big"] > 10 * mu_star["small"] > 0


def test_distributions_map_shares_to_their_quantiles() -> None:
    uniform = UncertainInput(uniform=("2m", "1h"))
    assert uniform.is_duration
    assert np.allclose(uniform.value_at([0, 0.5, 1]), [2, 31, 60])
    triangular = UncertainInput(triangular=(0, 0, 1))
    assert triangular.value_at(0.25) == pytest.approx(1 - math.sqrt(0.75))
    by_median = UncertainInput(lognormal={"median": 4, "sd_log": 0.5})
    assert by_median.value_at(0.5) == pytest.approx(4)
    assert np.isfinite(by_median.value_at([0.0, 1.0])).all()  # corners of a design stay finite
    by_mean = UncertainInput(lognormal={"mean": 10, "sd": 5})
    shares = (np.arange(100_000) + 0.5) / 100_000
    assert np.mean(by_mean.value_at(shares)) == pytest.approx(10, rel=0.02)


def _uncertain(data: dict[str, Any], **section: Any) -> dict[str, Any]:
    data["uncertain"] = section or {
        "scenario.sources[0].leads_per_week": {"uniform": [5, 200]},
        "scenario.economics.cost_per_touch": {"uniform": [0.5, 0.51]},
        "policy.speed_to_lead.response_target": {"uniform": ["4m", "6m"]},
    }
    return data


def test_uncertain_section_round_trips_and_stays_out_of_the_plain_experiment(
    tiny: dict[str, Any],
) -> None:
    experiment = validate_experiment(_uncertain(tiny))
    config = experiment.to_config()
    assert config["uncertain"]["policy.speed_to_lead.response_target"] == {"uniform": ["4m", "6m"]}
    assert validate_experiment(config) == experiment
    assert "uncertain" not in experiment.to_config(designs=False)
    assert "uncertain" not in validate_experiment(tiny | {"uncertain": None}).to_config()


def test_the_dominant_input_ranks_first(tiny: dict[str, Any]) -> None:
    experiment = validate_experiment(_uncertain(tiny))
    result = sensitivity(experiment, method="morris", samples=4, kpis=["profit", "leads"])
    assert result.top_inputs("profit")[0] == "scenario.sources[0].leads_per_week"
    assert result.top_inputs("leads")[0] == "scenario.sources[0].leads_per_week"
    leads = result.ranking("leads").set_index("input")["value"]
    assert leads["scenario.economics.cost_per_touch"] == 0  # the same seeds: no noise at all


def _run(path: Path, out: Path, *extra: str) -> int:
    return main(["sensitivity", str(path), "--out", str(out), "-q", *extra])


def test_cli_writes_tables_and_figures_and_names_the_top_inputs(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_yaml(_uncertain(tiny))
    assert _run(path, tmp_path / "one", "--samples", "4", "-j", "1") == 0
    printed = capsys.readouterr().out
    assert "1. scenario.sources[0].leads_per_week" in printed and "3." in printed
    folder = only_run_folder(tmp_path / "one")
    indices = pd.read_csv(folder / "indices.csv")
    assert set(indices["index"]) == {"S1", "ST"} and set(indices["kpi"]) == {"profit"}
    assert len(pd.read_csv(folder / "points.csv")) == 4 * (3 + 2)
    for stem in ("tornado_profit", "sobol_profit"):
        assert (folder / "figures" / f"{stem}.png").stat().st_size > 0
        assert (folder / "figures" / f"{stem}.svg").exists()
    assert not (folder / "points.jsonl").exists()

    # Interrupted after three points, resumed on two processes: the same numbers.
    saved = interrupt_after_saves(monkeypatch, 3)
    out = tmp_path / "interrupted"
    assert _run(path, out, "--samples", "4", "-j", "1") == 130
    assert "--resume" in capsys.readouterr().err
    (partial,) = (out / "tiny").glob("*.partial")
    monkeypatch.setattr(sim.analysis.sweeps.Checkpoint, "save", saved)
    assert _run(path, out, "--samples", "8", "--resume", str(partial)) == 2
    assert "--samples" in capsys.readouterr().err
    assert _run(path, out, "--samples", "4", "--resume", str(partial), "-j", "2") == 0
    resumed = only_run_folder(out)
    for table in ("indices.csv", "points.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(folder / table), pd.read_csv(resumed / table))


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (
            {"scenario.decision.pull_in_per_tuoch": {"uniform": [0.02, 0.08]}},
            "did you mean 'pull_in_per_touch'",
        ),
        (
            {"scenario.decision.pull_in_per_touch": {"uniform": [0.08, 0.02]}},
            "uncertain.scenario.decision.pull_in_per_touch: uniform: low",
        ),
        (
            {"scenario.decision.pull_in_per_touch": {"uniform": [0.02, 1.5]}},
            "scenario.decision.pull_in_per_touch: Input should be less than or equal to 1",
        ),
        (
            {"scenario.decision.pull_in_per_touch": {"triangular": [0.1, 0.5, 0.3]}},
            "low <= mode <= high",
        ),
        (
            {"scenario.decision.pull_in_per_touch": {"lognormal": {"median": 0.05}}},
            "expected {median, sd_log} or {mean, sd}",
        ),
        (
            {"scenario.decision.pull_in_per_touch": {"uniform": [0, 1], "triangular": [0, 0.5, 1]}},
            "exactly one distribution",
        ),
        ({"scenario.decision.pull_in_per_touch": {"beta": [1, 2]}}, "beta"),
        ({"seed": {"uniform": [1, 2]}}, "not a scenario or policy field"),
        ({}, "no uncertain: section"),
    ],
)
def test_bad_uncertain_inputs_are_exit_2_naming_the_field(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    section: dict[str, Any],
    expected: str,
) -> None:
    if section:
        tiny["uncertain"] = section
    out = tmp_path / "r"
    path = write_yaml(tiny)
    assert _run(path, out) == 2
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err, err
    assert not out.exists()
    if section:  # check finds the same problem
        assert main(["check", str(path)]) == 2
        assert expected in capsys.readouterr().err


@pytest.mark.parametrize(
    ("flags", "expected"),
    [(["--kpi", "profitt"], "--kpi profitt"), (["--samples", "1"], "--samples 1")],
)
def test_bad_flags_are_exit_2(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    expected: str,
) -> None:
    assert _run(write_yaml(_uncertain(tiny)), tmp_path / "r", *flags) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_a_paired_variant_adds_its_difference_on_the_same_seeds(tiny: dict[str, Any]) -> None:
    plain = sensitivity(validate_experiment(_uncertain(tiny)), method="morris", samples=2)
    same = {"name": "same", "policy": {"speed_to_lead": {"response_target": "5m"}}}
    tiny["compare"] = {"baseline": "today", "variants": [same]}
    paired = sensitivity(validate_experiment(tiny), method="morris", samples=2)
    assert paired.kpis == ["profit", "profit_difference"]
    assert paired.labels["profit_difference"] == "Profit: same minus today"
    pd.testing.assert_series_equal(plain.points["profit"], paired.points["profit"])
    assert (paired.points["profit_difference"] == 0).all()  # same cadence, same seeds


def test_a_whole_number_field_gets_rounded_values(tiny: dict[str, Any]) -> None:
    tiny["uncertain"] = {
        "scenario.reps[0].count": {"uniform": [1, 3]},
        "scenario.decision.pull_in_per_touch": {"uniform": [0.02, 0.08]},
    }
    setter = InputSetter(validate_experiment(tiny))
    point = setter.experiment_at(
        {"scenario.reps[0].count": 1.6, "scenario.decision.pull_in_per_touch": 0.031}
    )
    assert point.scenario.reps[0].count == 2
    assert point.scenario.decision.pull_in_per_touch == 0.031
