"""Coverage by the lead's local hour: how soon leads are called and reached, on their own clock.

Leads may live in other time zones than the reps (``sources[].time_zones``): a lead
filling in a form at 8:00 in its own morning may arrive at 5:00 on the reps' clock, or
after they have gone home. The engine counts the cohort's leads by their local hour of
arrival and of the first call (:class:`~sim.engine.tally.LocalHourTally`); this module
turns one replication's counts into measures and summarises them over replications
with 95% confidence intervals, as the KPIs are.

By local hour of arrival: ``leads``, ``called_within_5m_share``, ``called_within_1h_share``,
``mean_minutes_to_first_call`` (of the leads called at all) and ``reached_share``
(reached by any call). By local hour of the first call: ``first_calls`` and
``first_call_reached_share`` (the first call got through). Leads screened out are
left out, as in the speed-to-lead KPIs.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.stats import summarise
from sim.config.units import HOURS_PER_DAY
from sim.engine.tally import LOCAL_HOUR_ROWS, LocalHourTally

DELAY_ROW = len(LOCAL_HOUR_ROWS)
"""The row of :func:`local_hour_counts` holding the summed first-call delays (minutes)."""

MEASURES = (
    "leads",
    "called_within_5m_share",
    "called_within_1h_share",
    "mean_minutes_to_first_call",
    "reached_share",
    "first_calls",
    "first_call_reached_share",
)
"""The rows of the ``local_hours`` table for each local hour, in order."""


def local_hour_counts(tally: LocalHourTally) -> np.ndarray:
    """One replication's counts (rows as in ``LOCAL_HOUR_ROWS``) and summed delays, by local hour."""
    return np.vstack([tally.counts.astype(float), tally.delay_minutes])


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """numerator / denominator, NaN where nothing was counted (left out of the statistics)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / denominator, np.nan)


def local_hour_measures(counts: np.ndarray) -> dict[str, np.ndarray]:
    """One replication's measures by local hour (24 values each), from :func:`local_hour_counts`."""
    row = dict(zip(LOCAL_HOUR_ROWS, counts, strict=False))
    return {
        "leads": row["leads"],
        "called_within_5m_share": _ratio(row["called_within_5m"], row["leads"]),
        "called_within_1h_share": _ratio(row["called_within_1h"], row["leads"]),
        "mean_minutes_to_first_call": _ratio(counts[DELAY_ROW], row["called"]),
        "reached_share": _ratio(row["reached"], row["leads"]),
        "first_calls": row["first_calls"],
        "first_call_reached_share": _ratio(row["first_calls_reached"], row["first_calls"]),
    }


def local_hour_table(replications: list[np.ndarray]) -> pd.DataFrame:
    """Each measure by local hour over the replications: local_hour, measure, n, mean, sd, CI.

    A replication with no lead in an hour leaves that hour's shares out (``n`` says how
    many replications count).
    """
    per_replication = [local_hour_measures(counts) for counts in replications]
    frames = []
    for hour in range(HOURS_PER_DAY):
        values = pd.DataFrame(
            {m: [measures[m][hour] for measures in per_replication] for m in MEASURES}
        )
        frames.append(summarise(values).rename_axis("measure").reset_index())
    table = pd.concat(frames, keys=range(HOURS_PER_DAY), names=["local_hour", None])
    return table.reset_index(level=0).reset_index(drop=True)
