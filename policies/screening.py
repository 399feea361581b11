"""Screening: checking a new lead's fit before anyone calls it.

Unrealistic leads (spam, students, fake numbers, competitors, wrong country)
that are not screened out waste call attempts and conversations; a check costs
rep time and delays the first call, and drops some good leads by mistake. The
scenario says what each check costs and catches (``scenario.screening``) and,
per source, how many leads are unrealistic and how many of those *obviously*
so; the policy decides which check each source gets:

- ``none``: call at once;
- ``instant``: a check of seconds that catches most obviously unrealistic
  leads and almost never drops a good one;
- ``deep``: the instant check, then a rep's minutes of research on the leads
  that pass it, which also catches part of the other unrealistic leads.

The deep check is modelled with signal detection theory: each lead's check
score is normal with unit variance, shifted by the separation d' for realistic
leads, and a lead is dropped when its score is below the threshold. The
scenario's two error rates fix d' and the standard threshold; ``strictness``
moves the threshold by that many standard deviations (above 0: more leads
dropped, fewer unrealistic ones pass, more realistic ones are lost).
"""

from __future__ import annotations

from statistics import NormalDist
from typing import TYPE_CHECKING, Literal, NamedTuple

from pydantic import Field

from policies.base import Policy, param

if TYPE_CHECKING:
    from sim.config.scenario import Screening

Check = Literal["none", "instant", "deep"]
"""Which check a lead gets before its first call."""

_EDGE = 1e-9
_NORMAL = NormalDist()


class DropChances(NamedTuple):
    """The chance that one check drops a lead, by what the lead really is."""

    obvious: float
    """An obviously unrealistic lead (spam, fake number, student)."""
    subtle: float
    """An unrealistic lead that is not obviously so."""
    realistic: float
    """A realistic lead (a false positive)."""


def chances_kept(steps: list[DropChances]) -> DropChances:
    """The chance a lead passes every check in *steps*, by what it really is."""
    kept = [1.0, 1.0, 1.0]
    for step in steps:
        kept = [k * (1 - p) for k, p in zip(kept, step, strict=True)]
    return DropChances(*kept)


class ScreeningPolicy(Policy):
    """Which fit check each new lead gets before its first call, and how strict the deep one is."""

    family = "screening"
    name = "check"

    enabled: bool = param(
        True,
        "check new leads before the first call (false: no check at all)",
        choices=[True, False],
    )
    check: Check = param(
        "instant",
        "instant: seconds, catches obvious junk; deep: the instant check plus minutes of research",
        choices=["instant", "deep"],
    )
    by_source: dict[str, Check] = Field(
        default_factory=dict,
        description="source name -> none, instant or deep (sources not listed get `check`)",
    )
    strictness: float = param(
        0.0,
        "deep check's threshold shift in standard deviations: above 0 drops more leads, below 0 fewer",
        low=-1.5,
        high=1.5,
    )

    def check_for(self, source: str) -> Check:
        """The check leads from *source* get ("none" when the policy does not screen)."""
        if not self.enabled:
            return "none"
        return self.by_source.get(source, self.check)

    def drop_chances(
        self, false_negative_rate: float, false_positive_rate: float
    ) -> tuple[float, float]:
        """The deep check's ``(P(drop | unrealistic), P(drop | realistic))`` at this strictness,
        for a check with these error rates at standard strictness.

        0 and 0 when the policy does not screen.
        """
        if not self.enabled:
            return 0.0, 0.0
        fn = min(max(false_negative_rate, _EDGE), 1 - _EDGE)
        fp = min(max(false_positive_rate, _EDGE), 1 - _EDGE)
        threshold = _NORMAL.inv_cdf(1 - fn)
        separation = threshold - _NORMAL.inv_cdf(fp)
        shifted = threshold + self.strictness
        return _NORMAL.cdf(shifted), _NORMAL.cdf(shifted - separation)

    def steps(self, check: Check, screening: Screening) -> list[DropChances]:
        """The checks a lead under *check* goes through, in order, with what each drops."""
        if check == "none":
            return []
        instant = screening.instant
        steps = [DropChances(instant.catch_rate, 0.0, instant.false_positive_rate)]
        if check == "deep":
            # A rep who looks an obviously unrealistic lead up sees it at once.
            drop_subtle, drop_fit = self.drop_chances(
                screening.deep.false_negative_rate, screening.deep.false_positive_rate
            )
            steps.append(DropChances(1.0, drop_subtle, drop_fit))
        return steps
