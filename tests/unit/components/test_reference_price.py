"""The reference price rule (``components.reference_price``): the consolidated mid, the last good
mid and where each answer came from (kept as one source per symbol), checked against the rule
written plainly over random sequences of asks."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from components.reference_price import (
    CONFIGURED,
    LAST_GOOD_MID,
    VENUE_QUOTES,
    LastGoodMid,
    consolidated_mid,
)


def plain_mid(tops: list[tuple[int, int]]) -> int:
    bids = [bid for bid, _ in tops if bid]
    asks = [ask for _, ask in tops if ask]
    if bids and asks and max(bids) < min(asks):
        return (max(bids) + min(asks)) // 2
    return 0


class PlainRule:
    """The rule with nothing remembered but what it must: every answer computed afresh."""

    def __init__(self, opening: dict[str, int]) -> None:
        self.prices = dict(opening)
        self.last_was_mid: dict[str, bool] = {}
        self.had_mid: set[str] = set()

    def update(self, symbol: str, mid: int) -> int:
        self.last_was_mid[symbol] = bool(mid)
        if mid:
            self.prices[symbol] = mid
            self.had_mid.add(symbol)
            return mid
        return self.prices.get(symbol, 0)

    def source(self, symbol: str) -> str:
        if self.last_was_mid.get(symbol):
            return VENUE_QUOTES
        return LAST_GOOD_MID if symbol in self.had_mid else CONFIGURED


def test_consolidated_mid_examples() -> None:
    assert consolidated_mid([(100, 104), (101, 0), (0, 103)]) == 102  # best bid 101, best ask 103
    assert consolidated_mid([(100, 0), (99, 0)]) == 0  # no offer anywhere
    assert consolidated_mid([(103, 104), (100, 103)]) == 0  # locked: best bid 103 = best ask 103
    assert consolidated_mid([(100, 101)]) == 100  # rounded down to a unit


def test_source_before_during_and_after_a_market() -> None:
    mids = LastGoodMid({"AAPL": 190})
    assert mids.source("AAPL") == CONFIGURED
    assert mids.from_tops("AAPL", [(0, 0)]) == 190 and mids.source("AAPL") == CONFIGURED
    assert mids.from_tops("AAPL", [(200, 202)]) == 201 and mids.source("AAPL") == VENUE_QUOTES
    assert mids.from_tops("AAPL", [(200, 202)]) == 201 and mids.source("AAPL") == VENUE_QUOTES
    assert mids.from_tops("AAPL", [(203, 202)]) == 201 and mids.source("AAPL") == LAST_GOOD_MID


def test_a_direct_update_and_tops_share_one_history() -> None:
    mids = LastGoodMid({})
    assert mids.from_tops("AAPL", [(100, 102)]) == 101
    assert mids.update("AAPL", 0) == 101 and mids.source("AAPL") == LAST_GOOD_MID
    assert mids.from_tops("AAPL", [(100, 102)]) == 101 and mids.source("AAPL") == VENUE_QUOTES
    assert mids.source("MSFT") == CONFIGURED and mids.update("MSFT", 0) == 0
    assert mids.source("MSFT") == CONFIGURED  # no mid yet: still the configured fallback


PRICES = st.sampled_from((0, 99, 100, 101, 102))
TOPS = st.lists(st.tuples(PRICES, PRICES), max_size=3)
ASK = st.tuples(st.just("tops"), st.sampled_from(("AAPL", "MSFT")), TOPS, st.sampled_from(("list", "generator")))
UPDATE = st.tuples(st.just("update"), st.sampled_from(("AAPL", "MSFT")), PRICES)


@settings(max_examples=300, deadline=None)
@given(steps=st.lists(st.one_of(ASK, ASK, ASK, UPDATE), max_size=40))
def test_from_tops_matches_the_plain_rule(steps) -> None:
    opening = {"AAPL": 95}  # MSFT has no opening price
    mids, plain = LastGoodMid(opening), PlainRule(opening)
    for step in steps:
        if step[0] == "tops":
            _, symbol, tops, shape = step
            given_tops = list(tops) if shape == "list" else (t for t in tops)
            assert mids.from_tops(symbol, given_tops) == plain.update(symbol, plain_mid(tops))
        else:
            _, symbol, mid = step
            assert mids.update(symbol, mid) == plain.update(symbol, mid)
        for symbol in ("AAPL", "MSFT"):
            assert mids.source(symbol) == plain.source(symbol)
        assert mids.prices == plain.prices
