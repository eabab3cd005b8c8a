"""Quotes in bulk (``ReplayVenue._in_bulk``, ``venues_sim.replay_columns.BulkQuoteListener``): a replay whose
listeners take runs of quotes at once records exactly what the same replay with one ``Quote`` per recorded
quote records: the same market timeline rows (one venue, ``MarketTimeline.quote_listener``), the same strategy
orders at the same times (``EveryNthQuote``), the same execution reports, the same tops read by a timer, the
same clock times, on random days (several symbols, empty sides, the same top repeated, prints, quotes outside
the session, our orders resting, the venue DOWN for a while), driven through a scheduler like the twin's
(``run_ahead`` on or off)."""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecutionReport, Quote, VenueStatus
from twin.market_recorder import MarketTimeline
from twin.replay_orders import EveryNthQuote, quote_listener
from venues_sim.fees import MakerTakerFees
from venues_sim.replay import ReplayVenue, _idle_end
from venues_sim.replay_format import RecordedDay, RecordedQuote, RecordedTrade

P, C = 100 * 10_000, 100
SYMBOLS = ("AAA", "BBB")


class _Clock:
    """A scheduler like the twin's: ``call_at`` in time then FIFO order; ``idle_until`` as
    ``twin.runner._run_replay_ahead`` (accept a time before anything queued, moving the clock there)."""

    def __init__(self) -> None:
        self.now = 0
        self._heap: list[tuple[int, int, object]] = []
        self._seq = 0

    def now_ns(self) -> int:
        return self.now

    def call_at(self, when: int, callback) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (max(when, self.now), self._seq, callback))

    def idle_until(self, when: int) -> bool:
        if when >= self.now and (not self._heap or self._heap[0][0] > when):
            self.now = when
            return True
        return False

    def horizon_ns(self) -> int | None:
        return self._heap[0][0] if self._heap else None

    def run(self) -> None:
        while self._heap:
            when, _, callback = heapq.heappop(self._heap)
            self.now = when
            callback()


@dataclass
class _Plan:
    """One random replay: the day, our orders, the strategy's rate and latency, outages, the session."""

    quotes: list[RecordedQuote]
    trades: list[RecordedTrade]
    orders: list[tuple[int, str, Side, int | None, int, TimeInForce]]  # time, symbol, side, limit, qty, tif
    cancels: list[tuple[int, int]]  # time, index into orders
    downs: list[tuple[int, int]]  # down at, up again at
    every: int
    latency: int
    session: tuple[int, int]
    sample_every: int
    symbols: tuple[str, ...] = field(default=SYMBOLS)


_prices = st.sampled_from([0, P - C, P, P + C, P + 2 * C])
_sizes = st.sampled_from([100, 200, 300])


@st.composite
def _side(draw) -> tuple[int, int]:
    price = draw(_prices)
    return (price, draw(_sizes)) if price else (0, 0)  # an empty side is price 0 and size 0


@st.composite
def _plans(draw) -> _Plan:
    symbols = SYMBOLS[: draw(st.integers(1, 2))]
    times = st.integers(0, 400)
    # random tops; or a few tops repeated in random order, or alternating (dedup of unchanged tops, and a top
    # coming back after a run)
    mode = draw(st.sampled_from(["random", "repeat", "alternate"]))
    few = [((P, 100), (P + C, 100)), ((0, 0), (P + C, 200))]
    quotes = []
    for i, t in enumerate(sorted(draw(st.lists(times, max_size=80)))):
        bid, ask = draw(_side()), draw(_side())
        if mode != "random":
            bid, ask = draw(st.sampled_from(few)) if mode == "repeat" else few[i % 2]
        quotes.append(RecordedQuote(t, "XNAS", draw(st.sampled_from(symbols)), *bid, *ask))
    trades = [RecordedTrade(t, "XNAS", draw(st.sampled_from(symbols)), draw(_prices.filter(bool)), draw(_sizes))
              for t in sorted(draw(st.lists(times, max_size=draw(st.sampled_from([0, 8])))))]
    quiet = draw(st.booleans())  # none of our orders and no outage: long runs in bulk
    orders = [(draw(times), draw(st.sampled_from(symbols)), draw(st.sampled_from([Side.BUY, Side.SELL])),
               draw(st.one_of(st.none(), _prices.filter(bool))), draw(_sizes),
               draw(st.sampled_from([TimeInForce.DAY, TimeInForce.IOC])))
              for _ in range(0 if quiet else draw(st.integers(0, 6)))]
    cancels = [(draw(times), draw(st.integers(0, len(orders) - 1))) for _ in range(draw(st.integers(0, 3)))] \
        if orders else []
    downs = [] if quiet else [(t, t + draw(st.integers(0, 60))) for t in draw(st.lists(times, max_size=2))]
    start = draw(st.integers(-10, 300))
    session = draw(st.sampled_from([(-1, 10**6), (start, start + draw(st.integers(0, 300)))]))
    every = draw(st.one_of(st.integers(1, 12), st.just(10**6)))  # 10**6: the strategy never sends
    return _Plan(quotes, trades, orders, cancels, downs, every, draw(st.integers(0, 25)), session,
                 draw(st.integers(5, 500)), symbols)


def _replay(plan: _Plan, bulk: bool, ahead: str | None) -> dict:
    """Run ``plan``; with ``bulk`` False every listener is wrapped in a plain callable (one ``Quote`` each);
    ``ahead``: None (no ``run_ahead``), "probe" (``idle_until`` alone), "horizon" (with its ``horizon_ns``,
    as ``twin.runner``'s)."""
    clock = _Clock()
    reports: list[ExecutionReport] = []
    venue = ReplayVenue("XNAS", RecordedDay(tuple(plan.quotes), tuple(plan.trades)), MakerTakerFees(20, 30),
                        list(plan.symbols), reports.append)
    timeline = MarketTimeline({"XNAS": venue}, list(plan.symbols), *plan.session)
    timeline._clock = clock  # as MarketTimeline.attach: our orders' checks read it
    strategy = EveryNthQuote(every=plan.every)
    sent: list[tuple[int, int, str, Side]] = []
    children = iter(range(10**6))

    def send(child: ChildOrder) -> None:  # our child order reaches the venue, then the timeline checks
        venue.submit(child, clock.now)
        timeline.touch(child.symbol)

    def per_quote(quote: Quote) -> None:
        for order in strategy(quote):
            sent.append((clock.now, quote.timestamp_ns, order.symbol, order.side))
            child = ChildOrder(f"S{next(children)}", "O", "XNAS", order.symbol, order.side, order.quantity,
                               OrderType.MARKET, None, TimeInForce.DAY)
            clock.call_at(clock.now + plan.latency, lambda child=child: send(child))

    listeners = [timeline.quote_listener(), quote_listener(per_quote, strategy)]
    for listener in listeners:
        venue.listen(listener if bulk else (lambda q, listener=listener: listener(q)))
    if ahead:
        idle_until = (lambda when: clock.idle_until(when))
        if ahead == "horizon":
            idle_until.horizon_ns = clock.horizon_ns
        venue.run_ahead(idle_until)
    venue.start(clock.call_at)
    for i, (t, symbol, side, limit, qty, tif) in enumerate(plan.orders):
        child = ChildOrder(f"C{i}", f"O{i}", "XNAS", symbol, side, qty,
                           OrderType.MARKET if limit is None else OrderType.LIMIT, limit, tif)
        clock.call_at(t, lambda child=child: send(child))
    for t, i in plan.cancels:
        clock.call_at(t, lambda i=i: (venue.cancel(f"C{i}", clock.now), timeline.touch(plan.orders[i][1])))
    for down, up in plan.downs:
        clock.call_at(down, lambda: venue.set_status(VenueStatus.DOWN))
        clock.call_at(up, lambda: venue.set_status(VenueStatus.UP))
    tops: list[tuple] = []
    readers = [venue.top_reader(s) for s in plan.symbols]

    def sample() -> None:  # a timer reading the tops, as MarketRecorder's: the clock and tops at each
        tops.append((clock.now, venue.next_event_ns(), *(read(clock.now) for read in readers),
                     *(venue.book(s).version for s in plan.symbols)))
        if clock.now < 450:
            clock.call_at(clock.now + plan.sample_every, sample)

    clock.call_at(0, sample)
    clock.run()
    nbbo = {s: {k: list(v) for k, v in columns.items()} for s, columns in timeline.nbbo.items()}
    return {"nbbo": nbbo, "sent": sent, "reports": reports, "tops": tops, "end": clock.now,
            "seen": strategy.seen, "versions": [venue.book(s).version for s in plan.symbols],
            "released": venue._quotes is None and venue.next_event_ns() is None}  # the day's columns dropped


@settings(max_examples=300, deadline=None)
@given(_plans(), st.sampled_from([None, "probe", "horizon"]))
def test_quotes_in_bulk_record_what_quotes_one_at_a_time_record(plan, ahead):
    assert _replay(plan, bulk=True, ahead=ahead) == _replay(plan, bulk=False, ahead=ahead)


def _bench_like(bulk: bool) -> tuple[dict, int]:
    """A bench_replay-shaped day (one symbol, every quote a new top, an order every 10th quote)."""
    quotes = [RecordedQuote(10 * i, "XNAS", "AAA", P + (i % 7) * C, 100 + i % 3 * 100, P + (i % 7 + 1) * C, 100)
              for i in range(400)]
    plan = _Plan(quotes, [], [], [], [], every=10, latency=3, session=(0, 10**6), sample_every=97,
                 symbols=("AAA",))
    runs = []
    original = ReplayVenue._in_bulk

    def counted(self, *args):
        end = original(self, *args)
        runs.append(end)
        return end

    ReplayVenue._in_bulk = counted
    try:
        return _replay(plan, bulk=bulk, ahead="horizon"), sum(1 for end in runs if end)
    finally:
        ReplayVenue._in_bulk = original


def test_the_bulk_path_is_taken_and_changes_nothing():
    bulk, runs = _bench_like(True)
    plain, plain_runs = _bench_like(False)
    assert bulk == plain
    assert plain_runs == 0 and 0 < runs < 100  # runs of several quotes, not one per quote
    assert len(bulk["sent"]) == 40 and len(bulk["nbbo"]["AAA"]["t_ns"]) > 300
    assert bulk["released"]  # what the listeners derived from the day went with it


def test_a_listener_without_the_bulk_form_turns_it_off_for_the_venue():
    venue = ReplayVenue("XNAS", RecordedDay((), ()), MakerTakerFees(0, 0), ["AAA"], lambda r: None)
    assert venue._bulk  # no listeners: nothing needs the quotes one by one
    venue.listen(quote_listener(lambda q: None, EveryNthQuote()))
    assert venue._bulk
    venue.listen(lambda q: None)
    assert not venue._bulk
    assert not ReplayVenue("XNAS", RecordedDay((), ()), MakerTakerFees(0, 0), ["AAA"], lambda r: None,
                           on_quote=lambda q: None)._bulk


@given(st.lists(st.integers(0, 50), min_size=1, max_size=40), st.integers(0, 60), st.integers(0, 60), st.booleans())
def test_idle_end_finds_the_first_time_the_clock_refuses_and_moves_it_as_probing_in_turn(times, now, head, horizon):
    import numpy as np

    times = sorted(times)
    lo = next((i for i, t in enumerate(times) if t >= now), len(times))
    if lo == len(times):
        return
    clock = _Clock()
    clock.now = now
    clock.call_at(head, lambda: None)
    moved = []

    def idle(when: int) -> bool:
        ok = clock.idle_until(when)
        moved.append(clock.now)
        return ok

    end = _idle_end(np.array(times, dtype=np.int64), lo, len(times), idle, clock.horizon_ns if horizon else None)
    expected = next((i for i in range(lo, len(times)) if not times[i] < max(head, now)), len(times))
    assert end == expected
    assert clock.now == (times[end - 1] if end > lo else now)
    assert moved == sorted(moved)  # the clock only moves forward
