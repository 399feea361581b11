"""Figures for a run folder: speed to lead, KPIs with confidence intervals, funnel, workload.

Every figure function takes the run folder's tables (pandas DataFrames as read
by :func:`sim.report.load_run`) and returns a :class:`matplotlib.figure.Figure`
drawn in the salespulse style (:mod:`sim.report.style`). :func:`figures_for` draws
every figure that applies to a folder (``run``, ``compare``, ``sweep`` or ``tune``)
into ``<run_dir>/figures/`` as PNG and SVG.
"""

from sim.report.figures.catalogue import DrawnFigure, draw_figures, figures_for, render_figures
from sim.report.figures.funnel_and_losses import funnel_figure, lost_reasons_figure
from sim.report.figures.heatmap import heatmap_figure, hour_of_week_grids
from sim.report.figures.kpis import DEFAULT_KPIS, differences_figure, kpi_comparison_figure
from sim.report.figures.local_hours import local_hours_figure
from sim.report.figures.speed_to_lead import (
    first_attempt_cdf_figure,
    speed_buckets,
    speed_to_lead_figure,
)
from sim.report.figures.sweeps import (
    sweep_heatmap_figure,
    sweep_lines_figure,
    sweep_ranking_figure,
)

__all__ = [
    "DEFAULT_KPIS",
    "DrawnFigure",
    "differences_figure",
    "draw_figures",
    "figures_for",
    "first_attempt_cdf_figure",
    "funnel_figure",
    "heatmap_figure",
    "hour_of_week_grids",
    "kpi_comparison_figure",
    "local_hours_figure",
    "lost_reasons_figure",
    "render_figures",
    "speed_buckets",
    "speed_to_lead_figure",
    "sweep_heatmap_figure",
    "sweep_lines_figure",
    "sweep_ranking_figure",
]
