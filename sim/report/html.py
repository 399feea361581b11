"""The HTML report: a :class:`~sim.report.content.Report` poured into a Jinja2 template.

The default template is ``sim/report/templates/report.html.j2``: one
self-contained page (inline CSS, figures embedded as base64 PNG, no scripts or
external links) that prints cleanly. To change the page, copy that file, edit
the copy and choose it with the ``SALESPULSE_REPORT_TEMPLATE`` environment
variable (every verb that writes a report uses it) or ``write_report(...,
template=path)``. The template sees ``report`` (the content) and ``run`` (the
run folder's :class:`~sim.report.RunData`); text is escaped automatically and an
unknown name is an error rather than a blank.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

import jinja2

from sim.config import ConfigError
from sim.report.content import Report
from sim.report.run_data import RunData

DEFAULT_TEMPLATE = Path(__file__).resolve().parent / "templates" / "report.html.j2"
TEMPLATE_VARIABLE = "SALESPULSE_REPORT_TEMPLATE"
"""Environment variable naming a template file to use instead of the default."""


def data_uri(png: str | Path) -> str:
    """A PNG file as a ``data:`` URI, so the page needs no other file."""
    return "data:image/png;base64," + base64.b64encode(Path(png).read_bytes()).decode("ascii")


def load_template(path: str | Path | None = None) -> jinja2.Template:
    """The report template: *path*, else ``$SALESPULSE_REPORT_TEMPLATE``, else the default.

    Raises :class:`ConfigError` naming the file when it is missing or not a valid
    Jinja2 template, before any figure is drawn.
    """
    chosen = path or os.environ.get(TEMPLATE_VARIABLE) or DEFAULT_TEMPLATE
    where = f"{TEMPLATE_VARIABLE}={chosen}" if path is None and chosen != DEFAULT_TEMPLATE else ""
    template_path = Path(chosen)
    if not template_path.is_file():
        raise ConfigError(
            f"{where or template_path}: no such template file; expected a Jinja2 HTML template "
            f"such as a copy of {DEFAULT_TEMPLATE}"
        )
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(template_path.parent),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters["data_uri"] = data_uri
    try:
        return environment.get_template(template_path.name)
    except jinja2.TemplateSyntaxError as exc:
        raise ConfigError(
            f"{template_path}:{exc.lineno}: {exc.message}; expected a valid Jinja2 template"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{template_path}: cannot read the template ({exc})") from None


def render_html(
    report: Report, run: RunData | None, template: jinja2.Template | None = None
) -> str:
    """The HTML page for *report* (the default template unless one is given); *run* is
    ``None`` for a folder that is not a run folder (a sensitivity analysis)."""
    template = template or load_template()
    try:
        return template.render(report=report, run=run)
    except jinja2.TemplateError as exc:
        raise ConfigError(
            f"{template.filename}: {exc}; expected only the names the default template uses "
            "(report, run and their fields)"
        ) from None
