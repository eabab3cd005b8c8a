"""Market rules in the twin: the scenario's ``market_rules`` installed on every venue.

Halts, LULD and the short-sale restriction are market-wide, so one rule
object of each kind is shared by all venues: a halt or a LULD pause
triggered by a trade on one venue stops the symbol everywhere, as the SIP
would. The national best bid for SSR is read from the venues' books.
Scheduled halts start and end on the clock. A scenario without market rules
installs nothing, so its runs (and fingerprints) are unchanged.
"""

from __future__ import annotations

from datetime import datetime

from components.domain.venues import VenueStatus
from components.config.session import NEW_YORK, to_ns
from venues_sim.rules import LimitUpLimitDown, MarketRule, ShortSaleRestriction, TradingHalt

NS = 1_000_000_000


def install_market_rules(world) -> list[MarketRule]:
    """Build the scenario's rules, add them to every venue, schedule the halts."""
    scenario, clock, venues = world.scenario, world.clock, list(world.venues.values())
    cfg = scenario.market_rules
    rules: list[MarketRule] = []
    if cfg.halts:
        halt = TradingHalt()
        rules.append(halt)
        for h in cfg.halts:
            start = to_ns(datetime.combine(scenario.session.date, h.at, NEW_YORK))
            clock.call_at(start, lambda symbol=h.symbol: halt.halt(symbol))
            clock.call_at(start + int(h.duration_s * NS), lambda symbol=h.symbol: halt.resume(symbol))
    if cfg.luld_band_bps:
        rules.append(LimitUpLimitDown({s.symbol: s.reference_price for s in scenario.symbols},
                                      cfg.luld_band_bps, int(cfg.luld_pause_s * NS)))
    if cfg.ssr_symbols:
        def national_best_bid(symbol: str) -> int:
            bids = [v.book(symbol).top()[0] for v in venues if v.status is VenueStatus.UP]
            return max(bids, default=0)

        rules.append(ShortSaleRestriction(cfg.ssr_symbols, national_best_bid))
    for venue in venues:
        for rule in rules:
            venue.add_rule(rule)
    return rules
