"""Figures and reports drawn from small synthetic run folders (run, compare, sweep)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from sim.engine.kpis import KPIS
from sim.report import (
    build_summary,
    display,
    figures_for,
    format_minutes,
    format_value,
    load_run,
    write_report,
)
from tests.report_folders import FOLDERS, make_policy_folder, make_sweep_folder

# --------------------------------------------------------------------------- tests

EXPECTED_FIGURES = {
    "run": {  # one policy: its "Key results" would be one dot per panel, the summary says it
        "speed_to_lead",
        "funnel",
        "first_attempt_cdf",
        "heatmap_baseline",
        "lost_reasons",
    },
    "compare": {
        "speed_to_lead",
        "kpis",
        "differences",
        "funnel",
        "first_attempt_cdf",
        "heatmap_baseline",
        "heatmap_fast_response",
        "lost_reasons",
    },
    "sweep1": {"sweep_lines"},
    "sweep2": {"sweep_heatmap", "sweep_lines"},
}


@pytest.fixture(scope="module", params=list(FOLDERS))
def reported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """(kind, folder, html path, pdf path): a synthetic folder with its report written."""
    kind = request.param
    folder = FOLDERS[kind](tmp_path_factory.mktemp(kind) / "run")
    html_path, pdf_path = write_report(folder)
    return kind, folder, html_path, pdf_path


def test_every_figure_is_written_as_png_and_svg(reported) -> None:
    kind, folder, _, _ = reported
    pngs = sorted((folder / "figures").glob("*.png"))
    assert {p.stem for p in pngs} == EXPECTED_FIGURES[kind]
    for png in pngs:
        assert png.stat().st_size > 5000
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        svg = png.with_suffix(".svg")
        assert svg.stat().st_size > 5000
        assert "<svg" in svg.read_text(encoding="utf-8")[:2000]


def test_report_is_self_contained(reported) -> None:
    _, folder, html_path, pdf_path = reported
    assert html_path.stat().st_size > 0
    assert pdf_path.read_bytes()[:5] == b"%PDF-" and pdf_path.stat().st_size > 10_000
    text = html_path.read_text(encoding="utf-8")
    figures = list((folder / "figures").glob("*.png"))
    assert text.count("data:image/png;base64,") == len(figures) > 0
    lowered = text.lower()
    assert 'src="http' not in lowered and "<script" not in lowered and "href=" not in lowered


def test_file_contents_are_escaped(reported) -> None:
    _, _, html_path, _ = reported
    text = html_path.read_text(encoding="utf-8")
    assert "synthetic &lt;test&gt;" in text
    assert "synthetic <test>" not in text


def _summary_row(folder: Path, policy: str, kpi: str) -> pd.Series:
    table = pd.read_csv(folder / "summary.csv")
    return table[(table["policy"] == policy) & (table["kpi"] == kpi)].iloc[0]


def test_report_states_the_headline_numbers(reported) -> None:
    kind, folder, html_path, _ = reported
    text = html_path.read_text(encoding="utf-8")
    summary = text.split('id="summary"')[1].split("</section>")[0]
    profit = KPIS["profit"]
    if kind == "run":
        row = _summary_row(folder, "baseline", "profit")
        assert format_value(profit, row["mean"]) in summary
        assert format_value(profit, row["ci_low"]) in summary
        assert "13-week window" in summary and "20 reps" in summary
    elif kind == "compare":
        diff = pd.read_csv(folder / "differences.csv")
        best = diff[(diff["policy"] == "fast_response") & (diff["kpi"] == "profit")].iloc[0]
        assert "Switching from baseline to fast_response raises profit by" in summary
        assert f"{best['relative_difference']:.1%}" in summary
        assert f"{best['relative_ci_low']:.1%} to {best['relative_ci_high']:.1%}" in summary
        assert "cannot be told apart from new_leads_first" in summary
        assert "22 reps" in summary  # staffing differs for fast_response
    else:
        table = pd.read_csv(folder / "summary.csv")
        profits = table[table["kpi"] == "profit"]
        best = profits.loc[profits["mean"].idxmax()]
        assert format_value(profit, best["mean"]) in summary
        assert "max attempts = 6" in summary
        assert "than the worst point" in summary
        if kind == "sweep2":
            assert "than the configured setting" in summary
        else:
            assert "already the best" in summary


def test_figures_for_returns_the_pngs(tmp_path: Path) -> None:
    folder = make_sweep_folder(tmp_path / "run", ["policy.followup.max_attempts"])
    paths = figures_for(folder)
    assert [p.name for p in paths] == ["sweep_lines.png"]
    assert all(p.is_file() and p.with_suffix(".svg").is_file() for p in paths)


def test_older_folders_without_policy_column_are_drawn(tmp_path: Path) -> None:
    folder = make_policy_folder(tmp_path / "run", ["baseline"], "run")
    for name in ("summary", "replications"):
        table = pd.read_csv(folder / f"{name}.csv").drop(columns="policy")
        table.to_csv(folder / f"{name}.csv", index=False)
    for name in ("first_attempts", "hourly"):
        (folder / f"{name}.csv").unlink()
    run = load_run(folder)
    assert run.policies == ["synthetic <test>"]
    assert {p.stem for p in figures_for(folder)} == {"funnel", "lost_reasons"}
    row = _summary_row_any(folder, "profit")
    assert format_value(KPIS["profit"], row["mean"]) in build_summary(run).paragraphs[0]


def _summary_row_any(folder: Path, kpi: str) -> pd.Series:
    table = pd.read_csv(folder / "summary.csv")
    return table[table["kpi"] == kpi].iloc[0]


def test_summary_when_no_variant_beats_the_baseline(tmp_path: Path) -> None:
    folder = make_policy_folder(tmp_path / "run", ["fast_response", "baseline"], "compare")
    text = " ".join(build_summary(load_run(folder)).paragraphs)
    assert text.startswith("Switching from fast_response to baseline would not pay off: it lowers")


def test_summary_when_the_difference_is_within_the_noise(tmp_path: Path) -> None:
    folder = make_policy_folder(
        tmp_path / "run", ["baseline", "fast_response", "new_leads_first"], "compare"
    )
    diff = pd.read_csv(folder / "differences.csv")
    row = (diff["policy"] == "fast_response") & (diff["kpi"] == "profit")
    base = float(diff.loc[row, "baseline_mean"].iloc[0])
    for column, share in (("mean_difference", 0.01), ("ci_low", -0.005), ("ci_high", 0.025)):
        diff.loc[row, column] = share * base
    for column, share in (
        ("relative_difference", 0.01),
        ("relative_ci_low", -0.005),
        ("relative_ci_high", 0.025),
    ):
        diff.loc[row, column] = share
    diff.to_csv(folder / "differences.csv", index=False)
    text = " ".join(build_summary(load_run(folder)).paragraphs)
    assert "to fast_response changes profit by +1.0% (95% CI -0.5% to +2.5%)" in text
    assert "fast_response and baseline cannot be told apart on profit" in text


@pytest.mark.parametrize(
    ("minutes", "text"),
    [
        (0.5, "30 s"),
        (5.0, "5.0 min"),
        (59.9, "59.9 min"),
        (90.0, "1.5 h"),
        (2880.0, "2.0 d"),
        (math.inf, "never"),
    ],
)
def test_one_minute_formatter_for_people(minutes: float, text: str) -> None:
    assert format_value(KPIS["speed_to_lead_median_minutes"], minutes) == text
    if math.isfinite(minutes):
        assert format_minutes(minutes) == text


def test_the_terminal_and_the_report_write_values_alike() -> None:
    assert display.format_value is format_value
    summary = pd.DataFrame(
        {"mean": [0.5], "ci_low": [-0.1], "ci_high": [1.2], "half_width": [0.7]},
        index=["won_share"],
    )
    assert "0.0% .. 100.0%" in display.summary_table(summary)  # a share's CI stays in 0-100%


def test_a_comparison_ranking_comes_before_the_first_figure_in_the_html(reported) -> None:
    kind, _, html_path, _ = reported
    if kind != "compare":
        pytest.skip("only comparisons rank policies")
    html = html_path.read_text(encoding="utf-8")
    assert html.index('id="recommendation"') < html.index('id="ranking"') < html.index("<figure")
    assert html.index('id="summary"') < html.index("<figure")
    assert "Holm-adjusted" in html[html.index('id="ranking"') : html.index("<figure")]


def test_the_pdf_shows_the_ranking_before_the_figures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sim.report import pdf

    order: list[str] = []
    real_table, real_figure = pdf._pdf_table, pdf._figure_page
    monkeypatch.setattr(
        pdf,
        "_pdf_table",
        lambda pages, table: (order.append(table.title), real_table(pages, table)),
    )
    monkeypatch.setattr(
        pdf,
        "_figure_page",
        lambda doc, saved, *section: (order.append("figure"), real_figure(doc, saved, *section)),
    )
    write_report(FOLDERS["compare"](tmp_path / "run"))
    assert order[0].startswith("Ranking by") and order[1] == "figure"


def test_money_is_written_in_the_scenario_currency(tmp_path: Path) -> None:
    import yaml

    from sim.config.economics import Economics
    from sim.report.formatting import in_currency, unit_words

    folder = FOLDERS["compare"](tmp_path / "run")
    config = yaml.safe_load((folder / "config.yaml").read_text(encoding="utf-8"))
    config["scenario"].setdefault("economics", {})["currency"] = "EUR"
    (folder / "config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    html, _ = write_report(folder)
    page = html.read_text(encoding="utf-8")
    ranking = page.split('id="ranking"')[1].split("</section>")[0]
    assert "€" in ranking and "$" not in ranking
    assert "currency units" not in page
    assert "<td>Currency</td><td>EUR</td>" in page
    with in_currency(Economics(currency="CHF")):
        assert unit_words(KPIS["profit"]) == "CHF"
        assert format_value(KPIS["profit"], -1234.5) == "-CHF 1,234"
    assert format_value(KPIS["profit"], 1234.5) == "$1,234"  # outside: the default, USD


def test_the_pdf_embeds_fonts_only_for_characters_the_standard_ones_lack(
    reported, tmp_path: Path
) -> None:
    from sim.report.content import Block, Report, SavedFigure, Summary
    from sim.report.pdf import render_pdf

    _, folder, _, pdf_path = reported
    standard = pdf_path.read_bytes()
    assert b"/Helvetica" in standard and b"DejaVu" not in standard  # nothing embedded
    words = Summary(["Profit: 1,234 (95% CI 1,200 to 1,268) \u2022 \u00f77 \u2026"])
    png = sorted((folder / "figures").glob("*.png"))[0]
    figure = SavedFigure("f", "A figure", "Its caption", png, png.with_suffix(".svg"))
    plain = Report("salespulse run: plain", "seed 1", [], words, None, [figure], [], [])
    render_pdf(tmp_path / "plain.pdf", plain)
    assert b"DejaVu" not in (tmp_path / "plain.pdf").read_bytes()
    rupees = Report("salespulse run: \u20b9", "seed 1", [], words, None, [], [], [Block("b", "x")])
    render_pdf(tmp_path / "rupees.pdf", rupees)
    assert b"DejaVu" in (tmp_path / "rupees.pdf").read_bytes()  # the rupee sign needs DejaVu


def test_the_report_verb_writes_no_font_warnings(tmp_path: Path) -> None:
    """Fresh process: matplotlib warns once per font look-up, e.g. of a missing weight."""
    import subprocess
    import sys

    folder = FOLDERS["compare"](tmp_path / "run")
    done = subprocess.run(
        [sys.executable, "-m", "sim", "report", str(folder)], capture_output=True, text=True
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr
