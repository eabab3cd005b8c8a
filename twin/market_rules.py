"""Market rules in the twin: the scenario's ``market_rules`` installed on every venue.

Halts, LULD and the short-sale restriction are market-wide, so one rule
object of each kind is shared by all venues: a halt or a LULD pause
triggered by a trade on one venue stops the symbol everywhere, as the SIP
would. The national best bid and offer the rules read come from the venues'
books (every venue that is UP). Scheduled halts start and end on the clock.
A scenario without market rules installs nothing, so its runs (and
fingerprints) are unchanged.

With ``halt_auction`` or ``luld_plan`` a halt or pause ends with a reopening
(``venues_sim.reopening.reopen_market``). ``reopening: every_venue`` (the
default): an auction on every venue, each crossing its own resting and held
orders; the reopening price a LULD pause takes as its new reference is the
first venue's (in scenario order) that crossed. ``reopening: primary``: the
first scenario venue (the primary listing market) runs the auction and its
print is the reopening price; the other venues then resume continuous trading
(``SimVenue.resume``). Every reopening is recorded on its rule
(``TradingHalt.reopenings``, ``LuldPlan.reopenings`` and ``events``).
"""

from __future__ import annotations

from datetime import datetime

from components.config.session import NEW_YORK, to_ns
from components.domain.venues import VenueStatus
from venues_sim.reopening import reopen_market
from venues_sim.rules import (
    LimitUpLimitDown,
    LuldPlan,
    LuldTiming,
    MarketRule,
    ShortSaleRestriction,
    TradingHalt,
)
from venues_sim.venue import SimVenue

NS = 1_000_000_000
_UP = VenueStatus.UP


def national_quote(venues: list[SimVenue], symbol: str) -> tuple[int, int]:
    """``(best bid, best offer)`` over the venues that are UP; 0 for a side nobody quotes."""
    bid = ask = 0
    for venue in venues:
        if venue.status is _UP:
            b, _, a, _ = venue.book(symbol).top()
            bid = max(bid, b)
            if a and (not ask or a < ask):
                ask = a
    return bid, ask


def reopen_everywhere(venues: list[SimVenue], symbol: str, reference: int, now_ns: int,
                      record: list | None = None, mode: str = "every_venue", clock=None) -> int | None:
    """Reopen ``symbol`` on ``venues`` (``venues_sim.reopening.reopen_market``: an auction on every venue,
    or with ``mode`` ``primary`` on the first only, the others resuming after it: at the same instant on
    ``clock``, once the rule that reopened has taken the price); the reopening price."""
    defer = None if clock is None else (lambda resume: clock.call_at(now_ns, resume))
    return reopen_market(venues, symbol, reference, now_ns, mode, record, defer)


def install_market_rules(world) -> list[MarketRule]:
    """Build the scenario's rules, add them to every venue, schedule the halts."""
    scenario, clock, venues = world.scenario, world.clock, list(world.venues.values())
    cfg = scenario.market_rules
    references = {s.symbol: s.reference_price for s in scenario.symbols}
    rules: list[MarketRule] = []
    if cfg.halts:
        halt = TradingHalt(auction=cfg.halt_auction)
        rules.append(halt)
        for h in cfg.halts:
            start = to_ns(datetime.combine(scenario.session.date, h.at, NEW_YORK))
            clock.call_at(start, lambda symbol=h.symbol: halt.halt(symbol))
            clock.call_at(start + int(h.duration_s * NS), lambda symbol=h.symbol: _resume(
                halt, venues, symbol, references, clock, cfg.reopening))
    if cfg.luld_band_bps:
        rules.append(LimitUpLimitDown(references, cfg.luld_band_bps, int(cfg.luld_pause_s * NS)))
    if cfg.luld_plan is not None:
        plan = cfg.luld_plan
        timing = LuldTiming(scenario.session.open_ns(), scenario.session.close_ns(),
                            limit_state_ns=int(plan.limit_state_s * NS), pause_ns=int(plan.pause_s * NS),
                            window_ns=int(plan.window_s * NS), move_bps=plan.move_bps)
        luld = LuldPlan(references, {s: 2 for s in plan.tier2_symbols}, timing,
                        lambda symbol: national_quote(venues, symbol), clock.call_at,
                        lambda symbol, now, ref: reopen_everywhere(venues, symbol, ref, now, luld.reopenings,
                                                                   cfg.reopening, clock))
        rules.append(luld)
    if cfg.ssr_symbols or cfg.ssr_trigger:
        closes = references | {c.symbol: c.price for c in cfg.previous_close}
        rules.append(ShortSaleRestriction(cfg.ssr_symbols, lambda symbol: national_quote(venues, symbol)[0],
                                          previous_close=closes if cfg.ssr_trigger else None))
    for venue in venues:
        for rule in rules:
            venue.add_rule(rule)
    return rules


def _resume(halt: TradingHalt, venues: list[SimVenue], symbol: str, references: dict[str, int], clock,
            mode: str) -> None:
    """End a scheduled halt; with ``halt_auction`` the symbol reopens with an auction (``mode``)."""
    halt.resume(symbol)
    if halt.auction:
        reopen_everywhere(venues, symbol, halt.reference_price(symbol, references[symbol]), clock.now_ns(),
                          halt.reopenings, mode, clock)


def installed_rules(world) -> tuple[MarketRule, ...]:
    """The market rules installed in ``world`` (the same objects on every venue)."""
    first = next(iter(world.venues.values()))
    return first.rules


def ssr_carry(world) -> tuple[str, ...]:
    """End-of-day state for the next trading day: the symbols whose short-sale restriction triggered
    today, restricted all of tomorrow (give them as the next day's ``market_rules.ssr_symbols``)."""
    carried: set[str] = set()
    for rule in installed_rules(world):
        if isinstance(rule, ShortSaleRestriction):
            carried |= rule.end_of_day()
    return tuple(sorted(carried))
