"""How much simulating a verb is about to do, estimated before it starts.

A replication's cost grows with the leads it simulates (from the sources and from
department referral requests) and with its rep-days (every rep's shifts over the
simulated time). :func:`estimate_workload` adds both over every replication of
every cadence or sweep point; :meth:`Workload.refuse_if_too_large` stops work
beyond :data:`WORKLOAD_LIMIT` before it starts, unless the user confirms it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sim.config import ConfigError, format_duration
from sim.config.units import MINUTES_PER_DAY, MINUTES_PER_WEEK
from sim.experiment.model import Experiment

UNITS_PER_CPU_MINUTE = 720_000
"""Leads and rep-days one core simulates a minute (the baseline experiment, measured)."""

WORKLOAD_LIMIT = 100_000_000
"""Most leads and rep-days a verb simulates unless confirmed: about 2 to 3 hours of CPU time."""

LONG_WORK_MINUTES = 1.0
"""Work estimated to take longer than this (CPU time) is announced before it starts."""


@dataclass(frozen=True)
class Workload:
    """What a verb is about to simulate, in total over every replication."""

    replications: int
    """Replications of every cadence or sweep point together."""
    leads: float
    """Simulated leads: from the sources and from department referral requests."""
    rep_days: float
    """Simulated rep-days: reps times simulated days."""

    @property
    def units(self) -> float:
        """Leads plus rep-days: what the size limit counts."""
        return self.leads + self.rep_days

    @property
    def cpu_minutes(self) -> float:
        """A rough time on one core (see :data:`UNITS_PER_CPU_MINUTE`)."""
        return self.units / UNITS_PER_CPU_MINUTE

    def cpu_time(self) -> str:
        """:attr:`cpu_minutes` to the minute, such as ``2h17m``."""
        return format_duration(max(1, round(self.cpu_minutes)))

    @property
    def is_long(self) -> bool:
        """Long enough to announce before starting (see :data:`LONG_WORK_MINUTES`)."""
        return self.cpu_minutes > LONG_WORK_MINUTES

    def describe(self) -> str:
        """``about 2.9 million simulated leads and rep-days in 20 replications (...)``."""
        return (
            f"about {_count(self.units)} simulated leads and rep-days in "
            f"{self.replications:,} replication(s) (roughly {self.cpu_time()} "
            "of CPU time)"
        )

    @property
    def too_large(self) -> bool:
        """Beyond :data:`WORKLOAD_LIMIT`."""
        return self.units > WORKLOAD_LIMIT

    def refuse_if_too_large(self, confirmed: bool, source: str) -> None:
        """Raise a :class:`ConfigError` when beyond :data:`WORKLOAD_LIMIT` and not *confirmed*."""
        if confirmed or not self.too_large:
            return
        raise ConfigError(
            f"{source}: {self.describe()}, beyond the size limit of {_count(WORKLOAD_LIMIT)}; "
            "expected fewer replications, a shorter horizon or fewer leads and reps, "
            "or add --yes to run it anyway"
        )


def estimate_workload(experiments: Iterable[Experiment], replications: int) -> Workload:
    """The work of *replications* replications of each experiment (cadences or sweep points)."""
    leads = rep_days = 0.0
    count = 0
    for experiment in experiments:
        scenario = experiment.scenario
        minutes = scenario.end
        source_leads = sum(s.leads_per_week for s in scenario.sources) * minutes / MINUTES_PER_WEEK
        interval = experiment.policy.referral.department_interval
        departments = scenario.referrals.departments if interval else []
        requests = len(departments) * minutes / interval if interval else 0.0
        # A pool hands over at most what it holds at the start plus what refills.
        weeks = minutes / MINUTES_PER_WEEK
        referred = sum(d.pool_size + d.contacts_per_week_at_most * weeks for d in departments)
        leads += replications * (source_leads + requests + referred)
        reps = experiment.policy.rep_count(scenario)
        rep_days += replications * reps * max(minutes / MINUTES_PER_DAY, 1.0)
        count += replications
    return Workload(count, leads, rep_days)


def _count(n: float) -> str:
    for size, word in ((1e12, "trillion"), (1e9, "billion"), (1e6, "million")):
        if n >= size:
            return f"{n / size:.3g} {word}"
    return f"{n:,.0f}"
