"""The experiment: one scenario run under one cadence for a number of replications.

An :class:`Experiment` is what an experiment file describes once loaded and
validated (see :mod:`sim.experiment._loading`): the scenario, the cadence, the
seed and replications, optionally a ``compare:``, ``sweep:`` or ``tune:``
design, and optionally the ``uncertain:`` inputs a sensitivity analysis varies
(:mod:`sim.experiment.uncertainty`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from policies.cadence import Cadence
from sim.config import ConfigModel, Scenario
from sim.experiment.designs import Comparison, Sweep, Tuning
from sim.experiment.uncertainty import UncertainSection

DEFAULT_EXPERIMENT = Path(__file__).resolve().parents[2] / "experiments" / "baseline.yaml"
"""The embedded default: ``experiments/baseline.yaml``."""

_DESIGNS = ("compare", "sweep", "tune", "uncertain")


class Experiment(ConfigModel):
    """One scenario run under one cadence for a number of replications."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", description="used for the results folder"
    )
    description: str = ""
    seed: int = Field(12345, ge=0, description="root seed: same seed, same numbers")
    replications: int = Field(20, ge=1, description="independent runs of the scenario")
    scenario: Scenario
    policy: Cadence = Cadence()
    compare: Comparison | None = Field(None, description="variants to compare with this cadence")
    sweep: Sweep | None = Field(None, description="a grid or list of points to sweep")
    tune: Tuning | None = Field(None, description="an Optuna search over cadence parameters")
    uncertain: UncertainSection | None = Field(
        None, min_length=1, description="field path -> distribution of plausible values"
    )

    @model_validator(mode="after")
    def _cadence_fits_scenario(self) -> Experiment:
        problems = self.policy.staffing_problems(self.scenario)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def to_config(self, designs: bool = True) -> dict[str, Any]:
        """The fully resolved YAML form (every default spelled out, durations in human units).

        ``designs=False`` leaves out the compare, sweep, tune and uncertain sections: the plain
        experiment that one cadence runs.
        """
        data = self.model_dump(mode="json", exclude={"policy", *_DESIGNS})
        data["policy"] = self.policy.to_config()
        for design in _DESIGNS:
            section = getattr(self, design)
            if designs and section is not None:
                data[design] = (
                    {
                        path: value.model_dump(mode="json", exclude_none=True)
                        for path, value in section.items()
                    }
                    if isinstance(section, dict)
                    else section.model_dump(mode="json")
                )
        return data
