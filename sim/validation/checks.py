"""``python -m sim validate``: the engine checked against theory and published figures.

Two families of checks:

1. Queueing theory (:mod:`sim.validation.theory`): set up as M/M/c and M/M/c+M, the engine
   must reproduce Erlang C and Erlang A exactly, within its confidence interval.
2. Lead response (:mod:`sim.validation.lead_response`): with the default scenario's leads
   and response curves, the ratios of qualification and contact odds between
   first-attempt delay buckets must match the published studies.

``quick`` runs smaller samples (under 30 seconds on 2 cores); the full run
takes a few minutes and gives tighter intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.validation.lead_response import check_lead_response
from sim.validation.theory import compare_with_theory

THEORY_CASES = (
    (9.0, 1.0, 10, None),
    (4.0, 0.5, 10, None),
    (9.0, 1.0, 10, 0.5),
    (12.0, 1.0, 10, 1.0),
)
"""(arrival rate, service rate, reps, abandonment rate) per minute: two Erlang C, two Erlang A."""


@dataclass(frozen=True)
class ValidationRow:
    """One line of the validation table."""

    group: str
    check: str
    measured: float
    ci_low: float
    ci_high: float
    reference: float
    tolerance: str
    passed: bool


@dataclass(frozen=True)
class Effort:
    """How much simulation each family of checks gets."""

    theory_replications: int
    theory_horizon_minutes: float
    response_leads: int
    response_replications: int


QUICK = Effort(
    theory_replications=6,
    theory_horizon_minutes=4000.0,
    response_leads=50_000,
    response_replications=2,
)
FULL = Effort(
    theory_replications=10,
    theory_horizon_minutes=7_000.0,
    response_leads=150_000,
    response_replications=4,
)


def validate(quick: bool = False, jobs: int = 1, seed: int = 1) -> list[ValidationRow]:
    """Run every check and return the table rows (see :class:`ValidationRow`)."""
    effort = QUICK if quick else FULL
    rows: list[ValidationRow] = []
    for arrival, service, reps, abandonment in THEORY_CASES:
        for check in compare_with_theory(
            arrival,
            service,
            reps,
            abandonment,
            replications=effort.theory_replications,
            horizon_minutes=effort.theory_horizon_minutes,
            seed=seed,
            jobs=jobs,
        ):
            rows.append(
                ValidationRow(
                    check.model,
                    check.measure.replace("_", " "),
                    check.simulated,
                    check.ci_low,
                    check.ci_high,
                    check.exact,
                    f"±{check.tolerance:.3g} (99.9% CI)",
                    check.passed,
                )
            )
    for ratio in check_lead_response(
        effort.response_leads, effort.response_replications, seed=seed, jobs=jobs
    ):
        low, high = ratio.band
        band = f">= {low:g}x" if ratio.spec.at_least else f"{low:.3g}x .. {high:.3g}x"
        rows.append(
            ValidationRow(
                f"Lead response ({ratio.spec.source})",
                ratio.spec.name,
                ratio.simulated,
                ratio.ci_low,
                ratio.ci_high,
                ratio.spec.published,
                band,
                ratio.passed,
            )
        )
    return rows


def validation_table(rows: list[ValidationRow]) -> str:
    """The rows as an aligned plain-text table, grouped by model or study."""
    header = ("check", "measured", "95% CI", "reference", "tolerance", "result")
    lines: list[tuple[str, ...]] = []
    current = None
    for row in rows:
        if row.group != current:
            lines.append((row.group, "", "", "", "", ""))
            current = row.group
        lines.append(
            (
                f"  {row.check}",
                f"{row.measured:.4g}",
                f"{row.ci_low:.4g} .. {row.ci_high:.4g}",
                f"{row.reference:.4g}",
                row.tolerance,
                "PASS" if row.passed else "FAIL",
            )
        )
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    text = [
        "  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True)).rstrip()
    ]
    text.append("-" * len(text[0]))
    text += [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    ]
    return "\n".join(text)
