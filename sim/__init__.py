"""salespulse: a discrete-event simulator of sales leads, reps and cadence policies.

The public API, for notebooks and scripts::

    from sim import load_experiment, run

    experiment = load_experiment("experiments/baseline.yaml", ["scenario.reps[0].count=25"])
    result = run(experiment, jobs=2)
    result.summary        # pandas DataFrame: mean, sd, 95% CI per KPI
    result.replications   # pandas DataFrame: one row of KPIs per replication

Every duration inside the engine is in minutes.
"""

from policies.cadence import Cadence
from sim.engine import SalesFloor
from sim.experiment import ConfigError, Experiment, load_experiment, validate_experiment
from sim.kpis import KPIS
from sim.runner import RunResult, run
from sim.scenario import Scenario

__all__ = [
    "KPIS",
    "Cadence",
    "ConfigError",
    "Experiment",
    "RunResult",
    "SalesFloor",
    "Scenario",
    "load_experiment",
    "run",
    "validate_experiment",
]
