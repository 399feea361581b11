"""Which figures a run folder gets, in report order, with their titles and captions.

:func:`draw_figures` decides from the folder's tables and verb (a sweep has its
own figures) and yields each figure drawn once; :func:`render_figures` saves
them as PNG and SVG into ``<run_dir>/figures/``. The words under each figure
are written here.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from sim.report.content import SavedFigure
from sim.report.figures.funnel_and_losses import funnel_figure, lost_reasons_figure
from sim.report.figures.heatmap import heatmap_figure, hour_of_week_grids
from sim.report.figures.kpis import DEFAULT_KPIS, differences_figure, kpi_comparison_figure
from sim.report.figures.local_hours import local_hours_figure
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


@dataclass(frozen=True)
class PlannedFigure:
    """A figure that applies to the run, not drawn yet: as :class:`DrawnFigure`, with how to draw it."""

    stem: str
    title: str
    caption: str
    draw: Callable[[], Figure]
    appendix: bool = False


MAX_HEATMAP_POLICIES = 2
"""Up to this many policies get a heatmap each; more: the baseline and the best other one."""


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text).strip("_") or "policy"


def planned_figures(run: RunData) -> list[PlannedFigure]:
    """Every figure that applies to the run folder, in report order, not drawn yet.

    First what a sales leader reads in a minute (the differences against the
    baseline, where leads go, why they are lost, coverage by hour of the week and, with
    leads in several time zones, by the lead's local hour), then
    the model-checking figures marked ``appendix``.
    """
    if run.verb == "sweep":
        return list(_sweep_figures(run))
    return [*_finding_figures(run), *_appendix_figures(run)]


def draw_figures(run: RunData) -> Iterator[DrawnFigure]:
    """Every figure that applies to the run folder, drawn one at a time (in report order)."""
    for plan in planned_figures(run):
        yield DrawnFigure(plan.stem, plan.title, plan.caption, plan.draw(), plan.appendix)


def _finding_figures(run: RunData) -> Iterator[PlannedFigure]:
    policies = run.policies
    if run.differences is not None and not run.differences.empty and run.baseline:
        yield PlannedFigure(
            "differences",
            f"Differences against {run.baseline}",
            f"Each variant minus {run.baseline}, replication by replication on the same seeds "
            "(the same leads with the same luck), relative to the baseline mean; bars show the "
            "mean change, whiskers its 95% confidence interval. An interval that crosses zero "
            "means no clear difference.",
            partial(differences_figure, run.differences, DEFAULT_KPIS, run.baseline, policies),
        )
    if run.summary is not None and not kpi_rows(run.summary, "won_share").empty:
        yield PlannedFigure(
            "funnel",
            "Where leads go",
            "Share of the cohort's leads that were reached, qualified and won (mean over "
            "replications, 95% CI).",
            partial(funnel_figure, run.summary, policies),
        )
    if run.summary is not None and run.summary["kpi"].astype(str).str.startswith("lost_").any():
        yield PlannedFigure(
            "lost_reasons",
            "Why leads were lost",
            "Leads of the cohort lost for each reason, mean over replications with 95% CI.",
            partial(lost_reasons_figure, run.summary, policies, run.window_weeks),
        )
    yield from _heatmaps(run, appendix=False)
    yield from _local_hours(run)


def _local_hours(run: RunData) -> Iterator[PlannedFigure]:
    """Coverage by the lead's local hour, when some policy's leads live in more than one zone."""
    if run.local_hours is None or run.local_hours.empty:
        return
    if all(len(run.lead_time_zones(p)) < 2 for p in run.policies):
        return  # one zone: the hour-of-week heatmap says it all
    zones = set().union(*(run.lead_time_zones(p) for p in run.policies))
    offsets = sorted(z for z in zones if isinstance(z, float))
    names = sorted(z for z in zones if isinstance(z, str))  # IANA names: their offsets vary
    listed = []
    if offsets:
        listed.append(
            f"hours from the reps' zone: {', '.join(f'{z:+g}' if z else '0' for z in offsets)}"
        )
    if names:
        listed.append(f"named: {', '.join(names)}")
    yield PlannedFigure(
        "local_hours",
        "Coverage by the lead's local hour",
        f"The leads live in several time zones ({'; '.join(listed)}), so the reps' hours "
        "are not theirs. Left: "
        "share of the leads arriving in each hour of their own day whose first call came "
        "within 5 minutes. Right: share of the first calls made in each of the lead's local "
        "hours that got through. Lines: mean over replications, bands: 95% CI; grey bars: "
        "leads arriving (left) and first calls made (right) per replication in that hour, "
        f"for {run.reference}. Table: local_hours.csv.",
        partial(local_hours_figure, run.local_hours, run.policies),
    )


def _appendix_figures(run: RunData) -> Iterator[PlannedFigure]:
    """Model checking: KPI levels, speed-to-lead buckets against published ratios, delays."""
    policies = run.policies
    window = weeks_text(run.window_weeks)
    reference = run.reference
    if run.summary is not None and len(policies) > 1:  # one policy: the summary says it all
        yield PlannedFigure(
            "kpis",
            "Key results",
            f"Mean over replications with 95% confidence intervals, over the {window} window."
            f" Dotted line: {reference}.",
            partial(
                kpi_comparison_figure,
                run.summary,
                DEFAULT_KPIS,
                reference,
                policies,
                run.window_weeks,
            ),
            appendix=True,
        )
    if run.first_attempts is not None and not run.first_attempts.empty:
        yield PlannedFigure(
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
            partial(speed_to_lead_figure, run.first_attempts, reference, policies),
            appendix=True,
        )
        yield PlannedFigure(
            "first_attempt_cdf",
            "Time to first call attempt",
            "Share of leads (screened-out leads excluded) whose first call attempt came within "
            "each delay, leads summed over replications; each policy's response-time target is "
            "marked with the share that met it.",
            partial(
                first_attempt_cdf_figure,
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


def _heatmaps(run: RunData, appendix: bool) -> Iterator[PlannedFigure]:
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
        yield PlannedFigure(
            f"heatmap_{_slug(policy)}",
            f"Coverage and workload by hour of the week: {policy}{role}",
            "Top: share of on-shift rep time spent working, per hour of the week; hatched hours "
            "have nobody on shift. Bottom: tasks waiting for a rep on average in that hour (same "
            f"colour scale for every policy). Averaged over the {weeks_text(run.window_weeks)} "
            "window and the replications.",
            partial(
                heatmap_figure,
                run.hourly[run.hourly["policy"] == policy],
                policy,
                run.window_weeks,
                backlog_max,
            ),
            appendix=appendix,
        )


def _sweep_figures(run: RunData) -> Iterator[PlannedFigure]:
    if run.summary is None or not run.parameters:
        return
    kpi = run.primary_kpi
    rows = sweep_rows(run.summary, kpi)
    if rows.empty:
        return
    label = kpi_of(kpi).label.lower()
    params = run.parameters
    if len(params) == 2:
        yield PlannedFigure(
            "sweep_heatmap",
            f"Sweep: {label} for each combination",
            "Each cell is one point of the sweep: mean over replications and the half-width of "
            "its 95% confidence interval. The best point is outlined.",
            partial(sweep_heatmap_figure, run.summary, params, kpi, run.config),
        )
    if len(params) == 1 or (len(params) == 2 and len(set(rows[params[1]])) <= MAX_SWEEP_LINES):
        yield PlannedFigure(
            "sweep_lines",
            f"Sweep: {label} against {parameter_label(params[0], run.config)}",
            "Mean over replications with its 95% confidence band"
            + (
                f", one line per value of {parameter_label(params[1], run.config)}"
                if len(params) == 2
                else ""
            )
            + ". The star marks the best point.",
            partial(sweep_lines_figure, run.summary, params, kpi, run.config),
        )
    if len(params) > 2:
        yield PlannedFigure(
            "sweep_ranking",
            f"Sweep: best points by {label}",
            f"The best points (up to {MAX_RANKED_POINTS}) with 95% confidence intervals.",
            partial(sweep_ranking_figure, run.summary, params, kpi, run.config),
        )


def render_figures(run: RunData, folder: str | Path | None = None) -> list[SavedFigure]:
    """Draw and save every figure of *run* (default folder: ``<run_dir>/figures``).

    Drawing is most of a report's time (each figure is rasterised for the PNG and
    laid out again as SVG paths), so where it is safe a second process draws some of
    the figures at the same time (:func:`_save_all`); the files are the same.
    """
    folder = Path(folder) if folder is not None else run.folder / "figures"
    plans = planned_figures(run)
    _save_all(plans, folder)
    return [
        SavedFigure(
            plan.stem,
            plan.title,
            plan.caption,
            folder / f"{plan.stem}.png",
            folder / f"{plan.stem}.svg",
            plan.appendix,
        )
        for plan in plans
    ]


_FREE, _MINE, _HELPERS = 0, 1, 2
"""Who draws a figure when two processes share the drawing: nobody yet, this process, the helper."""


def _save(plan: PlannedFigure, folder: Path) -> None:
    save_figure(plan.draw(), folder, plan.stem)


def _claim(owners: Any, index: int, who: int) -> bool:
    """Take figure *index* for *who* unless the other process has taken it."""
    with owners.get_lock():
        if owners[index] != _FREE:
            return False
        owners[index] = who
        return True


def _help(plans: list[PlannedFigure], folder: Path, owners: Any, finished: Any) -> None:
    """The helper process: draw every figure not yet taken, marking each one finished.

    Any failure just ends the helper quietly: the parent draws what it left
    unfinished and reports the error itself, with its usual message.
    """
    try:
        for index, plan in enumerate(plans):
            if _claim(owners, index, _HELPERS):
                _save(plan, folder)
                finished[index] = 1
    except BaseException:  # the parent draws what is left and raises the error itself
        return


@dataclass(frozen=True)
class _Helper:
    """A forked process drawing figures next to this one, and who took / finished which."""

    process: Any
    owners: Any
    finished: Any

    def unfinished(self) -> list[int]:
        """Figures the helper took but did not finish (it failed or was stopped)."""
        return [
            i
            for i in range(len(self.owners))
            if self.owners[i] == _HELPERS and not self.finished[i]
        ]


def _start_helper(plans: list[PlannedFigure], folder: Path) -> _Helper | None:
    """A forked helper process drawing *plans* too, or None where that is not safe or useful.

    Only on Linux (forking is the default there and Agg needs no window system),
    with a second core, with no other thread running (a thread holding a lock at
    the fork would leave the helper waiting forever), not inside a daemon process
    (a pool's worker may not start processes) and with shared memory.
    """
    if (
        len(plans) < 2
        or sys.platform != "linux"
        or len(os.sched_getaffinity(0)) < 2
        or threading.active_count() > 1
        or multiprocessing.current_process().daemon
    ):
        return None
    context = multiprocessing.get_context("fork")
    try:
        owners = context.Array("b", len(plans))
        finished = context.Array("b", len(plans), lock=False)
        process = context.Process(
            target=_help, args=(plans, folder, owners, finished), name="draw-figures", daemon=True
        )
        process.start()
    except OSError:
        return None
    return _Helper(process, owners, finished)


def _save_all(plans: list[PlannedFigure], folder: Path) -> None:
    """Save every planned figure, sharing the work with a helper process when possible.

    Both processes walk the list in order and take the next figure nobody has
    taken, so the work balances itself whatever each figure costs.
    """
    helper = _start_helper(plans, folder)
    try:
        for index, plan in enumerate(plans):
            if helper is None or _claim(helper.owners, index, _MINE):
                _save(plan, folder)
    except BaseException:
        if helper is not None:
            helper.process.terminate()
        raise
    finally:
        if helper is not None:
            helper.process.join()
    for index in helper.unfinished() if helper is not None else []:
        _save(plans[index], folder)


def figures_for(run_dir: str | Path) -> list[Path]:
    """Draw every figure that applies to the run folder into ``run_dir/figures/``; PNG paths."""
    run = load_run(run_dir)
    with in_currency(run.experiment.scenario.economics):
        return [saved.png for saved in render_figures(run)]
