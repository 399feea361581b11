"""Random streams, one per purpose, for common random numbers.

Every random purpose (arrivals of each source, lead attributes, per-lead luck,
action durations, ...) draws from its own generator, derived from the
replication's seed and the purpose's *name*. Two cadences run with the same
seed therefore see the same leads at the same times with the same luck, and
adding a new purpose never shifts the numbers of an existing one.
"""

from __future__ import annotations

import math
import random
import zlib
from array import array
from collections.abc import Callable
from typing import Final

import numpy as np
from mypy_extensions import mypyc_attr


class Draws:
    """Scalar draws from a distribution, generated a block at a time.

    ``talk_times = Draws(distribution.sample, rng); talk_times.next()`` costs a list pop
    instead of a numpy call per event. Draws depend only on the generator, so the same
    stream gives the same sequence whatever the block size. It lives in the engine, not
    beside the distributions, so that the compiled kernel calls :meth:`next` natively
    (the engine draws about twice per customer).
    """

    def __init__(
        self,
        sample: Callable[[np.random.Generator, int], np.ndarray],
        rng: np.random.Generator,
        block: int = 512,
    ) -> None:
        self._sample = sample
        self._rng = rng
        self._block = block
        self._buffer: list[float] = []

    def next(self) -> float:
        """The next draw."""
        if not self._buffer:
            self._buffer = self._sample(self._rng, self._block)[::-1].tolist()
        return self._buffer.pop()


NUMBERS_KEPT: Final = 16
"""How many of a person's own numbers :class:`OwnStream` keeps: in the default run, all a
decision-stage lead draws for 99.5% of them (a median of 6) and all a customer draws for 85%
(with a 52-week horizon, 37%: a customer of a year draws a median of 20)."""


@mypyc_attr(acyclic=True)
class OwnStream:
    """One person's own uniform numbers: exactly what ``random.Random(seed)`` gives.

    A Mersenne Twister carries 2.5 KB of state. Kept by every qualified lead and
    every customer, those states were over a third of a large run's memory
    (26 of 68 MB traced with the default team scaled 8x), though most people
    draw only a handful of numbers in their lives. So the stream draws its first
    :data:`NUMBERS_KEPT` numbers when it is made, keeps them in 128 bytes and
    lets the generator go. Someone who needs more gets the generator made again
    and wound past the numbers already used (the cost of one more seeding) and keeps it.
    Compiled, it is ``acyclic``: it refers to numbers only, so the cycle collector need
    not track it (:mod:`sim.engine.people`).
    """

    __slots__ = ("_drawn", "_generator", "_kept", "_seed")

    def __init__(self, seed: int) -> None:
        draw = random.Random(seed).random
        self._kept = array("d", [draw() for _ in range(NUMBERS_KEPT)])
        self._seed = seed
        self._drawn = 0
        self._generator: random.Random | None = None

    def random(self) -> float:
        """The next number, uniform in [0, 1): as ``random.Random.random``."""
        drawn = self._drawn
        self._drawn = drawn + 1
        if drawn < NUMBERS_KEPT:
            return self._kept[drawn]
        generator = self._generator
        if generator is None:
            generator = self._generator = random.Random(self._seed)
            for _ in range(NUMBERS_KEPT):
                generator.random()
        return generator.random()

    def expovariate(self, rate: float) -> float:
        """An exponential draw with *rate* per unit: as ``random.Random.expovariate``, bit for bit."""
        return -math.log(1.0 - self.random()) / rate


class Streams:
    """Independent generators keyed by purpose name, all derived from one seed."""

    def __init__(self, seed: np.random.SeedSequence) -> None:
        self._seed = seed

    def rng(self, purpose: str) -> np.random.Generator:
        """The generator for *purpose* (a new generator at the stream's start each call)."""
        child = np.random.SeedSequence(
            self._seed.entropy,
            spawn_key=(*self._seed.spawn_key, zlib.crc32(purpose.encode("utf-8"))),
            pool_size=self._seed.pool_size,
        )
        return np.random.Generator(np.random.PCG64(child))

    def uniforms(self, purpose: str) -> Draws:
        """Uniform numbers in [0, 1) from *purpose*'s stream, one per ``next()``, drawn a block at a time.

        The same numbers, in the same order, as calling ``rng(purpose).random()`` each
        time (numpy fills a block one number after another), for a list pop instead of
        a numpy call per number.
        """
        return Draws(_uniform_block, self.rng(purpose))


def _uniform_block(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.random(n)


def replication_seeds(root_seed: int, replications: int) -> list[np.random.SeedSequence]:
    """The seed of each replication: ``SeedSequence(root_seed).spawn(replications)``.

    Replication *i* gets the same seed however many replications or worker
    processes there are, so results depend on the seed alone.
    """
    return np.random.SeedSequence(root_seed).spawn(replications)
