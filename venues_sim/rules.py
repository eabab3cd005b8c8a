"""Market rules a venue enforces: trading halts, limit-up/limit-down, short-sale restriction.

One interface, ``MarketRule``, attached with ``SimVenue.add_rule``. A rule
sees every incoming order (ours and participants') before it reaches the
book and may refuse it with a reason code; it sees every trade print after
matching (``on_trade``) and hears that the book changed (``on_book_change``).
Refused child orders of ours get a REJECTED report with the reason; a refused
participant order is canceled whole. A rule may instead hold a refused DAY
order for a reopening auction (``holds_for_auction``) and may bound the prices
a symbol trades at (``price_band``). Details: docs/market_rules.md.

* ``TradingHalt``: a halted symbol takes no new orders (``HALTED``); resting
  orders stay on the book, do not trade, and may be canceled.
* ``LimitUpLimitDown``: a limit order priced outside the band around the
  symbol's reference price is refused (``LULD_BAND``); a trade at or beyond a
  band edge pauses the symbol for ``pause_ns`` (orders refused with
  ``LULD_PAUSE`` meanwhile). The reference is fixed per symbol or moved with
  ``set_reference``; real LULD uses a rolling five-minute mean, which is a
  detail left out.
* ``ShortSaleRestriction``: on restricted symbols a sell marked short
  (``ChildOrder.short``) may not execute at or below the national best bid:
  a short sale priced at or below it, or a short market order, is refused
  (``SSR_PRICE``). The national best bid comes from a callable, since a venue
  sees only its own book. Participants' orders are never marked short (the
  simulated market is not what the restriction is tested on).

Opt-in additions (issue 18; every default keeps the behaviour above):

* ``TradingHalt(auction=True)``: while halted, DAY orders wait for the
  reopening auction instead of being refused (IOC and market IOC orders are
  still refused ``HALTED``: they cannot wait); whoever lifts the halt runs
  ``SimVenue.reopen`` (``venues_sim.auction``) with ``reference_price``.
* ``LuldPlan``: the LULD plan's price bands around a rolling five-minute mean
  reference price (tiers, price levels, doubling near the open and close),
  limit states, and a five-minute trading pause with a reopening auction
  when a limit state lasts 15 seconds. Orders beyond a band are repriced to
  it (``price_band``), not refused, so trades happen only inside the band.
* ``ShortSaleRestriction(previous_close=...)``: a trade at a 10% decline from
  the previous close triggers the restriction for the rest of the day, and
  ``end_of_day`` names the symbols restricted the next day.

Time is passed in; nothing here reads a clock. Timers (the 15-second limit
state, the end of a pause) are asked of a ``schedule`` callable.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Callable, Iterable

from components.domain.money import CENT, PRICE_SCALE
from components.domain.orders import Side

HALTED = "HALTED"
LULD_BAND = "LULD_BAND"
LULD_PAUSE = "LULD_PAUSE"
SSR_PRICE = "SSR_PRICE"


class MarketRule:
    """Base of every market rule; defaults allow everything."""

    def refuse(self, symbol: str, side: Side, price: int | None, short: bool, now_ns: int) -> str:
        """Reason code to refuse an incoming order (``price`` None = market), or ""."""
        return ""

    def on_trade(self, symbol: str, price: int, now_ns: int) -> None:
        """A trade printed at ``price``."""

    def on_book_change(self, symbol: str, now_ns: int) -> None:
        """An order reached ``symbol``'s book on a venue (after its prints, if any)."""

    def halted(self, symbol: str, now_ns: int) -> bool:
        """True while no trading may happen in ``symbol`` (participants' orders too)."""
        return False

    def holds_for_auction(self, symbol: str, now_ns: int) -> bool:
        """True while ``symbol`` is halted with an auction reopening: a DAY order this rule refuses
        waits for the auction instead (``SimVenue`` holds it)."""
        return False

    def price_band(self, symbol: str, now_ns: int) -> tuple[int, int] | None:
        """``(lower, upper)``: the only prices ``symbol`` may trade at now (``LuldPlan``), or None.
        The venue reprices incoming orders to it and never lets a resting order beyond it trade."""
        return None


class TradingHalt(MarketRule):
    """Regulatory or news halts, symbol by symbol, started and lifted by the caller.

    ``auction``: DAY orders wait for a reopening auction rather than being refused, and the
    last sale per symbol is kept as the auction's reference (``reference_price``)."""

    def __init__(self, auction: bool = False) -> None:
        self._halted: dict[str, str] = {}  # symbol -> reason code
        self.auction = auction
        self._last: dict[str, int] = {}  # symbol -> last sale (auction reference), kept only with auction
        self.reopenings: list[tuple[str, int, object]] = []
        """``(venue, at_ns, venues_sim.auction.Reopening)`` of every reopening auction, recorded by the caller."""

    def halt(self, symbol: str, reason: str = HALTED) -> None:
        self._halted[symbol] = reason

    def resume(self, symbol: str) -> None:
        self._halted.pop(symbol, None)

    def refuse(self, symbol: str, side: Side, price: int | None, short: bool, now_ns: int) -> str:
        return self._halted.get(symbol, "")

    def halted(self, symbol: str, now_ns: int) -> bool:
        return symbol in self._halted

    def holds_for_auction(self, symbol: str, now_ns: int) -> bool:
        return self.auction and symbol in self._halted

    def on_trade(self, symbol: str, price: int, now_ns: int) -> None:
        if self.auction:
            self._last[symbol] = price

    def reference_price(self, symbol: str, default: int) -> int:
        """The auction's reference: the last sale seen, or ``default`` before any."""
        return self._last.get(symbol, default)


class LimitUpLimitDown(MarketRule):
    """Price bands of ``band_bps`` around each symbol's reference price."""

    def __init__(self, references: dict[str, int], band_bps: int, pause_ns: int):
        if type(band_bps) is not int or not 0 < band_bps < 10_000:
            raise ValueError(f"band_bps must be an int in (0, 10000), got {band_bps!r}")
        if type(pause_ns) is not int or pause_ns <= 0:
            raise ValueError(f"pause_ns must be a positive int, got {pause_ns!r}")
        self.band_bps = band_bps
        self.pause_ns = pause_ns
        self._references = dict(references)
        self._paused_until: dict[str, int] = {}

    def set_reference(self, symbol: str, price: int) -> None:
        self._references[symbol] = price

    def band(self, symbol: str) -> tuple[int, int]:
        """``(lower, upper)`` allowed prices, inclusive; integer units, exact."""
        ref = self._references[symbol]
        width = ref * self.band_bps // 10_000
        return ref - width, ref + width

    def halted(self, symbol: str, now_ns: int) -> bool:
        return now_ns < self._paused_until.get(symbol, 0)

    def refuse(self, symbol: str, side: Side, price: int | None, short: bool, now_ns: int) -> str:
        if symbol not in self._references:
            return ""
        if self.halted(symbol, now_ns):
            return LULD_PAUSE
        if price is not None:
            lower, upper = self.band(symbol)
            if not lower <= price <= upper:
                return LULD_BAND
        return ""

    def on_trade(self, symbol: str, price: int, now_ns: int) -> None:
        if symbol not in self._references:
            return
        lower, upper = self.band(symbol)
        if price <= lower or price >= upper:
            # The price reached the band: the symbol pauses so the market can re-form.
            self._paused_until[symbol] = now_ns + self.pause_ns


class ShortSaleRestriction(MarketRule):
    """Rule 201: on restricted symbols, no short sale at or below the national best bid.

    ``symbols`` are restricted all day (a restriction triggered the previous trading day and
    carried in). Given ``previous_close`` (symbol -> the prior day's close), a trade at or below
    ``trigger_bps`` (10%) under a symbol's close restricts it from then on, and ``end_of_day``
    names the symbols triggered today: restricted the whole next day."""

    def __init__(self, symbols: Iterable[str], national_best_bid: Callable[[str], int],
                 previous_close: dict[str, int] | None = None, trigger_bps: int = 1_000):
        if type(trigger_bps) is not int or not 0 < trigger_bps < 10_000:
            raise ValueError(f"trigger_bps must be an int in (0, 10000), got {trigger_bps!r}")
        self.carried_in = frozenset(symbols)
        self.symbols = set(self.carried_in)  # restricted now: carried in, plus triggered today
        self._nbb = national_best_bid
        # The trigger price per symbol, exact: price * 10_000 <= close * (10_000 - trigger_bps).
        self._trigger = {s: close * (10_000 - trigger_bps) for s, close in (previous_close or {}).items()}
        self.triggered: dict[str, int] = {}
        """Symbol -> time of the trade that triggered the restriction today."""

    def refuse(self, symbol: str, side: Side, price: int | None, short: bool, now_ns: int) -> str:
        if not short or side is not Side.SELL or symbol not in self.symbols:
            return ""
        if price is None:
            return SSR_PRICE  # a market sell would trade at the bid
        nbb = self._nbb(symbol)
        return SSR_PRICE if nbb and price <= nbb else ""

    def on_trade(self, symbol: str, price: int, now_ns: int) -> None:
        trigger = self._trigger.get(symbol)
        if trigger is not None and symbol not in self.triggered and price * 10_000 <= trigger:
            self.triggered[symbol] = now_ns
            self.symbols.add(symbol)

    def end_of_day(self) -> frozenset[str]:
        """Symbols restricted on the next trading day: those whose restriction triggered today."""
        return frozenset(self.triggered)


# --------------------------------------------------------------------------- the LULD plan

MINUTE_NS = 60 * 1_000_000_000
SECOND_NS = 1_000_000_000
DOLLAR = PRICE_SCALE


def luld_band_width(tier: int, reference: int, doubled: bool) -> int:
    """Half-width of the LULD price band (the plan's Appendix A percentage parameters), in units.

    Tier 1 above $3.00: 5%; tier 2 above $3.00: 10%; either tier from $0.75 to $3.00: 20%;
    below $0.75: the lesser of $0.15 and 75%. ``doubled`` doubles it (near the open and close)."""
    if tier not in (1, 2):
        raise ValueError(f"tier must be 1 or 2, got {tier!r}")
    if reference > 3 * DOLLAR:
        width = reference * (500 if tier == 1 else 1_000) // 10_000
    elif reference * 100 >= 75 * DOLLAR:
        width = reference * 2_000 // 10_000
    else:
        width = min(15 * CENT, reference * 7_500 // 10_000)
    return 2 * width if doubled else width


def _to_cent(units: int) -> int:
    """Nearest whole cent, halves up (the plan rounds bands to the penny)."""
    return (units + CENT // 2) // CENT * CENT


@dataclass(frozen=True, slots=True)
class LuldTiming:
    """The plan's clocks and thresholds, in ns and bps; defaults are the plan's."""

    open_ns: int
    """Session open (bands doubled for the first 15 minutes)."""
    close_ns: int
    """Session close (tier-2 bands at or under $3.00 doubled for the last 25 minutes)."""
    limit_state_ns: int = 15 * SECOND_NS
    """A limit state lasting this long becomes a trading pause."""
    pause_ns: int = 5 * MINUTE_NS
    """Length of a trading pause, ended by a reopening auction."""
    window_ns: int = 5 * MINUTE_NS
    """The reference price is the mean of the trades in this trailing window."""
    move_bps: int = 100
    """The reference moves only when the window's mean is this far from it (1%)."""

    def __post_init__(self) -> None:
        for name in ("limit_state_ns", "pause_ns", "window_ns", "move_bps"):
            value = getattr(self, name)
            if type(value) is not int or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if self.close_ns <= self.open_ns:
            raise ValueError(f"close_ns must be after open_ns ({self.open_ns}), got {self.close_ns}")


class LuldPlan(MarketRule):
    """Limit up-limit down as in the LULD plan (the subset in docs/market_rules.md).

    ``references``: each covered symbol's opening reference price; ``tiers``: symbol -> 1 or 2
    (default 1). ``national_quote(symbol)`` gives ``(nbb, nbo)`` (0 for an empty side);
    ``schedule(at_ns, fn)`` runs ``fn`` at ``at_ns``; ``reopen(symbol, at_ns, reference)`` runs
    the reopening auctions after a pause and returns the reopening price (None: no cross).
    """

    def __init__(self, references: dict[str, int], tiers: dict[str, int], timing: LuldTiming,
                 national_quote: Callable[[str], tuple[int, int]],
                 schedule: Callable[[int, Callable[[], None]], None],
                 reopen: Callable[[str, int, int], int | None]):
        for symbol, tier in tiers.items():
            if symbol not in references:
                raise ValueError(f"tiers: unknown symbol {symbol!r}")
            luld_band_width(tier, 1, False)  # raises for a bad tier
        self._references = dict(references)
        self._tiers = {s: tiers.get(s, 1) for s in references}
        self.timing = timing
        self._quote = national_quote
        self._schedule = schedule
        self._reopen = reopen
        self._window: dict[str, deque[tuple[int, int]]] = {s: deque() for s in references}
        self._window_sum = {s: 0 for s in references}
        self._limit_since: dict[str, int] = {}  # symbol -> when its limit state began
        self._paused_until: dict[str, int] = {}
        self.reopenings: list[tuple[str, int, object]] = []
        """``(venue, at_ns, venues_sim.auction.Reopening)`` of every reopening auction, recorded by ``reopen``."""
        self.events: list[tuple[int, str, str, int]] = []
        """``(at_ns, symbol, what, price)``: REFERENCE (new reference price), LIMIT_STATE (began; the
        band edge), PAUSE (began; the reference) and REOPEN (the reopening price, 0 without a cross)."""

    def reference(self, symbol: str) -> int:
        """The reference price in effect."""
        return self._references[symbol]

    def band(self, symbol: str, now_ns: int) -> tuple[int, int]:
        """``(lower, upper)`` price band in effect, inclusive, rounded to the cent."""
        ref, tier, t = self._references[symbol], self._tiers[symbol], self.timing
        opening = now_ns < t.open_ns + 15 * MINUTE_NS
        closing = now_ns >= t.close_ns - 25 * MINUTE_NS and tier == 2 and ref <= 3 * DOLLAR
        width = luld_band_width(tier, ref, opening or closing)
        return max(CENT, _to_cent(ref - width)), _to_cent(ref + width)

    def in_limit_state(self, symbol: str) -> bool:
        return symbol in self._limit_since

    def halted(self, symbol: str, now_ns: int) -> bool:
        return now_ns < self._paused_until.get(symbol, -1)

    def holds_for_auction(self, symbol: str, now_ns: int) -> bool:
        return symbol in self._paused_until  # a pause always ends with a reopening auction

    def refuse(self, symbol: str, side: Side, price: int | None, short: bool, now_ns: int) -> str:
        if symbol not in self._references:
            return ""
        return LULD_PAUSE if symbol in self._paused_until else ""

    def price_band(self, symbol: str, now_ns: int) -> tuple[int, int] | None:
        if symbol not in self._references or symbol in self._paused_until:
            return None
        return self.band(symbol, now_ns)

    def on_trade(self, symbol: str, price: int, now_ns: int) -> None:
        window = self._window.get(symbol)
        if window is None:
            return
        window.append((now_ns, price))
        total = self._window_sum[symbol] + price
        oldest = now_ns - self.timing.window_ns
        while window[0][0] < oldest:
            total -= window.popleft()[1]
        self._window_sum[symbol] = total
        if symbol not in self._limit_since and symbol not in self._paused_until:
            mean = (2 * total + len(window)) // (2 * len(window))  # the arithmetic mean, halves up
            ref = self._references[symbol]
            if abs(mean - ref) * 10_000 >= self.timing.move_bps * ref:
                self._references[symbol] = mean
                self.events.append((now_ns, symbol, "REFERENCE", mean))

    def on_book_change(self, symbol: str, now_ns: int) -> None:
        if symbol in self._references and symbol not in self._paused_until:
            self.observe(symbol, now_ns)  # each order is a look at the market: limit states begin or end

    def observe(self, symbol: str, now_ns: int) -> None:
        """Look at the national quote: a limit state begins (NBO at the lower band, or NBB at the upper
        one) and its 15-second check is scheduled, or one ends."""
        nbb, nbo = self._quote(symbol)
        lower, upper = self.band(symbol, now_ns)
        edge = lower if nbo and nbo <= lower else upper if nbb and nbb >= upper else 0
        if not edge:
            self._limit_since.pop(symbol, None)
        elif symbol not in self._limit_since:
            self._limit_since[symbol] = now_ns
            self.events.append((now_ns, symbol, "LIMIT_STATE", edge))
            deadline = now_ns + self.timing.limit_state_ns
            self._schedule(deadline, lambda: self._check(symbol, deadline))

    def _check(self, symbol: str, now_ns: int) -> None:
        """15 seconds after a limit state began: still in it (the same one), the symbol pauses."""
        if symbol in self._paused_until:
            return
        self.observe(symbol, now_ns)
        since = self._limit_since.get(symbol)
        if since is not None and since <= now_ns - self.timing.limit_state_ns:
            self.pause(symbol, now_ns)

    def pause(self, symbol: str, now_ns: int) -> None:
        """Begin a trading pause; its end runs the reopening auction and resets the reference to it."""
        self._limit_since.pop(symbol, None)
        end = now_ns + self.timing.pause_ns
        self._paused_until[symbol] = end
        self.events.append((now_ns, symbol, "PAUSE", self._references[symbol]))
        self._schedule(end, lambda: self._end_pause(symbol, end))

    def _end_pause(self, symbol: str, now_ns: int) -> None:
        self._window[symbol].clear()  # the window starts anew with the reopening prints
        self._window_sum[symbol] = 0
        # Still paused while the auctions run: their prints fill the window but move nothing yet.
        price = self._reopen(symbol, now_ns, self._references[symbol])
        del self._paused_until[symbol]
        self.events.append((now_ns, symbol, "REOPEN", price or 0))
        if price:
            self._references[symbol] = price  # the plan: after a pause the reopening price is the reference
        self.observe(symbol, now_ns)  # the reopened market, against the new bands
