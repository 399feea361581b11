"""The PDF report: A4 landscape pages drawn with matplotlib alone.

A title page with the summary, a page per figure (the saved PNG with its caption),
then the tables and the assumptions as monospaced text. It reads the same
:class:`~sim.report.content.Report` as the HTML page.

Text is set in two of the 14 standard PDF fonts, Helvetica and Courier, which every
PDF reader has: nothing is embedded and laying out the text takes about half the
time of embedding the figures' DejaVu fonts (0.3 instead of 0.6 s for the default
run, on the report's critical path). A report with a character those fonts lack
(beyond Windows-1252: a rupee sign, say) embeds DejaVu instead (:func:`pdf_fonts`).
"""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import PIL.Image
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure

from sim.report.content import Report, SavedFigure, Table
from sim.report.style import style

PAGE = (11.69, 8.27)  # A4 landscape, inches
MARGIN = 0.6
MONO_CHARS = 150
"""Characters per line of monospaced text on a page (7.5 pt)."""
STANDARD_FONTS: dict[str, Any] = {
    "pdf.use14corefonts": True,
    "font.family": "sans-serif",
    "font.sans-serif": ["Helvetica"],
    "font.monospace": ["Courier"],
    "font.weight": "medium",  # the weight the standard fonts' metrics name (not "normal")
    "axes.formatter.use_mathtext": True,  # no tick labels are drawn; spares a font look-up
}
"""Text in Helvetica and Courier, which every PDF reader has (nothing embedded)."""
EMBEDDED_FONTS: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.monospace": ["DejaVu Sans Mono"],
}
"""Text in the figures' fonts, embedded (any character they have)."""
STANDARD_ENCODING = "cp1252"
"""The characters matplotlib can write in the standard fonts (Windows-1252)."""


def _texts(value: object) -> Iterator[str]:
    """Every string inside *value*: a report's dataclasses, lists and tuples, walked down."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value):
        for field in dataclasses.fields(value):
            yield from _texts(getattr(value, field.name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item)


def pdf_fonts(report: Report) -> dict[str, Any]:
    """The standard fonts when every character of *report* is theirs, else the embedded ones."""
    try:
        for text in _texts(report):
            text.encode(STANDARD_ENCODING)
    except UnicodeEncodeError:
        return EMBEDDED_FONTS
    return STANDARD_FONTS


def _page() -> Figure:
    return Figure(figsize=PAGE)


class _TextPages:
    """Flowing text onto A4 pages: lines of a given size, a new page when one is full."""

    def __init__(self, pdf: PdfPages) -> None:
        self.pdf = pdf
        self.fig: Figure | None = None
        self.y = 0.0

    def _new(self) -> None:
        self.flush()
        self.fig = _page()
        self.y = PAGE[1] - MARGIN

    def line(
        self,
        text: str,
        size: float = 10,
        weight: str | None = None,
        mono: bool = False,
        gap: float = 0.0,
    ) -> None:
        height = size * 1.4 / 72 + gap
        if self.fig is None or self.y - height < MARGIN:
            self._new()
        assert self.fig is not None
        self.y -= height
        self.fig.text(
            MARGIN / PAGE[0],
            self.y / PAGE[1],
            text,
            fontsize=size,
            fontweight=weight,
            family="monospace" if mono else "sans-serif",
            va="bottom",
        )

    def block(self, lines: Sequence[str], size: float = 7.5) -> None:
        """Monospaced lines, one text object per page (fast to lay out and to draw)."""
        step = size * 1.35 / 72
        lines = list(lines)
        while lines:
            if self.fig is None or self.y - step < MARGIN:
                self._new()
            assert self.fig is not None
            fits = max(1, int((self.y - MARGIN) / step))
            chunk, lines = lines[:fits], lines[fits:]
            self.fig.text(
                MARGIN / PAGE[0],
                self.y / PAGE[1],
                "\n".join(chunk),
                fontsize=size,
                family="monospace",
                va="top",
                linespacing=1.35,
            )
            self.y -= step * len(chunk)

    def paragraph(
        self, text: str, size: float = 10, width: int = 120, indent: str = "", first: str = ""
    ) -> None:
        lines = textwrap.wrap(text, width=width, initial_indent=first, subsequent_indent=indent)
        for line in lines or [""]:
            self.line(line, size)

    def new_page(self) -> None:
        self._new()

    def flush(self) -> None:
        if self.fig is not None:
            self.pdf.savefig(self.fig)
            self.fig = None


def _mono_lines(table: Table) -> list[str]:
    """A table as fixed-width text, columns split into several blocks if too wide."""
    cells = [table.header, *table.rows]
    widths = [max(len(str(r[i])) for r in cells) for i in range(len(table.header))]
    widths = [min(w, 70) for w in widths]
    blocks: list[list[int]] = []
    current = [0]
    used = widths[0]
    for i in range(1, len(widths)):
        if used + 2 + widths[i] > MONO_CHARS and len(current) > 1:
            blocks.append(current)
            current, used = [0], widths[0]
        current.append(i)
        used += 2 + widths[i]
    blocks.append(current)
    lines: list[str] = []
    for b, columns in enumerate(blocks):
        if b:
            lines.append("")
        for r, row in enumerate(cells):
            parts = []
            for i in columns:
                text = str(row[i])
                if len(text) > widths[i]:
                    text = text[: widths[i] - 1] + "…"
                parts.append(text.ljust(widths[i]))
            lines.append("  ".join(parts).rstrip())
            if r == 0:
                lines.append("-" * min(MONO_CHARS, len(lines[-1])))
    return lines


def _pdf_table(pages: _TextPages, table: Table) -> None:
    pages.line(table.title, 11, "bold", gap=0.1)
    pages.block(_mono_lines(table))
    if table.note:
        pages.paragraph(table.note, 8, width=150)
    pages.line("", 6)


def _figure_page(pdf: PdfPages, saved: SavedFigure, section: str = "") -> None:
    """A page with one figure; *section* heads it when it opens a section (the appendix)."""
    fig = _page()
    title = f"{section}\n{saved.title}" if section else saved.title
    fig.text(
        MARGIN / PAGE[0],
        1 - MARGIN / PAGE[1],
        title,
        fontsize=14,
        fontweight="bold",
        va="top",
    )
    caption = textwrap.wrap(saved.caption, 150)
    caption_height = 0.2 + 0.16 * len(caption)
    with PIL.Image.open(saved.png) as png:
        image = np.asarray(png.convert("RGB"))  # 8-bit: embedded without float conversion
    top = PAGE[1] - MARGIN - (0.75 if section else 0.45)
    bottom = MARGIN + caption_height
    box_w, box_h = PAGE[0] - 2 * MARGIN, top - bottom
    h, w = image.shape[:2]
    scale = min(box_w / w, box_h / h)
    iw, ih = w * scale, h * scale
    left = (PAGE[0] - iw) / 2
    ax = fig.add_axes((left / PAGE[0], (top - ih) / PAGE[1], iw / PAGE[0], ih / PAGE[1]))
    ax.imshow(image, interpolation="none")  # embedded as it is, not resampled
    ax.set_axis_off()
    for i, line in enumerate(caption):
        fig.text(
            MARGIN / PAGE[0],
            (top - ih - 0.25 - 0.16 * i) / PAGE[1],
            line,
            fontsize=8.5,
            va="top",
            color="#333333",
        )
    pdf.savefig(fig)


def render_pdf(path: Path, report: Report) -> None:
    """The HTML page's content in its order: recommendation, ranking and summary on the first
    page(s), a page per figure, the tables, the appendix's figures, then the assumptions."""
    metadata = {"Title": report.title, "Creator": "salespulse", "CreationDate": None}
    with style(), mpl.rc_context(pdf_fonts(report)), PdfPages(path, metadata=metadata) as pdf:
        pages = _TextPages(pdf)
        pages.new_page()
        pages.line(report.title, 20, "bold", gap=0.1)
        pages.line(report.meta, 10, gap=0.05)
        pages.line("", 8)
        if report.recommendation:
            pages.line("Recommendation", 14, "bold", gap=0.1)
            pages.paragraph(" ".join(report.recommendation), 11.5, width=110)
            pages.line("", 8)
        if report.ranking is not None:
            _pdf_table(pages, report.ranking)
            pages.line("", 8)
        pages.line("Summary", 14, "bold", gap=0.1)
        for paragraph in report.summary.paragraphs:
            pages.paragraph(paragraph, 11.5, width=110)
            pages.line("", 5)
        for point in report.summary.points:
            pages.paragraph(point, 10.5, width=120, first="•  ", indent="   ")
        pages.flush()
        for saved in report.main_figures:
            _figure_page(pdf, saved)
        if report.tables:
            pages.new_page()
            pages.line("Tables", 14, "bold", gap=0.1)
            for table in report.tables:
                _pdf_table(pages, table)
            pages.flush()
        for number, saved in enumerate(report.appendix_figures):
            _figure_page(pdf, saved, "Appendix: checking the model" if number == 0 else "")
        pages.new_page()
        pages.line("Assumptions and provenance", 14, "bold", gap=0.1)
        for section in report.assumptions:
            if isinstance(section, Table):
                _pdf_table(pages, section)
            else:
                pages.line(section.title, 11, "bold", gap=0.1)
                pages.block(
                    [
                        part
                        for line in section.text.splitlines()
                        for part in textwrap.wrap(
                            line, MONO_CHARS, subsequent_indent="    ", drop_whitespace=False
                        )
                        or [""]
                    ]
                )
                pages.line("", 6)
        pages.flush()
