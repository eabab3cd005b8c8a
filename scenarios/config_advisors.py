"""The ``advisors`` section of a scenario: the trade-execution agent and the advisors who gate it.

Absent (the default) nothing of it runs and the world is as it always was. Given, the twin
(``twin.advisor_agents``) runs the trade-execution agent (``components.agents``) in simulated
time: ``proposals`` drift signals arrive over the session, each for one client household of the
twin's population; the portfolio-advisor agent turns it into a rebalancing proposal with the
portfolio engine (``components.portfolio.rebalance``) under an IPS built from the fields below;
the agent plans it into block orders and asks the account's advisor;
the simulated advisors approve, reject or never answer (``approve_probability``,
``reject_probability``) after a log-normal delay, each from a seeded stream of their own; approved
plans go through the platform's order entry. ``kill_switch_at`` flips the agent's feature flag
(``trade_agent``) off through the control plane. See docs/trade_execution_agent.md.

Typed, frozen and validated like the rest of ``scenarios.config`` (which imports it); money is
written as decimal dollar strings and held as integer units.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Annotated, Iterator

from components.config.fields import Cash, Fraction
from components.config.schema import Pattern, Range
from components.domain.money import to_units

_SECONDS = Annotated[float, Range(gt=0.0, le=86_400.0)]


@dataclass(frozen=True, slots=True)
class Advisors:
    """The trade-execution agent's day: signals, the advisors' answers, the agent's limits."""

    proposals: Annotated[int, Range(ge=0, le=100_000)] = 20
    """Drift signals over the session, each asking the portfolio engine for one household's proposal. Default 20."""
    model: Annotated[str, Pattern(r"profile|conservative|balanced|growth",
                                  "profile, conservative, balanced or growth")] = "profile"
    """The households' target model (``components.portfolio.universe.MODELS``), or ``profile``: each
    household draws a risk profile (30 % conservative, 40 % balanced, 30 % growth) and gets its model;
    a named model raises every household's risk profile to the model's. Default profile."""
    max_position_bps: Annotated[int, Range(ge=1, le=10_000)] = 6_000
    """IPS: most one security may weigh in a household, bps; also capped at ``risk.concentration_max_bps``
    (pre-trade risk's per-account limit). Default 6000 (the IPS default)."""
    cash_floor_bps: Annotated[int, Range(ge=0, le=9_999)] = 100
    """IPS: least cash after a rebalance, bps of household value. Default 100 (the IPS default)."""
    drift_absolute_bps: Annotated[int, Range(ge=1, le=10_000)] = 500
    """IPS drift band, absolute, bps. Default 500 (the "5/25" rule)."""
    drift_relative_bps: Annotated[int, Range(ge=1, le=100_000)] = 2_500
    """IPS drift band, relative to the target, bps. Default 2500."""
    min_trade: Cash = to_units("500")
    """Smallest trade the rebalancer keeps, dollars. Default $500."""
    max_lots: Annotated[int, Range(ge=1, le=20)] = 4
    """Most tax lots one opening position is split into (seeded dates and prices paid). Default 4."""
    approve_probability: Fraction = 0.7
    """Chance an advisor approves a plan. Default 0.7."""
    reject_probability: Fraction = 0.2
    """Chance an advisor rejects it; the rest never answer and the plan expires. Default 0.2."""
    median_response_s: _SECONDS = 120.0
    """Median time an advisor takes to answer, seconds (log-normal). Default 120."""
    p99_response_s: _SECONDS = 1_200.0
    """99th percentile of that time, seconds; at least the median. Default 1200."""
    approval_timeout_s: _SECONDS = 1_800.0
    """A plan not answered within this many seconds expires. Default 1800."""
    max_order_notional: Cash = to_units("150000")
    """The agent's hard limit on one order (one account's line of a block). Default $150,000."""
    max_account_notional: Cash = to_units("250000")
    """The agent's hard limit per account per day. Default $250,000."""
    max_day_notional: Cash = to_units("2000000")
    """The agent's hard limit per day, all accounts. Default $2,000,000."""
    policy: Annotated[str, Pattern(r"pro_rata|rotational", "pro_rata or rotational")] = "pro_rata"
    """Allocation policy of the agent's blocks. Default pro_rata."""
    kill_switch_at: time | None = None
    """When the operator turns the agent's flag off through the control plane ("HH:MM" New York time).
    Default none (the agent runs all day)."""

    def _problems(self) -> Iterator[tuple[str, str]]:
        if self.approve_probability + self.reject_probability > 1.0:
            yield "reject_probability", (f"approve_probability + reject_probability must be <= 1, got "
                                         f"{self.approve_probability} + {self.reject_probability}")
        if self.p99_response_s < self.median_response_s:
            yield "p99_response_s", f"must be >= median_response_s ({self.median_response_s}), got {self.p99_response_s}"
        for name in ("max_order_notional", "max_account_notional", "max_day_notional"):
            if getattr(self, name) <= 0:
                yield name, "must be a positive amount"
