"""Textbook queues expressed as salespulse scenarios, to check the engine against theory.

:func:`queueing_experiment` sets the engine up as M/M/c (Erlang C) or, with
patience, M/M/c+M (Erlang A): one lead source with a flat Poisson rate, reps
always on shift, exponential talk time, one attempt that always reaches, no
decay, FIFO work. :func:`compare_with_theory` runs it and sets each simulated
measure, with its 95% confidence interval, next to the exact value from
:mod:`sim.validation.erlang`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sim.config.units import MINUTES_PER_WEEK
from sim.experiment import Experiment
from sim.validation.erlang import QueueMetrics, erlang_a, erlang_c


def queueing_experiment(
    arrival_rate: float,
    service_rate: float,
    servers: int,
    abandonment_rate: float | None = None,
    *,
    horizon_minutes: float = 20_000.0,
    warmup_minutes: float = 500.0,
    replications: int = 10,
    seed: int = 1,
) -> Experiment:
    """An experiment whose engine run is an M/M/c (or M/M/c+M) queue; rates are per minute."""
    source = {
        "name": "poisson",
        "leads_per_week": arrival_rate * MINUTES_PER_WEEK,
        "profile": "flat",
        "intent": 0.0,
        "reachability": 1.0,
        "fit_rate": 1.0,
    }
    if abandonment_rate is not None:
        source["patience"] = {"dist": "exponential", "mean": 1.0 / abandonment_rate}
    name = f"mmc{servers}" + ("-m" if abandonment_rate is not None else "")
    return Experiment.model_validate(
        {
            "name": name,
            "seed": seed,
            "replications": replications,
            "scenario": {
                "horizon": horizon_minutes,
                "warmup": warmup_minutes,
                "drain": 0.0,
                "sources": [source],
                "reps": [
                    {
                        "name": "servers",
                        "count": servers,
                        "shift": {"days": "everyday", "start": "00:00", "end": "24:00"},
                    }
                ],
                "actions": {"conversation": {"dist": "exponential", "mean": 1.0 / service_rate}},
                "fatigue": {"opt_out_per_touch": 0.0},
                "response": {
                    "contact": {"family": "table", "points": [[0, 1.0]]},
                    "time_of_week": "flat",
                    "qualification": {"family": "table", "points": [[0, 1.0]]},
                },
            },
            "policy": {
                "queue": {"order": "fifo"},
                "followup": {"max_attempts": 1},
                "screening": {"enabled": False},
                "referral": {"department_interval": None},
            },
        }
    )


def theory_for(
    arrival_rate: float, service_rate: float, servers: int, abandonment_rate: float | None
) -> QueueMetrics:
    """Erlang C without patience, Erlang A with it."""
    if abandonment_rate is None:
        return erlang_c(arrival_rate, service_rate, servers)
    return erlang_a(arrival_rate, service_rate, servers, abandonment_rate)


@dataclass(frozen=True)
class TheoryCheck:
    """One simulated measure against its exact queueing-theory value.

    ``ci_low``/``ci_high`` are the 95% confidence interval; the check passes when
    the exact value is within ``tolerance`` (the 99.9% CI half-width) of the mean.
    """

    model: str
    measure: str
    simulated: float
    ci_low: float
    ci_high: float
    tolerance: float
    exact: float

    @property
    def passed(self) -> bool:
        return abs(self.simulated - self.exact) <= self.tolerance


CHECK_CONFIDENCE = 0.999
"""Confidence level of the interval the exact value must fall in.

Many checks run together, so each uses a 99.9% interval: a correct engine then
fails any one of 20 checks with probability about 2%, while a real bias larger
than the interval still fails."""


def _measures(kpis: dict[str, float], patience: bool) -> dict[str, float]:
    """Simulated counterparts of the theory's measures, from one replication's KPIs."""
    measures = {
        "wait_probability": kpis["waited_share"],
        "mean_queue_length": kpis["mean_backlog"],
        "utilisation": kpis["utilisation"],
    }
    if patience:
        measures["abandon_probability"] = kpis["lost_interest_decayed"] / kpis["leads"]
    else:
        measures["mean_wait_minutes"] = kpis["mean_minutes_to_first_attempt"]
    return measures


def compare_with_theory(
    arrival_rate: float,
    service_rate: float,
    servers: int,
    abandonment_rate: float | None = None,
    *,
    replications: int = 10,
    horizon_minutes: float = 10_000.0,
    seed: int = 1,
    jobs: int = 1,
) -> list[TheoryCheck]:
    """Simulate the queue and set each measure's CI next to its exact value."""
    from sim.analysis.replications import run
    from sim.analysis.stats import summarise

    experiment = queueing_experiment(
        arrival_rate,
        service_rate,
        servers,
        abandonment_rate,
        horizon_minutes=horizon_minutes,
        replications=replications,
        seed=seed,
    )
    result = run(experiment, jobs=jobs)
    patience = abandonment_rate is not None
    table = pd.DataFrame(
        [_measures(row, patience) for row in result.replications.to_dict("records")]
    )
    summary = summarise(table)
    tolerance = summarise(table, CHECK_CONFIDENCE)["half_width"]
    exact = theory_for(arrival_rate, service_rate, servers, abandonment_rate)
    model = (
        f"M/M/{servers}+M (lambda={arrival_rate:g}, mu={service_rate:g}, theta={abandonment_rate:g})"
        if patience
        else f"M/M/{servers} (lambda={arrival_rate:g}, mu={service_rate:g})"
    )
    return [
        TheoryCheck(
            model,
            measure,
            row["mean"],
            row["ci_low"],
            row["ci_high"],
            float(tolerance[measure]),
            getattr(exact, measure),
        )
        for measure, row in summary.iterrows()
    ]
