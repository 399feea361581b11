"""Workload by hour of the week: when reps are busy and when work piles up.

The ``hourly`` table holds, per hour of the week (Monday 00:00 first), the rep
minutes on shift and busy and the task-minutes waiting, summed over the window
and the replications; :func:`heatmap_figure` draws them as two 7 x 24 grids.
"""

from __future__ import annotations

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.ticker import FuncFormatter

from sim.config.units import HOURS_PER_WEEK, MINUTES_PER_HOUR
from sim.report.style import HEATMAP_CMAP, new_figure, style

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def hour_of_week_grids(
    hourly: pd.DataFrame, window_weeks: float | None
) -> tuple[np.ndarray, np.ndarray]:
    """7 x 24 grids of utilisation (NaN when nobody is on shift) and average tasks waiting."""
    table = hourly.sort_values("hour_of_week")
    busy = np.zeros(HOURS_PER_WEEK)
    on_shift = np.zeros(HOURS_PER_WEEK)
    backlog = np.zeros(HOURS_PER_WEEK)
    hours = table["hour_of_week"].to_numpy(dtype=int) % HOURS_PER_WEEK
    busy[hours] = table["busy_minutes"].to_numpy(dtype=float)
    on_shift[hours] = table["on_shift_minutes"].to_numpy(dtype=float)
    backlog[hours] = table["backlog_task_minutes"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        utilisation = np.where(on_shift > 0, busy / on_shift, np.nan)
    weeks = window_weeks if window_weeks and window_weeks > 0 else 1.0
    shape = (len(DAYS), HOURS_PER_WEEK // len(DAYS))
    return utilisation.reshape(shape), (backlog / (MINUTES_PER_HOUR * weeks)).reshape(shape)


def heatmap_figure(
    hourly: pd.DataFrame,
    policy: str,
    window_weeks: float | None,
    backlog_max: float | None = None,
) -> Figure:
    """Rep utilisation and average backlog by hour of the week (7 days x 24 hours) for one policy."""
    utilisation, backlog = hour_of_week_grids(hourly, window_weeks)
    with style():
        fig = new_figure(10.5, 6.6)
        axes = fig.subplots(2, 1)
        cmap = mpl.colormaps[HEATMAP_CMAP].with_extremes(bad=(0, 0, 0, 0))
        panels = (
            (
                utilisation,
                Normalize(0, 1),
                "Rep utilisation: share of on-shift time busy",
                lambda v, _: f"{100 * v:.0f}%",
                "busy / on shift",
            ),
            (
                backlog,
                Normalize(0, backlog_max or max(float(np.nanmax(backlog)), 1e-9)),
                "Backlog: tasks waiting for a rep (average)",
                lambda v, _: f"{v:.3g}",
                "tasks waiting",
            ),
        )
        for ax, (grid, norm, title, fmt, bar_label) in zip(axes, panels, strict=True):
            image = ax.imshow(
                np.ma.masked_invalid(grid),
                aspect="auto",
                cmap=cmap,
                norm=norm,
                interpolation="nearest",
                zorder=1,
            )
            ax.add_patch(
                Rectangle(
                    (-0.5, -0.5),
                    24,
                    7,
                    facecolor="white",
                    edgecolor="#aaaaaa",
                    hatch="////",
                    linewidth=0,
                    zorder=-1,
                )
            )
            ax.set_yticks(range(7), DAYS)
            ax.set_xticks(range(0, 24, 2), [f"{h:02d}:00" for h in range(0, 24, 2)])
            ax.vlines(np.arange(0.5, 23), -0.5, 6.5, color="white", linewidth=0.6)  # cell borders
            ax.hlines(np.arange(0.5, 6), -0.5, 23.5, color="white", linewidth=0.6)
            ax.grid(visible=False)
            ax.set_title(title, fontsize=10.5)
            ax.set_xlabel("Hour of the day (start of the hour)")
            for spine in ax.spines.values():
                spine.set_visible(False)
            colorbar = fig.colorbar(image, ax=ax, format=FuncFormatter(fmt), shrink=0.9)
            colorbar.set_label(bar_label)
        note = "hatched: nobody on shift" if np.isnan(utilisation).any() else ""
        fig.suptitle(f"{policy}: when reps are busy and when work piles up, by hour of the week")
        if note:
            axes[0].text(1.0, 1.02, note, transform=axes[0].transAxes, ha="right", fontsize=8.5)
    return fig
