"""Follow-up checks: do later call attempts reach leads as often as the studies say?

Published figures on call attempts (design section 5), measured on the default
experiment's team (its own response times, cadence and queue), from the
attempt tally of every cohort lead that was not screened out:

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
from typing import TYPE_CHECKING

import numpy as np

from sim.analysis.executors import Workers
from sim.analysis.replications import Progress
from sim.config.units import Z_95
from sim.engine.tally import AttemptTally
from sim.experiment import DEFAULT_EXPERIMENT, load_experiment
from sim.validation.published import Judged, Kind, pooled_counts, ratio_interval, wilson_interval

if TYPE_CHECKING:
    from sim.engine.floor import SalesFloor

_ATTEMPTED, _REACHED, _WON = (AttemptTally.ROWS.index(row) for row in AttemptTally.ROWS)

_FOLLOW_UP_REASON = (
    "the contact curve falls to 1% of a fresh lead's chance within ~15 minutes of arrival and "
    "never recovers, so follow-ups reach almost nobody; issue 10 replaces it with a contact "
    "model (baseline x time of week x hot window after engagement x attempt decay)"
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
    ),
    PublishedAttemptFigure(
        "leads never contacted", "InsideSales/MIT", 0.30, "at least", _never_contacted
    ),
)


def attempt_counts(floor: SalesFloor) -> np.ndarray:
    """The measure kept from each replication: the attempt tally's counts."""
    return floor.meter.attempts.counts


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
            Judged(group, spec.name, spec.published, spec.kind, value, low, high, _FOLLOW_UP_REASON)
        )
    return checks


def check_attempts(
    weeks: int = 13,
    replications: int = 4,
    seed: int = 2012,
    jobs: Workers = 1,
    progress: Progress | None = None,
) -> list[Judged]:
    """Run the default experiment (*weeks* measured) and compare each published follow-up figure."""
    experiment = load_experiment(DEFAULT_EXPERIMENT, [f"scenario.horizon={weeks}w"])
    return attempt_checks(
        pooled_counts(experiment, seed, replications, attempt_counts, jobs, progress)
    )
