"""The run and compare reports as a reader gets them: rendered by headless Chromium, and the PDF.

Chromium is driven through its command line (``--dump-dom``, ``--screenshot``), so no
browser-automation library is needed. The page renders with no console error, every
figure decodes, and the recommendation (and, in a comparison, the ranking) sits above the
first figure; a copy of the page with a small script measures where each section lands.
The PDF, read back with ``pdftotext``, says the same things in the same order. Without
Chromium (or poppler's ``pdftotext``) the test is skipped and says which program is missing
(CI installs both: ``apt-get install -y chromium poppler-utils``).
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from sim.cli import main
from sim.report import write_report
from tests.report_folders import FOLDERS

pytestmark = pytest.mark.slow

CHROMIUM = next(
    (p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None
)
PDFTOTEXT = shutil.which("pdftotext")
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (apt-get install -y chromium)"
)
needs_pdftotext = pytest.mark.skipif(
    PDFTOTEXT is None, reason="pdftotext is not installed (apt-get install -y poppler-utils)"
)

PROBE = """<script>
const y = (element) => element ? element.getBoundingClientRect().top + window.scrollY : null;
const probe = document.createElement("pre");
probe.id = "probe";
probe.textContent = JSON.stringify({
  recommendation: y(document.getElementById("recommendation")),
  ranking: y(document.getElementById("ranking")),
  summary: y(document.getElementById("summary")),
  figure: y(document.querySelector("figure")),
  appendix: y(document.getElementById("appendix")),
  images: Array.from(document.images).map((image) => image.complete ? image.naturalWidth : 0),
});
document.body.appendChild(probe);
</script>"""
"""Appended to a copy of the page: where each section starts, in CSS pixels from the top."""


@pytest.fixture(scope="module", params=["run", "compare"])
def reported(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """(kind, html path, pdf path) of a synthetic folder's report."""
    folder = FOLDERS[request.param](tmp_path_factory.mktemp(request.param) / "run")
    html, pdf = write_report(folder)
    return request.param, html, pdf


def _chromium(page: Path, *flags: str, profile: Path) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium on *page*, its console messages logged to stderr."""
    command = [
        str(CHROMIUM),
        "--headless",
        "--no-sandbox",  # CI containers run as root
        "--disable-gpu",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--window-size=1280,2000",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=10000",  # let images decode before the DOM is dumped
        *flags,
        page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def _console_errors(stderr: str) -> list[str]:
    """The page's console errors and uncaught exceptions in Chromium's log."""
    return [
        line
        for line in stderr.splitlines()
        if ":CONSOLE" in line or "Uncaught" in line or "Failed to load resource" in line
    ]


@needs_chromium
def test_the_page_renders_without_console_errors(reported, tmp_path: Path) -> None:
    kind, html, _ = reported
    shown = _chromium(html, "--dump-dom", profile=tmp_path / "profile")
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert 'id="recommendation"' in shown.stdout and "</html>" in shown.stdout
    assert _console_errors(shown.stderr) == []
    screenshot = tmp_path / f"{kind}.png"
    shot = _chromium(html, f"--screenshot={screenshot}", profile=tmp_path / "profile")
    assert shot.returncode == 0, shot.stderr[-2000:]
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 50_000  # a page of text and figures, not a blank one


def test_the_console_check_catches_an_error(tmp_path: Path) -> None:
    """The scan above is not vacuous: a page that throws is caught."""
    if CHROMIUM is None:
        pytest.skip("headless Chromium is not installed (apt-get install -y chromium)")
    page = tmp_path / "broken.html"
    page.write_text("<html><body><script>undefinedName();</script></body></html>", "utf-8")
    shown = _chromium(page, "--dump-dom", profile=tmp_path / "profile")
    assert any("undefinedName" in line for line in _console_errors(shown.stderr))


@needs_chromium
def test_the_recommendation_and_ranking_are_above_the_first_figure(reported, tmp_path) -> None:
    kind, html, _ = reported
    probe = tmp_path / "probe.html"
    text = html.read_text(encoding="utf-8")
    probe.write_text(text.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    shown = _chromium(probe, "--dump-dom", profile=tmp_path / "profile")
    assert _console_errors(shown.stderr) == []
    found = re.search(r'<pre id="probe">(.*?)</pre>', shown.stdout, re.S)
    assert found, shown.stdout[-2000:]
    where = json.loads(found.group(1).replace("&quot;", '"'))
    assert where["recommendation"] is not None and where["figure"] is not None
    assert where["recommendation"] < where["summary"] < where["figure"]
    if kind == "compare":
        assert where["recommendation"] < where["ranking"] < where["summary"]
    assert where["appendix"] is not None and where["appendix"] > where["figure"]
    assert where["images"] and all(width > 0 for width in where["images"])  # every PNG decodes


@needs_pdftotext
def test_the_pdf_says_the_same_things_in_the_same_order(reported) -> None:
    kind, html, pdf = reported
    text = subprocess.run(
        [str(PDFTOTEXT), "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.split())
    page = html.read_text(encoding="utf-8")
    first_figure = re.search(r"<figure[^>]*><h3>(.*?)</h3>", page).group(1)
    appendix = re.search(r'id="appendix">.*?<figure[^>]*><h3>(.*?)</h3>', page, re.S).group(1)
    order = ["Recommendation", "Summary", first_figure, "Appendix: checking the model", appendix]
    if kind == "compare":
        order.insert(1, "Ranking by profit")
    positions = [flat.find(" ".join(part.split())) for part in order]
    assert -1 not in positions, dict(zip(order, positions, strict=True))
    assert positions == sorted(positions), dict(zip(order, positions, strict=True))
    recommendation = re.search(r"<strong>(.*?)</strong>", page).group(1)
    assert " ".join(recommendation.split()[:8]) in flat  # the same words open both


LOCAL_HOURS_PROBE = """<script>
const figure = document.getElementById("figure-local_hours");
const image = figure ? figure.querySelector("img") : null;
const probe = document.createElement("pre");
probe.id = "probe";
probe.textContent = JSON.stringify({
  width: image && image.complete ? image.naturalWidth : 0,
  shown: image ? image.getBoundingClientRect().width : 0,
  caption: figure ? figure.querySelector("figcaption").textContent : "",
});
document.body.appendChild(probe);
</script>"""
"""Appended to a copy of a report: whether the local-hour figure decodes and takes room on the page."""


@needs_chromium
def test_the_local_hour_section_renders_for_leads_in_several_zones(
    tiny, write_yaml, tmp_path: Path
) -> None:
    data = copy.deepcopy(tiny)
    for source in data["scenario"]["sources"]:
        source["time_zones"] = {"-3": 0.4, "0": 0.6}
    out = tmp_path / "results"
    assert main(["run", str(write_yaml(data)), "-n", "2", "-j", "1", "-q", "--out", str(out)]) == 0
    (folder,) = (out / data["name"]).iterdir()
    probe = tmp_path / "probe.html"
    page = (folder / "report.html").read_text(encoding="utf-8")
    probe.write_text(page.replace("</body>", LOCAL_HOURS_PROBE + "</body>"), encoding="utf-8")
    shown = _chromium(probe, "--dump-dom", profile=tmp_path / "profile")
    assert _console_errors(shown.stderr) == []
    found = re.search(r'<pre id="probe">(.*?)</pre>', shown.stdout, re.S)
    assert found, shown.stdout[-2000:]
    seen = json.loads(found.group(1).replace("&quot;", '"'))
    assert seen["width"] > 1000 and seen["shown"] > 500  # the PNG decodes and fills the column
    assert "hours from the reps' zone: -3, 0" in seen["caption"].replace("&#39;", "'")
