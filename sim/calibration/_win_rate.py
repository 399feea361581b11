"""The decision stage's ``win_rate``, found by simulating the calibrated scenario."""

from __future__ import annotations

import copy
import math

import numpy as np

from sim.calibration._estimate import Estimate
from sim.calibration.recorder import simulate_export
from sim.calibration.result import Calibration
from sim.experiment import validate_experiment

MAX_LEADS_PER_WEEK = 1500.0
"""The simulations that find the win rate scale larger teams down to this volume (and reps alike)."""


def fit_win_rate(cal: Calibration) -> None:
    """Turn the observed won share of qualified leads into ``decision.win_rate``.

    The engine wins a qualified lead at its decision with chance ``win_rate x interest
    x engagement x annoyance``, so the won share is linear in win_rate with everything
    else fixed: simulate the calibrated scenario at win_rate 0 and 1 (same seed, same
    leads), and solve ``share(w) = observed`` on the line through the two points.
    """
    options = cal.options
    target = cal.win_share
    assert target is not None
    config = copy.deepcopy(cal.config)
    config.pop("compare", None)
    config.pop("sweep", None)
    config["replications"] = 1
    scenario = config["scenario"]
    total = sum(float(s["leads_per_week"]) for s in scenario["sources"])
    factor = min(1.0, MAX_LEADS_PER_WEEK / total)
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
            if r.qualified and math.isfinite(r.closed_at) and start <= r.created_at < end
        ]
        won = sum(1 for r in rows if r.won)
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
