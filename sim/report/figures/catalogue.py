"""Which figures a run folder gets, in report order, with their titles and captions.

:func:`draw_figures` decides from the folder's tables and verb (a sweep has its
own figures) and yields each figure drawn once; :func:`render_figures` saves
them as PNG and SVG into ``<run_dir>/figures/``. The words under each figure
are written here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from sim.report.content import SavedFigure
from sim.report.figures.funnel_and_losses import funnel_figure, lost_reasons_figure
from sim.report.figures.heatmap import heatmap_figure, hour_of_week_grids
from sim.report.figures.kpis import DEFAULT_KPIS, differences_figure, kpi_comparison_figure
from sim.report.figures.speed_to_lead import (
    MIN_BUCKET_LEADS,
    first_attempt_cdf_figure,
    speed_to_lead_figure,
)
from sim.report.figures.sweeps import (
    MAX_RANKED_POINTS,
    MAX_SWEEP_LINES,
    sweep_heatmap_figure,
    sweep_lines_figure,
    sweep_ranking_figure,
)
from sim.report.formatting import in_currency, kpi_of, weeks_text
from sim.report.run_data import RunData, kpi_rows, load_run
from sim.report.style import save_figure
from sim.report.sweep_points import parameter_label, sweep_rows


@dataclass(frozen=True)
class DrawnFigure:
    """A figure with the name of its files and the words that go with it in the report."""

    stem: str
    title: str
    caption: str
    figure: Figure
    appendix: bool = False
    """Model checking rather than a finding: shown at the end of the report."""


MAX_HEATMAP_POLICIES = 2
"""Up to this many policies get a heatmap each; more: the baseline and the best other one."""


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "policy"


def draw_figures(run: RunData) -> Iterator[DrawnFigure]:
    """Every figure that applies to the run folder, drawn one at a time (in report order).

    First what a sales leader reads in a minute (the differences against the
    baseline, where leads go, why they are lost, coverage by hour of the week), then
    the model-checking figures marked ``appendix``.
    """
    if run.verb == "sweep":
        yield from _sweep_figures(run)
        return
    yield from _finding_figures(run)
    yield from _appendix_figures(run)


def _finding_figures(run: RunData) -> Iterator[DrawnFigure]:
    policies = run.policies
    if run.differences is not None and not run.differences.empty and run.baseline:
        yield DrawnFigure(
            "differences",
            f"Differences against {run.baseline}",
            f"Each variant minus {run.baseline}, replication by replication on the same seeds "
            "(the same leads with the same luck), relative to the baseline mean; bars show the "
            "mean change, whiskers its 95% confidence interval. An interval that crosses zero "
            "means no clear difference.",
            differences_figure(run.differences, DEFAULT_KPIS, run.baseline, policies),
        )
    if run.summary is not None and not kpi_rows(run.summary, "won_share").empty:
        yield DrawnFigure(
            "funnel",
            "Where leads go",
            "Share of the cohort's leads that were reached, qualified and won (mean over "
            "replications, 95% CI).",
            funnel_figure(run.summary, policies),
        )
    if run.summary is not None and run.summary["kpi"].astype(str).str.startswith("lost_").any():
        yield DrawnFigure(
            "lost_reasons",
            "Why leads were lost",
            "Leads of the cohort lost for each reason, mean over replications with 95% CI.",
            lost_reasons_figure(run.summary, policies, run.window_weeks),
        )
    yield from _heatmaps(run, appendix=False)


def _appendix_figures(run: RunData) -> Iterator[DrawnFigure]:
    """Model checking: KPI levels, speed-to-lead buckets against published ratios, delays."""
    policies = run.policies
    window = weeks_text(run.window_weeks)
    reference = run.reference
    if run.summary is not None and len(policies) > 1:  # one policy: the summary says it all
        yield DrawnFigure(
            "kpis",
            "Key results",
            f"Mean over replications with 95% confidence intervals, over the {window} window."
            f" Dotted line: {reference}.",
            kpi_comparison_figure(run.summary, DEFAULT_KPIS, reference, policies, run.window_weeks),
            appendix=True,
        )
    if run.first_attempts is not None and not run.first_attempts.empty:
        yield DrawnFigure(
            "speed_to_lead",
            "Speed to lead against published lead-response studies",
            "Share of leads reached on the first call, qualified and won, by how long the first "
            "call attempt took (leads summed over replications; buckets with fewer than "
            f"{MIN_BUCKET_LEADS} leads left out). Open markers: the published lead-response "
            f"ratios (HBR 2011, MIT/InsideSales 2007) applied to {reference}'s rate in the faster "
            "bucket (the dashed line over that bucket), e.g. '÷7': a first call in the second "
            "hour qualifies 7 times less often than one in the first hour. A triangle means 'at "
            "most' (the study says 'more than' that ratio). Selection matters: in a busy team "
            "the leads called late differ from those called early, so the simulated curve need "
            "not match the published points (validate checks the ratios on equal leads).",
            speed_to_lead_figure(run.first_attempts, reference, policies),
            appendix=True,
        )
        yield DrawnFigure(
            "first_attempt_cdf",
            "Time to first call attempt",
            "Share of leads (screened-out leads excluded) whose first call attempt came within "
            "each delay, leads summed over replications; each policy's response-time target is "
            "marked with the share that met it.",
            first_attempt_cdf_figure(
                run.first_attempts,
                {p: run.response_target_minutes(p) for p in policies},
                policies,
            ),
            appendix=True,
        )
    yield from _heatmaps(run, appendix=True)


def _heatmap_policies(run: RunData) -> list[str]:
    """The reference first, then the best other policy (or every other, when few)."""
    policies = run.policies
    if len(policies) <= MAX_HEATMAP_POLICIES:
        return policies
    best = run.best_policy(exclude_reference=True)
    return [p for p in policies if p in (run.reference, best)]


def _heatmaps(run: RunData, appendix: bool) -> Iterator[DrawnFigure]:
    """Coverage by hour of the week: the reference's among the findings, the others' in the appendix."""
    if run.hourly is None or run.hourly.empty:
        return
    chosen = _heatmap_policies(run)
    grids = {
        p: hour_of_week_grids(run.hourly[run.hourly["policy"] == p], run.window_weeks)
        for p in chosen
    }
    backlog_max = max((float(np.nanmax(g[1])) for g in grids.values()), default=0.0) or None
    for policy in chosen:
        if (policy != run.reference) != appendix:
            continue
        role = ""
        if policy == run.baseline and len(run.policies) > 1 and policy != "baseline":
            role = " (baseline)"
        elif policy != run.baseline and len(chosen) < len(run.policies):
            role = " (best)"
        yield DrawnFigure(
            f"heatmap_{_slug(policy)}",
            f"Coverage and workload by hour of the week: {policy}{role}",
            "Top: share of on-shift rep time spent working, per hour of the week; hatched hours "
            "have nobody on shift. Bottom: tasks waiting for a rep on average in that hour (same "
            f"colour scale for every policy). Averaged over the {weeks_text(run.window_weeks)} "
            "window and the replications.",
            heatmap_figure(
                run.hourly[run.hourly["policy"] == policy],
                policy,
                run.window_weeks,
                backlog_max,
            ),
            appendix=appendix,
        )


def _sweep_figures(run: RunData) -> Iterator[DrawnFigure]:
    if run.summary is None or not run.parameters:
        return
    kpi = run.primary_kpi
    rows = sweep_rows(run.summary, kpi)
    if rows.empty:
        return
    label = kpi_of(kpi).label.lower()
    params = run.parameters
    if len(params) == 2:
        yield DrawnFigure(
            "sweep_heatmap",
            f"Sweep: {label} for each combination",
            "Each cell is one point of the sweep: mean over replications and the half-width of "
            "its 95% confidence interval. The best point is outlined.",
            sweep_heatmap_figure(run.summary, params, kpi, run.config),
        )
    if len(params) == 1 or (len(params) == 2 and len(set(rows[params[1]])) <= MAX_SWEEP_LINES):
        yield DrawnFigure(
            "sweep_lines",
            f"Sweep: {label} against {parameter_label(params[0], run.config)}",
            "Mean over replications with its 95% confidence band"
            + (
                f", one line per value of {parameter_label(params[1], run.config)}"
                if len(params) == 2
                else ""
            )
            + ". The star marks the best point.",
            sweep_lines_figure(run.summary, params, kpi, run.config),
        )
    if len(params) > 2:
        yield DrawnFigure(
            "sweep_ranking",
            f"Sweep: best points by {label}",
            f"The best points (up to {MAX_RANKED_POINTS}) with 95% confidence intervals.",
            sweep_ranking_figure(run.summary, params, kpi, run.config),
        )


def render_figures(run: RunData, folder: str | Path | None = None) -> list[SavedFigure]:
    """Draw and save every figure of *run* (default folder: ``<run_dir>/figures``)."""
    folder = Path(folder) if folder is not None else run.folder / "figures"
    saved = []
    for drawn in draw_figures(run):
        png = save_figure(drawn.figure, folder, drawn.stem)
        saved.append(
            SavedFigure(
                drawn.stem,
                drawn.title,
                drawn.caption,
                png,
                png.with_suffix(".svg"),
                drawn.appendix,
            )
        )
    return saved


def figures_for(run_dir: str | Path) -> list[Path]:
    """Draw every figure that applies to the run folder into ``run_dir/figures/``; PNG paths."""
    run = load_run(run_dir)
    with in_currency(run.experiment.scenario.economics):
        return [saved.png for saved in render_figures(run)]
