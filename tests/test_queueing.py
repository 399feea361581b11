"""Tests for sim.validation.erlang against closed forms and independently written formulas."""

from __future__ import annotations

import math
from dataclasses import fields

import pytest
from scipy.special import hyp1f1

from sim.validation.erlang import QueueMetrics, erlang_a, erlang_c


def _erlang_c_direct(load: float, servers: int) -> float:
    """Textbook Erlang C with explicit factorials (fine for small c)."""
    top = load**servers / math.factorial(servers) * servers / (servers - load)
    bottom = sum(load**k / math.factorial(k) for k in range(servers)) + top
    return top / bottom


def _erlang_b_direct(load: float, servers: int) -> float:
    """Textbook Erlang B with explicit factorials."""
    terms = [load**k / math.factorial(k) for k in range(servers + 1)]
    return terms[-1] / sum(terms)


# --- Erlang C -------------------------------------------------------------------------------


def test_erlang_c_mm1_closed_form() -> None:
    lam, mu = 0.6, 1.0
    m = erlang_c(lam, mu, 1)
    rho = lam / mu
    assert m.wait_probability == pytest.approx(rho, rel=1e-12)
    assert m.mean_wait_minutes == pytest.approx(rho / (mu - lam), rel=1e-12)
    assert m.mean_queue_length == pytest.approx(rho**2 / (1 - rho), rel=1e-12)
    assert m.utilisation == pytest.approx(rho, rel=1e-12)
    assert m.abandon_probability == 0.0


def test_erlang_c_mm2_closed_form() -> None:
    # M/M/2, rho = lambda/(2 mu): P0 = (1-rho)/(1+rho), Lq = 2 rho^3 / (1 - rho^2).
    lam, mu = 1.0, 1.0
    rho = lam / (2 * mu)
    m = erlang_c(lam, mu, 2)
    assert m.mean_queue_length == pytest.approx(2 * rho**3 / (1 - rho**2), rel=1e-12)
    assert m.wait_probability == pytest.approx(2 * rho**2 / (1 + rho), rel=1e-12)
    assert m.mean_wait_minutes == pytest.approx(1 / 3, rel=1e-12)


def test_erlang_c_call_centre_table_value() -> None:
    # Classic staffing-table value: 10 Erlangs offered to 12 agents -> P(wait) ~= 0.4494.
    m = erlang_c(10.0, 1.0, 12)
    assert m.wait_probability == pytest.approx(0.4494, abs=5e-5)
    assert m.wait_probability == pytest.approx(_erlang_c_direct(10.0, 12), rel=1e-12)


@pytest.mark.parametrize(
    ("lam", "mu", "c"), [(2.0, 0.5, 5), (9.0, 1.0, 10), (0.3, 0.1, 4), (49.0, 1.0, 60)]
)
def test_erlang_c_matches_factorial_formula(lam: float, mu: float, c: int) -> None:
    m = erlang_c(lam, mu, c)
    p_wait = _erlang_c_direct(lam / mu, c)
    assert m.wait_probability == pytest.approx(p_wait, rel=1e-10)
    assert m.mean_wait_minutes == pytest.approx(p_wait / (c * mu - lam), rel=1e-10)
    assert m.utilisation == pytest.approx(lam / (c * mu), rel=1e-12)


def test_erlang_c_large_c_no_overflow() -> None:
    m = erlang_c(190.0, 1.0, 200)
    assert 0.0 < m.wait_probability < 1.0
    assert math.isfinite(m.mean_wait_minutes)


# --- Erlang A -------------------------------------------------------------------------------


@pytest.mark.parametrize(("lam", "mu", "c"), [(0.6, 1.0, 1), (9.0, 1.0, 10), (2.0, 0.25, 9)])
def test_erlang_a_tends_to_erlang_c(lam: float, mu: float, c: int) -> None:
    a = erlang_a(lam, mu, c, abandonment_rate=1e-9)
    ec = erlang_c(lam, mu, c)
    assert a.wait_probability == pytest.approx(ec.wait_probability, rel=1e-6)
    assert a.mean_wait_minutes == pytest.approx(ec.mean_wait_minutes, rel=1e-6)
    assert a.mean_queue_length == pytest.approx(ec.mean_queue_length, rel=1e-6)
    assert a.utilisation == pytest.approx(ec.utilisation, rel=1e-6)
    assert a.abandon_probability < 1e-7


@pytest.mark.parametrize(
    ("lam", "mu", "theta"), [(0.8, 1.0, 0.5), (3.0, 1.0, 0.2), (0.5, 2.0, 4.0), (20.0, 1.0, 1.0)]
)
def test_erlang_a_single_server_hypergeometric(lam: float, mu: float, theta: float) -> None:
    # M/M/1+M: p_n = p_0 (lam/theta)^n Gamma(b)/Gamma(b+n), b = mu/theta, so
    # 1/p_0 = 1F1(1; b; lam/theta). Flow balance: lam (1 - P(abandon)) = mu (1 - p_0).
    p0 = 1.0 / hyp1f1(1.0, mu / theta, lam / theta)
    m = erlang_a(lam, mu, 1, theta)
    assert m.utilisation == pytest.approx(1.0 - p0, rel=1e-9)
    assert m.wait_probability == pytest.approx(1.0 - p0, rel=1e-9)
    assert m.abandon_probability == pytest.approx(1.0 - mu * (1.0 - p0) / lam, rel=1e-8)


def test_erlang_a_single_server_direct_sum() -> None:
    # Same model, summed term by term with lgamma instead of a product recursion.
    lam, mu, theta = 1.5, 1.0, 0.3
    b, x = mu / theta, lam / theta
    logw = [n * math.log(x) + math.lgamma(b) - math.lgamma(b + n) for n in range(400)]
    w = [math.exp(v) for v in logw]
    total = sum(w)
    lq = sum((n - 1) * wn for n, wn in enumerate(w) if n > 1) / total
    m = erlang_a(lam, mu, 1, theta)
    assert m.mean_queue_length == pytest.approx(lq, rel=1e-10)
    assert m.mean_wait_minutes == pytest.approx(lq / lam, rel=1e-10)


@pytest.mark.parametrize(
    ("lam", "mu", "c", "theta"),
    [(9.0, 1.0, 10, 0.5), (15.0, 1.0, 10, 0.5), (1000.0, 1.0, 200, 0.1), (150.0, 0.8, 200, 2.0)],
)
def test_erlang_a_conservation_laws(lam: float, mu: float, c: int, theta: float) -> None:
    m = erlang_a(lam, mu, c, theta)
    # Little's law on the queue, and abandonment flow theta * Lq.
    assert m.mean_queue_length == pytest.approx(lam * m.mean_wait_minutes, rel=1e-12)
    assert m.abandon_probability == pytest.approx(theta * m.mean_queue_length / lam, rel=1e-12)
    # Throughput: everyone who does not abandon is served.
    assert lam * (1 - m.abandon_probability) == pytest.approx(c * mu * m.utilisation, rel=1e-9)
    for p in (m.wait_probability, m.abandon_probability, m.utilisation):
        assert 0.0 <= p <= 1.0
    assert m.abandon_probability <= m.wait_probability


def test_erlang_a_overload_is_stable() -> None:
    # rho = 5: fluid limit says the queue settles where lam = c mu + theta q.
    lam, mu, c, theta = 1000.0, 1.0, 200, 0.1
    m = erlang_a(lam, mu, c, theta)
    assert m.utilisation == pytest.approx(1.0, abs=1e-9)
    assert m.abandon_probability == pytest.approx(1 - c * mu / lam, rel=1e-9)
    assert m.mean_queue_length == pytest.approx((lam - c * mu) / theta, rel=1e-6)


def test_erlang_a_zero_waiting_room_is_erlang_b() -> None:
    lam, mu, c = 5.0, 1.0, 3
    m = erlang_a(lam, mu, c, 1.0, max_queue=0)
    blocking = _erlang_b_direct(lam / mu, c)
    assert m.utilisation == pytest.approx(lam / mu * (1 - blocking) / c, rel=1e-12)
    assert m.wait_probability == 0.0
    assert m.abandon_probability == 0.0


def test_erlang_a_large_waiting_room_matches_unlimited() -> None:
    unlimited = erlang_a(9.0, 1.0, 10, 0.5)
    limited = erlang_a(9.0, 1.0, 10, 0.5, max_queue=200)
    for field in fields(QueueMetrics):
        name = field.name
        assert getattr(limited, name) == pytest.approx(getattr(unlimited, name), rel=1e-9), name


# --- Input validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "match"),
    [
        ((0.0, 1.0, 1), "arrival_rate"),
        ((1.0, -1.0, 1), "service_rate"),
        ((1.0, 1.0, 0), "servers"),
        ((1.0, 1.0, 1.5), "servers"),
        ((float("nan"), 1.0, 1), "arrival_rate"),
        ((2.0, 1.0, 2), "unstable"),
        ((3.0, 1.0, 2), "unstable"),
    ],
)
def test_erlang_c_rejects_bad_input(args: tuple[float, float, int], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        erlang_c(*args)


@pytest.mark.parametrize(
    ("args", "kwargs", "match"),
    [
        ((1.0, 1.0, 1, 0.0), {}, "abandonment_rate"),
        ((1.0, 1.0, 1, -0.1), {}, "abandonment_rate"),
        ((-1.0, 1.0, 1, 0.1), {}, "arrival_rate"),
        ((1.0, 0.0, 1, 0.1), {}, "service_rate"),
        ((1.0, 1.0, -3, 0.1), {}, "servers"),
        ((1.0, 1.0, 1, 0.1), {"max_queue": -1}, "max_queue"),
    ],
)
def test_erlang_a_rejects_bad_input(
    args: tuple[float, float, int, float], kwargs: dict[str, int], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        erlang_a(*args, **kwargs)
