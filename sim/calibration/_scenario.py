"""The calibrated experiment: the base experiment with every fitted value written in.

:func:`build_config` returns the experiment as config data and fills
``cal.comments`` with a note beside each value (the estimate, its 95% interval and
the rows used; or why the base value was kept). :func:`render_yaml` writes both as
the YAML file ``python -m sim calibrate`` produces.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from policies import StepCadence
from sim.calibration._estimate import duration_text, round_minutes, round_sig, share_text
from sim.calibration._fit import CurveFit, LognormalFit, TablePoint
from sim.calibration._uncertain import uncertain_section
from sim.calibration._yaml import Comments, commented_yaml
from sim.calibration.result import Calibration
from sim.config.calendar import PROFILE_PRESETS
from sim.config.durations import format_duration
from sim.config.scenario import LeadSource, LeadTraits
from sim.config.units import HOURS_PER_WEEK, MINUTES_PER_DAY, MINUTES_PER_HOUR

BASE_EXPERIMENT = Path("experiments/baseline.yaml")
"""The base experiment when ``--base`` is not given."""

FIRST_CALL_ROLES = ("generalist", "responder")
"""Rep roles that call new leads: the owners of first attempts in an export."""


def build_config(cal: Calibration) -> dict[str, Any]:
    """The calibrated experiment as config data; ``cal.comments`` gets a comment per fitted value."""
    opts = cal.options
    config = copy.deepcopy(cal.base.to_config())
    config.pop("compare", None)
    config.pop("sweep", None)
    comments = cal.comments
    comments.clear()
    config["name"] = opts.name
    config["description"] = (
        f"Calibrated from {opts.leads.name}"
        + (f" and {opts.activities.name}" if opts.activities else "")
        + f" ({len(cal.leads):,} leads); everything not fitted comes from "
        + f"{(opts.base or BASE_EXPERIMENT).name}."
    )
    scenario = config["scenario"]
    scenario["sources"] = _sources(cal, scenario["sources"], comments)
    comments[("scenario", "sources")] = (
        f"fitted from {cal.options.leads.name}: one Poisson stream per source"
    )
    _response_curves(cal, scenario["response"], comments)
    _actions(cal, scenario["actions"], comments)
    _channels(cal, scenario["channels"], comments)
    _win_rate(cal, scenario["decision"], comments)
    _team(cal, scenario["reps"], comments)
    _followup(cal, config["policy"], comments)
    config["uncertain"] = uncertain_section(cal, config.pop("uncertain", None) or {})
    comments[("uncertain",)] = (
        "the 95% CI of each fitted value: python -m sim run FILE --uncertainty draws plausible "
        "worlds from it (docs/uncertainty.md)"
    )
    return config


def experiment_name(out: Path) -> str:
    """A valid experiment name from the output file name."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", out.stem).strip("._-") or "calibrated"
    return name if name[0].isalnum() else f"c{name}"


def render_yaml(cal: Calibration) -> str:
    """The calibrated experiment as YAML text, a comment on each fitted value."""
    opts = cal.options
    head = [
        f"# Calibrated by `python -m sim calibrate` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC from",
        f"#   {opts.leads}"
        + (f" and {opts.activities}" if opts.activities else "")
        + f" ({len(cal.leads):,} leads used, {cal.leads.skipped.total:,} skipped"
        + (
            f"; {len(cal.activities):,} activities used, {cal.activities.skipped.total:,} skipped"
            if cal.activities is not None
            else ""
        )
        + ").",
        f"# Base experiment (everything not fitted): {opts.base or BASE_EXPERIMENT}.",
        "# Each fitted value carries a comment: the estimate, its 95% confidence interval and the",
        "# rows used. Values marked NOT fitted fell back to the base (see the warnings in the report).",
        f"# Response curves: family {opts.family}, stratified by {opts.stratify}. Historical response",
        "# times were not random: read 'Selection bias' in the calibration report before trusting",
        "# what-if results about speed to lead.",
    ]
    if cal.warnings:
        head.append("# Warnings:")
        head += [f"#   - {w}" for w in cal.warnings]
    return "\n".join(head) + "\n\n" + commented_yaml(cal.config, cal.comments) + "\n"


# --------------------------------------------------------------------------- the parts


def _sources(
    cal: Calibration, base_sources: list[dict[str, Any]], comments: Comments
) -> list[dict[str, Any]]:
    """One lead source per fitted source: volume, profile, intent, reachability, deal value."""
    by_name = {s["name"]: s for s in base_sources}
    sources = []
    for i, name in enumerate(cal.sources):
        path = ("scenario", "sources", i)
        old = by_name.get(name)
        traits = old or _new_source_traits()
        arrival = cal.arrivals[name]
        weeks = arrival.exposure.sum() / HOURS_PER_WEEK
        source: dict[str, Any] = {
            "name": name,
            "leads_per_week": round_sig(arrival.weekly.value, 4),
        }
        comments[(*path, "name")] = "" if old else "new source (not in the base experiment)"
        comments[(*path, "leads_per_week")] = (
            f"fitted: {arrival.weekly.value:,.1f}/week, "
            f"{arrival.weekly.ci_text(lambda v: f'{v:,.1f}')}, {arrival.count:,} leads over "
            f"{weeks:.1f} weeks"
        )
        if arrival.profile is not None:
            source["profile"] = [round(float(v), 4) for v in arrival.profile]
            comments[(*path, "profile")] = (
                f"fitted: arrivals per hour of the week / busiest hour, {arrival.count:,} leads "
                "(Poisson MLE per hour; see the report)"
            )
        else:
            source["profile"] = list(traits["profile"])
            comments[(*path, "profile")] = f"NOT fitted ({arrival.note}): default kept"
        for trait, estimates, what in (
            ("intent", cal.intent, "qualified share per conversation at zero delay"),
            ("reachability", cal.reach, "first-attempt reach at zero delay"),
        ):
            source[trait] = dict(traits[trait])
            est = estimates.get(name)
            if est is None:
                comments[(*path, trait, "mean")] = "NOT fitted (too few rows): base value kept"
                continue
            source[trait]["mean"] = round_sig(est.value, 4)
            extra = ""
            if trait == "intent":
                extra = f" / (realistic share among called {cal.fit_share[name]:.3f} x skill)"
            comments[(*path, trait, "mean")] = (
                f"fitted: {what}{extra}: {est.value:.3f}, {est.ci_text(share_text)}, "
                f"{est.rows:,} leads"
            )
        source["deal_value"] = dict(traits["deal_value"])
        deal = cal.deal_values.get(name)
        if deal is not None:
            source["deal_value"] = _deal_value_config(deal)
            comments[(*path, "deal_value")] = _deal_value_comment(deal)
        else:
            comments[(*path, "deal_value")] = "NOT fitted (too few won deals): base value kept"
        source["fit_rate"] = traits["fit_rate"]
        comments[(*path, "fit_rate")] = "not identifiable from the export: base value kept"
        source["patience"] = traits.get("patience")
        sources.append(source)
    return sources


def _new_source_traits() -> dict[str, Any]:
    """A source the base experiment lacks starts from the schema's defaults."""
    default_profile = LeadSource.model_fields["profile"].default
    return {
        **LeadTraits().model_dump(mode="json"),
        "profile": list(PROFILE_PRESETS[default_profile]),
    }


def _deal_value_config(deal: LognormalFit) -> dict[str, float]:
    sd = deal.sd.value if deal.sd else 0.0
    return {"mean": round_sig(deal.mean.value, 4), "sd": round_sig(sd, 3)}


def _deal_value_comment(deal: LognormalFit) -> str:
    def money(v: float) -> str:
        return f"{v:,.0f}"

    sd_text = f", sd {deal.sd.value:,.0f} ({deal.sd.ci_text(money)})" if deal.sd else ""
    return (
        f"fitted (lognormal MLE): mean {deal.mean.value:,.0f} "
        f"({deal.mean.ci_text(money)}){sd_text}, {deal.n:,} won deals"
    )


def _response_curves(cal: Calibration, response: dict[str, Any], comments: Comments) -> None:
    """The contact and qualification curves, fitted or kept (``--family table``: the table curve)."""
    for what, fit, table in (
        ("contact", cal.contact, cal.contact_table),
        ("qualification", cal.qualification, cal.qualification_table),
    ):
        path = ("scenario", "response", what)
        if fit is None:
            comments[path] = "NOT fitted (data too thin, see the report): base curve kept"
            continue
        if cal.options.family == "table" and table:
            response[what] = _table_config(table)
            comments[path] = (
                f"fitted: observed / expected-at-zero-delay per delay bucket, {fit.n:,} leads "
                f"(the exponential fit: scale {duration_text(fit.scale.value)}, "
                f"floor {fit.floor.value:.3f})"
            )
            continue
        response[what] = _curve_config(fit)
        comments[path] = (
            f"fitted by maximum likelihood ({fit.family}, stratified by {fit.stratify}), "
            f"{fit.n:,} leads, {fit.events:,} {'reached' if what == 'contact' else 'qualified'}"
        )
        comments[(*path, "scale")] = (
            f"{duration_text(fit.scale.value)}, {fit.scale.ci_text(duration_text)}"
        )
        comments[(*path, "floor")] = f"{fit.floor.value:.3f}, {fit.floor.ci_text(share_text)}"
        if fit.shape is not None:
            comments[(*path, "shape")] = (
                f"{fit.shape.value:.3f}, {fit.shape.ci_text(lambda v: f'{v:.3f}')}"
            )


def _curve_config(fit: CurveFit) -> dict[str, Any]:
    config: dict[str, Any] = {
        "family": fit.family,
        "scale": format_duration(round_minutes(fit.scale.value)),
    }
    if fit.shape is not None:
        config["shape"] = round_sig(fit.shape.value, 4)
    config["floor"] = round_sig(fit.floor.value, 4)
    return config


def _table_config(points: list[TablePoint]) -> dict[str, Any]:
    pts = [[0, 1.0]] if not points or points[0].minutes > 0 else []
    pts += [[round_sig(p.minutes, 4), round_sig(p.value, 4)] for p in points]
    return {"family": "table", "points": pts}


def _actions(cal: Calibration, actions: dict[str, Any], comments: Comments) -> None:
    """The durations fitted from activities, and the voicemail share of unanswered dials."""
    for name, fit in cal.durations.items():
        actions[name] = _duration_config(fit)
        if fit.fixed:
            comments[("scenario", "actions", name)] = (
                f"fitted: every one of {fit.n:,} activities took {duration_text(fit.mean.value)}"
            )
            continue
        sd = (
            f", sd {duration_text(fit.sd.value)} ({fit.sd.ci_text(duration_text)})"
            if fit.sd
            else ""
        )
        comments[("scenario", "actions", name)] = (
            f"fitted (lognormal MLE): mean {duration_text(fit.mean.value)} "
            f"({fit.mean.ci_text(duration_text)}){sd}, {fit.n:,} activities"
        )
    if "no_answer" in cal.durations and "voicemail" not in cal.durations:
        actions["voicemail"] = actions["no_answer"]
        comments[("scenario", "actions", "voicemail")] = (
            "the export does not tell voicemails from unanswered dials: both use the fit of every "
            "unreached dial"
        )
    if cal.voicemail_share is not None:
        actions["voicemail_share"] = round_sig(cal.voicemail_share.value, 3)
        comments[("scenario", "actions", "voicemail_share")] = (
            f"fitted: {cal.voicemail_share.value:.3f}, "
            f"{cal.voicemail_share.ci_text(share_text)}, "
            f"{cal.voicemail_share.rows:,} unreached dials"
        )


def _channels(cal: Calibration, channels: dict[str, Any], comments: Comments) -> None:
    """Each channel's reply chance fitted from its touches (docs/calibration.md)."""
    for name, chance in cal.channel_replies.items():
        channels[name]["reply_chance"] = round_sig(chance.value, 3)
        comments[("scenario", "channels", name, "reply_chance")] = (
            f"fitted: {chance.value:.3f}, {chance.ci_text(share_text)}, replies among "
            f"{chance.rows:,} {name} touches that did not end in an opt-out"
        )


def _duration_config(fit: LognormalFit) -> Any:
    """A fitted duration as config: a fixed duration, or a lognormal's mean and sd."""
    if fit.fixed:
        return format_duration(round_minutes(fit.mean.value))
    assert fit.sd is not None
    return {
        "dist": "lognormal",
        "mean": format_duration(round_minutes(fit.mean.value)),
        "sd": format_duration(round_minutes(fit.sd.value)),
    }


def _win_rate(cal: Calibration, decision: dict[str, Any], comments: Comments) -> None:
    """``decision.win_rate`` when it was found by simulation."""
    if cal.win_rate is None:
        return
    decision["win_rate"] = round_sig(min(1.0, max(0.0, cal.win_rate.value)), 4)
    comments[("scenario", "decision", "win_rate")] = (
        f"fitted: {cal.win_rate.value:.3f}, {cal.win_rate.ci_text(share_text)} (won share "
        f"{cal.win_share.value:.3f} of {cal.win_share.rows:,} closed qualified leads, mapped "
        "through a simulation of this scenario; see the report)"
        if cal.win_share is not None
        else ""
    )


def _team(cal: Calibration, groups: list[dict[str, Any]], comments: Comments) -> None:
    """Scale every rep group so that the responders match the owners seen per week."""
    if cal.reps is None:
        return
    responders = [g for g in groups if g["role"] in FIRST_CALL_ROLES] or groups
    current = sum(g["count"] for g in responders)
    factor = cal.reps.value / current
    for i, group in enumerate(groups):
        group["count"] = max(1, round(group["count"] * factor))
        comments[("scenario", "reps", i, "count")] = (
            f"fitted: {cal.reps.value:.0f} distinct owners of first attempts per week (median), "
            f"{cal.reps.rows:,} leads"
            + (f"; base groups scaled by {factor:.3g}" if len(groups) > 1 else "")
        )


def _followup(cal: Calibration, policy: dict[str, Any], comments: Comments) -> None:
    """The fitted attempts and gaps, as a :class:`~policies.StepCadence`.

    A base experiment with another follow-up policy gets a step cadence with the
    base's ``max_attempts`` and ``on_time_window`` and the class's default steps.
    """
    if cal.max_attempts is None and not cal.steps:
        return
    followup = policy["followup"]
    if followup.get("name") != StepCadence.name:
        base = cal.base.policy.followup
        steps = StepCadence(max_attempts=base.max_attempts, on_time_window=base.on_time_window)
        followup = {"name": StepCadence.name, **steps.model_dump(mode="json")}
        policy["followup"] = followup
    if cal.max_attempts is not None:
        followup["max_attempts"] = int(cal.max_attempts.value)
        comments[("policy", "followup", "max_attempts")] = (
            f"fitted: the most common number of attempts on never-reached leads, "
            f"{cal.max_attempts.rows:,} leads"
        )
    if cal.steps:
        followup["steps"] = [format_duration(_nice_gap(g)) for g, _ in cal.steps]
        comments[("policy", "followup", "steps")] = (
            "fitted: median gap after each unanswered attempt ("
            + ", ".join(f"{duration_text(g)}: {n:,}" for g, n in cal.steps)
            + " gaps); includes waits for working hours"
        )


def _nice_gap(minutes: float) -> float:
    """A follow-up gap rounded as a team would set it: minutes, 5 minutes, then hours."""
    if minutes < MINUTES_PER_HOUR:
        return float(max(1, round(minutes)))
    if minutes < MINUTES_PER_DAY:
        return float(max(60, 5 * round(minutes / 5)))
    return float(MINUTES_PER_HOUR * round(minutes / MINUTES_PER_HOUR))
