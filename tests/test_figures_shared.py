"""Two processes share the drawing of a report's figures and write the same files as one."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest

from sim.report import load_run
from sim.report.figures import catalogue, render_figures
from tests.report_folders import make_policy_folder


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def drawn_alone(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, dict[str, bytes]]:
    """A synthetic run folder and its figures drawn by this process alone."""
    folder = tmp_path_factory.mktemp("alone")
    run = load_run(make_policy_folder(folder / "run", ["baseline"], "run"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(catalogue, "_start_helper", lambda plans, folder: None)
        render_figures(run, folder / "figures")
    return run, _files(folder / "figures")


def _helpers_started(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Record every helper process that render_figures starts."""
    started: list[Any] = []
    start = catalogue._start_helper

    def recording(plans: list[Any], folder: Path) -> Any:
        helper = start(plans, folder)
        started.append(helper)
        return helper

    monkeypatch.setattr(catalogue, "_start_helper", recording)
    return started


def test_shared_drawing_writes_the_same_files(drawn_alone, tmp_path, monkeypatch) -> None:
    run, alone = drawn_alone
    started = _helpers_started(monkeypatch)
    saved = render_figures(run, tmp_path)
    if started[0] is None:
        pytest.skip("no second core or no fork here: the figures are drawn by one process")
    assert started[0].process.exitcode == 0
    assert _files(tmp_path) == alone
    assert {path.name for figure in saved for path in (figure.png, figure.svg)} == set(alone)


def test_figures_a_failed_helper_left_are_drawn_here(drawn_alone, tmp_path, monkeypatch) -> None:
    run, alone = drawn_alone
    claimed = multiprocessing.get_context("fork").Event()

    def failing_helper(plans: list[Any], folder: Path, owners: Any, finished: Any) -> None:
        catalogue._claim(owners, len(plans) - 1, catalogue._HELPERS)  # takes the last one
        claimed.set()
        raise SystemExit(1)  # and dies before drawing it

    save = catalogue._save

    def save_after_the_claim(plan: Any, folder: Path) -> None:
        if started[0] is not None:
            claimed.wait(timeout=60)
        save(plan, folder)

    monkeypatch.setattr(catalogue, "_help", failing_helper)
    monkeypatch.setattr(catalogue, "_save", save_after_the_claim)
    started = _helpers_started(monkeypatch)
    render_figures(run, tmp_path)
    if started[0] is None:
        pytest.skip("no second core or no fork here: the figures are drawn by one process")
    assert started[0].unfinished() == [len(alone) // 2 - 1]  # a PNG and an SVG per figure
    assert _files(tmp_path) == alone
