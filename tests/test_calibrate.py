"""Round trip: simulate with known parameters, export as a CRM would, calibrate, compare.

The experiment is small (two sources, eight weeks, twelve reps) and built so that
every fitted parameter has an exact true value in the fitted parameterisation:
every lead is realistic and nobody screens (so intent is the qualified share per
conversation at zero delay), interest in the decision stage never fades and no
touch closes early (so the won share of qualified leads is the win rate), and
nobody opts out. Each recovered parameter must hold the truth within its
confidence interval; the intervals are Bonferroni-adjusted so that the whole
family of checks has a 95% level (no tolerance is typed in by hand).
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from scipy import stats

from policies import StepCadence
from sim.calibration import CalibrationOptions, calibrate, read_activities, read_leads
from sim.cli import main
from sim.config.calendar import PROFILE_PRESETS
from sim.experiment import load_experiment

TRUTH = {
    "web_form": {"leads_per_week": 900.0, "profile": "business_hours", "reach": 0.6, "intent": 0.35,
                 "deal": (3000.0, 2000.0)},
    "inbound_call": {"leads_per_week": 300.0, "profile": "phone_hours", "reach": 0.8,
                     "intent": 0.5, "deal": (2500.0, 1500.0)},
}  # fmt: skip
CONTACT = {"scale": 240.0, "floor": 0.3}
QUALIFICATION = {"scale": 120.0, "floor": 0.05}
WIN_RATE = 0.4
TALK = 12.0  # mean conversation minutes (the baseline's lognormal 12m, sd 8m)
OFFICE_HOURS = [d * 24 + h for d in range(5) for h in range(8, 18)]


def roundtrip_experiment(baseline: dict[str, Any]) -> dict[str, Any]:
    data = baseline
    data.update(name="roundtrip", seed=7, replications=1)
    scenario = data["scenario"]
    scenario.update(horizon="6w", warmup="0m", drain="2w")
    scenario["sources"] = [
        {
            "name": name,
            "leads_per_week": t["leads_per_week"],
            "profile": t["profile"],
            "intent": {"mean": t["intent"], "concentration": 4},
            "reachability": {"mean": t["reach"], "concentration": 6},
            "deal_value": {"mean": t["deal"][0], "sd": t["deal"][1]},
            "fit_rate": 1.0,
        }
        for name, t in TRUTH.items()
    ]
    scenario["reps"][0]["count"] = 12
    scenario["response"] = {
        "contact": {"family": "exponential", "scale": "4h", "floor": CONTACT["floor"]},
        "qualification": {"family": "exponential", "scale": "2h", "floor": QUALIFICATION["floor"]},
    }
    scenario["decision"].update(
        interest={"family": "table", "points": [[0, 1.0]]},
        win_rate=WIN_RATE,
        engagement_per_touch=1.0,  # no touch effects: every decision wins with chance WIN_RATE
        annoyance_per_extra_touch=0.0,
    )
    scenario["fatigue"]["opt_out_per_touch"] = 0.0
    data["policy"]["screening"] = {"enabled": False}
    data["policy"]["referral"] = {"department_interval": None, "customer_interval": None}
    return data


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Run the round-trip experiment once, export replication 0 and calibrate it (CLI)."""
    root = tmp_path_factory.mktemp("roundtrip")
    baseline = yaml.safe_load(Path("experiments/baseline.yaml").read_text(encoding="utf-8"))
    experiment = root / "roundtrip.yaml"
    experiment.write_text(yaml.safe_dump(roundtrip_experiment(baseline)), encoding="utf-8")
    out = root / "results"
    assert main(["run", str(experiment), "--out", str(out), "-q", "-j", "1", "--no-report"]) == 0
    (run_dir,) = (out / "roundtrip").iterdir()
    crm = root / "crm"
    assert main(["export-leads", str(run_dir), "--out", str(crm)]) == 0
    calibrated = root / "my_team.yaml"
    status = main(
        [
            "calibrate",
            str(crm / "leads.csv"),
            "--activities",
            str(crm / "activities.csv"),
            "--base",
            str(experiment),
            "--out",
            str(calibrated),
        ]
    )
    assert status == 0
    return {"experiment": experiment, "crm": crm, "calibrated": calibrated, "run_dir": run_dir}


@pytest.fixture(scope="module")
def calibration(export: dict[str, Path]):
    crm = export["crm"]
    return calibrate(
        CalibrationOptions(
            crm / "leads.csv", crm / "activities.csv", base=export["experiment"], name="roundtrip"
        )
    )


def test_export_has_the_documented_columns_and_iso_timestamps(export: dict[str, Path]) -> None:
    crm = export["crm"]
    header = (crm / "leads.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert header[:12] == [
        "lead_id", "created_at", "source", "first_attempt_at", "attempts", "reached",
        "reached_at", "qualified", "won", "deal_value", "closed_at", "owner",
    ]  # fmt: skip
    first_row = (crm / "leads.csv").read_text(encoding="utf-8").splitlines()[1]
    assert re.search(r"2026-01-05T\d\d:\d\d:\d\d\+00:00", first_row)
    leads = read_leads(crm / "leads.csv")
    activities = read_activities(crm / "activities.csv", leads)
    assert len(leads) > 8000 and len(activities) > len(leads)
    # engine time 0 is Monday 2026-01-05 00:00 UTC, so the export's week 0 starts then
    assert leads.week_start.isoformat().startswith("2026-01-05T00:00")


def test_export_is_reproducible_from_the_run_folder(
    export: dict[str, Path], tmp_path: Path
) -> None:
    again = tmp_path / "again"
    assert main(["export-leads", str(export["run_dir"]), "--out", str(again)]) == 0
    for name in ("leads.csv", "activities.csv"):
        assert (again / name).read_bytes() == (export["crm"] / name).read_bytes()


CHECKS = 2 * 5 + 4 + 1 + 1
"""Per source: volume, office-hours share, profile goodness of fit, reach, intent (2 x 5);
contact and qualification scale and floor (4); win rate (1); talk time (1). The deal values
are checked separately in their own family (below)."""
LEVEL = 1 - 0.05 / CHECKS


def _inside(
    name: str, estimate: Any, truth: float, misses: list[str], level: float = LEVEL
) -> None:
    low, high = estimate.ci(level)
    if not low <= truth <= high:
        misses.append(
            f"{name}: truth {truth:.4g} outside [{low:.4g}, {high:.4g}] (est {estimate.value:.4g})"
        )


def test_calibration_recovers_the_true_parameters_within_their_confidence_intervals(
    calibration,
) -> None:
    cal = calibration
    misses: list[str] = []
    assert cal.warnings == []
    assert cal.contact is not None and cal.qualification is not None
    for name, truth in TRUTH.items():
        arrival = cal.arrivals[name]
        _inside(f"{name} leads/week", arrival.weekly, truth["leads_per_week"], misses)
        weights = np.asarray(PROFILE_PRESETS[truth["profile"]])
        office = weights[OFFICE_HOURS].sum() / weights.sum()
        _inside(f"{name} office-hours share", arrival.share(OFFICE_HOURS), office, misses)
        # the 168 hourly counts against the true profile (given each hour's exposure)
        expected = arrival.exposure * weights / weights.sum() * arrival.weekly.value / (168 / 168)
        expected *= arrival.counts.sum() / expected.sum()
        cells = expected > 0
        chi2 = float((((arrival.counts - expected) ** 2)[cells] / expected[cells]).sum())
        p = stats.chi2.sf(chi2, cells.sum() - 1)
        if p < 1 - LEVEL:
            misses.append(f"{name} profile: chi-square p = {p:.2g}")
        _inside(f"{name} reach", cal.reach[name], truth["reach"], misses)
        _inside(f"{name} intent", cal.intent[name], truth["intent"], misses)
    _inside("contact scale", cal.contact.scale, CONTACT["scale"], misses)
    _inside("contact floor", cal.contact.floor, CONTACT["floor"], misses)
    _inside("qualification scale", cal.qualification.scale, QUALIFICATION["scale"], misses)
    _inside("qualification floor", cal.qualification.floor, QUALIFICATION["floor"], misses)
    _inside("win rate", cal.win_rate, WIN_RATE, misses)
    _inside("talk time mean", cal.durations["conversation"].mean, TALK, misses)
    assert not misses, "\n".join(misses)


def test_deal_values_are_recovered(calibration) -> None:
    misses: list[str] = []
    level = 1 - 0.05 / (2 * len(TRUTH))
    for name, truth in TRUTH.items():
        fit = calibration.deal_values[name]
        _inside(f"{name} deal mean", fit.mean, truth["deal"][0], misses, level)
        _inside(f"{name} deal sd", fit.sd, truth["deal"][1], misses, level)
    assert not misses, "\n".join(misses)


def test_attempts_and_cadence_are_read_back(calibration) -> None:
    assert calibration.max_attempts is not None and calibration.max_attempts.value == 6
    first_gap = calibration.steps[0][0]
    assert 5.0 <= first_gap < 60.0  # the cadence's 5m, plus queueing and working-hour waits


def test_calibrated_file_runs_and_carries_a_comment_per_fitted_value(
    export: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    path = export["calibrated"]
    text = path.read_text(encoding="utf-8")
    experiment = load_experiment(path)
    assert [s.name for s in experiment.scenario.sources] == list(TRUTH)
    assert re.search(r"leads_per_week: [\d.]+  # fitted: .*95% CI .* leads over", text)
    assert re.search(r"scale: \S+  # \S+, 95% CI", text)
    assert re.search(r"reachability:\n\s+mean: [\d.]+  # fitted: .*95% CI", text)
    report = path.with_name("my_team.calibration.html").read_text(encoding="utf-8")
    assert "data:image/png;base64," in report and "<script" not in report
    assert "Selection bias" in report and "not assigned at random" in report
    small = ["--replications", "1", "--set", "scenario.horizon=1w", "--set", "scenario.drain=1w"]
    out = path.parent / "results"
    assert main(["run", str(path), *small, "--out", str(out), "-q", "-j", "1", "--no-report"]) == 0
    assert "Results:" in capsys.readouterr().out


def test_stratified_fit_is_offered_and_reported(export: dict[str, Path], calibration) -> None:
    strata = calibration.strata["contact"]
    assert {"none", "source", "source,owner"} <= set(strata)
    # the source-stratified fit explains the data better than the pooled one
    assert strata["source"].nll < strata["none"].nll
    crm = export["crm"]
    owner = calibrate(
        CalibrationOptions(
            crm / "leads.csv", base=export["experiment"], stratify="source,owner", name="o"
        )
    )
    assert owner.contact.stratify == "source,owner"
    low, high = owner.contact.scale.ci(LEVEL)
    assert low <= CONTACT["scale"] <= high


def test_thin_data_falls_back_with_a_warning_never_silently(
    export: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = (export["crm"] / "leads.csv").read_text(encoding="utf-8").splitlines()
    thin = tmp_path / "thin.csv"
    thin.write_text("\n".join(lines[:120]) + "\n", encoding="utf-8")
    out = tmp_path / "thin.yaml"
    assert (
        main(["calibrate", str(thin), "--base", str(export["experiment"]), "--out", str(out)]) == 0
    )
    err = capsys.readouterr().err
    assert "contact curve not fitted" in err and "profile not fitted" in err
    text = out.read_text(encoding="utf-8")
    assert "NOT fitted" in text and "# Warnings:" in text
    report = out.with_name("thin.calibration.html").read_text(encoding="utf-8")
    assert "contact curve not fitted" in report
    load_experiment(out)


def test_table_family_writes_a_piecewise_curve(export: dict[str, Path], tmp_path: Path) -> None:
    crm = export["crm"]
    out = tmp_path / "table.yaml"
    args = ["calibrate", str(crm / "leads.csv"), "--base", str(export["experiment"])]
    assert main([*args, "--family", "table", "--out", str(out)]) == 0
    experiment = load_experiment(out)
    contact = experiment.scenario.response.contact
    assert contact.family == "table" and len(contact.points) >= 5
    assert contact.points[0] == (0.0, 1.0)
    assert math.isclose(contact.value(10080.0), CONTACT["floor"], abs_tol=0.15)


def test_a_base_without_step_follow_ups_gets_the_step_cadence_defaults(tmp_path: Path) -> None:
    """max_attempts is fitted but the leads file alone has no gaps: the steps are StepCadence's."""
    geometric = tmp_path / "geometric.yaml"
    geometric.write_text(
        "extends: baseline.yaml\nname: geometric\npolicy:\n"
        "  followup: {name: geometric, first_gap: 10m, growth: 3, max_attempts: 8}\n",
        encoding="utf-8",
    )
    base = load_experiment(geometric)
    assert base.policy.followup.name != StepCadence.name
    cal = calibrate(CalibrationOptions(Path("experiments/data/leads.csv"), base=geometric))
    followup = cal.experiment.policy.followup
    assert isinstance(followup, StepCadence) and cal.max_attempts is not None
    assert followup.steps == StepCadence().steps
    assert followup.max_attempts == cal.max_attempts.value
    assert followup.on_time_window == base.policy.followup.on_time_window


def test_calibrated_file_carries_each_fitted_values_ci_as_uncertain_input(
    export: dict[str, Path], calibration
) -> None:
    """Every fitted value with an interval becomes a ci95 input, and the file runs --uncertainty."""
    path = export["calibrated"]
    uncertain = load_experiment(path).uncertain
    assert uncertain is not None
    text = path.read_text(encoding="utf-8")
    assert "uncertain:  # the 95% CI of each fitted value" in text
    for index, name in enumerate(TRUTH):
        volume = uncertain[f"scenario.sources[{index}].leads_per_week"]
        assert volume.interval_scale == "log"
        assert volume.ci95 == pytest.approx(calibration.arrivals[name].weekly.ci(), rel=1e-3)
        intent = uncertain[f"scenario.sources[{index}].intent.mean"]
        assert intent.interval_scale == "logit"
        assert intent.ci95 == pytest.approx(calibration.intent[name].ci(), rel=1e-3)
    scale = uncertain["scenario.response.contact.scale"]
    assert scale.is_duration
    low, high = calibration.contact.scale.ci()
    assert scale.value_at(0.025) == pytest.approx(low, rel=0.01)
    assert scale.value_at(0.975) == pytest.approx(high, rel=0.01)
    assert uncertain["scenario.decision.win_rate"].interval_scale == "logit"
    small = ["-n", "2", "--set", "scenario.horizon=1w", "--set", "scenario.drain=1w"]
    out = path.parent / "uncertain_results"
    args = ["run", str(path), *small, "--out", str(out), "-q", "-j", "1", "--no-report"]
    assert main([*args, "--uncertainty"]) == 0
    (run_dir,) = (out / path.stem).iterdir()
    worlds = (run_dir / "worlds.csv").read_text(encoding="utf-8").splitlines()
    assert worlds[0].startswith("replication,") and len(worlds) == 3
