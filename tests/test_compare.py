"""compare: common random numbers, paired statistics, ranking, adaptive replications, bad input."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sim.analysis.comparison import HalfWidthTarget, compare
from sim.analysis.stats import paired_differences, t_halfwidth
from sim.cli import main
from sim.config import ConfigError
from sim.experiment import load_experiment


def _with_variants(data: dict[str, Any], **extra: Any) -> dict[str, Any]:
    data["compare"] = {
        "baseline": "today",
        "kpi": "qualified_share",
        "variants": [
            {"name": "slow", "policy": {"speed_to_lead": {"response_target": "1h"}}},
            {"name": "lifo", "policy": {"queue": {"order": "lifo"}}},
        ],
        **extra,
    }
    return data


@pytest.fixture
def comparison_file(tiny: dict[str, Any], write_yaml: Callable[..., Path]) -> Path:
    tiny["replications"] = 6
    return write_yaml(_with_variants(tiny))


def test_paired_differences_are_narrower_than_unpaired(comparison_file: Path) -> None:
    """The point of common random numbers: pairing by seed removes the shared noise."""
    result = compare(load_experiment(comparison_file), jobs=2)
    base = result.results[0].replications
    lifo = result.results[2].replications
    for kpi in ("leads", "qualified_share", "deal_revenue"):
        paired = result.differences.set_index(["policy", "kpi"]).loc[("lifo", kpi)]
        paired_half = (paired["ci_high"] - paired["ci_low"]) / 2
        n = len(base)
        # Welch-style unpaired half-width from the same runs: sqrt(s1²/n + s2²/n) x t.
        unpaired_sd = np.sqrt(base[kpi].var(ddof=1) + lifo[kpi].var(ddof=1))
        unpaired_half = t_halfwidth(float(unpaired_sd), n)
        assert paired_half < unpaired_half, (kpi, paired_half, unpaired_half)
    # Same leads in every arm: the cohort size does not depend on the cadence.
    assert (result.results[1].replications["leads"] == base["leads"]).all()


def test_comparison_outputs_and_ranking(comparison_file: Path) -> None:
    result = compare(load_experiment(comparison_file))
    assert [r.label for r in result.results] == ["today", "slow", "lifo"]
    assert set(result.differences["policy"]) == {"slow", "lifo"}
    assert set(result.ranking["policy"]) == {"today", "slow", "lifo"}
    assert list(result.ranking["rank"]) == [1, 2, 3]
    means = list(result.ranking["mean"])
    assert means == sorted(means, reverse=True)
    today = result.ranking.set_index("policy").loc["today"]
    assert today["verdict"] == "the baseline"
    slow = result.differences.set_index(["policy", "kpi"]).loc[("slow", "qualified_share")]
    assert 0 <= slow["p_value"] <= 1


def test_ranking_tests_are_holm_adjusted_and_groups_agree_with_their_footnote(
    tiny: dict[str, Any], write_yaml: Callable[..., Path]
) -> None:
    """A copy of the baseline cannot be called better or worse; group 1 is 'not worse than the
    best, nor than the baseline'."""
    tiny["replications"] = 6
    data = _with_variants(tiny)
    data["compare"]["variants"].append(
        {"name": "same", "description": "today, again", "policy": {}}
    )
    result = compare(load_experiment(write_yaml(data)))
    ranking = result.ranking.set_index("policy")
    assert ranking.loc["same", "verdict"].startswith("cannot be told apart from today")
    assert ranking.loc["same", "description"] == "today, again"
    variants = result.differences[result.differences["kpi"] == "qualified_share"]
    raw = dict(zip(variants["policy"], variants["p_value"], strict=True))
    assert all(ranking.loc[v, "p_holm"] >= raw[v] - 1e-12 for v in raw)  # adjusting never lowers p
    best = result.ranking.iloc[0]["policy"]
    for policy, row in ranking.iterrows():
        if policy == best:
            assert row["group"] == 1
            continue
        gap = paired_differences(
            result.results[[r.label for r in result.results].index(best)].replications[
                ["qualified_share"]
            ],
            result.results[[r.label for r in result.results].index(policy)].replications[
                ["qualified_share"]
            ],
        ).loc["qualified_share"]
        if row["group"] == 1:  # never a policy its own verdict calls worse than the baseline
            assert not row["verdict"].startswith("worse than")
        elif not row["verdict"].startswith("worse than"):  # below the best: its test agrees
            assert gap["p_value"] < 0.05


def test_target_halfwidth_adds_replications_until_met(
    tiny: dict[str, Any], write_yaml: Callable[..., Path]
) -> None:
    tiny["replications"] = 3
    experiment = load_experiment(write_yaml(_with_variants(tiny)))
    loose = compare(experiment, target=HalfWidthTarget.parse("50%"), max_replications=12)
    assert loose.replications == 3 and loose.stopped_because.startswith("target reached")
    strict = compare(experiment, target=HalfWidthTarget.parse("0.0001%"), max_replications=9)
    assert strict.replications == 9 and strict.stopped_because.startswith("--max-replications 9")
    # Extra replications extend the same seed sequence: the first three are unchanged.
    pd.testing.assert_frame_equal(
        strict.results[0].replications.iloc[:3], loose.results[0].replications.iloc[:3]
    )


@pytest.mark.parametrize("text", ["0", "-2%", "abc", "2 %%"])
def test_bad_target_halfwidth(text: str) -> None:
    with pytest.raises(ConfigError, match="--target-halfwidth"):
        HalfWidthTarget.parse(text)


def test_compare_cli_writes_a_complete_folder(
    comparison_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "results"
    assert (
        main(["compare", str(comparison_file), "--out", str(out), "-q", "-j", "2", "--no-report"])
        == 0
    )
    printed = capsys.readouterr().out
    assert "Paired differences against the baseline" in printed and "Ranking by" in printed
    (folder,) = (out / "tiny").iterdir()
    for name in (
        "config.yaml",
        "manifest.json",
        "replications.csv",
        "summary.csv",
        "differences.csv",
        "ranking.csv",
        "first_attempts.csv",
        "hourly.csv",
        "local_hours.csv",
    ):
        assert (folder / name).stat().st_size > 0, name


def test_variant_overriding_a_missing_field_is_bad_input(
    tiny: dict[str, Any],
    write_yaml: Callable[..., Path],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data = _with_variants(tiny)
    data["compare"]["variants"][1]["policy"] = {"followup": {"max_attemps": 3}}
    path = write_yaml(data)
    out = tmp_path / "results"
    assert main(["compare", str(path), "--out", str(out), "-q"]) == 2
    err = capsys.readouterr().err
    assert "compare.variants[1] (lifo)" in err and "max_attemps" in err and "Traceback" not in err
    assert not out.exists() or not any(out.rglob("*.csv"))


def test_compare_without_variants_section(
    tiny: dict[str, Any], write_yaml: Callable[..., Path]
) -> None:
    assert main(["compare", str(write_yaml(tiny)), "-q", "--no-report"]) == 2
