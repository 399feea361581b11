"""Experimental designs: what an experiment file varies, for ``compare`` and ``sweep``.

``compare:`` names a baseline (the file's own cadence) and variants, each a set
of overrides of the baseline's ``policy`` (and optionally ``scenario``)::

    compare:
      baseline: today                 # label of the file's own cadence
      kpi: profit                     # what the ranking and --target-halfwidth use
      variants:
        - name: two_minute_target
          policy: {speed_to_lead: {response_target: 2m, new_leads_first: true}}

``sweep:`` is a grid (every combination) or an explicit list of points over any
fields, named by their path as in ``--set``::

    sweep:
      kpi: profit
      grid:
        scenario.reps[0].count: [16, 20, 24]
        policy.speed_to_lead.response_target: [2m, 5m, 15m, 1h]
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from sim.config._types import ConfigModel
from sim.engine.kpis import KPIS

LABEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


def _known_kpi(name: str) -> str:
    if name not in KPIS:
        raise ValueError(f"unknown KPI {name!r}; expected one of: {', '.join(KPIS)}")
    return name


KpiName = Annotated[str, AfterValidator(_known_kpi)]
"""The name of a KPI in :data:`sim.engine.kpis.KPIS`."""


class Variant(ConfigModel):
    """A cadence (and optionally scenario) that differs from the baseline by these overrides."""

    name: str = Field(pattern=LABEL_PATTERN)
    description: str = ""
    policy: dict[str, Any] = Field(
        default_factory=dict, description="overrides of the baseline policy"
    )
    scenario: dict[str, Any] = Field(default_factory=dict, description="overrides of the scenario")


class Comparison(ConfigModel):
    """A baseline cadence and variants, all run on the same replication seeds."""

    baseline: str = Field(
        "baseline", pattern=LABEL_PATTERN, description="label of the file's own cadence"
    )
    kpi: KpiName = Field("profit", description="KPI for the ranking and adaptive replications")
    variants: list[Variant] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_labels(self) -> Comparison:
        labels = [self.baseline, *(v.name for v in self.variants)]
        repeated = sorted({label for label in labels if labels.count(label) > 1})
        if repeated:
            raise ValueError(
                f"policy labels must be unique (baseline and variant names); repeated: {', '.join(repeated)}"
            )
        return self


class Sweep(ConfigModel):
    """A grid (cartesian product) or an explicit list of points over config fields."""

    kpi: KpiName = Field("profit", description="KPI the sweep's figures and best point use")
    grid: dict[str, list[Any]] = Field(default_factory=dict, description="field path -> values")
    points: list[dict[str, Any]] = Field(
        default_factory=list, description="explicit points: field path -> value"
    )

    @model_validator(mode="after")
    def _one_design(self) -> Sweep:
        if bool(self.grid) == bool(self.points):
            raise ValueError(
                "give either grid (every combination) or points (an explicit list), not both or neither"
            )
        empty = [path for path, values in self.grid.items() if not values]
        if empty:
            raise ValueError(
                f"grid axis {empty[0]!r} has no values; expected a list of at least one value"
            )
        if self.points:
            keys = set(self.points[0])
            if not keys or any(set(point) != keys for point in self.points):
                raise ValueError("every point must set the same, non-empty set of fields")
        return self

    @property
    def parameters(self) -> list[str]:
        """The field paths the sweep varies, in order."""
        return list(self.grid) if self.grid else list(self.points[0])

    @property
    def size(self) -> int:
        """Number of points."""
        if self.points:
            return len(self.points)
        size = 1
        for values in self.grid.values():
            size *= len(values)
        return size

    def each_point(self) -> list[dict[str, Any]]:
        """Every point as ``{path: value}``, grid order: the last parameter varies fastest."""
        if self.points:
            return [dict(point) for point in self.points]
        return [
            dict(zip(self.grid, combo, strict=True))
            for combo in itertools.product(*self.grid.values())
        ]


class Objective(ConfigModel):
    """A KPI to optimise (its mean over the trial's replications)."""

    kpi: KpiName
    direction: Literal["maximize", "minimize"] | None = Field(
        None, description="default: maximise a KPI where higher is better, else minimise"
    )

    @property
    def resolved_direction(self) -> str:
        if self.direction is not None:
            return self.direction
        return "minimize" if KPIS[self.kpi].higher_is_better is False else "maximize"


class Constraint(ConfigModel):
    """A business rule a tuned cadence must keep, on a KPI's mean: ``max`` and/or ``min``."""

    kpi: KpiName
    max: float | None = None
    min: float | None = None

    @model_validator(mode="after")
    def _bounded(self) -> Constraint:
        if self.max is None and self.min is None:
            raise ValueError("a constraint needs max, min or both")
        if self.max is not None and self.min is not None and self.min > self.max:
            raise ValueError(f"min ({self.min:g}) is above max ({self.max:g})")
        return self

    def violation(self, value: float) -> float:
        """Optuna's convention: <= 0 when the constraint holds, the shortfall otherwise."""
        excess = [value - self.max] if self.max is not None else []
        shortfall = [self.min - value] if self.min is not None else []
        return max([*excess, *shortfall])

    def describe(self) -> str:
        parts = [f">= {self.min:g}"] if self.min is not None else []
        parts += [f"<= {self.max:g}"] if self.max is not None else []
        return f"{self.kpi} {' and '.join(parts)}"


class Tuning(ConfigModel):
    """An Optuna search over policy (and scenario) parameters.

    ``families`` tunes every tunable parameter of those policies (their
    ``search_space()``); ``parameters`` adds, narrows, widens or fixes single
    fields by path: ``{low: 1m, high: 1h, log: true}``, ``{choices: [...]}``, or
    a plain value to fix it. ``objective: quantile`` or ``cvar`` (with ``level``)
    evaluates each trial on the same plausible worlds (the ``uncertain:`` section) and
    optimises the bad tail of each objective's KPI rather than its mean.
    """

    objectives: list[Objective] = Field(
        default_factory=lambda: [Objective(kpi="profit")], min_length=1
    )
    constraints: list[Constraint] = Field(default_factory=list)
    families: list[str] = Field(default_factory=list, description="policy families to tune in full")
    parameters: dict[str, Any] = Field(
        default_factory=dict, description="field path -> range, choices or value"
    )
    replications: int = Field(
        8,
        ge=2,
        description="replications per trial (the same seeds, and with --uncertainty the same "
        "plausible worlds, for every trial)",
    )
    confirm_top: int = Field(3, ge=1, description="best trials re-run on fresh seeds at the end")
    confirm_replications: int = Field(20, ge=2, description="replications of the confirmation run")
    objective: Literal["mean", "quantile", "cvar"] = Field(
        "mean",
        description="what each objective optimises over the replications: their mean, or over "
        "plausible worlds a low quantile or the mean of the worst share (CVaR)",
    )
    level: float = Field(
        0.1,
        gt=0,
        lt=1,
        description="quantile and cvar: the worst share of worlds judged (0.1: 10%)",
    )

    @property
    def robust(self) -> bool:
        """Whether the objective looks at the bad tail over plausible worlds (quantile or CVaR)."""
        return self.objective != "mean"
