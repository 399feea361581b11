"""A fitted number with its confidence interval, and how calibration writes numbers as text.

Every fitted value of a calibration is an :class:`Estimate`: the value, the standard
error on the scale where its interval is symmetric (log for scales and volumes, logit
for chances), and how many rows it came from.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from scipy import stats
from scipy.special import expit, logit

from sim.config.durations import format_duration


@dataclass
class Estimate:
    """A fitted number with its standard error on a transformed scale (for CIs at any level)."""

    value: float
    se: float | None = None
    transform: str = "linear"  # linear, log or logit: the scale the interval is symmetric on
    rows: int = 0

    def ci(self, level: float = 0.95) -> tuple[float, float] | None:
        """The Wald interval at *level* on the transformed scale, mapped back (None: no se)."""
        if self.se is None or not math.isfinite(self.se) or not math.isfinite(self.value):
            return None
        z = float(stats.norm.ppf(0.5 + level / 2))
        if self.transform == "log":
            if self.value <= 0:
                return None
            centre = math.log(self.value)
            return math.exp(centre - z * self.se), math.exp(centre + z * self.se)
        if self.transform == "logit":
            if not 0 < self.value < 1:
                return None
            centre = float(logit(self.value))
            return float(expit(centre - z * self.se)), float(expit(centre + z * self.se))
        return self.value - z * self.se, self.value + z * self.se

    def ci_text(self, fmt: Callable[[float], str]) -> str:
        """``95% CI low to high`` with each end written by *fmt*, or ``no CI``."""
        interval = self.ci()
        if interval is None:
            return "no CI"
        return f"95% CI {fmt(interval[0])} to {fmt(interval[1])}"

    def text(self, fmt: Callable[[float], str] = lambda v: f"{v:.4g}") -> str:
        """The value and its 95% interval, e.g. ``108, 95% CI 53.77 to 217.1``."""
        return f"{fmt(self.value)}, {self.ci_text(fmt)}"


def proportion(events: float, n: float) -> Estimate:
    """A share with a logit-scale Wald interval (0.5 added to each cell when a cell is empty)."""
    if n <= 0:
        return Estimate(math.nan, None, "logit", 0)
    p = events / n
    pa = (events + 0.5) / (n + 1.0) if events in (0, n) else p
    se = 1.0 / math.sqrt(n * pa * (1 - pa))
    return Estimate(p, se, "logit", int(n))


def share_text(value: float) -> str:
    """A share or chance as text: three decimals."""
    return f"{value:.3f}"


def duration_text(minutes: float) -> str:
    """An estimated duration as text: three significant figures, at least one second."""
    return format_duration(round_minutes(minutes if minutes < 1 else round_sig(minutes, 3)))


def round_minutes(minutes: float) -> float:
    """Round to a readable duration: whole seconds below an hour, then whole minutes."""
    if minutes < 60:
        return max(1 / 60, round(minutes * 60) / 60)
    return float(round(minutes))


def round_sig(value: float, digits: int = 4) -> float:
    """*value* rounded to *digits* significant figures."""
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.{digits}g}")
