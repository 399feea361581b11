"""Reports and sensitivity folders: the report of a sensitivity analysis, and a comparison
beside one that states how often its recommendation wins across plausible worlds."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from sim.cli import main
from sim.report.formatting import percent
from tests.conftest import only_run_folder

FASTER = {"name": "faster", "policy": {"nurture": {"interval": "1d"}}}  # daily follow-up touches
UNCERTAIN = {
    "scenario.sources[0].leads_per_week": {"uniform": [5, 200]},
    "scenario.economics.cost_per_touch": {"uniform": [0.5, 0.51]},
    "scenario.decision.pull_in_per_touch": {"uniform": [0.02, 0.08]},
}


def _recommendation(folder: Path) -> str:
    page = (folder / "report.html").read_text(encoding="utf-8")
    found = re.search(r'id="recommendation">(.*?)</section>', page, re.S)
    assert found, "the report opens with no recommendation"
    return " ".join(re.sub(r"<[^>]+>", "", found.group(1)).replace("&#39;", "'").split())


@pytest.mark.slow  # three small simulations, about 40 s on 2 shared cores
def test_sensitivity_report_and_a_comparison_that_uses_it(
    tiny: dict[str, Any], write_yaml: Callable[..., Path], tmp_path: Path
) -> None:
    out = tmp_path / "results"
    analysis = copy.deepcopy(tiny) | {
        "name": "tiny_sensitivity",
        "uncertain": UNCERTAIN,
        "compare": {"baseline": "today", "variants": [FASTER]},
    }
    path = write_yaml(analysis, "sensitivity.yaml")
    assert main(["sensitivity", str(path), "--out", str(out), "-q", "--samples", "4"]) == 0
    folder = only_run_folder(out, "tiny_sensitivity")

    text = _recommendation(folder)
    assert "For profit (today), the 3 inputs that matter most are" in text
    top = pd.read_csv(folder / "indices.csv").query("kpi == 'profit' and index == 'ST'")
    first = top.sort_values("value", ascending=False, kind="stable")["input"].iloc[0]
    assert text.index(first) < text.index("profit: faster minus today")
    page = (folder / "report.html").read_text(encoding="utf-8")
    for stem in ("tornado_profit", "sobol_profit", "tornado_profit_difference"):
        assert f'id="figure-{stem}"' in page
    assert (folder / "report.pdf").read_bytes()[:5] == b"%PDF-"

    # `report` writes it again on the folder (it used to refuse a sensitivity folder)
    (folder / "report.html").unlink()
    assert main(["report", str(folder)]) == 0
    assert _recommendation(folder) == text

    # A comparison of the same cadences, saved beside it, states how often "faster" wins
    compared = copy.deepcopy(tiny) | {
        "name": "tiny_compare",
        "compare": {"baseline": "today", "variants": [FASTER]},
    }
    path = write_yaml(compared, "compare.yaml")
    assert main(["compare", str(path), "--out", str(out), "-q", "-n", "2"]) == 0
    recommendation = _recommendation(only_run_folder(out, "tiny_compare"))
    differences = pd.read_csv(folder / "points.csv")["profit_difference"]
    wins = percent(float((differences > 0).mean()))
    assert (differences > 0).mean() > 0 and (differences != 0).all()  # a real difference to judge
    assert f"{len(differences)} plausible worlds): it wins in {wins} of them" in recommendation
    assert "not assessed" not in recommendation

    # Another cadence is not what the analysis studied: no robustness is claimed for it
    other = {"name": "other", "policy": {"speed_to_lead": {"response_target": "1h"}}}
    compared |= {"name": "tiny_other", "compare": {"baseline": "today", "variants": [other]}}
    path = write_yaml(compared, "other.yaml")
    assert main(["compare", str(path), "--out", str(out), "-q", "-n", "2"]) == 0
    recommendation = _recommendation(only_run_folder(out, "tiny_other"))
    assert "Robustness was not assessed" in recommendation
    assert "python -m sim sensitivity" in recommendation


def test_report_on_a_damaged_sensitivity_folder_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "damaged"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"verb": "sensitivity"}', encoding="utf-8")
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and str(folder) in err
    assert "expected a finished sensitivity folder" in err
    assert not (folder / "report.html").exists()
