"""The platform's router and OMS at a halt reopened by the primary listing market only
(``venues_sim.reopening.reopen_market`` with ``primary``): the real platform against two ``SimVenue``s
(XNAS the primary, BATS not), as in ``test_rules_platform``.

What cannot wait is refused as with every venue reopening (``HALTED``, the order ``SYMBOL_HALTED``, not
rerouted); a DAY order resting or held at BATS gets nothing until the primary has printed, then trades
on BATS in continuous matching (a held order that meets the book as the taker)."""

from __future__ import annotations

from components.domain.money import CENT
from components.domain.orders import OrderStatus
from venues_sim.auction import Reopening
from venues_sim.reopening import Resumption, reopen_market
from venues_sim.rules import TradingHalt

from .test_rules_platform import BUY, IOC, MIN, OPEN, P, SELL, World, routed_once_and_rejected


def test_day_orders_at_a_non_primary_venue_wait_for_the_primarys_reopening_print():
    w = World()
    halt = TradingHalt(auction=True)
    for venue in w.venues.values():
        venue.add_rule(halt)
    resting = w.order(BUY, 300, P - 3 * CENT)  # not marketable: rests at the best rebate (BATS)
    (resting_child,) = w.platform.oms.get(resting).open_children
    assert w.venues["BATS"].leaves(resting_child) == 300
    halt.halt("AAA")

    assert routed_once_and_rejected(w, w.order(BUY, 100, None), "HALTED", "SYMBOL_HALTED")  # market: IOC
    assert routed_once_and_rejected(w, w.order(BUY, 100, P + 10 * CENT, IOC), "HALTED", "SYMBOL_HALTED")
    waiting = w.order(SELL, 200, P - 10 * CENT)  # to BATS's 19.97 bid (ours): acknowledged, held there
    (waiting_child,) = w.platform.oms.get(waiting).open_children
    assert w.venues["BATS"].leaves(waiting_child) == 200
    w.agent(w.venues["XNAS"], BUY, 100, P + 10 * CENT)  # held on the primary: its auction has volume

    w.clock.advance_to(OPEN + 25 * MIN)
    halt.resume("AAA")
    record: list = []
    later: list = []
    price = reopen_market(list(w.venues.values()), "AAA", P, w.clock.now_ns(), "primary", record, later.append)
    w.pump()
    assert price == P + 5 * CENT and [(v, type(s)) for v, _, s in record] == [("XNAS", Reopening)]
    # The primary has crossed, BATS has not resumed yet: both of our BATS orders are still waiting.
    assert not w.fills(resting) and not w.fills(waiting)
    assert w.status(resting) is OrderStatus.ROUTED and w.status(waiting) is OrderStatus.ROUTED

    (resume,) = later  # after the primary's print: BATS resumes continuous trading
    resume()
    w.pump()
    assert isinstance(record[-1][2], Resumption) and record[-1][0] == "BATS"
    # The held sell meets the book as a new order would: our resting bid at 19.97, the resting price.
    assert w.fills(waiting) == [(200, P - 3 * CENT)] and w.filled(waiting)
    assert w.fills(resting) == [(200, P - 3 * CENT)] and w.status(resting) is OrderStatus.PARTIALLY_FILLED
    liquidity = {e.details["child_id"]: e.details.get("liquidity") for e in w.log.read()
                 if e.event_type.name in ("ORDER_FILLED", "ORDER_PARTIALLY_FILLED")}
    assert liquidity == {waiting_child: "TAKER", resting_child: "MAKER"}
