"""The gateway's side of FIX market data, the quote cache, live market data, and the shared reference rule.

Pure tests, except the round trip through real QuickFIX messages at the end
(skipped without quickfix): the venue codec's W built into a QuickFIX
message, read back as the gateway reads it, gives the quote it was made of.
"""

from __future__ import annotations

import threading

import pytest

from components.domain.money import to_units
from components.domain.venues import Quote, VenueStatus
from components.fix import market_data as md
from live.adapters.fix import messages as m
from live.adapters.fix.market_data import BookTop, QuoteCache
from live.adapters.market_data import VenueMarketData
from components.reference_price import LastGoodMid, consolidated_mid

NOW = 1_700_000_000_000_000_000


def entry(kind: str, px: str | None, size: str | None) -> dict[int, str]:
    found = {md.MD_ENTRY_TYPE: kind}
    if px is not None:
        found[md.MD_ENTRY_PX] = px
    if size is not None:
        found[md.MD_ENTRY_SIZE] = size
    return found


# -- MarketDataRequest (35=V) built by the gateway -----------------------------------------

def test_the_gateway_asks_for_snapshot_and_updates_of_one_symbols_top_of_book():
    msg_type, body = m.market_data_request("MD-XNAS-AAPL-1", "AAPL")
    assert msg_type == "V"
    fields = {item[0]: item[1] for item in body if not isinstance(item, md.Group)}
    assert fields == {262: "MD-XNAS-AAPL-1", 263: "1", 264: "1", 265: "0"}
    groups = {g.count_tag: g for g in body if isinstance(g, md.Group)}
    assert groups[267].delimiter == 269 and groups[267].entries == (((269, "0"),), ((269, "1"),))
    assert groups[146].delimiter == 55 and groups[146].entries == (((55, "AAPL"),),)


# -- MarketDataSnapshotFullRefresh (35=W) parsed by the gateway -----------------------------

def test_a_snapshot_parses_to_exact_integer_units_and_whole_shares():
    top = m.market_data_snapshot([entry("0", "189.9901", "300"), entry("1", "190.1", "1200.0")])
    assert top == BookTop(1_899_901, 300, 1_901_000, 1200)
    assert isinstance(top.bid, int) and isinstance(top.ask_size, int)


def test_an_empty_side_is_zero_other_entry_types_are_ignored_and_depth_keeps_the_best():
    assert m.market_data_snapshot([]) == BookTop(0, 0, 0, 0)
    assert m.market_data_snapshot([entry("1", "190.10", "100")]) == BookTop(0, 0, to_units("190.10"), 100)
    assert m.market_data_snapshot([entry("2", "190.00", "5"), entry("0", "189.90", "100")]) == \
        BookTop(to_units("189.90"), 100, 0, 0)  # a trade entry (2) is not a side of the book
    deep = [entry("0", "189.80", "10"), entry("0", "189.90", "20"), entry("1", "190.20", "30"),
            entry("1", "190.10", "40")]
    assert m.market_data_snapshot(deep) == BookTop(to_units("189.90"), 20, to_units("190.10"), 40)


@pytest.mark.parametrize("entries, named", [
    ([{md.MD_ENTRY_PX: "190.00", md.MD_ENTRY_SIZE: "1"}], "entry 1: MDEntryType (269) is missing"),
    ([entry("0", None, "100")], "entry 1: MDEntryPx (270) is missing"),
    ([entry("0", "189.90", "100"), entry("1", "190.10", None)], "entry 2: MDEntrySize (271) is missing"),
    ([entry("0", "190.00001", "100")], "MDEntryPx (270) '190.00001'"),  # finer than a unit: never rounded
    ([entry("0", "1e2", "100")], "MDEntryPx (270) is not a number: '1e2'"),  # exact, but not FIX's format
    ([entry("1", "abc", "100")], "MDEntryPx (270) is not a number: 'abc'"),
    ([entry("1", "Infinity", "100")], "MDEntryPx (270) is not a number"),
    ([entry("1", "0", "100")], "MDEntryPx (270) must be positive"),
    ([entry("1", "-1.00", "100")], "MDEntryPx (270) must be positive"),
    ([entry("1", "190.10", "100.5")], "MDEntrySize (271) must be a positive whole number"),
    ([entry("1", "190.10", "0")], "MDEntrySize (271) must be a positive whole number"),
    ([entry("1", "190.10", "NaN")], "MDEntrySize (271) is not a number"),
    ([entry("1", "190.10", "lots")], "MDEntrySize (271) is not a number"),
])
def test_a_malformed_snapshot_is_refused_naming_the_field_and_tag(entries, named):
    with pytest.raises(m.MarketDataError) as err:
        m.market_data_snapshot(entries)
    assert named in str(err.value), str(err.value)


# -- the quote cache ------------------------------------------------------------------------

def test_the_cache_tracks_answers_and_drops_a_venue_whole():
    cache = QuoteCache()
    assert cache.answered("XNAS")  # nothing asked yet
    cache.expect("XNAS", ["AAPL", "MSFT"])
    cache.put("XNAS", "AAPL", BookTop(1, 2, 3, 4))
    assert not cache.answered("XNAS") and cache.wait_answered(["XNAS"], 0.0) == ["XNAS"]
    cache.refused("XNAS", "MSFT")
    assert cache.answered("XNAS") and cache.top("XNAS", "MSFT") is None
    cache.put("BATS", "AAPL", BookTop(5, 6, 7, 8))
    assert cache.top("XNAS", "AAPL") == BookTop(1, 2, 3, 4) and cache.updates == {"XNAS": 1, "BATS": 1}
    cache.drop("XNAS")
    assert cache.top("XNAS", "AAPL") is None and cache.top("BATS", "AAPL") == BookTop(5, 6, 7, 8)
    cache.expect("BATS", ["AAPL"])
    cache.refused("BATS", None)  # the venue serves no market data at all
    assert cache.answered("BATS") and cache.top("BATS", "AAPL") is None


def test_the_cache_is_safe_across_threads():
    cache = QuoteCache()

    def write(venue: str) -> None:
        for i in range(2000):
            cache.put(venue, "AAPL", BookTop(i, 1, i + 1, 1))

    threads = [threading.Thread(target=write, args=(v,)) for v in ("A", "B", "C")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert cache.updates == {"A": 2000, "B": 2000, "C": 2000} and cache.top("B", "AAPL").bid == 1999


# -- VenueMarketData over the cache ----------------------------------------------------------

def make(up: dict[str, bool]) -> tuple[VenueMarketData, QuoteCache]:
    cache = QuoteCache()
    data = VenueMarketData(lambda: NOW, {}, {"AAPL": to_units("150.00")}, names=list(up),
                           connected=lambda v: up[v], feed=cache)
    return data, cache


def test_quotes_come_from_the_feed_only_for_venues_that_are_up():
    up = {"XNAS": True, "BATS": True}
    data, cache = make(up)
    assert data.quote("XNAS", "AAPL") is None  # nothing received yet
    cache.put("XNAS", "AAPL", BookTop(to_units("189.90"), 100, to_units("190.10"), 200))
    assert data.quote("XNAS", "AAPL") == Quote("XNAS", "AAPL", to_units("189.90"), 100, to_units("190.10"), 200, NOW)
    up["XNAS"] = False  # session down, even before the gateway dropped its quotes
    assert data.quote("XNAS", "AAPL") is None and data.venue_status("XNAS") is VenueStatus.DOWN
    assert data.quote("NOPE", "AAPL") is None and data.statuses() == {"XNAS": "DOWN", "BATS": "UP"}


def test_the_reference_price_is_the_consolidated_mid_of_up_venues_then_the_last_good_one():
    up = {"XNAS": True, "BATS": True}
    data, cache = make(up)
    assert data.reference_price("AAPL") == to_units("150.00")  # opening price: no quotes yet
    cache.put("XNAS", "AAPL", BookTop(to_units("189.80"), 1, to_units("190.10"), 1))
    cache.put("BATS", "AAPL", BookTop(to_units("189.90"), 1, to_units("190.20"), 1))
    assert data.reference_price("AAPL") == to_units("190.00")  # best bid 189.90 (BATS), best ask 190.10 (XNAS)
    up["BATS"] = False
    assert data.reference_price("AAPL") == to_units("189.95")
    up["XNAS"] = False
    assert data.reference_price("AAPL") == to_units("189.95")  # the last good mid


def test_the_shared_rule():
    assert consolidated_mid([(100, 110), (104, 0), (0, 108)]) == 106
    assert consolidated_mid([(100, 0)]) == 0 and consolidated_mid([]) == 0
    assert consolidated_mid([(110, 120), (100, 105)]) == 0  # crossed across venues: no mid
    assert consolidated_mid([(101, 102)]) == 101  # rounded down to a unit
    mids = LastGoodMid({"AAPL": 5})
    assert mids.from_tops("AAPL", []) == 5 and mids.from_tops("MSFT", []) == 0
    assert mids.from_tops("AAPL", [(10, 20)]) == 15 and mids.update("AAPL", 0) == 15
    assert mids.prices == {"AAPL": 15}


# -- round trip through QuickFIX messages ------------------------------------------------------

def test_a_venue_snapshot_read_back_as_the_gateway_reads_it_is_the_same_quote():
    fix = pytest.importorskip("quickfix")
    from venues_sim.quickfix_io import group_entries, to_message
    from components.fix.settings import data_dictionary
    from venues_sim import fix_codec as c

    quote = Quote("XNAS", "AAPL", to_units("189.9901"), 300, to_units("190.10"), 1200)
    wire = to_message(*c.market_data_snapshot("R1", quote))
    header = wire.getHeader()
    for tag, value in ((8, "FIX.4.4"), (49, "XNAS"), (56, "BD"), (34, "1"), (52, "20240101-00:00:00.000")):
        header.setField(tag, value)
    dictionary = fix.DataDictionary(str(data_dictionary()))  # as the sessions validate and parse
    received = fix.Message(wire.toString(), dictionary, True)  # what arrives: parsed from the bytes
    entries = group_entries(received, md.NO_MD_ENTRIES, md.MD_ENTRY_TYPE, m.ENTRY_TAGS)
    assert m.market_data_snapshot(entries) == BookTop(quote.bid, quote.bid_size, quote.ask, quote.ask_size)
    empty = to_message(*c.market_data_snapshot("R1", Quote("XNAS", "AAPL", 0, 0, 0, 0)))
    assert m.market_data_snapshot(group_entries(empty, md.NO_MD_ENTRIES, md.MD_ENTRY_TYPE, m.ENTRY_TAGS)) == \
        BookTop(0, 0, 0, 0)
    request = to_message(*m.market_data_request("R2", "AAPL"))
    assert [e[55] for e in group_entries(request, md.NO_RELATED_SYM, 55, (55,))] == ["AAPL"]
    assert [e[269] for e in group_entries(request, md.NO_MD_ENTRY_TYPES, 269, (269,))] == ["0", "1"]
