"""Calibrate a scenario from a CRM export (``python -m sim calibrate``).

What is fitted, and how (see ``docs/calibration.md`` for the full story):

- **Arrivals** per source: a Poisson process whose rate is constant within each of
  the 168 hours of the week. The maximum-likelihood rate of hour *h* is
  ``N_h / E_h`` (arrivals over exposure: how many times that hour of the week lies
  in the observed window), so a window that does not cover whole weeks is handled
  exactly. Weekly volume = the sum of the 168 hourly rates; profile = the rates.
- **Response curves**, with the engine's model. A first attempt made *d* minutes
  after the lead arrived reaches it with probability ``reach_s x contact(d)``; a
  lead reached (first time) *d* minutes after it arrived qualifies with probability
  ``q_s x qualification(d)``. Each is a Bernoulli likelihood over leads (one
  independent trial per lead: its first attempt, or the conversation that
  reached it), maximised jointly over the curve (``exponential`` or ``weibull``
  family) and the base chances ``reach_s`` / ``q_s``, which are
  ``logistic(a_source [+ b_owner])``: stratification by source (default) and
  optionally owner, the adjustment for who-calls-whom-how-fast selection.
  Confidence intervals are Wald intervals on the transformed parameters (log
  scale, logit floor) from the inverse Fisher information, mapped back. A
  piecewise ``table`` curve (observed / expected-at-zero-delay per delay bucket)
  comes with it.
- **Funnel**: share attempted, reached, qualified; won among closed qualified
  leads, turned into the decision stage's ``win_rate`` by simulating the
  calibrated scenario at win_rate 0 and 1 (the share is linear in it).
- **Attempts**: share of reached leads reached by attempt k; ``max_attempts`` (the
  usual number of attempts on never-reached leads) and, from activities, the
  follow-up gaps (median gap after attempt k).
- **Durations** (activities): lognormal maximum likelihood for talk, no-answer,
  meeting, nurture and screening time (a fixed duration when every value is the same).
- **Deal value** per source: lognormal maximum likelihood on won deals.

Anything the data cannot support falls back to the base experiment's value with a
warning, printed and in the report. Everything not fitted comes from the base
experiment (default ``experiments/baseline.yaml``).
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import math
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from scipy import stats
from scipy.special import expit, logit

from sim.calibration.crm import (
    CONNECTED,
    NO_ANSWER,
    VOICEMAIL,
    ActivityTable,
    LeadTable,
    ReadOptions,
    read_activities,
    read_leads,
    stage_file,
)
from sim.config import ConfigError
from sim.config.calendar import DAY_NAMES, HOURS_PER_WEEK, PROFILE_PRESETS
from sim.config.durations import format_duration
from sim.config.scenario import REFERRAL_SOURCE, LeadTraits
from sim.experiment import Experiment, load_experiment, validate_experiment

Z95 = float(stats.norm.ppf(0.975))
FAMILIES = ("exponential", "weibull", "table")
STRATA = ("none", "source", "source,owner")
DELAY_BINS = (0.0, 5.0, 10.0, 30.0, 60.0, 120.0, 240.0, 480.0, 1440.0, 2880.0, 5760.0, 10080.0)
"""Edges (minutes) of the delay buckets of the table curve and the observed-vs-fitted plots."""

MIN_CURVE_ROWS = 200
MIN_CURVE_EVENTS = 20
MIN_SPREAD_ROWS = 30
MIN_PROFILE_LEADS = 500
MIN_DURATIONS = 30
MIN_DEALS = 20
MIN_QUALIFIED_CLOSED = 30
MIN_BIN_ROWS = 30
MIN_GAPS = 20
MAX_OWNER_LEVELS = 100
MIN_OWNER_ROWS = 30


# --------------------------------------------------------------------------- estimates


@dataclass
class Estimate:
    """A fitted number with its standard error on a transformed scale (for CIs at any level)."""

    value: float
    se: float | None = None
    transform: str = "linear"  # linear, log or logit: the scale the interval is symmetric on
    rows: int = 0
    fallback: bool = False

    def ci(self, level: float = 0.95) -> tuple[float, float] | None:
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

    def text(self, fmt: Callable[[float], str] = lambda v: f"{v:.4g}") -> str:
        interval = self.ci()
        ci = f", 95% CI {fmt(interval[0])} to {fmt(interval[1])}" if interval else ", no CI"
        return f"{fmt(self.value)}{ci}"


def proportion(events: float, n: float) -> Estimate:
    """A share with a logit-scale Wald interval (0.5 added to each cell when a cell is empty)."""
    if n <= 0:
        return Estimate(math.nan, None, "logit", 0)
    p = events / n
    pa = (events + 0.5) / (n + 1.0) if events in (0, n) else p
    se = 1.0 / math.sqrt(n * pa * (1 - pa))
    return Estimate(p, se, "logit", int(n))


# --------------------------------------------------------------------------- arrivals


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
    start_hour = math.floor(float(t.min()) / 60.0)
    end_hour = math.floor(float(t.max()) / 60.0) + 1
    hours = np.arange(start_hour, end_hour)
    exposure = np.bincount(hours % HOURS_PER_WEEK, minlength=HOURS_PER_WEEK).astype(float)
    weeks_total = hours // HOURS_PER_WEEK
    first_week = int(weeks_total.min())
    n_weeks = int(weeks_total.max()) - first_week + 1
    week_exposure = np.bincount(weeks_total - first_week, minlength=n_weeks).astype(float)
    slot = (np.floor(t / 60.0).astype(np.int64)) % HOURS_PER_WEEK
    week = np.floor(t / (60.0 * HOURS_PER_WEEK)).astype(np.int64) - first_week
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


# --------------------------------------------------------------------------- response curves


@dataclass
class _Design:
    """Rows of a Bernoulli response-curve fit: delay, outcome and intercept groups."""

    delay: np.ndarray
    y: np.ndarray
    source: np.ndarray  # 0..S-1
    owner: np.ndarray  # 0..O-1 (0 is the reference level)
    n_source: int
    n_owner: int
    family: str

    @property
    def n_curve(self) -> int:
        return 3 if self.family == "weibull" else 2

    @property
    def size(self) -> int:
        return self.n_source + self.n_owner - 1 + self.n_curve

    def subset(self, index: np.ndarray) -> _Design:
        return _Design(
            self.delay[index],
            self.y[index],
            self.source[index],
            self.owner[index],
            self.n_source,
            self.n_owner,
            self.family,
        )

    def split(self, theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        s, o = self.n_source, self.n_owner
        a = theta[:s]
        b = np.concatenate([[0.0], theta[s : s + o - 1]])
        return a, b, theta[s + o - 1 :]

    def curve(self, curve_params: np.ndarray, delay: np.ndarray | None = None):
        """The curve at each delay and its derivatives by the (transformed) curve parameters."""
        d = self.delay if delay is None else delay
        tau = math.exp(curve_params[0])
        f = float(expit(curve_params[1]))
        if self.family == "weibull":
            k = math.exp(curve_params[2])
            r = d / tau
            z = r**k
        else:
            k, z = 1.0, d / tau
        e = np.exp(-z)
        c = f + (1 - f) * e
        derivs = [(1 - f) * e * k * z, f * (1 - f) * (1 - e)]
        if self.family == "weibull":
            with np.errstate(divide="ignore", invalid="ignore"):
                log_r = np.where(d > 0, np.log(np.where(d > 0, r, 1.0)), 0.0)
            derivs.append(-(1 - f) * e * z * k * log_r)
        return c, derivs

    def evaluate(self, theta: np.ndarray, info: bool = False):
        """Negative log-likelihood, its gradient and (with *info*) the Fisher information."""
        a, b, cp = self.split(theta)
        eta = a[self.source] + b[self.owner]
        sig = expit(eta)
        c, dc = self.curve(cp)
        p = np.clip(sig * c, 1e-12, 1 - 1e-12)
        y = self.y
        nll = -float(np.sum(np.where(y, np.log(p), np.log1p(-p))))
        dldp = (p - y) / (p * (1 - p))
        u = sig * (1 - sig) * c  # dp / d eta
        v = [sig * d for d in dc]  # dp / d curve parameter
        s_n, o_n = self.n_source, self.n_owner
        grad = np.empty(self.size)
        gu = dldp * u
        grad[:s_n] = np.bincount(self.source, gu, s_n)
        if o_n > 1:
            grad[s_n : s_n + o_n - 1] = np.bincount(self.owner, gu, o_n)[1:]
        offset = s_n + o_n - 1
        for j, vj in enumerate(v):
            grad[offset + j] = float(np.dot(dldp, vj))
        if not info:
            return nll, grad, None
        w = 1.0 / (p * (1 - p))
        wuu = w * u * u
        fisher = np.zeros((self.size, self.size))
        fisher[:s_n, :s_n] = np.diag(np.bincount(self.source, wuu, s_n))
        if o_n > 1:
            cross = np.bincount(self.source * o_n + self.owner, wuu, s_n * o_n).reshape(s_n, o_n)
            fisher[:s_n, s_n:offset] = cross[:, 1:]
            fisher[s_n:offset, :s_n] = cross[:, 1:].T
            fisher[s_n:offset, s_n:offset] = np.diag(np.bincount(self.owner, wuu, o_n)[1:])
        for j, vj in enumerate(v):
            wuv = w * u * vj
            col = np.bincount(self.source, wuv, s_n)
            fisher[:s_n, offset + j] = fisher[offset + j, :s_n] = col
            if o_n > 1:
                col_o = np.bincount(self.owner, wuv, o_n)[1:]
                fisher[s_n:offset, offset + j] = fisher[offset + j, s_n:offset] = col_o
            for k in range(j, len(v)):
                fisher[offset + j, offset + k] = fisher[offset + k, offset + j] = float(
                    np.dot(w * vj, v[k])
                )
        return nll, grad, fisher

    def bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lo = np.full(self.size, -15.0)
        hi = np.full(self.size, 15.0)
        offset = self.n_source + self.n_owner - 1
        lo[offset], hi[offset] = math.log(0.5), math.log(1e6)
        lo[offset + 1], hi[offset + 1] = -12.0, 12.0
        if self.family == "weibull":
            lo[offset + 2], hi[offset + 2] = math.log(0.1), math.log(10.0)
        return lo, hi


def _fisher_scoring(
    design: _Design, theta: np.ndarray, iterations: int = 60
) -> tuple[np.ndarray, float, bool]:
    """Maximise the likelihood by Fisher scoring with step halving, inside the bounds."""
    lo, hi = design.bounds()
    theta = np.clip(theta, lo, hi)
    nll, grad, fisher = design.evaluate(theta, info=True)
    for _ in range(iterations):
        ridge = 1e-9 * (np.trace(fisher) / fisher.shape[0] + 1.0)
        try:
            step = np.linalg.solve(fisher + ridge * np.eye(fisher.shape[0]), grad)
        except np.linalg.LinAlgError:
            step = grad / (np.abs(np.diag(fisher)) + 1.0)
        t, improved = 1.0, False
        while t > 1e-8:
            candidate = np.clip(theta - t * step, lo, hi)
            value = design.evaluate(candidate)[0]
            if value <= nll:
                improved = True
                break
            t /= 2
        if not improved:
            return theta, nll, True
        change = nll - value
        theta = candidate
        nll, grad, fisher = design.evaluate(theta, info=True)
        if change < 1e-10 * (1 + abs(nll)) and np.max(np.abs(t * step)) < 1e-6:
            return theta, nll, True
    return theta, nll, bool(np.max(np.abs(grad)) < 1e-3 * (1 + abs(nll)) / max(1, design.y.size))


@dataclass
class CurveFit:
    """A response curve fitted by maximum likelihood, with the base chance of each source."""

    what: str  # contact or qualification
    family: str
    stratify: str
    n: int
    events: int
    nll: float
    scale: Estimate
    floor: Estimate
    shape: Estimate | None
    base: dict[str, Estimate]  # per source: the chance at zero delay
    sources: list[str]
    theta: np.ndarray
    source_codes: np.ndarray = field(repr=False)
    design: _Design = field(repr=False)
    cov: np.ndarray | None = field(repr=False, default=None)
    at_bound: list[str] = field(default_factory=list)

    def value(self, delay: np.ndarray | float) -> np.ndarray:
        d = np.atleast_1d(np.asarray(delay, dtype=float))
        _, _, cp = self.design.split(self.theta)
        return self.design.curve(cp, d)[0]

    def row_base(self) -> np.ndarray:
        """Each row's fitted chance at zero delay."""
        a, b, _ = self.design.split(self.theta)
        return expit(a[self.design.source] + b[self.design.owner])

    def curve_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {
            "family": self.family,
            "scale": format_duration(_round_minutes(self.scale.value)),
        }
        if self.shape is not None:
            config["shape"] = _round_sig(self.shape.value, 4)
        config["floor"] = _round_sig(self.floor.value, 4)
        return config


def _owner_levels(owner: np.ndarray, owners: list[str]) -> tuple[np.ndarray, list[str]]:
    """Owner codes with rare owners (and missing ones) lumped into one reference level."""
    known = owner >= 0
    counts = np.bincount(owner[known], minlength=len(owners))
    order = np.argsort(-counts, kind="stable")
    kept = [int(i) for i in order[:MAX_OWNER_LEVELS] if counts[i] >= MIN_OWNER_ROWS]
    lookup = np.zeros(len(owners) + 1, dtype=np.int64)  # last slot: missing owner
    for level, code in enumerate(kept, start=1):
        lookup[code] = level
    names = ["(other)"] + [owners[c] for c in kept]
    if len(kept) >= 1 and counts[~np.isin(np.arange(len(owners)), kept)].sum() == 0 and known.all():
        # every row has a kept owner: use the first kept owner as the reference
        lookup[kept[0]] = 0
        for level, code in enumerate(kept[1:], start=1):
            lookup[code] = level
        names = [owners[c] for c in kept]
    return lookup[np.where(known, owner, len(owners))], names


def fit_curve(
    what: str,
    delay: np.ndarray,
    y: np.ndarray,
    source: np.ndarray,
    source_names: list[str],
    owner: np.ndarray | None,
    owner_names: list[str],
    family: str,
    stratify: str,
) -> CurveFit:
    """Maximum-likelihood fit of ``P(y | delay) = logistic(a_source [+ b_owner]) x curve(delay)``."""
    family = "exponential" if family == "table" else family
    if stratify == "none":
        src = np.zeros(y.size, dtype=np.int64)
        n_source = 1
    else:
        src = source.astype(np.int64)
        n_source = len(source_names)
    if stratify == "source,owner" and owner is not None:
        own, owner_levels = _owner_levels(owner, owner_names)
        n_owner = len(owner_levels)
    else:
        own, n_owner = np.zeros(y.size, dtype=np.int64), 1
    design = _Design(delay.astype(float), y.astype(bool), src, own, n_source, n_owner, family)
    rng = np.random.default_rng(0)
    sample = (
        design.subset(rng.choice(y.size, 50_000, replace=False)) if y.size > 100_000 else design
    )
    best: tuple[float, np.ndarray] | None = None
    for tau in (5.0, 30.0, 120.0, 600.0, 2880.0):
        for floor in (0.1, 0.4):
            start = _start(sample, tau, floor)
            theta, nll, _ = _fisher_scoring(sample, start, iterations=8)
            if best is None or nll < best[0]:
                best = (nll, theta)
    assert best is not None
    theta, nll, converged = _fisher_scoring(design, best[1])
    if not converged:
        raise _FitFailed("the likelihood maximisation did not converge")
    _, _, fisher = design.evaluate(theta, info=True)
    lo, hi = design.bounds()
    at_bound_mask = (np.abs(theta - lo) < 1e-6) | (np.abs(theta - hi) < 1e-6)
    free = ~at_bound_mask
    cov = np.full((design.size, design.size), np.nan)
    try:
        inner = np.linalg.inv(fisher[np.ix_(free, free)])
        if np.all(np.linalg.eigvalsh((inner + inner.T) / 2) > 0):
            cov[np.ix_(free, free)] = inner
    except np.linalg.LinAlgError:
        pass
    se = np.sqrt(np.clip(np.diag(cov), 0, None))
    offset = n_source + n_owner - 1
    names = ["scale", "floor", "shape"]
    at_bound = [names[i - offset] for i in np.flatnonzero(at_bound_mask) if i >= offset]

    def est(i: int, transform: str) -> Estimate:
        value = math.exp(theta[i]) if transform == "log" else float(expit(theta[i]))
        s = None if at_bound_mask[i] or not math.isfinite(se[i]) else float(se[i])
        return Estimate(value, s, transform, int(y.size))

    base: dict[str, Estimate] = {}
    a, b, _ = design.split(theta)
    for code, name in enumerate(source_names):
        rows = source == code
        if not rows.any():
            continue
        if stratify == "none":
            base[name] = est(0, "logit")
            base[name].rows = int(rows.sum())
            continue
        if n_owner == 1:
            base[name] = est(code, "logit")
            base[name].rows = int(rows.sum())
            continue
        # Marginal base chance over the source's owner mix (delta method).
        mix = np.bincount(own[rows], minlength=n_owner) / rows.sum()
        sig = expit(a[code] + b)
        value = float(np.dot(mix, sig))
        grad = np.zeros(design.size)
        slope = sig * (1 - sig) * mix
        grad[code] = slope.sum()
        grad[n_source : n_source + n_owner - 1] = slope[1:]
        var = float(grad @ np.nan_to_num(cov, nan=0.0) @ grad)
        ok = np.isfinite(cov[code, code])
        se_logit = math.sqrt(var) / (value * (1 - value)) if ok and 0 < value < 1 else None
        base[name] = Estimate(value, se_logit, "logit", int(rows.sum()))
    return CurveFit(
        what=what,
        family=family,
        stratify=stratify,
        n=int(y.size),
        events=int(y.sum()),
        nll=nll,
        scale=est(offset, "log"),
        floor=est(offset + 1, "logit"),
        shape=est(offset + 2, "log") if family == "weibull" else None,
        base=base,
        sources=source_names,
        theta=theta,
        source_codes=source,
        design=design,
        cov=cov,
        at_bound=at_bound,
    )


class _FitFailed(Exception):
    """A fit that the data cannot support (the caller falls back to the default)."""


def _start(design: _Design, tau: float, floor: float) -> np.ndarray:
    theta = np.zeros(design.size)
    offset = design.n_source + design.n_owner - 1
    theta[offset] = math.log(tau)
    theta[offset + 1] = float(logit(floor))
    if design.family == "weibull":
        theta[offset + 2] = 0.0
    c = design.curve(theta[offset:])[0]
    events = np.bincount(design.source, design.y.astype(float), design.n_source)
    expected = np.bincount(design.source, c, design.n_source)
    base = np.clip((events + 0.5) / (expected + 1.0), 0.01, 0.99)
    theta[: design.n_source] = logit(base)
    return theta


@dataclass
class TablePoint:
    minutes: float
    value: float
    low: float
    high: float
    rows: int


def table_curve(fit: CurveFit) -> list[TablePoint]:
    """Observed / expected-at-zero-delay in each delay bucket (Wilson interval, scaled)."""
    d, y = fit.design.delay, fit.design.y
    base = fit.row_base()
    edges = [*DELAY_BINS, math.inf]
    points: list[TablePoint] = []
    for lo, hi in itertools.pairwise(edges):
        rows = (d >= lo) & (d < hi)
        n = int(rows.sum())
        if n < MIN_BIN_ROWS:
            continue
        events = float(y[rows].sum())
        expected = float(base[rows].sum())
        low, high = _wilson(events, n)
        scale = n / expected
        minutes = float(np.median(d[rows]))
        if points and minutes <= points[-1].minutes:
            continue
        value = min(1.0, events / expected)
        points.append(
            TablePoint(
                minutes,
                value,
                min(value, low * scale),
                min(1.0, max(value, high * scale)),
                n,
            )
        )
    return points


def _wilson(events: float, n: int, z: float = Z95) -> tuple[float, float]:
    p = events / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def table_config(points: list[TablePoint]) -> dict[str, Any]:
    pts = [[0, 1.0]] if not points or points[0].minutes > 0 else []
    pts += [[_round_sig(p.minutes, 4), _round_sig(p.value, 4)] for p in points]
    return {"family": "table", "points": pts}


# --------------------------------------------------------------------------- durations and values


@dataclass
class LognormalFit:
    """Lognormal maximum likelihood (or a fixed value when every observation is the same)."""

    mean: Estimate
    sd: Estimate | None
    n: int
    fixed: bool
    values: np.ndarray = field(repr=False)

    @property
    def mu_sigma(self) -> tuple[float, float]:
        sd = self.sd.value if self.sd else 0.0
        sigma2 = math.log1p((sd / self.mean.value) ** 2)
        return math.log(self.mean.value) - sigma2 / 2, math.sqrt(sigma2)


def fit_lognormal(values: np.ndarray) -> LognormalFit:
    x = values[np.isfinite(values) & (values > 0)]
    n = int(x.size)
    if n == 0:
        raise _FitFailed("no positive values")
    if float(x.max() - x.min()) <= 1e-9 * float(x.max()) or np.std(x) / np.mean(x) < 0.005:
        return LognormalFit(Estimate(float(np.median(x)), 0.0, "log", n), None, n, True, x)
    logs = np.log(x)
    mu, sigma = float(logs.mean()), float(logs.std())
    s2 = sigma * sigma
    mean = math.exp(mu + s2 / 2)
    sd = mean * math.sqrt(math.expm1(s2))
    # Cox's interval for the mean: Var(mu + s2/2) = s2/n + s2^2 / (2(n-1)).
    se_log_mean = math.sqrt(s2 / n + s2 * s2 / (2 * max(1, n - 1)))
    # log sd = mu + s2/2 + 0.5 log(expm1(s2)); Var(mu)=s2/n, Var(s2)=2 s2^2/n (delta method).
    dlog_sd_ds2 = 0.5 + 0.5 * math.exp(s2) / math.expm1(s2)
    se_log_sd = math.sqrt(s2 / n + dlog_sd_ds2**2 * 2 * s2 * s2 / n)
    return LognormalFit(
        Estimate(mean, se_log_mean, "log", n), Estimate(sd, se_log_sd, "log", n), n, False, x
    )


def _duration_config(fit: LognormalFit) -> Any:
    if fit.fixed:
        return format_duration(_round_minutes(fit.mean.value))
    assert fit.sd is not None
    return {
        "dist": "lognormal",
        "mean": format_duration(_round_minutes(fit.mean.value)),
        "sd": format_duration(_round_minutes(fit.sd.value)),
    }


def _round_minutes(minutes: float) -> float:
    """Round to a readable duration: whole seconds below an hour, then whole minutes."""
    if minutes < 60:
        return max(1 / 60, round(minutes * 60) / 60)
    return float(round(minutes))


def _round_sig(value: float, digits: int = 4) -> float:
    if value == 0 or not math.isfinite(value):
        return float(value)
    return float(f"{value:.{digits}g}")


# --------------------------------------------------------------------------- the calibration


@dataclass
class CalibrationOptions:
    """Everything ``python -m sim calibrate`` takes."""

    leads: Path
    activities: Path | None = None
    base: Path | None = None
    read: ReadOptions = field(default_factory=ReadOptions)
    family: str = "exponential"
    stratify: str = "source"
    seed: int = 1
    name: str = "calibrated"
    simulate_win_rate: bool = True


@dataclass
class Calibration:
    """The fitted parts, the calibrated experiment and what went into the report."""

    options: CalibrationOptions
    leads: LeadTable
    activities: ActivityTable | None
    base: Experiment
    sources: list[str]
    arrivals: dict[str, ArrivalFit]
    contact: CurveFit | None
    qualification: CurveFit | None
    contact_table: list[TablePoint]
    qualification_table: list[TablePoint]
    strata: dict[str, dict[str, CurveFit]]
    fit_share: dict[str, float]
    intent: dict[str, Estimate]
    reach: dict[str, Estimate]
    funnel: dict[str, dict[str, Estimate]]
    win_share: Estimate | None
    win_rate: Estimate | None
    win_rate_detail: str
    attempts_reached: np.ndarray
    max_attempts: Estimate | None
    steps: list[tuple[float, int]]
    durations: dict[str, LognormalFit]
    voicemail_share: Estimate | None
    deal_values: dict[str, LognormalFit]
    reps: Estimate | None
    warnings: list[str]
    config: dict[str, Any]
    comments: dict[tuple[Any, ...], str]
    experiment: Experiment | None = None
    yaml_text: str = ""
    seconds: float = 0.0
    delays: dict[str, np.ndarray] = field(default_factory=dict)


def calibrate(options: CalibrationOptions) -> Calibration:
    """Read the export(s), fit every part, and build the calibrated experiment (nothing written)."""
    started = time.perf_counter()
    if options.family not in FAMILIES:
        raise ConfigError(f"--family {options.family}: expected one of {', '.join(FAMILIES)}")
    if options.stratify not in STRATA:
        raise ConfigError(f"--stratify {options.stratify}: expected one of {', '.join(STRATA)}")
    base = load_experiment(options.base)
    leads = read_leads(options.leads, options.read)
    activities = (
        read_activities(options.activities, leads, options.read) if options.activities else None
    )
    warnings: list[str] = []
    work = _Work(options, base, leads, activities, warnings)
    cal = work.run()
    cal.seconds = time.perf_counter() - started
    return cal


class _Work:
    """The steps of one calibration, sharing the data and the warnings."""

    def __init__(
        self,
        options: CalibrationOptions,
        base: Experiment,
        leads: LeadTable,
        activities: ActivityTable | None,
        warnings: list[str],
    ) -> None:
        self.options, self.base, self.leads, self.activities = options, base, leads, activities
        self.warnings = warnings
        self.comments: dict[tuple[Any, ...], str] = {}

    def warn(self, text: str) -> None:
        self.warnings.append(text)

    # -- the pieces -------------------------------------------------------------

    def run(self) -> Calibration:
        leads = self.leads
        base_names = [s.name for s in self.base.scenario.sources]
        counts = np.bincount(leads.source, minlength=len(leads.sources))
        names = [n for n in leads.sources if n != REFERRAL_SOURCE]
        if not names:
            raise ConfigError(
                f"{leads.path}: every lead has source {REFERRAL_SOURCE!r}, which is reserved for "
                "referred leads; expected at least one other lead source"
            )
        if REFERRAL_SOURCE in leads.sources:
            n_ref = int(counts[leads.sources.index(REFERRAL_SOURCE)])
            self.warn(
                f"{n_ref:,} leads have source {REFERRAL_SOURCE!r}, the name the simulator reserves for "
                "leads produced by referral requests: they are used for the response curves but not "
                "fitted as a lead source (scenario.referrals is kept from the base experiment)"
            )
        names.sort(
            key=lambda n: (
                base_names.index(n) if n in base_names else len(base_names),
                -counts[leads.sources.index(n)],
            )
        )
        self.names = names
        arrivals = fit_arrivals(leads, names)
        for fit in arrivals.values():
            if fit.profile is None:
                self.warn(
                    f"source {fit.source}: hour-of-week profile not fitted ({fit.note}); "
                    "the default profile is used"
                )
        contact, contact_table, strata_c, d1 = self._contact()
        qualification, qual_table, strata_q, dr = self._qualification()
        fit_share = self._fit_share()
        reach = self._reach(contact)
        intent = self._intent(qualification, fit_share)
        funnel = self._funnel()
        attempts_reached, max_attempts = self._attempts()
        steps = self._steps(max_attempts)
        durations, vm_share = self._durations()
        deal_values = self._deal_values()
        reps = self._reps()
        win_share = self._win_share()
        cal = Calibration(
            options=self.options,
            leads=leads,
            activities=self.activities,
            base=self.base,
            sources=names,
            arrivals=arrivals,
            contact=contact,
            qualification=qualification,
            contact_table=contact_table,
            qualification_table=qual_table,
            strata={"contact": strata_c, "qualification": strata_q},
            fit_share=fit_share,
            intent=intent,
            reach=reach,
            funnel=funnel,
            win_share=win_share,
            win_rate=None,
            win_rate_detail="",
            attempts_reached=attempts_reached,
            max_attempts=max_attempts,
            steps=steps,
            durations=durations,
            voicemail_share=vm_share,
            deal_values=deal_values,
            reps=reps,
            warnings=self.warnings,
            config={},
            comments=self.comments,
            delays={"first_attempt": d1, "reached": dr},
        )
        cal.config = build_config(cal)
        if win_share is not None:
            _fit_win_rate(cal, self.options)
        else:
            self.warn(
                f"fewer than {MIN_QUALIFIED_CLOSED} closed qualified leads: decision.win_rate kept "
                "from the base experiment"
            )
        cal.config = build_config(cal)
        cal.yaml_text = render_yaml(cal)
        data = yaml.safe_load(cal.yaml_text)
        if _normalised(data) != _normalised(cal.config):
            raise RuntimeError("the calibrated YAML does not read back as written (a bug)")
        try:
            cal.experiment = validate_experiment(data, "the calibrated experiment")
        except ConfigError as exc:
            raise ConfigError(f"the calibrated scenario is not valid: {exc}") from None
        return cal

    def _first_attempt_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        leads = self.leads
        attempted = np.isfinite(leads.first_attempt_at)
        delay = leads.first_attempt_at[attempted] - leads.created_at[attempted]
        first = leads.reached[attempted] & (leads.attempts[attempted] == 1)
        return np.flatnonzero(attempted), delay, first

    def _curve(
        self, what: str, index: np.ndarray, delay: np.ndarray, y: np.ndarray, path: str
    ) -> tuple[CurveFit | None, list[TablePoint], dict[str, CurveFit]]:
        leads, opts = self.leads, self.options
        n, events = int(y.size), int(y.sum())
        thin = []
        if n < MIN_CURVE_ROWS:
            thin.append(f"{n} rows (at least {MIN_CURVE_ROWS} needed)")
        if min(events, n - events) < MIN_CURVE_EVENTS:
            thin.append(
                f"{events} successes and {n - events} failures (at least {MIN_CURVE_EVENTS} of each)"
            )
        if (delay < 60).sum() < MIN_SPREAD_ROWS or (delay >= 60).sum() < MIN_SPREAD_ROWS:
            thin.append(
                f"too little spread in the delays ({int((delay < 60).sum())} under an hour, "
                f"{int((delay >= 60).sum())} over; at least {MIN_SPREAD_ROWS} of each)"
            )
        owner = leads.owner[index] if (leads.owner[index] >= 0).any() else None
        if opts.stratify == "source,owner" and owner is None:
            self.warn(
                f"{what}: --stratify source,owner but the export has no owner column; stratified by source only"
            )
        if thin:
            self.warn(
                f"{what} curve not fitted: {'; '.join(thin)}; the base experiment's curve "
                f"({path}) is kept and only the base chances are estimated"
            )
            return None, [], {}
        strata: dict[str, CurveFit] = {}
        chosen = (
            opts.stratify if not (opts.stratify == "source,owner" and owner is None) else "source"
        )
        variants = ["none", "source"] + (["source,owner"] if owner is not None else [])
        if chosen not in variants:
            variants.append(chosen)
        for variant in variants:
            try:
                strata[variant] = fit_curve(
                    what,
                    delay,
                    y,
                    leads.source[index],
                    leads.sources,
                    owner,
                    leads.owners,
                    opts.family,
                    variant,
                )
            except _FitFailed as exc:
                if variant == chosen:
                    self.warn(f"{what} curve not fitted ({exc}); the base curve ({path}) is kept")
                    return None, [], strata
        fit = strata[chosen]
        if fit.at_bound:
            self.warn(
                f"{what} curve: the {', '.join(fit.at_bound)} estimate is at the edge of its range "
                "(no confidence interval); the data barely constrain it"
            )
        return fit, table_curve(fit), strata

    def _contact(self):
        index, delay, first = self._first_attempt_rows()
        fit, table, strata = self._curve(
            "contact", index, delay, first, "scenario.response.contact"
        )
        return fit, table, strata, delay

    def _qualification_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        leads = self.leads
        reached_at = np.where(
            np.isnan(leads.reached_at) & leads.reached & (leads.attempts == 1),
            leads.first_attempt_at,
            leads.reached_at,
        )
        usable = leads.reached & np.isfinite(reached_at)
        missing = int((leads.reached & ~usable).sum())
        if missing:
            self.warn(
                f"{missing:,} reached leads have no reached_at (and more than one attempt): "
                "left out of the qualification curve"
            )
        index = np.flatnonzero(usable)
        return index, reached_at[index] - leads.created_at[index], leads.qualified[index]

    def _qualification(self):
        index, delay, y = self._qualification_rows()
        fit, table, strata = self._curve(
            "qualification", index, delay, y, "scenario.response.qualification"
        )
        return fit, table, strata, delay

    def _base_source(self, name: str) -> LeadTraits:
        for source in self.base.scenario.sources:
            if source.name == name:
                return source
        return LeadTraits()

    def _fit_share(self) -> dict[str, float]:
        """Share of realistic leads among those called, per source (from the base's screening)."""
        scenario, cadence = self.base.scenario, self.base.policy
        shares = {}
        for name in self.names:
            f = self._base_source(name).fit_rate
            if cadence.screening.enabled:
                drop_unfit, drop_fit = cadence.screening.drop_chances(
                    scenario.screening.false_negative_rate, scenario.screening.false_positive_rate
                )
                kept_fit, kept_unfit = f * (1 - drop_fit), (1 - f) * (1 - drop_unfit)
                shares[name] = kept_fit / (kept_fit + kept_unfit) if kept_fit > 0 else 0.0
            else:
                shares[name] = f
        return shares

    def _reach(self, contact: CurveFit | None) -> dict[str, Estimate]:
        if contact is not None:
            return {n: contact.base[n] for n in self.names if n in contact.base}
        # Curve kept: the base chance per source is the ratio of observed to expected reaches.
        curve = self.base.scenario.response.contact.compile()
        index, delay, first = self._first_attempt_rows()
        c = (
            np.array([curve(x) for x in delay])
            if delay.size < 200_000
            else np.vectorize(curve)(delay)
        )
        out = {}
        for code, name in enumerate(self.leads.sources):
            rows = self.leads.source[index] == code
            if name in self.names and rows.sum() >= MIN_CURVE_EVENTS:
                est = proportion(float(first[rows].sum()), float(rows.sum()))
                scale = rows.sum() / c[rows].sum()
                out[name] = Estimate(min(1.0, est.value * scale), est.se, "logit", int(rows.sum()))
        return out

    def _intent(
        self, qualification: CurveFit | None, fit_share: dict[str, float]
    ) -> dict[str, Estimate]:
        skill = self._mean_skill()
        if qualification is not None:
            q = {n: qualification.base[n] for n in self.names if n in qualification.base}
        else:
            curve = self.base.scenario.response.qualification.compile()
            index, delay, y = self._qualification_rows()
            c = np.vectorize(curve)(delay) if delay.size else delay
            q = {}
            for code, name in enumerate(self.leads.sources):
                rows = self.leads.source[index] == code
                if name in self.names and rows.sum() >= MIN_CURVE_EVENTS:
                    est = proportion(float(y[rows].sum()), float(rows.sum()))
                    scale = rows.sum() / c[rows].sum()
                    q[name] = Estimate(
                        min(1.0, est.value * scale), est.se, "logit", int(rows.sum())
                    )
        out = {}
        for name, est in q.items():
            divisor = fit_share[name] * skill
            if divisor <= 0:
                continue
            value = est.value / divisor
            if value > 1:
                self.warn(
                    f"source {name}: the qualified share per conversation ({est.value:.3f}) exceeds "
                    f"what the base file's fit_rate and screening allow (x{fit_share[name]:.3f}); "
                    "intent is capped at 1"
                )
                value = 1.0
            se = None
            if est.se is not None and 0 < value < 1:
                # the same relative error as the base chance (a constant factor)
                se = est.se * est.value * (1 - est.value) / (est.value * (1 - value))
            out[name] = Estimate(value, se, "logit", est.rows)
        return out

    def _mean_skill(self) -> float:
        groups = [g for g in self.base.scenario.reps if g.role in ("generalist", "responder")]
        groups = groups or list(self.base.scenario.reps)
        return sum(g.skill * g.count for g in groups) / sum(g.count for g in groups)

    def _funnel(self) -> dict[str, dict[str, Estimate]]:
        leads = self.leads
        out: dict[str, dict[str, Estimate]] = {}
        groups = [("all", np.ones(len(leads), dtype=bool))] + [
            (n, leads.source == leads.sources.index(n)) for n in self.names
        ]
        for name, rows in groups:
            n = float(rows.sum())
            attempted = rows & (leads.attempts > 0)
            reached = rows & leads.reached
            first = attempted & leads.reached & (leads.attempts == 1)
            qualified = rows & leads.qualified
            closed_q = qualified & np.isfinite(leads.closed_at)
            won = closed_q & leads.won
            out[name] = {
                "attempted": proportion(attempted.sum(), n),
                "reached": proportion(reached.sum(), attempted.sum()),
                "reached on the first attempt": proportion(first.sum(), attempted.sum()),
                "qualified per lead reached": proportion(qualified.sum(), reached.sum()),
                "won per closed qualified lead": proportion(won.sum(), closed_q.sum()),
            }
        return out

    def _win_share(self) -> Estimate | None:
        leads = self.leads
        closed_q = leads.qualified & np.isfinite(leads.closed_at)
        if closed_q.sum() < MIN_QUALIFIED_CLOSED:
            return None
        return proportion(float((closed_q & leads.won).sum()), float(closed_q.sum()))

    def _attempts(self) -> tuple[np.ndarray, Estimate | None]:
        leads = self.leads
        reached = leads.attempts[leads.reached & (leads.attempts > 0)]
        by_attempt = np.bincount(reached, minlength=13)[1:] if reached.size else np.zeros(12)
        never = leads.attempts[~leads.reached & (leads.attempts > 0) & np.isfinite(leads.closed_at)]
        if never.size < MIN_GAPS:
            self.warn(
                f"only {never.size} closed leads were never reached: policy.followup.max_attempts "
                "kept from the base experiment"
            )
            return by_attempt, None
        counts = np.bincount(never)
        mode = int(np.argmax(counts))
        mode = max(1, min(mode, 12))
        share = counts[mode] / never.size
        return by_attempt, Estimate(
            float(mode), None, "linear", int(never.size)
        ) if share > 0 else None

    def _steps(self, max_attempts: Estimate | None) -> list[tuple[float, int]]:
        acts = self.activities
        if acts is None:
            self.warn("no activities file: policy.followup.steps kept from the base experiment")
            return []
        calls = acts.is_call
        lead, at, outcome = acts.lead[calls], acts.at[calls], acts.call_outcome[calls]
        order = np.lexsort((at, lead))
        lead, at, outcome = lead[order], at[order], outcome[order]
        same = lead[1:] == lead[:-1]
        position = np.zeros(lead.size, dtype=np.int64)
        starts = np.r_[True, ~same]
        group_start = np.maximum.accumulate(np.where(starts, np.arange(lead.size), 0))
        position = np.arange(lead.size) - group_start + 1
        gap = at[1:] - at[:-1]
        valid = same & (outcome[:-1] != CONNECTED)
        limit = int(max_attempts.value) if max_attempts else 12
        steps: list[tuple[float, int]] = []
        for k in range(1, limit):
            rows = valid & (position[:-1] == k)
            if rows.sum() < MIN_GAPS:
                break
            steps.append((float(np.median(gap[rows])), int(rows.sum())))
        if not steps:
            self.warn(
                f"fewer than {MIN_GAPS} follow-up gaps in the activities: policy.followup.steps kept "
                "from the base experiment"
            )
        return steps

    def _durations(self) -> tuple[dict[str, LognormalFit], Estimate | None]:
        acts = self.activities
        out: dict[str, LognormalFit] = {}
        if acts is None:
            self.warn("no activities file: action durations kept from the base experiment")
            return out, None
        if "duration_seconds" not in acts.columns:
            self.warn(
                "the activities have no duration_seconds column: action durations kept from the base experiment"
            )
            return out, None
        dur = acts.duration_minutes
        calls = acts.is_call
        voicemails = calls & (acts.call_outcome == VOICEMAIL)
        separate_vm = voicemails.sum() >= MIN_DURATIONS
        groups = {
            "conversation": calls & (acts.call_outcome == CONNECTED),
            "no_answer": calls & ((acts.call_outcome == NO_ANSWER) | (voicemails & ~separate_vm)),
        }
        if separate_vm:
            groups["voicemail"] = voicemails
        for kind, field_name in (
            ("meeting", "meeting"),
            ("nurture", "nurture_touch"),
            ("screen", "screening"),
        ):
            if kind in acts.kinds:
                groups[field_name] = acts.kind == acts.kinds.index(kind)
        for name, rows in groups.items():
            values = dur[rows]
            values = values[np.isfinite(values)]
            if values.size < MIN_DURATIONS:
                if name in ("conversation", "no_answer"):
                    self.warn(
                        f"only {values.size} {name.replace('_', '-')} durations (at least {MIN_DURATIONS} "
                        f"needed): scenario.actions.{name} kept from the base experiment"
                    )
                continue
            try:
                out[name] = fit_lognormal(values)
            except _FitFailed as exc:
                self.warn(
                    f"scenario.actions.{name} not fitted ({exc}); kept from the base experiment"
                )
        vm_share = None
        if separate_vm:
            unanswered = calls & ((acts.call_outcome == NO_ANSWER) | voicemails)
            vm_share = proportion(float(voicemails.sum()), float(unanswered.sum()))
        return out, vm_share

    def _deal_values(self) -> dict[str, LognormalFit]:
        leads = self.leads
        won = leads.won & np.isfinite(leads.deal_value) & (leads.deal_value > 0)
        out = {}
        pooled = None
        if won.sum() >= MIN_DEALS:
            pooled = fit_lognormal(leads.deal_value[won])
        for name in self.names:
            rows = won & (leads.source == leads.sources.index(name))
            if rows.sum() >= MIN_DEALS:
                out[name] = fit_lognormal(leads.deal_value[rows])
            elif pooled is not None:
                out[name] = pooled
                self.warn(
                    f"source {name}: only {int(rows.sum())} won deals with a value (at least {MIN_DEALS} "
                    "needed): the deal value fitted on all sources together is used"
                )
            else:
                self.warn(
                    f"source {name}: only {int(rows.sum())} won deals with a value: deal_value kept "
                    "from the base experiment"
                )
        return out

    def _reps(self) -> Estimate | None:
        leads = self.leads
        rows = (leads.owner >= 0) & np.isfinite(leads.first_attempt_at)
        if rows.sum() == 0:
            self.warn("no owner column: the team size is kept from the base experiment")
            return None
        week = np.floor(
            (leads.first_attempt_at[rows] - leads.first_attempt_at[rows].min()) / 10080.0
        )
        pairs = np.unique(np.stack([week, leads.owner[rows]]), axis=1)
        per_week = np.bincount(pairs[0].astype(np.int64))
        per_week = per_week[per_week > 0]
        return Estimate(float(np.median(per_week)), None, "linear", int(rows.sum()))


def _normalised(data: Any) -> Any:
    """Floats and ints compared as numbers, tuples as lists (for the read-back check)."""
    if isinstance(data, dict):
        return {str(k): _normalised(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_normalised(v) for v in data]
    if isinstance(data, bool) or data is None or isinstance(data, str):
        return data
    if isinstance(data, int | float):
        return round(float(data), 9)
    return data


# --------------------------------------------------------------------------- win rate


def _fit_win_rate(cal: Calibration, options: CalibrationOptions) -> None:
    """Turn the observed won share of qualified leads into ``decision.win_rate``.

    The engine wins a qualified lead early (touches) or at its decision with chance
    ``win_rate x interest``, so the won share is linear in win_rate with everything
    else fixed: simulate the calibrated scenario at win_rate 0 and 1 (same seed, same
    leads), and solve ``share(w) = observed`` on the line through the two points.
    """
    import copy

    from sim.calibration.crm import simulate_export

    target = cal.win_share
    assert target is not None
    config = copy.deepcopy(cal.config)
    config.pop("compare", None)
    config.pop("sweep", None)
    config["replications"] = 1
    scenario = config["scenario"]
    total = sum(float(s["leads_per_week"]) for s in scenario["sources"])
    factor = min(1.0, 1500.0 / total)
    if factor < 1:
        for source in scenario["sources"]:
            source["leads_per_week"] = float(source["leads_per_week"]) * factor
        for group in scenario["reps"]:
            group["count"] = max(1, round(group["count"] * factor))
    scenario.update(warmup="1w", horizon="4w", drain="6w")
    shares = []
    for w in (0.0, 1.0):
        scenario["decision"]["win_rate"] = w
        experiment = validate_experiment(config, "the calibrated experiment")
        recorder = simulate_export(
            experiment.scenario, experiment.policy, np.random.SeedSequence(options.seed)
        )
        start, end = experiment.scenario.window
        rows = [
            r
            for r in recorder.leads
            if r[6] and math.isfinite(r[9]) and start <= r[1] < end and r[2] < len(cal.sources) + 1
        ]
        won = sum(1 for r in rows if r[7])
        shares.append((won / len(rows) if rows else math.nan, len(rows)))
    (p0, n0), (p1, n1) = shares
    if not (math.isfinite(p0) and math.isfinite(p1)) or p1 - p0 < 0.02:
        cal.warnings.append(
            "decision.win_rate kept from the base experiment: in the calibrated scenario the won "
            f"share hardly depends on it (simulated {p0:.3f} at 0 and {p1:.3f} at 1)"
        )
        cal.win_rate_detail = "not fitted"
        return
    slope = p1 - p0
    w = (target.value - p0) / slope
    if w < 0 or w > 1:
        cal.warnings.append(
            f"the observed won share ({target.value:.3f}) is outside what the base decision stage can "
            f"produce ({p0:.3f} to {p1:.3f}); decision.win_rate is set to {min(1.0, max(0.0, w)):.3f}"
        )
    se = None
    if target.se is not None:
        se = target.se * target.value * (1 - target.value) / slope
    cal.win_rate = Estimate(min(1.0, max(0.0, w)), se, "linear", target.rows)
    cal.win_rate_detail = (
        f"won share {target.value:.3f} of {target.rows:,} closed qualified leads; simulating the "
        f"calibrated scenario (seed {options.seed}, {factor:.3g}x volume, 4 weeks) gives {p0:.3f} "
        f"at win_rate 0 ({n0:,} leads) and {p1:.3f} at win_rate 1 ({n1:,} leads), so "
        f"win_rate = ({target.value:.3f} - {p0:.3f}) / {slope:.3f} = {w:.3f}"
    )


# --------------------------------------------------------------------------- the YAML


def _ci_text(est: Estimate, fmt: Callable[[float], str], level: float = 0.95) -> str:
    interval = est.ci(level)
    if interval is None:
        return "no CI"
    return f"95% CI {fmt(interval[0])} to {fmt(interval[1])}"


def _share(v: float) -> str:
    return f"{v:.3f}"


def _minutes(v: float) -> str:
    if v < 1:
        return format_duration(max(1, round(v * 60)) / 60)
    return format_duration(_round_minutes(_round_sig(v, 3)))


def _nice_gap(minutes: float) -> float:
    if minutes < 60:
        return float(max(1, round(minutes)))
    if minutes < 1440:
        return float(max(60, 5 * round(minutes / 5)))
    return float(60 * round(minutes / 60))


def build_config(cal: Calibration) -> dict[str, Any]:
    """The calibrated experiment as config data; ``cal.comments`` gets a comment per fitted value."""
    import copy

    opts = cal.options
    config = copy.deepcopy(cal.base.to_config())
    config.pop("compare", None)
    config.pop("sweep", None)
    comments = cal.comments
    comments.clear()
    config["name"] = opts.name
    config["description"] = (
        f"Calibrated from {opts.leads.name}"
        + (f" and {opts.activities.name}" if opts.activities else "")
        + f" ({len(cal.leads):,} leads); everything not fitted comes from "
        + f"{(opts.base or Path('experiments/baseline.yaml')).name}."
    )
    scenario = config["scenario"]
    base_sources = {s["name"]: s for s in scenario["sources"]}
    sources = []
    for i, name in enumerate(cal.sources):
        path = ("scenario", "sources", i)
        old = base_sources.get(name)
        traits = old or {
            **LeadTraits().model_dump(mode="json"),
            "profile": list(PROFILE_PRESETS["business_hours"]),
        }
        arrival = cal.arrivals[name]
        weeks = arrival.exposure.sum() / HOURS_PER_WEEK
        source: dict[str, Any] = {
            "name": name,
            "leads_per_week": _round_sig(arrival.weekly.value, 4),
        }
        comments[(*path, "name")] = "" if old else "new source (not in the base experiment)"
        comments[(*path, "leads_per_week")] = (
            f"fitted: {arrival.weekly.value:,.1f}/week, "
            f"{_ci_text(arrival.weekly, lambda v: f'{v:,.1f}')}, {arrival.count:,} leads over "
            f"{weeks:.1f} weeks"
        )
        if arrival.profile is not None:
            source["profile"] = [round(float(v), 4) for v in arrival.profile]
            comments[(*path, "profile")] = (
                f"fitted: arrivals per hour of the week / busiest hour, {arrival.count:,} leads "
                "(Poisson MLE per hour; see the report)"
            )
        else:
            source["profile"] = list(traits["profile"])
            comments[(*path, "profile")] = f"NOT fitted ({arrival.note}): default kept"
        for trait, estimates, what in (
            ("intent", cal.intent, "qualified share per conversation at zero delay"),
            ("reachability", cal.reach, "first-attempt reach at zero delay"),
        ):
            source[trait] = dict(traits[trait])
            est = estimates.get(name)
            if est is None:
                comments[(*path, trait, "mean")] = "NOT fitted (too few rows): base value kept"
                continue
            source[trait]["mean"] = _round_sig(est.value, 4)
            extra = ""
            if trait == "intent":
                extra = f" / (realistic share among called {cal.fit_share[name]:.3f} x skill)"
            comments[(*path, trait, "mean")] = (
                f"fitted: {what}{extra}: {est.value:.3f}, {_ci_text(est, _share)}, {est.rows:,} leads"
            )
        deal = cal.deal_values.get(name)
        source["deal_value"] = dict(traits["deal_value"])
        if deal is not None:
            sd = deal.sd.value if deal.sd else 0.0
            source["deal_value"] = {"mean": _round_sig(deal.mean.value, 4), "sd": _round_sig(sd, 3)}
            sd_text = (
                f", sd {sd:,.0f} ({_ci_text(deal.sd, lambda v: f'{v:,.0f}')})" if deal.sd else ""
            )
            comments[(*path, "deal_value")] = (
                f"fitted (lognormal MLE): mean {deal.mean.value:,.0f} "
                f"({_ci_text(deal.mean, lambda v: f'{v:,.0f}')}){sd_text}, {deal.n:,} won deals"
            )
        else:
            comments[(*path, "deal_value")] = "NOT fitted (too few won deals): base value kept"
        source["fit_rate"] = traits["fit_rate"]
        comments[(*path, "fit_rate")] = "not identifiable from the export: base value kept"
        source["patience"] = traits.get("patience")
        sources.append(source)
    scenario["sources"] = sources
    comments[("scenario", "sources")] = (
        f"fitted from {cal.options.leads.name}: one Poisson stream per source"
    )

    response = scenario["response"]
    for what, fit, table in (
        ("contact", cal.contact, cal.contact_table),
        ("qualification", cal.qualification, cal.qualification_table),
    ):
        path = ("scenario", "response", what)
        if fit is None:
            comments[path] = "NOT fitted (data too thin, see the report): base curve kept"
            continue
        if opts.family == "table" and table:
            response[what] = table_config(table)
            comments[path] = (
                f"fitted: observed / expected-at-zero-delay per delay bucket, {fit.n:,} leads "
                f"(the exponential fit: scale {_minutes(fit.scale.value)}, floor {fit.floor.value:.3f})"
            )
            continue
        response[what] = fit.curve_config()
        comments[path] = (
            f"fitted by maximum likelihood ({fit.family}, stratified by {fit.stratify}), "
            f"{fit.n:,} leads, {fit.events:,} {'reached' if what == 'contact' else 'qualified'}"
        )
        comments[(*path, "scale")] = f"{_minutes(fit.scale.value)}, {_ci_text(fit.scale, _minutes)}"
        comments[(*path, "floor")] = f"{fit.floor.value:.3f}, {_ci_text(fit.floor, _share)}"
        if fit.shape is not None:
            comments[(*path, "shape")] = (
                f"{fit.shape.value:.3f}, {_ci_text(fit.shape, lambda v: f'{v:.3f}')}"
            )

    actions = scenario["actions"]
    for name, fit in cal.durations.items():
        actions[name] = _duration_config(fit)
        if fit.fixed:
            comments[("scenario", "actions", name)] = (
                f"fitted: every one of {fit.n:,} activities took {_minutes(fit.mean.value)}"
            )
            continue
        sd = f", sd {_minutes(fit.sd.value)} ({_ci_text(fit.sd, _minutes)})" if fit.sd else ""
        comments[("scenario", "actions", name)] = (
            f"fitted (lognormal MLE): mean {_minutes(fit.mean.value)} "
            f"({_ci_text(fit.mean, _minutes)}){sd}, {fit.n:,} activities"
        )
    if "no_answer" in cal.durations and "voicemail" not in cal.durations:
        actions["voicemail"] = actions["no_answer"]
        comments[("scenario", "actions", "voicemail")] = (
            "the export does not tell voicemails from unanswered dials: both use the fit of every "
            "unreached dial"
        )
    if cal.voicemail_share is not None:
        actions["voicemail_share"] = _round_sig(cal.voicemail_share.value, 3)
        comments[("scenario", "actions", "voicemail_share")] = (
            f"fitted: {cal.voicemail_share.value:.3f}, {_ci_text(cal.voicemail_share, _share)}, "
            f"{cal.voicemail_share.rows:,} unreached dials"
        )
    if cal.win_rate is not None:
        scenario["decision"]["win_rate"] = _round_sig(min(1.0, max(0.0, cal.win_rate.value)), 4)
        comments[("scenario", "decision", "win_rate")] = (
            f"fitted: {cal.win_rate.value:.3f}, {_ci_text(cal.win_rate, _share)} (won share "
            f"{cal.win_share.value:.3f} of {cal.win_share.rows:,} closed qualified leads, mapped "
            "through a simulation of this scenario; see the report)"
            if cal.win_share is not None
            else ""
        )
    if cal.reps is not None:
        groups = scenario["reps"]
        responders = [g for g in groups if g["role"] in ("generalist", "responder")] or groups
        current = sum(g["count"] for g in responders)
        factor = cal.reps.value / current
        for i, group in enumerate(groups):
            group["count"] = max(1, round(group["count"] * factor))
            comments[("scenario", "reps", i, "count")] = (
                f"fitted: {cal.reps.value:.0f} distinct owners of first attempts per week (median), "
                f"{cal.reps.rows:,} leads"
                + (f"; base groups scaled by {factor:.3g}" if len(groups) > 1 else "")
            )

    followup = config["policy"]["followup"]
    if cal.max_attempts is not None or cal.steps:
        if followup.get("name") != "steps":
            followup = {
                "name": "steps",
                "max_attempts": followup.get("max_attempts", 6),
                "on_time_window": followup.get("on_time_window", "1h"),
                "steps": ["5m", "1h", "1d", "3d", "1w"],
            }
            config["policy"]["followup"] = followup
        if cal.max_attempts is not None:
            followup["max_attempts"] = int(cal.max_attempts.value)
            comments[("policy", "followup", "max_attempts")] = (
                f"fitted: the most common number of attempts on never-reached leads, "
                f"{cal.max_attempts.rows:,} leads"
            )
        if cal.steps:
            followup["steps"] = [format_duration(_nice_gap(g)) for g, _ in cal.steps]
            comments[("policy", "followup", "steps")] = (
                "fitted: median gap after each unanswered attempt ("
                + ", ".join(f"{_minutes(g)}: {n:,}" for g, n in cal.steps)
                + " gaps); includes waits for working hours"
            )
    return config


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = repr(value)
        return text if "inf" not in text and "nan" not in text else f".{text}"
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    return text.removesuffix("\n...").removesuffix("...").strip()


def _flow(value: Any) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    return _scalar(value)


def _emit(
    node: dict[str, Any], indent: int, path: tuple[Any, ...], comments: dict, out: list[str]
) -> None:
    pad = " " * indent
    for key, value in node.items():
        here = (*path, key)
        note = comments.get(here, "")
        note = f"  # {note}" if note else ""
        if isinstance(value, dict) and value:
            out.append(f"{pad}{key}:{note}")
            _emit(value, indent + 2, here, comments, out)
        elif key == "profile" and isinstance(value, list) and len(value) == HOURS_PER_WEEK:
            out.append(f"{pad}{key}:{note}")
            for day in range(7):
                values = ", ".join(_scalar(v) for v in value[day * 24 : day * 24 + 24])
                opener = "[" if day == 0 else " "
                closer = "]" if day == 6 else ","
                out.append(f"{pad}  {opener}{values}{closer}  # {DAY_NAMES[day]} 00-23h")
        elif isinstance(value, list) and any(isinstance(v, dict) for v in value):
            out.append(f"{pad}{key}:{note}")
            for i, item in enumerate(value):
                lines: list[str] = []
                _emit(item, indent + 4, (*here, i), comments, lines)
                if not lines:
                    out.append(f"{pad}  - {{}}")
                    continue
                first = lines[0]
                lines[0] = f"{pad}  - {first[indent + 4 :]}"
                out.extend(lines)
        else:
            out.append(f"{pad}{key}: {_flow(value)}{note}")


def render_yaml(cal: Calibration) -> str:
    """The calibrated experiment as YAML text, a comment on each fitted value."""
    opts = cal.options
    head = [
        f"# Calibrated by `python -m sim calibrate` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC from",
        f"#   {opts.leads}"
        + (f" and {opts.activities}" if opts.activities else "")
        + f" ({len(cal.leads):,} leads used, {cal.leads.skipped.total:,} skipped"
        + (
            f"; {len(cal.activities):,} activities used, {cal.activities.skipped.total:,} skipped"
            if cal.activities is not None
            else ""
        )
        + ").",
        f"# Base experiment (everything not fitted): {opts.base or 'experiments/baseline.yaml'}.",
        "# Each fitted value carries a comment: the estimate, its 95% confidence interval and the",
        "# rows used. Values marked NOT fitted fell back to the base (see the warnings in the report).",
        f"# Response curves: family {opts.family}, stratified by {opts.stratify}. Historical response",
        "# times were not random: read 'Selection bias' in the calibration report before trusting",
        "# what-if results about speed to lead.",
    ]
    if cal.warnings:
        head.append("# Warnings:")
        head += [f"#   - {w}" for w in cal.warnings]
    lines: list[str] = []
    _emit(cal.config, 0, (), cal.comments, lines)
    return "\n".join(head) + "\n\n" + "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- the report


SELECTION_BIAS = (
    "Historical response times were not assigned at random. The leads your team called "
    "within minutes differ from the leads it called hours or days later: they arrived in "
    "office hours rather than at night or at the weekend, they came from different sources, "
    "different reps picked them up, and reps may have picked the promising-looking ones first. "
    "So the fitted curves describe how reach and qualification varied with the delay in your "
    "history; they measure what calling faster would change only if nothing else differs "
    "between fast-called and slow-called leads. The fit adjusts for what the export shows: "
    "each source (and, with --stratify source,owner, each rep who made the first attempt) has "
    "its own base chance, so the curve is estimated from delay differences within a source "
    "(and rep). What the export does not show (how good a lead looked to the rep, time of "
    "day effects on who answers) remains. Compare the pooled and stratified curves below: "
    "if adjusting for source and owner moves the curve a lot, unobserved differences may "
    "move it too, and speed-to-lead what-ifs deserve caution."
)


def _figure(width: float = 7.5, height: float = 3.2):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _png(fig: Any) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _delay_axis(ax: Any) -> None:
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xticks([0, 5, 30, 240, 1440, 10080])
    ax.set_xticklabels(["0", "5m", "30m", "4h", "1d", "1w"])
    ax.set_xlabel("delay since the lead arrived")


def _arrival_figures(cal: Calibration) -> list[tuple[str, str]]:
    from matplotlib.ticker import MaxNLocator

    figures = []
    for name in cal.sources:
        fit = cal.arrivals[name]
        fig = _figure(7.5, 3.6)
        top, bottom = fig.subplots(2, 1, height_ratios=[1.4, 1])
        rates = np.nan_to_num(fit.rates)
        err = np.where(fit.exposure > 0, Z95 * np.sqrt(fit.counts) / np.maximum(fit.exposure, 1), 0)
        top.bar(np.arange(168), rates, width=1.0, color="#9ecae1", label="observed leads per hour")
        top.errorbar(np.arange(168), rates, yerr=err, fmt="none", ecolor="#3182bd", lw=0.6)
        profile = cal.config["scenario"]["sources"][cal.sources.index(name)]["profile"]
        weights = np.asarray(profile, dtype=float)
        fitted = fit.weekly.value * weights / weights.sum()
        top.step(
            np.arange(168), fitted, where="mid", color="#d62728", lw=1.2, label="profile written"
        )
        top.set_xticks(np.arange(0, 168, 24), [d.title() for d in DAY_NAMES])
        top.set_ylabel("leads / hour")
        top.legend(fontsize=7, loc="upper right")
        top.set_title(f"{name}: arrivals by hour of the week (95% Poisson bars)", fontsize=9)
        observed = fit.weekly_counts
        expected = fit.weekly.value * fit.week_exposure / HOURS_PER_WEEK
        weeks = np.arange(observed.size)
        bottom.plot(weeks, observed, "o", ms=3, color="#3182bd", label="observed per calendar week")
        bottom.plot(weeks, expected, "-", color="#d62728", lw=1, label="fitted (x exposure)")
        low = stats.poisson.ppf(0.025, np.maximum(expected, 1e-9))
        high = stats.poisson.ppf(0.975, np.maximum(expected, 1e-9))
        bottom.fill_between(weeks, low, high, color="#d62728", alpha=0.15, lw=0)
        bottom.set_xlabel("week of the export")
        bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
        bottom.set_ylabel("leads")
        bottom.legend(fontsize=7)
        figures.append((f"Arrivals: {name}", _png(fig)))
    return figures


def _bins(delay: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """The delay buckets with enough rows: (median delay, row mask)."""
    edges = [*DELAY_BINS, math.inf]
    out = []
    for lo, hi in itertools.pairwise(edges):
        rows = (delay >= lo) & (delay < hi)
        if rows.sum() >= MIN_BIN_ROWS:
            out.append((float(np.median(delay[rows])), rows))
    return out


def _curve_figure(cal: Calibration, what: str) -> tuple[str, str] | None:
    fit = cal.contact if what == "contact" else cal.qualification
    table = cal.contact_table if what == "contact" else cal.qualification_table
    if fit is None:
        return None
    fig = _figure(7.5, 3.3)
    left, right = fig.subplots(1, 2)
    grid = np.concatenate([[0.0], np.geomspace(0.5, 20160, 200)])
    left.errorbar(
        [p.minutes for p in table],
        [p.value for p in table],
        yerr=[[p.value - p.low for p in table], [p.high - p.value for p in table]],
        fmt="o",
        ms=3,
        color="#3182bd",
        label="observed / expected at 0 (table)",
    )
    left.plot(grid, fit.value(grid), color="#d62728", label=f"{fit.family} MLE ({fit.stratify})")
    pooled = cal.strata[what].get("none")
    if pooled is not None and pooled is not fit:
        left.plot(
            grid, pooled.value(grid), "--", color="#555", lw=1, label="pooled (no adjustment)"
        )
    _delay_axis(left)
    left.set_ylim(0, 1.1)
    left.set_ylabel(f"{what} curve")
    left.legend(fontsize=6.5)
    left.set_title(f"{what} curve (95% bars)", fontsize=9)
    colours = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02"]
    delay, y = fit.design.delay, fit.design.y
    expected = fit.row_base() * fit.value(delay)
    for code, name in enumerate(fit.sources):
        mine = fit.source_codes == code
        if name not in cal.sources or mine.sum() < MIN_BIN_ROWS:
            continue
        pts = [
            (median, float(y[rows].mean()), float(expected[rows].mean()))
            for median, rows in _bins(np.where(mine, delay, -1.0))
        ]
        colour = colours[code % len(colours)]
        right.plot(
            [p[0] for p in pts],
            [p[1] for p in pts],
            "o",
            ms=3,
            color=colour,
            label=f"{name} observed",
        )
        right.plot(
            [p[0] for p in pts],
            [p[2] for p in pts],
            "-",
            color=colour,
            lw=1,
            label=f"{name} fitted",
        )
    _delay_axis(right)
    right.set_ylabel(
        "reached on first attempt" if what == "contact" else "qualified per reached lead"
    )
    right.legend(fontsize=6)
    right.set_title("observed vs fitted, by source", fontsize=9)
    return f"Response curve: {what}", _png(fig)


def _attempts_figure(cal: Calibration) -> tuple[str, str] | None:
    counts = cal.attempts_reached
    if counts.sum() == 0:
        return None
    fig = _figure(6.0, 2.8)
    ax = fig.subplots()
    k = np.arange(1, counts.size + 1)
    ax.bar(k, counts / counts.sum(), color="#9ecae1", label="share of reached leads")
    ax.plot(k, np.cumsum(counts) / counts.sum(), "o-", color="#d62728", ms=3, label="cumulative")
    ax.set_xlabel("attempt that reached the lead")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7)
    ax.set_title("Attempts to reach", fontsize=9)
    return "Attempts to reach", _png(fig)


def _lognormal_figure(title: str, fit: LognormalFit, unit: str, log_x: bool) -> str:
    fig = _figure(4.0, 2.6)
    ax = fig.subplots()
    x = fit.values
    if fit.fixed:
        ax.hist(x, bins=20, color="#9ecae1")
        ax.axvline(fit.mean.value, color="#d62728", label="fixed value written")
    else:
        lo, hi = np.quantile(x, [0.001, 0.995])
        bins = np.geomspace(max(lo, 1e-6), hi, 40) if log_x else np.linspace(0, hi, 40)
        ax.hist(x, bins=bins, density=True, color="#9ecae1", label="observed")
        mu, sigma = fit.mu_sigma
        grid = (
            np.geomspace(bins[0], bins[-1], 200)
            if log_x
            else np.linspace(max(bins[0], 1e-6), bins[-1], 200)
        )
        ax.plot(
            grid,
            stats.lognorm.pdf(grid, sigma, scale=math.exp(mu)),
            color="#d62728",
            label="lognormal MLE",
        )
        if log_x:
            ax.set_xscale("log")
    ax.set_xlabel(unit)
    ax.legend(fontsize=7)
    ax.set_title(title, fontsize=9)
    return _png(fig)


def _esc(value: Any) -> str:
    return html.escape(str(value))


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _est_row(
    label: str, est: Estimate | None, fmt: Callable[[float], str], method: str
) -> list[Any]:
    if est is None:
        return [label, "not fitted", "", "", method]
    interval = est.ci()
    ci = f"{fmt(interval[0])} to {fmt(interval[1])}" if interval else "n/a"
    return [label, fmt(est.value), ci, f"{est.rows:,}", method]


def _fitted_rows(cal: Calibration) -> list[list[Any]]:
    rows: list[list[Any]] = []
    for name in cal.sources:
        a = cal.arrivals[name]
        rows.append(
            _est_row(
                f"{name}: leads per week",
                a.weekly,
                lambda v: f"{v:,.1f}",
                "Poisson MLE per hour of week",
            )
        )
        rows.append(
            _est_row(
                f"{name}: reachability (zero delay)",
                cal.reach.get(name),
                _share,
                "Bernoulli MLE, first attempts",
            )
        )
        rows.append(
            _est_row(
                f"{name}: intent (zero delay)",
                cal.intent.get(name),
                _share,
                "Bernoulli MLE, conversations / fit share",
            )
        )
        deal = cal.deal_values.get(name)
        rows.append(
            _est_row(
                f"{name}: deal value mean",
                deal.mean if deal else None,
                lambda v: f"{v:,.0f}",
                "lognormal MLE (Cox CI)",
            )
        )
        rows.append(
            _est_row(
                f"{name}: deal value sd",
                deal.sd if deal else None,
                lambda v: f"{v:,.0f}",
                "lognormal MLE (delta method)",
            )
        )
    for what, fit in (("contact", cal.contact), ("qualification", cal.qualification)):
        if fit is None:
            rows.append([f"{what} curve", "not fitted", "", "", "base curve kept"])
            continue
        method = (
            f"Bernoulli MLE, {fit.family}, strata: {fit.stratify}; Wald CI (Fisher information)"
        )
        rows.append(_est_row(f"{what} curve: scale", fit.scale, _minutes, method))
        rows.append(_est_row(f"{what} curve: floor", fit.floor, _share, method))
        if fit.shape is not None:
            rows.append(_est_row(f"{what} curve: shape", fit.shape, lambda v: f"{v:.3f}", method))
    rows.append(
        _est_row(
            "won share of closed qualified leads", cal.win_share, _share, "binomial, logit Wald CI"
        )
    )
    rows.append(
        _est_row("decision.win_rate", cal.win_rate, _share, "simulated moment (linear map)")
    )
    for name, fit in cal.durations.items():
        rows.append(
            _est_row(
                f"actions.{name}: mean",
                fit.mean,
                _minutes,
                "fixed" if fit.fixed else "lognormal MLE (Cox CI)",
            )
        )
        if fit.sd is not None:
            rows.append(
                _est_row(f"actions.{name}: sd", fit.sd, _minutes, "lognormal MLE (delta method)")
            )
    if cal.voicemail_share is not None:
        rows.append(_est_row("actions.voicemail_share", cal.voicemail_share, _share, "binomial"))
    rows.append(
        _est_row(
            "followup.max_attempts",
            cal.max_attempts,
            lambda v: f"{v:.0f}",
            "mode on never-reached leads",
        )
    )
    rows.append(
        _est_row(
            "reps (first-attempt owners per week)",
            cal.reps,
            lambda v: f"{v:.0f}",
            "median over weeks",
        )
    )
    return rows


def render_report(cal: Calibration, yaml_path: Path | None = None) -> str:
    """The calibration report: a self-contained HTML page (images as base64 PNG, no scripts)."""
    leads, acts, opts = cal.leads, cal.activities, cal.options
    parts: list[str] = []
    add = parts.append
    add(f"<h1>Calibration report: {_esc(opts.name)}</h1>")
    add(
        "<p class=meta>"
        + _esc(
            f"{leads.path}: {leads.rows_read:,} rows read, {len(leads):,} leads used, "
            f"{leads.skipped.total:,} skipped"
            + (
                f"; {acts.path}: {acts.rows_read:,} rows read, {len(acts):,} used, "
                f"{acts.skipped.total:,} skipped"
                if acts is not None
                else "; no activities file"
            )
            + f". Time zone {leads.tz}; week 0 starts {leads.week_start:%Y-%m-%d}. "
            f"Base experiment: {opts.base or 'experiments/baseline.yaml'}. "
            f"Calibrated in {cal.seconds:.1f} s"
            + (f"; written to {yaml_path}" if yaml_path else "")
            + "."
        )
        + "</p>"
    )
    add("<h2>Warnings</h2>")
    if cal.warnings:
        add("<ul class=warn>" + "".join(f"<li>{_esc(w)}</li>" for w in cal.warnings) + "</ul>")
    else:
        add("<p>None: every part was fitted from the data.</p>")
    add("<h2>Skipped rows</h2>")
    skipped_rows = []
    for label, table in (("leads", leads), ("activities", acts)):
        if table is None:
            continue
        for reason, count in table.skipped.counts.most_common():
            lines = ", ".join(str(x) for x in table.skipped.examples.get(reason, []))
            skipped_rows.append([label, reason, f"{count:,}", lines])
    if skipped_rows:
        add(_table(["file", "reason", "rows skipped", "first lines"], skipped_rows))
    else:
        add("<p>No row was skipped.</p>")
    add("<h2>Selection bias: what the response curves can and cannot tell</h2>")
    add(f"<p>{_esc(SELECTION_BIAS)}</p>")
    strata_rows = []
    for what in ("contact", "qualification"):
        for variant, fit in cal.strata.get(what, {}).items():
            strata_rows.append(
                [
                    what,
                    variant
                    + (
                        " (written)"
                        if fit is (cal.contact if what == "contact" else cal.qualification)
                        else ""
                    ),
                    f"{_minutes(fit.scale.value)} ({_ci_text(fit.scale, _minutes)})",
                    f"{fit.floor.value:.3f} ({_ci_text(fit.floor, _share)})",
                    f"{fit.shape.value:.3f}" if fit.shape else "",
                    f"{fit.nll:,.1f}",
                    f"{fit.n:,}",
                ]
            )
    if strata_rows:
        add(
            _table(
                ["curve", "base chance by", "scale", "floor", "shape", "-log likelihood", "leads"],
                strata_rows,
            )
        )
    add("<h2>Fitted values</h2>")
    add(
        "<p>Likelihoods: arrivals are a Poisson process with one rate per hour of the week; "
        "contact is a Bernoulli trial per lead (its first attempt: reached or not, "
        "P = reach_source x contact(delay)); qualification is a Bernoulli trial per reached "
        "lead (P = q_source x qualification(delay to the reaching call)); intent = q_source / "
        "(share of realistic leads among those called x rep skill), both from the base "
        "experiment. Intervals are 95%: Wald on the log or logit scale from the inverse Fisher "
        "information for the curves, Poisson for volumes, Cox for lognormal means.</p>"
    )
    add(_table(["parameter", "estimate", "95% CI", "rows", "method"], _fitted_rows(cal)))
    if cal.win_rate_detail:
        add(f"<p>Win rate: {_esc(cal.win_rate_detail)}.</p>")
    add("<h2>Funnel</h2>")
    funnel_rows = []
    for name, rates in cal.funnel.items():
        for label, est in rates.items():
            funnel_rows.append([name, *_est_row(label, est, _share, "")[:4]])
    add(_table(["source", "rate", "share", "95% CI", "denominator"], funnel_rows))
    if leads.lost_reasons:
        lost = np.bincount(
            leads.lost_reason[leads.lost_reason >= 0], minlength=len(leads.lost_reasons)
        )
        add(
            _table(
                ["lost reason", "leads"],
                [[r, f"{c:,}"] for r, c in zip(leads.lost_reasons, lost, strict=True)],
            )
        )
    d1 = cal.delays.get("first_attempt")
    if d1 is not None and d1.size:
        q = np.quantile(d1, [0.25, 0.5, 0.75, 0.9])
        add(
            "<p>Time to first attempt: "
            + _esc(
                ", ".join(
                    f"{int(p * 100)}% within {_minutes(v)}"
                    for p, v in zip([0.25, 0.5, 0.75, 0.9], q, strict=True)
                )
            )
            + ".</p>"
        )
    if cal.steps:
        add(
            _table(
                ["after attempt", "median gap", "gaps"],
                [[i + 1, _minutes(g), f"{n:,}"] for i, (g, n) in enumerate(cal.steps)],
            )
        )
    add("<h2>Observed vs fitted</h2>")
    figures = []
    figures += _arrival_figures(cal)
    for what in ("contact", "qualification"):
        figure = _curve_figure(cal, what)
        if figure:
            figures.append(figure)
    attempts = _attempts_figure(cal)
    if attempts:
        figures.append(attempts)
    for name, fit in cal.durations.items():
        figures.append(
            (f"Duration: {name}", _lognormal_figure(f"actions.{name}", fit, "minutes", False))
        )
    seen: set[int] = set()
    for name, fit in cal.deal_values.items():
        if id(fit) in seen:
            continue
        seen.add(id(fit))
        figures.append(
            (f"Deal value: {name}", _lognormal_figure(f"deal value: {name}", fit, "value", True))
        )
    for title, data in figures:
        add(
            f'<figure><img src="data:image/png;base64,{data}" alt="{_esc(title)}"><figcaption>{_esc(title)}</figcaption></figure>'
        )
    add("<h2>The calibrated experiment</h2>")
    add(f"<pre>{_esc(cal.yaml_text)}</pre>")
    style = (
        "body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222;padding:0 1em}"
        "table{border-collapse:collapse;margin:1em 0;font-size:0.85em}"
        "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}"
        "th{background:#f2f2f2}.warn li{color:#8a4b00}.meta{color:#555}"
        "figure{margin:1em 0}img{max-width:100%}pre{font-size:0.75em;background:#f8f8f8;padding:1em;overflow-x:auto}"
    )
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>Calibration report: {_esc(opts.name)}</title><style>{style}</style></head><body>"
        + "\n".join(parts)
        + "</body></html>\n"
    )


# --------------------------------------------------------------------------- writing


def default_report_path(out: Path) -> Path:
    return out.with_name(out.stem + ".calibration.html")


def write_calibration(cal: Calibration, out: Path, report: Path | None = None) -> tuple[Path, Path]:
    """Write the YAML and the report atomically: both are staged, then renamed into place."""
    report = report or default_report_path(out)
    html_text = render_report(cal, out)
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in ((out, cal.yaml_text), (report, html_text)):
            path.parent.mkdir(parents=True, exist_ok=True)
            f, name = stage_file(path)
            staged.append((name, path))
            with f:
                f.write(text)
        for temp, path in staged:
            os.replace(temp, path)
    finally:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)
    return out, report


def experiment_name(out: Path) -> str:
    """A valid experiment name from the output file name."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", out.stem).strip("._-") or "calibrated"
    return name if name[0].isalnum() else f"c{name}"
