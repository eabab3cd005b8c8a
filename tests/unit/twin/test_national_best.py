"""national_best: the national best bid and offer of many samples at once, exactly ``_best`` per sample."""

from __future__ import annotations

import numpy as np
from hypothesis import given, strategies as st

from twin.market_recorder import _best, national_best

# Few distinct prices and sizes, zeros included, so ties, empty sides and one-sided venues are common.
top = st.tuples(st.sampled_from([0, 999_900, 1_000_000, 1_000_100]), st.sampled_from([0, 1, 100, 300]),
                st.sampled_from([0, 1_000_000, 1_000_100, 1_000_200]), st.sampled_from([0, 1, 100, 300]))


@given(st.integers(1, 5).flatmap(lambda venues: st.lists(st.lists(top, min_size=venues, max_size=venues),
                                                          max_size=30)))
def test_every_sample_is_the_best_of_its_venue_tops(samples):
    venues = len(samples[0]) if samples else 1
    cube = np.array(samples, dtype=np.int64).reshape(len(samples), venues, 4)  # samples x venues x side
    got = national_best(*(cube[:, :, k].T.copy() for k in range(4)))
    assert [tuple(int(c[i]) for c in got) for i in range(len(samples))] == [_best(tops) for tops in samples]


def test_a_side_no_venue_shows_is_empty_and_sizes_add_at_the_best_price():
    bid, bid_size, ask, ask_size = (np.array(rows, dtype=np.int64) for rows in (
        [[100, 0], [100, 99]], [[5, 7], [3, 7]], [[0, 0], [101, 0]], [[9, 9], [2, 4]]))  # venues x samples
    got = national_best(bid, bid_size, ask, ask_size)
    # sample 0: both venues bid 100 (5 + 3), one asks; sample 1: one bid, no ask anywhere
    assert [list(map(int, c)) for c in got] == [[100, 99], [8, 7], [101, 0], [2, 0]]
