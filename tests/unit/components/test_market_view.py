"""QuoteBoard (the router's held quotes and their age) and nbbo_quotes (a consolidated NBBO per venue)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from components.domain.venues import Quote
from components.market_view import QuoteBoard, nbbo_quotes
from venues_sim.sip import consolidate

MS = 1_000_000


def q(venue: str, bid: int, ask: int, ts: int, size: int = 100) -> Quote:
    return Quote(venue, "AAPL", bid, size, ask, size, ts)


def test_a_held_quote_is_current_as_of_the_last_message_heard():
    board = QuoteBoard()
    board.put(q("XNAS", 100, 101, ts=10 * MS), sent_ns=10 * MS, received_ns=13 * MS)
    assert board.quote("XNAS", "AAPL", 13 * MS).timestamp_ns == 10 * MS
    assert board.quote("XNAS", "AAPL", 2_000 * MS).timestamp_ns == 1_997 * MS  # heartbeats, 3 ms behind
    assert board.held("XNAS", "AAPL").timestamp_ns == 10 * MS
    assert board.quote("BATS", "AAPL", 13 * MS) is None


def test_a_frozen_quote_keeps_its_own_old_timestamp():
    board = QuoteBoard()
    board.put(q("XNAS", 100, 101, ts=5 * MS), sent_ns=900 * MS, received_ns=901 * MS)
    assert board.quote("XNAS", "AAPL", 5_000 * MS).timestamp_ns == 5 * MS


def test_a_quote_sent_before_the_held_one_is_dropped_and_counted():
    board = QuoteBoard()
    assert board.put(q("XNAS", 100, 102, ts=20 * MS), 20 * MS, 21 * MS)
    assert not board.put(q("XNAS", 99, 101, ts=10 * MS), 10 * MS, 22 * MS)
    assert board.held("XNAS", "AAPL").bid == 100 and board.late_dropped == 1 and board.updates == 1


def test_drop_forgets_one_venue_only():
    board = QuoteBoard()
    board.put(q("XNAS", 100, 101, 0), 0, 1)
    board.put(q("BATS", 100, 101, 0), 0, 1)
    board.drop("XNAS")
    assert board.held("XNAS", "AAPL") is None and board.held("BATS", "AAPL") is not None


def test_a_quote_cannot_arrive_before_it_was_sent():
    with pytest.raises(ValueError, match="before it was sent"):
        QuoteBoard().put(q("XNAS", 100, 101, 0), sent_ns=5, received_ns=4)


def test_nbbo_quotes_name_the_venues_at_the_best_price_only():
    nbbo = consolidate([q("XNAS", 100, 103, 0, 300), q("BATS", 100, 102, 0, 200), q("ARCX", 99, 102, 0, 50)],
                       timestamp_ns=7)
    quotes = {x.venue: x for x in nbbo_quotes(nbbo, ["XNAS", "BATS", "ARCX", "IEXG"])}
    assert (quotes["XNAS"].bid, quotes["XNAS"].ask) == (100, 0)
    assert (quotes["BATS"].bid, quotes["BATS"].ask) == (100, 102)
    assert (quotes["ARCX"].bid, quotes["ARCX"].ask) == (0, 102)
    assert quotes["IEXG"] == Quote("IEXG", "AAPL", 0, 0, 0, 0, 7)
    assert quotes["XNAS"].bid_size + quotes["BATS"].bid_size == 500  # the NBBO's total, split
    assert all(x.timestamp_ns == 7 for x in quotes.values())


@given(st.lists(st.tuples(st.integers(1, 5), st.integers(1, 10_000)), min_size=1, max_size=6))
def test_split_sizes_add_up_to_the_nbbo_size_at_each_side(rows):
    venues = [f"V{i}" for i in range(len(rows))]
    quotes = [Quote(v, "AAPL", 100 + lvl, size, 200 - lvl, size, 0) for v, (lvl, size) in zip(venues, rows)]
    nbbo = consolidate(quotes)
    split = nbbo_quotes(nbbo, venues)
    assert sum(x.bid_size for x in split) == nbbo.bid_size
    assert sum(x.ask_size for x in split) == nbbo.ask_size
    assert {x.venue for x in split if x.bid} == set(nbbo.bid_venues)
