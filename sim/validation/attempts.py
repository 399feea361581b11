"""Follow-up checks: do later call attempts reach leads as often as the studies say?

Published figures on call attempts (design section 5), measured on the study
population of :mod:`sim.validation.lead_response` (the default leads, first called
after delays like the studied teams', then followed up on the default cadence),
from the attempt tally of every cohort lead:

- Velocify 2012 (3.5M leads): 93% of converted leads were reached by the 6th attempt.
- Velocify 2015: 85% of converting leads were reached within the first three attempts.
- A replication of the lead-response study: about 48% of eventually converting
  prospects were reached on the first attempt.
- InsightSquared (21,000+ calls): the connect rate drops by about a third after the
  first attempt (attempt 2 reaches about 2/3 as often as attempt 1).
- InsideSales/MIT: a few more attempts raise contact rates by up to 70% (all attempts
  together reach at most 1.7x the leads the first attempt reaches), and over 30% of
  leads are never contacted at all.

Shares get Wilson intervals; ratios the Katz log-ratio interval (leads are
independent given the team's load, which the replications pool over).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sim.config.units import Z_95
from sim.engine.tally import AttemptTally
from sim.validation.published import Judged, Kind, ratio_interval, wilson_interval

_ATTEMPTED, _REACHED, _WON = (AttemptTally.ROWS.index(row) for row in AttemptTally.ROWS)

_FOLLOW_UP_REASON = (
    "the joint fit keeps every follow-up figure within 10 percentage points and trades the "
    "last few against the speed-to-lead ratios; the studies' teams, cadences and lead mixes "
    "also differ from the one population simulated here (docs/response_curve.md)"
)


@dataclass(frozen=True)
class Counts:
    """A share ``events / trials``; its inverse (``inverse``); or a ratio of two shares."""

    events: int
    trials: int
    ratio_of: tuple[int, int] | None = None
    inverse: bool = False


@dataclass(frozen=True)
class PublishedAttemptFigure:
    """A published follow-up figure and how to count it from the attempt tally."""

    name: str
    source: str
    published: float
    kind: Kind
    counts: Callable[[np.ndarray], Counts]
    misfit_reason: str = _FOLLOW_UP_REASON


def _won_by(k: int) -> Callable[[np.ndarray], Counts]:
    def counts(tally: np.ndarray) -> Counts:
        won = tally[_WON]
        return Counts(int(won[1 : k + 1].sum()), int(won.sum()))

    return counts


def _second_vs_first(tally: np.ndarray) -> Counts:
    reached, attempted = tally[_REACHED], tally[_ATTEMPTED]
    return Counts(int(reached[2]), int(attempted[2]), (int(reached[1]), int(attempted[1])))


def _all_vs_first(tally: np.ndarray) -> Counts:
    """All reached / reached on the 1st attempt: the inverse of the 1st attempt's share of reaches."""
    reached = tally[_REACHED]
    return Counts(int(reached[1]), int(reached[1:].sum()), inverse=True)


def _never_contacted(tally: np.ndarray) -> Counts:
    return Counts(int(tally[_REACHED][0]), int(tally[_REACHED].sum()))


PUBLISHED_ATTEMPTS = (
    PublishedAttemptFigure(
        "converted leads reached by the 6th attempt", "Velocify 2012", 0.93, "about", _won_by(6)
    ),
    PublishedAttemptFigure(
        "converted leads reached within 3 attempts", "Velocify 2015", 0.85, "about", _won_by(3)
    ),
    PublishedAttemptFigure(
        "converted leads reached on the 1st attempt",
        "lead-response replication",
        0.48,
        "about",
        _won_by(1),
    ),
    PublishedAttemptFigure(
        "contact rate, attempt 2 / attempt 1", "InsightSquared", 2 / 3, "about", _second_vs_first
    ),
    PublishedAttemptFigure(
        "leads reached by all attempts / by the 1st",
        "InsideSales/MIT",
        1.7,
        "at most",
        _all_vs_first,
        "conflicts with the 48% of converted leads reached on the 1st attempt: if all attempts "
        "reached at most 1.7x the first, the first would reach at least 59% of reached leads, "
        "and of converted ones at least as many; fitted with a tenth of the weight",
    ),
    PublishedAttemptFigure(
        "leads never contacted", "InsideSales/MIT", 0.30, "at least", _never_contacted
    ),
)


def attempt_checks(tally: np.ndarray) -> list[Judged]:
    """Each published follow-up figure measured on pooled attempt-tally counts."""
    checks = []
    for spec in PUBLISHED_ATTEMPTS:
        counts = spec.counts(tally)
        if counts.ratio_of is None:
            n = counts.trials
            value = counts.events / n if n else float("nan")
            low, high = wilson_interval(counts.events, n, Z_95)
            if counts.inverse:
                value, low, high = 1 / value, 1 / high, 1 / low
        else:
            value, low, high = ratio_interval(counts.events, counts.trials, *counts.ratio_of, Z_95)
        group = f"Follow-up attempts ({spec.source})"
        checks.append(
            Judged(
                group, spec.name, spec.published, spec.kind, value, low, high, spec.misfit_reason
            )
        )
    return checks
