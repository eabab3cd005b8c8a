"""The router's one-read-per-order fast path plans exactly what the plain formula plans.

``reference_plan`` is the router as it was before quotes were read in one call
(``components.market_view.VenueTops``): ``venue_status`` of every venue, then
``quote`` of each one up, ranked by cost after the taker fee, then displayed
size, then name. Random venues, fees, statuses, quotes (missing, empty sides,
stale), orders (side, type, limit, leaves, time in force), exclusions,
capabilities and positions go through both: the children (ids, venues,
quantities, flags) and the empty plan's reason must be the same, read through
``quote`` (market data without ``venue_tops``) and through ``venue_tops``.
"""

from __future__ import annotations

from unittest.mock import patch

from hypothesis import given, settings, strategies as st

from components import routing
from components.domain.orders import Order, OrderSpec, OrderStatus, OrderType, Side, TimeInForce
from components.domain.venues import FeeSchedule, Quote, VenueStatus
from components.market_view import venue_tops
from components.memory import ManualClock, SequentialIds
from components.routing import NO_VENUE_TAKES_ORDER, SmartOrderRouter, VenueCapabilities

NOW = 50_000_000_000
MAX_AGE = 1_000_000_000
NAMES = ("ARCX", "BATS", "EDGX", "XNAS")


class QuotedMarket:
    """Quotes and statuses as drawn (``MarketData`` without ``venue_tops``: the router reads each venue)."""

    def __init__(self, quotes: dict[str, Quote | None], status: dict[str, VenueStatus]) -> None:
        self.quotes, self.status = quotes, status

    def quote(self, venue: str, symbol: str) -> Quote | None:
        return self.quotes.get(venue)

    def reference_price(self, symbol: str) -> int:
        return 0

    def venue_status(self, venue: str) -> VenueStatus:
        return self.status.get(venue, VenueStatus.DOWN)


class TopsMarket(QuotedMarket):
    """The same market offering ``venue_tops`` (the read the twin's and the live market data make)."""

    def venue_tops(self, symbol, venues):
        return venue_tops(self, symbol, venues)


def reference_plan(fees, md, order, exclude, clock, capabilities, position, ignore_health):
    """The plain formula: (reason, [(venue, quantity, time in force, short)]) with child ids in order."""
    spec = order.spec
    up = [v for v in sorted(fees) if v not in exclude and (ignore_health or md.venue_status(v) is VenueStatus.UP)]
    if not up:
        return "NO_VENUE_AVAILABLE", []
    sent_as = TimeInForce.IOC if spec.order_type is OrderType.MARKET else spec.time_in_force
    if capabilities:
        up = [v for v in up if v not in capabilities or capabilities[v].accepts(spec.order_type, sent_as)]
        if not up:
            return f"{NO_VENUE_TAKES_ORDER}: {spec.order_type.value} {sent_as.value}", []
    quotes = {v: md.quote(v, spec.symbol) for v in up}
    if clock:
        up = [v for v in up if quotes[v] is None or quotes[v].timestamp_ns >= NOW - MAX_AGE]
        if not up:
            return "NO_FRESH_QUOTE", []
    buy = spec.side is Side.BUY
    ranked = []
    for v in up:
        q = quotes[v]
        if q is None:
            continue
        price, size = (q.ask, q.ask_size) if buy else (q.bid, q.bid_size)
        limit = spec.limit_price
        if price <= 0 or size <= 0 or (limit is not None and (price > limit if buy else price < limit)):
            continue
        ranked.append((price + fees[v].taker_fee if buy else -(price - fees[v].taker_fee), -size, v))
    ranked.sort()
    remaining, slices = order.leaves_qty, {}
    for _, neg_size, v in ranked:
        if remaining == 0:
            break
        slices[v] = min(remaining, -neg_size)
        remaining -= slices[v]
    if remaining:
        home = ranked[0][2] if ranked else min(up, key=lambda v: (-fees[v].maker_rebate, v))
        slices[home] = slices.get(home, 0) + remaining
    short = not buy and position is not None and order.leaves_qty > position(spec.account_id, spec.symbol)
    return "", [(f"CH-{i + 1:07d}", v, qty, sent_as, short) for i, (v, qty) in enumerate(slices.items())]


prices = st.integers(min_value=0, max_value=40)  # ticks around 100: zero is an empty side
sizes = st.sampled_from([0, 1, 50, 100, 250, 1_000])
quotes = st.one_of(st.none(), st.builds(
    lambda bid, bid_size, ask, ask_size, stale: (bid, bid_size, ask, ask_size, stale),
    prices, sizes, prices, sizes, st.booleans()))
venue = st.fixed_dictionaries({
    "fees": st.builds(FeeSchedule, st.integers(0, 3), st.integers(0, 3)),
    "quote": quotes,
    "up": st.booleans(),
    "caps": st.one_of(st.none(), st.builds(
        VenueCapabilities, st.frozensets(st.sampled_from(list(OrderType)), min_size=1),
        st.frozensets(st.sampled_from(list(TimeInForce)), min_size=1))),
})


@settings(max_examples=400, deadline=None)
@given(venues=st.dictionaries(st.sampled_from(NAMES), venue, min_size=1, max_size=4),
       side=st.sampled_from(list(Side)), order_type=st.sampled_from([OrderType.MARKET, OrderType.LIMIT]),
       limit=prices, tif=st.sampled_from(list(TimeInForce)), quantity=st.integers(1, 2_500),
       filled=st.integers(0, 2_500), exclude=st.frozensets(st.sampled_from(NAMES), max_size=2),
       stamped=st.booleans(), restricted=st.booleans(), held=st.one_of(st.none(), st.integers(0, 3_000)),
       ignore_health=st.sampled_from([False, False, False, True]), reads_tops=st.booleans())
def test_the_router_plans_what_the_plain_formula_plans(venues, side, order_type, limit, tif, quantity, filled,
                                                        exclude, stamped, restricted, held, ignore_health,
                                                        reads_tops):
    fees = {v: d["fees"] for v, d in venues.items()}
    quoted = {}
    for v, d in venues.items():
        q = d["quote"]
        quoted[v] = None if q is None else Quote(v, "AAPL", 100 + q[0] if q[0] else 0, q[1],
                                                 100 + q[2] if q[2] else 0, q[3],
                                                 NOW - MAX_AGE - 1 if q[4] else NOW - MAX_AGE)
    status = {v: VenueStatus.UP if d["up"] else VenueStatus.DOWN for v, d in venues.items()}
    md = (TopsMarket if reads_tops else QuotedMarket)(quoted, status)
    spec = OrderSpec("A1", "AAPL", side, quantity, order_type,
                     None if order_type is OrderType.MARKET else 100 + limit, tif, "ADV1", "C-1")
    order = Order("O-1", "T-1", spec, 0, OrderStatus.RISK_APPROVED, filled_qty=min(filled, quantity))
    caps = {v: d["caps"] for v, d in venues.items() if d["caps"] is not None} if restricted else {}
    position = None if held is None else (lambda account, symbol: held)
    router = SmartOrderRouter(fees, md, SequentialIds(), ManualClock(NOW) if stamped else None,
                              max_quote_age_ns=MAX_AGE if stamped else None, position=position)
    if caps:
        router.restrict(caps)
    with patch.object(routing, "TEST_ONLY_IGNORE_VENUE_HEALTH", ignore_health):
        plan = router.route(order, exclude)
    expected = reference_plan(fees, md, order, exclude, stamped, caps, position, ignore_health)
    got = (plan.reason, [(c.child_id, c.venue, c.quantity, c.time_in_force, c.short) for c in plan.children])
    assert got == expected
    for child in plan.children:  # what every child carries from the order
        assert (child.order_id, child.symbol, child.side, child.order_type, child.limit_price) == \
            ("O-1", "AAPL", side, order_type, spec.limit_price)
