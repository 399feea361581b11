"""Global sensitivity with SALib: Morris elementary effects to screen, Sobol indices to quantify.

:func:`analyse` draws a design in the unit cube (Saltelli's scheme for Sobol,
Morris trajectories for screening), maps it through each input's distribution,
asks *evaluate* for every point's KPIs, and returns tidy tables of indices with
95% confidence intervals. *evaluate* is pluggable: :func:`sim.sensitivity.sensitivity`
simulates each point, a test can evaluate an analytic function on the very same path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from sim.experiment import UncertainInput, values_at

Method = Literal["sobol", "morris"]
METHODS: tuple[Method, ...] = ("sobol", "morris")
MORRIS_LEVELS = 4
"""Grid levels of the Morris design (SALib's default)."""
RANKED_BY = {"sobol": "ST", "morris": "mu_star"}
"""The index each method ranks inputs by: Sobol's total effect, Morris's mean absolute effect."""

Evaluate = Callable[[list[dict[str, float]]], list[dict[str, float]]]
"""Given every point's input values (path -> value), return every point's KPIs (name -> value)."""


def design_size(method: Method, samples: int, inputs: int) -> int:
    """Points a design evaluates: ``samples x (inputs + 2)`` for Sobol, ``x (inputs + 1)`` for Morris."""
    return samples * (inputs + 2 if method == "sobol" else inputs + 1)


@dataclass(frozen=True)
class SensitivityResult:
    """The design's points with their KPIs, and the indices of each input per KPI."""

    method: Method
    inputs: list[str]
    kpis: list[str]
    labels: dict[str, str]
    """Each KPI's name for people (axis labels and titles)."""
    points: pd.DataFrame
    """point, one column per input (its value), one column per KPI."""
    indices: pd.DataFrame
    """kpi, input, index (S1, ST or mu_star, sigma, mu), value, ci_low, ci_high."""

    def ranking(self, kpi: str) -> pd.DataFrame:
        """The inputs by how much *kpi* depends on them, most first (index rows of the ranking index)."""
        rows = self.indices[
            (self.indices["kpi"] == kpi) & (self.indices["index"] == RANKED_BY[self.method])
        ]
        return rows.sort_values("value", ascending=False, kind="stable").reset_index(drop=True)

    def top_inputs(self, kpi: str, count: int = 3) -> list[str]:
        """The *count* inputs that matter most for *kpi*."""
        return list(self.ranking(kpi)["input"][:count])


def unit_design(method: Method, samples: int, inputs: Sequence[str], seed: int) -> np.ndarray:
    """The design's points in the unit cube, one column per input."""
    problem = _problem(inputs)
    if method == "sobol":
        from SALib.sample import sobol as sobol_design  # SALib (and scipy.stats) load on use:

        return sobol_design.sample(problem, samples, calc_second_order=False, seed=seed)
    from SALib.sample import morris as morris_design  # every command would pay ~0.4 s

    return morris_design.sample(problem, samples, num_levels=MORRIS_LEVELS, seed=seed)


def _problem(inputs: Sequence[str]) -> dict[str, Any]:
    return {"num_vars": len(inputs), "names": list(inputs), "bounds": [[0.0, 1.0]] * len(inputs)}


def analyse(
    inputs: dict[str, UncertainInput],
    evaluate: Evaluate,
    *,
    method: Method = "sobol",
    samples: int,
    kpis: Sequence[str] | Mapping[str, str],
    seed: int,
) -> SensitivityResult:
    """Sensitivity of each of *kpis* to *inputs*; *seed* fixes the design and the bootstrap CIs.

    *kpis* names what *evaluate* returns that is analysed, or maps those names to labels.
    """
    labels = dict(kpis) if isinstance(kpis, Mapping) else {kpi: kpi for kpi in kpis}
    names = list(inputs)
    shares = unit_design(method, samples, names, seed)
    values = values_at(inputs, shares)
    measured = evaluate([dict(zip(names, row, strict=True)) for row in values])
    points = pd.DataFrame(values, columns=names)
    for kpi in labels:
        points[kpi] = [result[kpi] for result in measured]
    points.insert(0, "point", range(len(points)))
    frames = [
        _indices(method, names, shares, points[kpi].to_numpy(float), seed).assign(kpi=kpi)
        for kpi in labels
    ]
    indices = pd.concat(frames, ignore_index=True)[
        ["kpi", "input", "index", "value", "ci_low", "ci_high"]
    ]
    return SensitivityResult(method, names, list(labels), labels, points, indices)


def _indices(
    method: Method, names: list[str], shares: np.ndarray, outputs: np.ndarray, seed: int
) -> pd.DataFrame:
    """One row per input and index with its 95% CI (SALib's bootstrap half-width)."""
    problem = _problem(names)
    if method == "sobol":
        from SALib.analyze import sobol as sobol_analysis  # loaded on use, as in unit_design

        found = sobol_analysis.analyze(
            problem, outputs, calc_second_order=False, conf_level=0.95, seed=seed
        )
        pairs = {"S1": "S1_conf", "ST": "ST_conf"}
    else:
        from SALib.analyze import morris as morris_analysis

        found = morris_analysis.analyze(
            problem, shares, outputs, conf_level=0.95, num_levels=MORRIS_LEVELS, seed=seed
        )
        pairs = {"mu_star": "mu_star_conf", "sigma": None, "mu": None}
    rows = []
    for index, conf in pairs.items():
        for i, name in enumerate(names):
            value = float(found[index][i])
            half = float(found[conf][i]) if conf else float("nan")
            rows.append(
                {
                    "input": name,
                    "index": index,
                    "value": value,
                    "ci_low": value - half,
                    "ci_high": value + half,
                }
            )
    return pd.DataFrame(rows)
