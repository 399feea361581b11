"""Small synthetic run folders (run, compare, sweep) for the report's tests.

Plausible tables written the way the verbs write them, with known effects: a
faster response raises profit, new leads first raises it about as much, and a
sweep's profit peaks at 6 attempts and a 2-minute target.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from sim.analysis.stats import paired_differences, summarise
from sim.engine.kpis import KPIS
from sim.engine.tally import BINS, bin_upper_edges

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


def _front(table: pd.DataFrame, *first: str) -> pd.DataFrame:
    """*table* with the columns *first* moved to the front, as the verbs write them."""
    return table[[*first, *[c for c in table.columns if c not in first]]]


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
        summaries.append(summarise(table[list(KPIS)]).reset_index().assign(policy=label))
        firsts.append(_first_attempts(rng, delay).assign(policy=label))
        hours.append(_hourly(util, count).assign(policy=label))

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
    _front(pd.concat(reps), "policy", "replication").to_csv(
        folder / "replications.csv", index=False
    )
    _front(pd.concat(summaries), "policy", "kpi").to_csv(folder / "summary.csv", index=False)
    _front(pd.concat(firsts), "policy").to_csv(folder / "first_attempts.csv", index=False)
    _front(pd.concat(hours), "policy").to_csv(folder / "hourly.csv", index=False)
    return folder


def _write_differences(folder: Path, tables: dict[str, pd.DataFrame], policies: list[str]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    base = tables[policies[0]][list(KPIS)]
    differences = pd.concat(
        paired_differences(base, tables[label][list(KPIS)]).reset_index().assign(policy=label)
        for label in policies[1:]
    )
    _front(differences, "policy").to_csv(folder / "differences.csv", index=False)
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
        stats = summarise(group[["profit", "won_share"]]).reset_index()
        summary.append(_front(stats.assign(**points[point]), "point", *parameters))
    config = json.loads(json.dumps(CONFIG))
    config["sweep"] = {"kpi": "profit", "grid": {p: SWEEP_VALUES[p] for p in parameters}}
    _write_common(folder, config, _manifest("sweep", parameters=parameters))
    pd.DataFrame(points).to_csv(folder / "points.csv", index=False)
    replications.to_csv(folder / "replications.csv", index=False)
    pd.concat(summary).to_csv(folder / "summary.csv", index=False)
    return folder


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
