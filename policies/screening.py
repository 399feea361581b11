"""Screening: a quick check of each new lead before anyone calls it.

Unrealistic leads (students, competitors, wrong country, ...) that are not
screened out waste call attempts and conversations; the check itself costs a
little rep time and makes mistakes both ways. The scenario gives its error
rates at standard strictness; the policy decides whether to screen and how
strictly.

The check is modelled with signal detection theory: each lead's check score
is normal with unit variance, shifted by the separation d' for realistic leads.
A lead is dropped when its score is below the threshold. The scenario's two
error rates fix d' and the standard threshold; ``strictness`` moves the
threshold by that many standard deviations (above 0: more leads dropped, fewer
unrealistic ones pass, more realistic ones are lost).
"""

from __future__ import annotations

from statistics import NormalDist

from policies.base import Policy, param

_EDGE = 1e-9
_NORMAL = NormalDist()


class ScreeningPolicy(Policy):
    """Whether to check each new lead's fit first, and how strictly."""

    family = "screening"
    name = "check"

    enabled: bool = param(
        True, "check each new lead's fit before the first call", choices=[True, False]
    )
    strictness: float = param(
        0.0,
        "threshold shift in standard deviations: above 0 drops more leads, below 0 fewer",
        low=-1.5,
        high=1.5,
    )

    def drop_chances(
        self, false_negative_rate: float, false_positive_rate: float
    ) -> tuple[float, float]:
        """``(P(drop | unrealistic), P(drop | realistic))`` for a check with these error rates.

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
