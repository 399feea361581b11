"""``python -m sim validate``: the engine checked against theory and published figures.

Three families of checks:

1. Queueing theory (:mod:`sim.validation.theory`): set up as M/M/c and M/M/c+M, the engine
   must reproduce Erlang C and Erlang A exactly, within its confidence interval. A miss
   is a bug: FAIL, and ``validate`` exits 1.
2. Lead response (:mod:`sim.validation.lead_response`): with the default scenario's leads
   and response curves, the ratios of qualification, contact and win odds between
   first-attempt delay buckets, against the published studies and the seed's claim.
3. Follow-up attempts (:mod:`sim.validation.attempts`): per-attempt contact and the
   attempt at which converted leads were reached, on the same study population.
4. Emails between calls (:mod:`sim.validation.channels`): the contact gained by an email
   between calls and the conversion of leads that had more than five emails before
   contact, on the same population followed up by sequence cadences.

Published figures are judged by the simulated 95% CI alone (:mod:`sim.validation.published`):
PASS, PASS? (agrees, but the sample could not catch a 20% error) or MISFIT, with the
reason the model does not meet the figure. A misfit is a finding about the model, not a
failure of the engine, so it does not change the exit status.

``quick`` runs smaller samples (under a minute on 2 cores); the full run takes a few
minutes and gives tighter intervals.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.validation.channels import check_email_figures
from sim.validation.lead_response import check_study_population
from sim.validation.published import Judged
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
    reference: str
    status: str
    """PASS or FAIL (theory); PASS, PASS? or MISFIT (published figures)."""
    reason: str = ""
    """Why a published figure is a misfit (empty otherwise)."""
    from_study: bool = False
    """A published figure (PASS/PASS?/MISFIT) rather than a theory check (PASS/FAIL)."""
    note: str = ""
    """One line printed under the table whatever the status."""

    @property
    def passed(self) -> bool:
        """Whether the engine passed: everything but a failed theory check."""
        return self.status != "FAIL"

    @classmethod
    def published(cls, judged: Judged) -> ValidationRow:
        status = judged.status
        return cls(
            judged.group,
            judged.name,
            judged.simulated,
            judged.ci_low,
            judged.ci_high,
            judged.published_text,
            status,
            judged.misfit_reason if status == "MISFIT" else "",
            from_study=True,
            note=judged.note,
        )


@dataclass(frozen=True)
class Effort:
    """How much simulation each family of checks gets."""

    theory_replications: int
    theory_horizon_minutes: float
    response_leads: int
    response_replications: int
    response_batches: int
    """Batches of replications the study population may grow to, until every figure is precise."""
    email_leads: int
    email_replications: int


QUICK = Effort(
    theory_replications=6,
    theory_horizon_minutes=4000.0,
    response_leads=50_000,
    response_replications=2,
    response_batches=1,
    email_leads=20_000,
    email_replications=2,
)
FULL = Effort(
    theory_replications=10,
    theory_horizon_minutes=7_000.0,
    response_leads=150_000,
    response_replications=4,
    response_batches=4,
    email_leads=50_000,
    email_replications=4,
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
                    f"{check.exact:.4g} ±{check.tolerance:.3g}",
                    "PASS" if check.passed else "FAIL",
                )
            )
    judged = check_study_population(
        effort.response_leads,
        effort.response_replications,
        seed=seed,
        jobs=jobs,
        max_batches=effort.response_batches,
    )
    judged += check_email_figures(
        effort.email_leads, effort.email_replications, seed=seed, jobs=jobs
    )
    rows += [ValidationRow.published(j) for j in judged]
    return rows


def validation_table(rows: list[ValidationRow]) -> str:
    """The rows as an aligned plain-text table, grouped by model or study; misfits explained below."""
    header = ("check", "measured", "95% CI", "reference", "result")
    lines: list[tuple[str, ...]] = []
    current = None
    for row in rows:
        if row.group != current:
            lines.append((row.group, "", "", "", ""))
            current = row.group
        lines.append(
            (
                f"  {row.check}",
                f"{row.measured:.4g}",
                f"{row.ci_low:.4g} .. {row.ci_high:.4g}",
                row.reference,
                row.status,
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
    text.append(
        "\nTheory checks: 99.9% CI against the exact value. Published figures: the 95% CI alone; "
        "PASS? agrees but could not catch a 20% error."
    )
    for row in rows:
        if row.note:
            text.append(f"{row.check}: simulated {row.measured:.3g}; {row.note}.")
    reasons = dict.fromkeys(row.reason for row in rows if row.reason)
    if reasons:
        text.append("Why the model misses the MISFIT figures:")
        for reason in reasons:
            names = ", ".join(row.check for row in rows if row.reason == reason)
            text.append(f"  - {names}: {reason}")
    return "\n".join(text)


def validation_summary(rows: list[ValidationRow]) -> str:
    """One line: theory checks passed and failed, published figures met and missed."""
    theory = [row for row in rows if not row.from_study]
    published = [row for row in rows if row.from_study]
    failed = sum(row.status == "FAIL" for row in theory)
    misfits = sum(row.status == "MISFIT" for row in published)
    return (
        f"{len(theory) - failed} passed, {failed} failed (theory); "
        f"{len(published) - misfits} of {len(published)} published figures met, {misfits} misfit(s)"
    )
