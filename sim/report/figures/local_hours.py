"""Coverage by the lead's local hour: when leads in other time zones are called, and reached.

Two panels over the 24 hours of the lead's own day, a line per policy with its 95%
confidence band (over replications, from the ``local_hours`` table): the share of leads
arriving in each local hour whose first call came within 5 minutes, and the share of
first calls made in each local hour that got through. Grey bars behind the left panel
show how many leads arrive in each local hour (right-hand scale).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

from sim.config.units import HOURS_PER_DAY
from sim.report.style import new_figure, policy_styles, style

PANELS = (
    ("called_within_5m_share", "leads", "First call within 5 min, by local hour of arrival"),
    ("first_call_reached_share", "first_calls", "First calls that got through, by local hour"),
)
"""Each panel: the share shown, the count behind it (grey bars), and its title."""


def _measure(table: pd.DataFrame, policy: str, measure: str) -> pd.DataFrame:
    """One policy's rows of *measure*, one per local hour 0-23 (NaN where nothing was counted)."""
    rows = table[(table["policy"] == policy) & (table["measure"] == measure)]
    return rows.set_index("local_hour").reindex(range(HOURS_PER_DAY))


def local_hours_figure(table: pd.DataFrame, policies: Sequence[str] | None = None) -> Figure:
    """Two panels: called within 5 minutes by local hour of arrival; first-call contact by local hour."""
    policies = list(policies or dict.fromkeys(table["policy"]))
    styles = policy_styles(policies)
    hours = np.arange(HOURS_PER_DAY)
    with style():
        fig = new_figure(10.0, 3.8)
        axes = fig.subplots(1, 2, sharex=True)
        for ax, (share, count, title) in zip(axes, PANELS, strict=True):
            volume = _measure(table, policies[0], count)["mean"].fillna(0)
            behind = ax.twinx()
            behind.bar(hours, volume, width=0.8, color="#d9d9d9", zorder=0)
            behind.grid(False)
            behind.set_ylabel(f"{count.replace('_', ' ')} per replication", color="#777777")
            behind.tick_params(axis="y", colors="#777777")
            ax.set_zorder(behind.get_zorder() + 1)
            ax.patch.set_visible(False)
            for policy in policies:
                rows = _measure(table, policy, share)
                look = styles[policy]
                ax.fill_between(
                    hours, rows["ci_low"], rows["ci_high"], color=look.color, alpha=0.18, lw=0
                )
                ax.plot(
                    hours,
                    rows["mean"],
                    color=look.color,
                    marker=look.marker,
                    linestyle=look.linestyle,
                    markersize=3.5,
                    label=policy,
                )
            ax.set_title(title, fontsize=10)
            ax.set_xlabel("the lead's local hour")
            ax.set_xticks(range(0, HOURS_PER_DAY + 1, 3))
            ax.set_xlim(-0.6, HOURS_PER_DAY - 0.4)
            ax.set_ylim(0, 1.02)
            ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        if len(policies) > 1:
            axes[0].legend(fontsize=8, loc="upper left")
    return fig
