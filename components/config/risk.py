"""Pre-trade risk limits (``risk``), as both runtimes configure the risk engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from components.domain.money import to_units
from components.risk.policies import RiskLimits

from .fields import Bps, Cash, Symbol
from .schema import Range


@dataclass(frozen=True, slots=True)
class Risk:
    """Pre-trade risk limits."""

    max_order_notional: Cash = to_units("1000000")
    """Largest notional of one order. Default $1,000,000."""
    max_daily_notional_per_account: Cash = to_units("5000000")
    """Largest gross notional an account may trade in the day. Default $5,000,000."""
    collar_bps: Bps = 500
    """Limit prices further than this from the reference are refused. Default 500 (5%)."""
    concentration_max_bps: Bps = 4000
    """Largest share of an account's value in one symbol after the trade. Default 4000 (40%)."""
    restricted: tuple[Symbol, ...] = ()
    """Symbols on the restricted list (must be scenario symbols). Default none."""
    duplicate_window_s: Annotated[float, Range(ge=0.0, le=86_400.0)] = 5.0
    """Identical orders from one account within this many seconds are suspected duplicates. Default 5."""

    def to_limits(self) -> RiskLimits:
        """These limits as the risk engine's ``RiskLimits`` (both runtimes build them here)."""
        return RiskLimits(
            max_order_notional=self.max_order_notional,
            max_daily_notional_per_account=self.max_daily_notional_per_account,
            collar_bps=self.collar_bps,
            concentration_max_bps=self.concentration_max_bps,
            duplicate_window_ns=int(round(self.duplicate_window_s * 1e9)),
        )
