"""Human-friendly durations.

Inside the engine every duration is a number of **minutes** (a float). Scenario
files may write durations the way people say them::

    90s   5m   1.5h   2h30m   3d   1w

A bare number is read as minutes. :func:`parse_duration` turns any of these
into minutes and :func:`format_duration` turns minutes back into the shortest
readable form, so that resolved configs and reports stay readable.
"""

from __future__ import annotations

import re
from decimal import Decimal

from sim.config.units import MINUTES_PER_DAY, MINUTES_PER_HOUR, MINUTES_PER_WEEK, SECONDS_PER_MINUTE

MINUTES_PER_UNIT: dict[str, float] = {
    "s": 1 / SECONDS_PER_MINUTE,
    "m": 1.0,
    "h": MINUTES_PER_HOUR,
    "d": MINUTES_PER_DAY,
    "w": MINUTES_PER_WEEK,
}

_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*([smhdw])")
_EXPECTED = (
    "expected a duration: a number of minutes, or numbers with units s, m, h, d, w "
    "such as '90s', '5m', '2h30m', '3d' or '1w'"
)
_WHOLE = re.compile(r"^(?:\s*(?:\d+(?:\.\d*)?|\.\d+)\s*[smhdw]\s*)+$")


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)`` cut to *limit* characters, for error messages."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_duration(value: str | float | int) -> float:
    """Return *value* in minutes.

    >>> parse_duration("2h30m")
    150.0
    >>> parse_duration(5)
    5.0

    Raises ``ValueError`` naming the expected format when *value* cannot be read.
    """
    if isinstance(value, bool):
        raise ValueError(f"{_EXPECTED}, got {value!r}")
    if isinstance(value, int | float):
        minutes = float(value)
    else:
        text = str(value).strip().lower()
        try:
            minutes = float(text)
        except ValueError:
            if not _WHOLE.match(text):
                if text.startswith("-") and _WHOLE.match(text[1:]):
                    raise ValueError(f"expected a non-negative duration, got {value!r}") from None
                raise ValueError(f"{_EXPECTED}, got {shown(value)}") from None
            minutes = sum(float(num) * MINUTES_PER_UNIT[unit] for num, unit in _PART.findall(text))
    if minutes < 0 or minutes != minutes or minutes == float("inf"):
        raise ValueError(f"expected a finite, non-negative duration, got {shown(value)}")
    return minutes


def format_duration(minutes: float) -> str:
    """Return the shortest readable form of *minutes* (``90.0`` -> ``'1h30m'``)."""
    if minutes == 0:
        return "0m"
    seconds = round(minutes * SECONDS_PER_MINUTE)
    if abs(seconds - minutes * SECONDS_PER_MINUTE) > 1e-6:
        return f"{Decimal(repr(minutes)):f}m"  # exact and parseable: 0.00001m, not 1e-05m
    parts = []
    units = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
    if seconds % 604800:  # 30 days reads better as '30d' than as '4w2d'
        units = units[1:]
    for unit, size in units:
        count, seconds = divmod(seconds, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)
