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
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .domain.orders import Order, OrderType, Side, TimeInForce
from .domain.venues import ChildOrder, FeeSchedule, VenueStatus
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
_UP = VenueStatus.UP
_BUY = Side.BUY
_MARKET = OrderType.MARKET
_IOC = TimeInForce.IOC


class SmartOrderRouter:
    def __init__(self, fees: dict[str, FeeSchedule], market_data: MarketData, ids: IdSource,
                 clock: Clock | None = None, max_quote_age_ns: int | None = None,
                 position: Callable[[str, str], int] | None = None):
        self._fees = dict(sorted(fees.items()))
        self._md = market_data
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
        return tuple(self._fees)

    def route(self, order: Order, exclude: frozenset[str] = frozenset()) -> RoutingPlan:
        """Plan children for the order's leaves quantity."""
        spec = order.spec
        venue_status = self._md.venue_status
        all_up = TEST_ONLY_IGNORE_VENUE_HEALTH  # the planted bug (tests only): every venue counts as up
        up = [v for v in self._fees if v not in exclude and (all_up or venue_status(v) is _UP)]
        if not up:
            return RoutingPlan((), "NO_VENUE_AVAILABLE")
        if self._capabilities:
            sent_as = _IOC if spec.order_type is _MARKET else spec.time_in_force  # as the children go out
            up = self._capable(up, spec.order_type, sent_as)
            if not up:
                return RoutingPlan((), f"{NO_VENUE_TAKES_ORDER}: {spec.order_type.value} {sent_as.value}")
        buy = spec.side is _BUY
        limit = spec.limit_price
        ranked: list[tuple[int, int, str, int]] = []  # (cost, -size, venue, price)
        quotes = {v: self._md.quote(v, spec.symbol) for v in up}
        if self._clock is not None:
            oldest = self._clock.now_ns() - self._max_quote_age_ns
            fresh = [v for v in up if quotes[v] is None or quotes[v].timestamp_ns >= oldest]
            if not fresh:
                return RoutingPlan((), "NO_FRESH_QUOTE")
            up = fresh  # a stale venue is neither taken nor rested at
        for venue in up:
            quote = quotes[venue]
            if quote is None:
                continue
            price, size = (quote.ask, quote.ask_size) if buy else (quote.bid, quote.bid_size)
            if price <= 0 or size <= 0:
                continue
            if limit is not None and (price > limit if buy else price < limit):
                continue  # not marketable here
            fee = self._fees[venue].taker_fee
            cost = price + fee if buy else -(price - fee)
            ranked.append((cost, -size, venue, price))
        ranked.sort()

        remaining = order.leaves_qty
        slices: dict[str, int] = {}
        for _, neg_size, venue, _ in ranked:
            if remaining == 0:
                break
            take = min(remaining, -neg_size)
            slices[venue] = take
            remaining -= take
        if remaining:
            home = ranked[0][2] if ranked else self._resting_venue(up)
            slices[home] = slices.get(home, 0) + remaining

        tif = spec.time_in_force
        if spec.order_type is _MARKET:
            tif = _IOC
        short = (not buy and self._position is not None
                 and order.leaves_qty > self._position(spec.account_id, spec.symbol))
        children = tuple(
            ChildOrder(
                child_id=self._ids.next_id("CH"),
                order_id=order.order_id,
                venue=venue,
                symbol=spec.symbol,
                side=spec.side,
                quantity=qty,
                order_type=spec.order_type,
                limit_price=limit,
                time_in_force=tif,
                short=short,
            )
            for venue, qty in slices.items()
        )
        return RoutingPlan(children)

    def _capable(self, up: list[str], order_type: OrderType, tif: TimeInForce) -> list[str]:
        caps = self._capabilities
        return [v for v in up if v not in caps or caps[v].accepts(order_type, tif)]

    def _resting_venue(self, up: list[str]) -> str:
        """Where a non-marketable order rests: the best maker rebate, then name."""
        return min(up, key=lambda v: (-self._fees[v].maker_rebate, v))
