"""Hypothesis settings shared by the unit tests: fast, reproducible property checks."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

UNIT = settings(
    max_examples=int(os.environ.get("SALESPULSE_EXAMPLES", "100")),
    deadline=None,
    # Reproducible: the same examples every run (SALESPULSE_EXPLORE=1 draws new ones).
    derandomize=os.environ.get("SALESPULSE_EXPLORE") != "1",
    suppress_health_check=[HealthCheck.too_slow],
)
"""Hypothesis settings for unit properties (as in tests/test_invariants.py)."""
