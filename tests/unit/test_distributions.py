"""Distributions: sample means match the configured means; quantiles and Draws agree with samples.

Every check uses its own seeded generator and a sample of 200,000, so a sample mean
lies within 5 standard errors of the configured mean unless the sampler is wrong.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import TypeAdapter

from sim.config import ConfigModel
from sim.config.distributions import Duration, MoneyAmount, Proportion, lognormal_parameters
from sim.engine.streams import Draws

N = 200_000
Z_LIMIT = 5.0


class _DurationField(ConfigModel):
    """A duration as a scenario field reads it (a bare duration is a fixed one)."""

    value: Duration


class _Durations:
    """``validate_python`` like a TypeAdapter, through a model field."""

    @staticmethod
    def validate_python(data: object) -> object:
        return _DurationField(value=data).value


DURATIONS = _Durations()
PROPORTIONS = TypeAdapter(Proportion)

CASES = {
    # name: (YAML form, adapter, mean, standard deviation)
    "fixed": ("4m", DURATIONS, 4.0, 0.0),
    "exponential": ({"dist": "exponential", "mean": "2h"}, DURATIONS, 120.0, 120.0),
    "lognormal": ({"dist": "lognormal", "mean": "12m", "sd": "8m"}, DURATIONS, 12.0, 8.0),
    "uniform": ({"dist": "uniform", "low": "1m", "high": "3m"}, DURATIONS, 2.0, 2 / math.sqrt(12)),
    "money": ({"mean": 8000, "sd": 6000}, TypeAdapter(MoneyAmount), 8000.0, 6000.0),
    "fixed_money": ({"mean": 500}, TypeAdapter(MoneyAmount), 500.0, 0.0),
    "beta": (
        {"mean": 0.3, "concentration": 4},
        PROPORTIONS,
        0.3,
        math.sqrt(0.3 * 0.7 / 5),  # beta variance: m (1 - m) / (concentration + 1)
    ),
    "constant_share": (0.35, PROPORTIONS, 0.35, 0.0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_sample_mean_and_sd_match_the_configuration(name: str) -> None:
    data, adapter, mean, sd = CASES[name]
    dist = adapter.validate_python(data)
    assert dist.mean == pytest.approx(mean)
    values = dist.sample(np.random.default_rng(11), N)
    assert values.shape == (N,)
    if sd == 0:
        assert (values == mean).all()
        return
    assert abs(values.mean() - mean) < Z_LIMIT * sd / math.sqrt(N)
    assert values.std(ddof=1) == pytest.approx(sd, rel=0.05)


@pytest.mark.parametrize("name", ["fixed", "exponential", "lognormal", "uniform", "money"])
def test_quantile_is_the_inverse_of_the_sampled_distribution(name: str) -> None:
    data, adapter, mean, _sd = CASES[name]
    dist = adapter.validate_python(data)
    values = np.sort(dist.sample(np.random.default_rng(12), N))
    for u in (0.1, 0.5, 0.9):
        empirical = values[int(u * N)]
        assert dist.quantile(u) == pytest.approx(empirical, rel=0.02, abs=1e-9)
    # The mean of quantiles over an even grid of uniform numbers is the mean.
    grid = (np.arange(20_000) + 0.5) / 20_000
    assert np.mean([dist.quantile(u) for u in grid]) == pytest.approx(mean, rel=0.01)


def test_lognormal_parameters() -> None:
    mu, sigma = lognormal_parameters(12.0, 8.0)
    assert math.exp(mu + sigma**2 / 2) == pytest.approx(12.0)
    variance = (math.exp(sigma**2) - 1) * math.exp(2 * mu + sigma**2)
    assert math.sqrt(variance) == pytest.approx(8.0)


@pytest.mark.parametrize("name", ["exponential", "lognormal", "uniform", "money", "beta"])
@pytest.mark.parametrize("block", [1, 7, 512])
def test_draws_give_the_same_sequence_whatever_the_block_size(name: str, block: int) -> None:
    data, adapter, _, _ = CASES[name]
    dist = adapter.validate_python(data)
    expected = dist.sample(np.random.default_rng(13), 1000).tolist()
    draw = Draws(dist.sample, np.random.default_rng(13), block=block)
    assert [draw.next() for _ in range(1000)] == expected


def test_a_bare_number_is_a_fixed_value() -> None:
    assert DURATIONS.validate_python("1h30m").value == 90.0
    assert DURATIONS.validate_python(2).mean == 2.0
    assert PROPORTIONS.validate_python(0.4).concentration is None
