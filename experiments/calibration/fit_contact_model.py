"""Fit the default contact model jointly to every published speed-to-lead and follow-up figure.

A notebook-style script: run it top to bottom with

    python experiments/calibration/fit_contact_model.py               # fit, then engine check
    python experiments/calibration/fit_contact_model.py --no-engine   # fast model only (~1 min)

What it does (the reasoning is written up in docs/response_curve.md):

1. Reads the lead traits of the default experiment's first source (web_form), the
   follow-up cadence, the action times and the fatigue settings from
   experiments/baseline.yaml, and the study population of ``validate`` (leads first
   called after a delay spread over the first three hours and over days 1 to 3,
   as the studied teams did; ``sim.validation.lead_response.FORCED_DELAYS``).
2. Builds a fast semi-analytic model of the engine's contact model: an attempt k
   made s minutes after the lead engaged reaches it with chance
   ``r x contact(s) x decay ** (k - 1)`` (r: the lead's reachability, a beta draw
   whose spread is fitted),
   and a conversation qualifies a realistic lead with chance
   ``intent x qualification(s)``.
3. Fits the six parameters (hot window floor and scale, attempt decay, interest
   floor and fade, reachability spread) by weighted least squares (ratios in logs,
   shares of leads in log-odds) against all twelve published figures at once
   (``sim.validation.lead_response.PUBLISHED`` and
   ``sim.validation.attempts.PUBLISHED_ATTEMPTS``), with the weights of ``WEIGHTS``.
4. Prints each figure's target, fitted value and misfit, rounds the parameters to
   readable values, and prints the YAML for ``scenario.response``.
5. Runs the engine on the same protocol as ``python -m sim validate``, with a seed
   that validate does not use, and prints the same table.
"""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import optimize, special, stats

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a plain script from anywhere
    sys.path.insert(0, str(ROOT))

from sim.config.durations import format_duration  # noqa: E402
from sim.config.scenario import ResponseModel  # noqa: E402
from sim.validation.attempts import PUBLISHED_ATTEMPTS  # noqa: E402
from sim.validation.lead_response import (  # noqa: E402
    FORCED_DELAYS,
    check_study_population,
    lead_response_experiment,
)
from sim.validation.lead_response import PUBLISHED as PUBLISHED_RATIOS  # noqa: E402

FIT_SEED = 7
"""The engine check's seed here: ``validate`` uses its ``--seed`` (default 1), never this one."""

# %% 1. Inputs ---------------------------------------------------------------------

STUDY = lead_response_experiment()
SOURCE = STUDY.scenario.sources[0]
ACTIONS = STUDY.scenario.actions
FATIGUE = STUDY.scenario.fatigue
FOLLOWUP = STUDY.policy.followup
ATTEMPTS = FOLLOWUP.max_attempts
GAPS = [FOLLOWUP.gap_after(k) for k in range(1, ATTEMPTS)]  # minutes after attempt k ends

# Reachability varies by lead (beta, mean from baseline.yaml, concentration fitted):
# integrate over equally likely values, because easy-to-reach leads are reached early
# and drop out of the follow-ups (selection).
QUANTILES = (np.arange(60) + 0.5) / 60
INTENT, FIT = SOURCE.intent.mean, SOURCE.fit_rate
UNANSWERED_MINUTES = (
    ACTIONS.voicemail_share * ACTIONS.voicemail.mean
    + (1 - ACTIONS.voicemail_share) * ACTIONS.no_answer.mean
)

# %% 2. The fast model ---------------------------------------------------------------
#
# Attempt k happens at t_k: t_1 = d (the forced delay), t_{k+1} = t_k + an
# unanswered dial + gap_k (reps are always free in the study population). With
# p_k = r c(t_k) D^(k-1), q_k = qualification(t_k) and o_k the fatigue opt-out chance:
#   P(attempt k made)      S_k = prod_{j<k} (1 - p_j)(1 - o_j)
#   P(reached at k)        S_k p_k
#   P(qualified at k)      S_k p_k (1 - o_k) fit intent q_k
# A converted lead is a qualified one that later wins; the win does not depend on the
# attempt that reached it, so "converted reached by attempt k" is a share of qualified.


def attempt_times(delays: np.ndarray) -> np.ndarray:
    """Attempt times, shape (len(delays), ATTEMPTS)."""
    steps = np.array([0.0] + [UNANSWERED_MINUTES + gap for gap in GAPS])
    return delays[:, None] + np.cumsum(steps)[None, :]


def opt_out_chances(times: np.ndarray) -> np.ndarray:
    """Chance that touch k makes the lead opt out (the engine's fatigue rule)."""
    weight, previous = np.zeros(times.shape[0]), times[:, 0]
    chances = np.empty_like(times)
    for k in range(ATTEMPTS):
        weight = weight * np.exp(-(times[:, k] - previous) / FATIGUE.memory) + 1.0
        previous = times[:, k]
        ratio = weight / FATIGUE.tolerance
        chances[:, k] = np.minimum(1.0, FATIGUE.opt_out_per_touch * ratio**FATIGUE.exponent)
    return chances


@dataclass(frozen=True)
class Outcomes:
    """Per lead delay (rows) and attempt (columns), averaged over reachability."""

    attempted: np.ndarray
    reached: np.ndarray
    qualified: np.ndarray


def _between(z: float, low: float, high: float) -> float:
    """Map a real number onto (low, high) on a log scale."""
    return float(math.exp(math.log(low) + (math.log(high) - math.log(low)) * special.expit(z)))


@dataclass(frozen=True)
class ContactModel:
    """The six fitted numbers: ``scenario.response`` and the reachability spread of the sources."""

    hot_floor: float  # contact long after engaging, as a share of a fresh lead's
    hot_scale: float  # minutes: how long a lead stays by the phone after engaging
    decay: float  # per further attempt
    interest_floor: float  # interest that lasts, as a share of a fresh lead's
    interest_scale: float  # minutes: how fast the rest fades
    concentration: float  # of the beta reachability: low = many leads nearly unreachable

    # Plausible ranges, so that no figure can push a parameter to a value no sales
    # team would recognise (a lead who never answers once the first minutes are over,
    # interest that is gone in three minutes).
    BOUNDS = (
        (0.2, 1.0),
        (2.0, 30.0),
        (0.5, 1.0),
        (0.01, 0.9),
        (10.0, 5 * 1440.0),
        (1.0, 12.0),
    )

    @classmethod
    def from_vector(cls, x: np.ndarray) -> ContactModel:
        return cls(*(_between(z, *b) for z, b in zip(x, cls.BOUNDS, strict=True)))

    def contact(self, s: np.ndarray) -> np.ndarray:
        return self.hot_floor + (1 - self.hot_floor) * np.exp(-((s / self.hot_scale) ** 2))

    def qualification(self, s: np.ndarray) -> np.ndarray:
        floor = self.interest_floor
        return floor + (1 - floor) * np.exp(-s / self.interest_scale)

    def outcomes(self, delays: np.ndarray) -> Outcomes:
        times = attempt_times(delays)
        mean = SOURCE.reachability.mean
        a, b = mean * self.concentration, (1 - mean) * self.concentration
        reachability = stats.beta.ppf(QUANTILES, a, b)[:, None, None]
        p = reachability * self.contact(times)[None] * self.decay ** np.arange(ATTEMPTS)
        o = opt_out_chances(times)[None]
        survive = np.concatenate([np.ones_like(p[..., :1]), (1 - p) * (1 - o)], axis=-1)
        still_open = np.cumprod(survive, axis=-1)
        attempted = still_open[..., :-1]
        reached = attempted * p
        qualified = reached * (1 - o) * FIT * INTENT * self.qualification(times)[None]
        return Outcomes(attempted.mean(0), reached.mean(0), qualified.mean(0))

    def rounded(self) -> ContactModel:
        return ContactModel(
            round(self.hot_floor, 2),
            _readable_minutes(self.hot_scale),
            round(self.decay, 2),
            round(self.interest_floor, 3),
            _readable_minutes(self.interest_scale),
            round(self.concentration, 1),
        )

    def response_config(self) -> dict:
        return {
            "contact": {
                "family": "weibull",
                "scale": self.hot_scale,
                "shape": 2.0,
                "floor": self.hot_floor,
            },
            "attempt_decay": self.decay,
            "qualification": {
                "family": "exponential",
                "scale": self.interest_scale,
                "floor": self.interest_floor,
            },
        }


def _readable_minutes(minutes: float) -> float:
    """Half minutes below 20 min, 5 minutes below 2 h, 15 minutes below 10 h, hours beyond."""
    for below, step in ((20, 0.5), (120, 5), (600, 15), (math.inf, 60)):
        if minutes < below:
            return float(round(minutes / step) * step)
    raise AssertionError


# %% 3. The published figures as the fast model computes them --------------------------

_DAY_RANGE = next(r for r in FORCED_DELAYS if r[0] >= 1440)


def _grid(low: float, high: float, points: int = 30) -> np.ndarray:
    if math.isinf(high):
        low, high = _DAY_RANGE[0], _DAY_RANGE[1]
    return low + (np.arange(points) + 0.5) * (high - low) / points


# The study population: the forced delays' ranges, each with its weight.
POPULATION = [(_grid(low, high, 45), weight) for low, high, weight in FORCED_DELAYS]
_BUCKETS = {b: _grid(*b) for s in PUBLISHED_RATIOS for b in (s.numerator, s.denominator)}
FIGURES = [*PUBLISHED_RATIOS, *PUBLISHED_ATTEMPTS]


def _bucket_rate(model: ContactModel, bucket: tuple[float, float], outcome: str) -> float:
    result = model.outcomes(_BUCKETS[bucket])
    if outcome == "reached_first":
        return float(result.reached[:, 0].mean())
    # "qualified", or "won": a fixed share of the qualified (the win does not depend on the delay)
    return float(result.qualified.sum(1).mean())


def _population_tally(model: ContactModel) -> np.ndarray:
    """The attempt tally (rows attempted, reached, won; column k = attempt k, 0 = never)."""
    total = sum(weight for _, weight in POPULATION)
    tally = np.zeros((3, ATTEMPTS + 1))
    for delays, weight in POPULATION:
        result = model.outcomes(delays)
        share = weight / total
        tally[0, 1:] += share * result.attempted.mean(0)
        tally[1, 1:] += share * result.reached.mean(0)
        tally[2, 1:] += share * result.qualified.mean(0)
    tally[1, 0] = 1 - tally[1, 1:].sum()
    return tally * 1e9  # counts: the figures' count functions expect integers


def figures(model: ContactModel) -> np.ndarray:
    """Every published figure as the fast model predicts it (order of FIGURES)."""
    values = [
        _bucket_rate(model, s.numerator, s.outcome)
        / max(_bucket_rate(model, s.denominator, s.outcome), 1e-300)
        for s in PUBLISHED_RATIOS
    ]
    tally = _population_tally(model).round().astype(np.int64)
    for spec in PUBLISHED_ATTEMPTS:
        counts = spec.counts(tally)
        value = counts.events / max(counts.trials, 1)
        if counts.ratio_of is not None:
            value /= counts.ratio_of[0] / max(counts.ratio_of[1], 1)
        values.append(1 / value if counts.inverse else value)
    return np.array(values)


# %% 4. Weights and the fit -------------------------------------------------------
#
# Weighted squared errors: ratios in logs, shares of leads in log-odds; one-sided
# figures ("at least", "at most") cost nothing on their good side. The figures pull
# against each other (docs/response_curve.md): interest that falls 60x within a day
# leaves follow-ups days later nothing to convert, against four follow-up figures
# that follow the same leads through their attempts, from far larger samples. So the
# follow-up figures get full weight, the speed-to-lead ratios (between teams, part
# selection) RATIO_WEIGHT: of 0.01, 0.03 and 0.05 the largest at which every follow-up figure stays within
# 10 percentage points. The MIT first-call contact figure gets far less (a contact
# that falls 100x in half an hour contradicts every follow-up figure at once), and
# InsideSales's "up to 70%" a tenth (it conflicts with Velocify's 48% on attempt 1).

RATIO_WEIGHT = 0.03
"""Weight of each speed-to-lead ratio (and the seed's 7x) against a follow-up figure's 1."""
WEIGHTS = {
    **{spec.name: RATIO_WEIGHT for spec in PUBLISHED_RATIOS},
    "contact: 0-5 vs 25-30 min": 0.001,
    "won: 0-5 min vs 2-3 h (the seed's 'about 7x')": RATIO_WEIGHT,
    "leads reached by all attempts / by the 1st": 0.1,
}
PUBLISHED_VALUES = np.array([spec.published for spec in FIGURES])
WEIGHT = np.array([WEIGHTS.get(spec.name, 1.0) for spec in FIGURES])
AT_LEAST = np.array([spec.kind == "at least" for spec in FIGURES])
AT_MOST = np.array([spec.kind == "at most" for spec in FIGURES])


SHARE = np.array([spec.published < 1 and "/" not in spec.name for spec in FIGURES])
"""Shares of leads are compared in log-odds (a share of 0.98 against 0.85 is a large miss),
ratios in logs."""


def _scale(values: np.ndarray) -> np.ndarray:
    clipped = np.clip(values, 1e-12, 1 - 1e-9)
    return np.where(SHARE, special.logit(clipped), np.log(np.maximum(values, 1e-12)))


def log_errors(values: np.ndarray) -> np.ndarray:
    errors = _scale(values) - _scale(PUBLISHED_VALUES)
    errors[AT_LEAST] = np.minimum(0.0, errors[AT_LEAST])
    errors[AT_MOST] = np.maximum(0.0, errors[AT_MOST])
    return errors


def loss_of(model: ContactModel) -> float:
    errors = log_errors(figures(model))
    return float(np.sum(WEIGHT * errors**2)) if np.all(np.isfinite(errors)) else 1e6


def fit(starts: int, seed: int = 2011) -> ContactModel:
    """Multi-start Nelder-Mead (a cheap, smooth objective with local minima)."""
    rng = np.random.default_rng(seed)
    best = None
    for _ in range(starts):
        x = rng.normal(0.0, 1.5, len(ContactModel.BOUNDS))
        for _ in range(2):  # a restart escapes Nelder-Mead's collapsed simplex
            result = optimize.minimize(
                lambda v: loss_of(ContactModel.from_vector(v)),
                x,
                method="Nelder-Mead",
                options={"maxiter": 3000, "xatol": 1e-4, "fatol": 1e-9},
            )
            x = result.x
        if best is None or result.fun < best.fun:
            best = result
    return ContactModel.from_vector(best.x)


# %% 5. Reporting -------------------------------------------------------------------


def print_fit_table(title: str, model: ContactModel) -> None:
    print(f"{title} (loss {loss_of(model):.3f})")
    print(f"  {'published figure':46} {'weight':>6} {'target':>9} {'fitted':>9} {'misfit':>8}")
    for spec, value, error, weight in zip(
        FIGURES, figures(model), log_errors(figures(model)), WEIGHT, strict=True
    ):
        target = {"about": "", "at least": ">= ", "at most": "<= "}[spec.kind]
        misfit = (
            f"{value - spec.published:+.2f}"
            if SHARE[FIGURES.index(spec)]
            else (f"{math.exp(error) - 1:+.0%}" if error else "-")
        )
        print(
            f"  {spec.name[:46]:46} {weight:>6g} {target + f'{spec.published:.3g}':>9}"
            f" {value:>9.3g} {misfit:>8}"
        )


def print_engine_table(rows) -> None:
    print(f"  {'published figure':46} {'published':>9} {'simulated':>9} {'95% CI':>15}  result")
    for row in rows:
        ci = f"{row.ci_low:.3g}-{row.ci_high:.3g}"
        print(
            f"  {row.name[:46]:46} {row.published_text:>9} {row.simulated:>9.3g} {ci:>15}"
            f"  {row.status}"
        )


def response_yaml(model: ContactModel) -> str:
    import yaml

    config = model.response_config()
    for curve in (config["contact"], config["qualification"]):
        curve["scale"] = format_duration(curve["scale"])
    return yaml.safe_dump(config, sort_keys=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000, help="leads per replication")
    parser.add_argument("--replications", type=int, default=4)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--starts", type=int, default=6, help="optimiser starts")
    parser.add_argument("--no-engine", action="store_true", help="skip the engine check")
    args = parser.parse_args()

    print(
        f"Study population (sim.validation.lead_response), source {SOURCE.name!r}: intent mean {INTENT:g}, "
        f"reachability mean {SOURCE.reachability.mean:g}, fit {FIT:g}; follow-up gaps "
        f"{[round(g) for g in GAPS]} min, {ATTEMPTS} attempts\n"
    )
    model = fit(args.starts)
    print_fit_table("Fitted (fast model)", model)
    print(model)
    chosen = model.rounded()
    print_fit_table("\nRounded (fast model)", chosen)
    print("\nscenario.response:\n" + response_yaml(chosen))

    if not args.no_engine:
        response = ResponseModel.model_validate(chosen.response_config())
        rows = check_study_population(
            args.leads, args.replications, seed=FIT_SEED, jobs=args.jobs, response=response
        )
        print(
            f"Engine, validate's protocol, seed {FIT_SEED} ({args.leads:,} leads x "
            f"{args.replications}):"
        )
        print_engine_table(rows)


if __name__ == "__main__":
    main()
