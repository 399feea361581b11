"""The HTML report comes from a Jinja2 template a user can copy, change and choose."""

from __future__ import annotations

from pathlib import Path

import pytest

from sim.cli import main
from sim.config import ConfigError
from sim.report import DEFAULT_TEMPLATE, TEMPLATE_VARIABLE, load_template, write_report
from tests.report_folders import make_policy_folder

MARKER = '<p id="house-style">{{ run.experiment.name }}: {{ report.figures | length }} figures</p>'


@pytest.fixture
def run_folder(tmp_path: Path) -> Path:
    return make_policy_folder(tmp_path / "run", ["baseline"], "run")


@pytest.fixture
def own_template(tmp_path: Path) -> Path:
    """A copy of the shipped template with one line added after the summary."""
    text = DEFAULT_TEMPLATE.read_text(encoding="utf-8")
    assert text.count("</div></section>") == 1
    path = tmp_path / "house" / "report.html.j2"
    path.parent.mkdir()
    path.write_text(text.replace("</div></section>", "</div></section>\n" + MARKER), "utf-8")
    return path


def test_a_copied_template_chosen_by_the_environment_variable_is_used(
    run_folder: Path, own_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(TEMPLATE_VARIABLE, str(own_template))
    assert main(["report", str(run_folder)]) == 0
    text = (run_folder / "report.html").read_text(encoding="utf-8")
    figures = len(list((run_folder / "figures").glob("*.png")))
    assert f'<p id="house-style">synthetic: {figures} figures</p>' in text
    assert text.count("data:image/png;base64,") == figures  # the rest of the page is as shipped


def test_a_template_passed_to_write_report_wins(run_folder: Path, own_template: Path) -> None:
    html, _ = write_report(run_folder, template=own_template)
    assert 'id="house-style"' in html.read_text(encoding="utf-8")
    html, _ = write_report(run_folder)
    assert 'id="house-style"' not in html.read_text(encoding="utf-8")


def _missing(path: Path) -> str:
    path.unlink()
    return rf"{TEMPLATE_VARIABLE}=.*report\.html\.j2: no such template file; expected a Jinja2"


def _bad_syntax(path: Path) -> str:
    path.write_text("<p>{{ report.title </p>\n", encoding="utf-8")
    return r"report\.html\.j2:1: .*; expected a valid Jinja2 template"


def _unknown_name(path: Path) -> str:
    path.write_text("<p>{{ report.headline }}</p>\n", encoding="utf-8")
    return r"report\.html\.j2: .*headline.*; expected only the names the default template uses"


@pytest.mark.parametrize("damage", [_missing, _bad_syntax, _unknown_name])
def test_a_broken_template_is_one_clear_error(
    damage,
    run_folder: Path,
    own_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    expected = damage(own_template)
    monkeypatch.setenv(TEMPLATE_VARIABLE, str(own_template))
    with pytest.raises(ConfigError, match=expected):
        write_report(run_folder)
    assert main(["report", str(run_folder)]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert not (run_folder / "report.html").exists()


def test_the_shipped_template_loads_without_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TEMPLATE_VARIABLE, raising=False)
    assert Path(load_template().filename or "") == DEFAULT_TEMPLATE
