"""salespulse: a discrete-event simulator of sales leads, reps and cadence policies.

The public API, for notebooks and scripts::

    from sim import load_experiment, run

    experiment = load_experiment("experiments/baseline.yaml", ["scenario.reps[0].count=25"])
    result = run(experiment, jobs=2)
    result.summary        # pandas DataFrame: mean, sd, 95% CI per KPI
    result.replications   # pandas DataFrame: one row of KPIs per replication

Every duration inside the engine is in minutes.
"""

from __future__ import annotations

from sim._lazy import lazy_exports

_EXPORTS = {
    "KPIS": "sim.engine",
    "Cadence": "policies.cadence",
    "ConfigError": "sim.config",
    "Experiment": "sim.experiment",
    "RunResult": "sim.analysis",
    "SalesFloor": "sim.engine",
    "TuneResult": "sim.tuning",
    "Scenario": "sim.config",
    "compare": "sim.analysis",
    "load_experiment": "sim.experiment",
    "run": "sim.analysis",
    "sweep": "sim.analysis",
    "tune": "sim.tuning",
    "validate_experiment": "sim.experiment",
}

__all__ = sorted(_EXPORTS)


# Imported on first use: `policies` builds on `sim.config._types`, so `sim` must not
# import `policies` while it is itself being imported.
__getattr__ = lazy_exports(__name__, _EXPORTS)
