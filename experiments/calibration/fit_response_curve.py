"""Fit the default response curves to the published speed-to-lead figures.

A notebook-style script: run it top to bottom with

    python experiments/calibration/fit_response_curve.py                 # about 4 minutes
    python experiments/calibration/fit_response_curve.py --leads 50000   # quicker engine check
    python experiments/calibration/fit_response_curve.py --no-engine     # fast model only (~1 min)

What it does (the reasoning is written up in docs/response_curve.md):

1. Reads the lead traits of the default experiment's first source (web_form), the
   follow-up cadence, the action times and the fatigue settings from
   experiments/baseline.yaml.
2. Builds a fast semi-analytic model of P(reached on the first call | d) and
   P(qualified | d), follow-ups included, for a first-attempt delay d.
3. Fits two candidate pairs of curves by minimising squared log-ratio errors
   against the five published ratios of design section 5 (scipy.optimize):
   S: contact and qualification both sums of exponentials with a floor;
   W: contact a Weibull (shape 2) with a floor, qualification an exponential
      fade with a floor (a one-component sum of exponentials).
4. Shows why no curve meets all five figures at once (the two MIT 25-30 minute
   figures pull against the HBR hour-2 and 24 h+ figures).
5. Runs the default experiment briefly under each candidate: a curve that fits the
   ratios but makes the baseline implausible (qualified share outside about
   8-20% of leads) is not a usable default.
6. Rounds the chosen curves to readable values, re-checks them, verifies them in
   the real engine exactly as ``sim.lead_response.check_lead_response`` does, and
   prints the YAML for baseline.yaml.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import optimize, special, stats

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

from policies.speed_to_lead import ForcedDelay  # noqa: E402
from sim.analysis.replications import run  # noqa: E402
from sim.config.durations import format_duration  # noqa: E402
from sim.config.scenario import ResponseModel  # noqa: E402
from sim.experiment import DEFAULT_EXPERIMENT, load_experiment  # noqa: E402
from sim.validation.lead_response import PUBLISHED as ALL_PUBLISHED  # noqa: E402
from sim.validation.lead_response import (  # noqa: E402
    check_lead_response,
)
from sim.validation.published import Judged  # noqa: E402

PUBLISHED = tuple(s for s in ALL_PUBLISHED if s.outcome in ("qualified", "reached_first"))
"""The five HBR/MIT ratios the curves are fitted to (the seed's won ratio is only checked)."""
TOLERANCE_FACTOR = 1.3
"""This derivation's acceptance band for the fast model: within 30% of each figure.
``validate`` judges the engine by its confidence interval alone."""

Curve = Callable[[np.ndarray], np.ndarray]

# %% 1. Inputs from the default experiment -------------------------------------
#
# The check (sim/lead_response.py) runs the first source of baseline.yaml with so
# many reps that nobody waits, holds each new lead for a forced delay d before its
# first call, and then follows up on the default cadence. Everything the fast
# model needs is read from the same file, so a change to the traits or the cadence
# is picked up by re-running this script.

EXPERIMENT = load_experiment(DEFAULT_EXPERIMENT)
SOURCE = EXPERIMENT.scenario.sources[0]
ACTIONS = EXPERIMENT.scenario.actions
FATIGUE = EXPERIMENT.scenario.fatigue
FOLLOWUP = EXPERIMENT.policy.followup
ATTEMPTS = FOLLOWUP.max_attempts
GAPS = [FOLLOWUP.gap_after(k) for k in range(1, ATTEMPTS)]  # minutes after attempt k ends

# Reachability varies by lead (beta distribution): integrate over it on a grid of
# equally likely values (beta quantiles), because leads that are easy to reach get
# reached early and drop out of the follow-ups.
_a = SOURCE.reachability.mean * SOURCE.reachability.concentration
_b = SOURCE.reachability.concentration - _a
REACHABILITY = stats.beta.ppf((np.arange(200) + 0.5) / 200, _a, _b)
# Intent varies by lead too, but it enters once (at the one conversation) and
# independently of reachability, so its mean is enough.
INTENT = SOURCE.intent.mean
FIT = SOURCE.fit_rate
# An attempt that does not reach the lead is a no-answer dial or a voicemail.
UNANSWERED = [
    (ACTIONS.no_answer.mean, 1 - ACTIONS.voicemail_share),
    (ACTIONS.voicemail.mean, ACTIONS.voicemail_share),
]
UNANSWERED_MEAN = sum(minutes * p for minutes, p in UNANSWERED)


# %% 2. The fast model ------------------------------------------------------------
#
# For a lead first called d minutes after arriving, attempt k happens at t_k(d):
# t_1 = d, t_{k+1} = t_k + (length of the unanswered attempt k) + gap_k. Reps are
# always free in the check, so there is no queueing. The engine then does, per
# attempt (sim/engine.py, _begin_attempt):
#
#   reached   with probability  reachability x contact(t_k)
#   qualified (if reached, and the lead is a realistic prospect, fit)
#             with probability  intent x qualification(t_k)
#   a reached lead is never called again (qualified or not);
#   every touch may make the lead opt out (fatigue), which closes it.
#
# So, with r the lead's reachability and c_k = contact(t_k), q_k = qualification(t_k),
# o_k the opt-out chance of touch k:
#
#   P(reached first | d) = E[r] c_1
#   P(qualified | d)     = fit x E[intent] x E_r[ sum_k S_k(r) r c_k (1 - o_k) q_k ],
#   S_k(r)               = prod_{j<k} (1 - r c_j)(1 - o_j)   (still open before attempt k)
#
# The lengths of the first two unanswered attempts are enumerated (they shift the
# early follow-ups by a minute, which matters while contact falls fast); later ones
# use their mean (a minute does not matter after an hour or a day). Compared with
# the engine bucket by bucket, this model agrees within the engine's sampling noise.


def attempt_times(delays: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Attempt times, shape (4 duration combinations, len(delays), ATTEMPTS), and their weights."""
    combos = [(m1, m2, p1 * p2) for m1, p1 in UNANSWERED for m2, p2 in UNANSWERED]
    times = np.empty((len(combos), delays.size, ATTEMPTS))
    weights = np.empty(len(combos))
    for c, (first, second, p) in enumerate(combos):
        t = delays.astype(float)
        times[c, :, 0] = t
        for k in range(1, ATTEMPTS):
            length = first if k == 1 else second if k == 2 else UNANSWERED_MEAN
            t = t + length + GAPS[k - 1]
            times[c, :, k] = t
        weights[c] = p
    return times, weights


def opt_out_chances(times: np.ndarray) -> np.ndarray:
    """Chance that touch k makes the lead opt out (the engine's fatigue rule)."""
    weight = np.zeros(times.shape[:-1])
    chances = np.empty_like(times)
    previous = times[..., 0]
    for k in range(ATTEMPTS):
        weight = weight * np.exp(-(times[..., k] - previous) / FATIGUE.memory) + 1.0
        previous = times[..., k]
        chances[..., k] = np.minimum(
            1.0, FATIGUE.opt_out_per_touch * (weight / FATIGUE.tolerance) ** FATIGUE.exponent
        )
    return chances


def outcome_probabilities(
    delays: np.ndarray, contact: Curve, qualification: Curve
) -> tuple[np.ndarray, np.ndarray]:
    """P(reached on the first call | d) and P(qualified at attempt k | d), shape (len(d), ATTEMPTS).

    Sum the second over its last axis for P(qualified | d).
    """
    times, weights = attempt_times(delays)
    c, q, o = contact(times), qualification(times), opt_out_chances(times)
    r = REACHABILITY[:, None, None]
    still_open = np.ones((REACHABILITY.size, *times.shape[:2]))
    by_attempt = np.empty((REACHABILITY.size, *times.shape))
    for k in range(ATTEMPTS):
        reach = r * c[None, ..., k]
        by_attempt[..., k] = still_open * reach * (1 - o[None, ..., k]) * q[None, ..., k]
        still_open *= (1 - reach) * (1 - o[None, ..., k])
    qualified = FIT * INTENT * np.tensordot(weights, by_attempt.mean(axis=0), axes=1)
    reached_first = REACHABILITY.mean() * contact(delays.astype(float))
    return reached_first, qualified


# The check's delay buckets hold leads whose forced delay is uniform inside them
# (24 h+ means the forced delay's 1-3 day range), so a bucket's rate is the average
# over a grid of delays across it.
_DAY_RANGE = next(r for r in ForcedDelay().ranges if r[0] >= 1440)


def bucket_delays(low: float, high: float, points: int = 40) -> np.ndarray:
    if math.isinf(high):
        low, high = _DAY_RANGE[0], _DAY_RANGE[1]
    return low + (np.arange(points) + 0.5) * (high - low) / points


_BUCKETS = sorted({b for spec in PUBLISHED for b in (spec.numerator, spec.denominator)})
_GRIDS = {b: bucket_delays(*b) for b in _BUCKETS}


def model_ratios(contact: Curve, qualification: Curve) -> np.ndarray:
    """The five published ratios as the fast model predicts them (order of PUBLISHED)."""
    rates = {}
    for bucket, grid in _GRIDS.items():
        reached_first, qualified = outcome_probabilities(grid, contact, qualification)
        rates[bucket, "reached_first"] = reached_first.mean()
        rates[bucket, "qualified"] = qualified.sum(axis=-1).mean()
    return np.array(
        [
            rates[s.numerator, s.outcome] / max(rates[s.denominator, s.outcome], 1e-300)
            for s in PUBLISHED
        ]
    )


# %% 3. Two candidate shapes ------------------------------------------------------
#
# S ("sums of exponentials"): contact = floor + fast fade (minutes: the lead is
#   still at the screen) + slow fade (hours: they move on); qualification = floor
#   + one fade. The shape design section 5 suggests and the one the brief prefers.
# W ("Weibull contact"): contact = floor + (1 - floor) exp(-(t / scale)^2), i.e. the
#   lead stays by the phone for a few minutes and the chance that they have left
#   grows with time; qualification = floor + one exponential fade (hours).
#   The Weibull shape is fixed at 2: left free it drifts to 3-4 (a cliff exactly at
#   the 5-minute bucket edge) for a negligible gain in fit (loss 0.315 vs 0.321).
#
# Both are fitted on bounded, unconstrained transforms (log scale between the
# bounds), so every trial point is a valid curve.


def _between(z: float, low: float, high: float) -> float:
    """Map a real number onto (low, high) on a log scale."""
    return float(math.exp(math.log(low) + (math.log(high) - math.log(low)) * special.expit(z)))


@dataclass(frozen=True)
class SumsOfExponentials:
    """Candidate S."""

    contact_floor: float
    contact_fast: tuple[float, float]  # (weight, scale minutes); weight = 1 - floor - slow
    contact_slow: tuple[float, float]
    qualification_floor: float
    qualification_scale: float

    name = "S: sums of exponentials"
    BOUNDS = (
        (1e-5, 0.05),  # contact floor
        (0.5, 30.0),  # contact fast scale
        (1e-5, 0.2),  # contact slow weight
        (30.0, 20_000.0),  # contact slow scale
        (0.005, 0.5),  # qualification floor
        (60.0, 2880.0),  # qualification scale
    )
    # Left free, the qualification curve of S goes flat (floor -> 1): the ratios only
    # see the product contact x qualification after the first minutes, and S already
    # fades over hours through its slow contact component. A flat curve would say a
    # lead reached after a week qualifies as readily as a fresh one, so S keeps a
    # qualification fade of at most two days; that costs almost nothing (loss 0.266
    # with a 1-day fade and floor 0.2 against 0.257 flat).

    @classmethod
    def from_vector(cls, x: np.ndarray) -> SumsOfExponentials:
        floor, fast, slow_weight, slow, q_floor, q_scale = (
            _between(z, *b) for z, b in zip(x, cls.BOUNDS, strict=True)
        )
        slow_weight = min(slow_weight, 1 - floor - 1e-6)
        return cls(floor, (1 - floor - slow_weight, fast), (slow_weight, slow), q_floor, q_scale)

    def contact(self, t: np.ndarray) -> np.ndarray:
        return (
            self.contact_floor
            + self.contact_fast[0] * np.exp(-t / self.contact_fast[1])
            + self.contact_slow[0] * np.exp(-t / self.contact_slow[1])
        )

    def qualification(self, t: np.ndarray) -> np.ndarray:
        floor = self.qualification_floor
        return floor + (1 - floor) * np.exp(-t / self.qualification_scale)

    def response_config(self) -> dict:
        return {
            "contact": {
                "family": "sum_of_exponentials",
                "components": [
                    {"weight": self.contact_fast[0], "scale": self.contact_fast[1]},
                    {"weight": self.contact_slow[0], "scale": self.contact_slow[1]},
                ],
                "floor": self.contact_floor,
            },
            "qualification": _qualification_config(
                self.qualification_floor, self.qualification_scale
            ),
        }

    def rounded(self) -> SumsOfExponentials:
        floor, slow_weight = _sig(self.contact_floor), _sig(self.contact_slow[0])
        return SumsOfExponentials(
            floor,
            (round(1 - floor - slow_weight, 6), _readable_minutes(self.contact_fast[1])),
            (slow_weight, _readable_minutes(self.contact_slow[1])),
            _sig(self.qualification_floor),
            _readable_minutes(self.qualification_scale),
        )

    def describe(self) -> str:
        (wf, sf), (ws, ss) = self.contact_fast, self.contact_slow
        return (
            f"  contact       = {self.contact_floor:.3g} + {wf:.4g} exp(-t/{sf:.3g}m)"
            f" + {ws:.3g} exp(-t/{ss:.4g}m)\n"
            f"  qualification = {self.qualification_floor:.3g} + {1 - self.qualification_floor:.3g}"
            f" exp(-t/{self.qualification_scale:.4g}m)"
        )


@dataclass(frozen=True)
class WeibullContact:
    """Candidate W."""

    contact_floor: float
    contact_scale: float
    qualification_floor: float
    qualification_scale: float
    contact_shape: float = 2.0

    name = "W: Weibull contact"
    BOUNDS = (
        (1e-4, 0.05),  # contact floor
        (1.0, 30.0),  # contact scale
        (0.005, 1.0),  # qualification floor
        (10.0, 50_000.0),  # qualification scale
    )

    @classmethod
    def from_vector(cls, x: np.ndarray) -> WeibullContact:
        return cls(*(_between(z, *b) for z, b in zip(x, cls.BOUNDS, strict=True)))

    def contact(self, t: np.ndarray) -> np.ndarray:
        floor = self.contact_floor
        return floor + (1 - floor) * np.exp(-((t / self.contact_scale) ** self.contact_shape))

    def qualification(self, t: np.ndarray) -> np.ndarray:
        floor = self.qualification_floor
        return floor + (1 - floor) * np.exp(-t / self.qualification_scale)

    def response_config(self) -> dict:
        return {
            "contact": {
                "family": "weibull",
                "scale": self.contact_scale,
                "shape": self.contact_shape,
                "floor": self.contact_floor,
            },
            "qualification": _qualification_config(
                self.qualification_floor, self.qualification_scale
            ),
        }

    def rounded(self) -> WeibullContact:
        return WeibullContact(
            _sig(self.contact_floor, 1),
            _readable_minutes(self.contact_scale),
            _sig(self.qualification_floor, 2, step=0.005),
            _readable_minutes(self.qualification_scale),
            self.contact_shape,
        )

    def describe(self) -> str:
        return (
            f"  contact       = {self.contact_floor:.3g} + {1 - self.contact_floor:.3g}"
            f" exp(-(t/{self.contact_scale:.3g}m)^{self.contact_shape:g})\n"
            f"  qualification = {self.qualification_floor:.3g} + {1 - self.qualification_floor:.3g}"
            f" exp(-t/{self.qualification_scale:.4g}m)"
        )


def _qualification_config(floor: float, scale: float) -> dict:
    return {
        "family": "sum_of_exponentials",
        "components": [{"weight": round(1 - floor, 6), "scale": scale}],
        "floor": floor,
    }


def _readable_minutes(minutes: float) -> float:
    """Half minutes below 20 min, 5 minutes below 2 h, 15 minutes below 10 h, half hours beyond."""
    for below, step in ((20, 0.5), (120, 5), (600, 15), (math.inf, 30)):
        if minutes < below:
            return float(round(minutes / step) * step)
    raise AssertionError


def _sig(value: float, digits: int = 2, step: float | None = None) -> float:
    if step is not None:
        return round(round(value / step) * step, 6)
    return float(f"{value:.{digits}g}")


# %% 4. The objective and the fit ------------------------------------------------
#
# Squared log-ratio errors: being 30% high costs the same as being 30% low, and
# a 7x figure weighs as much as a 100x one. "More than 60x" is one-sided: no cost
# above the aim, which is set a little above 60 (x1.25) so that the check does not
# rest on its confidence interval.

PUBLISHED_VALUES = np.array([spec.published for spec in PUBLISHED])
AT_LEAST = np.array([spec.kind == "at least" for spec in PUBLISHED])
AT_LEAST_AIM = 1.25


def log_errors(ratios: np.ndarray) -> np.ndarray:
    errors = np.log(np.maximum(ratios, 1e-12) / PUBLISHED_VALUES)
    errors[AT_LEAST] = np.minimum(0.0, errors[AT_LEAST] - math.log(AT_LEAST_AIM))
    return errors


def ratios_of(curves) -> np.ndarray:
    return model_ratios(curves.contact, curves.qualification)


def loss_of(curves) -> float:
    errors = log_errors(ratios_of(curves))
    return float(np.sum(errors**2)) if np.all(np.isfinite(errors)) else 1e6


def fit(family, starts: int, seed: int = 2011):
    """Multi-start Nelder-Mead (the objective is cheap and smooth but has local minima)."""
    rng = np.random.default_rng(seed)
    best = None
    for _ in range(starts):
        x = rng.normal(0.0, 1.5, len(family.BOUNDS))
        for _ in range(2):  # a restart escapes Nelder-Mead's collapsed simplex
            result = optimize.minimize(
                lambda v: loss_of(family.from_vector(v)),
                x,
                method="Nelder-Mead",
                options={"maxiter": 4000, "xatol": 1e-4, "fatol": 1e-9},
            )
            x = result.x
        if best is None or result.fun < best.fun:
            best = result
    return family.from_vector(best.x)


# %% 5. Reporting helpers ------------------------------------------------------------


def _inside(spec, value: float) -> bool:
    if spec.kind == "at least":
        return value >= spec.published
    return spec.published / TOLERANCE_FACTOR <= value <= spec.published * TOLERANCE_FACTOR


def print_model_table(title: str, ratios: np.ndarray) -> None:
    print(title)
    print(f"  {'published figure':28} {'published':>9} {'band':>11} {'fast model':>11}")
    for spec, value in zip(PUBLISHED, ratios, strict=True):
        low, high = spec.published / TOLERANCE_FACTOR, spec.published * TOLERANCE_FACTOR
        band = f">= {spec.published:g}" if spec.kind == "at least" else f"{low:.1f}-{high:.1f}"
        mark = "" if _inside(spec, value) else "  outside the band"
        print(f"  {spec.name:28} {spec.published:>9g} {band:>11} {value:>11.2f}{mark}")


def print_attempt_shares(curves) -> None:
    """Where qualifications come from: share by attempt, and 'first calls' worth'."""
    print("  bucket        qualified  share by attempt 1..6                 first calls' worth")
    for bucket in [(0, 5), (25, 30), (60, 120), (1440, math.inf)]:
        _, by_attempt = outcome_probabilities(
            _GRIDS.get(bucket, bucket_delays(*bucket)), curves.contact, curves.qualification
        )
        per_attempt = by_attempt.mean(axis=0)
        total = per_attempt.sum()
        shares = " ".join(f"{s:5.0%}" for s in per_attempt / total)
        label = f"{bucket[0]:g}-{bucket[1]:g} min" if not math.isinf(bucket[1]) else "24 h+"
        print(f"  {label:12} {total:10.5f}  {shares}   {total / per_attempt[0]:6.2f}")


def baseline_kpis(curves, replications: int, jobs: int) -> dict[str, float]:
    """The default experiment's headline KPIs with *curves* as its response curves."""
    response = ResponseModel.model_validate(curves.response_config())
    scenario = EXPERIMENT.scenario.model_copy(update={"response": response})
    experiment = EXPERIMENT.model_copy(update={"scenario": scenario})
    summary = run(experiment, replications=replications, jobs=jobs).summary
    names = ("reached_share", "qualified_share", "won_share", "utilisation")
    return {name: float(summary.loc[name, "mean"]) for name in names}


def engine_checks(curves, leads: int, replications: int, jobs: int) -> list[Judged]:
    """sim.validation's lead-response check with only scenario.response replaced."""
    response = ResponseModel.model_validate(curves.response_config())
    return check_lead_response(leads, replications, jobs=jobs, response=response)


def print_engine_table(checks: list[Judged]) -> None:
    print(f"  {'published figure':44} {'published':>9} {'simulated':>9} {'95% CI':>14}  result")
    for check in checks:
        ci = f"{check.ci_low:.1f}-{check.ci_high:.1f}"
        print(
            f"  {check.name:44} {check.published_text:>9} {check.simulated:>9.2f} {ci:>14}"
            f"  {check.status}"
        )


# %% 6. The whole derivation -------------------------------------------------------------

PLAUSIBLE_QUALIFIED = (0.08, 0.20)
"""Qualified share of all baseline leads that a sales-ops reader would find believable."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=200_000, help="leads per replication")
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--starts", type=int, default=6, help="optimiser starts per candidate")
    parser.add_argument("--no-engine", action="store_true", help="skip the engine runs")
    args = parser.parse_args()

    # -- the published figures, and the inputs read from baseline.yaml
    print("Published ratios (design section 5), by first-attempt delay bucket:")
    for spec in PUBLISHED:
        more = "more than " if spec.kind == "at least" else "about "
        print(f"  {spec.name:28} {more}{spec.published:g}x   ({spec.source})")
    print(
        f"\nInputs from {DEFAULT_EXPERIMENT.name}, source {SOURCE.name!r}: intent mean "
        f"{INTENT:g}, reachability mean {SOURCE.reachability.mean:g} (concentration "
        f"{SOURCE.reachability.concentration:g}), fit {FIT:g}; follow-up gaps "
        f"{[round(g) for g in GAPS]} min, {ATTEMPTS} attempts\n"
    )
    current = EXPERIMENT.scenario.response
    print_model_table(
        "Curves now in baseline.yaml (fast model):",
        model_ratios(
            np.vectorize(current.contact.compile()), np.vectorize(current.qualification.compile())
        ),
    )

    # -- fit both candidates
    fitted = {}
    for family in (SumsOfExponentials, WeibullContact):
        started = time.perf_counter()
        curves = fit(family, args.starts)
        fitted[family] = curves
        print(
            f"\n{family.name}: least-squares fit, loss {loss_of(curves):.3f} "
            f"({time.perf_counter() - started:.0f} s)\n{curves.describe()}"
        )
        print_model_table("  fast model:", ratios_of(curves))

    # -- why neither meets every figure.
    # A 25-30-min lead's first call must reach ~1/100 as often as a 0-5-min lead's
    # (MIT contact), yet the lead must end up qualified ~1/21 as often (MIT
    # qualification): its follow-ups have to add ~100/21 = 4.8 first calls' worth.
    # Its last three follow-ups (~1, ~4, ~11 days) fall at the delays of the 24 h+
    # leads, which must qualify >60x less than hour-1 leads (HBR), so they add
    # almost nothing; the 35-min and ~1.6 h follow-ups can add at most one first
    # call each (contact and qualification do not rise with time), and less if the
    # curves still fall between 30 min and 2 h, which the HBR hour-1 vs hour-2
    # figure (7x) needs. So a 25-30-min lead gets at most ~2-3 first calls' worth,
    # and qualify(0-5 vs 25-30) >= contact(0-5 vs 25-30) / ~3: with contact inside
    # its band (>= 77x) qualification is >= ~27x, the top of its band (21 x 1.3 = 27.3).
    print("\nWhere qualifications come from (fitted S, fast model):")
    print_attempt_shares(fitted[SumsOfExponentials])
    print("Where qualifications come from (fitted W, fast model):")
    print_attempt_shares(fitted[WeibullContact])

    # -- round, and look at the default experiment under each candidate
    candidates = {family: curves.rounded() for family, curves in fitted.items()}
    kpis = {}
    for family, curves in candidates.items():
        print(f"\n{family.name}, rounded (loss {loss_of(curves):.3f}):\n{curves.describe()}")
        print_model_table("  fast model:", ratios_of(curves))
        if not args.no_engine:
            kpis[family] = baseline_kpis(curves, 4, args.jobs)
            shown = ", ".join(f"{k} {v:.1%}" for k, v in kpis[family].items())
            print(f"  default experiment (4 replications): {shown}")

    # -- choose: the best fit among candidates that keep the baseline plausible
    low, high = PLAUSIBLE_QUALIFIED
    usable = [f for f in candidates if not kpis or low <= kpis[f]["qualified_share"] <= high]
    chosen_family = min(usable or candidates, key=lambda f: loss_of(candidates[f]))
    chosen = candidates[chosen_family]
    reason = (
        f"the best fit among candidates whose baseline qualified share lies in {low:.0%}-{high:.0%}"
        if kpis
        else "the best fit (baseline not run: --no-engine)"
    )
    print(f"\nChosen: {chosen_family.name}, {reason}")

    # -- verify in the real engine
    if not args.no_engine:
        started = time.perf_counter()
        checks = engine_checks(chosen, args.leads, args.replications, args.jobs)
        print(
            f"\nEngine check (check_lead_response protocol: leads={args.leads:,}, "
            f"replications={args.replications}, jobs={args.jobs}, seed 2011; "
            f"{time.perf_counter() - started:.0f} s):"
        )
        print_engine_table(checks)

    # -- the YAML for experiments/baseline.yaml (scenario.response) and ResponseModel
    import yaml

    config = chosen.response_config()
    for curve in config.values():  # durations the way baseline.yaml writes them
        for part in [curve, *curve.get("components", [])]:
            if "scale" in part:
                part["scale"] = format_duration(part["scale"])
    print("\nscenario.response:")
    print(yaml.safe_dump(config, sort_keys=False), end="")


if __name__ == "__main__":
    main()
