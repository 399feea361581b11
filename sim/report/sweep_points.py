"""A sweep's points as people read them: parameter names, the best point, the configured one.

A sweep varies fields named by their ``--set`` path (``scenario.reps[0].count``);
:func:`parameter_label` turns a path into words (``'inside_sales reps'``), and
:func:`configured_point` finds the point whose settings are the experiment's own.
"""

from __future__ import annotations

import math
import re
from typing import Any

import pandas as pd

from sim.config.durations import parse_duration
from sim.report.formatting import higher_is_better, value_text
from sim.report.run_data import RunData, kpi_rows

_PART = re.compile(r"([^\[\]]+)((?:\[\d+\])*)")
_INDEX = re.compile(r"\[(\d+)\]")


def config_at(config: dict[str, Any], path: str) -> Any:
    """The value at a ``--set`` style path (``scenario.reps[0].count``), or ``None``."""
    node: Any = config
    for part in path.split("."):
        match = _PART.fullmatch(part)
        if match is None:
            return None
        key, indexes = match.group(1), [int(i) for i in _INDEX.findall(match.group(2))]
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
        for i in indexes:
            if not isinstance(node, list) or i >= len(node):
                return None
            node = node[i]
    return node


def parameter_label(path: str, config: dict[str, Any] | None = None) -> str:
    """``policy.followup.max_attempts`` -> ``'followup max attempts'``;
    ``scenario.reps[0].count`` -> ``'inside_sales reps'`` (the group's name from the config)."""
    parts = path.split(".")
    last = parts[-1].replace("_", " ")
    if len(parts) < 2:
        return last
    parent = parts[-2]
    if re.fullmatch(r"[^\[\]]+\[\d+\]", parent):
        name = config_at(config or {}, ".".join(parts[:-1]) + ".name") or parent
        return f"{name} reps" if parts[-1] == "count" else f"{name} {last}"
    if parent == "counts" and len(parts) >= 3:  # policy.staffing.counts.<group>
        return f"{parts[-1]} reps"
    return f"{parent.replace('_', ' ')} {last}"


def sweep_rows(summary: pd.DataFrame, kpi: str) -> pd.DataFrame:
    """One row per sweep point for *kpi*: point, parameter values, mean and CI."""
    return kpi_rows(summary, kpi).reset_index(drop=True)


def best_row(rows: pd.DataFrame, kpi: str) -> pd.Series:
    """The best point's row (by mean; NaN means never best)."""
    means = rows["mean"].astype(float)
    index = means.idxmax() if higher_is_better(kpi) else means.idxmin()
    return rows.loc[index]


def worst_row(rows: pd.DataFrame, kpi: str) -> pd.Series:
    """The worst point's row (by mean)."""
    means = rows["mean"].astype(float)
    return rows.loc[means.idxmin() if higher_is_better(kpi) else means.idxmax()]


def settings_text(run: RunData, row: pd.Series) -> str:
    """``'inside_sales reps = 20, speed to lead response target = 5m'``."""
    return ", ".join(
        f"{parameter_label(p, run.config)} = {value_text(row[p])}" for p in run.parameters
    )


def _same_value(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return False
    try:
        return math.isclose(float(a), float(b))
    except (TypeError, ValueError):
        pass
    try:
        return math.isclose(parse_duration(a), parse_duration(b))
    except (TypeError, ValueError):
        return str(a) == str(b)


def configured_point(run: RunData, rows: pd.DataFrame) -> pd.Series | None:
    """The sweep point whose settings are the experiment's own values (the baseline point)."""
    values = {p: config_at(run.config, p) for p in run.parameters}
    if any(v is None for v in values.values()):
        return None
    for _, row in rows.iterrows():
        if all(_same_value(row[p], values[p]) for p in run.parameters):
            return row
    return None
