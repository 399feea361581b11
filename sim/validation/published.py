"""How a simulated figure is judged against a published one: by its confidence interval alone.

A published figure is "about" a value, "at least" one ("more than 60x") or "at
most" one ("up to 70%"). The simulated figure comes with a 95% confidence
interval, and the check is PASS when the interval agrees with the published
figure, MISFIT when it does not. No extra band is added: a figure the model
cannot meet is reported as a misfit with its reason, never hidden by a wider
tolerance.

A PASS is only worth something when the sample could have failed it: the check
is *precise* when its interval is narrow enough to catch a 20% error (the
interval's far end lies within 20% of the simulated value). An imprecise PASS is
reported as such (``PASS?``), so a sample too small to say anything never looks
like agreement.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

Kind = Literal["about", "at least", "at most"]

DETECTABLE_ERROR = 0.2
"""A check's sample must be large enough to catch a figure 20% off."""


@dataclass(frozen=True)
class Judged:
    """A simulated figure with its 95% CI, next to the published one."""

    group: str
    """The study (or studies) the figure comes from."""
    name: str
    published: float
    kind: Kind
    simulated: float
    ci_low: float
    ci_high: float
    misfit_reason: str
    """Why the model does not meet the figure, shown when it does not."""
    note: str = ""
    """One line shown whatever the result (what the figure means for the model)."""

    @property
    def agrees(self) -> bool:
        if self.kind == "at least":
            return self.ci_high >= self.published
        if self.kind == "at most":
            return self.ci_low <= self.published
        return self.ci_low <= self.published <= self.ci_high

    @property
    def precise(self) -> bool:
        """Whether the interval is narrow enough to catch a 20% error."""
        if not (math.isfinite(self.ci_low) and math.isfinite(self.ci_high)) or self.simulated <= 0:
            return False
        far = max(self.ci_high - self.simulated, self.simulated - self.ci_low)
        return far <= DETECTABLE_ERROR * self.simulated

    @property
    def status(self) -> str:
        """``PASS``, ``PASS?`` (agrees, but the sample could not catch a 20% error) or ``MISFIT``."""
        if not self.agrees:
            return "MISFIT"
        return "PASS" if self.precise else "PASS?"

    @property
    def published_text(self) -> str:
        prefix = {"about": "", "at least": ">= ", "at most": "<= "}[self.kind]
        return f"{prefix}{self.published:.4g}"


def wilson_interval(events: int, n: int, z: float) -> tuple[float, float]:
    """Wilson score interval of a proportion *events / n* (``nan`` bounds when *n* is 0)."""
    if n == 0:
        return math.nan, math.nan
    p = events / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def ratio_interval(x1: int, n1: int, x2: int, n2: int, z: float) -> tuple[float, float, float]:
    """The ratio of two proportions ``(x1/n1) / (x2/n2)`` with its Katz log-ratio interval."""
    if min(x1, x2) == 0:
        return (math.inf if x2 == 0 else 0.0), 0.0, math.inf
    ratio = (x1 / n1) / (x2 / n2)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    return ratio, ratio * math.exp(-z * se), ratio * math.exp(z * se)
