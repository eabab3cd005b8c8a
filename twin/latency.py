"""Venue link latency models: how long a message takes on one venue link.

One interface, a *link* with ``delay(now_ns) -> int`` (ns) and a mutable
``extra_ns`` (added while a stress condition slows the link), that never
reorders (a message sent later never arrives earlier, like a FIX session).
Two models, chosen per venue by the scenario's ``venues[i].latency_model``
(``scenarios.config_market.LatencyModel``):

* ``fixed_jitter`` (the default): a fixed delay plus exponential jitter,
  ``twin.draws.hop_ms`` on a ``FifoLink``; exactly the links the twin always had.
* ``fat_tail``: a log-normal body mixed with a Pareto tail (``fat_tail_ms``),
  on an ``ActivityLink`` whose delays are multiplied during bursts: an
  exponentially decaying counter of messages sent on the link estimates the
  recent rate, and above ``burst_rate_per_s`` each delay is scaled by
  ``1 + burst_gain * (rate / burst_rate_per_s - 1)``.

Every link draws from its own named stream; the spike multiplier is a pure
function of the link's own traffic, so runs stay deterministic.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from .draws import Z99, Draws, FifoLink, hop_ms

MS = 1_000_000


class Link(Protocol):
    """A venue link: FIFO delays in ns; ``extra_ns`` added while degraded."""

    extra_ns: int

    def delay(self, now: int) -> int: ...


def fat_tail_ms(rng: np.random.Generator, median_ms: float, p99_ms: float, tail_probability: float,
                tail_alpha: float, tail_scale_ms: float) -> Draws:
    """Log-normal body (``median_ms``, ``p99_ms``) mixed with a Pareto tail.

    With probability ``tail_probability`` a draw is Pareto with minimum
    ``tail_scale_ms`` and shape ``tail_alpha`` (infinite variance for alpha
    <= 2): far heavier than any log-normal far out. Per batch the stream is
    read in a fixed order (body, coin flips, tail), so draws are reproducible.
    """
    mu = math.log(median_ms * MS)
    sigma = math.log(p99_ms / median_ms) / Z99 if p99_ms > median_ms else 0.0
    xm = tail_scale_ms * MS

    def sample(n: int) -> np.ndarray:
        body = rng.lognormal(mu, sigma, n)
        in_tail = rng.random(n) < tail_probability
        tail = xm * (1.0 + rng.pareto(tail_alpha, n))
        return np.where(in_tail, tail, body)

    return Draws(sample)


class ActivityLink:
    """A FIFO link whose delays spike with the recent message rate on it.

    ``rate`` is an exponentially decaying count of messages (half-life
    ``halflife_ns``) divided by its mean lifetime, i.e. messages per second
    over the recent past. Above ``burst_rate_per_s`` each base draw is
    multiplied by ``1 + gain * (rate / burst_rate_per_s - 1)``.
    """

    def __init__(self, draws: Draws, burst_rate_per_s: float, gain: float, halflife_ns: int):
        self._next = draws.next
        self._last_arrival = 0
        self.extra_ns = 0
        self._threshold = burst_rate_per_s
        self._gain = gain
        self._decay_per_ns = math.log(2) / halflife_ns
        self._lifetime_s = 1.0 / (self._decay_per_ns * 1e9)  # mean lifetime of one count, seconds
        self._count = 0.0
        self._last_ns = 0

    def rate_per_s(self, now: int) -> float:
        """Recent messages per second (before the one about to be sent)."""
        return self._count * math.exp(-self._decay_per_ns * (now - self._last_ns)) / self._lifetime_s

    def multiplier(self, now: int) -> float:
        if self._threshold <= 0:
            return 1.0
        over = self.rate_per_s(now) / self._threshold - 1.0
        return 1.0 + self._gain * over if over > 0 else 1.0

    def delay(self, now: int) -> int:
        base = self._next()
        scaled = int(base * self.multiplier(now))
        self._count = self._count * math.exp(-self._decay_per_ns * (now - self._last_ns)) + 1.0
        self._last_ns = now
        arrival = now + scaled + self.extra_ns
        if arrival < self._last_arrival:
            arrival = self._last_arrival
        self._last_arrival = arrival
        return arrival - now


def link_draws(model, rng: np.random.Generator, latency_ms: float, default_jitter_ms: float) -> Draws:
    """The base delay draws of one link for a ``LatencyModel`` (None = fixed_jitter)."""
    if model is None or model.kind == "fixed_jitter":
        jitter = default_jitter_ms if model is None or model.jitter_ms is None else model.jitter_ms
        return hop_ms(rng, latency_ms, jitter)
    median = model.median_ms if model.median_ms is not None else max(latency_ms, 1e-6)
    p99 = model.p99_ms if model.p99_ms is not None else 3.0 * median
    scale = model.tail_scale_ms if model.tail_scale_ms is not None else p99
    return fat_tail_ms(rng, median, p99, model.tail_probability, model.tail_alpha, scale)


def build_link(model, rng: np.random.Generator, latency_ms: float, default_jitter_ms: float) -> Link:
    """One venue link for a scenario's ``LatencyModel`` (None: the default fixed_jitter)."""
    draws = link_draws(model, rng, latency_ms, default_jitter_ms)
    if model is None or model.kind == "fixed_jitter" or model.burst_rate_per_s <= 0:
        return FifoLink(draws)
    return ActivityLink(draws, model.burst_rate_per_s, model.burst_gain, int(model.burst_halflife_ms * MS))
