"""``hot_path_tail``: the slowest orders bucketed by cause, their stages against the median's, bursts."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from loadtests.benchmarks.hot_path_tail import OUTSIDE, OrderSample, bursts, cause, composition

STAGES = ["risk", "routing"]


def _plain(i: int, wall: int = 100_000, **kw) -> OrderSample:
    return OrderSample(i, "AAPL BUY MARKET", wall, kw.pop("cpu_ns", wall), stages=kw.pop("stages", {}), **kw)


def test_each_cause_in_order_of_precedence():
    assert cause(_plain(0, 900_000, gc_ns=800_000), 100_000) == "collector pass"
    assert cause(_plain(0, 900_000, cpu_ns=150_000), 100_000) == "off CPU"  # 750 of 800 us excess off CPU
    assert cause(_plain(0, 900_000, cpu_ns=880_000), 100_000) == "more CPU"


def test_the_composition_names_the_tail_the_stage_that_grew_and_the_shape():
    samples = [_plain(i, stages={"risk": 40_000, "routing": 40_000}) for i in range(198)]
    samples.append(OrderSample(198, "MSFT SELL LIMIT", 2_000_000, 2_000_000, 0, {"risk": 40_000, "routing": 1_900_000}))
    samples.append(OrderSample(199, "MSFT SELL LIMIT", 3_000_000, 3_000_000, 2_500_000, {"risk": 40_000, "routing": 40_000}))
    text = "\n".join(composition(samples, STAGES, fraction=0.01))
    assert "slowest 2 of 200 orders" in text
    assert "collector pass           1     50%" in text
    assert "more CPU                 1     50%" in text and "routing 1" in text
    assert "MSFT SELL LIMIT 100% vs 1%" in text
    assert "median wall us: AAPL BUY MARKET 100, MSFT SELL LIMIT 2500" in text
    assert "in bursts: 100% of the tail" in text  # 198 and 199 are neighbours


def test_outside_handlers_is_what_no_stage_accounts_for():
    assert _plain(0, 100_000, stages={"risk": 30_000, "routing": 50_000}).stage_ns(OUTSIDE) == 20_000


@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=50, unique=True))
def test_bursts_is_the_share_with_a_near_neighbour(indices):
    tail = [_plain(i) for i in indices]
    expected = sum(1 for i in indices if any(0 < abs(i - j) <= 2 for j in indices)) / len(indices)
    assert bursts(tail) == pytest.approx(expected)


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="samples: no orders"):
        composition([], STAGES)
    with pytest.raises(ValueError, match="fraction must be in"):
        composition([_plain(0)], STAGES, fraction=0)
