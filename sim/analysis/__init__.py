"""Many replications and what they say: run, compare, sweep, with honest statistics.

Every verb hands its replications to :func:`run_jobs` as one flat list, seeded
from one ``SeedSequence``, so the numbers depend on the seed alone, wherever they
run: local processes (:class:`LocalProcesses`) or a Dask cluster (:class:`DaskCluster`).
"""

from sim.analysis.comparison import (
    ComparisonResult,
    HalfWidthTarget,
    arms,
    compare,
    replication_limit,
)
from sim.analysis.executors import (
    DaskCluster,
    Executor,
    Job,
    LocalProcesses,
    Workers,
    exit_with_parent,
    salespulse_version,
)
from sim.analysis.outputs import ReplicationOutput, RunResult, tidy_tables
from sim.analysis.replications import default_jobs, run, run_jobs, run_many
from sim.analysis.stats import paired_differences, summarise, t_halfwidth
from sim.analysis.sweeps import (
    Checkpoint,
    SweepResult,
    refuse_large_grid,
    sweep,
    sweep_points,
)

__all__ = [
    "Checkpoint",
    "ComparisonResult",
    "DaskCluster",
    "Executor",
    "HalfWidthTarget",
    "Job",
    "LocalProcesses",
    "ReplicationOutput",
    "RunResult",
    "SweepResult",
    "Workers",
    "arms",
    "compare",
    "default_jobs",
    "exit_with_parent",
    "paired_differences",
    "refuse_large_grid",
    "replication_limit",
    "run",
    "run_jobs",
    "run_many",
    "salespulse_version",
    "summarise",
    "sweep",
    "sweep_points",
    "t_halfwidth",
    "tidy_tables",
]
