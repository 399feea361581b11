"""The heapq M/M/c+M baseline must agree with the Erlang A formulas in sim.validation.erlang."""

from __future__ import annotations

import math

import pytest

from benchmarks.mmc_heapq import simulate_mmc_heapq
from sim.validation.erlang import erlang_a

LAM, MU, SERVERS, THETA = 9.0, 1.0, 10, 0.5
CUSTOMERS = 200_000
SEED = 20240601

# Tolerance derivation. Each arrival abandons (or waits) with probability p, so if the
# n = CUSTOMERS outcomes were independent the estimate p_hat = k / n would be binomial with
# standard error sqrt(p (1 - p) / n), and a two-sided 99.9% bound is Z * that, Z = 3.29.
# Queue outcomes are positively autocorrelated (neighbours see the same congestion), which
# inflates the standard error by a "design effect" factor. Measured from 250 independent
# replications of exactly this configuration (seeds 1000-1249): observed sd / binomial sd =
# 2.15 for P(abandon) and 4.38 for P(wait). We round these up (2.5 and 5.0) to cover the
# sampling error of that estimate, so tolerance = Z * factor * sqrt(p (1 - p) / n).
# The initial-empty-system bias (a few hundred customers out of 200k) is negligible.
Z_999 = 3.29
INFLATION = {"abandon_probability": 2.5, "wait_probability": 5.0}


@pytest.fixture(scope="module")
def result() -> dict[str, float | int]:
    return simulate_mmc_heapq(LAM, MU, SERVERS, THETA, customers=CUSTOMERS, seed=SEED)


def test_counts_are_consistent(result: dict[str, float | int]) -> None:
    assert result["arrived"] == CUSTOMERS
    assert result["served"] + result["abandoned"] == CUSTOMERS
    assert result["abandoned"] <= result["waited"] <= CUSTOMERS
    assert result["events"] == CUSTOMERS + result["served"]  # one arrival + one departure each


def test_reproducible() -> None:
    a = simulate_mmc_heapq(LAM, MU, SERVERS, THETA, customers=1_000, seed=7)
    b = simulate_mmc_heapq(LAM, MU, SERVERS, THETA, customers=1_000, seed=7)
    assert a == b


@pytest.mark.parametrize("key", ["abandon_probability", "wait_probability"])
def test_matches_erlang_a(result: dict[str, float | int], key: str) -> None:
    p = getattr(erlang_a(LAM, MU, SERVERS, THETA), key)
    tolerance = Z_999 * INFLATION[key] * math.sqrt(p * (1.0 - p) / CUSTOMERS)
    assert abs(result[key] - p) < tolerance, (result[key], p, tolerance)
