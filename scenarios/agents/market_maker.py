"""AdaptiveMarketMaker: a ladder of quotes whose size and width follow the market.

Like ABIDES' AdaptiveMarketMakerAgent (a Chakraborty-Kearns ladder): at each
wake-up it pulls its quotes, reads the book others left, and posts ``levels``
price levels each side around the mid. What adapts:

* size per level: ``pov`` of the volume traded since its last wake-up (at
  least ``min_size``, at most ``max_size``);
* width: the quoted spread is ``min_spread_ticks`` plus
  ``2 * vol_spread_mult`` standard deviations of the mid's move over one
  wake-up gap, estimated by an exponentially weighted average of the squared
  mid moves per second (weight ``vol_alpha``), capped at ``max_spread_ticks``;
* centre: the mid of the book others left or, with a ``fair_value`` reading
  and ``fair_value_weight`` w > 0, that mid moved the share w of the way to
  the maker's reading of fair value (``fundamental.FairValueReading``); then
  shifted toward the side the aggressors have been on
  (``imbalance_skew_ticks`` at full imbalance, as ABIDES' price skew) and
  away from its inventory (``inventory_skew_ticks_per_1000`` per 1,000
  shares); at ``max_inventory`` it stops quoting the side that would add to it.

Between its Poisson wake-ups it also reacts to the book, as ABIDES makers do
through their book-imbalance subscription: when the last of its bids (or
asks) has been filled, it raises ``on_side_empty`` once, and whoever drives it
(the twin) calls ``requote`` after a reaction delay.

Why a fair value: a maker that centres on the mid others left follows the
book, so each skew and each sweep it reacts to is carried into its next
ladder and the mid absorbs news only as fast as order flow pushes it: prices
trend (issue 18 measured a 1-minute return ACF of +0.6). Real makers price
from information that leads the book (futures, other venues), so their quotes
jump to news and the mid stays close to a martingale (docs/realism.md).

Its own bids are always below its own asks. The spread it quotes is not fed
back from the spread it sees, so two makers cannot ratchet each other wider.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from components.domain.orders import Side
from venues_sim.book import Fill

from .base import AgentOrders, next_arrival
from .fundamental import FairValueReading
from .tape import TapedVenue

_NS_PER_S = 1_000_000_000
_BUY = Side.BUY
_SELL = Side.SELL


class AdaptiveMarketMaker:
    """One adaptive market maker on one symbol of one venue front; draws only from ``rng``."""

    def __init__(
        self,
        venue: TapedVenue,
        symbol: str,
        rng: np.random.Generator,
        owner: str,
        *,
        reference_price: int,
        tick: int,
        mean_wake_s: float,
        levels: int = 10,
        level_spacing_ticks: int = 1,
        pov: float = 0.025,
        min_size: int = 100,
        max_size: int = 5_000,
        min_spread_ticks: int = 1,
        max_spread_ticks: int = 50,
        vol_alpha: float = 0.3,
        vol_spread_mult: float = 1.0,
        imbalance_skew_ticks: float = 4.0,
        inventory_skew_ticks_per_1000: float = 1.0,
        max_inventory: int = 50_000,
        refill_delay_ms: float | None = 500.0,
        fair_value: FairValueReading | None = None,
        fair_value_weight: float = 0.0,
        fair_value_watch_s: float = 0.0,
        fair_value_requote_ticks: int = 10,
        post_only_before_ns: int | None = None,
    ):
        for name, value in (("levels", levels), ("level_spacing_ticks", level_spacing_ticks),
                            ("min_size", min_size), ("min_spread_ticks", min_spread_ticks),
                            ("max_inventory", max_inventory)):
            if type(value) is not int or value < 1:
                raise ValueError(f"{name} must be an int >= 1, got {value!r}")
        if max_size < min_size or max_spread_ticks < min_spread_ticks:
            raise ValueError("max_size must be >= min_size and max_spread_ticks >= min_spread_ticks")
        if not 0.0 <= fair_value_weight <= 1.0:
            raise ValueError(f"fair_value_weight must be in [0, 1], got {fair_value_weight!r}")
        if not fair_value_watch_s >= 0 or type(fair_value_requote_ticks) is not int or fair_value_requote_ticks < 1:
            raise ValueError("need fair_value_watch_s >= 0 and fair_value_requote_ticks an int >= 1")
        if fair_value_weight > 0 and fair_value is None:
            raise ValueError("fair_value_weight > 0 needs a fair_value reading")
        if not 0.0 < vol_alpha <= 1.0 or not pov >= 0 or not mean_wake_s > 0:
            raise ValueError("need 0 < vol_alpha <= 1, pov >= 0, mean_wake_s > 0")
        self.venue = venue
        self.book = venue.book(symbol)
        self.tape = venue.tapes[symbol]
        self.tape.track(owner)
        self.tape.watch(owner, self._quote_done)
        self.symbol = symbol
        self.owner = owner
        self.tick = tick
        self.mean_wake_s = mean_wake_s
        self.mean_gap_ns = mean_wake_s * _NS_PER_S
        self.levels = levels
        self.level_spacing_ticks = level_spacing_ticks
        self.pov = pov
        self.min_size = min_size
        self.max_size = max_size
        self.min_spread_ticks = min_spread_ticks
        self.max_spread_ticks = max_spread_ticks
        self.vol_alpha = vol_alpha
        self.vol_spread_mult = vol_spread_mult
        self.imbalance_skew_ticks = imbalance_skew_ticks
        self.inventory_skew_ticks_per_1000 = inventory_skew_ticks_per_1000
        self.max_inventory = max_inventory
        self.fair_value = fair_value
        self.fair_value_weight = fair_value_weight
        """Share of the way from the book's mid to its fair-value reading that its centre goes (0: the mid)."""
        self.watch_ns = int(fair_value_watch_s * _NS_PER_S) if fair_value_weight > 0 else 0
        """Between its Poisson requotes, how often it reads fair value (0: never)."""
        self.requote_move2 = 2 * fair_value_requote_ticks * tick
        """Twice the fair-value move since its last ladder that makes it requote at a watch."""
        self.post_only_before_ns = post_only_before_ns
        """Before this time its quotes never take liquidity (pre-open: no continuous trading); None: never."""
        self._next_regular_ns: int | None = None
        self._quoted_fair2 = 0.0
        self.refill_delay_ns = None if refill_delay_ms is None else int(refill_delay_ms * 1_000_000)
        """Reaction delay from an emptied ladder side to the requote; None: wait for the next wake-up."""
        self.on_side_empty: Callable[[AdaptiveMarketMaker], None] | None = None
        """Set by the driver: called once when the last of its bids or asks has filled."""
        self._rng = rng
        self._mid2 = 2 * reference_price  # last mid seen, doubled to stay an exact int
        self._last_ns: int | None = None
        self._var_per_s = 0.0  # EWMA of squared mid moves per second, ticks^2
        self._imbalance = 0.0  # aggressor imbalance since the last wake-up, -1 (all sells) .. +1
        self._volume_seen = self.tape.volume
        self._buy_volume_seen = self.tape.buy_volume
        self.orders = AgentOrders(venue, owner, symbol)
        self._live: list[str] = []
        self._live_side: dict[str, int] = {}  # resting quote id -> +1 bid, -1 ask
        self._live_count = {1: 0, -1: 0}
        self._alarm_raised = False
        self.spread_ticks = min_spread_ticks
        """Spread of the last ladder posted, in ticks."""
        self.size = min_size
        """Size per level of the last ladder posted."""

    @property
    def inventory(self) -> int:
        return self.tape.position(self.owner)

    def first_wake(self, start_ns: int) -> int:
        # Quote within a second of the start so the book is never empty long.
        return start_ns + int(self._rng.integers(0, _NS_PER_S)) + 1

    def wake(self, now_ns: int) -> int:
        if not self.watch_ns:
            self.requote(now_ns)
            return next_arrival(self._rng, now_ns, self.mean_gap_ns)
        # Watching fair value: the same Poisson requotes, plus a look every watch_ns that requotes when fair
        # value has moved by fair_value_requote_ticks since the last ladder (a maker re-prices on news).
        due = self._next_regular_ns
        if due is None or now_ns >= due:
            self.requote(now_ns)
            due = self._next_regular_ns = next_arrival(self._rng, now_ns, self.mean_gap_ns)
        elif abs(2.0 * self.fair_value.at(now_ns) - self._quoted_fair2) >= self.requote_move2:
            self.requote(now_ns)
        return min(due, now_ns + self.watch_ns)

    def requote(self, now_ns: int) -> list[Fill]:
        """Pull the ladder, re-read the market, post a fresh ladder; fills it took doing so."""
        venue = self.venue
        for order_id in self._live:
            venue.cancel_agent_order(order_id)
        self._live = []
        self._live_side.clear()
        self._live_count[1] = self._live_count[-1] = 0
        self._alarm_raised = False
        self._observe(now_ns)
        tick = self.tick
        spread = self.spread_ticks
        inventory = self.inventory
        skew = self._skew_ticks(inventory)
        centre2 = self._anchor2(now_ns) + 2 * skew * tick
        best_bid = (centre2 - spread * tick) // (2 * tick) * tick
        best_ask = best_bid + spread * tick
        if self.post_only_before_ns is not None and now_ns < self.post_only_before_ns:
            # post only: a level that would cross what others show moves behind it (its own quotes are pulled)
            other_bid, _, other_ask, _ = self.book.top()
            if other_ask and best_bid >= other_ask:
                best_bid = other_ask - tick
            if other_bid and best_ask <= other_bid:
                best_ask = other_bid + tick
        step = self.level_spacing_ticks * tick
        quote_bids = inventory < self.max_inventory
        quote_asks = inventory > -self.max_inventory
        taken: list[Fill] = []
        size = self.size
        for i in range(self.levels):
            for side, price, wanted in ((_BUY, best_bid - i * step, quote_bids),
                                        (_SELL, best_ask + i * step, quote_asks)):
                if not wanted or price < tick:
                    continue
                order_id, result = self.orders.send(side, size, price, now_ns)
                taken.extend(result.fills)
                if result.rested_qty:
                    self._live.append(order_id)
                    sign = 1 if side is _BUY else -1
                    self._live_side[order_id] = sign
                    self._live_count[sign] += 1
        if self.fair_value_weight > 0.0 and self.on_side_empty is not None:
            # A ladder centred on fair value can cross others' stale quotes and trade away a whole side as
            # it is posted; that side is used up too (without this the maker shows no bid, or no offer,
            # until its next wake-up, and the mid falls through the book).
            for sign, wanted in ((1, quote_bids), (-1, quote_asks)):
                if wanted and self._live_count[sign] == 0:
                    self._alarm_raised = True
                    self.on_side_empty(self)
                    break
        return taken

    def _anchor2(self, now_ns: int) -> int:
        """Twice the price the ladder is centred on before skews: the mid, or toward fair value."""
        mid2 = self._mid2
        if self.fair_value_weight <= 0.0:
            return mid2
        fair2 = self._quoted_fair2 = 2.0 * self.fair_value.at(now_ns)
        return int(round(mid2 + self.fair_value_weight * (fair2 - mid2)))

    def _quote_done(self, order_id: str) -> None:
        """Tape callback: one of its quotes filled completely."""
        sign = self._live_side.pop(order_id, 0)
        if not sign:
            return
        self._live_count[sign] -= 1
        if self._live_count[sign] == 0 and not self._alarm_raised and self.on_side_empty is not None:
            self._alarm_raised = True
            self.on_side_empty(self)

    def _observe(self, now_ns: int) -> None:
        """Update mid, volatility, size and spread from the book and the tape."""
        tick = self.tick
        bid, _, ask, _ = self.book.top()
        if bid and ask:
            mid2 = bid + ask
            if self._last_ns is not None and now_ns > self._last_ns:
                move = (mid2 - self._mid2) / (2 * tick)
                rate = move * move / ((now_ns - self._last_ns) / _NS_PER_S)
                self._var_per_s += self.vol_alpha * (rate - self._var_per_s)
            self._mid2 = mid2
            self._last_ns = now_ns
        sigma_ticks = math.sqrt(self._var_per_s * self.mean_wake_s)
        spread = self.min_spread_ticks + int(round(2.0 * self.vol_spread_mult * sigma_ticks))
        self.spread_ticks = min(self.max_spread_ticks, spread)
        tape = self.tape
        traded = tape.volume - self._volume_seen
        bought = tape.buy_volume - self._buy_volume_seen
        self._volume_seen, self._buy_volume_seen = tape.volume, tape.buy_volume
        self._imbalance = 0.0 if traded == 0 else (2 * bought - traded) / traded
        self.size = max(self.min_size, min(self.max_size, int(round(self.pov * traded))))

    def _skew_ticks(self, inventory: int) -> int:
        """Centre shift in ticks: toward the aggressors, away from inventory; at most a ladder's width."""
        raw = self.imbalance_skew_ticks * self._imbalance - self.inventory_skew_ticks_per_1000 * inventory / 1000
        bound = self.levels * self.level_spacing_ticks
        return max(-bound, min(bound, int(round(raw))))
