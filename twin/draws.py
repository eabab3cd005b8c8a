"""Latency and service-time draws from named streams, batched for speed.

Drawing numpy scalars one at a time costs microseconds each; drawing 4,096 at
once and handing them out keeps the stream deterministic (one consumer per
stream) at a fraction of the cost.
"""

from __future__ import annotations

import math
from itertools import chain
from typing import Callable, Iterator

import numpy as np

Z99 = 2.3263478740408408  # standard normal quantile at 0.99
BATCH = 4096


class Draws:
    """An endless supply of integer nanosecond delays from one stream.

    ``next`` is the ``__next__`` of a C iterator over the batches (no Python
    frame per draw: the twin draws about ten delays per client order). Batches
    are still drawn lazily, one when the previous one runs out, so the numbers
    and their order are those of drawing one batch at a time by hand.
    """

    def __init__(self, sample: Callable[[int], np.ndarray]):
        self._sample = sample
        self.next: Callable[[], int] = chain.from_iterable(self._batches()).__next__

    def _batches(self) -> Iterator[list[int]]:
        while True:
            yield np.maximum(np.rint(self._sample(BATCH)), 0).astype(np.int64).tolist()


def lognormal_ms(rng: np.random.Generator, median_ms: float, p99_ms: float) -> Draws:
    """Delays whose median and 99th percentile are as given (in milliseconds)."""
    mu = math.log(median_ms * 1e6)
    sigma = math.log(p99_ms / median_ms) / Z99 if p99_ms > median_ms else 0.0
    return Draws(lambda n: rng.lognormal(mu, sigma, n))


def resampled_us(rng: np.random.Generator, sample_us: tuple[float, ...] | list[float]) -> Draws:
    """Delays drawn with replacement from a measured sample (microseconds): the measured
    distribution itself, tail included (``scenarios.service_times``, ``twin calibrate``)."""
    values_ns = np.asarray(sample_us, dtype=np.float64) * 1e3
    return Draws(lambda n: values_ns[rng.integers(0, values_ns.size, n)])


def hop_ms(rng: np.random.Generator, base_ms: float, jitter_ms: float) -> Draws:
    """A fixed propagation delay plus exponential jitter (a long right tail)."""
    base = base_ms * 1e6
    scale = jitter_ms * 1e6
    if scale <= 0:
        return Draws(lambda n: np.full(n, base))
    return Draws(lambda n: base + rng.exponential(scale, n))


class FifoLink:
    """A link that never reorders: like a TCP or FIX session, a message sent
    later never arrives before one sent earlier on the same link."""

    __slots__ = ("next_draw", "last_arrival", "extra_ns")

    def __init__(self, draws: Draws):
        self.next_draw = draws.next
        self.last_arrival = 0
        """When the last message sent arrives (simulated ns): nothing sent later arrives before it."""
        self.extra_ns = 0  # added latency while the link is degraded (venues_sim.stress.Slow)

    def delay(self, now: int) -> int:
        """The delay of a message sent at ``now``: a draw plus ``extra_ns``, held back to the previous
        arrival on the link if it would overtake it (``twin.services.Network.send`` inlines this)."""
        arrival = now + self.next_draw() + self.extra_ns
        if arrival < self.last_arrival:
            arrival = self.last_arrival
        self.last_arrival = arrival
        return arrival - now
