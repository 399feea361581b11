"""Screening in :class:`~sim.engine.floor.SalesFloor`: the fit check before a lead's first call.

Each source's leads get the check the policy names for it: none, the instant
check (seconds) or the instant check followed, for the leads that pass it, by
a rep's deep check (minutes). A check drops a lead with a chance that depends
on what the lead really is: obviously unrealistic (spam, fake number, student),
unrealistic but not obviously so, or realistic (see
:meth:`policies.screening.ScreeningPolicy.steps`). Whether an unrealistic lead
is obviously so is a fact about the lead, the same under every policy.

One uniform number per lead decides it all (:func:`screen_decision`): it is
split exactly into independent uniforms for "obvious or not" and for each
check, so two policies run with the same seed screen the same leads the same
way wherever their checks agree.

A part of the floor, split out to keep each module one stage of the sales rhythm.
"""

from __future__ import annotations

from policies import DropChances
from sim.config.scenario import REFERRAL_SOURCE
from sim.engine._adherence import CadenceKeeping
from sim.engine.arrivals import LUCK_SCREEN
from sim.engine.people import (
    DROPPED,
    FIRST_ATTEMPT,
    LOST_SCREENED_OUT,
    NOT_REACHED,
    Lead,
    Rep,
    Task,
)
from sim.engine.streams import Draws, Streams

OBVIOUS, SUBTLE, REALISTIC = range(3)
"""What a lead really is, as an index into :class:`~policies.screening.DropChances`."""


def screen_decision(
    u: float, fit: bool, obvious_share: float, steps: list[DropChances]
) -> tuple[int, bool]:
    """``(checks run, dropped)`` for a lead with uniform number *u* going through *steps*.

    An unrealistic lead is obvious when *u* is below *obvious_share*; each check
    then drops the lead when the rest of *u* (rescaled to a fresh uniform) is
    below its drop chance for that kind of lead. Rescaling a uniform below or
    above a cut point gives a uniform independent of which side it fell, so
    every decision is a fair, independent draw.
    """
    if fit:
        kind = REALISTIC
    elif u < obvious_share:
        kind, u = OBVIOUS, u / obvious_share
    else:
        kind, u = SUBTLE, (u - obvious_share) / (1 - obvious_share)
    for done, step in enumerate(steps, start=1):
        chance = step[kind]
        if u < chance:
            return done, True
        u = (u - chance) / (1 - chance)  # u >= chance, so chance < 1
    return len(steps), False


class LeadScreening(CadenceKeeping):
    """The check before the first call: who does it, how long it takes, whom it drops."""

    def _setup_screening(self, streams: Streams) -> None:
        """Each source's checks (the referral source last) and the check-time streams."""
        scenario, policy = self.scenario, self.cadence.screening
        kinds = [*scenario.sources, scenario.referrals.traits]
        names = [*(s.name for s in scenario.sources), REFERRAL_SOURCE]
        self._screen_steps = [
            policy.steps(policy.check_for(name), scenario.screening) for name in names
        ]
        self._obvious_share = [traits.obviously_unfit_share for traits in kinds]
        self._screens_source = [bool(steps) for steps in self._screen_steps]
        self._check_times = [
            Draws(check.time.sample, streams.rng(f"durations:screening:{kind}"))
            for kind, check in (
                ("instant", scenario.screening.instant),
                ("deep", scenario.screening.deep),
            )
        ]

    def _begin_screen(self, rep: Rep, task: Task, now: float) -> tuple[float, int]:
        lead: Lead = task.subject  # type: ignore[assignment]
        source = lead.source
        checks, dropped = screen_decision(
            lead.luck[LUCK_SCREEN],
            lead.fit,
            self._obvious_share[source],
            self._screen_steps[source],
        )
        minutes = sum(self._check_times[i].next() for i in range(checks))
        return minutes, DROPPED if dropped else NOT_REACHED

    def _end_screen(self, task: Task, outcome: int, now: float) -> None:
        lead: Lead = task.subject  # type: ignore[assignment]
        if lead.outcome is not None:
            return
        if outcome == DROPPED:
            self._close(lead, LOST_SCREENED_OUT)
            return
        call = Task(FIRST_ATTEMPT, lead, now, task.deadline)
        lead.task = call
        self._release(call)
