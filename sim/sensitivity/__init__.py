"""Global sensitivity analysis: which uncertain assumptions a KPI (and a recommendation) depends on.

The experiment file's ``uncertain:`` section (:mod:`sim.experiment.uncertainty`)
names the inputs; :func:`sensitivity` screens them (Morris) or quantifies them
(Sobol indices with CIs) by simulating a SALib design on common random numbers;
:func:`analyse` is the same analysis over any evaluation function;
:func:`save_sensitivity` writes the tables and the tornado and Sobol charts to a run folder;
:func:`write_sensitivity_report` adds a report naming the inputs that matter most.

Importing the package is light: each name loads its module on first use (the
figures and the report need matplotlib), so the command line can offer the
``sensitivity`` verb without paying for them on every command.
"""

from __future__ import annotations

from sim._lazy import lazy_exports

_EXPORTS = {
    "InputSetter": "sim.experiment",
    "check_uncertain_inputs": "sim.experiment",
    "uncertain_inputs": "sim.experiment",
    "values_at": "sim.experiment",
    "Evaluate": "sim.sensitivity.analysis",
    "METHODS": "sim.sensitivity.analysis",
    "Method": "sim.sensitivity.analysis",
    "RANKED_BY": "sim.sensitivity.analysis",
    "SensitivityResult": "sim.sensitivity.analysis",
    "analyse": "sim.sensitivity.analysis",
    "design_size": "sim.sensitivity.analysis",
    "unit_design": "sim.sensitivity.analysis",
    "sobol_figure": "sim.sensitivity.figures",
    "swings": "sim.sensitivity.figures",
    "tornado_figure": "sim.sensitivity.figures",
    "SensitivityFolder": "sim.sensitivity.report",
    "is_sensitivity_folder": "sim.sensitivity.report",
    "load_sensitivity": "sim.sensitivity.report",
    "sensitivity_report": "sim.sensitivity.report",
    "write_sensitivity_report": "sim.sensitivity.report",
    "save_sensitivity": "sim.sensitivity.saving",
    "sensitivity_folder": "sim.sensitivity.saving",
    "DEFAULT_SAMPLES": "sim.sensitivity.study",
    "check_request": "sim.sensitivity.study",
    "difference": "sim.sensitivity.study",
    "measures": "sim.sensitivity.study",
    "paired_variant": "sim.sensitivity.study",
    "sensitivity": "sim.sensitivity.study",
    "simulated": "sim.sensitivity.study",
}

__all__ = sorted(_EXPORTS)


__getattr__ = lazy_exports(__name__, _EXPORTS)
