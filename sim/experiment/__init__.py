"""Experiment files: a scenario, a cadence, replications, and what to vary.

:func:`load_experiment` reads a YAML file (with ``extends:`` and ``--set``
overrides) into a validated :class:`Experiment`; designs (``compare:``,
``sweep:``, ``tune:``) say what an experiment varies; ``uncertain:`` says what
we do not know (:mod:`sim.experiment.uncertainty`); :func:`estimate_workload`
says how much simulating it takes.
"""

from sim.experiment._loading import (
    apply_override,
    extends_target,
    load_experiment,
    merge_config,
    read_experiment_data,
    set_field,
    validate_experiment,
)
from sim.experiment._yaml import RefusedYAML, parse_yaml, read_yaml
from sim.experiment.designs import Comparison, Constraint, Objective, Sweep, Tuning, Variant
from sim.experiment.model import DEFAULT_EXPERIMENT, Experiment
from sim.experiment.uncertain_fields import (
    InputSetter,
    check_uncertain_inputs,
    read_path,
    uncertain_inputs,
    values_at,
)
from sim.experiment.uncertainty import Lognormal, UncertainInput, UncertainSection
from sim.experiment.workload import WORKLOAD_LIMIT, Workload, estimate_workload

__all__ = [
    "DEFAULT_EXPERIMENT",
    "WORKLOAD_LIMIT",
    "Comparison",
    "Constraint",
    "Experiment",
    "InputSetter",
    "Lognormal",
    "Objective",
    "RefusedYAML",
    "Sweep",
    "Tuning",
    "UncertainInput",
    "UncertainSection",
    "Variant",
    "Workload",
    "apply_override",
    "check_uncertain_inputs",
    "estimate_workload",
    "extends_target",
    "load_experiment",
    "merge_config",
    "parse_yaml",
    "read_experiment_data",
    "read_path",
    "read_yaml",
    "set_field",
    "uncertain_inputs",
    "validate_experiment",
    "values_at",
]
