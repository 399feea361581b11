"""The engine, set up as a textbook queue, must reproduce Erlang C and Erlang A.

Each simulated measure's 99.9% confidence interval (t-based, over independent
replications) must contain the exact value from :mod:`sim.validation.erlang`.
"""

from __future__ import annotations

import pytest

from sim.validation.theory import compare_with_theory

CASES = [
    pytest.param(9.0, 1.0, 10, None, id="erlang-c-rho0.9"),
    pytest.param(4.0, 0.5, 10, None, id="erlang-c-rho0.8"),
    pytest.param(9.0, 1.0, 10, 0.5, id="erlang-a-rho0.9"),
    pytest.param(12.0, 1.0, 10, 1.0, id="erlang-a-overloaded"),
]


@pytest.mark.slow
@pytest.mark.parametrize(("arrival_rate", "service_rate", "servers", "abandonment_rate"), CASES)
def test_engine_matches_queueing_theory(
    arrival_rate: float, service_rate: float, servers: int, abandonment_rate: float | None
) -> None:
    checks = compare_with_theory(
        arrival_rate, service_rate, servers, abandonment_rate, replications=10, seed=3, jobs=2
    )
    expected = {"wait_probability", "mean_queue_length", "utilisation"}
    expected.add("abandon_probability" if abandonment_rate else "mean_wait_minutes")
    assert {check.measure for check in checks} == expected
    failures = [c for c in checks if not c.passed]
    assert not failures, "\n".join(
        f"{c.model} {c.measure}: simulated {c.simulated:.4f} [{c.ci_low:.4f}, {c.ci_high:.4f}], exact {c.exact:.4f}"
        for c in failures
    )


def test_theory_check_detects_a_wrong_engine() -> None:
    """The check has teeth: with a slower talk time than the theory assumes, it fails."""
    checks = compare_with_theory(4.0, 0.5, 10, None, replications=4, horizon_minutes=3000, seed=5)
    utilisation = next(c for c in checks if c.measure == "utilisation")
    assert utilisation.passed
    wrong = compare_with_theory(4.0, 0.45, 10, None, replications=4, horizon_minutes=3000, seed=5)
    wrong_utilisation = next(c for c in wrong if c.measure == "utilisation")
    # Simulated at mu=0.45 (utilisation 0.889) against the exact value for mu=0.45 passes;
    # against the exact value for mu=0.5 (0.8) it must not.
    assert not (wrong_utilisation.ci_low <= 0.8 <= wrong_utilisation.ci_high)
