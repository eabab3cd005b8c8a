"""``MeanRevertingFundamental`` draws its steps' normals ahead in blocks: the path, read at any spacing
(many reads within a step, long gaps, gaps across a block's end), is the path of one numpy call per read
(what it did before), with and without an intraday profile and megashocks' extra variance."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scenarios.agents import fundamental as fundamental_module
from scenarios.agents.fundamental import MeanRevertingFundamental
from scenarios.agents.intraday import IntradayProfile

SEC = 1_000_000_000
HOUR = 3600 * SEC


class OneCallPerRead(MeanRevertingFundamental):
    """The path as drawn before: ``standard_normal(k)`` for the k steps each read advances."""

    def _take_normals(self, k: int) -> list[float]:
        return self._rng.standard_normal(k).tolist()


def make(cls, seed: int, profiled: bool, boost: float) -> MeanRevertingFundamental:
    profile = IntradayProfile([2.0, 1.0, 0.7, 1.0, 1.8], 0, 6 * HOUR) if profiled else None
    return cls(1_000_000, np.random.default_rng(seed), vol_bps_per_sqrt_s=3.0, half_life_s=3600.0,
               megashocks_per_hour=2.0, megashock_mean_bps=50.0, megashock_std_bps=10.0, start_ns=0,
               end_ns=6 * HOUR, profile=profile, shock_vol_boost=boost)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), profiled=st.booleans(), boost=st.sampled_from([0.0, 3.0]),
       gaps=st.lists(st.one_of(st.integers(0, 3 * SEC), st.integers(0, 1500 * SEC)), min_size=1, max_size=50))
def test_drawing_ahead_walks_the_same_path(seed, profiled, boost, gaps):
    ahead, plain = make(MeanRevertingFundamental, seed, profiled, boost), make(OneCallPerRead, seed, profiled, boost)
    now = 0
    for gap in gaps:
        now += gap
        assert ahead.value_at(now) == plain.value_at(now)
        assert ahead.at(now) == plain.at(now)


def test_a_read_longer_than_a_block_takes_the_rest_of_one_block_and_a_fresh_one():
    ahead, plain = make(MeanRevertingFundamental, 7, False, 0.0), make(OneCallPerRead, 7, False, 0.0)
    block = fundamental_module._NORMALS_BLOCK
    for now in (3 * SEC, (block - 1) * SEC, (3 * block + 5) * SEC, (3 * block + 6) * SEC):
        assert ahead.value_at(now) == plain.value_at(now)
    assert 0 < ahead._normals_at <= len(ahead._normals)


def test_the_past_is_still_refused():
    fundamental = make(MeanRevertingFundamental, 1, False, 0.0)
    fundamental.value_at(5 * SEC)
    with pytest.raises(ValueError, match="before fundamental step 5"):
        fundamental.value_at(4 * SEC)
