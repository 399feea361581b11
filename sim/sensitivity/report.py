"""The report of a sensitivity folder: which three assumptions matter most, with the charts.

``python -m sim report RUN_DIR`` on a folder ``sensitivity`` wrote comes here
(:func:`write_sensitivity_report`): it reads the folder back
(:func:`load_sensitivity`), redraws the tornado and Sobol charts and lays out the
same :class:`~sim.report.Report` as the other verbs (the same HTML template and
PDF): a recommendation naming the inputs that matter most for each KPI (and, for
a paired variant, the share of plausible worlds in which it wins), the ranked
indices, the charts, and the uncertain inputs with the folder's provenance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.config import ConfigError
from sim.experiment import Experiment, read_yaml, validate_experiment
from sim.report import Report, SavedFigure, Summary, Table, load_template, save_figure
from sim.report.assumptions import provenance_table, yaml_text
from sim.report.content import Block
from sim.report.formatting import in_currency, join_words, percent
from sim.report.html import render_html
from sim.report.pdf import render_pdf
from sim.report.recommendation import assumption_words
from sim.sensitivity.analysis import RANKED_BY, SensitivityResult
from sim.sensitivity.figures import sobol_figure, tornado_figure
from sim.sensitivity.saving import FIGURES
from sim.sensitivity.study import difference, measures, paired_variant

TOP = 3
"""Inputs the report names for each KPI."""
INDEX_WORDS = {
    "ST": "total Sobol index: the share of the variance it explains, alone and with others",
    "mu_star": "Morris mean absolute elementary effect",
}

FIGURE_WORDS = {
    "tornado": (
        "what moves it: each input low versus high",
        "For each input, the KPI's mean over the design's points where that input is in its "
        "lowest third against its highest third; the widest swing is on top. The vertical line "
        "is the mean over all points.",
    ),
    "sobol": (
        "how much of its uncertainty each input explains",
        "First-order (alone) and total (alone and with the others) Sobol index of each input "
        "with bootstrap 95% CIs, largest total first. A total near zero: the input does not "
        "matter over its plausible range.",
    ),
}
"""Title (after the KPI's name) and caption of each chart."""


@dataclass(frozen=True)
class SensitivityFolder:
    """A finished sensitivity folder read back: its result, manifest and experiment."""

    folder: Path
    result: SensitivityResult
    manifest: dict[str, Any]
    experiment: Experiment


def is_sensitivity_folder(folder: str | Path) -> bool:
    """Whether *folder*'s ``manifest.json`` says ``sensitivity`` wrote it."""
    try:
        manifest = json.loads((Path(folder) / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):  # damaged: write_report says how
        return False
    return isinstance(manifest, dict) and manifest.get("verb") == "sensitivity"


def load_sensitivity(folder: str | Path) -> SensitivityFolder:
    """Read a folder ``python -m sim sensitivity`` wrote, or raise :class:`ConfigError`."""
    folder = Path(folder)
    expected = "expected a finished sensitivity folder (manifest.json, indices.csv, points.csv)"
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        indices = pd.read_csv(folder / "indices.csv")
        points = pd.read_csv(folder / "points.csv")
        config = folder / "config.yaml"
        experiment = validate_experiment(read_yaml(config), str(config))
    except (OSError, ValueError, RecursionError) as exc:
        raise ConfigError(f"{folder}: cannot read it ({exc}); {expected}") from None
    if not isinstance(manifest, dict) or manifest.get("verb") != "sensitivity":
        raise ConfigError(f"{folder / 'manifest.json'}: not a sensitivity manifest; {expected}")
    try:
        method, inputs, kpis = manifest["method"], manifest["inputs"], manifest["kpis"]
        base_kpis = [k for k in kpis if not k.endswith(difference(""))]
        labels = measures(base_kpis, paired_variant(experiment))
        result = SensitivityResult(method, inputs, kpis, labels, points, indices)
        missing = [k for k in kpis if k not in labels or k not in points.columns]
    except (KeyError, TypeError) as exc:
        raise ConfigError(f"{folder / 'manifest.json'}: no {exc}; {expected}") from None
    if missing:
        raise ConfigError(f"{folder / 'points.csv'}: no column {missing[0]}; {expected}")
    return SensitivityFolder(folder, result, manifest, experiment)


def top_three_text(result: SensitivityResult, kpi: str) -> str:
    """``'For profit, the three inputs that matter most are A (0.62, 95% CI 0.4 to 0.8), ...'``."""
    ranking = result.ranking(kpi).head(TOP)
    named = [
        assumption_words(
            str(r["input"]),
            f"{r['index']} {r['value']:.2f}, 95% CI {r['ci_low']:.2f} to {r['ci_high']:.2f}",
        )
        for _, r in ranking.iterrows()
    ]
    many = (
        "input that matters most is"
        if len(named) == 1
        else f"{len(named)} inputs that matter most are"
    )
    return f"For {result.labels[kpi].lower()}, the {many} {join_words(named)}."


def wins_text(loaded: SensitivityFolder, kpi: str) -> str:
    """``'two_minutes_new_first beats today on profit in 87.5% of the 96 plausible worlds.'``."""
    paired = paired_variant(loaded.experiment)
    points = loaded.result.points
    if paired is None or difference(kpi) not in points.columns:
        return ""
    values = points[difference(kpi)].dropna()
    baseline, variant = paired
    return (
        f"{variant} beats {baseline} on {kpi.replace('_', ' ')} in {percent(float((values > 0).mean()))} "
        f"of the {len(values)} plausible worlds simulated."
    )


def sensitivity_report(loaded: SensitivityFolder, figures: list[SavedFigure]) -> Report:
    """The report's content for a sensitivity folder with its saved *figures*."""
    result, manifest = loaded.result, loaded.manifest
    base_kpis = [k for k in result.kpis if not k.endswith(difference(""))]
    sentences = [top_three_text(result, kpi) for kpi in result.kpis]
    sentences += [text for kpi in base_kpis if (text := wins_text(loaded, kpi))]
    sentences.append(
        "Measure or narrow these first: a recommendation that depends on them is only as good "
        "as the guess."
    )
    index = RANKED_BY[result.method]
    ranking = result.indices[result.indices["index"] == index]
    rows = [
        [
            result.labels[str(r["kpi"])],
            str(r["input"]),
            f"{r['value']:.3f}",
            f"{r['ci_low']:.3f} to {r['ci_high']:.3f}",
        ]
        for kpi in result.kpis
        for _, r in result.ranking(kpi).iterrows()
    ]
    assert len(rows) == len(ranking)
    return Report(
        title=f"salespulse sensitivity analysis: {loaded.experiment.name}",
        meta=f"finished {manifest.get('finished_at', 'n/a')} · seed {manifest.get('seed')} · "
        f"{manifest.get('replications')} replications per point",
        recommendation=sentences,
        summary=Summary(
            [
                f"{result.method.capitalize()} analysis of {len(result.inputs)} uncertain inputs "
                f"over {len(result.points)} points of the design, every point on the same "
                "replication seeds (common random numbers), so differences between points come "
                "from the inputs."
            ]
        ),
        ranking=Table(
            "Inputs ranked by how much each KPI depends on them",
            ["KPI", "input", index, "95% CI"],
            rows,
            f"{index}: {INDEX_WORDS[index]}. indices.csv has every index.",
        ),
        figures=figures,
        tables=[],
        assumptions=[
            Block("Uncertain inputs (the uncertain: section)", yaml_text(_uncertain(loaded))),
            provenance_table(manifest, str(manifest.get("run_id") or loaded.folder.name)),
        ],
    )


def _uncertain(loaded: SensitivityFolder) -> Any:
    return loaded.experiment.to_config().get("uncertain", {})


def write_sensitivity_report(
    folder: str | Path, template: str | Path | None = None
) -> tuple[Path, Path]:
    """Redraw the charts and write ``report.html`` and ``report.pdf`` into a sensitivity folder."""
    loaded = load_sensitivity(folder)
    page = load_template(template)
    result = loaded.result
    with in_currency(loaded.experiment.scenario.economics):
        figures = []
        for kpi in result.kpis:
            drawn = {"tornado": tornado_figure(result, kpi)}
            if result.method == "sobol":
                drawn["sobol"] = sobol_figure(result, kpi)
            for kind, figure in drawn.items():
                png = save_figure(figure, loaded.folder / FIGURES, f"{kind}_{kpi}")
                title, caption = FIGURE_WORDS[kind]
                figures.append(
                    SavedFigure(
                        f"{kind}_{kpi}",
                        f"{result.labels[kpi]}: {title}",
                        caption,
                        png,
                        png.with_suffix(".svg"),
                    )
                )
        report = sensitivity_report(loaded, figures)
        html_path = loaded.folder / "report.html"
        pdf_path = loaded.folder / "report.pdf"
        html_path.write_text(render_html(report, None, page), encoding="utf-8")
        render_pdf(pdf_path, report)
    return html_path, pdf_path
