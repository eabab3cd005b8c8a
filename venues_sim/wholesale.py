"""Fill-price models: the price a venue gives our marketable orders.

A lit exchange fills a taker at the book's price (no model: ``SimVenue`` uses
the matched price). A wholesaler (retail market maker) internalises marketable
orders and fills them *better* than the quote: ``PriceImprovement`` improves
every TAKER fill by ``units`` per share over a reference price, which is the
NBBO when an NBBO source is given and has that side, else the venue's own
quote at the moment the order arrived. The improved price is never worse than
the price the book matched at, never crosses zero, and so always respects
the child order's limit. The wholesaler pays the difference; the resting
participant on the book still trades at its own price.

One interface, ``FillPriceModel``; pure and clock-free (``venues_sim`` rule).
"""

from __future__ import annotations

from typing import Callable, Protocol, runtime_checkable

from components.domain.orders import Side

NbboSource = Callable[[str], "tuple[int, int] | None"]
"""``nbbo(symbol)`` -> ``(best bid, best ask)`` in units (0 for an empty side), or None."""


@runtime_checkable
class FillPriceModel(Protocol):
    """Prices our TAKER fills on a venue."""

    def taker_price(self, symbol: str, side: Side, matched_px: int, own_bid: int, own_ask: int) -> int:
        """Price of a fill the book matched at ``matched_px``; ``own_bid``/``own_ask``
        is the venue's top of book when the order arrived (0 for an empty side)."""
        ...


class PriceImprovement:
    """Fill marketable orders ``units`` per share better than the NBBO (or own quote)."""

    def __init__(self, units: int, nbbo: NbboSource | None = None):
        if type(units) is not int or units < 0:
            raise ValueError(f"units must be an int >= 0, got {units!r}")
        self.units = units
        self._nbbo = nbbo

    def reference(self, symbol: str, side: Side, own_bid: int, own_ask: int) -> int:
        """The price improved upon: NBBO side if known, else the venue's own side (0 if neither)."""
        buy = side is Side.BUY
        if self._nbbo is not None:
            nbbo = self._nbbo(symbol)
            if nbbo is not None:
                px = nbbo[1] if buy else nbbo[0]
                if px > 0:
                    return px
        return own_ask if buy else own_bid

    def taker_price(self, symbol: str, side: Side, matched_px: int, own_bid: int, own_ask: int) -> int:
        ref = self.reference(symbol, side, own_bid, own_ask)
        if ref <= 0 or self.units == 0:
            return matched_px
        if side is Side.BUY:
            return max(1, min(matched_px, ref - self.units))
        return max(matched_px, ref + self.units)
