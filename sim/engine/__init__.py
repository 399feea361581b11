"""One replication of a scenario under a cadence: leads, reps, tasks and the clock.

:class:`SalesFloor` simulates; :func:`replication_kpis` turns a finished floor
into one row of KPIs (see :data:`KPIS`). Streams give every random purpose its
own generator, so two cadences run with one seed meet the same leads. :func:`kernel`
says whether the compiled engine or its pure-Python source runs (see
:mod:`sim.engine.kernel`).
"""

# The kernel is chosen (compiled or pure Python) before any engine module is imported.
from sim.engine.kernel import KernelWarning, kernel  # isort: split

from sim.engine.floor import SalesFloor
from sim.engine.kpis import KPIS, Kpi, replication_kpis
from sim.engine.observers import Recorder, Trace
from sim.engine.streams import Streams, replication_seeds

__all__ = [
    "KPIS",
    "KernelWarning",
    "Kpi",
    "Recorder",
    "SalesFloor",
    "Streams",
    "Trace",
    "kernel",
    "replication_kpis",
    "replication_seeds",
]
