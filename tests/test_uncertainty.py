"""--uncertainty: plausible worlds per replication, paired across policies, noise told apart from uncertainty."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from sim.analysis import compare, run
from sim.analysis.stats import lower_tail_mean, risk_adjusted, wilson_interval
from sim.analysis.worlds import PlausibleWorlds, beats_baseline, run_seeds, variance_split
from sim.cli import main
from sim.config import ConfigError
from sim.config.units import Z_95
from sim.engine.streams import replication_seeds
from sim.experiment import UncertainInput, validate_experiment
from tests.conftest import only_run_folder

UNCERTAIN = {  # wide ranges of lead volume and rep cost: they matter far more than noise
    "scenario.sources[0].leads_per_week": {"uniform": [20, 120]},
    "scenario.economics.rep_cost_per_hour": {"uniform": [10, 500]},
    "scenario.decision.pull_in_per_touch": {"ci95": [0.03, 0.07], "scale": "logit"},
}


@pytest.fixture
def uncertain(tiny: dict[str, Any]) -> dict[str, Any]:
    tiny["replications"] = 6
    tiny["uncertain"] = dict(UNCERTAIN)
    tiny["compare"] = {
        "baseline": "today",
        "variants": [{"name": "slow", "policy": {"speed_to_lead": {"response_target": "1h"}}}],
    }
    return tiny


# --------------------------------------------------------------------------- ci95


@pytest.mark.parametrize(
    ("interval", "scale"),
    [([0.18, 0.27], "logit"), ([3.0, 10.0], None), ([3.0, 10.0], "log"), ([-3.0, 10.0], None)],
)
def test_a_ci95_input_puts_95_percent_of_its_draws_inside_the_interval(
    interval: list[float], scale: str | None
) -> None:
    spec = UncertainInput(ci95=interval, scale=scale)
    low, high = spec.value_at(np.array([0.025, 0.975]))
    assert low == pytest.approx(interval[0]) and high == pytest.approx(interval[1])
    draws = spec.value_at(np.random.default_rng(1).random(20_000))
    inside = np.mean((draws >= interval[0]) & (draws <= interval[1]))
    assert inside == pytest.approx(0.95, abs=0.01)
    assert spec.interval_scale == (scale or ("log" if interval[0] > 0 else "normal"))


def test_a_ci95_on_the_log_scale_is_the_lognormal_matched_to_it() -> None:
    spec = UncertainInput(ci95=["3m", "12m"])  # durations take units
    assert spec.is_duration
    median = float(spec.value_at(0.5))
    assert median == pytest.approx(6.0)  # the geometric mean of the ends
    sd_log = math.log(12 / 3) / (2 * Z_95)
    assert float(spec.value_at(0.8413447)) == pytest.approx(6.0 * math.exp(sd_log), rel=1e-5)
    assert spec.describe() == "ci95 [3m, 12m] on scale log"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"ci95": [0.5, 0.2]}, "low (0.5) must be below high (0.2)"),
        ({"ci95": [0.5, 1.2], "scale": "logit"}, "expected 0 < low < high < 1"),
        ({"ci95": [-1, 2], "scale": "log"}, "low (-1) must be above 0"),
        ({"uniform": [1, 2], "scale": "log"}, "scale: only used with ci95"),
        ({"ci95": [1, 2], "uniform": [1, 2]}, "got uniform, ci95"),
    ],
)
def test_a_bad_ci95_is_refused_saying_what_was_expected(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        UncertainInput(**spec)


# --------------------------------------------------------------------------- statistics


def test_variance_split_recovers_noise_and_worlds_of_a_known_table() -> None:
    # Two runs per world: world means 10, 20, 30; each world's runs are mean ± 1.
    runs = pd.DataFrame({"profit": [9.0, 11.0, 19.0, 21.0, 29.0, 31.0]})
    split = variance_split(runs, 2).loc["profit"]
    assert split["sd_noise"] == pytest.approx(math.sqrt(2.0))  # var of (9, 11) is 2
    # var(world means) = 100 = s²_worlds + s²_noise / 2  ->  s²_worlds = 99
    assert split["sd_worlds"] == pytest.approx(math.sqrt(99.0))
    assert split["share_from_uncertainty"] == pytest.approx(99 / 101)
    assert split["worlds"] == 3 and split["runs_per_world"] == 2
    assert split["worlds_p05"] == pytest.approx(11.0) and split["worlds_p95"] == pytest.approx(29.0)
    # Noise alone: the CI of a mean of 3 worlds of 2 runs each with sd sqrt(2).
    t = 4.302652729911275  # t(0.975, 2)
    assert split["half_width_noise_only"] == pytest.approx(t * 1.0 / math.sqrt(3))


def test_beats_baseline_counts_wins_in_the_kpis_direction() -> None:
    baseline = pd.DataFrame({"profit": [1.0, 2.0, 3.0, 4.0], "rep_cost": [5.0, 5.0, 5.0, 5.0]})
    variant = pd.DataFrame({"profit": [2.0, 1.0, 4.0, 4.0], "rep_cost": [4.0, 6.0, 4.0, 4.0]})
    beats = beats_baseline(baseline, variant)
    assert beats.loc["profit", "p_beats_baseline"] == 0.5  # a tie is no win
    assert beats.loc["rep_cost", "p_beats_baseline"] == 0.75  # lower cost wins
    low, high = wilson_interval(2, 4)
    assert beats.loc["profit", "p_beats_ci_low"] == low
    assert beats.loc["profit", "p_beats_ci_high"] == high


def test_wilson_interval_and_lower_tail_mean_arithmetic() -> None:
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and high == pytest.approx(0.2775, abs=1e-4)
    values = np.arange(10, 0, -1, dtype=float)  # order does not matter
    assert lower_tail_mean(values, 0.25) == pytest.approx((1 + 2 + 0.5 * 3) / 2.5)
    assert lower_tail_mean(values, 0.2) == pytest.approx(1.5)
    assert lower_tail_mean(values, 1.0) == pytest.approx(5.5)
    with pytest.raises(ValueError, match="share in"):
        lower_tail_mean(values, 0.0)


# --------------------------------------------------------------------------- worlds


def test_a_world_depends_on_its_replication_seed_alone(uncertain: dict[str, Any]) -> None:
    worlds = PlausibleWorlds(validate_experiment(uncertain))
    seeds = replication_seeds(7, 3)
    first = [worlds.values(seed) for seed in seeds]
    assert [worlds.values(seed) for seed in replication_seeds(7, 3)] == first
    assert first[0] != first[1]
    assert [seed.n_children_spawned for seed in seeds] == [0, 0, 0]  # the seeds are untouched
    runs = run_seeds(seeds[0])
    assert len(runs) == 2 and runs[0].spawn_key != runs[1].spawn_key
    table = worlds.table(seeds)
    assert list(table.columns) == list(UNCERTAIN)
    assert table["scenario.sources[0].leads_per_week"].between(20, 120).all()


def test_run_with_uncertainty_has_wider_intervals_and_says_why(uncertain: dict[str, Any]) -> None:
    experiment = validate_experiment(uncertain)
    plain = run(experiment)
    worlds = run(experiment, uncertainty=True)
    assert plain.uncertainty is None and plain.worlds is None
    for kpi, wider in (("profit", 1.5), ("leads", 3)):
        assert worlds.summary.loc[kpi, "half_width"] > wider * plain.summary.loc[kpi, "half_width"]
    split = worlds.uncertainty.loc["profit"]
    assert split["share_from_uncertainty"] > 0.5  # rep cost dominates noise here
    assert split["half_width_noise_only"] < worlds.summary.loc["profit", "half_width"]
    assert len(worlds.replications) == 6 and list(worlds.worlds.index) == list(range(6))


def test_compare_with_uncertainty_pairs_policies_in_the_same_world(
    uncertain: dict[str, Any],
) -> None:
    result = compare(validate_experiment(uncertain), uncertainty=True)
    today, slow = (r.replications for r in result.results)
    # Same world and same seeds: the same leads arrive whatever the cadence.
    pd.testing.assert_series_equal(today["leads"], slow["leads"])
    assert today["leads"].nunique() == len(today)  # ... and the worlds differ
    row = result.differences.set_index(["policy", "kpi"]).loc[("slow", "profit")]
    assert 0 <= row["p_beats_ci_low"] <= row["p_beats_baseline"] <= row["p_beats_ci_high"] <= 1
    ranked = result.ranking.set_index("policy")
    assert ranked.loc["slow", "p_beats_baseline"] == row["p_beats_baseline"]
    assert math.isnan(ranked.loc["today", "p_beats_baseline"])
    assert "plausible worlds" in ranked.loc["slow", "verdict"]
    plain = compare(validate_experiment(uncertain))
    assert "p_beats_baseline" not in plain.differences and "p_beats_baseline" not in plain.ranking
    assert (
        result.results[0].summary.loc["profit", "half_width"]
        > plain.results[0].summary.loc["profit", "half_width"]
    )


def _cli(verb: str, path: Path, out: Path, *extra: str) -> int:
    return main([verb, str(path), "--out", str(out), "-q", "--no-report", "--uncertainty", *extra])


@pytest.mark.parametrize("verb", ["run", "compare"])
def test_uncertainty_gives_the_same_bytes_for_any_jobs(
    verb: str, uncertain: dict[str, Any], write_yaml: Callable[..., Path], tmp_path: Path
) -> None:
    path = write_yaml(uncertain)
    tables = []
    for jobs in ("1", "2"):
        assert _cli(verb, path, tmp_path / jobs, "-j", jobs) == 0
        folder = only_run_folder(tmp_path / jobs)
        tables.append({p.name: p.read_bytes() for p in sorted(folder.glob("*.csv"))})
    assert tables[0] == tables[1]
    assert {"uncertainty.csv", "worlds.csv", "summary.csv"} <= set(tables[0])
    if verb == "compare":
        header = tables[0]["differences.csv"].splitlines()[0].decode()
        assert header.endswith("p_beats_baseline,p_beats_ci_low,p_beats_ci_high")


def test_uncertainty_without_an_uncertain_section_is_exit_2(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_yaml(tiny)
    assert _cli("run", path, tmp_path / "out") == 2
    err = capsys.readouterr().err
    assert f"{path}: --uncertainty needs an uncertain: section" in err
    assert not (tmp_path / "out").exists()
    with pytest.raises(ConfigError, match="needs an uncertain: section"):
        run(validate_experiment(tiny), uncertainty=True)


def test_a_field_that_cannot_take_a_drawn_value_is_exit_2_before_any_work(
    uncertain: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    uncertain["uncertain"] = {"scenario.decision.pull_in_per_touch": {"uniform": [0.5, 1.5]}}
    assert _cli("compare", write_yaml(uncertain), tmp_path / "out") == 2
    assert "scenario.decision.pull_in_per_touch" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------- robust tuning


def test_risk_adjusted_looks_at_the_bad_tail_in_the_kpis_direction() -> None:
    values = np.arange(1.0, 11.0)  # 1..10
    assert risk_adjusted(values, "mean", 0.1) == 5.5
    assert risk_adjusted(values, "quantile", 0.1) == pytest.approx(1.9)  # numpy's linear rule
    assert risk_adjusted(values, "quantile", 0.1, higher_is_better=False) == pytest.approx(9.1)
    assert risk_adjusted(values, "cvar", 0.25) == pytest.approx(1.8)  # (1 + 2 + 0.5·3) / 2.5
    assert risk_adjusted(values, "cvar", 0.25, higher_is_better=False) == pytest.approx(9.2)
    assert risk_adjusted(values, "cvar", 0.2) <= risk_adjusted(values, "quantile", 0.2)


def _tune_data(tiny: dict[str, Any], objective: str) -> dict[str, Any]:
    tiny["uncertain"] = dict(UNCERTAIN)
    tiny["tune"] = {
        "replications": 4,
        "confirm_top": 1,
        "confirm_replications": 3,
        "objective": objective,
        "level": 0.25,
        "parameters": {"policy.speed_to_lead.response_target": {"low": "1m", "high": "2h"}},
    }
    return tiny


def test_a_cvar_tune_optimises_the_worst_worlds_and_confirms_on_fresh_ones(
    tiny: dict[str, Any], tmp_path: Path
) -> None:
    from sim.tuning import tune

    result = tune(validate_experiment(_tune_data(tiny, "cvar")), trials=3, out=tmp_path)
    assert result.uncertainty
    trials = result.trials
    assert set(trials["state"]) == {"COMPLETE"}  # no Wilcoxon pruning of a tail objective
    # The mean of the worst quarter of worlds is below the mean over all worlds.
    assert (trials["objective_0"] < trials["kpi:profit"]).all()
    confirmation = result.confirmation
    assert confirmation is not None
    drawn = confirmation.results[0].worlds
    assert list(drawn.columns) == list(UNCERTAIN) and len(drawn) == 3
    row = confirmation.differences.set_index(["policy", "kpi"]).loc[
        (f"trial_{result.chosen[0].number}", "profit")
    ]
    assert 0 <= row["p_beats_baseline"] <= 1
    assert result.sentence is not None
    assert "worst 25% of plausible worlds (CVaR)" in result.sentence
    assert "of plausible worlds (95% CI" in result.sentence


def test_a_tail_objective_without_an_uncertain_section_is_exit_2(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = _tune_data(tiny, "quantile")
    del data["uncertain"]
    path = write_yaml(data)
    assert main(["tune", str(path), "--trials", "2", "--out", str(tmp_path / "out"), "-q"]) == 2
    assert "--uncertainty needs an uncertain: section" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_study_resumed_on_other_worlds_is_refused(tiny: dict[str, Any], tmp_path: Path) -> None:
    from sim.tuning import StorageSpec, open_study

    experiment = validate_experiment(_tune_data(tiny, "mean"))
    spec = StorageSpec(None, tmp_path / "tiny.journal")
    open_study(experiment, spec, "tiny")
    with pytest.raises(ConfigError, match="different worlds"):
        open_study(experiment, spec, "tiny", uncertainty=True)


@pytest.mark.slow
def test_compare_with_uncertainty_on_a_dask_cluster_gives_the_local_numbers(
    uncertain: dict[str, Any],
) -> None:
    """The worlds are drawn before the jobs leave: a cluster gets plain jobs, same numbers."""
    distributed = pytest.importorskip("distributed", reason="needs the optional Dask package")
    from sim.analysis import DaskCluster

    experiment = validate_experiment(uncertain)
    local = compare(experiment, uncertainty=True, jobs=1)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        remote = compare(experiment, uncertainty=True, jobs=DaskCluster(cluster.scheduler_address))
    for mine, theirs in zip(local.results, remote.results, strict=True):
        pd.testing.assert_frame_equal(mine.replications, theirs.replications, check_exact=True)
        pd.testing.assert_frame_equal(mine.uncertainty, theirs.uncertainty, check_exact=True)
    pd.testing.assert_frame_equal(local.differences, remote.differences, check_exact=True)


def test_a_variant_keeps_an_uncertain_field_it_decides_and_meets_the_world_in_the_rest(
    uncertain: dict[str, Any],
) -> None:
    rate = uncertain["scenario"]["economics"]["rep_cost_per_hour"]
    uncertain["compare"]["variants"] = [
        {"name": "restated", "scenario": {"economics": {"rep_cost_per_hour": rate}}},
        {"name": "cheap", "scenario": {"economics": {"rep_cost_per_hour": 20}}},
    ]
    result = compare(validate_experiment(uncertain), uncertainty=True)
    today, restated, cheap = (r.replications for r in result.results)
    pd.testing.assert_frame_equal(today, restated)  # restating the baseline's value decides nothing
    world_rate = result.results[0].worlds["scenario.economics.rep_cost_per_hour"]
    np.testing.assert_allclose(cheap["rep_cost"] * world_rate, today["rep_cost"] * 20)
    pd.testing.assert_series_equal(cheap["leads"], today["leads"])  # the same world otherwise


def test_adaptive_batches_draw_the_same_worlds_as_one_fixed_run(uncertain: dict[str, Any]) -> None:
    from sim.analysis import HalfWidthTarget

    experiment = validate_experiment(uncertain)
    fixed = compare(experiment, uncertainty=True, replications=4)
    batched = compare(
        experiment,
        uncertainty=True,
        replications=2,
        target=HalfWidthTarget(1e-9, relative=False),
        max_replications=4,
    )
    assert "--max-replications 4 reached" in batched.stopped_because
    for one, other in zip(fixed.results, batched.results, strict=True):
        pd.testing.assert_frame_equal(one.replications, other.replications)
        pd.testing.assert_frame_equal(one.worlds, other.worlds)
        pd.testing.assert_frame_equal(one.uncertainty, other.uncertainty)


def test_tune_with_a_quantile_objective_from_the_command_line(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = write_yaml(_tune_data(tiny, "quantile"))
    out = tmp_path / "out"
    args = ["tune", str(path), "--trials", "2", "-j", "1", "--out", str(out), "-q", "--no-report"]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "tuned for the 25% quantile of profit over plausible worlds" in printed
    assert "of plausible worlds (95% CI" in printed
    (folder,) = (manifest.parent for manifest in out.glob("tiny/*/manifest.json"))
    assert (folder / "worlds.csv").is_file() and (folder / "uncertainty.csv").is_file()
    ranking = pd.read_csv(folder / "ranking.csv")
    assert {"p_beats_baseline", "p_beats_ci_low", "p_beats_ci_high"} <= set(ranking.columns)
