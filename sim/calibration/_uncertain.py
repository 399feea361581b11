"""The calibrated experiment's ``uncertain:`` section: each fitted value's 95% confidence interval.

A calibrated scenario is only as sure as the export it came from. Every fitted value
with an interval becomes ``{ci95: [low, high], scale: ...}`` (see
:mod:`sim.experiment.uncertainty`), on the scale its interval is symmetric on: log for
volumes, durations and money, logit for chances. ``python -m sim run FILE
--uncertainty`` then draws plausible worlds from it, and ``python -m sim sensitivity``
says which of these fits a result depends on. The fits are drawn independently
(their correlations are left out; see docs/uncertainty.md).

Not written: values without an interval (too few rows, or at a bound), intervals too
narrow to survive rounding, the team size (a team knows its headcount), and the
hour-of-week profiles.
"""

from __future__ import annotations

from typing import Any

from sim.calibration._estimate import Estimate, duration_text, round_sig
from sim.calibration.result import Calibration
from sim.config import ConfigError
from sim.experiment import check_uncertain_inputs, validate_experiment

CHANCE_END = 0.001
"""A chance's interval is kept this far inside (0, 1), so its logit scale stays finite."""
_SCALE = {"log": "log", "logit": "logit", "linear": "normal"}
_KEPT_FROM_BASE = ("scenario.sources", "scenario.response")
"""Paths the calibration rewrites: a base experiment's uncertain entries under them are dropped."""


def _entry(estimate: Estimate | None, *, duration: bool = False, chance: bool = False) -> Any:
    """``{ci95: [low, high], scale}`` for *estimate*, or None without a usable interval."""
    interval = estimate.ci() if estimate is not None else None
    if estimate is None or interval is None:
        return None
    low, high = interval
    scale = _SCALE[estimate.transform]
    if chance:
        low, high = max(low, CHANCE_END), min(high, 1 - CHANCE_END)
        scale = "logit"
    if duration:
        ends: list[Any] = [duration_text(low), duration_text(high)]
        if ends[0] == ends[1]:
            return None
    else:
        ends = [round_sig(low, 4), round_sig(high, 4)]
        if not ends[0] < ends[1]:
            return None
    return {"ci95": ends, "scale": scale}


def uncertain_section(cal: Calibration, base: dict[str, Any]) -> dict[str, Any]:
    """Field path -> ``ci95`` entry for every fitted value with an interval.

    *base* is the base experiment's own ``uncertain:`` section: its entries stay unless
    the calibration fits that field or rewrites the part it is in (sources, curves).
    """
    found: dict[str, Any] = {}
    for index, name in enumerate(cal.sources):
        where = f"scenario.sources[{index}]"
        found[f"{where}.leads_per_week"] = _entry(cal.arrivals[name].weekly)
        found[f"{where}.intent.mean"] = _entry(cal.intent.get(name), chance=True)
        found[f"{where}.reachability.mean"] = _entry(cal.reach.get(name), chance=True)
        deal = cal.deal_values.get(name)
        found[f"{where}.deal_value.mean"] = _entry(deal.mean if deal else None)
    if cal.options.family != "table":
        for what, fit in (("contact", cal.contact), ("qualification", cal.qualification)):
            if fit is None:
                continue
            where = f"scenario.response.{what}"
            found[f"{where}.scale"] = _entry(fit.scale, duration=True)
            found[f"{where}.floor"] = _entry(fit.floor, chance=True)
            found[f"{where}.shape"] = _entry(fit.shape)
    for action, fit in cal.durations.items():
        if not fit.fixed:
            found[f"scenario.actions.{action}.mean"] = _entry(fit.mean, duration=True)
    found["scenario.actions.voicemail_share"] = _entry(cal.voicemail_share, chance=True)
    for channel, chance in cal.channel_replies.items():
        found[f"scenario.channels.{channel}.reply_chance"] = _entry(chance, chance=True)
    found["scenario.decision.win_rate"] = _entry(cal.win_rate, chance=True)
    fitted = {path: entry for path, entry in found.items() if entry is not None}
    kept = {
        path: entry
        for path, entry in base.items()
        if path not in found and not path.startswith(_KEPT_FROM_BASE)
    }
    return kept | fitted


def usable_entries(config: dict[str, Any], source: str) -> tuple[dict[str, Any], list[str]]:
    """The ``uncertain:`` entries of *config* a plausible world can use, and why others are left out.

    Each entry is tried at the extremes of its distribution on the calibrated
    experiment; one whose field refuses such a value (or no longer exists) is left out
    with a warning rather than failing the calibration.
    """
    kept: dict[str, Any] = {}
    dropped: list[str] = []
    for path, entry in (config.get("uncertain") or {}).items():
        try:
            experiment = validate_experiment({**config, "uncertain": {path: entry}}, source)
            check_uncertain_inputs(experiment, source)
        except ConfigError as exc:
            dropped.append(f"uncertain: {path} left out ({exc})")
        else:
            kept[path] = entry
    return kept, dropped
