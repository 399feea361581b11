"""Units of time and the one confidence constant: the only home of these numbers.

Inside the engine every duration is in **minutes** and t=0 is Monday 00:00 of week 0.
"""

from __future__ import annotations

from typing import Final

SECONDS_PER_MINUTE: Final = 60
MINUTES_PER_HOUR: Final = 60.0
MINUTES_PER_DAY: Final = 24 * MINUTES_PER_HOUR
MINUTES_PER_WEEK: Final = 7 * MINUTES_PER_DAY
MINUTES_PER_YEAR: Final = 365 * MINUTES_PER_DAY
HOURS_PER_DAY: Final = 24
HOURS_PER_WEEK: Final = 7 * HOURS_PER_DAY

Z_95: Final = 1.959963984540054
"""The standard normal quantile of 0.975: a 95% two-sided interval is ``mean ± Z_95 x se``."""
