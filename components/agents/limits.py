"""The trade-execution agent's hard limits: notional per order, per account per day, per day.

Limits are integer money units (``components.domain.money``: 1 dollar = 10_000 units). They are
the agent's own, checked before it asks for approval and again just before it submits (other
plans may have used the day's room in between); the platform's pre-trade risk engine still checks
every order afterwards. A breach is data (``LimitRefusal``: code, subject, limit, value), as risk
refusals are, never a bare exception.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Iterable, Mapping


class LimitCode(str, Enum):
    """Which hard limit a plan breaks."""

    PER_ORDER = "NOTIONAL_EXCEEDS_MAX_PER_ORDER"
    PER_ACCOUNT = "NOTIONAL_EXCEEDS_MAX_PER_ACCOUNT"
    PER_DAY = "NOTIONAL_EXCEEDS_MAX_PER_DAY"


@dataclass(frozen=True, slots=True)
class HardLimits:
    """The agent's limits, integer money units; each must be positive."""

    max_order_notional: int
    """Largest notional of one order (one account's line of a block: quantity x price)."""
    max_account_notional: int
    """Largest notional the agent may trade for one account in one day."""
    max_day_notional: int
    """Largest notional the agent may trade in one day, all accounts together."""

    def __post_init__(self) -> None:
        for name in ("max_order_notional", "max_account_notional", "max_day_notional"):
            value = getattr(self, name)
            if type(value) is not int or value <= 0:
                raise ValueError(f"HardLimits.{name}: must be a positive int (money units), got {value!r}")


@dataclass(frozen=True, slots=True)
class LimitRefusal:
    """A breach: which limit, for what (an account, or ``day``), the limit and the value it would reach."""

    code: LimitCode
    subject: str
    limit: int
    value: int

    def describe(self) -> str:
        return f"{self.code.value}: {self.subject} would reach {self.value} units, limit {self.limit}"


@dataclass
class Usage:
    """Notional the agent has submitted on one day (``day``), in total and per account."""

    day: int = -1
    total: int = 0
    by_account: dict[str, int] | None = None

    def on(self, day: int) -> "Usage":
        """This usage if it is for ``day``, else a fresh one for ``day`` (the day rolled over)."""
        return self if day == self.day else Usage(day, 0, {})

    def add(self, lines: Iterable[tuple[str, int]]) -> None:
        accounts = self.by_account if self.by_account is not None else {}
        for account, notional in lines:
            accounts[account] = accounts.get(account, 0) + notional
            self.total += notional
        self.by_account = accounts


def check(limits: HardLimits, lines: Iterable[tuple[str, int]], used: Usage) -> LimitRefusal | None:
    """The first limit ``lines`` ((account_id, notional) per order) would break on top of ``used``;
    None when all hold. Per order first, then per account, then the day."""
    lines = list(lines)
    for account, notional in lines:
        if notional > limits.max_order_notional:
            return LimitRefusal(LimitCode.PER_ORDER, account, limits.max_order_notional, notional)
    per_account: dict[str, int] = {}
    for account, notional in lines:
        per_account[account] = per_account.get(account, 0) + notional
    before: Mapping[str, int] = used.by_account or {}
    for account, notional in per_account.items():
        value = before.get(account, 0) + notional
        if value > limits.max_account_notional:
            return LimitRefusal(LimitCode.PER_ACCOUNT, account, limits.max_account_notional, value)
    total = used.total + sum(per_account.values())
    if total > limits.max_day_notional:
        return LimitRefusal(LimitCode.PER_DAY, "day", limits.max_day_notional, total)
    return None
