"""Uncertain inputs as experiments: put sampled values into the fields the ``uncertain:`` section names.

Every point of a sensitivity design, and every plausible world of ``run`` and
``compare --uncertainty``, is the file's experiment with its uncertain fields set
(by :func:`set_field`, as sweeps do) and validated again, so a value a field
cannot take is a :class:`~sim.config.ConfigError` naming the field.
:func:`check_uncertain_inputs` tries each field's extreme values before any work starts.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np

from sim.config import ConfigError
from sim.experiment._loading import set_field, validate_experiment
from sim.experiment.model import Experiment
from sim.experiment.uncertainty import UncertainInput


def read_path(data: dict[str, Any], path: str) -> Any:
    """The value at a ``--set``-style path such as ``policy.followup.steps[0]``."""
    node: Any = data
    for part in path.replace("[", ".").replace("]", "").split("."):
        node = node[int(part)] if part.isdigit() else node[part]
    return node


def uncertain_inputs(
    experiment: Experiment, source: str = "<experiment>"
) -> dict[str, UncertainInput]:
    """The ``uncertain:`` section, or a :class:`ConfigError` when the file has none."""
    if not experiment.uncertain:
        raise ConfigError(
            f"{source}: no uncertain: section; expected field paths with a distribution, e.g. "
            "uncertain: {scenario.decision.pull_in_per_touch: {uniform: [0.02, 0.2]}}"
        )
    return dict(experiment.uncertain)


def values_at(inputs: dict[str, UncertainInput], shares: np.ndarray) -> np.ndarray:
    """Each row of unit-cube *shares* (one column per input) as input values (same shape)."""
    return np.column_stack(
        [distribution.value_at(shares[:, i]) for i, distribution in enumerate(inputs.values())]
    )


class InputSetter:
    """Makes the experiment of one point: the file's experiment with the uncertain fields set."""

    def __init__(self, experiment: Experiment, source: str = "<experiment>") -> None:
        self.inputs = uncertain_inputs(experiment, source)
        self.source = source
        self._base = experiment.to_config()
        self._base.pop("uncertain")  # a point is a plain experiment (with its compare: section)
        self._whole = {path for path in self.inputs if self._takes_whole_numbers_only(path)}

    def experiment_at(self, values: dict[str, float]) -> Experiment:
        """The experiment with each path in *values* set (rounded where the field takes whole numbers only)."""
        data = copy.deepcopy(self._base)
        shown = ", ".join(f"{path}={value:.6g}" for path, value in values.items())
        where = f"{self.source}: uncertain point ({shown})"
        for path, value in values.items():
            number = round(value) if path in self._whole else float(value)
            set_field(data, path, number, f"{where}: {path}")
        return validate_experiment(data, where)

    def _takes_whole_numbers_only(self, path: str) -> bool:
        """Whether the field refuses a fraction (a rep count): its samples are then rounded."""
        data = copy.deepcopy(self._base)
        set_field(
            data,
            path,
            0.5 + float(self.inputs[path].value_at(0.5)),
            f"{self.source}: uncertain: {path}",
        )
        try:
            validate_experiment(data, self.source)
        except ConfigError as exc:
            return "whole number" in str(exc) or "integer" in str(exc)
        return False

    def check(self) -> None:
        """Validate the experiment at every corner a design may reach: a bad field fails now."""
        for share in (0.0, 1.0):
            shares = np.full((1, len(self.inputs)), share)
            row = values_at(self.inputs, shares)[0]
            self.experiment_at(dict(zip(self.inputs, row, strict=True)))


def check_uncertain_inputs(experiment: Experiment, source: str = "<experiment>") -> None:
    """Raise a :class:`ConfigError` naming the field if any uncertain input cannot be set."""
    InputSetter(experiment, source).check()
