"""Global sensitivity analysis: which uncertain assumptions a KPI (and a recommendation) depends on.

The experiment file's ``uncertain:`` section (:mod:`sim.experiment.uncertainty`)
names the inputs; :func:`sensitivity` screens them (Morris) or quantifies them
(Sobol indices with CIs) by simulating a SALib design on common random numbers;
:func:`analyse` is the same analysis over any evaluation function;
:func:`save_sensitivity` writes the tables and the tornado and Sobol charts to a run folder;
:func:`write_sensitivity_report` adds a report naming the inputs that matter most.
"""

from sim.experiment import InputSetter, check_uncertain_inputs, uncertain_inputs, values_at
from sim.sensitivity.analysis import (
    METHODS,
    RANKED_BY,
    Evaluate,
    Method,
    SensitivityResult,
    analyse,
    design_size,
    unit_design,
)
from sim.sensitivity.figures import sobol_figure, swings, tornado_figure
from sim.sensitivity.report import (
    SensitivityFolder,
    is_sensitivity_folder,
    load_sensitivity,
    sensitivity_report,
    write_sensitivity_report,
)
from sim.sensitivity.saving import save_sensitivity, sensitivity_folder
from sim.sensitivity.study import (
    DEFAULT_SAMPLES,
    check_request,
    difference,
    measures,
    paired_variant,
    sensitivity,
    simulated,
)

__all__ = [
    "DEFAULT_SAMPLES",
    "METHODS",
    "RANKED_BY",
    "Evaluate",
    "InputSetter",
    "Method",
    "SensitivityFolder",
    "SensitivityResult",
    "analyse",
    "check_request",
    "check_uncertain_inputs",
    "design_size",
    "difference",
    "is_sensitivity_folder",
    "load_sensitivity",
    "measures",
    "paired_variant",
    "save_sensitivity",
    "sensitivity",
    "sensitivity_folder",
    "sensitivity_report",
    "simulated",
    "sobol_figure",
    "swings",
    "tornado_figure",
    "uncertain_inputs",
    "unit_design",
    "values_at",
    "write_sensitivity_report",
]
