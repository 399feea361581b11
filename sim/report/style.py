"""How every salespulse figure looks, and how it is saved.

Figures are built without pyplot (no global state, no GUI backend: PNGs are
rendered by Agg) in one style (:func:`style`): readable fonts, a light grid and
the Okabe-Ito colour-blind-safe palette, with markers, line styles and hatches
that also tell policies apart in greyscale. A policy keeps its colour, marker
and hatch in every figure (baseline first). :func:`save_figure` writes one drawn
figure as PNG and SVG; it also accepts figures made with pyplot (Optuna's plots
in :mod:`sim.tuning`) and releases them there.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cycler import cycler

if TYPE_CHECKING:
    from matplotlib.figure import Figure

PALETTE = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#CC79A7",  # reddish purple
    "#555555",  # dark grey
    "#F0E442",  # yellow
)
"""Okabe-Ito colours, ordered so that neighbours also differ in lightness."""
HIGHLIGHT = "#D55E00"
"""The colour that marks the best point of a sweep."""
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "h")
LINESTYLES: tuple[Any, ...] = (
    "-",
    "--",
    "-.",
    ":",
    (0, (6, 2)),
    (0, (4, 1, 1, 1, 1, 1)),
    (0, (1, 2)),
    (0, (8, 2, 2, 2)),
)
HATCHES = ("", "///", "...", "xxx", "\\\\\\", "+++", "ooo", "---")
HEATMAP_CMAP = "cividis"
"""Colour-blind safe and monotonic in lightness (reads in greyscale)."""

STYLE: dict[str, Any] = {
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.labelsize": 10,
    "xtick.labelsize": 9,
    "ytick.labelsize": 9,
    "legend.fontsize": 9,
    "figure.titlesize": 13,
    "figure.titleweight": "bold",
    "axes.grid": True,
    "grid.color": "#dcdcdc",
    "grid.linewidth": 0.6,
    "axes.axisbelow": True,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=PALETTE),
    "lines.linewidth": 2.0,
    "lines.markersize": 6,
    "legend.frameon": False,
    "hatch.linewidth": 0.8,
    "image.cmap": HEATMAP_CMAP,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "savefig.dpi": 150,
    "text.parse_math": False,  # text is text: the $ of an amount does not start a formula
    "svg.hashsalt": "salespulse",  # stable element ids: the same figure gives the same SVG
}
"""rcParams of every salespulse figure."""

DPI = 150


@contextmanager
def style() -> Iterator[None]:
    """Draw (and save) figures inside this block to get the salespulse style."""
    import matplotlib as mpl  # not at import (0.1 s): sim.report imports this module eagerly

    with mpl.rc_context(STYLE):
        yield


@dataclass(frozen=True)
class PolicyStyle:
    """How one policy looks in every figure."""

    color: str
    marker: str
    linestyle: Any
    hatch: str

    def bars(self) -> dict[str, Any]:
        """Keyword arguments that give ``bar``/``barh`` this policy's look (outlined, hatched)."""
        return {"color": self.color, "hatch": self.hatch, "edgecolor": "#222222", "linewidth": 0.6}


def policy_styles(policies: Sequence[str]) -> dict[str, PolicyStyle]:
    """A style per policy, in order (the baseline first keeps the first style)."""
    n = len(PALETTE)
    return {
        p: PolicyStyle(PALETTE[i % n], MARKERS[i % n], LINESTYLES[i % n], HATCHES[i % n])
        for i, p in enumerate(policies)
    }


def new_figure(width: float, height: float) -> Figure:
    """An empty figure of *width* x *height* inches with constrained layout (no pyplot)."""
    from matplotlib.figure import Figure  # not at import, as in style()

    return Figure(figsize=(width, height), layout="constrained")


def save_figure(fig: Figure, folder: str | Path, stem: str) -> Path:
    """Write ``stem.png`` (150 dpi) and ``stem.svg`` into *folder*, close *fig*; return the PNG path.

    The figure is drawn once: the SVG keeps the layout the PNG computed.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    png = folder / f"{stem}.png"
    with style():
        fig.savefig(png, dpi=DPI, metadata={"Software": "salespulse"})
        if fig.get_layout_engine() is not None:
            fig.set_layout_engine("none")  # keep the layout just computed: the SVG is the same
        fig.savefig(folder / f"{stem}.svg", metadata={"Date": None, "Creator": "salespulse"})
    if fig.canvas.manager is not None:  # made with pyplot (Optuna's plots): release it there too
        import matplotlib.pyplot as plt

        plt.close(fig)
    else:
        fig.clear()
    return png
