"""The recommendation that opens every run and compare report: what to change, in plain words.

:func:`recommendation` is a pure function: it turns the facts a report found
(:class:`CompareEvidence` for a comparison, :class:`RunEvidence` for a single
run; :mod:`sim.report.evidence` gathers them from a run folder) into sentences,
in a fixed order: what to change (or what the data show), the expected effect
with its 95% CI, how robust it is across plausible worlds, the assumptions it
rests on, and the rep hours it costs. The template shows them as one paragraph.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.report.formatting import (
    format_kpi,
    join_words,
    kpi_of,
    percent,
    signed_value,
)

OFF_SHIFT_WORTH_COVERING = 0.10
"""Share of leads arriving with nobody on shift above which covering those hours is the next step."""
BUSY_ENOUGH_TO_HIRE = 0.85
"""Rep utilisation above which more reps (or fewer tasks per lead) is the next step."""
SENSITIVITY_HINT = (
    "list the guessed settings in an uncertain: section of the experiment file and run "
    "python -m sim sensitivity FILE (experiments/sensitivity_cadence.yaml is an example)"
)

ASSUMPTION_WORDS = {
    "scenario.response.contact": "how quickly a new lead stops answering",
    "scenario.response.contact.scale": "how quickly a new lead stops answering",
    "scenario.response.qualification": "how quickly a new lead's interest fades",
    "scenario.response.qualification.scale": "how quickly a new lead's interest fades",
    "scenario.decision.engagement_per_touch": "how much each conversation engages a prospect",
    "scenario.decision.pull_in_per_touch": "how much a touch hastens a prospect's decision",
    "scenario.decision.win_rate": "the win rate of qualified leads",
    "scenario.screening.deep.false_negative_rate": "how many unrealistic leads a deep check lets through",
    "scenario.screening.deep.false_positive_rate": "how many realistic leads a deep check drops",
    "scenario.screening.instant.catch_rate": "how much obvious junk the instant check catches",
    "scenario.referrals.departments": "how many contacts each department can refer",
    "scenario.referrals.customers": "how many contacts customers can refer",
    "scenario.customers": "how often customers buy again and churn",
    "scenario.fatigue": "how much extra touches annoy a lead",
    "scenario.response.comebacks": "how often unanswered leads call back or inquire again",
    "scenario.economics.rep_cost_per_hour": "the cost of a rep hour",
}
"""Plain words for the settings a recommendation usually rests on (by field path)."""


def assumption_words(path: str, detail: str = "") -> str:
    """``'how much a touch hastens a prospect's decision (scenario.decision.pull_in_per_touch)'``;
    *detail* goes into the brackets after the path."""
    inside = f"{path}; {detail}" if detail else path
    words = ASSUMPTION_WORDS.get(path)
    return f"{words} ({inside})" if words else (f"{path} ({detail})" if detail else path)


@dataclass(frozen=True)
class Effect:
    """A paired difference of a KPI, variant minus baseline, with 95% CIs (relative: to the baseline)."""

    kpi: str
    difference: float
    ci_low: float
    ci_high: float
    relative: float
    relative_low: float
    relative_high: float
    significant: bool
    """Whether the paired test (Holm-adjusted for the variants compared) calls it a difference."""


@dataclass(frozen=True)
class Robustness:
    """How a recommendation fared over plausible values of the uncertain inputs."""

    source: str
    """Where it was assessed, e.g. ``'the sensitivity analysis results/x/20261130-101356'``."""
    worlds: int
    """Plausible worlds (points or replications) simulated."""
    wins_share: float | None = None
    """Share of those worlds in which the variant beats the baseline (``None``: not measured)."""
    top_inputs: tuple[str, ...] = ()
    """The uncertain inputs (field paths) that matter most, most first."""
    ties_share: float = 0.0
    """Share of the worlds in which variant and baseline come out exactly equal."""


@dataclass(frozen=True)
class Workload:
    """Rep hours per week of one policy (means over replications)."""

    paid_hours_per_week: float
    busy_hours_per_week: float


@dataclass(frozen=True)
class CompareEvidence:
    """What a comparison found about its best variant against the baseline."""

    baseline: str
    best: str
    description: str
    effect: Effect
    variants: int
    assumptions: tuple[str, ...]
    """Field paths of the guessed settings the change rests on."""
    baseline_workload: Workload | None = None
    best_workload: Workload | None = None
    robustness: Robustness | None = None
    higher_is_better: bool = True


@dataclass(frozen=True)
class Loss:
    """One reason leads were lost, as a share of the cohort."""

    reason: str
    share: float


@dataclass(frozen=True)
class RunEvidence:
    """What a single run's data show."""

    policy: str
    kpi: str
    mean: float
    ci_low: float
    ci_high: float
    window: str
    """``'13-week'``."""
    assumptions: tuple[str, ...]
    off_shift_arrivals: float | None = None
    """Share of leads arriving in hours when nobody is on shift."""
    utilisation: float | None = None
    losses: tuple[Loss, ...] = ()
    """Reasons leads were lost, largest first."""
    workload: Workload | None = None
    robustness: Robustness | None = None


def recommendation(evidence: CompareEvidence | RunEvidence) -> list[str]:
    """The recommendation's sentences, in reading order."""
    if isinstance(evidence, CompareEvidence):
        return _compare(evidence)
    return _run(evidence)


def _effect_text(effect: Effect) -> str:
    """``'profit rises by 4.3% (95% CI 2.4% to 6.3%; +$75,000, ...)'``."""
    label = kpi_of(effect.kpi).label.lower()
    if math.isfinite(effect.relative):
        relative = (
            f"{percent(effect.relative, True)} (95% CI {percent(effect.relative_low, True)} to "
            f"{percent(effect.relative_high, True)})"
        )
        absolute = signed_value(kpi_of(effect.kpi), effect.difference)
        return f"{label} changes by {relative}, that is {absolute} on average"
    return (
        f"{label} changes by {signed_value(kpi_of(effect.kpi), effect.difference)} (95% CI "
        f"{signed_value(kpi_of(effect.kpi), effect.ci_low)} to "
        f"{signed_value(kpi_of(effect.kpi), effect.ci_high)})"
    )


def _robustness_text(robustness: Robustness | None, subject: str) -> str:
    if robustness is None:
        return (
            f"Robustness was not assessed: the interval covers simulation noise only, not what we "
            f"do not know about the team. To see whether {subject} holds if the guesses are off, "
            f"{SENSITIVITY_HINT}."
        )
    text = f"Robustness ({robustness.source}, {robustness.worlds} plausible worlds): "
    parts = []
    if robustness.wins_share is not None:
        ties = f" and ties in {percent(robustness.ties_share)}" if robustness.ties_share else ""
        parts.append(f"it wins in {percent(robustness.wins_share)} of them{ties}")
    if robustness.top_inputs:
        names = [assumption_words(p) for p in robustness.top_inputs]
        parts.append(
            "the inputs that move it most, assumed rather than measured, are " + join_words(names)
        )
    return text + ("; ".join(parts) or "no input was found to matter") + "."


def _assumptions_text(
    paths: tuple[str, ...], robustness: Robustness | None, subject: str = "It rests"
) -> str:
    """The guessed settings behind the finding (none when the robustness sentence named them)."""
    if not paths or (robustness is not None and robustness.top_inputs):
        return ""
    return (
        f"{subject} on settings that are assumed rather than measured: "
        + join_words([assumption_words(p) for p in paths])
        + "."
    )


def _more_or_fewer(hours: float) -> str:
    """``'12 more'`` or ``'80 fewer'`` (whole hours)."""
    return f"{abs(hours):,.0f} {'more' if hours > 0 else 'fewer'}"


def _hours_text(base: Workload | None, best: Workload | None, best_name: str) -> str:
    if base is None or best is None:
        return ""
    paid = best.paid_hours_per_week - base.paid_hours_per_week
    busy = best.busy_hours_per_week - base.busy_hours_per_week
    paid_text = (
        f"the same paid rep hours ({base.paid_hours_per_week:,.0f} a week)"
        if abs(paid) < 0.5
        else f"{_more_or_fewer(paid)} paid rep hours a week ({best.paid_hours_per_week:,.0f} "
        f"against {base.paid_hours_per_week:,.0f})"
    )
    busy_text = "as many hours" if abs(busy) < 0.5 else f"{_more_or_fewer(busy)} hours"
    return (
        f"Rep hours: {best_name} needs {paid_text}; reps are busy {busy_text} a week "
        f"({best.busy_hours_per_week:,.0f} against {base.busy_hours_per_week:,.0f})."
    )


def _compare(e: CompareEvidence) -> list[str]:
    effect = e.effect
    improves = (effect.difference > 0) == e.higher_is_better and effect.difference != 0
    named = f"{e.best} ({e.description})" if e.description else e.best
    tested = (
        f"paired test (Holm-adjusted for the {e.variants} variants compared)"
        if e.variants > 1
        else "paired test"
    )
    if effect.significant and improves:
        sentences = [
            f"Recommendation: switch from {e.baseline} to {named}.",
            f"Expected effect: {_effect_text(effect)}; the {tested} says it is better than "
            f"{e.baseline}.",
        ]
        subject = "the gain"
    elif effect.significant:
        others = "none of the variants" if e.variants > 1 else e.best
        sentences = [
            f"Recommendation: keep {e.baseline}; {others} beats it.",
            f"The closest, {named}: {_effect_text(effect)} ({tested}).",
        ]
        subject = "this"
    else:
        sentences = [
            f"Recommendation: no change is proven better than {e.baseline}; the most promising "
            f"variant is {named}.",
            f"Expected effect: {_effect_text(effect)}, which the {tested} cannot tell apart from "
            f"no change (more replications narrow the interval).",
        ]
        subject = "the ranking"
    sentences.append(_robustness_text(e.robustness, subject))
    for extra in (
        _assumptions_text(e.assumptions, e.robustness),
        _hours_text(e.baseline_workload, e.best_workload, e.best),
    ):
        if extra:
            sentences.append(extra)
    return sentences


def _next_step(e: RunEvidence) -> str:
    """The lever the data point to, with the shipped example that tries it."""
    if e.off_shift_arrivals is not None and e.off_shift_arrivals >= OFF_SHIFT_WORTH_COVERING:
        return (
            "Next step: cover those hours (an evening or weekend shift, as in "
            "experiments/staffing.yaml) and compare it with today using python -m sim compare."
        )
    if e.utilisation is not None and e.utilisation >= BUSY_ENOUGH_TO_HIRE:
        return (
            "Next step: the team is near capacity; compare more reps (experiments/"
            "sweep_team_size.yaml) or fewer touches per lead against today."
        )
    if e.losses and e.losses[0].reason == "never reached":
        return (
            "Next step: try a longer or faster follow-up cadence (experiments/followup.yaml) "
            "and compare it with today using python -m sim compare."
        )
    return "Next step: compare a change of cadence with today using python -m sim compare FILE."


def _run(e: RunEvidence) -> list[str]:
    shown = []
    if e.off_shift_arrivals is not None:
        shown.append(f"{percent(e.off_shift_arrivals)} of leads arrive when nobody is on shift")
    if e.losses:
        top = e.losses[0]
        shown.append(f"the largest loss is leads {top.reason} ({percent(top.share)} of all leads)")
    if e.utilisation is not None:
        busy = f"reps are busy {percent(e.utilisation)} of their time on shift"
        if e.workload is not None:
            busy += (
                f" ({e.workload.busy_hours_per_week:,.0f} of "
                f"{e.workload.paid_hours_per_week:,.0f} paid rep hours a week)"
            )
        shown.append(busy)
    label = kpi_of(e.kpi).label.lower()
    sentences = []
    if shown:
        sentences.append(f"What the data show for {e.policy}: " + join_words(shown) + ".")
    sentences.append(_next_step(e))
    interval = ""
    if math.isfinite(e.ci_low) and math.isfinite(e.ci_high):
        interval = f" (95% CI {format_kpi(e.kpi, e.ci_low)} to {format_kpi(e.kpi, e.ci_high)})"
    sentences.append(
        f"Expected {label} over the {e.window} window with {e.policy}: "
        f"{format_kpi(e.kpi, e.mean)}{interval}, the yardstick a change must beat."
    )
    sentences.append(_robustness_text(e.robustness, "this picture"))
    extra = _assumptions_text(e.assumptions, e.robustness, "These numbers rest")
    if extra:
        sentences.append(extra)
    return sentences
