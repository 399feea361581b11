"""Random streams: one generator per purpose, derived from one seed (common random numbers)."""

from __future__ import annotations

import math

import numpy as np

from sim.engine.streams import Streams, replication_seeds

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
