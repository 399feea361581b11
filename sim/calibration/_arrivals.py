"""Lead arrivals: a Poisson rate per source and hour of the week, fitted by maximum likelihood.

The rate of hour *h* of the week is ``N_h / E_h``: arrivals over exposure (how many
times that hour of the week lies in the observed window), so a window that does not
cover whole weeks is handled exactly. Weekly volume is the sum of the 168 hourly
rates; the profile is the rates over the busiest hour's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.calibration._estimate import Estimate
from sim.calibration.crm import LeadTable
from sim.config.units import HOURS_PER_WEEK, MINUTES_PER_HOUR, MINUTES_PER_WEEK

MIN_PROFILE_LEADS = 500
"""Leads of a source needed to fit its 168 hourly weights (else the default profile stays)."""


@dataclass
class ArrivalFit:
    """One source's weekly volume and hour-of-week profile."""

    source: str
    count: int
    weekly: Estimate
    counts: np.ndarray  # arrivals per hour of the week
    exposure: np.ndarray  # hours of observation per hour of the week
    profile: np.ndarray | None  # fitted weights (max 1), None: not fitted
    weekly_counts: np.ndarray  # arrivals in each calendar week of the window
    week_exposure: np.ndarray  # hours observed in each calendar week
    note: str = ""

    @property
    def rates(self) -> np.ndarray:
        """Fitted arrivals per hour in each hour of the week (NaN where never observed)."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.exposure > 0, self.counts / self.exposure, np.nan)

    def share(self, hours: Sequence[int] | np.ndarray) -> Estimate:
        """Fitted share of a week's arrivals falling in *hours* (delta-method CI, logit scale)."""
        mask = np.zeros(HOURS_PER_WEEK, dtype=bool)
        mask[np.asarray(hours)] = True
        seen = self.exposure > 0
        rate = np.where(seen, self.counts / np.where(seen, self.exposure, 1), 0.0)
        var = np.where(seen, self.counts / np.where(seen, self.exposure, 1) ** 2, 0.0)
        a, b = rate[mask].sum(), rate[~mask].sum()
        va, vb = var[mask].sum(), var[~mask].sum()
        share = a / (a + b)
        se = math.sqrt(b * b * va + a * a * vb) / (a + b) ** 2
        return Estimate(share, se / (share * (1 - share)), "logit", self.count)


def fit_arrivals(leads: LeadTable, names: list[str]) -> dict[str, ArrivalFit]:
    """Poisson rates per source and hour of the week over the common observed window."""
    t = leads.created_local
    start_hour = math.floor(float(t.min()) / MINUTES_PER_HOUR)
    end_hour = math.floor(float(t.max()) / MINUTES_PER_HOUR) + 1
    hours = np.arange(start_hour, end_hour)
    exposure = np.bincount(hours % HOURS_PER_WEEK, minlength=HOURS_PER_WEEK).astype(float)
    weeks_total = hours // HOURS_PER_WEEK
    first_week = int(weeks_total.min())
    n_weeks = int(weeks_total.max()) - first_week + 1
    week_exposure = np.bincount(weeks_total - first_week, minlength=n_weeks).astype(float)
    slot = (np.floor(t / MINUTES_PER_HOUR).astype(np.int64)) % HOURS_PER_WEEK
    week = np.floor(t / MINUTES_PER_WEEK).astype(np.int64) - first_week
    fits: dict[str, ArrivalFit] = {}
    all_seen = bool((exposure > 0).all())
    for code, name in enumerate(leads.sources):
        if name not in names:
            continue
        mine = leads.source == code
        counts = np.bincount(slot[mine], minlength=HOURS_PER_WEEK).astype(float)
        n = int(mine.sum())
        seen = exposure > 0
        if all_seen:
            weekly = float((counts / exposure).sum())
            var = float((counts / exposure**2).sum())
        else:
            weeks = exposure.sum() / HOURS_PER_WEEK
            weekly, var = n / weeks, n / weeks**2
        se = math.sqrt(var) / weekly if weekly > 0 else None
        profile = None
        note = ""
        if not all_seen:
            note = "the export covers less than one whole week, so some hours of the week were never observed"
        elif n < MIN_PROFILE_LEADS:
            note = (
                f"only {n} leads (at least {MIN_PROFILE_LEADS} are needed for 168 hourly weights)"
            )
        else:
            rates = np.where(seen, counts / exposure, 0.0)
            profile = rates / rates.max()
        fits[name] = ArrivalFit(
            source=name,
            count=n,
            weekly=Estimate(weekly, se, "log", n),
            counts=counts,
            exposure=exposure,
            profile=profile,
            weekly_counts=np.bincount(week[mine], minlength=n_weeks).astype(float),
            week_exposure=week_exposure,
            note=note,
        )
    return fits
