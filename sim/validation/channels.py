"""Email checks: do emails between the calls move contact and conversion as the studies say?

Velocify's "Ultimate Contact Strategy" (2012, about 3.5M leads, 400+ companies):

- leads that received an email between call attempts were contacted about 16% more
  often than leads that were only called (contact rate x1.16);
- leads that received more than five emails before they were contacted converted about
  36% less often than those contacted after five or fewer (x0.64).

Both are measured on the study population of :mod:`sim.validation.lead_response` (its
leads, first-call delays and call times), with the follow-ups run as a sequence cadence:
its calls alone, the same calls with one email halfway between consecutive calls, and
the same calls with two emails between them (so that some leads get more than five
emails before a call reaches them). The first figure compares the first two runs on the
same leads; the second, like Velocify, compares leads within the third run, by the emails
they had before contact (conversion: qualification of the contacted lead, as a win does
not depend on the call that reached it). Ratios get the Katz log-ratio interval.
"""

from __future__ import annotations

from itertools import accumulate, pairwise
from typing import TYPE_CHECKING

import numpy as np

from sim.analysis.executors import Workers
from sim.analysis.replications import Progress, run_many
from sim.config.channels import CALL
from sim.config.durations import parse_duration
from sim.config.units import Z_95
from sim.engine.streams import replication_seeds
from sim.engine.tally import OUTCOMES
from sim.experiment import Experiment
from sim.validation.lead_response import STUDY_FOLLOWUP, lead_response_experiment
from sim.validation.published import Judged, ratio_interval

if TYPE_CHECKING:
    from sim.engine.floor import SalesFloor

EMAILS_TOLERATED = 5
"""Velocify's threshold: more than this many emails before contact lowered conversion."""

_SOURCE = "Velocify 2012"

_EMAIL_REASON = (
    "a reply is the only way an email helps here (it renews the hot window, and the rep calls "
    "back at once); the reply chance is an assumption fitted to this figure "
    "(docs/channels.md), and Velocify's leads that got emails may also differ from the others"
)
_MANY_EMAILS_REASON = (
    "Velocify compared leads, not cadences: leads that needed more than five emails before "
    "contact are reached later, when interest has faded; the model has no further penalty "
    "for emails beyond touch fatigue (docs/channels.md)"
)


def study_call_offsets() -> list[float]:
    """When the study population's calls fall due, in minutes after the first call."""
    gaps = [parse_duration(gap) for gap in STUDY_FOLLOWUP["steps"]]
    attempts = int(STUDY_FOLLOWUP["max_attempts"])
    gaps += [gaps[-1]] * (attempts - 1 - len(gaps))  # the last gap repeats
    return [0.0, *accumulate(gaps[: attempts - 1])]


def email_sequence(emails_between_calls: int) -> dict[str, object]:
    """The study's calls as a sequence, *emails_between_calls* emails evenly between each two."""
    offsets = study_call_offsets()
    steps: list[dict[str, float]] = [{CALL: offsets[0]}]
    for start, end in pairwise(offsets):
        share = 1 / (emails_between_calls + 1)
        steps += [
            {"email": start + (end - start) * share * k} for k in range(1, emails_between_calls + 1)
        ]
        steps.append({CALL: end})
    return {"name": "sequence", "steps": steps, "exit": ["reached", "replied"]}


def email_study_experiment(
    emails_between_calls: int, leads: int, replications: int, seed: int
) -> Experiment:
    """The study population of :mod:`sim.validation.lead_response`, followed up by a sequence."""
    experiment = lead_response_experiment(leads, replications, seed)
    policy = experiment.policy.to_config()
    policy["followup"] = email_sequence(emails_between_calls)
    return Experiment.model_validate(
        {**experiment.model_dump(mode="json", exclude={"policy"}), "policy": policy}
    )


def email_counts(floor: SalesFloor) -> np.ndarray:
    """Kept from each replication: cohort leads (row 0, column 0), then the contact tally.

    Rows 1 and 2 are the leads a call reached and qualified, by the emails before that call.
    """
    leads = int(floor.meter.first_attempts.counts[OUTCOMES.index("leads")].sum())
    head = np.zeros((1, floor.contacts_by_touches.shape[1]), dtype=np.int64)
    head[0, 0] = leads
    return np.vstack([head, floor.contacts_by_touches])


def _pooled(
    emails_between_calls: int,
    leads: int,
    replications: int,
    seed: int,
    jobs: Workers,
    progress: Progress | None,
) -> np.ndarray:
    experiment = email_study_experiment(emails_between_calls, leads, replications, seed)
    seeds = replication_seeds(seed, replications)
    runs = run_many(
        experiment.scenario, experiment.policy, seeds, jobs, progress, measure=email_counts
    )
    return np.sum(runs, axis=0)


def email_checks(
    calls_only: np.ndarray, one_email: np.ndarray, two_emails: np.ndarray
) -> list[Judged]:
    """Velocify's two email figures, from pooled :func:`email_counts` of the three runs."""
    group = f"Emails between calls ({_SOURCE})"
    contact, low, high = ratio_interval(
        int(one_email[1].sum()),
        int(one_email[0, 0]),
        int(calls_only[1].sum()),
        int(calls_only[0, 0]),
        Z_95,
    )
    contacted, qualified = two_emails[1], two_emails[2]
    many = EMAILS_TOLERATED + 1
    conversion, c_low, c_high = ratio_interval(
        int(qualified[many:].sum()),
        int(contacted[many:].sum()),
        int(qualified[:many].sum()),
        int(contacted[:many].sum()),
        Z_95,
    )
    return [
        Judged(
            group,
            "contact: an email between calls / calls only",
            1.16,
            "about",
            contact,
            low,
            high,
            _EMAIL_REASON,
        ),
        Judged(
            group,
            "conversion: > 5 emails before contact / <= 5",
            0.64,
            "about",
            conversion,
            c_low,
            c_high,
            _MANY_EMAILS_REASON,
        ),
    ]


def check_email_figures(
    leads: int = 200_000,
    replications: int = 4,
    seed: int = 2012,
    jobs: Workers = 1,
    progress: Progress | None = None,
) -> list[Judged]:
    """Run the study population three ways (calls only, one and two emails between calls); judge."""
    runs = [_pooled(emails, leads, replications, seed, jobs, progress) for emails in (0, 1, 2)]
    return email_checks(*runs)
