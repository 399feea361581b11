"""The report for sales leadership: a run folder in, ``report.html`` and ``report.pdf`` out.

:func:`write_report` reads the folder once (:func:`~sim.report.load_run`), draws
its figures, writes the content (:func:`build_report`: summary, tables,
assumptions) and lays it out twice, as HTML through a Jinja2 template
(:mod:`sim.report.html`) and as PDF (:mod:`sim.report.pdf`).
"""

from __future__ import annotations

from pathlib import Path

from sim.report.assumptions import build_assumptions
from sim.report.content import Report, SavedFigure
from sim.report.evidence import build_recommendation
from sim.report.figures import render_figures
from sim.report.formatting import in_currency
from sim.report.html import load_template, render_html
from sim.report.pdf import render_pdf
from sim.report.run_data import RunData, load_run
from sim.report.summary import build_summary
from sim.report.tables import build_ranking, build_tables

VERB_NOUNS = {"run": "run", "compare": "comparison", "sweep": "sweep", "tune": "tuning study"}


def report_title(run: RunData) -> str:
    """``'salespulse comparison: compare_speed_to_lead'``."""
    return f"salespulse {VERB_NOUNS.get(run.verb, run.verb)}: {run.name}"


def meta_line(run: RunData) -> str:
    """``'finished 2026-11-30T07:59:46+00:00 · seed 7 · 20 replications'``."""
    m = run.manifest
    parts = [
        f"finished {m.finished_at}" if m.finished_at else "",
        f"seed {m.seed}",
        f"{m.replications} replications" if m.replications else "",
    ]
    return " · ".join(p for p in parts if p)


def build_report(run: RunData, figures: list[SavedFigure]) -> Report:
    """Everything the report says about *run*, with its already saved *figures*."""
    return Report(
        title=report_title(run),
        meta=meta_line(run),
        recommendation=build_recommendation(run),
        summary=build_summary(run),
        ranking=build_ranking(run),
        figures=figures,
        tables=build_tables(run),
        assumptions=build_assumptions(run),
    )


def write_report(run_dir: str | Path, template: str | Path | None = None) -> tuple[Path, Path]:
    """Draw the figures and write ``report.html`` and ``report.pdf`` into *run_dir*.

    Money is written in the scenario's currency (``scenario.economics.currency``).

    *template*: an HTML template file (default: ``$SALESPULSE_REPORT_TEMPLATE``, else
    the one shipped in ``sim/report/templates``). A folder or template that cannot be
    read raises :class:`~sim.config.ConfigError` before anything is drawn.
    """
    run = load_run(run_dir)
    page = load_template(template)
    with in_currency(run.experiment.scenario.economics):
        report = build_report(run, render_figures(run))
        html_path = run.folder / "report.html"
        pdf_path = run.folder / "report.pdf"
        html_path.write_text(render_html(report, run, page), encoding="utf-8")
        render_pdf(pdf_path, report)
    return html_path, pdf_path
