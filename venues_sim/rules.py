"""Market rules a venue enforces: trading halts, limit-up/limit-down, short-sale restriction.

One interface, ``MarketRule``, attached with ``SimVenue.add_rule``. A rule
sees every incoming order (ours and participants') before it reaches the
book and may refuse it with a reason code; it sees every trade print after
matching (``on_trade``). Refused child orders of ours get a REJECTED report
with the reason; a refused participant order is canceled whole.

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

Time is passed in; nothing here reads a clock.
"""

from __future__ import annotations

from typing import Callable, Iterable

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

    def halted(self, symbol: str, now_ns: int) -> bool:
        """True while no trading may happen in ``symbol`` (participants' orders too)."""
        return False


class TradingHalt(MarketRule):
    """Regulatory or news halts, symbol by symbol, started and lifted by the caller."""

    def __init__(self) -> None:
        self._halted: dict[str, str] = {}  # symbol -> reason code

    def halt(self, symbol: str, reason: str = HALTED) -> None:
        self._halted[symbol] = reason

    def resume(self, symbol: str) -> None:
        self._halted.pop(symbol, None)

    def refuse(self, symbol: str, side: Side, price: int | None, short: bool, now_ns: int) -> str:
        return self._halted.get(symbol, "")

    def halted(self, symbol: str, now_ns: int) -> bool:
        return symbol in self._halted


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
    """Rule 201: on ``symbols``, no short sale at or below the national best bid."""

    def __init__(self, symbols: Iterable[str], national_best_bid: Callable[[str], int]):
        self.symbols = frozenset(symbols)
        self._nbb = national_best_bid

    def refuse(self, symbol: str, side: Side, price: int | None, short: bool, now_ns: int) -> str:
        if not short or side is not Side.SELL or symbol not in self.symbols:
            return ""
        if price is None:
            return SSR_PRICE  # a market sell would trade at the bid
        nbb = self._nbb(symbol)
        return SSR_PRICE if nbb and price <= nbb else ""
