"""Saving a sensitivity analysis as a run folder: tables, figures and a manifest.

The folder (``out/<experiment>/<run-id>``) holds ``config.yaml``, ``indices.csv``
(each index of each input per KPI, with its 95% CI), ``points.csv`` (the design's
points with their KPIs), ``design.yaml``, ``manifest.json`` and, per KPI, ``figures/tornado_<kpi>``
and (Sobol) ``figures/sobol_<kpi>`` as PNG and SVG. Until the folder is complete it is
a ``<run-id>.partial`` folder with the checkpoint of finished points, which
``--resume`` continues (as for a sweep).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.analysis import Checkpoint
from sim.config import ConfigError
from sim.experiment import Experiment, read_yaml
from sim.report.run_folder import dump_yaml, manifest, run_folder
from sim.report.saving import sweep_folder
from sim.report.style import save_figure
from sim.sensitivity.analysis import SensitivityResult
from sim.sensitivity.figures import sobol_figure, tornado_figure

FIGURES = "figures"
DESIGN_FILE = "design.yaml"
"""The method, samples and KPIs of the analysis a ``.partial`` folder holds."""


def sensitivity_folder(
    experiment: Experiment, out: Path, design: dict[str, Any], resume: Path | None = None
) -> Path:
    """The ``<run-id>.partial`` folder an analysis fills: new, or *resume* if it holds the same design.

    *design* (method, samples, KPIs) is kept in ``design.yaml``: resuming with another
    design would put finished points at the wrong places, so it is a :class:`ConfigError`.
    """
    partial = sweep_folder(experiment, out, resume)  # same experiment, intact checkpoint
    path = partial / DESIGN_FILE
    if resume is None:
        path.write_text(dump_yaml(design), encoding="utf-8")
    elif not path.is_file() or read_yaml(path) != design:
        stored = read_yaml(path) if path.is_file() else "none"
        raise ConfigError(
            f"--resume {resume}: that folder holds a sensitivity analysis with design {stored}; "
            f"expected the same --method, --samples and --kpi ({design})"
        )
    return partial


def save_sensitivity(
    result: SensitivityResult,
    partial: Path,
    *,
    seed: int,
    replications: int,
    jobs: int,
    wall_seconds: float,
    experiment: str,
) -> Path:
    """Finish the *partial* folder with the tables, figures and manifest; return its final path."""
    with run_folder(partial.parent.parent, experiment, partial=partial) as folder:
        folder.write_table("indices", result.indices, index=False)
        folder.write_table("points", result.points, index=False)
        for kpi in result.kpis:
            save_figure(tornado_figure(result, kpi), folder.path / FIGURES, f"tornado_{kpi}")
            if result.method == "sobol":
                save_figure(sobol_figure(result, kpi), folder.path / FIGURES, f"sobol_{kpi}")
        folder.write_json(
            "manifest.json",
            manifest(
                seed,
                replications,
                jobs,
                wall_seconds,
                verb="sensitivity",
                experiment=experiment,
                run_id=folder.run_id,
                method=result.method,
                inputs=result.inputs,
                kpis=result.kpis,
                points=len(result.points),
                top_inputs={kpi: result.top_inputs(kpi) for kpi in result.kpis},
            ),
        )
        Checkpoint(partial).path.unlink(missing_ok=True)
    assert folder.final is not None
    return folder.final
