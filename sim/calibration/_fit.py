"""Maximum-likelihood fits: response curves (Fisher scoring) and lognormal durations and values.

**Response curves**, with the engine's model. A first attempt made *d* minutes after the
lead arrived reaches it with probability ``reach_s x contact(d)``; a lead reached (first
time) *d* minutes after it arrived qualifies with probability ``q_s x qualification(d)``.
Each is a Bernoulli likelihood over leads (one independent trial per lead), maximised
jointly over the curve (``exponential`` or ``weibull`` family) and the base chances, which
are ``logistic(a_source [+ b_owner])``. Confidence intervals are Wald intervals on the
transformed parameters (log scale, logit floor) from the inverse Fisher information,
mapped back. :func:`table_curve` gives the piecewise view: observed over expected at zero
delay, per delay bucket.

**Lognormal**: maximum likelihood on the logs, with Cox's interval for the mean.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit, logit

from sim.analysis.stats import wilson_interval
from sim.calibration._estimate import Estimate
from sim.config.units import MINUTES_PER_DAY, MINUTES_PER_WEEK

DELAY_BINS = (0.0, 5.0, 10.0, 30.0, 60.0, 120.0, 240.0, 480.0, MINUTES_PER_DAY,
              2 * MINUTES_PER_DAY, 4 * MINUTES_PER_DAY, MINUTES_PER_WEEK)  # fmt: skip
"""Edges (minutes) of the delay buckets of the table curve and the observed-vs-fitted plots."""

MIN_BIN_ROWS = 30
"""Rows a delay bucket needs to be shown or used."""
MAX_OWNER_LEVELS = 100
"""Owners given their own base chance at most (``--stratify source,owner``); the rest lumped."""
MIN_OWNER_ROWS = 30
"""Rows an owner needs for its own base chance."""


class FitFailed(Exception):
    """A fit that the data cannot support (the caller falls back to the default)."""


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
        """Curve parameters: scale and floor, plus shape for a Weibull."""
        return 3 if self.family == "weibull" else 2

    @property
    def size(self) -> int:
        """All parameters: one intercept per source, one per owner but the first, the curve's."""
        return self.n_source + self.n_owner - 1 + self.n_curve

    def subset(self, index: np.ndarray) -> _Design:
        """The same design on the rows *index* (for a quick start on a sample)."""
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
        """*theta* as source intercepts, owner effects (the first owner's is 0) and curve parameters."""
        s, o = self.n_source, self.n_owner
        a = theta[:s]
        b = np.concatenate([[0.0], theta[s : s + o - 1]])
        return a, b, theta[s + o - 1 :]

    def curve(
        self, curve_params: np.ndarray, delay: np.ndarray | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
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

    def evaluate(
        self, theta: np.ndarray, info: bool = False
    ) -> tuple[float, np.ndarray, np.ndarray | None]:
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
        """Lower and upper limits of each parameter (scale from 30 seconds to 1e6 minutes)."""
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
        """The fitted curve at *delay* minutes."""
        d = np.atleast_1d(np.asarray(delay, dtype=float))
        _, _, cp = self.design.split(self.theta)
        return self.design.curve(cp, d)[0]

    def row_base(self) -> np.ndarray:
        """Each row's fitted chance at zero delay."""
        a, b, _ = self.design.split(self.theta)
        return expit(a[self.design.source] + b[self.design.owner])


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
        raise FitFailed("the likelihood maximisation did not converge")
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


def _start(design: _Design, tau: float, floor: float) -> np.ndarray:
    """Starting parameters: the curve at *tau* and *floor*, each source's base chance matched."""
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
    """One delay bucket of the table curve: median delay, observed / expected, 95% bounds."""

    minutes: float
    value: float
    low: float
    high: float
    rows: int


def delay_buckets(delay: np.ndarray) -> list[tuple[float, np.ndarray]]:
    """The :data:`DELAY_BINS` buckets with at least :data:`MIN_BIN_ROWS` rows, as
    ``(median delay, row mask)``."""
    edges = [*DELAY_BINS, math.inf]
    out = []
    for lo, hi in itertools.pairwise(edges):
        rows = (delay >= lo) & (delay < hi)
        if rows.sum() >= MIN_BIN_ROWS:
            out.append((float(np.median(delay[rows])), rows))
    return out


def table_curve(fit: CurveFit) -> list[TablePoint]:
    """Observed / expected-at-zero-delay in each delay bucket (Wilson interval, scaled)."""
    y = fit.design.y
    base = fit.row_base()
    points: list[TablePoint] = []
    for minutes, rows in delay_buckets(fit.design.delay):
        n = int(rows.sum())
        events = float(y[rows].sum())
        expected = float(base[rows].sum())
        low, high = wilson_interval(events, n)
        scale = n / expected
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
        """The lognormal's parameters: mean and sd of the log."""
        sd = self.sd.value if self.sd else 0.0
        sigma2 = math.log1p((sd / self.mean.value) ** 2)
        return math.log(self.mean.value) - sigma2 / 2, math.sqrt(sigma2)


def fit_lognormal(values: np.ndarray) -> LognormalFit:
    """Fit the positive finite *values*; raises :class:`FitFailed` when there are none."""
    x = values[np.isfinite(values) & (values > 0)]
    n = int(x.size)
    if n == 0:
        raise FitFailed("no positive values")
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
