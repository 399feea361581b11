"""Random streams: one generator per purpose, derived from one seed (common random numbers)."""

from __future__ import annotations

import math
import random
import tracemalloc
from collections.abc import Callable

import numpy as np
import pytest

from sim.engine.streams import NUMBERS_KEPT, OwnStream, Streams, replication_seeds

N = 100_000


def streams(seed: int = 42) -> Streams:
    return Streams(np.random.SeedSequence(seed))


def test_the_same_purpose_gives_the_same_numbers() -> None:
    first = streams().rng("arrivals:web_form").random(1000)
    assert (streams().rng("arrivals:web_form").random(1000) == first).all()
    same_streams = streams()
    assert (same_streams.rng("arrivals:web_form").random(1000) == first).all()
    assert (
        same_streams.rng("arrivals:web_form").random(1000) == first
    ).all()  # from the start again


def test_different_purposes_are_independent() -> None:
    source = streams()
    a = source.rng("arrivals:web_form").random(N)
    b = source.rng("arrivals:inbound_call").random(N)
    c = source.rng("luck:web_form").random(N)
    for x, y in ((a, b), (a, c), (b, c)):
        assert not np.array_equal(x, y)
        assert abs(np.corrcoef(x, y)[0, 1]) < 5 / math.sqrt(N)


def test_another_seed_gives_other_numbers() -> None:
    assert not np.array_equal(
        streams(1).rng("durations").random(100), streams(2).rng("durations").random(100)
    )


def test_replication_seeds_are_spawned_from_the_root_seed() -> None:
    seeds = replication_seeds(2026, 5)
    spawned = np.random.SeedSequence(2026).spawn(5)
    assert (
        [s.spawn_key for s in seeds] == [s.spawn_key for s in spawned] == [(i,) for i in range(5)]
    )
    assert all(
        (s.generate_state(4) == t.generate_state(4)).all()
        for s, t in zip(seeds, spawned, strict=True)
    )


def test_a_replication_seed_does_not_depend_on_how_many_replications_run() -> None:
    few, many = replication_seeds(7, 3), replication_seeds(7, 50)
    for one, other in zip(few, many, strict=False):
        assert (Streams(one).rng("x").random(50) == Streams(other).rng("x").random(50)).all()


def test_replications_draw_different_numbers() -> None:
    first, second = replication_seeds(7, 2)
    a = Streams(first).rng("arrivals:web_form").random(N)
    b = Streams(second).rng("arrivals:web_form").random(N)
    assert abs(np.corrcoef(a, b)[0, 1]) < 5 / math.sqrt(N)


@pytest.mark.parametrize("seed", [0, 1, 2**53 - 1, 2**53 + 3, 123_456_789])
def test_a_persons_own_stream_gives_what_its_generator_gives(seed: int) -> None:
    """Bit for bit, past the numbers it keeps (where it makes its generator again)."""
    own, generator = OwnStream(seed), random.Random(seed)
    for i in range(3 * NUMBERS_KEPT):
        if i % 3 == 2:
            assert own.expovariate(0.25).hex() == generator.expovariate(0.25).hex()
        else:
            assert own.random().hex() == generator.random().hex()


def test_a_persons_own_stream_is_small() -> None:
    """An eighth of a generator with its Mersenne Twister's 2.5 KB of state, or less."""

    def bytes_each(make: Callable[[int], object]) -> float:
        tracemalloc.start()
        kept = [make(seed) for seed in range(1_000)]
        size = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        assert len(kept) == 1_000
        return size / 1_000

    assert bytes_each(OwnStream) < bytes_each(random.Random) / 8
