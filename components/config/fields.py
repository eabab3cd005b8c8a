"""Field types the config sections share: checked ranges and patterns with their meaning in the name."""

from __future__ import annotations

from typing import Annotated

from components.domain.money import to_units

from .schema import MONEY, Pattern, Range

Fraction = Annotated[float, Range(ge=0.0, le=1.0)]
"""A share in [0, 1]."""
Bps = Annotated[int, Range(ge=0, le=10_000)]
"""Basis points, 0 to 10,000."""
Millis = Annotated[float, Range(ge=0.0, le=60_000.0)]
"""Milliseconds, up to one minute."""
FeePerShare = Annotated[int, MONEY, Range(ge=-to_units("0.0100"), le=to_units("0.0100"))]
"""A per-share fee or rebate in money units, at most a cent either way."""
Cash = Annotated[int, MONEY, Range(ge=0, le=to_units("1000000000000"))]
"""A cash amount in money units, up to a trillion dollars."""
SYMBOL = Pattern(r"[A-Z][A-Z0-9.]{0,9}", "an upper-case ticker like 'AAPL' or 'BRK.B'")
"""The ticker pattern."""
Symbol = Annotated[str, SYMBOL]
