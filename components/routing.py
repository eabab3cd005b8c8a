"""Smart order routing: where each share of an order goes.

The router ranks venues that are up by the price a share would really cost
(quote plus the taker fee, or minus it for sells), then by displayed size, then
by name so ties never depend on dict order. It takes displayed liquidity venue
by venue and splits the order when one venue cannot fill it. What displayed
size cannot cover goes to the best-ranked venue: a DAY limit rests there (the
venue with the best maker rebate among equally priced ones), a marketable
remainder sweeps deeper. A venue marked DOWN is never chosen, and neither is
one whose quote is older than ``max_quote_age_ns`` (its market data stopped
updating, so its displayed price cannot be trusted) when a clock is given.
Given the accounts' positions, a sell of more than the account holds goes out
marked short, so venues can apply the short-sale restriction. Venues given
``VenueCapabilities`` (``restrict``: the live venues' dialects) are only sent
the order types and times in force they take; the twin gives none.

Quotes are read once per order, every UP venue's top in one call
(``components.market_view.VenueTops``) where the market data offers it (the
twin's and the live one do), else through ``venue_status`` and ``quote``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .domain.fast_init import fast_frozen_init
from .domain.orders import Order, OrderType, Side, TimeInForce
from .domain.venues import ChildOrder, FeeSchedule
from .market_view import VenueTop, venue_tops
from .ports import Clock, IdSource, MarketData


@dataclass(frozen=True, slots=True)
class VenueCapabilities:
    """The order types and times in force one venue takes (a live venue's dialect); the router never
    sends it a child outside them. A MARKET child goes out IOC, so that is what is checked for it."""

    order_types: frozenset[OrderType]
    time_in_force: frozenset[TimeInForce]

    def accepts(self, order_type: OrderType, time_in_force: TimeInForce) -> bool:
        return order_type in self.order_types and time_in_force in self.time_in_force


NO_VENUE_TAKES_ORDER = "NO_VENUE_TAKES_ORDER"
"""Plan reason: venues are up, but none takes the order's type and time in force (their capabilities)."""


@fast_frozen_init  # one per routed order
@dataclass(frozen=True, slots=True)
class RoutingPlan:
    """Children to send; ``reason`` says why the plan is empty if it is."""

    children: tuple[ChildOrder, ...]
    reason: str = ""


TEST_ONLY_IGNORE_VENUE_HEALTH = False
"""A planted bug for the swarm's own tests (``tests/unit/chaos/test_swarm_planted_bugs.py``): when
True the router treats every venue as UP. Always False; only a test patches it (with ``monkeypatch``),
and no scenario or configuration can reach it. It proves the swarm catches a router that ignores
venue health."""

# Enum members bound once: Enum class attribute access is slow on Python 3.11.
_BUY = Side.BUY
_MARKET = OrderType.MARKET
_IOC = TimeInForce.IOC


class SmartOrderRouter:
    def __init__(self, fees: dict[str, FeeSchedule], market_data: MarketData, ids: IdSource,
                 clock: Clock | None = None, max_quote_age_ns: int | None = None,
                 position: Callable[[str, str], int] | None = None):
        self._fees = dict(sorted(fees.items()))
        # Fixed for the router's life, so worked out once rather than per order: the venues in name
        # order, each one's taker fee, and the venues in resting preference (best maker rebate, then name).
        self._names = tuple(self._fees)
        self._taker_fee = {v: f.taker_fee for v, f in self._fees.items()}
        self._resting_order = tuple(sorted(self._fees, key=lambda v: (-self._fees[v].maker_rebate, v)))
        self._md = market_data
        self._reads_tops = hasattr(market_data, "venue_tops")  # components.market_view.VenueTops
        self._ids = ids
        # Staleness is only judged with both a clock and a threshold.
        self._clock = clock if max_quote_age_ns is not None else None
        self._max_quote_age_ns = max_quote_age_ns or 0
        self._position = position  # (account id, symbol) -> shares held
        self._capabilities: dict[str, VenueCapabilities] = {}  # none (the twin): every venue takes all

    def restrict(self, capabilities: dict[str, VenueCapabilities]) -> None:
        """Route to each named venue only what it takes (venues not named take everything). The live
        bootstrap calls this with the venues' dialects; the twin never does, so its routes are unchanged."""
        self._capabilities = dict(capabilities)

    @property
    def venues(self) -> tuple[str, ...]:
        return self._names

    def route(self, order: Order, exclude: frozenset[str] = frozenset()) -> RoutingPlan:
        """Plan children for the order's leaves quantity."""
        spec = order.spec
        symbol = spec.symbol
        names = [v for v in self._names if v not in exclude] if exclude else self._names
        if TEST_ONLY_IGNORE_VENUE_HEALTH:  # the planted bug (tests only): every venue counts as up
            tops = venue_tops(self._md, symbol, names, every_venue=True)
        elif self._reads_tops:
            tops = self._md.venue_tops(symbol, names)  # type: ignore[attr-defined]
        else:
            tops = venue_tops(self._md, symbol, names)
        if not tops:
            return RoutingPlan((), "NO_VENUE_AVAILABLE")
        order_type = spec.order_type
        if self._capabilities:
            sent_as = _IOC if order_type is _MARKET else spec.time_in_force  # as the children go out
            tops = self._capable(tops, order_type, sent_as)
            if not tops:
                return RoutingPlan((), f"{NO_VENUE_TAKES_ORDER}: {order_type.value} {sent_as.value}")
        if self._clock is not None:
            oldest = self._clock.now_ns() - self._max_quote_age_ns
            for _, top, as_of in tops:  # a loop, not a comprehension: usually none is stale, so no new list
                if top is not None and as_of < oldest:
                    tops = [t for t in tops if t[1] is None or t[2] >= oldest]
                    if not tops:
                        return RoutingPlan((), "NO_FRESH_QUOTE")  # a stale venue is neither taken nor rested at
                    break

        buy = spec.side is _BUY
        limit = spec.limit_price
        taker_fee = self._taker_fee
        ranked: list[tuple[int, int, str]] = []  # (cost per share, -displayed size, venue)
        for venue, top, _ in tops:
            if top is None:
                continue
            bid, bid_size, ask, ask_size = top
            if buy:
                if ask <= 0 or ask_size <= 0 or (limit is not None and ask > limit):
                    continue  # nothing shown, or not marketable here
                ranked.append((ask + taker_fee[venue], -ask_size, venue))
            else:
                if bid <= 0 or bid_size <= 0 or (limit is not None and bid < limit):
                    continue
                ranked.append((taker_fee[venue] - bid, -bid_size, venue))
        ranked.sort()

        leaves = remaining = order.leaves_qty
        slices: dict[str, int] = {}
        for _, neg_size, venue in ranked:
            if remaining == 0:
                break
            take = min(remaining, -neg_size)
            slices[venue] = take
            remaining -= take
        if remaining:
            home = ranked[0][2] if ranked else self._resting_venue(tops)
            slices[home] = slices.get(home, 0) + remaining

        tif = _IOC if order_type is _MARKET else spec.time_in_force
        short = (not buy and self._position is not None
                 and leaves > self._position(spec.account_id, symbol))
        next_id, order_id, side = self._ids.next_id, order.order_id, spec.side
        return RoutingPlan(tuple([
            ChildOrder(next_id("CH"), order_id, venue, symbol, side, qty, order_type, limit, tif, short)
            for venue, qty in slices.items()
        ]))

    def _capable(self, tops: list[VenueTop], order_type: OrderType, tif: TimeInForce) -> list[VenueTop]:
        caps = self._capabilities
        return [t for t in tops if t[0] not in caps or caps[t[0]].accepts(order_type, tif)]

    def _resting_venue(self, tops: list[VenueTop]) -> str:
        """Where a non-marketable order rests: the best maker rebate, then name."""
        up = {t[0] for t in tops}
        return next(v for v in self._resting_order if v in up)
