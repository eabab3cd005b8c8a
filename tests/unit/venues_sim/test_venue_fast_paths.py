"""The venues' hot paths against plain references.

``SimVenue.submit`` builds its ACK and FILL reports in place (not through ``_report``); the reports it
sends must be exactly those the fill rules give, computed here from a shadow ``OrderBook``.
``ReplayVenue.advance`` applies and publishes a recorded quote inline while none of our orders rests;
it must publish what the general path (``_on_recorded_quote``, taken while an order of ours rests)
publishes.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from components.domain.orders import OrderType, Side, TimeInForce
from components.domain.venues import ChildOrder, ExecKind, ExecutionReport, Liquidity, Quote
from venues_sim.book import OrderBook
from venues_sim.fees import MakerTakerFees
from venues_sim.replay import ReplayVenue
from venues_sim.replay_format import RecordedDay, RecordedQuote
from venues_sim.venue import IOC_REMAINDER, MARKET_REMAINDER, SimVenue

FEES = MakerTakerFees(maker_rebate=20, taker_fee=30)
TICK = 100
BASE = 50 * 10_000

sides = st.sampled_from([Side.BUY, Side.SELL])
prices = st.integers(-5, 5).map(lambda k: BASE + k * TICK)
agent_orders = st.lists(st.tuples(sides, st.integers(1, 500), prices), max_size=12)
# our children: side, quantity, price (None: market), time in force
our_children = st.lists(st.tuples(sides, st.integers(1, 800), st.none() | prices,
                                  st.sampled_from([TimeInForce.DAY, TimeInForce.IOC])), min_size=1, max_size=12)


def _expected(book: OrderBook, children: list[ChildOrder], now_ns: int) -> list[ExecutionReport]:
    """The reports the fill rules give for ``children`` sent in turn to a venue holding ``book``."""
    out: list[ExecutionReport] = []
    by_id = {}

    def report(kind, child, **fields):
        out.append(ExecutionReport(kind, "XNAS", child.child_id, child.order_id, now_ns,
                                   exec_id=f"XNAS-E{len(out) + 1}", **fields))

    for child in children:
        by_id[child.child_id] = child
        report(ExecKind.ACK, child, leaves_qty=child.quantity)
        market = child.order_type is OrderType.MARKET
        result = book.add(child.child_id, child.side, child.quantity, None if market else child.limit_price,
                          child.time_in_force, "BD")
        leaves = child.quantity
        for fill in result.fills:
            leaves -= fill.quantity
            report(ExecKind.FILL, child, last_qty=fill.quantity, last_px=fill.price, leaves_qty=leaves,
                   liquidity=Liquidity.TAKER, fee=30 * fill.quantity)
            if fill.maker_owner == "BD":  # our own resting child was the maker
                report(ExecKind.FILL, by_id[fill.maker_order_id], last_qty=fill.quantity, last_px=fill.price,
                       leaves_qty=fill.maker_leaves, liquidity=Liquidity.MAKER, fee=-20 * fill.quantity)
        if result.canceled_qty:
            report(ExecKind.CANCELED, child, last_qty=result.canceled_qty,
                   reason=MARKET_REMAINDER if market else IOC_REMAINDER)
    return out


@settings(max_examples=150, deadline=None)
@given(agent_orders, our_children)
def test_submit_sends_the_reports_the_fill_rules_give(agents, ours):
    reports: list[ExecutionReport] = []
    venue = SimVenue("XNAS", FEES, ["AAA"], reports.append)
    shadow = OrderBook("AAA")
    for i, (side, qty, price) in enumerate(agents):
        venue.submit_agent_order(f"A{i}", "MM", "AAA", side, qty, price, TimeInForce.DAY, 1)
        shadow.add(f"A{i}", side, qty, price, TimeInForce.DAY, "MM")
    children = [ChildOrder(f"C{i}", f"O{i}", "XNAS", "AAA", side, qty,
                           OrderType.MARKET if price is None else OrderType.LIMIT, price, tif)
                for i, (side, qty, price, tif) in enumerate(ours)]
    for child in children:
        venue.submit(child, 7)
    assert reports == _expected(shadow, children, 7)
    assert venue.book("AAA").top() == shadow.top()
    venue.book("AAA").check_invariants()


def _day(rows: list[tuple[int, int, int, int]]) -> RecordedDay:
    """One recorded quote every 10 ns (a side with no size has no price, as the format says)."""
    return RecordedDay(tuple(RecordedQuote(10 * (i + 1), "XNAS", "AAA", (BASE + bid * TICK) if bid_size else 0,
                                           bid_size, (BASE + (bid + spread) * TICK) if ask_size else 0, ask_size)
                             for i, (bid, bid_size, spread, ask_size) in enumerate(rows)), ())


def _published(rows: list[tuple[int, int, int, int]], resting: bool) -> list[Quote]:
    seen: list[Quote] = []
    venue = ReplayVenue("XNAS", _day(rows), FEES, ["AAA"], lambda r: None, seen.append)
    if resting:  # a buy no recorded ask can reach: the venue takes its general path at every quote
        venue.submit(ChildOrder("c", "o", "XNAS", "AAA", Side.BUY, 100, OrderType.LIMIT, 1, TimeInForce.DAY), 0)
        assert venue.leaves("c") == 100
    venue.advance(10 * (len(rows) + 1))
    assert resting == bool(venue.leaves("c"))  # it rested throughout (nothing took the inline path by mistake)
    return seen


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(-20, 20), st.integers(0, 900), st.integers(1, 3), st.integers(0, 900)),
                min_size=1, max_size=40))
def test_inline_quote_path_publishes_what_the_general_path_does(rows):
    inline = _published(rows, resting=False)
    assert inline == _published(rows, resting=True)
    assert [(q.bid_size, q.ask_size, q.timestamp_ns) for q in inline] == \
        [(b, a, 10 * (i + 1)) for i, (_, b, _, a) in enumerate(rows)]
    assert all((q.bid == 0) == (q.bid_size == 0) and (q.ask == 0) == (q.ask_size == 0) for q in inline)


# ``OrderBook`` reuses emptied price levels (``_spare``): against a plain list of resting orders it must
# trade, rest and cancel exactly the same, whatever order levels are emptied and made again in.

def _reference_add(resting: list[list], order_id: str, side: Side, qty: int, price: int | None,
                   tif: TimeInForce) -> list[tuple[str, int, int, int]]:
    """Price-time priority over ``resting`` ([id, side, price, qty] in arrival order): fills as
    (maker id, price, quantity, maker leaves); the DAY limit remainder appended."""
    fills = []
    buy = side is Side.BUY
    while qty:
        opposite = [r for r in resting if r[1] is not side
                    and (price is None or (r[2] <= price if buy else r[2] >= price))]
        if not opposite:
            break
        best = min(r[2] for r in opposite) if buy else max(r[2] for r in opposite)
        maker = next(r for r in opposite if r[2] == best)  # first to arrive at the best price
        traded = min(qty, maker[3])
        maker[3] -= traded
        qty -= traded
        fills.append((maker[0], maker[2], traded, maker[3]))
        if not maker[3]:
            resting.remove(maker)
    if qty and price is not None and tif is TimeInForce.DAY:
        resting.append([order_id, side, price, qty])
    return fills


_book_ops = st.lists(st.one_of(
    st.tuples(st.just("add"), sides, st.integers(1, 300), st.none() | st.integers(-3, 3),
              st.sampled_from([TimeInForce.DAY, TimeInForce.IOC])),
    st.tuples(st.just("cancel"), st.integers(0, 40))), max_size=120)


@settings(max_examples=200, deadline=None)
@given(_book_ops)
def test_book_with_reused_levels_trades_as_a_plain_price_time_book(ops):
    book, resting, ids = OrderBook("AAA"), [], []
    for op in ops:
        if op[0] == "add":
            _, side, qty, ticks, tif = op
            order_id = f"o{len(ids)}"
            ids.append(order_id)
            price = None if ticks is None else BASE + ticks * TICK
            result = book.add(order_id, side, qty, price, tif, "X")
            assert [(f.maker_order_id, f.price, f.quantity, f.maker_leaves) for f in result.fills] == \
                _reference_add(resting, order_id, side, qty, price, tif)
        elif ids:
            order_id = ids[op[1] % len(ids)]
            held = next((r for r in resting if r[0] == order_id), None)
            assert book.cancel(order_id) == (held[3] if held else 0)
            if held:
                resting.remove(held)
        for r in resting:
            assert book.resting_qty(r[0]) == r[3]
            assert book.queue_ahead(r[0]) == sum(o[3] for o in resting[:resting.index(r)]
                                                 if o[1] is r[1] and o[2] == r[2])
        levels = {}
        for r in resting:
            levels[(r[1], r[2])] = levels.get((r[1], r[2]), 0) + r[3]
        bids = sorted(((p, q) for (s, p), q in levels.items() if s is Side.BUY), reverse=True)
        asks = sorted((p, q) for (s, p), q in levels.items() if s is Side.SELL)
        assert book.depth(100) == (bids, asks)
        book.check_invariants()
