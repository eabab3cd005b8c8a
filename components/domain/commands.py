"""Commands: imperative messages that ask a service to do one thing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .fast_init import fast_frozen_init


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class SubmitOrder:
    """An advisor's ``POST /v1/orders`` body, as sent at ``submitted_ns``."""

    body: Any
    submitted_ns: int


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class ValidateOrder:
    order_id: str


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class CheckRisk:
    order_id: str


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class RouteOrder:
    order_id: str
    exclude: frozenset[str] = frozenset()


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class CancelOrder:
    """A client's cancel for an order, identified as the client knows it."""

    account_id: str
    client_order_id: str
    requested_ns: int


@fast_frozen_init
@dataclass(frozen=True, slots=True)
class ProcessPostTrade:
    order_id: str


@dataclass(frozen=True, slots=True)
class ExpireDay:
    """Close of the session: expire everything still working."""


@dataclass(frozen=True, slots=True)
class SubmitBlock:
    """An advisor's block: one symbol and side for several accounts, with the
    pre-trade allocation statement as ``lines`` of ``(account_id, quantity)``.

    ``limit_price`` is a decimal string (as in an order request) or None for a
    MARKET block; ``block_ref`` is the advisor's id for the block (member client
    order ids derive from it); ``policy`` names a registered allocation policy.
    """

    advisor_id: str
    symbol: str
    side: str
    lines: tuple[tuple[str, int], ...]
    policy: str
    block_ref: str
    submitted_ns: int
    order_type: str = "MARKET"
    limit_price: str | None = None
    time_in_force: str = "DAY"


def member_client_order_id(block_ref: str, line: int) -> str:
    """The client order id of statement line ``line`` (1-based) of block ``block_ref``."""
    return f"{block_ref}-{line}"


@dataclass(frozen=True, slots=True)
class SetTradingState:
    """An operator flips the kill switch: ``state`` ACTIVE, REDUCING or HALTED (recorded
    as a ``TradingStateChanged`` platform event naming the operator and the reason)."""

    state: str
    actor: str
    reason: str
    requested_ns: int
