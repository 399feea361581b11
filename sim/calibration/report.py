"""The calibration report: one self-contained HTML page (images as base64 PNG, no scripts).

It says what was read and skipped, every warning, what selection bias means for the
response curves, every fitted value with its interval, the funnel, the figures of
observed against fitted and the calibrated YAML. :func:`write_calibration` writes the
YAML and this page together.

The page has its own few HTML helpers (``_esc``, ``_table``); when ``sim.report`` offers
shared ones, this module should move onto them.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from sim.calibration._estimate import Estimate, duration_text, share_text
from sim.calibration._figures import figures
from sim.calibration._files import write_files_atomically
from sim.calibration._scenario import BASE_EXPERIMENT
from sim.calibration.result import Calibration

SELECTION_BIAS = (
    "Historical response times were not assigned at random. The leads your team called "
    "within minutes differ from the leads it called hours or days later: they arrived in "
    "office hours rather than at night or at the weekend, they came from different sources, "
    "different reps picked them up, and reps may have picked the promising-looking ones first. "
    "So the fitted curves describe how reach and qualification varied with the delay in your "
    "history; they measure what calling faster would change only if nothing else differs "
    "between fast-called and slow-called leads. The fit adjusts for what the export shows: "
    "each source (and, with --stratify source,owner, each rep who made the first attempt) has "
    "its own base chance, so the curve is estimated from delay differences within a source "
    "(and rep). What the export does not show (how good a lead looked to the rep, time of "
    "day effects on who answers) remains. Compare the pooled and stratified curves below: "
    "if adjusting for source and owner moves the curve a lot, unobserved differences may "
    "move it too, and speed-to-lead what-ifs deserve caution."
)


def _esc(value: Any) -> str:
    """*value* as HTML text."""
    return html.escape(str(value))


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """An HTML table, every cell escaped."""
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{_esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _est_row(
    label: str, est: Estimate | None, fmt: Callable[[float], str], method: str
) -> list[Any]:
    if est is None:
        return [label, "not fitted", "", "", method]
    interval = est.ci()
    ci = f"{fmt(interval[0])} to {fmt(interval[1])}" if interval else "n/a"
    return [label, fmt(est.value), ci, f"{est.rows:,}", method]


def _fitted_rows(cal: Calibration) -> list[list[Any]]:
    """One row per fitted value: estimate, 95% CI, rows used and method."""
    rows: list[list[Any]] = []
    for name in cal.sources:
        a = cal.arrivals[name]
        rows.append(
            _est_row(
                f"{name}: leads per week",
                a.weekly,
                lambda v: f"{v:,.1f}",
                "Poisson MLE per hour of week",
            )
        )
        rows.append(
            _est_row(
                f"{name}: reachability (zero delay)",
                cal.reach.get(name),
                share_text,
                "Bernoulli MLE, first attempts",
            )
        )
        rows.append(
            _est_row(
                f"{name}: intent (zero delay)",
                cal.intent.get(name),
                share_text,
                "Bernoulli MLE, conversations / fit share",
            )
        )
        deal = cal.deal_values.get(name)
        rows.append(
            _est_row(
                f"{name}: deal value mean",
                deal.mean if deal else None,
                lambda v: f"{v:,.0f}",
                "lognormal MLE (Cox CI)",
            )
        )
        rows.append(
            _est_row(
                f"{name}: deal value sd",
                deal.sd if deal else None,
                lambda v: f"{v:,.0f}",
                "lognormal MLE (delta method)",
            )
        )
    for what, fit in (("contact", cal.contact), ("qualification", cal.qualification)):
        if fit is None:
            rows.append([f"{what} curve", "not fitted", "", "", "base curve kept"])
            continue
        method = (
            f"Bernoulli MLE, {fit.family}, strata: {fit.stratify}; Wald CI (Fisher information)"
        )
        rows.append(_est_row(f"{what} curve: scale", fit.scale, duration_text, method))
        rows.append(_est_row(f"{what} curve: floor", fit.floor, share_text, method))
        if fit.shape is not None:
            rows.append(_est_row(f"{what} curve: shape", fit.shape, lambda v: f"{v:.3f}", method))
    rows.append(
        _est_row(
            "won share of closed qualified leads",
            cal.win_share,
            share_text,
            "binomial, logit Wald CI",
        )
    )
    rows.append(
        _est_row("decision.win_rate", cal.win_rate, share_text, "simulated moment (linear map)")
    )
    for name, fit in cal.durations.items():
        rows.append(
            _est_row(
                f"actions.{name}: mean",
                fit.mean,
                duration_text,
                "fixed" if fit.fixed else "lognormal MLE (Cox CI)",
            )
        )
        if fit.sd is not None:
            rows.append(
                _est_row(
                    f"actions.{name}: sd", fit.sd, duration_text, "lognormal MLE (delta method)"
                )
            )
    if cal.voicemail_share is not None:
        rows.append(
            _est_row("actions.voicemail_share", cal.voicemail_share, share_text, "binomial")
        )
    for channel, chance in cal.channel_replies.items():
        rows.append(
            _est_row(
                f"channels.{channel}.reply_chance",
                chance,
                share_text,
                "binomial: replies among touches not ending in an opt-out",
            )
        )
    rows.append(
        _est_row(
            "followup.max_attempts",
            cal.max_attempts,
            lambda v: f"{v:.0f}",
            "mode on never-reached leads",
        )
    )
    rows.append(
        _est_row(
            "reps (first-attempt owners per week)",
            cal.reps,
            lambda v: f"{v:.0f}",
            "median over weeks",
        )
    )
    return rows


def render_report(cal: Calibration, yaml_path: Path | None = None) -> str:
    """The calibration report: a self-contained HTML page (images as base64 PNG, no scripts)."""
    parts = [
        f"<h1>Calibration report: {_esc(cal.options.name)}</h1>",
        _what_was_read(cal, yaml_path),
        *_warnings(cal),
        *_skipped_rows(cal),
        *_selection_bias(cal),
        *_fitted_values(cal),
        *_funnel(cal),
        "<h2>Observed vs fitted</h2>",
        *(
            f'<figure><img src="data:image/png;base64,{data}" alt="{_esc(title)}">'
            f"<figcaption>{_esc(title)}</figcaption></figure>"
            for title, data in figures(cal)
        ),
        "<h2>The calibrated experiment</h2>",
        f"<pre>{_esc(cal.yaml_text)}</pre>",
    ]
    return (
        "<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
        f"<title>Calibration report: {_esc(cal.options.name)}</title><style>{STYLE}</style>"
        "</head><body>" + "\n".join(parts) + "</body></html>\n"
    )


STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:1000px;margin:2em auto;color:#222;padding:0 1em}"
    "table{border-collapse:collapse;margin:1em 0;font-size:0.85em}"
    "td,th{border:1px solid #ccc;padding:3px 6px;text-align:left}"
    "th{background:#f2f2f2}.warn li{color:#8a4b00}.meta{color:#555}"
    "figure{margin:1em 0}img{max-width:100%}pre{font-size:0.75em;background:#f8f8f8;padding:1em;overflow-x:auto}"
)
"""The page's style sheet."""


def _what_was_read(cal: Calibration, yaml_path: Path | None) -> str:
    leads, acts, opts = cal.leads, cal.activities, cal.options
    return (
        "<p class=meta>"
        + _esc(
            f"{leads.path}: {leads.rows_read:,} rows read, {len(leads):,} leads used, "
            f"{leads.skipped.total:,} skipped"
            + (
                f"; {acts.path}: {acts.rows_read:,} rows read, {len(acts):,} used, "
                f"{acts.skipped.total:,} skipped"
                if acts is not None
                else "; no activities file"
            )
            + f". Time zone {leads.tz}; week 0 starts {leads.week_start:%Y-%m-%d}. "
            f"Base experiment: {opts.base or BASE_EXPERIMENT}. "
            f"Calibrated in {cal.seconds:.1f} s"
            + (f"; written to {yaml_path}" if yaml_path else "")
            + "."
        )
        + "</p>"
    )


def _warnings(cal: Calibration) -> list[str]:
    if not cal.warnings:
        return ["<h2>Warnings</h2>", "<p>None: every part was fitted from the data.</p>"]
    items = "".join(f"<li>{_esc(w)}</li>" for w in cal.warnings)
    return ["<h2>Warnings</h2>", f"<ul class=warn>{items}</ul>"]


def _skipped_rows(cal: Calibration) -> list[str]:
    rows = []
    for label, table in (("leads", cal.leads), ("activities", cal.activities)):
        if table is None:
            continue
        for reason, count in table.skipped.counts.most_common():
            lines = ", ".join(str(x) for x in table.skipped.examples.get(reason, []))
            rows.append([label, reason, f"{count:,}", lines])
    if not rows:
        return ["<h2>Skipped rows</h2>", "<p>No row was skipped.</p>"]
    return [
        "<h2>Skipped rows</h2>",
        _table(["file", "reason", "rows skipped", "first lines"], rows),
    ]


def _selection_bias(cal: Calibration) -> list[str]:
    """The caveat, and each curve fitted pooled and stratified, so a reader can compare."""
    parts = [
        "<h2>Selection bias: what the response curves can and cannot tell</h2>",
        f"<p>{_esc(SELECTION_BIAS)}</p>",
    ]
    rows = []
    for what, written in (("contact", cal.contact), ("qualification", cal.qualification)):
        for variant, fit in cal.strata.get(what, {}).items():
            rows.append(
                [
                    what,
                    variant + (" (written)" if fit is written else ""),
                    f"{duration_text(fit.scale.value)} ({fit.scale.ci_text(duration_text)})",
                    f"{fit.floor.value:.3f} ({fit.floor.ci_text(share_text)})",
                    f"{fit.shape.value:.3f}" if fit.shape else "",
                    f"{fit.nll:,.1f}",
                    f"{fit.n:,}",
                ]
            )
    if rows:
        header = ["curve", "base chance by", "scale", "floor", "shape", "-log likelihood", "leads"]
        parts.append(_table(header, rows))
    return parts


def _fitted_values(cal: Calibration) -> list[str]:
    parts = [
        "<h2>Fitted values</h2>",
        "<p>Likelihoods: arrivals are a Poisson process with one rate per hour of the week; "
        "contact is a Bernoulli trial per lead (its first attempt: reached or not, "
        "P = reach_source x contact(delay)); qualification is a Bernoulli trial per reached "
        "lead (P = q_source x qualification(delay to the reaching call)); intent = q_source / "
        "(share of realistic leads among those called x rep skill), both from the base "
        "experiment. Intervals are 95%: Wald on the log or logit scale from the inverse Fisher "
        "information for the curves, Poisson for volumes, Cox for lognormal means.</p>",
        _table(["parameter", "estimate", "95% CI", "rows", "method"], _fitted_rows(cal)),
    ]
    if cal.win_rate_detail:
        parts.append(f"<p>Win rate: {_esc(cal.win_rate_detail)}.</p>")
    return parts


def _funnel(cal: Calibration) -> list[str]:
    """The funnel's rates, lost reasons, time to first attempt and follow-up gaps."""
    leads = cal.leads
    rows = [
        [name, *_est_row(label, est, share_text, "")[:4]]
        for name, rates in cal.funnel.items()
        for label, est in rates.items()
    ]
    parts = ["<h2>Funnel</h2>", _table(["source", "rate", "share", "95% CI", "denominator"], rows)]
    if leads.lost_reasons:
        lost = np.bincount(
            leads.lost_reason[leads.lost_reason >= 0], minlength=len(leads.lost_reasons)
        )
        parts.append(
            _table(
                ["lost reason", "leads"],
                [[r, f"{c:,}"] for r, c in zip(leads.lost_reasons, lost, strict=True)],
            )
        )
    d1 = cal.delays.get("first_attempt")
    if d1 is not None and d1.size:
        shares = [0.25, 0.5, 0.75, 0.9]
        q = np.quantile(d1, shares)
        within = ", ".join(
            f"{int(p * 100)}% within {duration_text(v)}" for p, v in zip(shares, q, strict=True)
        )
        parts.append(f"<p>Time to first attempt: {_esc(within)}.</p>")
    if cal.steps:
        parts.append(
            _table(
                ["after attempt", "median gap", "gaps"],
                [[i + 1, duration_text(g), f"{n:,}"] for i, (g, n) in enumerate(cal.steps)],
            )
        )
    return parts


def default_report_path(out: Path) -> Path:
    """Where the report of the calibrated YAML *out* goes: ``NAME.calibration.html`` beside it."""
    return out.with_name(out.stem + ".calibration.html")


def write_calibration(cal: Calibration, out: Path, report: Path | None = None) -> tuple[Path, Path]:
    """Write the YAML and the report together: both are staged, then renamed into place."""
    report = report or default_report_path(out)
    html_text = render_report(cal, out)
    write_files_atomically(
        [(out, lambda f: f.write(cal.yaml_text)), (report, lambda f: f.write(html_text))]
    )
    return out, report
