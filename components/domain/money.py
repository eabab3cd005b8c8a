"""Exact money and prices as integer units.

Every price, fee and cash amount in the ledger is an ``int`` count of
``1 / PRICE_SCALE`` dollars (a hundredth of a cent). A cent tick is therefore
100 units and a fee of $0.0030 per share is 30 units: maker-taker fees stay
exact without Decimal arithmetic on the hot path. ``Decimal`` is used only at
the edges (parsing requests, printing reports).
"""

from __future__ import annotations

from decimal import Decimal, Inexact, InvalidOperation, localcontext

PRICE_SCALE = 10_000
"""Units per dollar."""

CENT = PRICE_SCALE // 100
"""One cent in units: the default price tick for NMS stocks at or above $1."""


def to_units(value: Decimal | str | int) -> int:
    """Convert a dollar amount to integer units, refusing anything inexact.

    Floats are refused on purpose: a binary float never enters the ledger.
    """
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"money must be Decimal, str or int, not {type(value).__name__}")
    try:
        dec = Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"not a decimal amount: {value!r}") from exc
    if not dec.is_finite():
        raise ValueError(f"not a finite amount: {value!r}")
    with localcontext() as ctx:
        ctx.traps[Inexact] = True  # 28 significant digits would silently round the rest away
        try:
            scaled = dec * PRICE_SCALE
        except Inexact:
            raise ValueError(f"{value!r} has more precision than 1/{PRICE_SCALE} of a dollar") from None
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{value!r} has more precision than 1/{PRICE_SCALE} of a dollar")
    return int(scaled)


def to_decimal(units: int) -> Decimal:
    """Integer units back to dollars, exactly."""
    return Decimal(units) / PRICE_SCALE


def format_price(units: int) -> str:
    """Dollars with four decimals, for logs and reports."""
    return f"{to_decimal(units):.4f}"
