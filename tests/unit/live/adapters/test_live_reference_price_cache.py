"""Live ``VenueMarketData.reference_price`` (cached per symbol) answers exactly what the plain rule answers
(every configured venue's ``_up`` and top read again, then ``LastGoodMid``) after any sequence of book changes,
venue status flips (with and without a book version bump), sessions logging on and off, venues restarted or
gone, and FIX quote feed updates; and leaves ``LastGoodMid`` in the same state after every ask."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from components.domain.orders import Side, TimeInForce
from components.domain.venues import VenueStatus
from components.reference_price import LastGoodMid
from live.adapters.fix.market_data import BookTop, QuoteCache
from live.adapters.market_data import VenueMarketData
from venues_sim.book import OrderBook
from venues_sim.fees import MakerTakerFees
from venues_sim.venue import SimVenue

UP, DOWN = VenueStatus.UP, VenueStatus.DOWN
NAMES = ("ARCX", "BATS", "XNAS")
SYMBOLS = ("AAPL", "MSFT")
OPENING = {"AAPL": 1_000, "MSFT": 2_000}  # no opening price for TSLA: 0 until a good mid
ASKED = SYMBOLS + ("TSLA",)  # TSLA trades only at the bare venues: SimVenue.book raises KeyError


def plain_reference(mids: LastGoodMid, md: VenueMarketData, symbol: str) -> int:
    """The rule as computed before the cache: each configured venue's state and top read on every ask."""
    tops = []
    for name in md._names:
        if md._connected is not None and not md._connected(name):
            continue
        venue = md._venues.get(name)
        if venue is not None and venue.status is not UP:
            continue
        if md._feed is not None:
            top = md._feed.top(name, symbol)
            if top is not None:
                tops.append((top.bid, top.ask))
        elif venue is not None:
            bid, _, ask, _ = venue.book(symbol).top()
            tops.append((bid, ask))
    return mids.from_tops(symbol, tops)


def ask_both(md: VenueMarketData, mids: LastGoodMid, symbol: str) -> None:
    """The cached and the plain answer are the same value (or the same error), and so is LastGoodMid's state."""
    try:
        expected: object = plain_reference(mids, md, symbol)
    except KeyError as e:
        expected = e.args
    try:
        got: object = md.reference_price(symbol)
    except KeyError as e:
        got = e.args
    assert got == expected
    assert md._mids.prices == mids.prices
    assert [md._mids.source(s) for s in ASKED] == [mids.source(s) for s in ASKED]


class Bare:
    """A venue object whose status flips WITHOUT bumping its books' versions (the hard case for a cache)."""

    def __init__(self) -> None:
        self.status = UP
        self._books = {s: OrderBook(s) for s in ASKED}

    def book(self, symbol: str) -> OrderBook:
        return self._books[symbol]

    def set_status(self, status: VenueStatus) -> None:
        self.status = status


def new_venue(name: str, bare: bool):
    return Bare() if bare else SimVenue(name, MakerTakerFees(20, 30), list(SYMBOLS), lambda report: None)


venue_i = st.integers(0, len(NAMES) - 1)
price = st.integers(995, 1_005)  # narrow: venues often lock or cross each other (no good mid, last good mid)
book_ops = st.one_of(
    st.tuples(st.just("add"), venue_i, st.sampled_from(ASKED), st.sampled_from([Side.BUY, Side.SELL]), price,
              st.integers(1, 300)),
    st.tuples(st.just("cancel"), venue_i, st.sampled_from(ASKED)),
    st.tuples(st.just("status"), venue_i),
    st.tuples(st.just("connect"), venue_i),
    st.tuples(st.just("restart"), venue_i, st.booleans()),
    st.tuples(st.just("remove"), venue_i),
)


@settings(max_examples=300, deadline=None)
@given(kinds=st.lists(st.booleans(), min_size=3, max_size=3), with_sessions=st.booleans(),
       ops=st.lists(st.tuples(book_ops, st.booleans()), max_size=40))
def test_in_process_books(kinds, with_sessions, ops):
    venues = {n: new_venue(n, bare) for n, bare in zip(NAMES, kinds)}
    on = set(NAMES)
    md = VenueMarketData(lambda: 0, venues, OPENING, names=NAMES, connected=on.__contains__ if with_sessions else None)
    mids = LastGoodMid(OPENING)
    resting: dict[tuple[str, str], list[str]] = {}
    for n, (op, ask) in enumerate(ops):  # ``ask``: ask every symbol after this change (else more changes first)
        kind, name = op[0], NAMES[op[1]]
        venue = venues.get(name)
        if kind == "add" and venue is not None and op[2] in venue._books:
            _, _, symbol, side, px, qty = op
            result = venue.book(symbol).add(f"O{n}", side, qty, px, TimeInForce.DAY, "MM")
            if result.rested_qty:
                resting.setdefault((name, symbol), []).append(f"O{n}")
        elif kind == "cancel" and venue is not None and op[2] in venue._books and resting.get((name, op[2])):
            venue.book(op[2]).cancel(resting[(name, op[2])].pop(0))
        elif kind == "status" and venue is not None:
            venue.set_status(DOWN if venue.status is UP else UP)
        elif kind == "connect":
            on.symmetric_difference_update({name})
        elif kind == "restart":
            venues[name] = new_venue(name, op[2])  # a new object with new, empty books
            resting = {k: v for k, v in resting.items() if k[0] != name}
        elif kind == "remove" and venue is not None:
            del venues[name]  # configured, but no venue object here: counts with no top
        if ask:
            for symbol in ASKED:
                ask_both(md, mids, symbol)
    for symbol in ASKED:
        ask_both(md, mids, symbol)


def top_of(bid: int, ask: int) -> BookTop:
    return BookTop(bid, 100 if bid else 0, ask, 100 if ask else 0)


feed_ops = st.one_of(
    st.tuples(st.just("put"), venue_i, st.sampled_from(SYMBOLS), st.sampled_from([0, 995, 998, 1_000, 1_003]),
              st.sampled_from([0, 997, 1_000, 1_002, 1_005])),
    st.tuples(st.just("refused"), venue_i, st.sampled_from(SYMBOLS + (None,))),
    st.tuples(st.just("drop"), venue_i),
    st.tuples(st.just("status"), venue_i),
    st.tuples(st.just("connect"), venue_i),
)


class Served:
    """A FIX venue served in this process, as the live market data sees one: its status only."""

    def __init__(self) -> None:
        self.status = UP


class Unversioned:
    """A quote feed with ``top`` only (the ``QuoteFeed`` protocol): never cached."""

    def __init__(self, cache: QuoteCache) -> None:
        self.top = cache.top


@settings(max_examples=300, deadline=None)
@given(here=st.lists(st.booleans(), min_size=3, max_size=3), versioned=st.booleans(),
       with_sessions=st.booleans(), ops=st.lists(st.tuples(feed_ops, st.booleans()), max_size=40))
def test_fix_quote_feed(here, versioned, with_sessions, ops):
    cache = QuoteCache()
    on = set(NAMES)
    # FIX venues served in this process have a venue object (with a status); remote ones have none
    venues = {n: Served() for n, local in zip(NAMES, here) if local}
    md = VenueMarketData(lambda: 0, venues, OPENING, names=NAMES, feed=cache if versioned else Unversioned(cache),
                         connected=on.__contains__ if with_sessions else None)
    mids = LastGoodMid(OPENING)
    for op, ask in ops:  # ``ask``: ask every symbol after this change (else more changes first)
        kind, name = op[0], NAMES[op[1]]
        if kind == "put":
            cache.put(name, op[2], top_of(op[3], op[4]))
        elif kind == "refused":
            cache.refused(name, op[2])
        elif kind == "drop":
            cache.drop(name)
        elif kind == "status" and name in venues:
            venues[name].status = DOWN if venues[name].status is UP else UP  # no feed change with it
        elif kind == "connect":
            on.symmetric_difference_update({name})  # logged on/off: the feed is not told (yet)
        if ask:
            for symbol in SYMBOLS:
                ask_both(md, mids, symbol)
    for symbol in SYMBOLS:
        ask_both(md, mids, symbol)


def test_quote_cache_version_moves_on_every_change_to_the_tops():
    cache = QuoteCache()
    seen = [cache.version]
    cache.expect("XNAS", ["AAPL"])  # a subscription changes no top
    assert cache.version == seen[-1]
    for change in (lambda: cache.put("XNAS", "AAPL", top_of(999, 1_001)), lambda: cache.refused("XNAS", "AAPL"),
                   lambda: cache.put("XNAS", "MSFT", top_of(1, 3)), lambda: cache.refused("XNAS", None),
                   lambda: cache.drop("XNAS")):
        change()
        assert cache.version > seen[-1]
        seen.append(cache.version)


def test_a_cached_answer_follows_a_status_flip_that_moves_no_version():
    venue = Bare()
    book = venue.book("AAPL")
    book.add("B", Side.BUY, 100, 990, TimeInForce.DAY, "MM")
    book.add("S", Side.SELL, 100, 1_010, TimeInForce.DAY, "MM")
    md = VenueMarketData(lambda: 0, {"XNAS": venue}, OPENING, names=["XNAS"])
    assert md.reference_price("AAPL") == 1_000
    version = book.version
    venue.status = DOWN
    book.cancel("B")  # no market at the venue now: the last good mid, if the venue were up
    book.add("B2", Side.BUY, 100, 1_000, TimeInForce.DAY, "MM")
    assert (md.reference_price("AAPL"), md._mids.source("AAPL")) == (1_000, "last_good_mid")
    venue.status = UP
    assert book.version > version and md.reference_price("AAPL") == 1_005


def test_the_venues_that_count_are_part_of_the_key_not_only_the_versions():
    # two books at the same version: one venue going down as the other comes up moves no version sum
    low, high = Bare(), Bare()
    for venue, (bid, ask) in ((low, (990, 1_000)), (high, (1_010, 1_020))):
        venue.book("AAPL").add("B", Side.BUY, 100, bid, TimeInForce.DAY, "MM")
        venue.book("AAPL").add("S", Side.SELL, 100, ask, TimeInForce.DAY, "MM")
    assert low.book("AAPL").version == high.book("AAPL").version
    high.status = DOWN
    md = VenueMarketData(lambda: 0, {"ARCX": low, "BATS": high}, OPENING, names=["ARCX", "BATS"])
    assert md.reference_price("AAPL") == 995
    low.status, high.status = DOWN, UP
    assert md.reference_price("AAPL") == 1_015


def test_a_session_logging_off_drops_its_venue_before_the_feed_is_told():
    cache = QuoteCache()
    cache.put("ARCX", "AAPL", top_of(990, 1_000))
    cache.put("BATS", "AAPL", top_of(992, 1_010))
    on = {"ARCX", "BATS"}
    md = VenueMarketData(lambda: 0, {}, OPENING, names=["ARCX", "BATS"], connected=on.__contains__, feed=cache)
    assert md.reference_price("AAPL") == 996
    on.discard("ARCX")  # the session is gone; the gateway has not dropped its quotes yet
    assert md.reference_price("AAPL") == 1_001
