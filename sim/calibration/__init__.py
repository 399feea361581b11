"""Fit a scenario to a CRM export of leads and activities, and write CRM-style exports.

- :func:`calibrate` reads the export(s) (:func:`read_leads`, :func:`read_activities`) and
  fits arrivals, response curves, funnel, attempts, durations and deal values into a
  :class:`Calibration`; :func:`write_calibration` writes its YAML and HTML report.
- :class:`CrmRecorder`, :func:`simulate_export` and :func:`export_replication` write a
  simulated run as the same two CSV files, so the fits can be checked against a known truth.

Modules: ``crm`` (the file format and strict readers), ``recorder`` (writing exports),
``calibrator`` (the steps), ``result`` (options and result), ``report`` (the HTML page);
the private ``_fit``, ``_arrivals``, ``_estimate``, ``_scenario``, ``_yaml``, ``_win_rate``,
``_figures``, ``_reading`` and ``_files`` hold the implementation.
"""

from sim.calibration._estimate import Estimate
from sim.calibration._scenario import build_config, experiment_name, render_yaml
from sim.calibration.calibrator import Calibrator, calibrate
from sim.calibration.crm import (
    ACTIVITY_COLUMNS,
    EXPORT_START,
    LEAD_COLUMNS,
    ActivityTable,
    LeadTable,
    ReadOptions,
    parse_mapping,
    read_activities,
    read_leads,
)
from sim.calibration.recorder import CrmRecorder, export_replication, simulate_export
from sim.calibration.report import default_report_path, render_report, write_calibration
from sim.calibration.result import Calibration, CalibrationOptions

__all__ = [
    "ACTIVITY_COLUMNS",
    "EXPORT_START",
    "LEAD_COLUMNS",
    "ActivityTable",
    "Calibration",
    "CalibrationOptions",
    "Calibrator",
    "CrmRecorder",
    "Estimate",
    "LeadTable",
    "ReadOptions",
    "build_config",
    "calibrate",
    "default_report_path",
    "experiment_name",
    "export_replication",
    "parse_mapping",
    "read_activities",
    "read_leads",
    "render_report",
    "render_yaml",
    "simulate_export",
    "write_calibration",
]
