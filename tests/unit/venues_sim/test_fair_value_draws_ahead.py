"""``FairValue(draws_ahead=k)``: normals for k steps drawn in one call walk the very path one draw per
asked step walks (what ``fair_value_path`` relies on), however the asks are spaced."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from venues_sim.liquidity import FAIR_DRAWS_AHEAD, FairValue, fair_value_path

SEC = 1_000_000_000


@given(seed=st.integers(0, 2**32 - 1), k=st.integers(1, 70), vol=st.sampled_from([0.0, 5.0, 400.0, 5000.0]),
       gaps=st.lists(st.integers(0, 150 * SEC), min_size=1, max_size=60))
def test_drawing_ahead_walks_the_same_path(seed, k, vol, gaps):
    ahead = FairValue(1_000_000, vol, np.random.default_rng(seed), draws_ahead=k)
    one = FairValue(1_000_000, vol, np.random.default_rng(seed))
    now = 0
    for gap in gaps:
        now += gap
        assert ahead.at(now) == one.at(now)


def test_the_standard_walk_draws_ahead_and_still_refuses_the_past():
    fair = fair_value_path(1_900_000, 150.0, np.random.default_rng(1), start_ns=0)
    assert fair.draws_ahead == FAIR_DRAWS_AHEAD > 1
    fair.at(5 * SEC)
    with pytest.raises(ValueError, match="before fair value step 5"):
        fair.at(4 * SEC)


def test_draws_ahead_must_be_a_positive_int():
    with pytest.raises(ValueError, match="draws_ahead must be a positive int"):
        FairValue(100, 1.0, np.random.default_rng(1), draws_ahead=0)
