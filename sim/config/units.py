"""Units of time and the one confidence constant: the only home of these numbers.

Inside the engine every duration is in **minutes** and t=0 is Monday 00:00 of week 0.
"""

from __future__ import annotations

SECONDS_PER_MINUTE = 60
MINUTES_PER_HOUR = 60.0
MINUTES_PER_DAY = 24 * MINUTES_PER_HOUR
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
MINUTES_PER_YEAR = 365 * MINUTES_PER_DAY
HOURS_PER_DAY = 24
HOURS_PER_WEEK = 7 * HOURS_PER_DAY

Z_95 = 1.959963984540054
"""The standard normal quantile of 0.975: a 95% two-sided interval is ``mean ± Z_95 x se``."""
