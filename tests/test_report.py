"""Figures and reports drawn from small synthetic run folders (run, compare, sweep)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from sim.engine.kpis import KPIS
from sim.engine.tally import BINS, bin_upper_edges
from sim.report import build_summary, figures_for, format_value, load_run, write_report

WEEKS = 13.0
REPLICATIONS = 6

CONFIG = {
    "name": "synthetic",
    "seed": 7,
    "replications": REPLICATIONS,
    "scenario": {
        "horizon": "13w",
        "warmup": "1w",
        "drain": "4w",
        "sources": [
            {
                "name": "web_form",
                "leads_per_week": 1300.0,
                "profile": "business_hours",
                "intent": {"mean": 0.3, "concentration": 4.0},
                "fit_rate": 0.8,
            },
            {
                "name": "inbound_call",
                "leads_per_week": 300.0,
                "profile": [1.0] * 168,
                "intent": {"mean": 0.45, "concentration": 5.0},
            },
        ],
        "reps": [
            {
                "name": "inside_sales",
                "count": 20,
                "role": "generalist",
                "shift": {
                    "days": ["mon", "tue", "wed", "thu", "fri"],
                    "start": "08:30",
                    "end": "17:00",
                },
                "skill": 1.0,
            },
        ],
        "economics": {"rep_cost_per_hour": 45.0, "cost_per_touch": 0.5},
    },
    "policy": {
        "speed_to_lead": {"name": "target", "response_target": "5m"},
        "followup": {"name": "steps", "max_attempts": 6, "steps": ["5m", "1h", "1d"]},
        "staffing": {"name": "counts", "counts": {}},
    },
}

# Policy effects: (profit multiplier, delay scale in minutes, utilisation, reps)
POLICIES = {
    "baseline": (1.00, 40.0, 0.83, 20),
    "fast_response": (1.12, 4.0, 0.88, 22),
    "new_leads_first": (1.11, 6.0, 0.86, 20),
}


def _manifest(verb: str, **extra: object) -> dict:
    return {
        "verb": verb,
        "experiment": "synthetic <test>",
        "seed": 7,
        "replications": REPLICATIONS,
        "primary_kpi": "profit",
        "window_weeks": WEEKS,
        "versions": {"python": "3.11", "salespulse": "0.1.0"},
        "finished_at": "2026-11-26T15:00:00+00:00",
        "command": "python -m sim " + verb,
        "git_commit": "abc123",
        "wall_seconds": 1.5,
        **extra,
    }


def _kpi_draws(
    rng: np.random.Generator, multiplier: float, delay: float, util: float, luck: np.ndarray
) -> pd.DataFrame:
    """Plausible KPI values for REPLICATIONS replications (common luck across policies)."""
    rows = []
    for r in range(REPLICATIONS):
        noise = 1 + 0.02 * luck[r] + 0.01 * rng.standard_normal()
        row = {}
        for name, kpi in KPIS.items():
            base = {
                "share": 0.3,
                "money": 1e6,
                "count": 800.0,
                "minutes": 10.0,
                "hours": 150.0,
                "ratio": 2.2,
            }[kpi.unit]
            row[name] = base * noise
        row.update(
            profit=2.6e6 * multiplier * noise,
            revenue=3.2e6 * multiplier * noise,
            repeat_revenue=3.5e5 * multiplier * noise,
            won=1080 * multiplier * noise,
            won_share=0.042 * multiplier * noise,
            qualified_share=0.13 * multiplier * noise,
            reached_share=0.66 * noise,
            first_attempt_within_5m_share=min(0.99, 1 - math.exp(-5 / delay)) * noise,
            first_attempt_within_target_share=min(0.99, 1 - math.exp(-5 / delay)) * noise,
            speed_to_lead_median_minutes=delay * math.log(2) * noise,
            utilisation=util * noise,
            lost_opted_out=90 * noise / multiplier,
            lost_never_reached=4300 * noise / multiplier,
        )
        rows.append(row)
    return pd.DataFrame(rows)


def _summarise(table: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for kpi in KPIS:
        values = table[kpi].to_numpy(dtype=float)
        n, mean, sd = len(values), float(values.mean()), float(values.std(ddof=1))
        half = stats.t.ppf(0.975, n - 1) * sd / math.sqrt(n)
        rows.append(
            {
                "kpi": kpi,
                "n": n,
                "mean": mean,
                "sd": sd,
                "ci_low": mean - half,
                "ci_high": mean + half,
                "half_width": half,
            }
        )
    return pd.DataFrame(rows)


def _first_attempts(rng: np.random.Generator, delay: float) -> pd.DataFrame:
    """Tally-shaped counts: leads binned by time to first attempt, rates falling with delay."""
    n = 40_000
    minutes = np.where(
        rng.random(n) < 0.3, 0.0, rng.exponential(delay, n) * rng.lognormal(0, 1.5, n)
    )
    never = rng.random(n) < 0.01
    bins = np.where(
        minutes < 0.01,
        0,
        np.minimum(BINS - 1, 1 + np.floor(np.log(np.maximum(minutes, 0.01) / 0.01) / np.log(1.02))),
    ).astype(int)
    bins[never] = BINS
    fade = np.exp(-minutes / 120) * 0.95 + 0.05
    reached_first = rng.random(n) < 0.6 * (np.exp(-minutes / 240) * 0.7 + 0.3)
    reached = reached_first | (rng.random(n) < 0.3)
    qualified = reached & (rng.random(n) < 0.35 * fade)
    won = qualified & (rng.random(n) < 0.4)
    counts = pd.DataFrame(
        {
            "bin": bins,
            "leads": 1,
            "reached_first": reached_first,
            "reached": reached,
            "qualified": qualified,
            "won": won,
        }
    )
    counts.loc[never, ["reached_first", "reached", "qualified", "won"]] = False
    table = counts.groupby("bin").sum().reset_index()
    upper = bin_upper_edges()
    lower = np.concatenate(([0.0], upper[:-2], [upper[-2]]))
    table.insert(1, "delay_minutes_low", lower[table["bin"]])
    table.insert(2, "delay_minutes_high", upper[table["bin"]])
    return table.drop(columns="bin")


def _hourly(util: float, reps: int) -> pd.DataFrame:
    rows = []
    for hour in range(168):
        day, h = divmod(hour, 24)
        on_shift = 0.0
        if day < 5 and 8 <= h < 17:
            on_shift = reps * (30.0 if h == 8 else 60.0) * WEEKS
        busy = on_shift * min(1.0, util * (1.1 if h < 12 else 0.9))
        backlog = (40.0 if day < 5 and 9 <= h < 12 else 8.0 if on_shift else 25.0) * 60 * WEEKS
        rows.append(
            {
                "hour_of_week": hour,
                "busy_minutes": busy,
                "on_shift_minutes": on_shift,
                "backlog_task_minutes": backlog,
            }
        )
    return pd.DataFrame(rows)


def _write_common(folder: Path, config: dict, manifest: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2))


def make_policy_folder(folder: Path, policies: list[str], verb: str) -> Path:
    """A run (one policy) or compare (baseline first) folder with every table."""
    rng = np.random.default_rng(1)
    luck = rng.standard_normal(REPLICATIONS)
    reps, summaries, firsts, hours, tables = [], [], [], [], {}
    for label in policies:
        multiplier, delay, util, count = POLICIES[label]
        table = _kpi_draws(rng, multiplier, delay, util, luck)
        tables[label] = table
        reps.append(table.assign(policy=label, replication=range(REPLICATIONS)))
        summaries.append(_summarise(table).assign(policy=label))
        firsts.append(_first_attempts(rng, delay).assign(policy=label))
        hours.append(_hourly(util, count).assign(policy=label))

    def front(t: pd.DataFrame, *first: str) -> pd.DataFrame:
        return t[[*first, *[c for c in t.columns if c not in first]]]

    config = json.loads(json.dumps(CONFIG))
    extra: dict = {}
    if verb == "compare":
        variants = []
        for label in policies[1:]:
            variant = {"name": label, "policy": {"speed_to_lead": {"response_target": "2m"}}}
            if POLICIES[label][3] != 20:
                variant["policy"]["staffing"] = {"counts": {"inside_sales": POLICIES[label][3]}}
            variants.append(variant)
        config["compare"] = {"baseline": policies[0], "kpi": "profit", "variants": variants}
        extra.update(baseline=policies[0], stopped_because="fixed number of replications (6)")
        _write_differences(folder, tables, policies)
    _write_common(folder, config, _manifest(verb, **extra))
    front(pd.concat(reps), "policy", "replication").to_csv(folder / "replications.csv", index=False)
    front(pd.concat(summaries), "policy", "kpi").to_csv(folder / "summary.csv", index=False)
    front(pd.concat(firsts), "policy").to_csv(folder / "first_attempts.csv", index=False)
    front(pd.concat(hours), "policy").to_csv(folder / "hourly.csv", index=False)
    return folder


def _write_differences(folder: Path, tables: dict[str, pd.DataFrame], policies: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    base = tables[policies[0]]
    rows = []
    for label in policies[1:]:
        for kpi in KPIS:
            diff = tables[label][kpi] - base[kpi]
            n, mean = len(diff), float(diff.mean())
            half = stats.t.ppf(0.975, n - 1) * float(diff.std(ddof=1)) / math.sqrt(n)
            scale = abs(float(base[kpi].mean()))
            rows.append(
                {
                    "policy": label,
                    "kpi": kpi,
                    "n": n,
                    "baseline_mean": base[kpi].mean(),
                    "mean_difference": mean,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "relative_difference": mean / scale,
                    "relative_ci_low": (mean - half) / scale,
                    "relative_ci_high": (mean + half) / scale,
                    "p_value": 0.001,
                }
            )
    pd.DataFrame(rows).to_csv(folder / "differences.csv", index=False)
    means = {p: float(tables[p]["profit"].mean()) for p in policies}
    order = sorted(policies, key=means.get, reverse=True)
    ranking = [
        {
            "rank": i + 1,
            "policy": p,
            "kpi": "profit",
            "mean": means[p],
            "ci_low": means[p] * 0.98,
            "ci_high": means[p] * 1.02,
            "group": 1 if p != policies[0] else 2,
            "verdict": "the baseline" if p == policies[0] else f"better than {policies[0]}",
        }
        for i, p in enumerate(order)
    ]
    pd.DataFrame(ranking).to_csv(folder / "ranking.csv", index=False)


SWEEP_VALUES = {
    "policy.followup.max_attempts": [2, 4, 6, 8],
    "policy.speed_to_lead.response_target": ["2m", "5m", "15m"],
}


def make_sweep_folder(folder: Path, parameters: list[str]) -> Path:
    """A sweep over one or two parameters: profit peaks at 6 attempts and a 2-minute target."""
    rng = np.random.default_rng(2)
    luck = rng.standard_normal(REPLICATIONS)
    grids = np.meshgrid(*[SWEEP_VALUES[p] for p in parameters], indexing="ij")
    combos = list(zip(*[g.ravel().tolist() for g in grids], strict=True))
    points, reps, summary = [], [], []
    for point, combo in enumerate(combos):
        settings = dict(zip(parameters, combo, strict=True))
        attempts = int(settings.get("policy.followup.max_attempts", 6))
        target = {"2m": 2, "5m": 5, "15m": 15}[
            settings.get("policy.speed_to_lead.response_target", "5m")
        ]
        level = 2.6e6 * (1 - 0.01 * (attempts - 6) ** 2) * (1 - 0.01 * (target - 2))
        for r in range(REPLICATIONS):
            reps.append(
                {
                    "point": point,
                    **settings,
                    "replication": r,
                    "profit": level * (1 + 0.02 * luck[r] + 0.002 * rng.standard_normal()),
                    "won_share": 0.04,
                }
            )
        points.append({"point": point, **settings})
    replications = pd.DataFrame(reps)
    for point, group in replications.groupby("point"):
        for kpi in ("profit", "won_share"):
            values = group[kpi].to_numpy(dtype=float)
            mean, sd = float(values.mean()), float(values.std(ddof=1))
            half = stats.t.ppf(0.975, len(values) - 1) * sd / math.sqrt(len(values))
            summary.append(
                {
                    "point": point,
                    **points[point] | {},
                    "kpi": kpi,
                    "n": len(values),
                    "mean": mean,
                    "sd": sd,
                    "ci_low": mean - half,
                    "ci_high": mean + half,
                    "half_width": half,
                }
            )
    config = json.loads(json.dumps(CONFIG))
    config["sweep"] = {"kpi": "profit", "grid": {p: SWEEP_VALUES[p] for p in parameters}}
    _write_common(folder, config, _manifest("sweep", parameters=parameters))
    pd.DataFrame(points).to_csv(folder / "points.csv", index=False)
    replications.to_csv(folder / "replications.csv", index=False)
    pd.DataFrame(summary).to_csv(folder / "summary.csv", index=False)
    return folder


# --------------------------------------------------------------------------- tests

FOLDERS = {
    "run": lambda p: make_policy_folder(p, ["baseline"], "run"),
    "compare": lambda p: make_policy_folder(
        p, ["baseline", "fast_response", "new_leads_first"], "compare"
    ),
    "sweep1": lambda p: make_sweep_folder(p, ["policy.followup.max_attempts"]),
    "sweep2": lambda p: make_sweep_folder(
        p, ["policy.followup.max_attempts", "policy.speed_to_lead.response_target"]
    ),
}
EXPECTED_FIGURES = {
    "run": {
        "speed_to_lead",
        "kpis",
        "funnel",
        "first_attempt_cdf",
        "heatmap_baseline",
        "lost_reasons",
    },
    "compare": {
        "speed_to_lead",
        "kpis",
        "differences",
        "funnel",
        "first_attempt_cdf",
        "heatmap_baseline",
        "heatmap_fast_response",
        "lost_reasons",
    },
    "sweep1": {"sweep_lines"},
    "sweep2": {"sweep_heatmap", "sweep_lines"},
}


@pytest.fixture(scope="module", params=list(FOLDERS))
def reported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """(kind, folder, html path, pdf path): a synthetic folder with its report written."""
    kind = request.param
    folder = FOLDERS[kind](tmp_path_factory.mktemp(kind) / "run")
    html_path, pdf_path = write_report(folder)
    return kind, folder, html_path, pdf_path


def test_every_figure_is_written_as_png_and_svg(reported) -> None:
    kind, folder, _, _ = reported
    pngs = sorted((folder / "figures").glob("*.png"))
    assert {p.stem for p in pngs} == EXPECTED_FIGURES[kind]
    for png in pngs:
        assert png.stat().st_size > 5000
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        svg = png.with_suffix(".svg")
        assert svg.stat().st_size > 5000
        assert "<svg" in svg.read_text(encoding="utf-8")[:2000]


def test_report_is_self_contained(reported) -> None:
    _, folder, html_path, pdf_path = reported
    assert html_path.stat().st_size > 0
    assert pdf_path.read_bytes()[:5] == b"%PDF-" and pdf_path.stat().st_size > 10_000
    text = html_path.read_text(encoding="utf-8")
    figures = list((folder / "figures").glob("*.png"))
    assert text.count("data:image/png;base64,") == len(figures) > 0
    lowered = text.lower()
    assert 'src="http' not in lowered and "<script" not in lowered and "href=" not in lowered


def test_file_contents_are_escaped(reported) -> None:
    _, _, html_path, _ = reported
    text = html_path.read_text(encoding="utf-8")
    assert "synthetic &lt;test&gt;" in text
    assert "synthetic <test>" not in text


def _summary_row(folder: Path, policy: str, kpi: str) -> pd.Series:
    table = pd.read_csv(folder / "summary.csv")
    return table[(table["policy"] == policy) & (table["kpi"] == kpi)].iloc[0]


def test_report_states_the_headline_numbers(reported) -> None:
    kind, folder, html_path, _ = reported
    text = html_path.read_text(encoding="utf-8")
    summary = text.split('id="summary"')[1].split("</section>")[0]
    profit = KPIS["profit"]
    if kind == "run":
        row = _summary_row(folder, "baseline", "profit")
        assert format_value(profit, row["mean"]) in summary
        assert format_value(profit, row["ci_low"]) in summary
        assert "13-week window" in summary and "20 reps" in summary
    elif kind == "compare":
        diff = pd.read_csv(folder / "differences.csv")
        best = diff[(diff["policy"] == "fast_response") & (diff["kpi"] == "profit")].iloc[0]
        assert "Switching from baseline to fast_response raises profit by" in summary
        assert f"{best['relative_difference']:.1%}" in summary
        assert f"{best['relative_ci_low']:.1%} to {best['relative_ci_high']:.1%}" in summary
        assert "cannot be told apart from new_leads_first" in summary
        assert "22 reps" in summary  # staffing differs for fast_response
    else:
        table = pd.read_csv(folder / "summary.csv")
        profits = table[table["kpi"] == "profit"]
        best = profits.loc[profits["mean"].idxmax()]
        assert format_value(profit, best["mean"]) in summary
        assert "max attempts = 6" in summary
        assert "than the worst point" in summary
        if kind == "sweep2":
            assert "than the configured setting" in summary
        else:
            assert "already the best" in summary


def test_figures_for_returns_the_pngs(tmp_path: Path) -> None:
    folder = make_sweep_folder(tmp_path / "run", ["policy.followup.max_attempts"])
    paths = figures_for(folder)
    assert [p.name for p in paths] == ["sweep_lines.png"]
    assert all(p.is_file() and p.with_suffix(".svg").is_file() for p in paths)


def test_older_folders_without_policy_column_are_drawn(tmp_path: Path) -> None:
    folder = make_policy_folder(tmp_path / "run", ["baseline"], "run")
    for name in ("summary", "replications"):
        table = pd.read_csv(folder / f"{name}.csv").drop(columns="policy")
        table.to_csv(folder / f"{name}.csv", index=False)
    for name in ("first_attempts", "hourly"):
        (folder / f"{name}.csv").unlink()
    run = load_run(folder)
    assert run.policies == ["synthetic <test>"]
    assert {p.stem for p in figures_for(folder)} == {"kpis", "funnel", "lost_reasons"}
    row = _summary_row_any(folder, "profit")
    assert format_value(KPIS["profit"], row["mean"]) in build_summary(run).paragraphs[0]


def _summary_row_any(folder: Path, kpi: str) -> pd.Series:
    table = pd.read_csv(folder / "summary.csv")
    return table[table["kpi"] == kpi].iloc[0]


def test_summary_when_no_variant_beats_the_baseline(tmp_path: Path) -> None:
    folder = make_policy_folder(tmp_path / "run", ["fast_response", "baseline"], "compare")
    text = " ".join(build_summary(load_run(folder)).paragraphs)
    assert text.startswith("Switching from fast_response to baseline would not pay off: it lowers")


def test_summary_when_the_difference_is_within_the_noise(tmp_path: Path) -> None:
    folder = make_policy_folder(
        tmp_path / "run", ["baseline", "fast_response", "new_leads_first"], "compare"
    )
    diff = pd.read_csv(folder / "differences.csv")
    row = (diff["policy"] == "fast_response") & (diff["kpi"] == "profit")
    base = float(diff.loc[row, "baseline_mean"].iloc[0])
    for column, share in (("mean_difference", 0.01), ("ci_low", -0.005), ("ci_high", 0.025)):
        diff.loc[row, column] = share * base
    for column, share in (
        ("relative_difference", 0.01),
        ("relative_ci_low", -0.005),
        ("relative_ci_high", 0.025),
    ):
        diff.loc[row, column] = share
    diff.to_csv(folder / "differences.csv", index=False)
    text = " ".join(build_summary(load_run(folder)).paragraphs)
    assert "to fast_response changes profit by +1.0% (95% CI -0.5% to +2.5%)" in text
    assert "fast_response and baseline cannot be told apart on profit" in text
