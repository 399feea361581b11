"""What the numbers rest on: the scenario, the team, the cadence and the run's provenance.

Everything is read from the typed experiment (:attr:`RunData.experiment` and each
policy's own experiment), so the tables show the values the simulation used,
defaults included. Configured durations are written exactly as YAML spells them
(:func:`~sim.config.durations.format_duration`: ``13w``, ``2h30m``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import yaml

from sim.config import LeadSource, format_duration
from sim.config.calendar import DAY_GROUPS, PROFILE_PRESETS, clock_text
from sim.report.content import Block, Table
from sim.report.formatting import currency_symbol, kpi_of, value_text
from sim.report.run_data import RunData

_DAY_SETS = {
    DAY_GROUPS["weekdays"]: "Mon-Fri",
    DAY_GROUPS["weekend"]: "Sat-Sun",
    DAY_GROUPS["everyday"]: "every day",
}


def build_assumptions(run: RunData) -> list[Table | Block]:
    """Scenario, team, cadence and provenance, as tables and YAML blocks."""
    sections: list[Table | Block] = [_experiment_table(run)]
    sources = [_source_row(s) for s in run.experiment.scenario.sources]
    sections.append(
        Table(
            "Lead sources",
            [
                "source",
                "leads/week",
                "arrival profile",
                "intent (mean)",
                "reachability (mean)",
                "deal value (mean)",
                "fit rate",
            ],
            sources,
        )
    )
    sections.append(
        Table(
            "Reps per group (after policy.staffing.counts overrides)",
            ["group", "reps", "role", "days", "hours", "skill"],
            _rep_rows(run),
        )
    )
    config = run.config
    sections.append(Block("Cadence (policy) of the base experiment", yaml_text(config["policy"])))
    if "compare" in config:
        sections.append(
            Block("Compared variants (overrides of the base)", yaml_text(config["compare"]))
        )
    if "sweep" in config:
        sections.append(Block("Sweep design", yaml_text(config["sweep"])))
    sections.append(provenance_table(asdict(run.manifest), run.run_id))
    return sections


def _experiment_table(run: RunData) -> Table:
    scenario, manifest = run.experiment.scenario, run.manifest
    rows = [
        ["Experiment", run.name],
        ["Verb", run.verb],
        ["Measured window (horizon)", format_duration(scenario.horizon)],
        ["Warm-up (simulated before measuring)", format_duration(scenario.warmup)],
        ["Drain (cohort followed after the window)", format_duration(scenario.drain)],
        ["Currency", scenario.economics.currency],
        ["Rep cost per hour", _amount(scenario.economics.rep_cost_per_hour)],
        ["Cost per touch", _amount(scenario.economics.cost_per_touch)],
        ["Seed", value_text(manifest.seed)],
        ["Replications", value_text(manifest.replications)],
    ]
    if run.verb in ("compare", "tune"):
        rows.append(["Baseline", str(run.baseline)])
        if manifest.stopped_because:
            rows.append(["Stopped because", manifest.stopped_because])
    if run.verb == "sweep":
        rows.append(["Parameters", ", ".join(run.parameters)])
    rows.append(["Primary KPI", kpi_of(run.primary_kpi).label])
    return Table("Scenario and experiment", ["setting", "value"], rows)


def _number(value: float) -> str:
    """``1300.0`` -> ``'1,300'``, ``0.8`` -> ``'0.8'``."""
    return f"{value:,.0f}" if abs(value) >= 1000 else value_text(value)


def _amount(value: float) -> str:
    """``40.0`` -> ``'$40'``, ``0.5`` -> ``'$0.5'``: a configured amount in the report's currency."""
    return f"{currency_symbol()}{_number(value)}"


def _profile_name(weights: tuple[float, ...]) -> str:
    """The preset's name when the weights are a preset's, else ``'custom ...'``."""
    names = [name for name, preset in PROFILE_PRESETS.items() if preset == weights]
    return names[0] if names else f"custom ({len(weights)} hourly weights)"


def _source_row(source: LeadSource) -> list[str]:
    return [
        source.name,
        _number(source.leads_per_week),
        _profile_name(source.profile),
        _number(source.intent.mean),
        _number(source.reachability.mean),
        _amount(source.deal_value.mean),
        _number(source.fit_rate),
    ]


def _days(days: tuple[str, ...]) -> str:
    return _DAY_SETS.get(days, ", ".join(d.capitalize() for d in days))


def _rep_rows(run: RunData) -> list[list[str]]:
    """A row per rep group; the count per policy when the policies staff it differently."""
    policies = run.policies if run.verb in ("compare", "tune") else [run.reference or run.name]
    per_policy = {p: run.reps_per_group(p) for p in policies}
    rows = []
    for group in run.experiment.scenario.reps:
        counts = {p: per_policy[p].get(group.name) for p in policies}
        distinct = set(counts.values())
        count_text = (
            value_text(next(iter(distinct)))
            if len(distinct) == 1
            else ", ".join(f"{p}: {c}" for p, c in counts.items())
        )
        shift = group.shift
        hours = f"{clock_text(shift.start)}-{clock_text(shift.end)}"
        rows.append(
            [group.name, count_text, group.role, _days(shift.days), hours, value_text(group.skill)]
        )
    return rows


def provenance_table(manifest: dict[str, Any], run_id: str) -> Table:
    """How to reproduce the folder, from its ``manifest.json`` fields."""
    wall = manifest.get("wall_seconds")
    versions = manifest.get("versions") or {}
    rows = [
        ["Command", manifest.get("command") or "n/a"],
        ["Git commit", manifest.get("git_commit") or "n/a"],
        ["Finished at", manifest.get("finished_at") or "n/a"],
        ["Wall time", f"{wall:.1f} s" if wall is not None else "n/a"],
        ["Versions", ", ".join(f"{k} {v}" for k, v in versions.items()) or "n/a"],
        ["Run folder", run_id],
    ]
    return Table("Provenance", ["item", "value"], rows)


def yaml_text(data: Any) -> str:
    return yaml.safe_dump(
        data, sort_keys=False, default_flow_style=None, width=100, allow_unicode=True
    )
