"""Simulated market participants that keep venue books live and moving.

Owns the fundamental price process (``FairValue``) and two participant
populations: ``MarketMaker`` (passive quotes on both sides around fair value)
and ``NoiseTrader`` (random market and limit orders across venues). The twin
decides *when* they act by calling ``requote`` / ``act`` with the current time;
this module decides *what* they do.

Determinism: each object draws only from the ``numpy.random.Generator`` it was
given (its own named stream), iterates only over lists and deques, and never
reads the wall clock. Same stream + same call times => same orders.
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np

from components.domain.money import CENT
from components.domain.orders import Side, TimeInForce

from .book import AddResult, Fill
from .draws import ScalarDraws
from .venue import SimVenue, plain_agent_ladder

_BUY = Side.BUY
_SELL = Side.SELL
_DAY = TimeInForce.DAY

_NS_PER_MIN = 60_000_000_000


class FairValue:
    """A random-walk fundamental price in integer units, on a ``tick`` grid.

    The walk advances in fixed steps of ``step_ns`` (from ``start_ns``), one
    normal draw per step, lazily: ``at`` draws only the steps it needs, so the
    path does not depend on how often or when it is asked. Volatility is
    ``vol_bps_per_sqrt_min`` basis points per square root of a minute.
    ``draws_ahead``: normals drawn per numpy call (the same path; only for a
    ``rng`` nothing else draws from).
    """

    def __init__(
        self,
        start_price: int,
        vol_bps_per_sqrt_min: float,
        rng: np.random.Generator,
        *,
        step_ns: int = 1_000_000_000,
        start_ns: int = 0,
        tick: int = CENT,
        draws_ahead: int = 1,
    ):
        if type(start_price) is not int or start_price <= 0:
            raise ValueError(f"start_price must be a positive int of units, got {start_price!r}")
        if not vol_bps_per_sqrt_min >= 0:
            raise ValueError(f"vol_bps_per_sqrt_min must be >= 0, got {vol_bps_per_sqrt_min!r}")
        if type(step_ns) is not int or step_ns <= 0:
            raise ValueError(f"step_ns must be a positive int, got {step_ns!r}")
        if type(tick) is not int or tick <= 0:
            raise ValueError(f"tick must be a positive int, got {tick!r}")
        if type(draws_ahead) is not int or draws_ahead <= 0:
            raise ValueError(f"draws_ahead must be a positive int, got {draws_ahead!r}")
        self.tick = tick
        self.step_ns = step_ns
        self.start_ns = start_ns
        self._rng = rng
        # Per-step relative volatility. Floats are fine here: this is a model
        # of the world, not money; only the rounded tick price leaves.
        self._sigma = vol_bps_per_sqrt_min / 10_000 * math.sqrt(step_ns / _NS_PER_MIN)
        self._value = float(start_price)
        self._step = 0
        self._price = max(tick, int(round(self._value / tick)) * tick)  # ``at``'s answer for ``_step``
        # Normals for ``draws_ahead`` steps are drawn in one call (numpy draws standard_normal(a + b) as the
        # same numbers as standard_normal(a) then standard_normal(b)), only while nothing else draws from
        # ``rng``: ``_z[_zi:]`` are drawn and not yet used, in order.
        self.draws_ahead = draws_ahead
        self._z: list[float] = []
        self._zi = 0

    def at(self, now_ns: int) -> int:
        """Fair value at ``now_ns``, rounded to the tick and at least one tick.

        Raises ``ValueError`` if asked about a step before one already drawn
        (twin time never goes backwards).
        """
        target = (now_ns - self.start_ns) // self.step_ns
        if target == self._step:
            return self._price  # most asks are for the step already drawn (every maker and trader, each second)
        if target < self._step:
            raise ValueError(f"now_ns {now_ns} is before fair value step {self._step} already drawn")
        n = target - self._step
        zs, zi = self._z, self._zi
        if zi + n > len(zs):
            zs = self._z = zs[zi:] + self._rng.standard_normal(max(n - (len(zs) - zi), self.draws_ahead)).tolist()
            zi = 0
        self._zi = zi + n
        value, sigma, floor = self._value, self._sigma, float(self.tick)
        # Multiply by (1 + sigma*z) rather than exp(sigma*z): IEEE multiply
        # and add are exactly reproducible on every platform, libm exp is not.
        for z in zs[zi:zi + n] if n > 1 else (zs[zi],):
            value *= 1.0 + sigma * z
            if value < floor:
                value = floor
        self._value = value
        self._step = target
        tick = self.tick
        price = self._price = max(tick, int(round(value / tick)) * tick)
        return price


def _jittered(rng: np.random.Generator, mean: int) -> int:
    """An int uniformly in [mean/2, 3*mean/2], at least 1."""
    lo = max(1, mean // 2)
    hi = max(lo, mean + mean // 2)
    return int(rng.integers(lo, hi + 1))


class MarketMaker:
    """Quotes ``levels`` price levels each side of fair value on one venue.

    The best bid and ask are ``spread_ticks`` apart and straddle fair value;
    deeper levels step one tick further away. Its own bids are always strictly
    below its own asks, so it never locks or crosses itself. A new quote may
    trade with someone else's stale order (it picks off stale prices), which
    is realistic and keeps the consolidated book from staying crossed.
    """

    def __init__(
        self,
        venue: SimVenue,
        symbol: str,
        fair: FairValue,
        rng: np.random.Generator,
        spread_ticks: int,
        size: int,
        levels: int,
        owner: str,
        *,
        draws_ahead: int = 1,
    ):
        for name, value in (("spread_ticks", spread_ticks), ("size", size), ("levels", levels),
                            ("draws_ahead", draws_ahead)):
            if type(value) is not int or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if owner == venue.our_owner:
            raise ValueError(f"owner {owner!r} is reserved for the venue's own child orders")
        self.venue = venue
        self.symbol = symbol
        self.fair = fair
        self.spread_ticks = spread_ticks
        self.size = size
        self.levels = levels
        self.owner = owner
        self._rng = rng
        # Quote sizes for ``draws_ahead`` requotes are drawn in one call: numpy draws
        # integers(lo, hi, size=k*n) as the same numbers as k calls of size n, so this only saves
        # calls, but only while nothing else draws from ``rng`` (the stream must be the maker's own).
        self.draws_ahead = draws_ahead
        self._sizes: list[int] = []
        self._seq = 0
        self._live: list[tuple[str, int]] = []  # (id, rested qty) of quotes that rested, in posting order
        self._quoted_fair = 0

    @property
    def live_quotes(self) -> list[str]:
        """Order ids of the quotes posted by the last ``requote`` that rested."""
        return [order_id for order_id, _ in self._live]

    def requote(self, now_ns: int) -> list[Fill]:
        """Pull previous quotes and post fresh ones; return fills it took doing so.

        When fair value has not moved and every quote still rests untouched,
        the quotes stand (real makers do not churn an unchanged book; it also
        keeps a full day cheap to simulate).
        """
        venue = self.venue
        tick = self.fair.tick
        fair = self.fair.at(now_ns)
        if fair == self._quoted_fair and self._live:
            resting_qty = venue.book(self.symbol).resting_qty
            for order_id, qty in self._live:
                if resting_qty(order_id) != qty:
                    break
            else:
                return []
        cancel_ids = [order_id for order_id, _ in self._live]
        self._live = []
        self._quoted_fair = fair
        best_bid = fair - (self.spread_ticks // 2) * tick
        best_ask = best_bid + self.spread_ticks * tick
        n = 2 * self.levels
        sizes = self._sizes
        if not sizes:
            lo = max(1, self.size // 2)
            sizes = self._rng.integers(lo, max(lo, self.size + self.size // 2) + 1, size=n * self.draws_ahead).tolist()
            sizes.reverse()  # popped from the end, first drawn first
            self._sizes = sizes
        pop = sizes.pop
        orders: list[tuple[str, Side, int, int, TimeInForce]] = []
        owner, seq = self.owner, self._seq
        # Interleave bid/ask per level so sizes draw in a fixed order (a skipped bid still uses its draw).
        for i in range(self.levels):
            bid, bid_qty, ask, ask_qty = best_bid - i * tick, pop(), best_ask + i * tick, pop()
            if bid >= tick:  # no bids at or below zero
                seq += 1
                orders.append((f"{owner}-{seq}", _BUY, bid_qty, bid, _DAY))
            if ask >= tick:
                seq += 1
                orders.append((f"{owner}-{seq}", _SELL, ask_qty, ask, _DAY))
        self._seq = seq
        # One call for the whole ladder where the venue offers it (same effects as one call per order).
        ladder = getattr(venue, "requote_agent_ladder", None)
        if ladder is not None:
            results = ladder(owner, self.symbol, cancel_ids, orders, now_ns)
        else:
            results = plain_agent_ladder(venue, owner, self.symbol, cancel_ids, orders, now_ns)
        taken: list[Fill] = []
        live = self._live
        for order, (fills, rested_qty, _) in zip(orders, results):
            if fills:
                taken.extend(fills)
            if rested_qty:
                live.append((order[0], rested_qty))
        return taken


class NoiseTrader:
    """Random uninformed flow across ``venues`` for one symbol.

    Each ``act`` picks a venue and a side uniformly, a size from a geometric
    distribution with mean ``mean_size``, and sends either a market order
    (probability ``market_fraction``) or a DAY limit within
    ``limit_range_ticks`` of fair value, on either side of it, so some limits
    trade at once and some rest. Resting orders older than ``max_age_ns``, or
    beyond the newest ``max_resting``, are canceled so books stay bounded.
    """

    def __init__(
        self,
        venues: list[SimVenue],
        symbol: str,
        fair: FairValue,
        rng: np.random.Generator,
        owner: str,
        market_fraction: float,
        mean_size: int,
        *,
        limit_range_ticks: int = 5,
        max_age_ns: int = 30_000_000_000,
        max_resting: int = 20,
    ):
        if not venues:
            raise ValueError("venues must not be empty")
        if not 0.0 <= market_fraction <= 1.0:
            raise ValueError(f"market_fraction must be in [0, 1], got {market_fraction!r}")
        if type(mean_size) is not int or mean_size <= 0:
            raise ValueError(f"mean_size must be a positive int, got {mean_size!r}")
        if type(limit_range_ticks) is not int or limit_range_ticks < 0:
            raise ValueError(f"limit_range_ticks must be a non-negative int, got {limit_range_ticks!r}")
        if type(max_resting) is not int or max_resting < 0:
            raise ValueError(f"max_resting must be a non-negative int, got {max_resting!r}")
        for v in venues:
            if owner == v.our_owner:
                raise ValueError(f"owner {owner!r} is reserved for venue {v.name}'s own child orders")
        self.venues = list(venues)
        self.symbol = symbol
        self.fair = fair
        self.owner = owner
        self.market_fraction = market_fraction
        self.mean_size = mean_size
        self.limit_range_ticks = limit_range_ticks
        self.max_age_ns = max_age_ns
        self.max_resting = max_resting
        self._rng = rng
        self._draws = ScalarDraws(rng)  # the same stream's scalar draws, without numpy's per-call cost
        self._seq = 0
        # (placed_ns, venue index, order id), oldest first.
        self._resting: deque[tuple[int, int, str]] = deque()

    @property
    def resting_count(self) -> int:
        """Orders it still tracks as possibly resting (some may have filled since)."""
        return len(self._resting)

    def act(self, now_ns: int) -> AddResult:
        """Cancel stale orders, then send one new order; return its outcome."""
        self._cancel_stale(now_ns)
        rng, draws = self._rng, self._draws
        venue_idx = draws.integers(0, len(self.venues))
        side = Side.BUY if draws.random() < 0.5 else Side.SELL
        qty = int(rng.geometric(1.0 / self.mean_size))
        price: int | None
        if draws.random() < self.market_fraction:
            price, tif = None, TimeInForce.IOC
        else:
            # Positive offset = more aggressive (a buy above fair may trade at
            # once); negative = passive and likely to rest.
            span = self.limit_range_ticks
            offset = draws.integers(-span, span + 1)
            tick = self.fair.tick
            price = max(tick, self.fair.at(now_ns) + side.sign * offset * tick)
            tif = TimeInForce.DAY
        self._seq += 1
        order_id = f"{self.owner}-{self._seq}"
        result = self.venues[venue_idx].submit_agent_order(
            order_id, self.owner, self.symbol, side, qty, price, tif, now_ns
        )
        if result.rested_qty:
            self._resting.append((now_ns, venue_idx, order_id))
        return result

    def _cancel_stale(self, now_ns: int) -> None:
        resting = self._resting
        cutoff = now_ns - self.max_age_ns
        # Keep one slot free for the order about to be sent.
        while resting and (resting[0][0] <= cutoff or len(resting) >= self.max_resting):
            _, venue_idx, order_id = resting.popleft()
            self.venues[venue_idx].cancel_agent_order(order_id)  # 0 if it already filled


# -- the standard participants of a ``liquidity`` section ------------------------------------

MINUTES_PER_DAY = 390
"""Minutes in a regular US session: a symbol's daily volatility is spread over them."""


FAIR_DRAWS_AHEAD = 64
"""Steps' worth of normals a standard fair-value walk draws at once (same numbers: see ``FairValue``)."""


def fair_value_path(reference_price: int, daily_vol_bps: float, rng: np.random.Generator,
                    start_ns: int) -> FairValue:
    """A symbol's fair-value walk from ``reference_price`` with its daily volatility (``rng`` is the walk's
    own stream: nothing else may draw from it)."""
    return FairValue(reference_price, daily_vol_bps / math.sqrt(MINUTES_PER_DAY), rng, start_ns=start_ns,
                     draws_ahead=FAIR_DRAWS_AHEAD)


STANDARD_DRAWS_AHEAD = 64
"""Requotes' worth of quote sizes a standard maker draws at once (same numbers: see ``MarketMaker``)."""


def standard_maker(venue: SimVenue, symbol: str, fair: FairValue, rng: np.random.Generator,
                   liquidity) -> MarketMaker:
    """The market maker a ``liquidity`` section describes (spread, size, levels), owner ``MM-VENUE-SYMBOL``."""
    return MarketMaker(venue, symbol, fair, rng, liquidity.market_maker_spread_ticks, liquidity.market_maker_size,
                       liquidity.market_maker_levels, owner=f"MM-{venue.name}-{symbol}",
                       draws_ahead=STANDARD_DRAWS_AHEAD)  # ``rng`` is the maker's own stream


def standard_participants(symbols, venues: list[SimVenue], liquidity, stream,
                          start_ns: int) -> tuple[list[MarketMaker], list[NoiseTrader]]:
    """Per symbol: one fair-value path (stream ``fair:SYMBOL``), a maker on every venue
    (``mm:VENUE:SYMBOL``) and ``liquidity.noise_traders`` noise traders across them
    (``noise:SYMBOL:i``). ``symbols`` have ``symbol``, ``reference_price`` and
    ``daily_vol_bps``; ``stream(name)`` gives a named random stream."""
    makers: list[MarketMaker] = []
    noise: list[NoiseTrader] = []
    for s in symbols:
        fair = fair_value_path(s.reference_price, s.daily_vol_bps, stream(f"fair:{s.symbol}"), start_ns)
        for venue in venues:
            makers.append(standard_maker(venue, s.symbol, fair, stream(f"mm:{venue.name}:{s.symbol}"), liquidity))
        for i in range(liquidity.noise_traders):
            noise.append(NoiseTrader(venues, s.symbol, fair, stream(f"noise:{s.symbol}:{i}"),
                                     owner=f"NOISE-{s.symbol}-{i}", market_fraction=liquidity.noise_market_fraction,
                                     mean_size=max(1, liquidity.market_maker_size // 5)))
    return makers, noise
