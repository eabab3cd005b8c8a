"""The platform's router and OMS against simulated venues under the market rules of issue 18.

The real platform (``components.kernel.build_platform``: order entry, risk, the smart order router,
the OMS) on in-memory ports and a manual clock, sending its children to two ``SimVenue``s that
enforce a halt with a reopening auction, the LULD plan, and Rule 201. Each test reads what became
of the client's orders from the OMS and its event log:

* the router does not know about halts: it routes as usual, the venue refuses what cannot wait
  (``HALTED`` / ``LULD_PAUSE``), and the OMS ends the order ``SYMBOL_HALTED`` without rerouting
  (the refusal holds on every venue); a DAY limit is acknowledged, waits, and fills at the
  auction's single price;
* a short sale at or below the national best bid on an SSR day is refused ``SSR_PRICE`` and the
  order rejected with that reason, on the trigger day and the next.
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

import pytest

from components.config.market import Routing, Venue
from components.config.risk import Risk
from components.domain.commands import SubmitOrder
from components.domain.events import EventType
from components.domain.money import CENT, PRICE_SCALE
from components.domain.orders import OrderStatus, Side, TimeInForce
from components.domain.venues import Quote, VenueStatus
from components.kernel import build_platform
from components.memory import InMemoryEventLog, ManualClock, SequentialIds
from components.reference.accounts import Account, AccountDirectory
from components.reference.sanctions import SanctionsList
from components.routing import SmartOrderRouter
from venues_sim.auction import Cross
from venues_sim.fees import MakerTakerFees
from venues_sim.rules import LuldPlan, LuldTiming, ShortSaleRestriction, TradingHalt
from venues_sim.venue import SimVenue

D = PRICE_SCALE
P = 20 * D
SEC = 1_000_000_000
MIN = 60 * SEC
OPEN = 20_000 * 86_400 * SEC + 14 * 3_600 * SEC + 30 * MIN  # 09:30 New York, some day
VENUES = (Venue("XNAS", 20, 30), Venue("BATS", 25, 30))
BUY, SELL = Side.BUY, Side.SELL
DAY, IOC = TimeInForce.DAY, TimeInForce.IOC
FILLED_ON = (OrderStatus.FILLED, OrderStatus.ALLOCATED, OrderStatus.CONFIRMED)


class BookMarketData:
    """What the router and risk see: each venue's top of book now, its status."""

    def __init__(self, venues: dict[str, SimVenue], clock: ManualClock) -> None:
        self.venues, self.clock = venues, clock

    def quote(self, venue: str, symbol: str) -> Quote:
        return self.venues[venue].quote(symbol, self.clock.now_ns())

    def reference_price(self, symbol: str) -> int:
        bid, _, ask, _ = self.venues["XNAS"].book(symbol).top()
        return (bid + ask) // 2 if bid and ask else P

    def venue_status(self, venue: str) -> VenueStatus:
        return self.venues[venue].status


class World:
    """The platform, two venues trading AAA with makers quoting 19.95 / 20.05 on each."""

    def __init__(self, clock: ManualClock | None = None) -> None:
        self.clock = clock or ManualClock(OPEN + 20 * MIN)
        self.reports: deque = deque()
        self.venues = {v.name: SimVenue(v.name, MakerTakerFees(v.maker_rebate, v.taker_fee), ["AAA"],
                                        self.reports.append) for v in VENUES}
        self.log = InMemoryEventLog()
        accounts = AccountDirectory([Account("A1", "C1", "Jane Client", "ADV1", cash=10_000_000 * D,
                                             positions=(("AAA", 5_000),))])
        self.market = BookMarketData(self.venues, self.clock)
        self.platform = build_platform(
            clock=self.clock, ids=SequentialIds(), log=self.log, gateway=self, market_data=self.market,
            accounts=accounts, sanctions=SanctionsList(), symbols=["AAA"], venues=VENUES, risk=Risk(),
            routing=Routing(), settlement_days=1)
        self.seq = 0
        for venue in self.venues.values():
            self.agent(venue, BUY, 1_000, P - 5 * CENT)
            self.agent(venue, SELL, 1_000, P + 5 * CENT)

    # -- the VenueGateway port: children go to the venues, their reports queue up for the platform
    def connect(self, on_report) -> None:
        pass

    def send(self, child) -> None:
        self.venues[child.venue].submit(child, self.clock.now_ns())

    def cancel(self, venue: str, child_id: str) -> None:
        self.venues[venue].cancel(child_id, self.clock.now_ns())

    # -- driving it
    def agent(self, venue: SimVenue, side: Side, qty: int, price: int | None, tif=DAY):
        self.seq += 1
        return venue.submit_agent_order(f"MM-{self.seq}", "MM", "AAA", side, qty, price, tif, self.clock.now_ns())

    def pump(self, first=None) -> None:
        """Handle ``first`` (if any), its follow-ups and every venue report, until nothing is left."""
        queue = deque([first] if first is not None else [])
        while queue or self.reports:
            message = queue.popleft() if queue else self.reports.popleft()
            queue.extend(self.platform.handle(message).follow_ups)

    def order(self, side: Side, qty: int, price: int | None, tif: TimeInForce = DAY) -> str:
        """A client order through the whole platform; its order id."""
        self.seq += 1
        body = {"account_id": "A1", "symbol": "AAA", "side": side.value, "quantity": qty,
                "order_type": "MARKET" if price is None else "LIMIT", "time_in_force": tif.value,
                "advisor_id": "ADV1", "client_order_id": f"C-{self.seq}"}
        if price is not None:
            body["limit_price"] = str(Decimal(price) / D)
        before = set(self.platform.oms.orders)
        self.pump(SubmitOrder(body, self.clock.now_ns()))
        (order_id,) = set(self.platform.oms.orders) - before
        return order_id

    def status(self, order_id: str) -> OrderStatus:
        return self.platform.oms.get(order_id).status

    def filled(self, order_id: str) -> bool:
        """Filled in full (post-trade then allocates and confirms it at once)."""
        order = self.platform.oms.get(order_id)
        return order.filled_qty == order.spec.quantity and order.status in FILLED_ON

    def events(self, order_id: str) -> list[tuple[str, str]]:
        return [(e.event_type.name, (e.details or {}).get("reason", "")) for e in self.log.read()
                if e.order_id == order_id]

    def fills(self, order_id: str) -> list[tuple[int, int]]:
        return [(e.details["last_qty"], e.details["last_px"]) for e in self.log.read() if e.order_id == order_id
                and e.event_type in (EventType.ORDER_FILLED, EventType.ORDER_PARTIALLY_FILLED)]


def routed_once_and_rejected(world: World, order_id: str, venue_reason: str, order_reason: str) -> bool:
    events = world.events(order_id)
    return (events.count(("ORDER_ROUTED", "")) == 1 and ("ORDER_REROUTED", "") not in events
            and ("CHILD_ORDER_REJECTED", venue_reason) in events and events[-1] == ("ORDER_REJECTED", order_reason)
            and world.status(order_id) is OrderStatus.REJECTED)


# ----------------------------------------------------------------- a halt reopened by an auction


def test_a_halt_refuses_what_cannot_wait_holds_the_rest_and_the_auction_fills_it_at_one_price():
    w = World()
    halt = TradingHalt(auction=True)
    for venue in w.venues.values():
        venue.add_rule(halt)
    resting = w.order(BUY, 300, P - 3 * CENT)  # not marketable: rests at the best rebate (BATS)
    (child_id,) = w.platform.oms.get(resting).open_children
    assert w.status(resting) is OrderStatus.ROUTED and w.venues["BATS"].leaves(child_id) == 300
    w.agent(w.venues["XNAS"], BUY, 10, None, IOC)  # the last sale before the halt: 20.05
    halt.halt("AAA")

    market = w.order(BUY, 100, None)  # a market order goes out IOC: it cannot wait
    assert routed_once_and_rejected(w, market, "HALTED", "SYMBOL_HALTED")
    waiting = w.order(SELL, 200, P - 10 * CENT)  # marketable DAY limit: acknowledged, waits
    assert w.status(waiting) is OrderStatus.ROUTED and not w.fills(waiting)
    assert ("CHILD_ORDER_REJECTED", "HALTED") not in w.events(waiting)
    w.agent(w.venues["BATS"], SELL, 500, P - 4 * CENT)  # a participant's sell waits on BATS too

    w.clock.advance_to(OPEN + 25 * MIN)
    halt.resume("AAA")
    reference = halt.reference_price("AAA", P)
    assert reference == P + 5 * CENT  # the last sale before the halt
    crosses = {name: venue.reopen("AAA", reference, w.clock.now_ns()).cross for name, venue in w.venues.items()}
    w.pump()
    # BATS: bids 300 @ 19.97 (ours, rested through the halt), 1000 @ 19.95; sells 200 @ 19.90 (ours: the
    # router sent it to BATS's 19.97 bid) and 500 @ 19.96. 300 trade at 19.96 or 19.97 (imbalance -400
    # at both): 19.97 is nearer the reference. XNAS held nothing and its book is not crossed.
    assert crosses["BATS"] == Cross(P - 3 * CENT, 300, -400) and crosses["XNAS"].price is None
    assert w.fills(resting) == [(200, P - 3 * CENT), (100, P - 3 * CENT)] and w.filled(resting)
    assert w.fills(waiting) == [(200, P - 3 * CENT)] and w.filled(waiting)


# ---------------------------------------------------------------------- a LULD pause


def test_a_luld_pause_after_15_seconds_in_a_limit_state_and_the_orders_around_it():
    w = World()
    reopened: list[int] = []

    def national_quote(symbol):
        tops = [v.book(symbol).top() for v in w.venues.values()]
        return max(t[0] for t in tops), min((t[2] for t in tops if t[2]), default=0)

    def reopen(symbol, at, reference):
        reopened.append(at)
        prices = [v.reopen(symbol, reference, at).cross.price for v in w.venues.values()]
        return next((p for p in prices if p), None)

    luld = LuldPlan({"AAA": P}, {}, LuldTiming(OPEN, OPEN + 390 * MIN), national_quote, w.clock.call_at, reopen)
    for venue in w.venues.values():
        venue.add_rule(luld)
    t0 = w.clock.now_ns()
    # Buyers pile in above the upper band (21.00): repriced to it, the NBB sits at the band.
    for venue in w.venues.values():
        w.agent(venue, SELL, 1_000, 21 * D + 50 * CENT)  # offers above the band rest, untradeable
        w.agent(venue, BUY, 2_000, 21 * D + 40 * CENT)  # sweeps 20.05 and rests the rest at 21.00
    assert luld.in_limit_state("AAA") and luld.reference("AAA") == P  # the sweep at 20.05 moved it < 1%
    # The router sends a market buy to a 21.50 offer; the venue collars it at the 21.00 band: nothing
    # trades above the band, and the OMS cancels the unfilled market order with the venue's reason.
    buy = w.order(BUY, 100, None)
    assert not w.fills(buy) and w.status(buy) is OrderStatus.CANCELED
    assert w.events(buy)[-1] == ("ORDER_CANCELED", "MARKET_REMAINDER")
    w.clock.advance_to(t0 + 15 * SEC)
    assert luld.halted("AAA", w.clock.now_ns())
    w.pump()
    market = w.order(SELL, 100, None)
    assert routed_once_and_rejected(w, market, "LULD_PAUSE", "SYMBOL_HALTED")
    waiting = w.order(SELL, 300, 21 * D)  # waits for the reopening auction
    assert w.status(waiting) is OrderStatus.ROUTED and not w.fills(waiting)
    w.clock.advance_to(t0 + 15 * SEC + 5 * MIN)
    w.pump()
    assert reopened == [t0 + 15 * SEC + 5 * MIN]
    # BATS crossed our 300 (sent to its 21.00 bid) with the 1000 bid at 21.00; that is the reopening
    # price and the new reference.
    assert w.filled(waiting) and w.fills(waiting) == [(300, 21 * D)]
    assert luld.reference("AAA") == 21 * D and [e[2] for e in luld.events] == ["LIMIT_STATE", "PAUSE", "REOPEN"]


# ---------------------------------------------------------------------------- SSR days


def short_selling_world(ssr: ShortSaleRestriction, world: World) -> World:
    """The router given a position source in which the account is flat, so its sells go out marked
    short. (A wealth account cannot sell short through risk, INSUFFICIENT_POSITION: this is how a
    short-marked child reaches a venue in these tests.)"""
    fees = {v.name: v.routing_schedule() for v in VENUES}
    world.platform.router = SmartOrderRouter(fees, world.market, SequentialIds(), position=lambda a, s: 0)
    for venue in world.venues.values():
        venue.add_rule(ssr)
    return world


def nbb(world: World):
    return lambda symbol: max(v.book(symbol).top()[0] for v in world.venues.values())


def test_on_the_trigger_day_and_the_next_a_short_sale_at_the_bid_is_refused():
    w = World()
    ssr = ShortSaleRestriction((), nbb(w), previous_close={"AAA": 22 * D + 20 * CENT})
    short_selling_world(ssr, w)
    before = w.order(SELL, 100, P - 5 * CENT, IOC)  # no trade yet today: not restricted, it trades
    assert w.filled(before) and w.fills(before) == [(100, P - 5 * CENT)]
    # That trade at 19.95 is 10.1% under the 22.20 close: restricted from now on.
    assert set(ssr.triggered) == {"AAA"}
    at_bid = w.order(SELL, 200, P - 5 * CENT)  # (another size: risk would suspect a duplicate)
    assert routed_once_and_rejected(w, at_bid, "SSR_PRICE", "SSR_PRICE")
    above = w.order(SELL, 150, P + 2 * CENT)  # above the national best bid: may rest
    assert w.status(above) is OrderStatus.ROUTED
    market = w.order(SELL, 250, None)
    assert routed_once_and_rejected(w, market, "SSR_PRICE", "SSR_PRICE")

    # The next day: the end-of-day state carries the restriction in, from the first order.
    tomorrow = World()
    short_selling_world(ShortSaleRestriction(ssr.end_of_day(), nbb(tomorrow)), tomorrow)
    first = tomorrow.order(SELL, 100, P - 5 * CENT, IOC)
    assert routed_once_and_rejected(tomorrow, first, "SSR_PRICE", "SSR_PRICE")
    # And the day after that, with nothing triggered tomorrow, it is lifted.
    after = World()
    short_selling_world(ShortSaleRestriction(frozenset(), nbb(after)), after)
    assert after.filled(after.order(SELL, 100, P - 5 * CENT, IOC))


@pytest.mark.parametrize("close, restricted", [(22 * D + 16 * CENT, False), (22 * D + 17 * CENT, True)])
def test_the_trigger_is_a_decline_of_10_percent_from_the_close_exactly(close, restricted):
    w = World()
    ssr = ShortSaleRestriction((), nbb(w), previous_close={"AAA": close})
    short_selling_world(ssr, w)
    w.order(SELL, 100, P - 5 * CENT, IOC)  # a trade at 19.95; 0.9 x 22.16 = 19.944, 0.9 x 22.17 = 19.953
    assert bool(ssr.triggered) is restricted
