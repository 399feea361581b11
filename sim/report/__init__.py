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

Importing the package is light: each name below loads its module on first use, so
code that only writes run folders (or a command line that forks replication workers
first) does not pay for matplotlib and the layouts. ``run_folder`` and ``style`` are
also module names, so they are imported at once (both are light).
"""

from __future__ import annotations

from sim._lazy import lazy_exports
from sim.report.run_folder import run_folder as run_folder
from sim.report.style import style as style

_EXPORTS = {
    "Block": "sim.report.content",
    "Report": "sim.report.content",
    "SavedFigure": "sim.report.content",
    "Summary": "sim.report.content",
    "Table": "sim.report.content",
    "comparison_tables": "sim.report.display",
    "summary_table": "sim.report.display",
    "sweep_table": "sim.report.display",
    "build_recommendation": "sim.report.evidence",
    "draw_figures": "sim.report.figures",
    "figures_for": "sim.report.figures",
    "render_figures": "sim.report.figures",
    "format_minutes": "sim.report.formatting",
    "format_value": "sim.report.formatting",
    "in_currency": "sim.report.formatting",
    "DEFAULT_TEMPLATE": "sim.report.html",
    "TEMPLATE_VARIABLE": "sim.report.html",
    "load_template": "sim.report.html",
    "recommendation": "sim.report.recommendation",
    "build_report": "sim.report.report",
    "write_report": "sim.report.report",
    "Manifest": "sim.report.run_data",
    "RunData": "sim.report.run_data",
    "load_run": "sim.report.run_data",
    "DEFAULT_RESULTS": "sim.report.run_folder",
    "fill_run_folder": "sim.report.run_folder",
    "SavedFolder": "sim.report.saving",
    "check_results_root": "sim.report.saving",
    "save_comparison": "sim.report.saving",
    "save_run": "sim.report.saving",
    "save_sweep": "sim.report.saving",
    "sweep_folder": "sim.report.saving",
    "save_figure": "sim.report.style",
    "build_summary": "sim.report.summary",
    "build_tables": "sim.report.tables",
}

__all__ = sorted([*_EXPORTS, "run_folder", "style"])


__getattr__ = lazy_exports(__name__, _EXPORTS)
