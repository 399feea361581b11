"""One replication of a scenario under a cadence: leads, reps, tasks and the clock.

:class:`SalesFloor` simulates; :func:`replication_kpis` turns a finished floor
into one row of KPIs (see :data:`KPIS`). Streams give every random purpose its
own generator, so two cadences run with one seed meet the same leads.
"""

from sim.engine.floor import Recorder, SalesFloor, Trace
from sim.engine.kpis import KPIS, Kpi, replication_kpis
from sim.engine.streams import Streams, replication_seeds

__all__ = [
    "KPIS",
    "Kpi",
    "Recorder",
    "SalesFloor",
    "Streams",
    "Trace",
    "replication_kpis",
    "replication_seeds",
]
