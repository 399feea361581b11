"""Experiment files: a scenario, a cadence, replications, and what to vary.

:func:`load_experiment` reads a YAML file (with ``extends:`` and ``--set``
overrides) into a validated :class:`Experiment`; designs (``compare:``,
``sweep:``, ``tune:``) say what an experiment varies.
"""

from sim.experiment._loading import (
    apply_override,
    load_experiment,
    merge_config,
    read_experiment_data,
    read_yaml,
    set_field,
    validate_experiment,
)
from sim.experiment.designs import Comparison, Constraint, Objective, Sweep, Tuning, Variant
from sim.experiment.model import DEFAULT_EXPERIMENT, Experiment

__all__ = [
    "DEFAULT_EXPERIMENT",
    "Comparison",
    "Constraint",
    "Experiment",
    "Objective",
    "Sweep",
    "Tuning",
    "Variant",
    "apply_override",
    "load_experiment",
    "merge_config",
    "read_experiment_data",
    "read_yaml",
    "set_field",
    "validate_experiment",
]
