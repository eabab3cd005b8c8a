"""Pre-trade risk (SEC Rule 15c3-5 style market-access controls).

``policies`` holds the pure policy functions and their one registry;
``engine`` holds the stateful engine (reservations, day notional, positions,
kill switch) that builds a ``RiskContext`` per order and runs every policy.
"""

from .engine import RiskDecision, RiskEngine
from .policies import POLICIES, Policy, RiskContext, RiskLimits, TradingState

__all__ = [
    "POLICIES",
    "Policy",
    "RiskContext",
    "RiskDecision",
    "RiskEngine",
    "RiskLimits",
    "TradingState",
]
