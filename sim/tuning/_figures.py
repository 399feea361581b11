"""Optuna's own plots of a study, saved as PNG and SVG into a run folder.

One objective: the optimisation history; several: the Pareto front with the baseline
starred. Both: parameter importances and slices. Infeasible trials are told apart by
the constraints each trial stored (``trial.set_constraint``), as Optuna 5 reads them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna

from sim.experiment import Experiment
from sim.tuning._space import tuning_section
from sim.tuning._study import BASELINE_ATTR


def tuning_figures(study: optuna.Study, experiment: Experiment, folder: Path) -> list[str]:
    """Draw the study's figures into *folder*; returns a warning for each figure skipped."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import optuna.visualization.matplotlib as ovm

    from sim.report import save_figure

    tuning = tuning_section(experiment)
    names = [f"{o.kpi} ({o.resolved_direction})" for o in tuning.objectives]
    first: Callable[[optuna.trial.FrozenTrial], float] | None = (
        (lambda t: t.values[0]) if len(names) > 1 else None
    )
    figures: dict[str, Callable[[], Any]] = {}
    if len(names) == 1:
        figures["tune_history"] = lambda: ovm.plot_optimization_history(study, target_name=names[0])
    else:
        figures["tune_pareto_front"] = lambda: _pareto_with_baseline(study, names)
    figures["tune_importance"] = lambda: ovm.plot_param_importances(
        study, target=first, target_name=names[0]
    )
    figures["tune_slices"] = lambda: ovm.plot_slice(study, target=first, target_name=names[0])
    folder.mkdir(parents=True, exist_ok=True)
    skipped: list[str] = []
    for stem, draw in figures.items():
        try:
            # Optuna marks its matplotlib plots experimental, and tight_layout may find a
            # crowded slice plot too tight: neither is news for the user's terminal. Optuna
            # switches matplotlib to its ggplot style; rc_context keeps that to its figures.
            with warnings.catch_warnings(), plt.rc_context():
                warnings.simplefilter("ignore")
                drawn = draw()
                figure = drawn.flatten()[0].figure if hasattr(drawn, "flatten") else drawn.figure
                width, height = figure.get_size_inches()
                figure.set_size_inches(max(width, 8), max(height, 5))
                figure.tight_layout()
                save_figure(figure, folder, stem)
        except Exception as exc:  # too few trials for a plot is not an error of the run
            skipped.append(f"figure {stem} skipped: {exc}")
        finally:
            plt.close("all")
    return skipped


def _pareto_with_baseline(study: optuna.Study, names: list[str]) -> Any:
    import optuna.visualization.matplotlib as ovm

    axes = ovm.plot_pareto_front(study, target_names=names)
    baseline = [
        t for t in study.get_trials(deepcopy=False) if t.user_attrs.get(BASELINE_ATTR) and t.values
    ]
    if baseline:
        axes.scatter(
            *baseline[0].values[:2], marker="*", s=250, color="black", label="baseline", zorder=5
        )
        axes.legend()
    return axes
