"""Everything a person reads: run folders, terminal tables, figures and the report.

A run writes its folder (:mod:`~sim.report.run_folder`, through the ``save_*``
functions of :mod:`~sim.report.saving`); :func:`load_run` reads it
back as one typed :class:`RunData` (the resolved experiment, the manifest and the
tables); :func:`write_report` turns that into figures, ``report.html`` (from a
Jinja2 template you can copy and change, see :mod:`~sim.report.html`) and
``report.pdf``. The terminal tables are in :mod:`~sim.report.display`.

Modules, in the order data flows: ``run_folder`` and ``saving`` (writing), ``run_data``
(reading), ``formatting`` (numbers for people), ``style`` (how figures look),
``figures/`` (one module per theme, plus ``catalogue``: which figures and their
captions), ``evidence`` and ``recommendation`` (the opening recommendation: facts, then
sentences), ``summary``, ``tables`` and ``assumptions`` (the words), ``content`` (what the
layouts read), ``html`` and ``pdf`` (the layouts), ``report`` (all of it). How the report
decides is in ``docs/report.md``.
"""

from sim.report.content import Block, Report, SavedFigure, Summary, Table
from sim.report.display import comparison_tables, summary_table, sweep_table
from sim.report.evidence import build_recommendation
from sim.report.figures import draw_figures, figures_for, render_figures
from sim.report.formatting import format_minutes, format_value, in_currency
from sim.report.html import DEFAULT_TEMPLATE, TEMPLATE_VARIABLE, load_template
from sim.report.recommendation import recommendation
from sim.report.report import build_report, write_report
from sim.report.run_data import Manifest, RunData, load_run
from sim.report.run_folder import DEFAULT_RESULTS, fill_run_folder, run_folder
from sim.report.saving import (
    SavedFolder,
    check_results_root,
    save_comparison,
    save_run,
    save_sweep,
    sweep_folder,
)
from sim.report.style import save_figure, style
from sim.report.summary import build_summary
from sim.report.tables import build_tables

__all__ = [
    "DEFAULT_RESULTS",
    "DEFAULT_TEMPLATE",
    "TEMPLATE_VARIABLE",
    "Block",
    "Manifest",
    "Report",
    "RunData",
    "SavedFigure",
    "SavedFolder",
    "Summary",
    "Table",
    "build_recommendation",
    "build_report",
    "build_summary",
    "build_tables",
    "check_results_root",
    "comparison_tables",
    "draw_figures",
    "figures_for",
    "fill_run_folder",
    "format_minutes",
    "format_value",
    "in_currency",
    "load_run",
    "load_template",
    "recommendation",
    "render_figures",
    "run_folder",
    "save_comparison",
    "save_figure",
    "save_run",
    "save_sweep",
    "style",
    "summary_table",
    "sweep_folder",
    "sweep_table",
    "write_report",
]
