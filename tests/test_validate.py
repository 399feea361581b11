"""`python -m sim validate`: theory and published lead-response checks, and their teeth."""

from __future__ import annotations

import re

import numpy as np
import pytest

from sim.cli import main
from sim.engine.tally import BINS, OUTCOMES, TRACKED_ATTEMPTS, delay_bin
from sim.validation.attempts import attempt_checks
from sim.validation.channels import email_checks
from sim.validation.lead_response import PUBLISHED, ratio_checks
from sim.validation.published import Judged


def _counts(rate_of_minutes, leads_per_bin: int = 1_000) -> np.ndarray:
    """Synthetic tally counts: leads spread evenly over delays, qualifying at rate(delay)."""
    counts = np.zeros((len(OUTCOMES), BINS + 1), dtype=np.int64)
    for minutes in np.arange(0.125, 4000, 0.25):
        b = delay_bin(float(minutes))
        rate = rate_of_minutes(float(minutes))
        counts[OUTCOMES.index("leads"), b] += leads_per_bin
        for row in ("qualified", "reached_first", "won"):
            counts[OUTCOMES.index(row), b] += round(leads_per_bin * rate)
    return counts


def test_ratio_checks_misfit_a_flat_curve_and_measure_a_known_one() -> None:
    flat = ratio_checks(_counts(lambda m: 0.2))
    assert all(abs(c.simulated - 1) < 0.05 for c in flat if c.published > 1)
    assert all(c.status == "MISFIT" for c in flat if c.kind == "about")
    # A curve with rate exp(-m / 3.6) has a 0-5 vs 5-10 minute ratio of exp(5 / 3.6) = 4.0.
    steep = {c.name: c for c in ratio_checks(_counts(lambda m: 0.9 * np.exp(-m / 3.6)))}
    check = steep["qualify: 0-5 vs 5-10 min"]
    assert check.simulated == pytest.approx(np.exp(5 / 3.6), rel=0.1)
    assert check.status == "PASS"


def test_every_published_ratio_has_a_reason_for_a_misfit() -> None:
    assert {spec.source for spec in PUBLISHED} >= {
        "HBR 2011",
        "MIT/InsideSales 2007",
        "seed article",
    }
    assert all(len(spec.misfit_reason) > 40 for spec in PUBLISHED)


@pytest.mark.parametrize(
    ("kind", "low", "high", "status"),
    [
        ("about", 6.0, 8.0, "PASS"),
        ("about", 7.5, 8.0, "MISFIT"),
        ("about", 1.0, 20.0, "PASS?"),  # agrees, but could not have caught a 20% error
        ("at least", 5.0, 6.9, "MISFIT"),
        ("at least", 6.5, 7.2, "PASS"),
        ("at most", 7.1, 7.5, "MISFIT"),
    ],
)
def test_a_figure_is_judged_by_its_interval_alone(
    kind: str, low: float, high: float, status: str
) -> None:
    judged = Judged("study", "figure", 7.0, kind, (low + high) / 2, low, high, "reason")  # type: ignore[arg-type]
    assert judged.status == status


def _attempt_tally(
    first_reach: list[int], won_first_reach: list[int], attempted: list[int]
) -> np.ndarray:
    tally = np.zeros((3, TRACKED_ATTEMPTS + 1), dtype=np.int64)
    tally[0, : len(attempted)] = attempted
    tally[1, : len(first_reach)] = first_reach
    tally[2, : len(won_first_reach)] = won_first_reach
    return tally


def test_attempt_checks_measure_a_known_team() -> None:
    # 10,000 leads: 3,000 never reached; 4,000 reached on the 1st attempt, 2,000 on the 2nd
    # (of 6,000 attempted twice: a third fewer than 4,000 of 10,000), 1,000 on the 3rd.
    # Won: 480 on the 1st, 300 on the 2nd, 70 on the 3rd, 80 on the 4th-6th, 70 later.
    tally = _attempt_tally(
        [3_000, 4_000, 2_000, 1_000],
        [0, 480, 300, 70, 40, 20, 20, 70],
        [0, 10_000, 6_000, 4_000],
    )
    checks = {c.name: c for c in attempt_checks(tally)}
    assert checks["converted leads reached on the 1st attempt"].simulated == pytest.approx(0.48)
    assert checks["converted leads reached on the 1st attempt"].status == "PASS"
    assert checks["converted leads reached within 3 attempts"].simulated == pytest.approx(0.85)
    assert checks["converted leads reached by the 6th attempt"].simulated == pytest.approx(0.93)
    assert checks["contact rate, attempt 2 / attempt 1"].simulated == pytest.approx(
        (2_000 / 6_000) / (4_000 / 10_000)
    )
    assert checks["leads reached by all attempts / by the 1st"].simulated == pytest.approx(1.75)
    assert checks["leads reached by all attempts / by the 1st"].status == "MISFIT"
    assert checks["leads never contacted"].simulated == pytest.approx(0.3)


def _email_counts(leads: int, contacted: list[int], qualified: list[int]) -> np.ndarray:
    """Pooled email counts: leads, then contacted and qualified by emails before contact."""
    counts = np.zeros((3, 13), dtype=np.int64)
    counts[0, 0] = leads
    counts[1, : len(contacted)] = contacted
    counts[2, : len(qualified)] = qualified
    return counts


def test_email_checks_measure_known_runs() -> None:
    calls_only = _email_counts(100_000, [50_000], [5_000])
    one_email = _email_counts(100_000, [40_000, 18_000], [4_000, 2_000])  # 58%: x1.16
    # contacted after 0-5 emails: 50,000, 10,000 qualified (20%); after 6+: 10,000, 1,280 (12.8%)
    two_emails = _email_counts(
        100_000,
        [20_000, 10_000, 10_000, 5_000, 3_000, 2_000, 6_000, 4_000],
        [4_000, 2_000, 2_000, 1_000, 600, 400, 768, 512],
    )
    contact, conversion = email_checks(calls_only, one_email, two_emails)
    assert contact.simulated == pytest.approx(1.16) and contact.status == "PASS"
    assert conversion.simulated == pytest.approx(0.64) and conversion.status == "PASS"
    flat = email_checks(calls_only, calls_only, _email_counts(100_000, [30_000] * 12, [3_000] * 12))
    assert [check.status for check in flat] == ["MISFIT", "MISFIT"]
    assert all(check.misfit_reason for check in flat)


@pytest.mark.slow
def test_quick_validation_passes_theory_and_explains_every_misfit(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["validate", "--quick", "--jobs", "2"])
    printed = capsys.readouterr().out
    assert "Lead response (HBR 2011)" in printed and "M/M/10+M" in printed
    assert "Follow-up attempts (Velocify 2012)" in printed
    assert "Emails between calls (Velocify 2012)" in printed
    # The seed article's own claim is always explained beside the model's figure.
    assert re.search(r"won: 0-5 min vs 2-3 h .*: simulated [\d.]+; the seed article", printed)
    assert status == 0, printed
    misfits = [line for line in printed.splitlines() if line.rstrip().endswith("MISFIT")]
    explained = printed.split("Why the model misses the MISFIT figures:")[-1]
    for line in misfits:
        name = re.split(r"\s{2,}", line.strip())[0]
        assert name in explained, name
