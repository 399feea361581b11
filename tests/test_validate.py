"""`python -m sim validate`: theory and published lead-response checks, and their teeth."""

from __future__ import annotations

import numpy as np
import pytest

from sim.cli import main
from sim.engine.tally import BINS, OUTCOMES, delay_bin
from sim.validation.lead_response import PUBLISHED, ratio_checks


def _counts(rate_of_minutes, leads_per_bin: int = 1_000) -> np.ndarray:
    """Synthetic tally counts: leads spread evenly over delays, qualifying at rate(delay)."""
    counts = np.zeros((len(OUTCOMES), BINS + 1), dtype=np.int64)
    for minutes in np.arange(0.125, 4000, 0.25):
        b = delay_bin(float(minutes))
        rate = rate_of_minutes(float(minutes))
        counts[OUTCOMES.index("leads"), b] += leads_per_bin
        for row in ("qualified", "reached_first"):
            counts[OUTCOMES.index(row), b] += round(leads_per_bin * rate)
    return counts


def test_ratio_checks_fail_a_flat_curve_and_measure_a_known_one() -> None:
    flat = ratio_checks(_counts(lambda m: 0.2))
    assert all(abs(c.simulated - 1) < 0.05 for c in flat)
    assert not any(c.passed for c in flat)
    # A curve with rate exp(-m / 3.6) has a 0-5 vs 5-10 minute ratio of exp(5 / 3.6) = 4.0.
    steep = {c.spec.name: c for c in ratio_checks(_counts(lambda m: 0.9 * np.exp(-m / 3.6)))}
    check = steep["qualify: 0-5 vs 5-10 min"]
    assert check.simulated == pytest.approx(np.exp(5 / 3.6), rel=0.1)
    assert check.passed


def test_every_published_figure_is_checked() -> None:
    names = {spec.name for spec in PUBLISHED}
    assert {
        "qualify: hour 1 vs hour 2",
        "qualify: hour 1 vs 24 h+",
        "qualify: 0-5 vs 5-10 min",
        "qualify: 0-5 vs 25-30 min",
        "contact: 0-5 vs 25-30 min",
    } == names


@pytest.mark.slow
def test_quick_validation_passes(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["validate", "--quick", "--jobs", "2"])
    printed = capsys.readouterr().out
    assert "Lead response (HBR 2011)" in printed and "M/M/10+M" in printed
    assert status == 0, printed
