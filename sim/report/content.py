"""What a report says, before it is laid out: the objects the HTML template and the PDF read.

A :class:`Report` holds already-written words and numbers (the summary,
figures with their captions, formatted tables and the assumptions); the HTML
template (``templates/report.html.j2``) and :mod:`sim.report.pdf` only arrange
them. To change what the report says, change the modules that build these
(:mod:`~sim.report.summary`, :mod:`~sim.report.tables`,
:mod:`~sim.report.assumptions`, :mod:`~sim.report.figures.catalogue`); to change
how it looks, change the template.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Summary:
    """The opening text: sentences, then supporting points."""

    paragraphs: list[str]
    points: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Table:
    """A table of already formatted cells."""

    title: str
    header: list[str]
    rows: list[list[str]]
    note: str = ""


@dataclass(frozen=True)
class Block:
    """Preformatted text (the YAML of a cadence or a design)."""

    title: str
    text: str


@dataclass(frozen=True)
class SavedFigure:
    """A figure written to disk, with the words that go with it in the report."""

    stem: str
    title: str
    caption: str
    png: Path
    svg: Path
    appendix: bool = False
    """Model checking rather than a finding: shown in the appendix at the end."""


@dataclass(frozen=True)
class Report:
    """Everything the report shows, in order."""

    title: str
    meta: str
    """One line under the title: when it finished, the seed, the replications."""
    recommendation: list[str]
    """What to change, its effect, robustness, assumptions and rep hours (run, compare)."""
    summary: Summary
    ranking: Table | None
    """The ranking of policies (compare, tune), shown right after the summary."""
    figures: list[SavedFigure]
    tables: list[Table]
    assumptions: list[Table | Block]

    @property
    def main_figures(self) -> list[SavedFigure]:
        """The figures a reader needs, in order (after the ranking)."""
        return [f for f in self.figures if not f.appendix]

    @property
    def appendix_figures(self) -> list[SavedFigure]:
        """The model-checking figures, shown in the appendix at the end."""
        return [f for f in self.figures if f.appendix]
