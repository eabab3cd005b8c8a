"""Operational events of the scenario schema: ``crashes`` (hosted services that
die mid-day) and ``trading_state`` (an operator flipping the kill switch).

Typed, frozen and validated like the rest of ``scenarios.config`` (which
imports it). Default: neither. A crashed service loses its components'
memory and rebuilds it from the last snapshot plus the event log
(``twin.crashes.Recovery``); ``snapshot_every`` is how often snapshots are taken.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Annotated

from components.config.schema import Pattern, Range


@dataclass(frozen=True, slots=True)
class Crash:
    """One crash of a hosted service (see ``twin.crashes``)."""

    service: Annotated[str, Pattern(r"gateway|oms|risk|router|post_trade",
                                    "one of gateway, oms, risk, router, post_trade")]  # fmt: skip
    """The service that crashes (required)."""
    at: time
    """When, "HH:MM" New York time on the session date (required)."""
    restart_ms: Annotated[float, Range(gt=0.0, le=600_000.0)] = 500.0
    """How long it is down before it restarts, ms. Default 500."""


@dataclass(frozen=True, slots=True)
class Crashes:
    """The crash plan and how its recovery snapshots (see ``twin.crashes``)."""

    snapshot_every: Annotated[int, Range(ge=1, le=1_000_000)] = 500
    """Events between two snapshots of every crashable component (taken between messages). Default 500."""
    plan: tuple[Crash, ...] = ()
    """The crashes, in any order. Default none."""


@dataclass(frozen=True, slots=True)
class TradingStateChange:
    """An operator flips the kill switch (the platform's ``SetTradingState``, recorded as a
    ``TradingStateChanged`` event; the risk engine's ``trading_state`` policy applies it)."""

    at: time
    """When, "HH:MM" New York time on the session date (required)."""
    state: Annotated[str, Pattern(r"ACTIVE|REDUCING|HALTED", "one of ACTIVE, REDUCING, HALTED")]
    """ACTIVE (normal), REDUCING (only orders that reduce a position) or HALTED (no new orders) (required)."""
    reason: str = ""
    """Why, as the operator would record it. Default empty."""
    operator: str = "operator"
    """Who flipped it (the event's actor is ``operator:NAME``). Default "operator"."""
