"""Many replications and what they say: run, compare, sweep, with honest statistics.

Every verb hands its replications to :func:`run_jobs` as one flat list, seeded
from one ``SeedSequence``, so the numbers depend on the seed alone, wherever they
run: local processes (:class:`LocalProcesses`) or a Dask cluster (:class:`DaskCluster`).
With ``uncertainty=True`` each replication is a plausible world drawn from the file's
``uncertain:`` section (:class:`PlausibleWorlds`), the same for every cadence.
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
    Meanwhile,
    Workers,
    exit_with_parent,
    salespulse_version,
)
from sim.analysis.local_hours import local_hour_counts, local_hour_table
from sim.analysis.outputs import ReplicationOutput, RunResult, tidy_tables
from sim.analysis.replications import default_jobs, run, run_jobs, run_many
from sim.analysis.stats import (
    lower_tail_mean,
    paired_differences,
    risk_adjusted,
    summarise,
    t_halfwidth,
    wilson_interval,
)
from sim.analysis.sweeps import (
    Checkpoint,
    SweepResult,
    refuse_large_grid,
    sweep,
    sweep_points,
)
from sim.analysis.worlds import (
    RUNS_PER_WORLD,
    PlausibleWorlds,
    beats_baseline,
    run_seeds,
    variance_split,
    world_jobs,
)

__all__ = [
    "RUNS_PER_WORLD",
    "Checkpoint",
    "ComparisonResult",
    "DaskCluster",
    "Executor",
    "HalfWidthTarget",
    "Job",
    "LocalProcesses",
    "Meanwhile",
    "PlausibleWorlds",
    "ReplicationOutput",
    "RunResult",
    "SweepResult",
    "Workers",
    "arms",
    "beats_baseline",
    "compare",
    "default_jobs",
    "exit_with_parent",
    "local_hour_counts",
    "local_hour_table",
    "lower_tail_mean",
    "paired_differences",
    "refuse_large_grid",
    "replication_limit",
    "risk_adjusted",
    "run",
    "run_jobs",
    "run_many",
    "run_seeds",
    "salespulse_version",
    "summarise",
    "sweep",
    "sweep_points",
    "t_halfwidth",
    "tidy_tables",
    "variance_split",
    "wilson_interval",
    "world_jobs",
]
