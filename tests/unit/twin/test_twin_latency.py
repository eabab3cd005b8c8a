"""Venue link latency models (twin.latency): fat tails, burst spikes, the unchanged default."""

from __future__ import annotations

import numpy as np

from components.config.market import LatencyModel
from twin.draws import FifoLink, hop_ms, lognormal_ms
from twin.latency import ActivityLink, build_link, fat_tail_ms

MS = 1_000_000


def sample(draws, n=200_000):
    return np.array([draws.next() for _ in range(n)], dtype=float)


def tail_ratio(x):
    return np.percentile(x, 99.9) / np.percentile(x, 50)


def test_fat_tail_is_heavier_than_a_lognormal_with_the_same_body():
    body = sample(lognormal_ms(np.random.default_rng(1), 1.0, 3.0))
    fat = sample(fat_tail_ms(np.random.default_rng(1), 1.0, 3.0, 0.01, 1.5, 3.0))
    assert abs(np.median(fat) / np.median(body) - 1) < 0.05  # same body
    assert tail_ratio(fat) > 2 * tail_ratio(body)
    assert fat.max() > 20 * body.max() / 2  # Pareto reaches far beyond anything log-normal


def test_fat_tail_draws_are_reproducible():
    a = sample(fat_tail_ms(np.random.default_rng(7), 0.5, 2.0, 0.02, 1.2, 2.0), 10_000)
    b = sample(fat_tail_ms(np.random.default_rng(7), 0.5, 2.0, 0.02, 1.2, 2.0), 10_000)
    assert (a == b).all()


def test_delays_spike_under_bursts_and_recover():
    model = LatencyModel(kind="fat_tail", median_ms=1.0, p99_ms=1.0, tail_probability=0.0,
                         burst_rate_per_s=100.0, burst_gain=1.0, burst_halflife_ms=100.0)
    link = build_link(model, np.random.default_rng(0), 1.0, 0.0)
    assert isinstance(link, ActivityLink)
    now = 0
    calm = []
    for _ in range(20):  # 10 messages per second: far below the burst rate
        now += 100 * MS
        calm.append(link.delay(now))
    assert max(calm) <= 1 * MS + 1
    burst = []
    for _ in range(500):  # 10,000 per second
        now += 100_000
        burst.append(link.delay(now))
    assert max(burst) > 10 * MS  # the multiplier grew with the message rate
    assert link.multiplier(now) > 10
    now += 5_000 * MS  # quiet for 5 s: the counter decays away
    assert link.multiplier(now) == 1.0


def test_links_stay_fifo_under_spikes():
    model = LatencyModel(kind="fat_tail", median_ms=1.0, p99_ms=5.0, burst_rate_per_s=10.0)
    link = build_link(model, np.random.default_rng(3), 1.0, 0.0)
    arrivals = [t + link.delay(t) for t in range(0, 1_000 * 100_000, 100_000)]
    assert arrivals == sorted(arrivals)


def test_default_model_is_the_old_fixed_jitter_link():
    old = FifoLink(hop_ms(np.random.default_rng(5), 0.5, 0.2))
    for model in (None, LatencyModel()):
        new = build_link(model, np.random.default_rng(5), 0.5, 0.2)
        assert isinstance(new, FifoLink)
        old = FifoLink(hop_ms(np.random.default_rng(5), 0.5, 0.2))
        assert [new.delay(t) for t in range(0, 10**9, 10**7)] == [old.delay(t) for t in range(0, 10**9, 10**7)]
    explicit = build_link(LatencyModel(jitter_ms=1.0), np.random.default_rng(5), 0.5, 0.2)
    ref = FifoLink(hop_ms(np.random.default_rng(5), 0.5, 1.0))
    assert explicit.delay(0) == ref.delay(0)
