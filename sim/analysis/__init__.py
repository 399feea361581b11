"""Many replications and what they say: run, compare, sweep, with honest statistics.

Every verb hands its replications to :func:`run_jobs` as one flat list, seeded
from one ``SeedSequence``, so the numbers depend on the seed alone.
:mod:`sim.report.saving` writes what they return as run folders.
"""

from sim.analysis.comparison import (
    ComparisonResult,
    HalfWidthTarget,
    arms,
    compare,
    replication_limit,
)
from sim.analysis.outputs import ReplicationOutput, RunResult, tidy_tables
from sim.analysis.replications import Job, default_jobs, exit_with_parent, run, run_jobs, run_many
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
    "HalfWidthTarget",
    "Job",
    "ReplicationOutput",
    "RunResult",
    "SweepResult",
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
    "summarise",
    "sweep",
    "sweep_points",
    "t_halfwidth",
    "tidy_tables",
]
