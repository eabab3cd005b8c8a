"""The one wiring of the platform, which both runtimes call: ``build_platform``.

The twin (``twin.bootstrap.build_twin``) and the live process
(``live.bootstrap.build_live``) each choose their adapters (clock, ids, event
log, venue gateway, market data, clearing) and their accounts, then hand them
here with the configuration. What is built from them is the same in both:
order entry, OMS, risk engine, smart order router, post-trade and ledger,
wired into a ``Platform`` (which holds the block desk). Two rules live here once for both runtimes:

* a venue is routed by its configured fees (``Venue.routing_schedule``, which
  handles ``fee_model: fixed`` as well as maker-taker);
* a trade settles at 09:00 New York, ``settlement_days`` business days after
  its New York trade date (``components.settlement_time``), directly or
  through a clearing adapter when one is given.

How messages travel between the components (the twin's simulated services,
the live runtime's dispatch) and where venue reports go
(``VenueGateway.connect``) stay with the caller.
"""

from __future__ import annotations

from typing import Iterable, Sequence

from .clearing import ClearingAdapter
from .config.market import Routing, Venue
from .config.risk import Risk
from .ledger import Ledger
from .oms import Oms
from .order_entry import OrderEntry
from .platform import Platform, Refusals
from .ports import Clock, EventLog, IdSource, MarketData, VenueGateway
from .post_trade import PostTrade
from .reference.accounts import AccountDirectory
from .reference.sanctions import SanctionsList
from .risk.engine import RiskEngine
from .routing import SmartOrderRouter
from .settlement_time import new_york_rail, settlement_calendar


def build_platform(*, clock: Clock, ids: IdSource, log: EventLog, gateway: VenueGateway, market_data: MarketData,
                   accounts: AccountDirectory, sanctions: SanctionsList, symbols: Iterable[str],
                   venues: Sequence[Venue], risk: Risk, routing: Routing, settlement_days: int,
                   clearing: ClearingAdapter | None = None, refused: Refusals | None = None) -> Platform:
    """The platform on the caller's ports, configured as given.

    ``accounts`` are the start-of-day accounts (and entitlements): risk checks
    against them and the ledger opens with their cash and positions.
    ``symbols`` are the tradable instruments; ``venues`` the venues routed to,
    in their configured order. ``clearing`` settles through a clearing adapter
    (fails, retries, buy-ins; ``components.settlement_rail``) instead of at once
    on the settlement date. ``refused`` keeps the requests that never became
    orders (default: a ``Refusals`` keeping all of them).
    """
    oms = Oms(clock, ids, log)
    engine = RiskEngine(risk.to_limits(), accounts, market_data, sanctions, risk.restricted)
    # Stale quotes are not routed to; sells beyond the position go out short.
    router = SmartOrderRouter({v.name: v.routing_schedule() for v in venues}, market_data, ids, clock,
                              max_quote_age_ns=int(routing.max_quote_age_ms * 1_000_000), position=engine.position)
    rail = None if clearing is None else new_york_rail(clearing)
    return Platform(
        clock=clock,
        oms=oms,
        entry=OrderEntry(frozenset(symbols).__contains__, accounts.entitled, oms.create),
        risk=engine,
        router=router,
        venues=gateway,
        post_trade=PostTrade(oms, clock, settlement_calendar(settlement_days), rail),
        ledger=Ledger({a.account_id: a.cash for a in accounts},
                      {a.account_id: dict(a.positions) for a in accounts if a.positions}),
        account_known=accounts.__contains__,
        refused=Refusals() if refused is None else refused,
    )
