"""Numbers for people: one way to write each unit, used by the terminal, figures and report.

A KPI's unit (:class:`sim.engine.kpis.Kpi`) decides how its values read, through
the engine's :func:`~sim.engine.kpis.format_value`: shares as percentages
(``65.6%``), money with thousands separators (``1,234,568``), minutes in the
largest unit that keeps them short (``45 s``, ``5.0 min``, ``15.4 h``, ``2.0 d``;
:func:`format_minutes`). Where a duration must read back exactly (a configured
horizon or target) use :func:`sim.config.durations.format_duration` instead
(``2h30m``). This module adds what a report needs around them: signed
differences, intervals, percentages and axis words.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import numpy as np
import pandas as pd

from sim.config.economics import Economics
from sim.config.economics import currency_symbol as scenario_currency_symbol
from sim.engine.kpis import KPIS, Kpi
from sim.engine.kpis import format_value as _plain_value

__all__ = [
    "clip_interval",
    "currency_symbol",
    "format_kpi",
    "format_minutes",
    "format_value",
    "higher_is_better",
    "in_currency",
    "join_words",
    "kpi_of",
    "mean_with_ci",
    "money",
    "p_value_text",
    "percent",
    "signed_interval",
    "signed_value",
    "unit_words",
    "value_text",
    "weeks_text",
]

_CURRENCY: ContextVar[str] = ContextVar("currency", default=Economics().currency)
"""The ISO 4217 code money is written in (see :func:`in_currency`)."""

UNIT_WORDS = {
    "share": "%",
    "minutes": "minutes",
    "hours": "hours",
    "count": "count",
    "ratio": "ratio",
}
"""How an axis names each KPI unit."""

NON_NEGATIVE_UNITS = frozenset({"share", "count", "minutes", "hours", "ratio"})


def kpi_of(name: str) -> Kpi:
    """The KPI's description (an unknown column is shown as a plain ratio)."""
    return KPIS.get(name) or Kpi(name.replace("_", " "), "ratio")


def higher_is_better(name: str) -> bool:
    """Direction used to pick a best policy or point (unknown: higher)."""
    return kpi_of(name).higher_is_better is not False


@contextmanager
def in_currency(economics: Economics) -> Iterator[None]:
    """Within the block, money reads in *economics*' currency: ``$1,234`` in text, ``USD`` on axes.

    Outside any block money is in the default currency (:class:`Economics`' ``USD``).
    """
    token = _CURRENCY.set(economics.currency)
    try:
        yield
    finally:
        _CURRENCY.reset(token)


def format_value(kpi: Kpi | None, value: float) -> str:
    """The engine's :func:`~sim.engine.kpis.format_value`, with money in the current currency
    (``-$1,235``, ``€2,000``, ``CHF 300``)."""
    text = _plain_value(kpi, value)
    if kpi is None or kpi.unit != "money" or not math.isfinite(value):
        return text
    return money(value)


def currency_symbol() -> str:
    """The current currency's symbol (``'$'``; see :func:`in_currency`)."""
    return scenario_currency_symbol(_CURRENCY.get())


def money(amount: float) -> str:
    """``1234.5`` -> ``'$1,235'`` in the current currency (see :func:`in_currency`)."""
    sign = "-" if round(amount) < 0 else ""
    return f"{sign}{currency_symbol()}{abs(amount):,.0f}"


def unit_words(kpi: Kpi) -> str:
    """``'%'``, ``'USD'``, ``'minutes'``, ...: the unit as an axis label says it."""
    if kpi.unit == "money":
        return _CURRENCY.get()
    return UNIT_WORDS.get(kpi.unit, kpi.unit)


_MINUTES = Kpi("minutes", "minutes")


def format_minutes(minutes: float) -> str:
    """``0.5`` -> ``'30 s'``, ``5`` -> ``'5.0 min'``, ``90`` -> ``'1.5 h'``, ``2880`` -> ``'2.0 d'``
    (the engine's :func:`~sim.engine.kpis.format_value` for a value in minutes)."""
    return format_value(_MINUTES, minutes)


def format_kpi(name: str, value: float) -> str:
    """:func:`format_value` for the KPI called *name*."""
    return format_value(kpi_of(name), value)


def clip_interval(kpi: Kpi | None, low: float, high: float) -> tuple[float, float]:
    """A t-interval clipped to values the KPI can take (a share stays within 0-100%)."""
    if kpi is None or kpi.unit not in NON_NEGATIVE_UNITS:
        return low, high
    low, high = max(low, 0.0), max(high, 0.0)
    if kpi.unit == "share":
        low, high = min(low, 1.0), min(high, 1.0)
    return low, high


def mean_with_ci(kpi_name: str, row: pd.Series | None, short: bool = False) -> str:
    """``'2,660,000 (95% CI 2,550,000 to 2,770,000)'`` (interval clipped to feasible values).

    *short*: ``'2,660,000 (2,550,000 to 2,770,000)'``, for tables whose header names the CI.
    """
    if row is None:
        return "n/a"
    mean = float(row["mean"])
    low, high = float(row["ci_low"]), float(row["ci_high"])
    text = format_kpi(kpi_name, mean)
    if math.isfinite(low) and math.isfinite(high):
        low, high = clip_interval(kpi_of(kpi_name), low, high)
        prefix = "" if short else "95% CI "
        text += f" ({prefix}{format_kpi(kpi_name, low)} to {format_kpi(kpi_name, high)})"
    return text


def signed_value(kpi: Kpi, value: float) -> str:
    """A difference in the KPI's unit with its sign (shares in percentage points);
    no sign when it rounds to zero."""
    if not math.isfinite(value):
        return "n/a"
    text = f"{100 * abs(value):.1f} pts" if kpi.unit == "share" else format_value(kpi, abs(value))
    number = re.search(r"[\d.,]+", text)
    if number is None or not any(c in "123456789" for c in number.group()):
        return text
    return ("+" if value > 0 else "-") + text


def signed_interval(kpi_name: str, mean: float, low: float, high: float) -> str:
    """``'+25.8 pts (+24.0 pts to +27.5 pts)'``: a difference and its interval, signed."""
    kpi = kpi_of(kpi_name)
    return f"{signed_value(kpi, mean)} ({signed_value(kpi, low)} to {signed_value(kpi, high)})"


def percent(value: float, signed: bool = False) -> str:
    """``0.1234`` -> ``'12.3%'`` (``'+12.3%'`` when *signed*)."""
    if not math.isfinite(value):
        return "n/a"
    if round(100 * value, 1) == 0:
        return "0.0%"
    return f"{value:+.1%}" if signed else f"{value:.1%}"


def p_value_text(p: float) -> str:
    """``'<0.001'``, ``'0.042'`` or ``'n/a'``."""
    if not math.isfinite(p):
        return "n/a"
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def join_words(names: Sequence[str]) -> str:
    """``['a', 'b', 'c']`` -> ``'a, b and c'``."""
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def weeks_text(weeks: float | None) -> str:
    """``13.0`` -> ``'13-week'``."""
    if weeks is None or not math.isfinite(weeks):
        return "measured"
    return f"{weeks:g}-week"


def value_text(value: Any) -> str:
    """A parameter value as people write it (``6.0`` -> ``'6'``)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    if isinstance(value, np.integer):
        return str(int(value))
    return str(value)
