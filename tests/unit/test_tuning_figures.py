"""The study's figures keep Optuna's look to themselves: the report's figures stay white."""

from __future__ import annotations

from pathlib import Path

import matplotlib as mpl
import optuna

from sim.experiment import load_experiment
from sim.tuning import tuning_figures

REPO = Path(__file__).resolve().parents[2]


def test_the_study_figures_leave_the_matplotlib_style_as_they_found_it(tmp_path: Path) -> None:
    experiment = load_experiment(REPO / "experiments" / "tune_cadence.yaml")
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=1))
    study.optimize(lambda trial: trial.suggest_float("x", 0, 1) ** 2, n_trials=4)
    mpl.use("Agg")  # as tuning_figures does
    before = dict(mpl.rcParams)
    tuning_figures(study, experiment, tmp_path)
    assert (tmp_path / "tune_history.png").is_file()  # Optuna's ggplot look inside
    assert dict(mpl.rcParams) == before  # and none of it outside
